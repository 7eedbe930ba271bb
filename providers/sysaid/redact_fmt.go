package sysaid

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"

	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// label names the connector by its configuration ("sysaid.Connector(<id>
// "<name>")"). The connector holds credentials; no fmt verb or slog handler
// shows more than this.
func (c Connector) label() redact.Label {
	if c.base == nil {
		return redact.Label{Type: "sysaid.Connector", Empty: true}
	}
	cfg := c.base.Config()
	return redact.Label{Type: "sysaid.Connector", ID: cfg.ID, Name: cfg.Name}
}

// String names the connector by its configuration id and name.
func (c Connector) String() string { return c.label().String() }

// GoString is String.
func (c Connector) GoString() string { return c.label().String() }

// Format prints String under every verb (%q quotes it).
func (c Connector) Format(f fmt.State, verb rune) { c.label().Format(f, verb) }

// LogValue logs the connector's id and name.
func (c Connector) LogValue() slog.Value { return c.label().LogValue() }

// optionsFmt and subscriptionFmt are Options and Subscription without
// methods, so formatting a redacted copy does not recurse.
type (
	optionsFmt      Options
	subscriptionFmt Subscription
)

func (o Options) redacted() Options {
	if o.Password != "" {
		o.Password = httpconn.RedactedMarker
	}
	o.Info = maps.Clone(o.Info)
	return o
}

// Format prints the options with the password redacted.
func (o Options) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, optionsFmt(o.redacted()), "sysaid.Options")
}

// String returns the redacted options as %v prints them.
func (o Options) String() string { return fmt.Sprint(o) }

// GoString returns the redacted options as %#v prints them.
func (o Options) GoString() string { return fmt.Sprintf("%#v", o) }

// LogValue logs the options with the password redacted.
func (o Options) LogValue() slog.Value { return slog.AnyValue(optionsFmt(o.redacted())) }

// MarshalJSON writes the options with the password replaced by
// httpconn.RedactedMarker, as json.Marshal of an httpconn.Config does:
// options are safe to log or send to a UI. The preset's Config is what a
// host persists (with its MarshalSecrets).
func (o Options) MarshalJSON() ([]byte, error) { return json.Marshal(optionsFmt(o.redacted())) }

func (s Subscription) redacted() Subscription {
	if s.Secret != "" {
		s.Secret = httpconn.RedactedMarker
	}
	if s.Raw != nil {
		s.Raw = json.RawMessage(`"` + httpconn.RedactedMarker + `"`) // it may hold the secret
	}
	return s
}

// Format prints the subscription with its secret (and the raw answer,
// which may hold it) redacted.
func (s Subscription) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, subscriptionFmt(s.redacted()), "sysaid.Subscription")
}

// String returns the redacted subscription as %v prints it.
func (s Subscription) String() string { return fmt.Sprint(s) }

// GoString returns the redacted subscription as %#v prints it.
func (s Subscription) GoString() string { return fmt.Sprintf("%#v", s) }

// LogValue logs the subscription with its secret redacted.
func (s Subscription) LogValue() slog.Value { return slog.AnyValue(subscriptionFmt(s.redacted())) }
