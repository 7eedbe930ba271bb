package httpconn

import (
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"slices"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
)

// PreviewRequest is one request exactly as the connector would send it,
// except that secrets are shown as [RedactedMarker]: the Authorization or
// API-key header, secret headers. No OAuth2 token is fetched to build it.
type PreviewRequest struct {
	// Op is the operation the request belongs to.
	Op itsm.Operation `json:"op"`
	// Method and URL are as sent (the URL rendered and escaped).
	Method string `json:"method"`
	URL    string `json:"url"`
	// Header holds every header the connector sets, secrets redacted.
	Header http.Header `json:"header"`
	// Body is the rendered payload ("" when the request has none).
	Body string `json:"body,omitempty"`
}

// String formats the request like an HTTP/1.1 message: request line, the
// headers sorted by name, a blank line and the body.
func (p PreviewRequest) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", p.Method, p.URL)
	for _, k := range slices.Sorted(maps.Keys(p.Header)) {
		for _, v := range p.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	if p.Body != "" {
		b.WriteString("\n")
		b.WriteString(p.Body)
		if !strings.HasSuffix(p.Body, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Preview renders, without sending anything, every request the config
// defines for case cs: create, update (for ticket, or [SampleTicket] when
// nil), comment (for note, or [SampleNote]; when configured), get, lookup
// and comment lookup (when configured), in that order. It is the "unit-test your payload
// templates" path and what a UI shows before saving. The correlation key is
// derived from the config ID and cs.ID. A template that fails to render is
// an error naming its operation ([ErrInvalidRenderedJSON] for a payload that
// renders to invalid JSON). Safe for concurrent use.
func (c *Connector) Preview(cs itsm.Case, note *itsm.Note, ticket *itsm.Ticket) ([]PreviewRequest, error) {
	if ticket == nil {
		t := SampleTicket
		ticket = &t
	}
	if note == nil {
		n := SampleNote
		note = &n
	}
	key := itsm.CorrelationKey(c.cc.cfg.ID, cs.ID)
	type step struct {
		ep *endpoint
		t  *itsm.Ticket
		n  *itsm.Note
	}
	steps := []step{
		{ep: &c.cc.create},
		{ep: &c.cc.update, t: ticket},
		{ep: &c.cc.comment, t: ticket, n: note},
		{ep: &c.cc.get, t: ticket},
		{ep: &c.cc.lookup},
		{ep: &c.cc.commentLookup, t: ticket, n: note},
	}
	var out []PreviewRequest
	for _, s := range steps {
		if !s.ep.configured() {
			continue
		}
		csp := &cs
		if s.ep.op == itsm.OpGet {
			csp = nil
		}
		vals := c.values(csp, s.t, s.n, key)
		p, err := c.prepare(s.ep, vals, true)
		if err != nil {
			return nil, err
		}
		c.previewAuth(p.header)
		out = append(out, PreviewRequest{Op: p.op, Method: p.method, URL: p.url, Header: p.header, Body: string(p.body)})
	}
	return out, nil
}

// previewAuth shows the authentication header with its secret redacted.
func (c *Connector) previewAuth(h http.Header) {
	a := c.cc.cfg.Auth
	switch a.authType() {
	case AuthBasic:
		h.Set("Authorization", "Basic "+RedactedMarker)
	case AuthBearer, AuthOAuth2:
		h.Set("Authorization", a.scheme()+" "+RedactedMarker)
	case AuthAPIKey:
		h[textproto.CanonicalMIMEHeaderKey(a.HeaderName)] = []string{RedactedMarker}
	}
}
