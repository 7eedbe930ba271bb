package httpconn

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/template"
)

// Provider adapters (providers/jira's status transitions, for instance)
// sometimes need a request the Config does not describe. Do sends one
// through the connector itself, so it gets exactly what the configured
// requests get: the allow-list and dial-time address checks, TLS, the proxy,
// authentication (OAuth2 refresh on 401 included), the retry policy of
// [RetryDecision], capped reads, typed and redacted errors, and an audit
// event.

// rawBodyVar is the variable the raw body is passed in; it is not a name a
// URL template may use (see Request.URL).
const rawBodyVar = "itsmsync_raw_body"

// Request is one request a provider adapter sends with [Connector.Do].
type Request struct {
	// Op names the request in errors, logs and audit events, and decides
	// the retry policy ([RetryDecision]): use OpGet for reads, so that they
	// are retried like reads; any other name ("transition") is retried only
	// when the ITSM certainly did not process it. Required.
	Op itsm.Operation
	// Method is GET (default), POST, PUT, PATCH or DELETE.
	Method string
	// URL is a URL template with the variables of [ScopeTicket] (and the
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

// Do renders req.URL, sends req through the connector — its transport,
// authentication, configured headers, network rules, retries and redaction —
// and returns the 2xx response. Every other outcome is an error naming
// req.Op: a non-2xx status is an [*HTTPError] (redacted, capped body), a
// body larger than MaxResponseBytes wraps [ErrInvalidResponse], a bad
// request (unknown method, a URL that does not render or is not allowed, a
// body that is not JSON) wraps [ErrInvalidConfig] and sends nothing. An audit
// event and a log line are recorded as for the configured operations. Safe
// for concurrent use.
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
		return resp, &opError{Op: op, Err: fmt.Errorf("%w: status %d: %s", itsm.ErrInvalidResponse, res.status, c.redactor.String(res.bodyErr.Error()))}
	}
	return resp, nil
}

// rawEndpoint parses req into an endpoint: the URL as a ticket-scope URL
// template, the body as the single raw JSON value of a JSON template.
func (c *Connector) rawEndpoint(req Request) (*endpoint, error) {
	method := methodOr(req.Method, http.MethodGet)
	ok := false
	for _, m := range rawMethods {
		ok = ok || m == method
	}
	if !ok {
		return nil, &opError{Op: req.Op, Err: fmt.Errorf("%w: unsupported method %q", itsm.ErrInvalidConfig, truncate(method, 20))}
	}
	extra := c.cc.cfg.ExtraVariables
	u, err := template.Parse(req.URL, template.Options{Name: string(req.Op) + ".url", Syntax: template.URL, Known: itsm.KnownVariables(itsm.ScopeTicket, extra...)})
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

// Audit records one audit event and log line for an operation a provider
// adapter performed on its own (a status transition after a create, for
// instance), through the connector's audit sink and logger (none by
// default). err's text is redacted of the config's secrets; a nil err
// records a success. start is when the operation began (the duration runs to
// now on the connector's clock); a zero start means now. Safe for concurrent
// use.
func (c *Connector) Audit(ctx context.Context, op itsm.Operation, cs *itsm.Case, t *itsm.Ticket, start time.Time, err error) {
	if start.IsZero() {
		start = c.env.Clock.Now()
	}
	c.record(ctx, op, cs, t, nil, 0, start, err)
}
