package itsm_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// statusErr is a connector error carrying the ITSM's answer, like the HTTP
// connector's *HTTPError.
type statusErr struct {
	op     itsm.Operation
	status int
	unk    bool
	extra  error
}

func (e *statusErr) Error() string {
	return fmt.Sprintf("itsm: %s: status %d", e.op, e.status)
}

func (e *statusErr) HTTPStatus() int { return e.status }

func (e *statusErr) Unwrap() []error {
	var out []error
	if e.unk {
		out = append(out, itsm.ErrOutcomeUnknown)
	}
	if e.extra != nil {
		out = append(out, e.extra)
	}
	return out
}

// A menu of connector failures, each with whether the ITSM applied the
// operation anyway.
var (
	errStatus500     = &statusErr{op: "x", status: 500, unk: true} // not applied
	errStatus400     = &statusErr{op: "x", status: 400}            // not applied, certain
	errStatus429     = &statusErr{op: "x", status: 429}            // not applied, certain
	errReset         = fmt.Errorf("itsm: x: connection reset: %w", itsm.ErrOutcomeUnknown)
	errRefused       = errors.New("itsm: x: connection refused")
	errUnreadable201 = &statusErr{op: "x", status: 201, extra: itsm.ErrInvalidResponse}
)

// fault is one scripted failure: the error returned and whether the fake
// ITSM applied the operation anyway.
type fault struct {
	err   error
	apply bool
}

type fakeTicket struct {
	id, key, corr string
	title         string
	updates       int
	comments      []string
	// markers are the comments' note markers (itsm.NoteMarker), as a
	// connector that can find comments writes them.
	markers []string
}

// fakeConn is a scriptable in-memory ITSM implementing Connector and Finder.
type fakeConn struct {
	mu      sync.Mutex
	tickets map[string]*fakeTicket
	order   []string
	calls   map[itsm.Operation]int
	faults  map[itsm.Operation][]fault
	// findErr, when set, is returned by every Find.
	findErr error
	// hook, when set, runs at the start of every call (outside the lock).
	hook func(op itsm.Operation)
}

func newFakeConn() *fakeConn {
	return &fakeConn{
		tickets: map[string]*fakeTicket{},
		calls:   map[itsm.Operation]int{},
		faults:  map[itsm.Operation][]fault{},
	}
}

func (f *fakeConn) script(op itsm.Operation, fs ...fault) {
	f.mu.Lock()
	f.faults[op] = append(f.faults[op], fs...)
	f.mu.Unlock()
}

// begin counts the call and pops its fault; the caller holds f.mu after.
func (f *fakeConn) begin(op itsm.Operation) (fault, bool) {
	if h := f.hook; h != nil {
		h(op)
	}
	f.mu.Lock()
	f.calls[op]++
	q := f.faults[op]
	if len(q) == 0 {
		return fault{}, false
	}
	f.faults[op] = q[1:]
	if q[0].err == nil { // a pass in the script
		return fault{}, false
	}
	return q[0], true
}

func (f *fakeConn) Create(_ context.Context, req itsm.SyncRequest) (itsm.Ticket, error) {
	ft, faulted := f.begin(itsm.OpCreate)
	defer f.mu.Unlock()
	if faulted && !ft.apply {
		return itsm.Ticket{}, ft.err
	}
	n := len(f.order) + 1
	t := &fakeTicket{id: strconv.Itoa(10000 + n), key: "SEC-" + strconv.Itoa(n), corr: req.CorrelationKey, title: req.Case.Title}
	f.tickets[t.id] = t
	f.order = append(f.order, t.id)
	if faulted {
		return itsm.Ticket{}, ft.err
	}
	return f.view(t), nil
}

func (f *fakeConn) view(t *fakeTicket) itsm.Ticket {
	return itsm.Ticket{ID: t.id, Key: t.key, URL: "https://itsm.example.com/browse/" + t.key}
}

func (f *fakeConn) Update(_ context.Context, t itsm.Ticket, req itsm.SyncRequest) (itsm.Ticket, error) {
	ft, faulted := f.begin(itsm.OpUpdate)
	defer f.mu.Unlock()
	if faulted && !ft.apply {
		return itsm.Ticket{}, ft.err
	}
	ticket, ok := f.tickets[t.ID]
	if !ok {
		return itsm.Ticket{}, &statusErr{op: itsm.OpUpdate, status: 404}
	}
	ticket.updates++
	ticket.title = req.Case.Title
	if faulted {
		return itsm.Ticket{}, ft.err
	}
	return f.view(ticket), nil
}

func (f *fakeConn) Comment(_ context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, error) {
	ft, faulted := f.begin(itsm.OpComment)
	defer f.mu.Unlock()
	if faulted && !ft.apply {
		return itsm.Comment{}, ft.err
	}
	ticket, ok := f.tickets[t.ID]
	if !ok {
		return itsm.Comment{}, &statusErr{op: itsm.OpComment, status: 404}
	}
	ticket.comments = append(ticket.comments, n.Text)
	ticket.markers = append(ticket.markers, itsm.NoteMarker(req.CorrelationKey, n.ID))
	if faulted {
		return itsm.Comment{}, ft.err
	}
	return itsm.Comment{ID: "c" + strconv.Itoa(len(ticket.comments))}, nil
}

func (f *fakeConn) Get(_ context.Context, t itsm.Ticket) (itsm.Ticket, error) {
	_, _ = f.begin(itsm.OpGet)
	defer f.mu.Unlock()
	ticket, ok := f.tickets[t.ID]
	if !ok {
		return itsm.Ticket{}, &statusErr{op: itsm.OpGet, status: 404}
	}
	out := f.view(ticket)
	out.Title = ticket.title
	return out, nil
}

func (f *fakeConn) Find(_ context.Context, req itsm.SyncRequest) ([]itsm.Ticket, error) {
	ft, faulted := f.begin(itsm.OpLookup)
	defer f.mu.Unlock()
	if faulted {
		return nil, ft.err
	}
	if f.findErr != nil {
		return nil, f.findErr
	}
	found := []itsm.Ticket{}
	for _, id := range f.order {
		if t := f.tickets[id]; t.corr == req.CorrelationKey {
			found = append(found, f.view(t))
		}
	}
	return found, nil
}

func (f *fakeConn) count(op itsm.Operation) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeConn) ticketCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.order)
}

// comments returns the comments of the only ticket (nil when none).
func (f *fakeConn) comments() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range f.order {
		out = append(out, f.tickets[id].comments...)
	}
	return out
}

// connOnly hides Find: a connector without a lookup request.
type connOnly struct{ itsm.Connector }

// auditLog collects audit events.
type auditLog struct {
	mu     sync.Mutex
	events []itsm.AuditEvent
}

func (a *auditLog) Record(_ context.Context, e itsm.AuditEvent) {
	a.mu.Lock()
	a.events = append(a.events, e)
	a.mu.Unlock()
}

func (a *auditLog) all() []itsm.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]itsm.AuditEvent(nil), a.events...)
}

func (a *auditLog) ops(op string) []itsm.AuditEvent {
	var out []itsm.AuditEvent
	for _, e := range a.all() {
		if e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}
