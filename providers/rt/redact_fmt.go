package rt

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// String names the connector by its configuration ("rt.Connector(<id>
// "<name>")"). The connector holds credentials; no fmt verb or slog handler
// shows more than this.
func (c Connector) String() string {
	if c.base == nil {
		return "rt.Connector()"
	}
	cfg := c.base.Config()
	return fmt.Sprintf("rt.Connector(%s %q)", cfg.ID, cfg.Name)
}

// GoString is String.
func (c Connector) GoString() string { return c.String() }

// Format prints String under every verb (%q quotes it).
func (c Connector) Format(f fmt.State, verb rune) {
	s := c.String()
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// LogValue logs the connector's id and name.
func (c Connector) LogValue() slog.Value {
	if c.base == nil {
		return slog.GroupValue()
	}
	cfg := c.base.Config()
	return slog.GroupValue(slog.String("id", cfg.ID), slog.String("name", cfg.Name))
}
