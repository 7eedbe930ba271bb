package callback_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/statusmap"
)

const rcIntegration = "int-reconcile"

var rcEpoch = time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)

// rcClock is a settable clock; its Sleep advances it instead of waiting and
// records each requested duration.
type rcClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
	// frozen: Sleep records but does not advance the clock.
	frozen bool
}

func (c *rcClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *rcClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func (c *rcClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if !c.frozen {
		c.t = c.t.Add(d)
	}
	return nil
}

func (c *rcClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// rcTicket is what the fake ITSM holds for one ticket.
type rcTicket struct {
	status, category string
	err              error
}

// rcConnector is a scriptable TicketGetter.
type rcConnector struct {
	clock *rcClock
	mu    sync.Mutex
	tk    map[string]rcTicket
	calls []string    // ticket ids, in call order
	at    []time.Time // clock at each call
	// onGet, when set, runs inside Get (after the ticket is read), e.g. to
	// deliver a webhook while the GET is in flight.
	onGet func(ctx context.Context, id string)
	// block, when set, makes Get wait for it (or ctx).
	block func(ctx context.Context) error
}

func (c *rcConnector) set(id, status, category string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tk[id] = rcTicket{status: status, category: category}
}

func (c *rcConnector) fail(id string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tk[id] = rcTicket{err: err}
}

func (c *rcConnector) Get(ctx context.Context, t itsm.Ticket) (itsm.Ticket, error) {
	c.mu.Lock()
	c.calls = append(c.calls, t.ID)
	c.at = append(c.at, c.clock.Now())
	tk, ok := c.tk[t.ID]
	onGet, block := c.onGet, c.block
	c.mu.Unlock()
	if block != nil {
		if err := block(ctx); err != nil {
			return itsm.Ticket{}, err
		}
	}
	if onGet != nil {
		onGet(ctx, t.ID)
	}
	switch {
	case !ok:
		return itsm.Ticket{}, fmt.Errorf("itsm: get ticket %s: %w", t.ID, itsm.ErrNotFound)
	case tk.err != nil:
		return itsm.Ticket{}, tk.err
	}
	t.Status, t.StatusCategory = tk.status, tk.category
	return t, nil
}

func (c *rcConnector) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// rcUpdater records applied changes; failNext fails the next calls.
type rcUpdater struct {
	mu       sync.Mutex
	changes  []callback.TicketChange
	failNext int
}

func (u *rcUpdater) ApplyTicketChange(_ context.Context, c callback.TicketChange) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.failNext > 0 {
		u.failNext--
		return errors.New("host database down")
	}
	u.changes = append(u.changes, c)
	return nil
}

func (u *rcUpdater) Changes() []callback.TicketChange {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.changes)
}

type rcAudit struct {
	mu     sync.Mutex
	events []itsm.AuditEvent
}

func (a *rcAudit) Record(_ context.Context, e itsm.AuditEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
}

func (a *rcAudit) Events() []itsm.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.events)
}

type rcEnv struct {
	clock   *rcClock
	store   *memstore.Store
	conn    *rcConnector
	updater *rcUpdater
	audit   *rcAudit
	handler *callback.Handler
	rec     *callback.Reconciler
}

