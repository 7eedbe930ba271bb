package httpconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/itsmsync/itsmsync/internal/bodylimit"
	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/itsmsync/itsmsync/template"
)

// connMaxIdlePerHost is the idle connections the connector's own transport
// keeps per host (net/http's default of 2 halves throughput at 64
// concurrent syncs).
const connMaxIdlePerHost = 64

// maxErrorBodyRead caps how much of an error response is read for its
// snippet; maxDrain how much of an unread body is drained for reuse.
const (
	maxErrorBodyRead = 64 << 10
	maxDrain         = 64 << 10
)

// Connector is the config-driven HTTP connector: it implements
// [itsm.Connector], [itsm.Finder] (Find returns [itsm.ErrNotConfigured] when
// the config has no lookup request; [Connector.CanFind] tells),
// [itsm.CommentFinder] (likewise without a comment lookup;
// [Connector.CanFindComments] tells), [itsm.Targeter],
// [itsm.StatusMapperProvider] and [itsm.CallBudgeter]. Build it with
// [New]. It is safe for concurrent use; Close releases its idle
// connections.
type Connector struct {
	cc        *compiledConfig
	hc        *http.Client
	transport *http.Transport // the connector's own, nil when the host gave one
	auth      authenticator
	redactor  *redact.Redactor
	env       itsm.Options
	mapper    itsm.StatusMapper
	varsFn    func(vars.Input) template.Values
	secretHdr []string // header names to show redacted in previews
}

var (
	_ itsm.Connector = (*Connector)(nil)
	_ itsm.Finder    = (*Connector)(nil)
)

// Hooks plug a provider's quirks into the connector; the zero value plugs
// nothing. Provider presets (Jira, ServiceNow, SysAid) build their
// connectors with [NewWithHooks]; a host rarely needs it.
type Hooks struct {
	// Transport replaces the connector's own transport (SSRF-safe dialing,
	// TLS per Config.TLS, the proxy). The dial-time address checks of the
	// network rules are then the transport's business; the allow-list is
	// still checked before every request and every redirect. go-retryablehttp
	// closes a transport's idle connections when it gives up, so do not
	// share one with unrelated clients.
	Transport http.RoundTripper
	// Middleware wraps the transport (the connector's own, or Transport). It
	// sees every attempt after authentication was applied and before the
	// network; SysAid's session login lives here. The returned RoundTripper
	// must be safe for concurrent use and follow the http.RoundTripper
	// contract (close the request body, never modify the caller's request).
	Middleware func(base http.RoundTripper) http.RoundTripper
	// Variables adds provider-computed variables (the config's
	// ExtraVariables, such as Jira's $description_adf): it is called for
	// every rendering with the standard inputs and its values win. It must
	// be safe for concurrent use.
	Variables func(vars.Input) template.Values
	// StatusMapper replaces the mapping of $itsm_status and $priority
	// (default: the config's StatusMap and PriorityMap).
	StatusMapper itsm.StatusMapper
}

// New validates cfg (returning its *itsm.ValidationError, wrapping
// [itsm.ErrInvalidConfig]), parses its templates once, and builds the
// connector with its own transport (SSRF-safe dialing, TLS per cfg.TLS, the
// proxy, 64 idle connections per host). An empty cfg.ID gets one from
// [itsm.NewID] (persist it: correlation keys and callback tokens refer to
// it). opts inject the clock (audit times, Retry-After dates, retry waits),
// the logger and the audit sink (one event per operation). No network I/O
// happens here.
func New(cfg Config, opts ...itsm.Option) (*Connector, error) {
	return NewWithHooks(cfg, Hooks{}, opts...)
}

