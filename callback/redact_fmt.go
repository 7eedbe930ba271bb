package callback

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"

	"github.com/itsmsync/itsmsync/internal/redact"
)

// The configurations and verifiers that hold signing secrets print them
// redacted under every fmt verb and as a slog value: each secret shows as
// [redact.Marker]-like "********" (empty ones stay empty, so "set" and "not
// set" can be told apart).
type (
	hmacConfigFmt HMACConfig
	swConfigFmt   StandardWebhooksConfig
)

const secretMarker = "********"

func redactedSecrets(s []string) []string {
	s = slices.Clone(s)
	for i, v := range s {
		if v != "" {
			s[i] = secretMarker
		}
	}
	return s
}

// Format prints the configuration with its secrets redacted.
func (c HMACConfig) Format(f fmt.State, verb rune) {
	c.Secrets = redactedSecrets(c.Secrets)
	redact.Format(f, verb, hmacConfigFmt(c), "callback.HMACConfig")
}

// String returns the redacted configuration as %v prints it.
func (c HMACConfig) String() string { return fmt.Sprint(c) }

// GoString returns the redacted configuration as %#v prints it.
func (c HMACConfig) GoString() string { return fmt.Sprintf("%#v", c) }

// LogValue logs the configuration with its secrets redacted.
func (c HMACConfig) LogValue() slog.Value {
	c.Secrets = redactedSecrets(c.Secrets)
	return slog.AnyValue(hmacConfigFmt(c))
}

// Format prints the configuration with its secrets redacted.
func (c StandardWebhooksConfig) Format(f fmt.State, verb rune) {
	c.Secrets = redactedSecrets(c.Secrets)
	redact.Format(f, verb, swConfigFmt(c), "callback.StandardWebhooksConfig")
}

// String returns the redacted configuration as %v prints it.
func (c StandardWebhooksConfig) String() string { return fmt.Sprint(c) }

// GoString returns the redacted configuration as %#v prints it.
func (c StandardWebhooksConfig) GoString() string { return fmt.Sprintf("%#v", c) }

// LogValue logs the configuration with its secrets redacted.
func (c StandardWebhooksConfig) LogValue() slog.Value {
	c.Secrets = redactedSecrets(c.Secrets)
	return slog.AnyValue(swConfigFmt(c))
}

// String names the verifier and its scheme, never its keys.
func (v HMACVerifier) String() string {
	return fmt.Sprintf("callback.HMACVerifier(%s, %d keys)", v.cfg.Header, len(v.keys))
}

// Format prints String under every verb (%q quotes it).
func (v HMACVerifier) Format(f fmt.State, verb rune) { writeName(f, verb, v.String()) }

// LogValue logs String.
func (v HMACVerifier) LogValue() slog.Value { return slog.StringValue(v.String()) }

// String names the verifier, never its keys.
func (v StandardWebhooksVerifier) String() string {
	return fmt.Sprintf("callback.StandardWebhooksVerifier(%d keys)", len(v.keys))
}

// Format prints String under every verb (%q quotes it).
func (v StandardWebhooksVerifier) Format(f fmt.State, verb rune) { writeName(f, verb, v.String()) }

// LogValue logs String.
func (v StandardWebhooksVerifier) LogValue() slog.Value { return slog.StringValue(v.String()) }

func writeName(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}