// rcSetup builds a memstore, the real inbound handler (its applier) and a
// reconciler over a fake connector. edit adjusts the reconciler config.
func rcSetup(t testing.TB, edit func(*callback.ReconcilerConfig)) *rcEnv {
	t.Helper()
	clock := &rcClock{t: rcEpoch}
	env := &rcEnv{
		clock:   clock,
		store:   memstore.New(),
		conn:    &rcConnector{clock: clock, tk: map[string]rcTicket{}},
		updater: &rcUpdater{},
		audit:   &rcAudit{},
	}
	sm := statusmap.JiraStatuses()
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: rcIntegration, Store: env.store, StatusMap: &sm,
			Updater: env.updater,
		},
		// Deliveries are applied through h.Applier() below, as ServeHTTP
		// does after verification and parsing.
		Verifier: callback.VerifierFunc(func(*http.Request, []byte) error { return callback.ErrInvalidSignature }),
		Parser:   callback.ParserFunc(func(*http.Request, []byte) ([]callback.Event, error) { return nil, nil }),
	}, itsm.WithClock(clock))
	require.NoError(t, err)
	env.handler = h
	cfg := callback.ReconcilerConfig{
		Applier: h.Applier(), Connector: env.conn,
		RatePerSecond: 1000, Burst: 1000,
	}
	if edit != nil {
		edit(&cfg)
	}
	// The clock is the applier's (the handler's options); the audit sink
	// is the reconciler's own.
	env.rec, err = callback.NewReconciler(cfg, itsm.WithAudit(env.audit))
	require.NoError(t, err)
	return env
}

// link stores a link of case caseID to ticket ticketID.
func (e *rcEnv) link(t testing.TB, caseID, ticketID string, edit func(*itsm.Link)) {
	t.Helper()
	l := itsm.Link{IntegrationID: rcIntegration, CaseID: caseID, TicketID: ticketID, TicketKey: "SEC-" + ticketID,
		CreatedAt: rcEpoch, UpdatedAt: rcEpoch}
	if edit != nil {
		edit(&l)
	}
	require.NoError(t, e.store.PutLink(context.Background(), l))
}

// webhook applies a status change through the handler's apply path.
func (e *rcEnv) webhook(t *testing.T, ticketID, status string, at time.Time) callback.Report {
	t.Helper()
	rep, err := e.handler.Applier().Apply(context.Background(), "", []callback.Event{{
		Kind: callback.EventUpdated, TicketID: ticketID, Status: status, OccurredAt: at,
	}})
	require.NoError(t, err)
	return rep
}

func (e *rcEnv) runOnce(t *testing.T) callback.ReconcileStats {
	t.Helper()
	st, err := e.rec.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, st.Checked, st.Applied+st.Unchanged+st.Ignored+st.Failed, "stats add up: %+v", st)
	return st
}

func TestReconcileMissedWebhookAppliedOnce(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, nil)
	env.link(t, "C-1", "100", nil)
	env.conn.set("100", "In Progress", "indeterminate")

	st := env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Applied: 1}, st)
	changes := env.updater.Changes()
	require.Len(t, changes, 1)
	assert.Equal(t, "C-1", changes[0].CaseID)
	assert.Equal(t, itsm.StatusInProgress, changes[0].Status)
	assert.Equal(t, "In Progress", changes[0].ITSMStatus)
	assert.Equal(t, callback.EventUpdated, changes[0].Kind)
	assert.Zero(t, changes[0].Version)
	assert.Equal(t, rcEpoch, changes[0].OccurredAt, "a poll happens when its GET was sent")

	// The next passes see the same status: nothing is re-applied.
	env.clock.Advance(time.Minute)
	st = env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Unchanged: 1}, st)
	env.clock.Advance(time.Minute)
	env.runOnce(t)
	assert.Len(t, env.updater.Changes(), 1)

	// A later missed change is applied.
	env.clock.Advance(time.Minute)
	env.conn.set("100", "To Do", "new")
	st = env.runOnce(t)
	assert.Equal(t, 1, st.Applied)
	changes = env.updater.Changes()
	require.Len(t, changes, 2)
	assert.Equal(t, itsm.StatusOpen, changes[1].Status)

	ev := env.audit.Events()
	require.Len(t, ev, 4)
	for _, e := range ev {
		assert.Equal(t, "reconcile", e.Operation)
		assert.Equal(t, rcIntegration, e.IntegrationID)
		assert.Equal(t, "C-1", e.CaseID)
		assert.Equal(t, "100", e.TicketID)
	}
	assert.Equal(t, []itsm.Outcome{itsm.OutcomeSuccess, itsm.OutcomeSkipped, itsm.OutcomeSkipped, itsm.OutcomeSuccess},
		[]itsm.Outcome{ev[0].Outcome, ev[1].Outcome, ev[2].Outcome, ev[3].Outcome})
	assert.Equal(t, "status unchanged", ev[1].Reason)
}