// NewWithHooks is [New] with a provider's [Hooks] plugged in.
func NewWithHooks(cfg Config, h Hooks, opts ...itsm.Option) (*Connector, error) {
	if cfg.ID == "" {
		cfg.ID = itsm.NewID()
	}
	cc, errs := cfg.compile()
	if len(errs) > 0 {
		return nil, &itsm.ValidationError{Errors: errs, Component: "httpconn"}
	}
	c := &Connector{cc: cc, env: itsm.NewOptions(opts...), mapper: h.StatusMapper, varsFn: h.Variables}
	if c.mapper == nil {
		c.mapper = newCompiledMapper(cc.statusMap, cc.prioMap)
	}
	cfg = cc.cfg

	rt := h.Transport
	if rt == nil {
		tr, err := buildTransport(cfg.Network, cfg.TLS, connMaxIdlePerHost)
		if err != nil {
			var ve *itsm.ValidationError
			if errors.As(err, &ve) {
				return nil, ve
			}
			return nil, &cleanError{msg: "httpconn: transport: " + bare(err), err: err}
		}
		c.transport = tr
		rt = tr
	}
	if h.Middleware != nil {
		if w := h.Middleware(rt); w != nil {
			rt = w
		}
	}
	c.hc = &http.Client{
		Transport:     rt,
		CheckRedirect: checkRedirect(cfg.Network),
		Timeout:       cfg.Timeouts.Request.D(),
	}

	secrets := secretValues(cfg.Auth, cfg.TLS, cfg.SecretHeaders)
	secrets = append(secrets, cfg.Network.secretValues()...)
	c.redactor = redact.New(secrets...)
	// Token requests (OAuth2) get the same allow-list check as every
	// other request, not only the dial-time address rules.
	auth, err := newAuthenticator(cfg.Auth, guardRoundTripper(cfg.Network, rt))
	if err != nil {
		_ = c.Close()
		return nil, &cleanError{msg: "httpconn: auth: " + bare(err), err: err}
	}
	if o, ok := auth.(*oauth2Auth); ok {
		o.redactor = c.redactor // fetched tokens are redacted like configured secrets
	}
	c.auth = auth
	for _, h := range cc.headers {
		if h.secret {
			c.secretHdr = append(c.secretHdr, h.name)
		}
	}
	return c, nil
}

// MaxCallDuration bounds one call, every attempt, backoff and Retry-After
// wait included ([itsm.CallBudgeter]); the Syncer sizes its lease from it.
func (c *Connector) MaxCallDuration() time.Duration { return httpCallBudget(c.cc.cfg) }

// httpCallBudget bounds one call of the HTTP connector: every attempt plus
// one more (an OAuth2 refresh after a 401) at the request timeout, and a wait
// between attempts of at most the larger of the backoff cap and the
// Retry-After cap.
func httpCallBudget(cfg Config) time.Duration {
	cfg = cfg.WithDefaults()
	attempts := time.Duration(max(cfg.Retry.MaxAttempts, 1))
	wait := max(cfg.Retry.WaitMax.D(), cfg.Retry.MaxRetryAfter.D())
	return (attempts+1)*cfg.Timeouts.Request.D() + (attempts-1)*wait
}

// Config returns the connector's configuration with defaults applied,
// redacted (secrets replaced by [RedactedMarker]).
func (c *Connector) Config() Config { return c.cc.cfg.Redacted() }

// CanFind reports whether the config has a lookup request (Find works).
func (c *Connector) CanFind() bool { return c.cc.lookup.configured() }

// AddSecret makes the connector redact value (and the forms a server may
// echo it in: encoded, escaped) from its errors, log lines and audit events
// from now on, like the secrets of its configuration. It is for credentials
// a [Hooks].Middleware obtains at run time, such as a session id; fetched
// OAuth2 tokens are added by the connector itself. The most recent values
// are kept (16). Safe for concurrent use.
func (c *Connector) AddSecret(value string) { c.redactor.Add(value) }

// Close closes the idle connections of the connector's own transport. The
// connector stays usable (new connections are opened as needed).
func (c *Connector) Close() error {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
	return nil
}

// compiledMapper maps through the config's compiled status and priority
// maps, with the known statuses and severities looked up once.
type compiledMapper struct {
	status, priority *statusmap.Compiled
	statuses         map[itsm.Status]string
	severities       map[itsm.Severity]string
}

func newCompiledMapper(status, priority *statusmap.Compiled) compiledMapper {
	m := compiledMapper{status: status, priority: priority,
		statuses: make(map[itsm.Status]string, len(itsm.Statuses)), severities: make(map[itsm.Severity]string, len(itsm.Severities))}
	for _, s := range itsm.Statuses {
		m.statuses[s], _ = status.ToITSM(string(s))
	}
	for _, s := range itsm.Severities {
		m.severities[s], _ = priority.ToITSM(string(s))
	}
	return m
}

