package itsmtest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Errors returned by the test helper API.
var (
	// ErrTicketNotFound is a helper call naming a ticket the fake does not
	// hold.
	ErrTicketNotFound = errors.New("itsmtest: ticket not found")
	// ErrUnknownStatus is SetStatus with a status that is not in the fake's
	// workflow (see WithTransitions and WithStatuses).
	ErrUnknownStatus = errors.New("itsmtest: unknown status")
	// ErrNotListening is RefuseConnections or AcceptConnections on a Server
	// made with New, which has no listener of its own.
	ErrNotListening = errors.New("itsmtest: server has no listener")
	// ErrClosed is WaitFor on a closed Server.
	ErrClosed = errors.New("itsmtest: server closed")
)

// DefaultProject is the project key (and so the ticket key prefix) used when
// a create names no project and WithKeyPrefix is not set.
const DefaultProject = "SEC"

// DefaultMaxBodyBytes is the largest request body the fake reads; a larger
// one is answered 413.
const DefaultMaxBodyBytes = 10 << 20

// Option configures a Server.
type Option func(*config)

type config struct {
	basicUser, basicPass string
	basicSet             bool
	bearer               string
	keyPrefix            string
	projects             map[string]bool
	priorities           []string
	transitions          []Transition
	extraStatuses        []StatusDef
	extraFields          map[string]bool
	clock                clock
	baseURL              string
	hook                 func(Event)
	recordLimit          int
	noRecord             bool
	maxBody              int64
}

// WithBasicAuth requires HTTP basic auth with this user and password (Jira
// Cloud: the account e-mail and an API token). With WithBearer too, either
// credential is accepted. Requests without a valid credential get 401.
func WithBasicAuth(user, pass string) Option {
	return func(c *config) { c.basicUser, c.basicPass, c.basicSet = user, pass, true }
}

// WithBearer requires "Authorization: Bearer <token>" (Jira Data Center
// personal access tokens, OAuth2 access tokens). With WithBasicAuth too,
// either credential is accepted. An empty token is ignored.
func WithBearer(token string) Option {
	return func(c *config) { c.bearer = token }
}

// WithKeyPrefix makes every new ticket key start with prefix ("OPS" →
// "OPS-1"), whatever project the create names. By default the key prefix is
// the create's fields.project.key, else [DefaultProject].
func WithKeyPrefix(prefix string) Option {
	return func(c *config) { c.keyPrefix = strings.ToUpper(strings.TrimSpace(prefix)) }
}

// WithProjects restricts creates to these project keys (compared
// case-insensitively); another project is answered 400
// {"errors":{"project":"valid project is required"}}. By default any project
// is accepted.
func WithProjects(keys ...string) Option {
	return func(c *config) {
		c.projects = map[string]bool{}
		for _, k := range keys {
			c.projects[strings.ToUpper(k)] = true
		}
	}
}

// WithPriorities replaces the priority names the fake accepts (compared
// case-insensitively). The default is Jira Cloud's Highest, High, Medium, Low,
// Lowest plus Jira Server's Blocker, Critical, Major, Minor, Trivial.
func WithPriorities(names ...string) Option {
	return func(c *config) { c.priorities = slices.Clone(names) }
}

// WithTransitions replaces the workflow: the transitions every ticket offers
// (the fake's workflow is "global": every transition is available from every
// status) and, through their targets, the statuses tickets can have. The first
// transition's target is the status of a new ticket. The default is
// [DefaultTransitions]. An empty list is ignored.
func WithTransitions(ts ...Transition) Option {
	return func(c *config) {
		if len(ts) > 0 {
			c.transitions = slices.Clone(ts)
		}
	}
}

// WithStatuses adds statuses that no transition reaches but that SetStatus may
// put a ticket in (e.g. "Resolved" on a Server workflow).
func WithStatuses(ss ...StatusDef) Option {
	return func(c *config) { c.extraStatuses = append(c.extraStatuses, ss...) }
}

