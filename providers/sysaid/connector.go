package sysaid

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// DefaultClosePayload is the body of the optional close call
// (ConnectorConfig.CloseWithSolution): the solution text SysAid stores on
// the closed record.
const DefaultClosePayload = `{"solution": "Resolved in the SIEM: $case_name\n$case_url"}`

// ConnectorConfig holds the settings of [NewConnector]. The zero value of
// every field means its default. It is plain data; persist it next to the
// httpconn.Config when you change it.
type ConnectorConfig struct {
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
	// AppKey is the application key [Subscribe] authenticates with
	// (SysAid's documented client-credentials flow: key → access token →
	// Bearer). It needs AccountID (sent as [AccountIDHeader]). Without it
	// Subscribe falls back to the session cookie, which SysAid does not
	// document for its /connect API.
	AppKey AppKey `json:"app_key,omitzero"`
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

// Connector is the SysAid connector: an httpconn.Connector built from the
// preset's config whose transport logs in to SysAid (POST /api/v1/login with
// the config's basic-auth user and password), sends the JSESSIONID cookie
// with every request instead of an Authorization header, and logs in again
// once when the session has expired (see the session rules on
// [Connector.Create]). The optional close call shares the session.
//
// SysAid's default statuses have no "Resolved": a resolved case whose status
// cfg.StatusMap does not translate is sent as closed.
//
// It implements itsm.Connector, itsm.Finder and the optional
// itsm.FindCapable, itsm.CallBudgeter and itsm.StatusMapperProvider, and is
// safe for concurrent use.
type Connector struct {
	base      *httpconn.Connector
	closer    *httpconn.Connector // nil unless CloseWithSolution
	state     *sessionState
	raw       http.RoundTripper // session over the base transport, for Subscribe
	plain     http.RoundTripper // the base transport without the session (developer API)
	appKey    AppKey
	accountID string
	clock     itsm.Clock
	server    string // scheme://host
	cfg       httpconn.Config
	timeout   httpconn.Duration
}

var (
	_ itsm.Connector            = (*Connector)(nil)
	_ itsm.Finder               = (*Connector)(nil)
	_ itsm.FindCapable          = (*Connector)(nil)
	_ itsm.CallBudgeter         = (*Connector)(nil)
	_ itsm.StatusMapperProvider = (*Connector)(nil)
)

// NewConnector builds the SysAid connector for cfg (normally from [Preset],
// possibly edited) with the settings of cc. cfg.Auth must be basic: its
// username and password are the SysAid login. opts inject the clock, logger
// and audit sink. An invalid cfg or cc is one *itsm.ValidationError
// (wrapping itsm.ErrInvalidConfig) listing every problem; the close call's
// fields are named after cc's ("close_url", "close_payload"). No network
// I/O happens here: the first request logs in.
func NewConnector(cfg httpconn.Config, cc ConnectorConfig, opts ...itsm.Option) (*Connector, error) {
	var errs []itsm.FieldError
	if cfg.Auth.Type != httpconn.AuthBasic {
		errs = append(errs, itsm.FieldError{Field: "auth.type",
			Message: "must be basic: the SysAid user name and password the connector logs in with"})
	}
	server, serverErr := serverOf(cfg.Create.URL)
	loginURL := cc.LoginURL
	if loginURL == "" && server != "" {
		loginURL = server + "/api/v1/login"
	}
	if s, err := serverOf(loginURL); cc.LoginURL != "" && (err != nil || s != server) {
		errs = append(errs, itsm.FieldError{Field: "login_url", Message: "must be an absolute URL on the server of the create URL"})
	}
	pw := cfg.Auth.Password
	if !cc.RawPassword {
		pw = url.QueryEscape(pw)
	}
	if cfg.ID == "" {
		cfg.ID = itsm.NewID()
	}
	// One session per SysAid login in the process: connectors (and
	// integrations) of the same account share it, and its logins are
	// paced to SysAid's limit.
	state := sharedSession(loginURL, cfg.Auth.Username, pw, cc.AccountID, itsm.NewOptions(opts...).Clock)

	c := &Connector{state: state, server: server, cfg: cfg, appKey: cc.AppKey, accountID: cc.AccountID, clock: itsm.NewOptions(opts...).Clock}
	if (cc.AppKey.ClientID == "") != (cc.AppKey.ClientSecret == "") {
		errs = append(errs, itsm.FieldError{Field: "app_key", Message: "needs both client_id and client_secret"})
	}
	if cc.AppKey.ClientID != "" && strings.TrimSpace(cc.AccountID) == "" {
		errs = append(errs, itsm.FieldError{Field: "account_id", Message: "is required with app_key (sent as " + AccountIDHeader + ")"})
	}
	mw := func(base http.RoundTripper) http.RoundTripper {
		st := &sessionTransport{state: state, base: base}
		if c.raw == nil {
			c.raw, c.plain = st, base
		}
		return st
	}
	var err error
	c.base, err = httpconn.NewWithHooks(cfg, httpconn.Hooks{Middleware: mw}, opts...)
	if errs, err = collect(errs, err, nil); err != nil {
		return nil, err
	}
	if serverErr != nil && !slices.ContainsFunc(errs, func(fe itsm.FieldError) bool { return fe.Field == "create.url" }) {
		errs = append(errs, itsm.FieldError{Field: "create.url", Message: serverErr.Error()})
	}
	if cc.CloseWithSolution {
		closeCfg := cfg
		closeCfg.Update = httpconn.EndpointConfig{Method: http.MethodPut, URL: cc.CloseURL, Payload: cc.ClosePayload}
		if closeCfg.Update.URL == "" {
			closeCfg.Update.URL = server + "/api/v1/sr/$ticket_id/close"
		}
		if closeCfg.Update.Payload == "" {
			closeCfg.Update.Payload = DefaultClosePayload
		}
		c.closer, err = httpconn.NewWithHooks(closeCfg, httpconn.Hooks{Middleware: func(base http.RoundTripper) http.RoundTripper {
			return &sessionTransport{state: state, base: base}
		}}, opts...)
		// The rest of the config was checked above; keep the close call's
		// own problems only, named after the settings that hold them (a
		// default close URL is on the create URL's server, whose problems
		// are the create URL's).
		if errs, err = collect(errs, err, func(fe itsm.FieldError) (itsm.FieldError, bool) {
			if !strings.HasPrefix(fe.Field, "update.") || fe.Field == "update.url" && cc.CloseURL == "" {
				return fe, false
			}
			fe.Field = "close_" + strings.TrimPrefix(fe.Field, "update.")
			return fe, true
		}); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	if len(errs) > 0 {
		_ = c.Close()
		return nil, &itsm.ValidationError{Errors: errs, Component: "sysaid"}
	}
	c.timeout = c.base.Config().Timeouts.Request
	// Session ids are credentials: the connectors redact them from their
	// errors, logs and audit events like the password.
	state.listen(func(v string) {
		c.base.AddSecret(v)
		if c.closer != nil {
			c.closer.AddSecret(v)
		}
	})
	return c, nil
}

// closeError is a failed close call; it wraps the call's error.
type closeError struct{ err error }

// Error reads "sysaid: close service record: <the call's error>", the
// call's own package prefix dropped.
func (e *closeError) Error() string {
	msg := e.err.Error()
	for _, p := range []string{"itsm: ", "httpconn: "} {
		if strings.HasPrefix(msg, p) {
			msg = msg[len(p):]
			break
		}
	}
	return "sysaid: close service record: " + msg
}

func (e *closeError) Unwrap() error { return e.err }

// collect adds the field errors of err (an httpconn constructor's error),
// passed through keep when it is not nil, to errs. Any other error is
// returned as it is.
func collect(errs []itsm.FieldError, err error, keep func(itsm.FieldError) (itsm.FieldError, bool)) ([]itsm.FieldError, error) {
	if err == nil {
		return errs, nil
	}
	var ve *itsm.ValidationError
	if !errors.As(err, &ve) {
		return errs, err
	}
	for _, fe := range ve.Errors {
		if keep != nil {
			var ok bool
			if fe, ok = keep(fe); !ok {
				continue
			}
		}
		errs = append(errs, fe)
	}
	return errs, nil
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
// correlation key). A rejected login is an *httpconn.HTTPError with status 401
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
			return itsm.Ticket{}, &closeError{err}
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

// Find searches the records for the case's correlation key (a free-text
// search) and returns those whose description holds the key as a word.
func (c *Connector) Find(ctx context.Context, req itsm.SyncRequest) ([]itsm.Ticket, error) {
	req.Case = c.forSysAid(req.Case)
	return c.base.Find(ctx, req)
}

// Check logs in (when needed) and GETs the health URL.
func (c *Connector) Check(ctx context.Context) error { return c.base.Check(ctx) }

// Preview renders every request for case cs without sending anything (see
// httpconn.Connector.Preview), with the session cookie in place of the
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

// CanFind reports whether the config has a lookup request
// ([itsm.FindCapable]).
func (c *Connector) CanFind() bool { return c.base.CanFind() }

// MaxCallDuration bounds one call, every attempt, backoff and Retry-After
// wait included ([itsm.CallBudgeter]); itsm.NewSyncer sizes its lease from
// it. A login, and the one re-login after an expired session, run inside
// the attempt that needed them and within its request timeout, so they add
// nothing; with CloseWithSolution an Update is followed by the close call,
// which adds that call's budget.
func (c *Connector) MaxCallDuration() time.Duration {
	d := c.base.MaxCallDuration()
	if c.closer != nil {
		d += c.closer.MaxCallDuration()
	}
	return d
}

// StatusMapper returns the config's status and priority maps
// ([itsm.StatusMapperProvider]), so itsm.NewSyncer records the SysAid
// status each sync pushed and inbound echoes of it are recognised.
func (c *Connector) StatusMapper() itsm.StatusMapper { return c.base.StatusMapper() }

// HTTP returns the underlying HTTP connector, for what the SysAid connector
// does not wrap: its redacted Config, and Do for a SysAid request of your
// own (sent through the session, with the connector's transport, retries
// and audit).
func (c *Connector) HTTP() *httpconn.Connector { return c.base }

// Close releases idle connections. The session is not logged out (SysAid
// expires it).
func (c *Connector) Close() error {
	var errs []error
	if c.base != nil {
		errs = append(errs, c.base.Close())
	}
	if c.closer != nil {
		errs = append(errs, c.closer.Close())
	}
	return errors.Join(errs...)
}
