package httpconn

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/itsmsync/itsmsync/internal/redact"
)

// The types that hold secrets print redacted under every fmt verb and as a
// slog value (the text handler and the JSON handler): their secrets show as
// [RedactedMarker], exactly as [Config.Redacted] and json.Marshal show them.
// Each *Fmt type is its type without methods, so formatting a redacted copy
// does not recurse.
type (
	configFmt  Config
	authFmt    AuthConfig
	oauth2Fmt  OAuth2Config
	tlsFmt     TLSConfig
	networkFmt NetworkConfig
)

// Format prints the redacted configuration ([Config.Redacted]) under every
// verb.
func (c Config) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, configFmt(c.Redacted()), "httpconn.Config")
}

// String returns the redacted configuration as %v prints it.
func (c Config) String() string { return fmt.Sprint(c) }

// GoString returns the redacted configuration as %#v prints it.
func (c Config) GoString() string { return fmt.Sprintf("%#v", c) }

// LogValue logs the redacted configuration.
func (c Config) LogValue() slog.Value { return slog.AnyValue(configFmt(c.Redacted())) }

// Format prints the authentication with its secrets redacted.
func (a AuthConfig) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, authFmt(a.redacted()), "httpconn.AuthConfig")
}

// String returns the redacted authentication as %v prints it.
func (a AuthConfig) String() string { return fmt.Sprint(a) }

// GoString returns the redacted authentication as %#v prints it.
func (a AuthConfig) GoString() string { return fmt.Sprintf("%#v", a) }

// LogValue logs the authentication with its secrets redacted.
func (a AuthConfig) LogValue() slog.Value { return slog.AnyValue(authFmt(a.redacted())) }

func (o OAuth2Config) redacted() OAuth2Config {
	return *AuthConfig{OAuth2: &o}.redacted().OAuth2
}

// Format prints the OAuth2 settings with the client secret redacted.
func (o OAuth2Config) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, oauth2Fmt(o.redacted()), "httpconn.OAuth2Config")
}

// String returns the redacted OAuth2 settings as %v prints them.
func (o OAuth2Config) String() string { return fmt.Sprint(o) }

// GoString returns the redacted OAuth2 settings as %#v prints them.
func (o OAuth2Config) GoString() string { return fmt.Sprintf("%#v", o) }

// LogValue logs the OAuth2 settings with the client secret redacted.
func (o OAuth2Config) LogValue() slog.Value { return slog.AnyValue(oauth2Fmt(o.redacted())) }

// Format prints the TLS settings with the private key, PFX and passphrase
// redacted.
func (t TLSConfig) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, tlsFmt(t.redacted()), "httpconn.TLSConfig")
}

// String returns the redacted TLS settings as %v prints them.
func (t TLSConfig) String() string { return fmt.Sprint(t) }

// GoString returns the redacted TLS settings as %#v prints them.
func (t TLSConfig) GoString() string { return fmt.Sprintf("%#v", t) }

// LogValue logs the TLS settings with their secrets redacted.
func (t TLSConfig) LogValue() slog.Value { return slog.AnyValue(tlsFmt(t.redacted())) }

// Format prints the network settings with the proxy password redacted.
func (n NetworkConfig) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, networkFmt(n.redacted()), "httpconn.NetworkConfig")
}

// String returns the redacted network settings as %v prints them.
func (n NetworkConfig) String() string { return fmt.Sprint(n) }

// GoString returns the redacted network settings as %#v prints them.
func (n NetworkConfig) GoString() string { return fmt.Sprintf("%#v", n) }

// LogValue logs the network settings with the proxy password redacted.
func (n NetworkConfig) LogValue() slog.Value { return slog.AnyValue(networkFmt(n.redacted())) }

// String names the connector: "httpconn.Connector(<id> <name>)". The
// connector holds credentials (and, once fetched, tokens); no fmt verb or
// slog handler shows more than this.
func (c Connector) String() string {
	if c.cc == nil {
		return "httpconn.Connector()"
	}
	return fmt.Sprintf("httpconn.Connector(%s %q)", c.cc.cfg.ID, c.cc.cfg.Name)
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

// LogValue logs the connector's id, name and provider.
func (c Connector) LogValue() slog.Value {
	if c.cc == nil {
		return slog.GroupValue()
	}
	return slog.GroupValue(slog.String("id", c.cc.cfg.ID), slog.String("name", c.cc.cfg.Name),
		slog.String("provider", c.cc.cfg.Provider))
}