// WithFields lets creates and updates set these extra field names. The fake
// accepts Jira's common system fields and every "customfield_<n>"; any other
// field is answered 400 "Field 'x' cannot be set. It is not on the
// appropriate screen, or unknown.", as Jira does.
func WithFields(names ...string) Option {
	return func(c *config) {
		if c.extraFields == nil {
			c.extraFields = map[string]bool{}
		}
		for _, n := range names {
			c.extraFields[n] = true
		}
	}
}

// clock is satisfied by itsm.Clock and any fake clock with a Now method.
type clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// WithClock sets the clock for ticket timestamps, webhook timestamps and
// request recording times: any value with a Now() time.Time method, such as
// an itsm.Clock. Nil means the system clock. Faults' delays use real time.
func WithClock(c interface{ Now() time.Time }) Option {
	return func(cfg *config) { cfg.clock = c }
}

// WithBaseURL sets the base URL used in "self" links and webhook payloads,
// for a Server made with New and mounted under the host's own mux. By default
// it is the server's URL (NewServer) or "http://" + the request's Host (New).
func WithBaseURL(u string) Option {
	return func(c *config) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithEventHook calls fn with a Jira-shaped webhook delivery after every change
// to a ticket (created, updated, status changed, comment created, deleted),
// whether the change came through the API or the helper API (SetStatus,
// AddComment, DeleteTicket). fn runs synchronously on the goroutine that made
// the change, outside the fake's locks (it may call the fake), and before the
// HTTP answer is written (or the fault acts); concurrent changes call it
// concurrently. Nil means no hook.
func WithEventHook(fn func(Event)) Option {
	return func(c *config) { c.hook = fn }
}

// WithRecordLimit keeps only the n most recent requests in Requests (n < 1
// means no limit, the default), for long benchmarks.
func WithRecordLimit(n int) Option {
	return func(c *config) { c.recordLimit = n }
}

// WithoutRecording disables request recording (Requests returns nothing);
// counters still count.
func WithoutRecording() Option {
	return func(c *config) { c.noRecord = true }
}

// WithMaxBodyBytes sets the largest request body read (default
// [DefaultMaxBodyBytes]; n < 1 means the default).
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) { c.maxBody = n }
}

// RecordedRequest is one request as the fake received it.
//
// Header is kept raw, Authorization included: this is a test tool, and tests
// assert on the credential the client sent. Do not log recorded requests in
// shared CI output if real credentials were used.
type RecordedRequest struct {
	// Time is when the request arrived (the fake's clock).
	Time time.Time
	// Op is the operation the request asked for ("" for unknown paths).
	Op Op
	// APIVersion is "2" or "3" (or "latest") from the path; "" for unknown
	// paths.
	APIVersion string
	Method     string
	// Path is the URL path; RawQuery the query string without "?".
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	// Fault is the name of the fault served to this request ("" when none).
	Fault string
	// Status is the status code answered; 0 while the request is being
	// served, or when the connection was dropped, reset or left hanging.
	Status int
}

// Query parses RawQuery.
func (r RecordedRequest) Query() url.Values {
	q, _ := url.ParseQuery(r.RawQuery)
	return q
}

func (r RecordedRequest) clone() RecordedRequest {
	r.Header = r.Header.Clone()
	r.Body = slices.Clone(r.Body)
	return r
}

// Server is a fake Jira-like ITSM: an in-memory ticket store behind Jira's
// REST API (v2 and v3), with request recording and scriptable faults. Make
// one with NewServer (listening on 127.0.0.1) or New (a handler to mount).
//
// All methods are safe for concurrent use, with each other and with requests
// being served.
type Server struct {
	cfg     config
	httpSrv *httptest.Server
	ln      *switchListener

	done      chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	tickets     []*Ticket // creation order
	byID        map[string]*Ticket
	byKey       map[string]*Ticket
	nextIssueID int
	nextComment int
	keySeq      map[string]int
	eventSeq    int
	rules       []*faultRule
	records     []*RecordedRequest
	counts      map[Op]int
	waitCh      chan struct{} // closed on the next change; nil when nobody waits
}