func (m compiledMapper) ITSMStatus(s itsm.Status) string {
	if v, ok := m.statuses[s]; ok {
		return v
	}
	v, _ := m.status.ToITSM(string(s))
	return v
}

func (m compiledMapper) ITSMPriority(s itsm.Severity) string {
	if v, ok := m.severities[s]; ok {
		return v
	}
	v, _ := m.priority.ToITSM(string(s))
	return v
}

// values computes the template variables of one rendering.
func (c *Connector) values(cs *itsm.Case, t *itsm.Ticket, n *itsm.Note, correlationKey string) template.Values {
	in := vars.Input{Case: cs, Ticket: t, Note: n, CorrelationKey: correlationKey}
	if cs != nil {
		in.Priority = c.mapper.ITSMPriority(cs.Severity)
		in.ITSMStatus = c.mapper.ITSMStatus(cs.Status)
	}
	if c.varsFn != nil {
		in.Extra = c.varsFn(in)
	}
	return vars.Values(in)
}

// correlationKey returns req's key, or derives it from the config ID.
func (c *Connector) correlationKey(req itsm.SyncRequest) string {
	if req.CorrelationKey != "" {
		return req.CorrelationKey
	}
	if req.Case == nil {
		return ""
	}
	return itsm.CorrelationKey(c.cc.cfg.ID, req.Case.ID)
}

func checkCase(op itsm.Operation, cs *itsm.Case) error {
	if err := cs.Validate(); err != nil {
		return &opError{Op: op, Err: err} // an *itsm.ValidationError wrapping itsm.ErrInvalidInput
	}
	return nil
}

func checkTicket(op itsm.Operation, t itsm.Ticket) error {
	if strings.TrimSpace(t.ID) == "" {
		return &opError{Op: op, Err: fmt.Errorf("%w: the ticket has no id", itsm.ErrMissingTicketID)}
	}
	return nil
}

// Create renders and sends the create request and returns the ticket: ID
// from the response's TicketIDPath (numbers kept exactly as sent) or the
// Location header, Key from TicketKeyPath, URL from the view URL. An error
// after which the ticket may exist (a 5xx, a timeout after sending, a 2xx
// without a readable id) wraps [itsm.ErrOutcomeUnknown]; a 2xx refused by
// the create's response rules wraps [itsm.ErrRefused] instead (no ticket).
func (c *Connector) Create(ctx context.Context, req itsm.SyncRequest) (t itsm.Ticket, err error) {
	start := c.env.Clock.Now()
	var status int
	defer func() { c.record(ctx, itsm.OpCreate, req.Case, &t, nil, status, start, err) }()
	if err = checkCase(itsm.OpCreate, req.Case); err != nil {
		return itsm.Ticket{}, err
	}
	vals := c.values(req.Case, nil, nil, c.correlationKey(req))
	res, err := c.do(ctx, &c.cc.create, vals, true)
	status = res.status
	if err != nil {
		return itsm.Ticket{}, err
	}
	if err = c.checkResponse(&c.cc.create, res); err != nil {
		return itsm.Ticket{}, err
	}
	t, err = c.ticketFromCreate(res)
	if err != nil {
		return itsm.Ticket{}, err
	}
	t.URL = c.viewURL(vals, t)
	return t, nil
}

// Update renders and sends the update request for t and returns t with its
// view URL. Any 2xx, 204 included, is success, unless the update has
// response rules (SuccessPath, ErrorPath) and its JSON body breaks one: an
// *HTTPError wrapping [itsm.ErrRefused]. Without rules the body is not read.
func (c *Connector) Update(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest) (out itsm.Ticket, err error) {
	start := c.env.Clock.Now()
	var status int
	defer func() { c.record(ctx, itsm.OpUpdate, req.Case, &t, nil, status, start, err) }()
	if err = checkCase(itsm.OpUpdate, req.Case); err != nil {
		return itsm.Ticket{}, err
	}
	if err = checkTicket(itsm.OpUpdate, t); err != nil {
		return itsm.Ticket{}, err
	}
	vals := c.values(req.Case, &t, nil, c.correlationKey(req))
	res, err := c.do(ctx, &c.cc.update, vals, c.cc.update.rules.set())
	status = res.status
	if err != nil {
		return itsm.Ticket{}, err
	}
	if err = c.checkResponse(&c.cc.update, res); err != nil {
		return itsm.Ticket{}, err
	}
	out = t
	if u := c.viewURL(vals, t); u != "" {
		out.URL = u
	}
	return out, nil
}

