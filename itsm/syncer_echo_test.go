package itsm_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/statusmap"
)

// echoStatusMap is lossy, as real maps are: resolved and closed cases are
// both pushed as "Done", and "Done" comes back as closed.
func echoStatusMap() statusmap.Map {
	return statusmap.Map{
		Entries: []statusmap.Entry{
			{ITSM: "Open", Case: "open", Preferred: true},
			{ITSM: "In Progress", Case: "in_progress", Preferred: true},
			{ITSM: "Done", Case: "closed", Preferred: true},
		},
		Outbound: []statusmap.Entry{{ITSM: "Done", Case: "resolved"}},
		Unmapped: statusmap.Ignore,
	}
}

// echoMapper is the outbound side of a statusmap.Map.
type echoMapper struct{ m statusmap.Map }

func (e echoMapper) ITSMStatus(s itsm.Status) string {
	label, _ := e.m.ToITSM(string(s))
	return label
}

func (echoMapper) ITSMPriority(itsm.Severity) string { return "" }

// echoConn is an ITSM that sends the webhook about a change while the
// Syncer's call is still in flight: onUpdate runs inside Update (Request
// Tracker's Scrip fires inside its answer), onComment inside Comment (a
// Jira webhook arriving while a later note is posted).
type echoConn struct {
	mu                  sync.Mutex
	onUpdate, onComment func(ctx context.Context)
	updateErr           error
}

func (c *echoConn) hooks() (func(context.Context), func(context.Context), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.onUpdate, c.onComment, c.updateErr
}

func (c *echoConn) Create(context.Context, itsm.SyncRequest) (itsm.Ticket, error) {
	return itsm.Ticket{ID: "10001", Key: "SEC-1", URL: "https://itsm.example/SEC-1"}, nil
}

func (c *echoConn) Update(ctx context.Context, t itsm.Ticket, _ itsm.SyncRequest) (itsm.Ticket, error) {
	up, _, err := c.hooks()
	if up != nil {
		up(ctx)
	}
	return t, err
}

func (c *echoConn) Comment(ctx context.Context, _ itsm.Ticket, _ itsm.SyncRequest, n itsm.Note) (itsm.Comment, error) {
	_, cm, _ := c.hooks()
	if cm != nil {
		cm(ctx)
	}
	return itsm.Comment{ID: "c-" + n.ID}, nil
}

func (c *echoConn) Get(_ context.Context, t itsm.Ticket) (itsm.Ticket, error) { return t, nil }

// echoUpdater records the changes the inbound side applies to cases.
type echoUpdater struct {
	mu      sync.Mutex
	changes []callback.TicketChange
}

func (u *echoUpdater) ApplyTicketChange(_ context.Context, ch callback.TicketChange) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.changes = append(u.changes, ch)
	return nil
}

func (u *echoUpdater) all() []callback.TicketChange {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]callback.TicketChange(nil), u.changes...)
}

// echoAudit records the inbound audit events.
type echoAudit struct {
	mu     sync.Mutex
	events []itsm.AuditEvent
}

func (a *echoAudit) Record(_ context.Context, e itsm.AuditEvent) {
	if e.Operation != "inbound" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
}

func (a *echoAudit) all() []itsm.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]itsm.AuditEvent(nil), a.events...)
}

// syncAndCooldown is a store without SyncSessionStore: the Syncer makes its
// reads and writes one by one.
type syncAndCooldown struct {
	itsm.SyncStore
	itsm.Cooldown
}

