package servicenow

import (
	"encoding/json"
	"log/slog"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// optionsLog is Options without methods, so logging a redacted copy does
// not recurse.
type optionsLog Options

// LogValue logs the options with the auth secrets redacted (slog's JSON
// handler would otherwise marshal them in clear). fmt verbs print them
// redacted through [httpconn.AuthConfig]'s own Format.
func (o Options) LogValue() slog.Value {
	o.Auth = httpconn.Config{Auth: o.Auth}.Redacted().Auth
	return slog.AnyValue(optionsLog(o))
}

// MarshalJSON writes the options with the auth secrets (password, OAuth2
// client secret) replaced by httpconn.RedactedMarker, as json.Marshal of an
// httpconn.Config does: options are safe to log or send to a UI. The
// preset's Config is what a host persists (with its MarshalSecrets).
func (o Options) MarshalJSON() ([]byte, error) {
	o.Auth = httpconn.Config{Auth: o.Auth}.Redacted().Auth
	return json.Marshal(optionsLog(o))
}