// Comment posts note n on ticket t. [itsm.ErrNotConfigured] (wrapped) when
// the config has no comment request. The comment id is read from
// CommentIDPath when the response carries it, else from the Location
// header's last path segment; a response with neither is still a success.
// A 2xx whose JSON body breaks the comment's response rules is an
// *HTTPError wrapping [itsm.ErrRefused].
func (c *Connector) Comment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (cm itsm.Comment, err error) {
	start := c.env.Clock.Now()
	var status int
	defer func() { c.record(ctx, itsm.OpComment, req.Case, &t, &n, status, start, err) }()
	if !c.cc.comment.configured() {
		return itsm.Comment{}, &opError{Op: itsm.OpComment, Err: itsm.ErrNotConfigured}
	}
	if err = checkCase(itsm.OpComment, req.Case); err != nil {
		return itsm.Comment{}, err
	}
	if err = checkTicket(itsm.OpComment, t); err != nil {
		return itsm.Comment{}, err
	}
	vals := c.values(req.Case, &t, &n, c.correlationKey(req))
	path := c.cc.cfg.Comment.CommentIDPath
	res, err := c.do(ctx, &c.cc.comment, vals, path != "" || c.cc.comment.rules.set())
	status = res.status
	if err != nil {
		return itsm.Comment{}, err
	}
	if err = c.checkResponse(&c.cc.comment, res); err != nil {
		return itsm.Comment{}, err
	}
	if path != "" && res.bodyErr == nil && isJSON(res.body) {
		cm.ID, _ = scalarAt(res.body, path)
	}
	if cm.ID == "" {
		cm.ID = idFromLocation(res.header.Get("Location"))
	}
	return cm, nil
}

// Get reads ticket t back: Title, Status and StatusCategory from the
// configured paths (empty when a path is unset or absent).
// [itsm.ErrNotConfigured] (wrapped) when the config has no get request; a
// body that is not JSON is [itsm.ErrInvalidResponse].
func (c *Connector) Get(ctx context.Context, t itsm.Ticket) (out itsm.Ticket, err error) {
	start := c.env.Clock.Now()
	var status int
	defer func() { c.record(ctx, itsm.OpGet, nil, &t, nil, status, start, err) }()
	if !c.cc.get.configured() {
		return itsm.Ticket{}, &opError{Op: itsm.OpGet, Err: itsm.ErrNotConfigured}
	}
	if err = checkTicket(itsm.OpGet, t); err != nil {
		return itsm.Ticket{}, err
	}
	vals := c.values(nil, &t, nil, "")
	res, err := c.do(ctx, &c.cc.get, vals, true)
	status = res.status
	if err != nil {
		return itsm.Ticket{}, err
	}
	if err = c.requireJSON(itsm.OpGet, res); err != nil {
		return itsm.Ticket{}, err
	}
	out = t
	g := c.cc.cfg.Get
	if g.TitlePath != "" {
		out.Title, _ = scalarAt(res.body, g.TitlePath)
	}
	if g.StatusPath != "" {
		out.Status, _ = scalarAt(res.body, g.StatusPath)
	}
	if g.StatusCategoryPath != "" {
		out.StatusCategory, _ = scalarAt(res.body, g.StatusCategoryPath)
	}
	if out.URL == "" {
		out.URL = c.viewURL(vals, t)
	}
	return out, nil
}

// result is one finished exchange.
type result struct {
	status  int
	header  http.Header
	body    []byte // nil when not read
	bodyErr error  // reading the 2xx body failed (too large, reset)
	// bodyCut reports that bodyErr is a transport failure (reset, timeout,
	// the caller's context), not a body too large; bodyCtxDone that it was
	// the caller's context.
	bodyCut, bodyCtxDone bool
	attempts             int
	method               string
	u                    *url.URL // cleaned into errors only (cleaning costs regexps)
}