// An ITSM echoes our status change while the sync is still running: inside
// the update call (Request Tracker's Scrip) or while a later note is posted
// (Jira's webhook, about a second later). The status pushed is on the link
// before the update is sent, so the echo is ignored; recorded only at the
// end of the sync, the echo of "Done" would be applied and, the map being
// lossy, turn the resolved case into a closed one.
func TestEchoDuringSyncIsSuppressed(t *testing.T) {
	t.Parallel()
	stores := []struct {
		name string
		// store returns the Syncer's store and config over mem.
		store func(mem *memstore.Store) (itsm.SyncStore, itsm.SyncerConfig)
	}{
		{"session store", func(mem *memstore.Store) (itsm.SyncStore, itsm.SyncerConfig) {
			return mem, itsm.SyncerConfig{}
		}},
		{"no session store", func(mem *memstore.Store) (itsm.SyncStore, itsm.SyncerConfig) {
			return syncAndCooldown{mem, mem}, itsm.SyncerConfig{}
		}},
		{"session store, host cooldown", func(mem *memstore.Store) (itsm.SyncStore, itsm.SyncerConfig) {
			return mem, itsm.SyncerConfig{Cooldown: memstore.New()}
		}},
	}
	for _, st := range stores {
		for _, during := range []string{"update", "note"} {
			t.Run(st.name+"/echo during "+during, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				clock := itsmtest.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
				mem := memstore.New()
				sm := echoStatusMap()
				updater, audit := &echoUpdater{}, &echoAudit{}
				app, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: testIntegration, Store: mem,
					StatusMap: &sm, Updater: updater}, itsm.WithClock(clock), itsm.WithAudit(audit))
				require.NoError(t, err)
				store, cfg := st.store(mem)
				cfg.IntegrationID, cfg.StatusMapper = testIntegration, echoMapper{sm}
				conn := &echoConn{}
				s, err := itsm.NewSyncer(conn, store, cfg, itsm.WithClock(clock))
				require.NoError(t, err)

				c := itsm.Case{ID: "CASE-7", Title: "malware on db-02", Severity: itsm.SeverityHigh, Status: itsm.StatusInProgress}
				res, err := s.Sync(ctx, c, nil)
				require.NoError(t, err)
				require.True(t, res.Created)

				// An hour later the analyst resolves the case: pushed as "Done".
				clock.Advance(time.Hour)
				c.Status = itsm.StatusResolved
				var (
					report    callback.Report
					delivered bool
				)
				deliver := func(ctx context.Context) {
					if delivered {
						return
					}
					delivered = true
					report, err = app.Apply(ctx, "", []callback.Event{{Kind: callback.EventUpdated, TicketID: res.TicketID,
						TicketKey: res.TicketKey, Status: "Done", EventID: "echo-1", OccurredAt: clock.Now()}})
					require.NoError(t, err)
				}
				conn.mu.Lock()
				if during == "update" {
					conn.onUpdate = deliver
				} else {
					conn.onComment = deliver
				}
				conn.mu.Unlock()
				res, err = s.Sync(ctx, c, []itsm.Note{{ID: "n-1", Text: "reimaged db-02"}})
				require.NoError(t, err)
				require.True(t, res.Updated)
				require.True(t, delivered, "the ITSM sent its webhook during the sync")

				require.Len(t, report.Results, 1)
				got := report.Results[0]
				assert.Equal(t, itsm.OutcomeIgnored, got.Outcome, "the echo of our own push: %+v", got)
				assert.Equal(t, "echo of a pushed status", got.Reason)
				assert.Empty(t, updater.all(), "the resolved case is not closed by the echo of its own push")
				events := audit.all()
				require.Len(t, events, 1)
				assert.Equal(t, itsm.OutcomeIgnored, events[0].Outcome)
				assert.Equal(t, "echo of a pushed status", events[0].Reason)

				link, err := mem.GetLink(ctx, testIntegration, c.ID)
				require.NoError(t, err)
				assert.Equal(t, "Done", link.LastPushedStatus)
				assert.True(t, link.Closed)

				// A person's later change in the ITSM is still applied.
				clock.Advance(time.Hour)
				report, err = app.Apply(ctx, "", []callback.Event{{Kind: callback.EventUpdated, TicketID: res.TicketID,
					Status: "In Progress", EventID: "person-1", OccurredAt: clock.Now()}})
				require.NoError(t, err)
				assert.Equal(t, 1, report.Applied)
			})
		}
	}
}