// NewServer starts a fake on a loopback port (127.0.0.1) and returns it. Call
// Close when done (t.Cleanup(srv.Close)).
func NewServer(opts ...Option) *Server {
	s := New(opts...)
	hs := httptest.NewUnstartedServer(s)
	s.ln = newSwitchListener(hs.Listener)
	hs.Listener = s.ln
	hs.Start()
	s.httpSrv = hs
	return s
}

// New returns a fake that does not listen: serve it through Handler (or the
// Server itself, an http.Handler) on the host's own server, and Close it to
// release hanging requests. Self links use WithBaseURL, else the request's
// Host.
func New(opts ...Option) *Server {
	cfg := config{
		priorities:  []string{"Highest", "High", "Medium", "Low", "Lowest", "Blocker", "Critical", "Major", "Minor", "Trivial"},
		transitions: DefaultTransitions(),
		clock:       systemClock{},
		maxBody:     DefaultMaxBodyBytes,
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.clock == nil {
		cfg.clock = systemClock{}
	}
	if cfg.maxBody < 1 {
		cfg.maxBody = DefaultMaxBodyBytes
	}
	s := &Server{cfg: cfg, done: make(chan struct{})}
	s.resetLocked()
	return s
}

// URL returns the base URL clients use (e.g. "http://127.0.0.1:41234"); for
// a Server made with New it is the WithBaseURL value, or "".
func (s *Server) URL() string {
	if s.cfg.baseURL != "" {
		return s.cfg.baseURL
	}
	if s.httpSrv != nil {
		return s.httpSrv.URL
	}
	return ""
}

// Client returns an *http.Client for the fake (the httptest client; for a
// Server made with New, http.DefaultClient).
func (s *Server) Client() *http.Client {
	if s.httpSrv != nil {
		return s.httpSrv.Client()
	}
	return http.DefaultClient
}

// Handler returns the fake as an http.Handler to mount on a mux; it expects
// the Jira paths (/rest/api/...) at its root, so strip any mount prefix with
// http.StripPrefix.
func (s *Server) Handler() http.Handler { return s }

// Close releases every hanging request (timeouts, delays), then stops the
// listener and waits for in-flight requests, so no goroutine of the fake
// outlives it. Safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.httpSrv != nil {
			s.httpSrv.Close()
		}
	})
}

// RefuseConnections closes the listening socket so that new connections are
// refused by the kernel (ECONNREFUSED, the "refused" fault: the request
// certainly was not processed), and closes idle keep-alive connections so
// clients cannot slip through them. Requests already in flight finish.
// AcceptConnections listens again on the same address.
//
// A client that still holds a pooled keep-alive connection may try it once
// more before noticing the close, and see EOF rather than "connection
// refused"; call CloseIdleConnections on the client's transport first when a
// test needs a certain refusal.
func (s *Server) RefuseConnections() error {
	if s.ln == nil {
		return ErrNotListening
	}
	s.httpSrv.Config.SetKeepAlivesEnabled(false)
	s.ln.pause()
	return nil
}

// AcceptConnections listens again on the address RefuseConnections closed.
// It fails if another process took the port meanwhile.
func (s *Server) AcceptConnections() error {
	if s.ln == nil {
		return ErrNotListening
	}
	if err := s.ln.resume(); err != nil {
		return fmt.Errorf("itsmtest: listen again: %w", err)
	}
	s.httpSrv.Config.SetKeepAlivesEnabled(true)
	return nil
}

// Reset forgets every ticket, comment, recorded request, counter and queued
// fault, and restarts the id and key sequences; options stay. Requests being
// served at the time finish against the new, empty state.
func (s *Server) Reset() {
	s.mu.Lock()
	s.resetLocked()
	s.mu.Unlock()
}