// callState is what the retry hooks of one call share.
type callState struct {
	attempts  int
	refreshed bool
}

// do renders ep with vals, sends it with retries and checks the status. It
// reads the 2xx body when readBody is set. Every error names ep.op.
func (c *Connector) do(ctx context.Context, ep *endpoint, vals template.Values, readBody bool) (result, error) {
	p, err := c.prepare(ep, vals, false)
	if err != nil {
		return result{}, err
	}
	return c.send(ctx, p, readBody)
}

// send sends a prepared request with retries and checks the status. It
// reads the 2xx body when readBody is set. Every error names p.op.
func (c *Connector) send(ctx context.Context, p *prepared, readBody bool) (result, error) {
	res := result{method: p.method}
	rreq, err := retryablehttp.NewRequestWithContext(ctx, p.method, p.url, p.body)
	if err != nil {
		return res, &opError{Op: p.op, Err: fmt.Errorf("%w: rendered URL does not parse", itsm.ErrInvalidConfig)}
	}
	p.u, res.u = rreq.URL, rreq.URL
	if !p.originChecked() {
		if err := checkRequestURL(c.cc.cfg.Network, p.u); err != nil {
			return res, &opError{Op: p.op, Err: err}
		}
	}
	rreq.Header = p.header
	if err := c.auth.apply(ctx, rreq.Request); err != nil {
		return res, &opError{Op: p.op, Err: c.cleanErr(err)}
	}

	st := &callState{}
	cfg := &c.cc.cfg
	rc := &retryablehttp.Client{
		HTTPClient:   c.hc,
		RetryWaitMin: cfg.Retry.WaitMin.D(),
		RetryWaitMax: cfg.Retry.WaitMax.D(),
		RetryMax:     cfg.Retry.MaxAttempts - 1,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			st.attempts++
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			if err == nil && resp != nil && resp.StatusCode == http.StatusUnauthorized {
				if !st.refreshed && c.auth.refresh() {
					st.refreshed = true
					return true, nil
				}
				return false, nil
			}
			retry, _ := retryDecision(p.op, p.method, resp, err)
			return retry, nil
		},
		Backoff: func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
			d := backoff(min, max, cfg.Retry.MaxRetryAfter.D(), attempt, resp, c.env.Clock.Now())
			if resp != nil && resp.StatusCode == http.StatusUnauthorized {
				d = 0
			}
			_ = c.env.Sleep(ctx, d)
			return 0
		},
		PrepareRetry: func(r *http.Request) error {
			return c.auth.apply(r.Context(), r)
		},
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	resp, err := rc.Do(rreq)
	res.attempts = st.attempts
	if err != nil {
		if resp != nil {
			bodylimit.Drain(resp.Body, maxDrain)
			if errors.Is(err, errTooManyRedirects) {
				return res, &HTTPError{Op: p.op, Method: p.method, URL: cleanURL(p.u, c.redactor), StatusCode: resp.StatusCode,
					Attempts: st.attempts, Err: errTooManyRedirects}
			}
		}
		return res, c.transportError(ctx, p, st.attempts, err)
	}
	res.status = resp.StatusCode
	res.header = resp.Header
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := bodylimit.ReadAll(resp.Body, maxErrorBodyRead, resp.ContentLength)
		bodylimit.Drain(resp.Body, maxDrain)
		_, unknown := retryDecision(p.op, p.method, resp, nil)
		he := &HTTPError{Op: p.op, Method: p.method, URL: cleanURL(p.u, c.redactor), StatusCode: resp.StatusCode,
			Body: bodySnippet(body, c.redactor), Attempts: st.attempts}
		if d, ok := retryAfter(resp.Header, c.env.Clock.Now()); ok {
			he.RetryAfter = d
		}
		if unknown {
			he.Err = itsm.ErrOutcomeUnknown
		}
		return res, he
	}
	if readBody && resp.StatusCode != http.StatusNoContent {
		res.body, res.bodyErr = bodylimit.ReadAll(resp.Body, cfg.MaxResponseBytes, resp.ContentLength)
		if res.bodyErr != nil && !errors.Is(res.bodyErr, bodylimit.ErrTooLarge) {
			// The answer was cut off: a transport failure like no answer.
			res.bodyErr, res.bodyCtxDone = noAnswerCause(ctx, res.bodyErr, "timeouts.request", cfg.Timeouts.Request.D())
			res.bodyCut = true
		}
	}
	bodylimit.Drain(resp.Body, maxDrain)
	return res, nil
}