// A failed update leaves the recorded intent: within the echo window an
// inbound change to that same label counts as our echo (it is the status
// the SIEM wanted anyway); the next sync pushes it again.
func TestFailedUpdateKeepsPushedStatus(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"session store", "no session store"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			clock := itsmtest.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
			mem := memstore.New()
			var store itsm.SyncStore = mem
			if name == "no session store" {
				store = syncAndCooldown{mem, mem}
			}
			conn := &echoConn{}
			s, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: testIntegration,
				StatusMapper: echoMapper{echoStatusMap()}}, itsm.WithClock(clock))
			require.NoError(t, err)
			c := itsm.Case{ID: "CASE-8", Title: "t", Status: itsm.StatusInProgress}
			_, err = s.Sync(ctx, c, nil)
			require.NoError(t, err)
			created := clock.Now()

			clock.Advance(time.Hour)
			c.Status = itsm.StatusResolved
			conn.updateErr = errors.New("boom")
			_, err = s.Sync(ctx, c, nil)
			require.Error(t, err)
			link, err := mem.GetLink(ctx, testIntegration, c.ID)
			require.NoError(t, err)
			assert.Equal(t, "Done", link.LastPushedStatus)
			assert.True(t, link.LastPushedAt.Equal(clock.Now()), "recorded before the update: %v", link.LastPushedAt)
			assert.True(t, link.UpdatedAt.Equal(created), "nothing else changed")
			assert.False(t, link.Closed, "closed is recorded only once the update succeeded")
		})
	}
}

// Without a session store, the link is written ahead of the update only
// when the label changes or the recorded push is older than a minute.
func TestPushRecordedWhenNeeded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := itsmtest.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	mem := memstore.New()
	puts := &countingPuts{SyncStore: mem}
	s, err := itsm.NewSyncer(&echoConn{}, syncAndCooldown{puts, mem}, itsm.SyncerConfig{IntegrationID: testIntegration,
		StatusMapper: echoMapper{echoStatusMap()}, CooldownPeriod: itsm.Off}, itsm.WithClock(clock))
	require.NoError(t, err)
	c := itsm.Case{ID: "CASE-9", Title: "t", Status: itsm.StatusInProgress}
	_, err = s.Sync(ctx, c, nil)
	require.NoError(t, err)
	require.Zero(t, puts.n, "a create stores its link with CompletePending")

	steps := []struct {
		name    string
		advance time.Duration
		status  itsm.Status
		puts    int
		at      time.Duration // LastPushedAt after the step, from the create
	}{
		{"same label, fresh", 30 * time.Second, itsm.StatusInProgress, 0, 0},
		{"same label, stale", 31 * time.Second, itsm.StatusInProgress, 1, 61 * time.Second},
		{"new label", time.Second, itsm.StatusOpen, 1, 62 * time.Second},
	}
	start := clock.Now()
	for _, step := range steps {
		puts.n = 0
		clock.Advance(step.advance)
		c.Status = step.status
		res, err := s.Sync(ctx, c, nil)
		require.NoError(t, err, step.name)
		require.True(t, res.Updated, step.name)
		assert.Equal(t, step.puts, puts.n, step.name)
		link, err := mem.GetLink(ctx, testIntegration, c.ID)
		require.NoError(t, err)
		assert.True(t, link.LastPushedAt.Equal(start.Add(step.at)), "%s: %v", step.name, link.LastPushedAt)
	}
}

// countingPuts counts PutLink calls.
type countingPuts struct {
	itsm.SyncStore
	n int
}

func (c *countingPuts) PutLink(ctx context.Context, l itsm.Link) error {
	c.n++
	return c.SyncStore.PutLink(ctx, l)
}