func TestReconcileWebhookAlreadyApplied(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, nil)
	env.link(t, "C-1", "100", nil)
	rep := env.webhook(t, "100", "In Progress", rcEpoch.Add(-time.Minute))
	require.Equal(t, 1, rep.Applied)
	env.conn.set("100", "in progress", "") // same label, other spelling

	st := env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Unchanged: 1}, st)
	assert.Len(t, env.updater.Changes(), 1, "only the webhook applied")
}

func TestReconcileOrderingAgainstWebhooks(t *testing.T) {
	t.Parallel()

	t.Run("delayed webhook older than the poll is stale", func(t *testing.T) {
		t.Parallel()
		env := rcSetup(t, nil)
		env.link(t, "C-1", "100", nil)
		env.conn.set("100", "Done", "done")
		env.runOnce(t)
		// A retry of a webhook about an earlier change arrives late.
		rep := env.webhook(t, "100", "In Progress", rcEpoch.Add(-time.Minute))
		assert.Equal(t, 1, rep.Stale)
		changes := env.updater.Changes()
		require.Len(t, changes, 1)
		assert.Equal(t, itsm.StatusClosed, changes[0].Status)
	})

	t.Run("webhook newer than the poll wins", func(t *testing.T) {
		t.Parallel()
		env := rcSetup(t, nil)
		env.link(t, "C-1", "100", nil)
		// The GET reads "In Progress"; meanwhile the ticket moved to Done
		// and that webhook was applied first.
		env.conn.set("100", "In Progress", "")
		env.conn.onGet = func(_ context.Context, id string) {
			env.webhook(t, id, "Done", rcEpoch.Add(time.Second))
		}
		st := env.runOnce(t)
		assert.Equal(t, callback.ReconcileStats{Checked: 1, Unchanged: 1}, st)
		changes := env.updater.Changes()
		require.Len(t, changes, 1)
		assert.Equal(t, itsm.StatusClosed, changes[0].Status, "the poll did not overwrite the newer webhook")
		ev := env.audit.Events()
		require.Len(t, ev, 1)
		assert.Equal(t, itsm.OutcomeStale, ev[0].Outcome)
	})

	t.Run("missed change applies even when the ITSM clock ran ahead", func(t *testing.T) {
		t.Parallel()
		env := rcSetup(t, nil)
		env.link(t, "C-1", "100", nil)
		// The last applied webhook is stamped an hour ahead of our clock.
		env.webhook(t, "100", "In Progress", rcEpoch.Add(time.Hour))
		env.conn.set("100", "Done", "")
		st := env.runOnce(t)
		assert.Equal(t, 1, st.Applied, "the GET was sent after that webhook was applied, so it is newer")
		changes := env.updater.Changes()
		require.Len(t, changes, 2)
		assert.Equal(t, itsm.StatusClosed, changes[1].Status)
	})

	t.Run("versioned webhook state", func(t *testing.T) {
		t.Parallel()
		env := rcSetup(t, nil)
		env.link(t, "C-1", "100", nil)
		_, err := env.handler.Applier().Apply(context.Background(), "", []callback.Event{{
			Kind: callback.EventUpdated, TicketID: "100", Status: "In Progress", Version: 7, OccurredAt: rcEpoch.Add(-time.Hour),
		}})
		require.NoError(t, err)
		env.conn.set("100", "To Do", "")
		assert.Equal(t, 1, env.runOnce(t).Applied)
	})
}

