package servicenow

import (
	"fmt"
	"github.com/itsmsync/itsmsync/internal/redact"
	"log/slog"
)

// label names the connector by its configuration ("servicenow.Connector(<id>
// "<name>")"). The connector holds credentials; no fmt verb or slog handler
// shows more than this.
func (c Connector) label() redact.Label {
	if c.base == nil {
		return redact.Label{Type: "servicenow.Connector", Empty: true}
	}
	cfg := c.base.Config()
	return redact.Label{Type: "servicenow.Connector", ID: cfg.ID, Name: cfg.Name}
}

// String names the connector by its configuration id and name.
func (c Connector) String() string { return c.label().String() }

// GoString is String.
func (c Connector) GoString() string { return c.label().String() }

// Format prints String under every verb (%q quotes it).
func (c Connector) Format(f fmt.State, verb rune) { c.label().Format(f, verb) }

// LogValue logs the connector's id and name.
func (c Connector) LogValue() slog.Value { return c.label().LogValue() }
