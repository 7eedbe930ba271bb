package httpconn

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/template"
)

// rawBodyVar is the variable the raw body is passed in; it is not a name a
// URL template may use (see Request.URL).
const rawBodyVar = "itsmsync_raw_body"

// Request is a request the Config does not describe, which a provider
// adapter sends with [Connector.Do] (Jira's status transitions, for
// instance).
type Request struct {
	// Op names the request in errors, logs and audit events, and decides
	// the retry policy: [itsm.OpGet] is retried like a read (on timeouts,
	// resets, 408, 429 and 5xx), [itsm.OpUpdate] with PUT or PATCH like an
	// idempotent update; any other name ("transition") is a write that must
	// not be repeated blindly — retried only when the ITSM certainly did not
	// process it, its error wrapping [itsm.ErrOutcomeUnknown] when it may
	// have. Required.
	Op itsm.Operation
	// Method is GET (default), POST, PUT, PATCH or DELETE.
	Method string
	// URL is a URL template with the variables of [vars.ScopeTicket] (and the
	// config's extra variables): typically a literal URL with $ticket_id,
	// e.g. "https://x.atlassian.net/rest/api/3/issue/$ticket_id/transitions".
	// Variables are escaped for where they land; a literal "$" is written
	// "$$". Required.
	URL string
	// Body is a JSON document sent as it is (Content-Type
	// application/json), or nil for no body. It is validated first; the
	// config's body format must be json.
	Body []byte
	// Case and Ticket supply the template variables (of the URL and of
	// templated configured headers) and the audit event's ids. Both are
	// optional.
	Case   *itsm.Case
	Ticket *itsm.Ticket
}

// Response is the answer to a [Request]: a 2xx status, the headers and the
// body (read whole up to the config's MaxResponseBytes; nil for 204).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

var rawMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// Do is the connector's one way to send a request the Config does not
// describe. It renders req.URL, sends req through the connector — exactly
// what the configured requests get: the allow-list and dial-time address
// checks, TLS, the proxy, authentication (an OAuth2 refresh on 401
// included), the configured headers, the retry policy, capped reads and
// redacted errors — and returns the 2xx response. Every other outcome is an
// error naming req.Op, typed as for the configured operations: a non-2xx
// status is an [*HTTPError] (redacted, capped body), no response at all a
// [*NetworkError], a host the network rules refuse a [*HostNotAllowedError];
// a body larger than MaxResponseBytes wraps [itsm.ErrInvalidResponse]; a bad
// request (unknown method, a URL that does not render, a body that is not
// JSON) wraps [itsm.ErrInvalidConfig] and sends nothing. An audit event and a
// log line are recorded as for the configured operations. Safe for
// concurrent use.
func (c *Connector) Do(ctx context.Context, req Request) (resp Response, err error) {
	start := c.env.Clock.Now()
	op := req.Op
	defer func() { c.record(ctx, op, req.Case, req.Ticket, nil, resp.StatusCode, start, err) }()
	if strings.TrimSpace(string(op)) == "" {
		op = "request"
		return Response{}, &opError{Op: op, Err: fmt.Errorf("%w: the request has no operation name", itsm.ErrInvalidConfig)}
	}
	ep, err := c.rawEndpoint(req)
	if err != nil {
		return Response{}, err
	}
	key := ""
	if req.Case != nil && strings.TrimSpace(req.Case.ID) != "" {
		key = itsm.CorrelationKey(c.cc.cfg.ID, req.Case.ID)
	}
	vals := c.values(req.Case, req.Ticket, nil, key)
	if req.Body != nil {
		vals[rawBodyVar] = template.Raw(string(req.Body))
	}
	res, err := c.do(ctx, ep, vals, true)
	resp = Response{StatusCode: res.status, Header: res.header, Body: res.body}
	if err != nil {
		return resp, err
	}
	if res.bodyErr != nil {
		return resp, c.requireJSON(op, res)
	}
	return resp, nil
}

// rawEndpoint parses req into an endpoint: the URL as a ticket-scope URL
// template, the body as the single raw JSON value of a JSON template.
func (c *Connector) rawEndpoint(req Request) (*endpoint, error) {
	method := methodOr(req.Method, http.MethodGet)
	if !slices.Contains(rawMethods, method) {
		return nil, &opError{Op: req.Op, Err: fmt.Errorf("%w: unsupported method %q", itsm.ErrInvalidConfig, clip.Bytes(method, 20))}
	}
	extra := c.cc.cfg.ExtraVariables
	u, err := template.Parse(req.URL, template.Options{Name: string(req.Op) + ".url", Syntax: template.URL, Known: vars.Known(vars.ScopeTicket, extra...)})
	if err != nil {
		return nil, &opError{Op: req.Op, Err: fmt.Errorf("%w: url: %s", itsm.ErrInvalidConfig, templateMessage(err))}
	}
	ep := &endpoint{op: req.Op, method: method, url: u}
	if req.Body != nil {
		if c.cc.cfg.BodyFormat != BodyJSON {
			return nil, &opError{Op: req.Op, Err: fmt.Errorf("%w: a request body needs body_format json", itsm.ErrInvalidConfig)}
		}
		if !isJSON(req.Body) {
			return nil, &opError{Op: req.Op, Err: fmt.Errorf("%w: the request body is not valid json", itsm.ErrInvalidConfig)}
		}
		ep.payload, err = template.Parse("$"+rawBodyVar, template.Options{Name: string(req.Op) + ".payload", Syntax: template.JSON, Known: []string{rawBodyVar}})
		if err != nil {
			return nil, &opError{Op: req.Op, Err: fmt.Errorf("%w: payload: %s", itsm.ErrInvalidConfig, templateMessage(err))}
		}
	}
	ep.nulls = nullVars(extra, ep.url)
	return ep, nil
}

// Audit records one audit event and log line, through the connector's
// audit sink and logger (none by default), for a step of a provider adapter
// that is not a request of its own: [Connector.Do] already audits every
// request it sends, so Audit is only for a failure decided between requests
// (Jira finding no transition to the target status after a create, for
// instance). err's text is redacted of the config's secrets; a nil err
// records a success. start is when the step began (the duration runs to now
// on the connector's clock); a zero start means now. Safe for concurrent
// use.
func (c *Connector) Audit(ctx context.Context, op itsm.Operation, cs *itsm.Case, t *itsm.Ticket, start time.Time, err error) {
	if start.IsZero() {
		start = c.env.Clock.Now()
	}
	c.record(ctx, op, cs, t, nil, 0, start, err)
}