func TestReconcileEchoOfOwnPush(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		pushedAt    time.Time
		pushed      string
		ticket      string
		webhookAt   *time.Time // a webhook applied (at our clock) before the poll
		webhookSays string
		wantApplied int
		wantReason  string
	}{
		{name: "within the echo window", pushedAt: rcEpoch.Add(-time.Minute), pushed: "In Progress", ticket: "In Progress",
			wantReason: "echo of a pushed status"},
		{name: "long after the push", pushedAt: rcEpoch.Add(-48 * time.Hour), pushed: "In Progress", ticket: "In Progress",
			wantReason: "echo of a pushed status"},
		{name: "label mapping to the pushed case status", pushedAt: rcEpoch.Add(-time.Hour), pushed: "Done", ticket: "Closed",
			wantReason: "echo of a pushed status"},
		{name: "changed back on the ITSM after the push", pushedAt: rcEpoch.Add(-time.Hour), pushed: "In Progress", ticket: "In Progress",
			webhookAt: new(rcEpoch.Add(-time.Minute)), webhookSays: "To Do", wantApplied: 1, wantReason: "missed change applied"},
		{name: "another status than pushed", pushedAt: rcEpoch.Add(-time.Minute), pushed: "In Progress", ticket: "Done",
			wantApplied: 1, wantReason: "missed change applied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := rcSetup(t, nil)
			env.link(t, "C-1", "100", func(l *itsm.Link) { l.LastPushedStatus, l.LastPushedAt = tt.pushed, tt.pushedAt })
			if tt.webhookAt != nil {
				// Applied at our clock's webhookAt, after the push.
				env.clock.mu.Lock()
				env.clock.t = *tt.webhookAt
				env.clock.mu.Unlock()
				env.webhook(t, "100", tt.webhookSays, *tt.webhookAt)
				env.clock.mu.Lock()
				env.clock.t = rcEpoch
				env.clock.mu.Unlock()
			}
			before := len(env.updater.Changes())
			env.conn.set("100", tt.ticket, "")
			st := env.runOnce(t)
			assert.Equal(t, tt.wantApplied, st.Applied)
			assert.Equal(t, 1-tt.wantApplied, st.Unchanged)
			assert.Len(t, env.updater.Changes(), before+tt.wantApplied)
			ev := env.audit.Events()
			require.Len(t, ev, 1)
			assert.Equal(t, tt.wantReason, ev[0].Reason)
		})
	}
}

func TestReconcileClosedLinks(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, nil)
	env.link(t, "C-1", "100", func(l *itsm.Link) { l.Closed = true })
	env.link(t, "C-2", "200", nil)
	env.conn.set("100", "To Do", "")
	env.conn.set("200", "Done", "done")

	st := env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Applied: 1, Closed: 1}, st)
	assert.Equal(t, []string{"200"}, env.conn.Calls(), "the closed link is never read")

	// The ticket reached a terminal status: its link is now closed too.
	l, err := env.store.GetLink(context.Background(), rcIntegration, "C-2")
	require.NoError(t, err)
	assert.True(t, l.Closed)
	assert.Equal(t, callback.ReconcileStats{}, env.runOnce(t))
	assert.Len(t, env.conn.Calls(), 1)
}

func TestReconcileKeepTerminalOpen(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, func(c *callback.ReconcilerConfig) { c.KeepTerminalOpen = true })
	env.link(t, "C-2", "200", nil)
	env.conn.set("200", "Done", "done")
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Applied: 1}, env.runOnce(t))
	l, err := env.store.GetLink(context.Background(), rcIntegration, "C-2")
	require.NoError(t, err)
	assert.False(t, l.Closed)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Unchanged: 1}, env.runOnce(t))
}

