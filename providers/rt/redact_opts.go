package rt

import (
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
