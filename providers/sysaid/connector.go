package sysaid

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// DefaultClosePayload is the body of the optional close call
// (ConnectorOptions.CloseWithSolution): the solution text SysAid stores on
// the closed record.
const DefaultClosePayload = `{"solution": "Resolved in the SIEM: $case_name\n$case_url"}`

// ConnectorOptions tune [NewConnector]. The zero value means the defaults.
// It is plain data; persist it next to the itsm.Config when you change it.
type ConnectorOptions struct {
	// LoginURL is where the session is opened (default
	// <server>/api/v1/login, the server taken from the create URL).
	LoginURL string `json:"login_url,omitempty"`
	// AccountID is sent as account_id with the login (on-premises
	// multi-account installations); empty is omitted.
	AccountID string `json:"account_id,omitempty"`
	// RawPassword sends the password as it is. By default it is
	// URL-encoded (UTF-8), as SysAid's REST API documentation asks for the
	// login's password field.
	RawPassword bool `json:"raw_password,omitempty"`
	// CloseWithSolution, when set, follows every update of a resolved or
	// closed case with PUT <CloseURL> (ClosePayload): SysAid's close call,
	// which records a solution. Off by default: the update already sets
	// the closed status id, and the close call is not verified against a
	// live SysAid (see the package documentation).
	CloseWithSolution bool `json:"close_with_solution,omitempty"`
	// CloseURL is the close call's URL template (default
	// <server>/api/v1/sr/$ticket_id/close).
	CloseURL string `json:"close_url,omitempty"`
	// ClosePayload is the close call's JSON template (default
	// [DefaultClosePayload]).
	ClosePayload string `json:"close_payload,omitempty"`
}

// Connector is the SysAid connector: an [itsm.Connector] built from the
// preset's config whose transport logs in to SysAid (POST /api/v1/login with
// the config's basic-auth user and password), sends the JSESSIONID cookie
// with every request instead of an Authorization header, and logs in again
// once when the session has expired (see the session rules on
// [Connector.Create]). All connectors of one Connector share the session.
//
// SysAid's default statuses have no "Resolved": a resolved case whose status
// cfg.StatusMap does not translate is sent as closed.
//
// It implements [itsm.Connector] and [itsm.Finder] and is safe for
// concurrent use.
type Connector struct {
	base    *httpconn.Connector
	closer  *httpconn.Connector // nil unless CloseWithSolution
	state   *sessionState
	raw     http.RoundTripper // session over the base transport, for Subscribe
	server  string            // scheme://host
	cfg     httpconn.Config
	timeout httpconn.Duration
}

var (
	_ itsm.Connector = (*Connector)(nil)
	_ itsm.Finder    = (*Connector)(nil)
)

// NewConnector builds the SysAid connector for cfg (normally from [Preset],
// possibly edited). cfg.Auth must be basic: its username and password are
// the SysAid login. opts inject the clock, logger and audit sink. Errors: the
// config's *itsm.ValidationError, or one naming the option. No network I/O
// happens here: the first request logs in.
func NewConnector(cfg httpconn.Config, o ConnectorOptions, opts ...itsm.Option) (*Connector, error) {
	if cfg.Auth.Type != httpconn.AuthBasic {
		return nil, &itsm.ValidationError{Errors: []itsm.FieldError{{Field: "auth.type",
			Message: "must be basic: the SysAid user name and password the connector logs in with"}}}
	}
	server, err := serverOf(cfg.Create.URL)
	if err != nil {
		return nil, &itsm.ValidationError{Errors: []itsm.FieldError{{Field: "create.url", Message: err.Error()}}}
	}
	loginURL := o.LoginURL
	if loginURL == "" {
		loginURL = server + "/api/v1/login"
	}
	if s, err := serverOf(loginURL); err != nil || s != server {
		return nil, &itsm.ValidationError{Errors: []itsm.FieldError{{Field: "login_url", Message: "must be an absolute URL on the server of the create URL"}}}
	}
	pw := cfg.Auth.Password
	if !o.RawPassword {
		pw = url.QueryEscape(pw)
	}
	if cfg.ID == "" {
		cfg.ID = itsm.NewID()
	}
	state := &sessionState{loginURL: loginURL, user: cfg.Auth.Username, password: pw, accountID: o.AccountID}
	c := &Connector{state: state, server: server, cfg: cfg}
	mw := func(base http.RoundTripper) http.RoundTripper {
		st := &sessionTransport{state: state, base: base}
		if c.raw == nil {
			c.raw = st
		}
		return st
	}
	c.base, err = httpconn.NewWithHooks(cfg, httpconn.Hooks{Middleware: mw}, opts...)
	if err != nil {
		return nil, err
	}
	c.timeout = c.base.Config().Timeouts.Request
	if o.CloseWithSolution {
		cc := cfg
		cc.Update = httpconn.EndpointConfig{Method: http.MethodPut, URL: o.CloseURL, Payload: o.ClosePayload}
		if cc.Update.URL == "" {
			cc.Update.URL = server + "/api/v1/sr/$ticket_id/close"
		}
		if cc.Update.Payload == "" {
			cc.Update.Payload = DefaultClosePayload
		}
		c.closer, err = httpconn.NewWithHooks(cc, httpconn.Hooks{Middleware: func(base http.RoundTripper) http.RoundTripper {
			return &sessionTransport{state: state, base: base}
		}}, opts...)
		if err != nil {
			_ = c.base.Close()
			var ve *itsm.ValidationError
			if errors.As(err, &ve) {
				for i := range ve.Errors {
					ve.Errors[i].Field = strings.Replace(ve.Errors[i].Field, "update.", "close_", 1)
				}
			}
			return nil, err
		}
	}
	return c, nil
}