func TestReconcileFailuresCountedAndPassContinues(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, func(c *callback.ReconcilerConfig) { c.Concurrency = 1 })
	for i, id := range []string{"100", "200", "300", "400"} {
		env.link(t, fmt.Sprintf("C-%d", i+1), id, nil)
	}
	env.conn.set("100", "In Progress", "")
	env.conn.fail("200", &httpconn.HTTPError{Op: itsm.OpGet, Method: "GET", URL: "https://itsm.example.com/issue/200",
		StatusCode: 502, Body: "Authorization: Bearer abcdefgh12345678secret"})
	env.conn.fail("300", errors.New("itsm: get: dial tcp: connection refused; token=s3cr3t-t0ken-value"))
	env.conn.set("400", "To Do", "")

	st := env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 4, Applied: 2, Failed: 2}, st)
	assert.Equal(t, []string{"100", "200", "300", "400"}, env.conn.Calls())

	var failures []itsm.AuditEvent
	for _, e := range env.audit.Events() {
		if e.Outcome == itsm.OutcomeFailure {
			failures = append(failures, e)
		}
	}
	require.Len(t, failures, 2)
	assert.Equal(t, 502, failures[0].StatusCode)
	for _, e := range failures {
		assert.Equal(t, "reconcile", e.Operation)
		assert.Equal(t, "get ticket failed", e.Reason)
		assert.NotEmpty(t, e.Error)
		assert.NotContains(t, e.Error, "abcdefgh12345678secret")
		assert.NotContains(t, e.Error, "s3cr3t-t0ken-value")
	}

	// The ITSM recovers: the next pass applies what failed.
	env.conn.set("200", "Done", "")
	env.conn.set("300", "In Progress", "")
	st = env.runOnce(t)
	assert.Equal(t, 2, st.Applied)
	assert.Equal(t, 2, st.Unchanged)
}

func TestReconcileUpdaterFailureRetriedNextPass(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, nil)
	env.link(t, "C-1", "100", nil)
	env.conn.set("100", "In Progress", "")
	env.updater.failNext = 1
	st := env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Failed: 1}, st)
	ev := env.audit.Events()
	require.Len(t, ev, 1)
	assert.Equal(t, "apply failed", ev[0].Reason)
	assert.Contains(t, ev[0].Error, "change not applied")

	st = env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Applied: 1}, st)
	assert.Len(t, env.updater.Changes(), 1)
}

func TestReconcileIgnored(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, nil)
	env.link(t, "C-1", "100", nil)
	env.link(t, "C-2", "200", nil)
	env.conn.set("100", "Waiting for vendor", "") // unmapped, no category
	env.conn.set("200", "", "")                   // the get request has no status path
	st := env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 2, Ignored: 2}, st)
	assert.Empty(t, env.updater.Changes())
	reasons := []string{}
	for _, e := range env.audit.Events() {
		assert.Equal(t, itsm.OutcomeIgnored, e.Outcome)
		reasons = append(reasons, e.Reason)
	}
	slices.Sort(reasons)
	assert.Equal(t, []string{"no status in ticket", "unmapped status"}, reasons)
}

func TestReconcilePagination(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, func(c *callback.ReconcilerConfig) { c.PageSize = 2; c.Concurrency = 3 })
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("%d", 100+i)
		env.link(t, fmt.Sprintf("C-%02d", i), id, func(l *itsm.Link) { l.Closed = i == 3 })
		env.conn.set(id, "In Progress", "")
		if i != 3 {
			want = append(want, id)
		}
	}
	st := env.runOnce(t)
	assert.Equal(t, callback.ReconcileStats{Checked: 6, Applied: 6}, st)
	got := env.conn.Calls()
	slices.Sort(got)
	assert.Equal(t, want, got, "every open link read exactly once")
}