func (s *Server) resetLocked() {
	s.notifyLocked()
	s.tickets = nil
	s.byID = map[string]*Ticket{}
	s.byKey = map[string]*Ticket{}
	s.nextIssueID = 10001
	s.nextComment = 10100
	s.keySeq = map[string]int{}
	s.eventSeq = 0
	s.rules = nil
	s.records = nil
	s.counts = map[Op]int{}
}

// notifyLocked wakes WaitFor callers. The caller holds s.mu.
func (s *Server) notifyLocked() {
	if s.waitCh != nil {
		close(s.waitCh)
		s.waitCh = nil
	}
}

// WaitFor blocks until cond returns true, re-checking it after every change
// to the fake (a request arriving or finishing, a ticket or comment created,
// changed or deleted, a Reset), without polling. cond runs on the caller's
// goroutine and may call the Server's methods, e.g.
//
//	srv.WaitFor(ctx, func() bool { return srv.CreateCount() == 1 })
//
// It returns ctx's error (wrapped) when ctx ends first, and ErrClosed when the
// server closes first. Use it to act while a request hangs in a fault.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if s.waitCh == nil {
			s.waitCh = make(chan struct{})
		}
		ch := s.waitCh
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("itsmtest: wait: %w", ctx.Err())
		case <-s.done:
			if cond() {
				return nil
			}
			return ErrClosed
		}
	}
}

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.records))
	for i, r := range s.records {
		out[i] = r.clone()
	}
	return out
}

// Count returns how many requests for op the fake received (faulted ones
// included) since it started or was Reset.
func (s *Server) Count(op Op) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// CreateCount is Count(OpCreate).
func (s *Server) CreateCount() int { return s.Count(OpCreate) }

// UpdateCount is Count(OpUpdate).
func (s *Server) UpdateCount() int { return s.Count(OpUpdate) }

// GetCount is Count(OpGet).
func (s *Server) GetCount() int { return s.Count(OpGet) }

// CommentCount is Count(OpComment) (comment posts; listing is OpComments).
func (s *Server) CommentCount() int { return s.Count(OpComment) }

// TransitionCount is Count(OpTransition) (transition posts; listing is
// OpTransitions).
func (s *Server) TransitionCount() int { return s.Count(OpTransition) }

// SearchCount is Count(OpSearch).
func (s *Server) SearchCount() int { return s.Count(OpSearch) }

// Tickets returns a deep copy of every ticket, in creation order.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ticket, len(s.tickets))
	for i, t := range s.tickets {
		out[i] = t.clone()
	}
	return out
}

// Ticket returns a deep copy of the ticket with this key or id (keys compared
// case-insensitively), and false when there is none.
func (s *Server) Ticket(idOrKey string) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findLocked(idOrKey)
	if t == nil {
		return Ticket{}, false
	}
	return t.clone(), true
}

// SetStatus moves a ticket to a status of the workflow (name compared
// case-insensitively), as a person working in Jira would, and fires an
// "jira:issue_updated" event with a status changelog item. It fails with
// ErrTicketNotFound or ErrUnknownStatus.
func (s *Server) SetStatus(idOrKey, status string) error {
	st, ok := s.statusByName(status)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownStatus, status)
	}
	s.mu.Lock()
	t := s.findLocked(idOrKey)
	if t == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrTicketNotFound, idOrKey)
	}
	before := t.clone()
	t.Status = st
	t.Updated = s.cfg.clock.Now()
	s.notifyLocked()
	ev, fire := s.updatedEventLocked(before, t, "issue_generic")
	s.mu.Unlock()
	if fire {
		s.fire(ev)
	}
	return nil
}