// transportError builds the error of an exchange that got no HTTP
// response. A request the network rules refused and a failed token request
// keep their own types, named by the operation; anything else is a
// *NetworkError (method, cleaned URL, attempts, the cause with secrets
// removed), wrapping itsm.ErrOutcomeUnknown when the ITSM may have
// processed the request, and itsm.ErrUnreachable unless ctx (the caller's)
// ended.
func (c *Connector) transportError(ctx context.Context, p *prepared, attempts int, err error) error {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // url.Error repeats the raw URL
	}
	var (
		hna *HostNotAllowedError
		oe  *OAuth2Error
	)
	switch {
	case errors.As(cause, &hna):
		return &opError{Op: p.op, Err: &cleanError{msg: c.redactor.String(bare(hna)), err: cause}}
	case errors.As(cause, &oe):
		return &opError{Op: p.op, Err: &cleanError{msg: c.redactor.String(bare(oe)), err: cause}}
	}
	_, unknown := retryDecision(p.op, p.method, nil, err)
	cause, done := noAnswerCause(ctx, cause, "timeouts.request", c.cc.cfg.Timeouts.Request.D())
	return &NetworkError{Op: p.op, Method: p.method, URL: cleanURL(p.u, c.redactor), Attempts: attempts,
		OutcomeUnknown: unknown, ContextDone: done, Err: &cleanError{msg: c.redactor.String(bare(cause)), err: cause}}
}

// cleanErr returns err with its message redacted and without its package
// prefix (the chain kept for errors.Is/As).
func (c *Connector) cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &cleanError{msg: c.redactor.String(bare(err)), err: err}
}

// bodyError is the error of a 2xx body that could not be read whole: too
// large (itsm.ErrInvalidResponse), or cut off in transit — then it also
// wraps the cause and itsm.ErrUnreachable, or the caller's ctx.Err() when
// the caller's context ended the read.
func (c *Connector) bodyError(res result) error {
	if !res.bodyCut {
		return fmt.Errorf("%w: %s", itsm.ErrInvalidResponse, c.readError(res.bodyErr))
	}
	cause := &cleanError{msg: c.redactor.String(bare(res.bodyErr)), err: res.bodyErr}
	err := fmt.Errorf("%w: the answer was cut off: %w", itsm.ErrInvalidResponse, cause)
	if res.bodyCtxDone {
		return err
	}
	return join(err, itsm.ErrUnreachable)
}

// readError words a failed read of a 2xx body (too large, cut short),
// without secrets.
func (c *Connector) readError(err error) string {
	if errors.Is(err, bodylimit.ErrTooLarge) {
		return fmt.Sprintf("response body larger than max_response_bytes (%d)", c.cc.cfg.MaxResponseBytes)
	}
	return "reading the response body: " + c.redactor.String(bare(err))
}

// requireJSON checks that a read's 2xx body was read whole and is JSON.
func (c *Connector) requireJSON(op itsm.Operation, res result) error {
	switch {
	case res.bodyErr != nil:
		return &HTTPError{Op: op, Method: res.method, URL: cleanURL(res.u, c.redactor), StatusCode: res.status, Attempts: res.attempts,
			Err: c.bodyError(res)}
	case !isJSON(res.body):
		return &HTTPError{Op: op, Method: res.method, URL: cleanURL(res.u, c.redactor), StatusCode: res.status, Attempts: res.attempts,
			Body: bodySnippet(res.body, c.redactor), Err: fmt.Errorf("%w: body is not JSON", itsm.ErrInvalidResponse)}
	}
	return nil
}