func TestReconcileBoundedConcurrency(t *testing.T) {
	t.Parallel()
	const workers = 3
	env := rcSetup(t, func(c *callback.ReconcilerConfig) { c.Concurrency = workers })
	for i := range 9 {
		id := fmt.Sprintf("%d", 100+i)
		env.link(t, fmt.Sprintf("C-%d", i), id, nil)
		env.conn.set(id, "In Progress", "")
	}
	var (
		mu       sync.Mutex
		inFlight int
		maxSeen  int
		full     = make(chan struct{})
		fullOnce sync.Once
	)
	env.conn.block = func(ctx context.Context) error {
		mu.Lock()
		inFlight++
		maxSeen = max(maxSeen, inFlight)
		if inFlight == workers {
			fullOnce.Do(func() { close(full) })
		}
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		// Every GET waits until all workers were busy at once: this only
		// finishes if the pass really runs `workers` GETs concurrently.
		select {
		case <-full:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a deadlock guard, not a timing assertion
	defer cancel()
	st, err := env.rec.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 9, st.Applied)
	assert.Equal(t, workers, maxSeen, "never more GETs at once than Concurrency")
}

func TestReconcileRateLimit(t *testing.T) {
	t.Parallel()

	t.Run("sequential", func(t *testing.T) {
		t.Parallel()
		env := rcSetup(t, func(c *callback.ReconcilerConfig) { c.Concurrency = 1; c.RatePerSecond = 2; c.Burst = 1 })
		for i := range 5 {
			id := fmt.Sprintf("%d", 100+i)
			env.link(t, fmt.Sprintf("C-%d", i), id, nil)
			env.conn.set(id, "In Progress", "")
		}
		env.runOnce(t)
		half := 500 * time.Millisecond
		assert.Equal(t, []time.Duration{half, half, half, half}, env.clock.Sleeps(), "the first GET uses the burst, then one per 1/rate")
		env.conn.mu.Lock()
		at := slices.Clone(env.conn.at)
		env.conn.mu.Unlock()
		require.Len(t, at, 5)
		for i := 1; i < len(at); i++ {
			assert.Equal(t, half, at[i].Sub(at[i-1]), "GET %d", i)
		}
		// The limiter spans passes: the next pass waits for its first GET.
		env.runOnce(t)
		assert.Len(t, env.clock.Sleeps(), 9)
	})

	t.Run("concurrent workers share the limit", func(t *testing.T) {
		t.Parallel()
		env := rcSetup(t, func(c *callback.ReconcilerConfig) { c.Concurrency = 4; c.RatePerSecond = 4; c.Burst = 2 })
		env.clock.frozen = true // every reservation is made at the same instant
		for i := range 6 {
			id := fmt.Sprintf("%d", 100+i)
			env.link(t, fmt.Sprintf("C-%d", i), id, nil)
			env.conn.set(id, "In Progress", "")
		}
		env.runOnce(t)
		sleeps := env.clock.Sleeps()
		slices.Sort(sleeps)
		q := 250 * time.Millisecond
		assert.Equal(t, []time.Duration{q, 2 * q, 3 * q, 4 * q}, sleeps, "burst 2, then one GET per 250ms")
	})
}

func TestReconcileContextCancelStopsPromptly(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, func(c *callback.ReconcilerConfig) { c.Concurrency = 2 })
	for i := range 50 {
		id := fmt.Sprintf("%d", 100+i)
		env.link(t, fmt.Sprintf("C-%02d", i), id, nil)
		env.conn.set(id, "In Progress", "")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	env.conn.block = func(ctx context.Context) error {
		// The first GET cancels the pass and hangs until the pass lets go.
		once.Do(cancel)
		<-ctx.Done()
		return ctx.Err()
	}
	st, err := env.rec.RunOnce(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, st.Failed, "a canceled GET is not a failure")
	assert.LessOrEqual(t, len(env.conn.Calls()), 2, "no GET started after the cancel beyond those in flight")
	assert.Empty(t, env.updater.Changes())
}

func TestReconcileRun(t *testing.T) {
	t.Parallel()
	var (
		passes []callback.ReconcileStats
		env    *rcEnv
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env = rcSetup(t, func(c *callback.ReconcilerConfig) {
		c.Interval = time.Minute
		c.OnPass = func(s callback.ReconcileStats, err error) {
			assert.NoError(t, err)
			passes = append(passes, s)
			switch len(passes) {
			case 1:
				env.conn.set("100", "Done", "") // changed while nobody listened
			case 3:
				cancel()
			}
		}
	})
	env.link(t, "C-1", "100", nil)
	env.conn.set("100", "In Progress", "")

	err := env.rec.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, passes, 3)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Applied: 1}, passes[0])
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Applied: 1, Closed: 1}, passes[1])
	assert.Equal(t, callback.ReconcileStats{}, passes[2], "closed link skipped")
	assert.Equal(t, []time.Duration{time.Minute, time.Minute}, env.clock.Sleeps(), "the interval between passes")
	assert.Equal(t, rcEpoch.Add(2*time.Minute), env.clock.Now())
}