// AddComment adds a comment to a ticket as a person in Jira would (plain
// text, stored as a v2 string), fires a "comment_created" event, and returns
// the comment.
func (s *Server) AddComment(idOrKey, text string) (Comment, error) {
	body, _ := json.Marshal(text)
	s.mu.Lock()
	t := s.findLocked(idOrKey)
	if t == nil {
		s.mu.Unlock()
		return Comment{}, fmt.Errorf("%w: %q", ErrTicketNotFound, idOrKey)
	}
	c := s.addCommentLocked(t, body, "2")
	ev := s.commentEventLocked(t, c)
	s.mu.Unlock()
	s.fire(ev)
	return c.clone(), nil
}

// DeleteTicket removes a ticket as a person in Jira would and fires a
// "jira:issue_deleted" event.
func (s *Server) DeleteTicket(idOrKey string) error {
	s.mu.Lock()
	t := s.findLocked(idOrKey)
	if t == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrTicketNotFound, idOrKey)
	}
	ev := s.deleteLocked(t)
	s.mu.Unlock()
	s.fire(ev)
	return nil
}

func (s *Server) findLocked(idOrKey string) *Ticket {
	if t, ok := s.byID[idOrKey]; ok {
		return t
	}
	return s.byKey[strings.ToUpper(idOrKey)]
}

func (s *Server) deleteLocked(t *Ticket) Event {
	s.notifyLocked()
	delete(s.byID, t.ID)
	delete(s.byKey, t.Key)
	s.tickets = slices.DeleteFunc(s.tickets, func(x *Ticket) bool { return x == t })
	return s.deletedEventLocked(t)
}

// ServeHTTP serves the Jira REST API: record, count, fault, authenticate,
// route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := parseRoute(r.Method, r.URL.Path)
	var body []byte
	var readErr error
	if r.Body != nil {
		body, readErr = io.ReadAll(io.LimitReader(r.Body, s.cfg.maxBody+1))
	}
	tooBig := int64(len(body)) > s.cfg.maxBody

	now := s.cfg.clock.Now()
	var rec *RecordedRequest
	s.mu.Lock()
	s.notifyLocked()
	s.counts[rt.op]++
	f, faulted := s.takeFaultLocked(rt.op, r)
	if !s.cfg.noRecord {
		rec = &RecordedRequest{
			Time: now, Op: rt.op, APIVersion: rt.version, Method: r.Method,
			Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: slices.Clone(body),
		}
		if faulted {
			rec.Fault = f.String()
		}
		s.records = append(s.records, rec)
		if s.cfg.recordLimit > 0 && len(s.records) > s.cfg.recordLimit {
			s.records = slices.Delete(s.records, 0, len(s.records)-s.cfg.recordLimit)
		}
	}
	s.mu.Unlock()

	status := s.serve(w, r, rt, body, readErr, tooBig, f, faulted)
	s.mu.Lock()
	if rec != nil && status != 0 {
		rec.Status = status
	}
	s.notifyLocked()
	s.mu.Unlock()
}

