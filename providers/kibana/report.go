package kibana

import (
	"fmt"
	"strings"
)

// Kind classifies a [Report] entry.
type Kind string

// Report entry kinds.
const (
	// KindEscapingFix: a value lands where Kibana did not escape it for
	// its place (inside a JSON string, or HTML-escaped by double braces);
	// the imported $variable is escaped for where it lands, so the request
	// differs from Kibana's exactly there (Kibana's was often invalid).
	KindEscapingFix Kind = "escaping_fix"
	// KindChanged: carried over with a documented difference in behaviour
	// (a value read from another response, a case status spelled
	// differently, a misspelled mustache name Kibana rendered empty).
	KindChanged Kind = "changed"
	// KindMoved: carried over to a different place (an Authorization
	// header to secret_headers).
	KindMoved Kind = "moved"
	// KindNotConverted: a mustache construct with no $variable equivalent
	// (a section, an inverted section, a partial, an unknown variable). It
	// is left in the template as written, so the imported config does not
	// validate until it is rewritten.
	KindNotConverted Kind = "not_converted"
	// KindDropped: input that has no place in the imported config (an
	// unknown key, a mustache comment) and was left out.
	KindDropped Kind = "dropped"
	// KindMissingSecret: a secret the connector needs was not in the input
	// (Kibana's connector API never returns secrets). The imported config
	// has [httpconn.RedactedMarker] there; enter the value before saving.
	KindMissingSecret Kind = "missing_secret"
)

// Entry is one thing the import could not carry over as it was.
type Entry struct {
	// Key is where in the Kibana connector it came from:
	// "config.createIncidentJson", "secrets.password", "config.headers.X".
	Key string `json:"key"`
	// Field is the imported config's field it went to ("create.payload"),
	// or "" when it went nowhere.
	Field   string `json:"field,omitempty"`
	Kind    Kind   `json:"kind"`
	Message string `json:"message"`
}

// String formats the entry as one line: "kind key → field: message".
func (e Entry) String() string {
	var b strings.Builder
	b.WriteString(string(e.Kind))
	b.WriteString(" ")
	b.WriteString(e.Key)
	if e.Field != "" {
		b.WriteString(" → ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

// Report lists what an [Import] could not carry over as it was. It never
// holds a secret value.
type Report struct {
	// Entries, in the order of the Kibana keys (config, then secrets).
	Entries []Entry `json:"entries"`
	// MissingSecrets are the imported config's fields that hold
	// [httpconn.RedactedMarker] and need a value ("auth.password").
	MissingSecrets []string `json:"missing_secrets,omitempty"`
}

// Count returns the number of entries of kind k.
func (r *Report) Count(k Kind) int {
	if r == nil {
		return 0
	}
	n := 0
	for _, e := range r.Entries {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// String formats the report, one entry a line; "" when it is empty.
func (r *Report) String() string {
	if r == nil || len(r.Entries) == 0 {
		return ""
	}
	var b strings.Builder
	for _, e := range r.Entries {
		b.WriteString(e.String())
		b.WriteString("\n")
	}
	return b.String()
}

func (r *Report) add(kind Kind, key, field, format string, args ...any) {
	r.Entries = append(r.Entries, Entry{Key: key, Field: field, Kind: kind, Message: fmt.Sprintf(format, args...)})
}