// failingListStore fails ListLinks.
type failingListStore struct{ *memstore.Store }

func (failingListStore) ListLinks(context.Context, string, string, int, bool) ([]itsm.Link, error) {
	return nil, errors.New("database is locked")
}

func TestReconcileStoreFailure(t *testing.T) {
	t.Parallel()
	sm := statusmap.JiraStatuses()
	a, err := callback.NewApplier(callback.ApplierConfig{
		IntegrationID: rcIntegration, Store: failingListStore{memstore.New()}, StatusMap: &sm, Updater: &rcUpdater{},
	})
	require.NoError(t, err)
	r, err := callback.NewReconciler(callback.ReconcilerConfig{Applier: a, Connector: &rcConnector{clock: &rcClock{}}})
	require.NoError(t, err)
	_, err = r.RunOnce(context.Background())
	require.ErrorIs(t, err, itsm.ErrStore)
	assert.Contains(t, err.Error(), "database is locked")
}

func TestReconcilerConfigValidate(t *testing.T) {
	t.Parallel()
	err := callback.ReconcilerConfig{Interval: itsm.Off, Concurrency: -1, RatePerSecond: -1, Burst: -1, PageSize: -1}.Validate()
	fes := requireInvalidConfig(t, err, "reconciler configuration", "applier", "connector", "concurrency", "rate_per_second", "burst", "page_size")
	for _, fe := range fes {
		assert.NotEqual(t, "interval", fe.Field, "a negative interval turns Run's passes off")
	}
	_, err = callback.NewReconciler(callback.ReconcilerConfig{})
	requireInvalidConfig(t, err, "reconciler configuration", "applier", "connector")
}

// TestReconcileIntervalOff: with Interval itsm.Off, Run polls nothing until
// its context ends, and RunOnce still polls on demand.
func TestReconcileIntervalOff(t *testing.T) {
	t.Parallel()
	passes := 0
	env := rcSetup(t, func(c *callback.ReconcilerConfig) {
		c.Interval = itsm.Off
		c.OnPass = func(callback.ReconcileStats, error) { passes++ }
	})
	env.link(t, "C-1", "100", nil)
	env.conn.set("100", "Done", "")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.rec.Run(ctx) }()
	st, err := env.rec.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, callback.ReconcileStats{Checked: 1, Applied: 1, Closed: 1}, st)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, []string{"100"}, env.conn.Calls(), "only RunOnce read the ticket")
	assert.Zero(t, passes)
	assert.Empty(t, env.clock.Sleeps())
}