// serverOf returns scheme://host of an absolute URL template whose host is
// literal.
func serverOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Contains(u.Host, "$") {
		return "", errors.New("must be an absolute http(s) URL with a literal host")
	}
	return u.Scheme + "://" + u.Host, nil
}

// forSysAid returns the case as SysAid gets it: resolved becomes closed when
// the status map has no SysAid status for resolved.
func (c *Connector) forSysAid(cs *itsm.Case) *itsm.Case {
	if cs == nil || cs.Status != itsm.StatusResolved {
		return cs
	}
	m := c.cfg.StatusMap
	if v, ok := m.ToITSM(string(itsm.StatusResolved)); ok && v != "" {
		return cs
	}
	cp := *cs
	cp.Status = itsm.StatusClosed
	return &cp
}

// Create creates the service record. Session rules: the first request logs
// in; a 401 or a redirect to the login page means SysAid did not process
// the request, so it is sent once more after one new login (even a create);
// an HTML page with status 2xx to the create is not re-sent — it may hide a
// created record — and fails with an error wrapping
// [itsm.ErrOutcomeUnknown] (the sync engine then looks the record up by its
// correlation key). A rejected login is an *itsm.HTTPError with status 401
// whose body names the login; it never contains the password.
func (c *Connector) Create(ctx context.Context, req itsm.SyncRequest) (itsm.Ticket, error) {
	req.Case = c.forSysAid(req.Case)
	return c.base.Create(ctx, req)
}

// Update updates the service record's info list; with CloseWithSolution and
// a resolved or closed case it then calls SysAid's close with the solution.
func (c *Connector) Update(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest) (itsm.Ticket, error) {
	req.Case = c.forSysAid(req.Case)
	out, err := c.base.Update(ctx, t, req)
	if err != nil {
		return itsm.Ticket{}, err
	}
	if c.closer != nil && req.Case != nil && req.Case.Status.IsTerminal() {
		if _, err := c.closer.Update(ctx, t, req); err != nil {
			return itsm.Ticket{}, fmt.Errorf("sysaid: close service record: %w", err)
		}
	}
	return out, nil
}

// Comment adds the note to the record's notes (the response carries no
// note id).
func (c *Connector) Comment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, error) {
	req.Case = c.forSysAid(req.Case)
	return c.base.Comment(ctx, t, req, n)
}

// Get reads the record's title and status id.
func (c *Connector) Get(ctx context.Context, t itsm.Ticket) (itsm.Ticket, error) {
	return c.base.Get(ctx, t)
}

// Find searches the records for the case's correlation key.
func (c *Connector) Find(ctx context.Context, req itsm.SyncRequest) (itsm.Ticket, bool, error) {
	req.Case = c.forSysAid(req.Case)
	return c.base.Find(ctx, req)
}

// Check logs in (when needed) and GETs the health URL.
func (c *Connector) Check(ctx context.Context) error { return c.base.Check(ctx) }

// Preview renders every request for case cs without sending anything (see
// [itsm.Connector.Preview]), with the session cookie in place of the
// Authorization header — what SysAid receives. With CloseWithSolution and a
// terminal case, the close call follows the update.
func (c *Connector) Preview(cs itsm.Case, note *itsm.Note, ticket *itsm.Ticket) ([]httpconn.PreviewRequest, error) {
	cs = *c.forSysAid(&cs)
	reqs, err := c.base.Preview(cs, note, ticket)
	if err != nil {
		return nil, err
	}
	if c.closer != nil && cs.Status.IsTerminal() {
		more, err := c.closer.Preview(cs, note, ticket)
		if err != nil {
			return nil, err
		}
		out := make([]httpconn.PreviewRequest, 0, len(reqs)+1)
		for _, r := range reqs {
			out = append(out, r)
			if r.Op == itsm.OpUpdate {
				for _, m := range more {
					if m.Op == itsm.OpUpdate {
						out = append(out, m)
					}
				}
			}
		}
		reqs = out
	}
	for i := range reqs {
		reqs[i].Header.Del("Authorization")
		reqs[i].Header.Set("Cookie", SessionCookie+"="+httpconn.RedactedMarker)
	}
	return reqs, nil
}

// Logins reports how many logins the connector attempted (for metrics).
func (c *Connector) Logins() int { return c.state.loginCount() }

// HTTP returns the underlying HTTP connector.
func (c *Connector) HTTP() *httpconn.Connector { return c.base }

// Close releases idle connections. The session is not logged out (SysAid
// expires it).
func (c *Connector) Close() error {
	errs := []error{c.base.Close()}
	if c.closer != nil {
		errs = append(errs, c.closer.Close())
	}
	return errors.Join(errs...)
}