// ticketFromCreate extracts the ticket from a 2xx create response. Failing
// that, the ticket may exist all the same: the error wraps
// ErrOutcomeUnknown too.
func (c *Connector) ticketFromCreate(res result) (itsm.Ticket, error) {
	fail := func(errs ...error) (itsm.Ticket, error) {
		he := &HTTPError{Op: itsm.OpCreate, Method: res.method, URL: cleanURL(res.u, c.redactor), StatusCode: res.status, Attempts: res.attempts,
			Body: bodySnippet(res.body, c.redactor)}
		he.Err = join(append(errs, itsm.ErrOutcomeUnknown)...)
		return itsm.Ticket{}, he
	}
	var t itsm.Ticket
	cfg := c.cc.cfg
	bodyOK := res.bodyErr == nil && isJSON(res.body)
	if bodyOK {
		t.ID, _ = scalarAt(res.body, cfg.TicketIDPath)
		if cfg.TicketKeyPath != "" {
			t.Key, _ = scalarAt(res.body, cfg.TicketKeyPath)
		}
	}
	if t.ID == "" {
		t.ID = idFromLocation(res.header.Get("Location"))
	}
	if t.ID != "" {
		return t, nil
	}
	switch {
	case res.bodyErr != nil:
		return fail(itsm.ErrMissingTicketID, c.bodyError(res))
	case len(res.body) > 0 && !bodyOK:
		return fail(itsm.ErrMissingTicketID, fmt.Errorf("%w: body is not JSON", itsm.ErrInvalidResponse))
	}
	return fail(fmt.Errorf("%w at %q", itsm.ErrMissingTicketID, cfg.TicketIDPath))
}

// viewURL renders the view URL for t (setting $ticket_id and $ticket_key in
// vals, which belong to the calling operation), or "" (a view URL that cannot render
// must not fail an operation that succeeded: it is logged).
func (c *Connector) viewURL(vals template.Values, t itsm.Ticket) string {
	if c.cc.view == nil || t.ID == "" {
		return ""
	}
	v := vals // each call's values are its own: set the ticket in place
	key := t.Key
	if key == "" {
		key = t.ID
	}
	v[vars.TicketID] = template.String(t.ID)
	v[vars.TicketKey] = template.String(key)
	out, err := c.cc.view.Render(withNulls(v, c.cc.viewNulls))
	if err != nil {
		c.env.Logger.Warn("httpconn: view url did not render", "integration_id", c.cc.cfg.ID, "error", templateMessage(err))
		return ""
	}
	return string(out)
}

// record sends the audit event and log line of one operation.
func (c *Connector) record(ctx context.Context, op itsm.Operation, cs *itsm.Case, t *itsm.Ticket, n *itsm.Note, status int, start time.Time, err error) {
	level := slog.LevelDebug
	if err != nil {
		level = slog.LevelWarn
	}
	logging := c.env.Logger.Enabled(ctx, level)
	if c.env.Audit == nil && !logging {
		return
	}
	e := itsm.AuditEvent{Time: start, IntegrationID: c.cc.cfg.ID, Operation: string(op), Outcome: itsm.OutcomeSuccess,
		StatusCode: status, Duration: c.env.Clock.Now().Sub(start)}
	if cs != nil {
		e.CaseID = cs.ID
	}
	if t != nil {
		e.TicketID = t.ID
	}
	if n != nil {
		e.NoteID = n.ID
	}
	if err != nil {
		e.Outcome = itsm.OutcomeFailure
		if errors.Is(err, itsm.ErrOutcomeUnknown) {
			e.Outcome = itsm.OutcomeUnknown
		}
		var he *HTTPError
		if errors.As(err, &he) {
			e.StatusCode = he.StatusCode
		}
		e.Error = c.redactor.String(err.Error())
	}
	c.env.Record(ctx, e)
	if logging {
		if err != nil {
			c.env.Logger.LogAttrs(ctx, slog.LevelWarn, "httpconn: request failed", slog.String("op", string(op)),
				slog.String("integration_id", e.IntegrationID), slog.String("case_id", e.CaseID),
				slog.Int("status", e.StatusCode), slog.String("outcome", string(e.Outcome)), slog.String("error", e.Error))
		} else {
			c.env.Logger.LogAttrs(ctx, slog.LevelDebug, "httpconn: request done", slog.String("op", string(op)),
				slog.String("integration_id", e.IntegrationID), slog.String("case_id", e.CaseID),
				slog.String("ticket_id", e.TicketID), slog.Int("status", e.StatusCode), slog.Duration("duration", e.Duration))
		}
	}
}