// TestReconcilerOptions: the reconciler uses the applier's clock, logger
// and audit sink unless its own options set others.
func TestReconcilerOptions(t *testing.T) {
	t.Parallel()
	for _, own := range []bool{false, true} {
		t.Run(fmt.Sprintf("own audit %v", own), func(t *testing.T) {
			t.Parallel()
			store := memstore.New()
			require.NoError(t, store.PutLink(context.Background(), itsm.Link{IntegrationID: rcIntegration, CaseID: "C-1", TicketID: "100"}))
			clock := &rcClock{t: rcEpoch}
			conn := &rcConnector{clock: clock, tk: map[string]rcTicket{"100": {status: "Done"}}}
			sm := statusmap.JiraStatuses()
			applierAudit, ownAudit := &rcAudit{}, &rcAudit{}
			a, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: rcIntegration, Store: store, StatusMap: &sm, Updater: &rcUpdater{}},
				itsm.WithClock(clock), itsm.WithAudit(applierAudit))
			require.NoError(t, err)
			var opts []itsm.Option
			if own {
				opts = append(opts, itsm.WithAudit(ownAudit))
			}
			r, err := callback.NewReconciler(callback.ReconcilerConfig{Applier: a, Connector: conn}, opts...)
			require.NoError(t, err)
			_, err = r.RunOnce(context.Background())
			require.NoError(t, err)
			got, other := applierAudit.Events(), ownAudit.Events()
			if own {
				got, other = other, got
			}
			require.Len(t, got, 1)
			assert.Empty(t, other)
			assert.Equal(t, "reconcile", got[0].Operation)
			assert.Equal(t, rcEpoch, got[0].Time, "the applier's clock")
		})
	}
}

// A reconciler shares the inbound handler's applier and polls the linked,
// open tickets through the connector's Get.

// listHookStore runs after once, right after the first ListLinks: a sync
// changing the links between the listing and the polls.
type listHookStore struct {
	*memstore.Store
	once  sync.Once
	after func()
}

func (s *listHookStore) ListLinks(ctx context.Context, integ, afterCase string, limit int, openOnly bool) ([]itsm.Link, error) {
	page, err := s.Store.ListLinks(ctx, integ, afterCase, limit, openOnly)
	s.once.Do(s.after)
	return page, err
}

func TestReconcileRereadsLinkAfterListing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &listHookStore{Store: memstore.New()}
	for i, id := range []string{"100", "200", "300"} {
		require.NoError(t, store.PutLink(ctx, itsm.Link{IntegrationID: rcIntegration, CaseID: fmt.Sprintf("C-%d", i+1), TicketID: id}))
	}
	store.after = func() {
		// C-1: a sync pushed "In Progress" (long enough ago that only the
		// reconciler's own echo rule can tell). C-2: unlinked. C-3: closed.
		l, err := store.GetLink(ctx, rcIntegration, "C-1")
		require.NoError(t, err)
		l.LastPushedStatus, l.LastPushedAt = "In Progress", rcEpoch.Add(-time.Hour)
		require.NoError(t, store.PutLink(ctx, l))
		require.NoError(t, store.DeleteLink(ctx, rcIntegration, "C-2"))
		l, err = store.GetLink(ctx, rcIntegration, "C-3")
		require.NoError(t, err)
		l.Closed = true
		require.NoError(t, store.PutLink(ctx, l))
	}
	clock := &rcClock{t: rcEpoch}
	conn := &rcConnector{clock: clock, tk: map[string]rcTicket{
		"100": {status: "In Progress"}, "200": {status: "Done"}, "300": {status: "Done"},
	}}
	upd := &rcUpdater{}
	sm := statusmap.JiraStatuses()
	a, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: rcIntegration, Store: store, StatusMap: &sm, Updater: upd}, itsm.WithClock(clock))
	require.NoError(t, err)
	audit := &rcAudit{}
	r, err := callback.NewReconciler(callback.ReconcilerConfig{Applier: a, Connector: conn, Concurrency: 1},
		itsm.WithClock(clock), itsm.WithAudit(audit))
	require.NoError(t, err)

	st, err := r.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, callback.ReconcileStats{Checked: 3, Unchanged: 1, Ignored: 2}, st)
	assert.Equal(t, []string{"100"}, conn.Calls(), "unlinked and closed links are not read")
	assert.Empty(t, upd.Changes())
	var reasons []string
	for _, e := range audit.Events() {
		reasons = append(reasons, e.CaseID+": "+e.Reason)
	}
	assert.Equal(t, []string{"C-1: echo of a pushed status", "C-2: link gone", "C-3: link closed"}, reasons)
}
