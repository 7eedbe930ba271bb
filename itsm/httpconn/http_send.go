package httpconn

import (
	"context"
	"net/http"
	"net/textproto"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/template"
)

// RawRequest is a request a provider adapter sends through the connector
// (Jira's transitions, a SysAid session login): it gets the connector's
// authentication, headers, network rules, TLS, timeout, retry policy,
// response cap and redaction, but no template.
type RawRequest struct {
	// Op names the request in errors and audit events and selects the
	// retry policy (see [RetryDecision]): use OpGet for reads, OpUpdate
	// for idempotent changes, OpCreate for anything that must not be
	// repeated blindly.
	Op itsm.Operation
	// Method and URL (absolute http or https; checked against the network
	// rules).
	Method string
	URL    string
	// Header is added after the config's headers (and wins); the
	// authentication header is set last.
	Header http.Header
	// Body is sent as is; nil sends none. Without a Content-Type in Header,
	// the config's body format sets it.
	Body []byte
}

// RawResponse is a 2xx response to a RawRequest. Body holds at most the
// config's MaxResponseBytes (a larger body is ErrInvalidResponse).
type RawResponse struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Send sends r and returns its 2xx response, or an error naming r.Op: an
// *HTTPError for another status, ErrHostNotAllowed, a transport error
// (wrapping ErrOutcomeUnknown when the ITSM may have processed a
// non-idempotent request). Safe for concurrent use.
func (c *Connector) Send(ctx context.Context, r RawRequest) (resp RawResponse, err error) {
	start := c.env.Clock.Now()
	defer func() { c.record(ctx, r.Op, nil, nil, nil, resp.StatusCode, start, err) }()
	if r.Op == "" {
		r.Op = itsm.OpGet
	}
	p := &prepared{op: r.Op, method: r.Method, url: r.URL, body: r.Body}
	if p.method == "" {
		p.method = http.MethodGet
	}
	h := make(http.Header, len(c.cc.headers)+len(r.Header)+3)
	h["User-Agent"] = userAgentValue
	h["Accept"] = acceptJSONValue
	if r.Body != nil {
		h["Content-Type"] = c.cc.contentType
	}
	empty := template.Values{}
	for i := range c.cc.headers {
		ht := &c.cc.headers[i]
		if ht.tmpl == nil {
			h[ht.name] = ht.values
			continue
		}
		v, err := ht.tmpl.Render(withNulls(empty, ht.nulls))
		if err != nil {
			return RawResponse{}, &opError{Op: r.Op, Err: renderError(err, false)}
		}
		h[ht.name] = []string{string(v)}
	}
	for k, vs := range r.Header {
		h[textproto.CanonicalMIMEHeaderKey(k)] = append([]string(nil), vs...)
	}
	p.header = h
	res, err := c.send(ctx, p, true)
	if err != nil {
		return RawResponse{StatusCode: res.status}, err
	}
	if res.bodyErr != nil {
		return RawResponse{StatusCode: res.status}, c.requireJSON(r.Op, res)
	}
	return RawResponse{StatusCode: res.status, Header: res.header, Body: res.body}, nil
}