// serve runs one request and returns the status written (0 when none).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route, body []byte, readErr error, tooBig bool, f Fault, faulted bool) int {
	if faulted && f.delay > 0 && !s.wait(r.Context(), f.delay) {
		abort(w)
		return 0
	}
	if faulted {
		switch f.kind {
		case kindStatus:
			ctype, b := f.statusBody()
			return s.write(w, response{status: f.status, ctype: ctype, body: b, header: f.header})
		case kindHangBefore:
			s.hang(r.Context())
			abort(w)
			return 0
		case kindDrop:
			abort(w)
			return 0
		}
	}

	var resp response
	var events []Event
	switch {
	case readErr != nil:
		resp = jiraError(http.StatusBadRequest, []string{"The request body could not be read."}, nil)
	case tooBig:
		resp = jiraError(http.StatusRequestEntityTooLarge, []string{"The request body is too large."}, nil)
	case !s.authorized(r):
		resp = jiraError(http.StatusUnauthorized, []string{"You are not authenticated. Authentication required to perform this operation."}, nil)
		resp.header = http.Header{"Www-Authenticate": {`Basic realm="itsmtest"`}}
	default:
		resp, events = s.handle(r, rt, body)
	}
	for _, ev := range events {
		s.fire(ev)
	}
	if !faulted {
		return s.write(w, resp)
	}
	ok := resp.status >= 200 && resp.status < 300
	switch f.kind {
	case kindStatusAfter:
		ctype, b := f.statusBody()
		return s.write(w, response{status: f.status, ctype: ctype, body: b, header: f.header})
	case kindHangAfter:
		s.hang(r.Context())
		abort(w)
		return 0
	case kindResetAfter:
		abort(w)
		return 0
	case kindMalformed:
		if ok {
			resp = malformed(resp)
		}
	case kindMissingID:
		if ok {
			resp.body = removeIDs(resp.body)
		}
	case kindHTMLNoContent:
		if ok {
			resp = response{status: http.StatusNoContent, ctype: "text/html;charset=UTF-8"}
		}
	case kindTextPlain:
		if ok && len(resp.body) > 0 {
			resp.ctype = "text/plain;charset=UTF-8"
		}
	}
	return s.write(w, resp)
}

// wait sleeps d, and reports false when the client gave up or the server
// closed first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// hang blocks until the client gives up or the server closes. The caller
// then aborts the connection: returning normally would make net/http answer
// an empty 200.
func (s *Server) hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.done:
	}
}

// abort closes the connection abruptly: a RST when the connection can be
// hijacked (HTTP/1), else the handler is aborted (the stream is reset).
func abort(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (s *Server) authorized(r *http.Request) bool {
	if !s.cfg.basicSet && s.cfg.bearer == "" {
		return true
	}
	if s.cfg.basicSet {
		if u, p, ok := r.BasicAuth(); ok &&
			subtle.ConstantTimeCompare([]byte(u), []byte(s.cfg.basicUser)) == 1 &&
			subtle.ConstantTimeCompare([]byte(p), []byte(s.cfg.basicPass)) == 1 {
			return true
		}
	}
	if s.cfg.bearer != "" {
		h := r.Header.Get("Authorization")
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[7:])), []byte(s.cfg.bearer)) == 1 {
			return true
		}
	}
	return false
}

func (s *Server) fire(ev Event) {
	if s.cfg.hook != nil && ev.Name != "" {
		s.cfg.hook(ev)
	}
}

// switchListener is a net.Listener whose socket can be closed (connections
// refused) and reopened on the same address without stopping http.Serve.
type switchListener struct {
	mu     sync.Mutex
	cond   *sync.Cond
	addr   net.Addr
	ln     net.Listener // nil while refusing
	closed bool
}

func newSwitchListener(ln net.Listener) *switchListener {
	l := &switchListener{addr: ln.Addr(), ln: ln}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *switchListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		for l.ln == nil && !l.closed {
			l.cond.Wait()
		}
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		ln := l.ln
		l.mu.Unlock()
		c, err := ln.Accept()
		if err == nil {
			return c, nil
		}
		l.mu.Lock()
		switched := l.ln != ln && !l.closed
		l.mu.Unlock()
		if !switched {
			return nil, err
		}
	}
}

func (l *switchListener) pause() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		_ = l.ln.Close()
		l.ln = nil
	}
}

func (l *switchListener) resume() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return net.ErrClosed
	}
	if l.ln != nil {
		return nil
	}
	ln, err := net.Listen(l.addr.Network(), l.addr.String())
	if err != nil {
		return err
	}
	l.ln = ln
	l.cond.Broadcast()
	return nil
}

func (l *switchListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.cond.Broadcast()
	if l.ln != nil {
		err := l.ln.Close()
		l.ln = nil
		return err
	}
	return nil
}

func (l *switchListener) Addr() net.Addr { return l.addr }
