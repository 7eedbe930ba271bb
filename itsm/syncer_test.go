package itsm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

const testIntegration = "int-test"

type harness struct {
	t      *testing.T
	conn   *fakeConn
	store  *memstore.Store
	clock  *fakeClock
	audit  *auditLog
	syncer *itsm.Syncer
}

func newHarness(t *testing.T, cfg itsm.SyncerConfig, opts ...itsm.Option) *harness {
	t.Helper()
	h := &harness{t: t, conn: newFakeConn(), store: memstore.New(), clock: newFakeClock(), audit: &auditLog{}}
	h.syncer = h.newSyncer(h.conn, cfg, opts...)
	return h
}

// newSyncer builds another Syncer (replica) on the harness's store and clock.
func (h *harness) newSyncer(conn itsm.Connector, cfg itsm.SyncerConfig, opts ...itsm.Option) *itsm.Syncer {
	h.t.Helper()
	if cfg.IntegrationID == "" {
		cfg.IntegrationID = testIntegration
	}
	base := []itsm.Option{itsm.WithClock(h.clock), itsm.WithAudit(h.audit)}
	s, err := itsm.NewSyncer(conn, h.store, cfg, append(base, opts...)...)
	require.NoError(h.t, err)
	return s
}

func testCase(id string) itsm.Case {
	return itsm.Case{ID: id, Title: "Brute force on vpn-gw-01", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen,
		Description: "payload-marker-description"}
}

func notes(texts ...string) []itsm.Note {
	out := make([]itsm.Note, len(texts))
	for i, s := range texts {
		out[i] = itsm.Note{ID: "n" + string(rune('1'+i)), Text: s}
	}
	return out
}

func TestSyncCreatesThenUpdatesAfterCooldown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	ctx := context.Background()
	c := testCase("CASE-1")
	start := h.clock.Now()

	res, err := h.syncer.Sync(ctx, c, nil)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.False(t, res.Updated)
	assert.Equal(t, "10001", res.TicketID)
	assert.Equal(t, "SEC-1", res.TicketKey)
	assert.Equal(t, "https://itsm.example.com/browse/SEC-1", res.URL)
	assert.Equal(t, start.Add(itsm.DefaultCooldownPeriod), res.NextSyncAt)

	link, err := h.store.GetLink(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "10001", link.TicketID)
	_, err = h.store.GetPending(ctx, testIntegration, c.ID)
	assert.ErrorIs(t, err, itsm.ErrNotFound, "the pending create is gone once linked")

	// Inside the cooldown: refused at once with the time left.
	h.clock.Advance(4 * time.Minute)
	_, err = h.syncer.Sync(ctx, c, nil)
	var ce *itsm.CooldownError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, itsm.ErrCoolingDown)
	assert.Equal(t, 6*time.Minute, ce.Remaining)
	assert.Equal(t, start.Add(10*time.Minute), ce.Until)
	assert.Equal(t, 1, h.conn.count(itsm.OpCreate))
	assert.Equal(t, 0, h.conn.count(itsm.OpUpdate))

	// After the cooldown: the linked ticket is updated.
	h.clock.Advance(6 * time.Minute)
	c.Title = "Brute force on vpn-gw-01 (contained)"
	res, err = h.syncer.Sync(ctx, c, nil)
	require.NoError(t, err)
	assert.False(t, res.Created)
	assert.True(t, res.Updated)
	assert.Equal(t, "10001", res.TicketID)
	assert.Equal(t, 1, h.conn.ticketCount())
	assert.Equal(t, 1, h.conn.count(itsm.OpUpdate))
}

func TestSyncCooldownPeriodOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		period time.Duration
		wait   time.Duration
		want   error
	}{
		{"custom period still cooling", time.Minute, 59 * time.Second, itsm.ErrCoolingDown},
		{"custom period ended", time.Minute, time.Minute, nil},
		{"default period", 0, 9 * time.Minute, itsm.ErrCoolingDown},
		{"disabled", itsm.Off, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{CooldownPeriod: tt.period})
			c := testCase("CASE-1")
			res, err := h.syncer.Sync(context.Background(), c, nil)
			require.NoError(t, err)
			if tt.period < 0 {
				assert.True(t, res.NextSyncAt.IsZero())
			}
			h.clock.Advance(tt.wait)
			_, err = h.syncer.Sync(context.Background(), c, nil)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestSyncRejectsBadInput(t *testing.T) {
	t.Parallel()
	good := testCase("CASE-1")
	tests := []struct {
		name   string
		c      itsm.Case
		notes  []itsm.Note
		fields []string
	}{
		{"missing case id and title", itsm.Case{}, nil, []string{"case.id", "case.title"}},
		{"unknown severity", itsm.Case{ID: "c", Title: "t", Severity: "urgent"}, nil, []string{"case.severity"}},
		{"note without id", good, []itsm.Note{{Text: "x"}}, []string{"notes[0].id"}},
		{"duplicate note ids", good, []itsm.Note{{ID: "a"}, {ID: "b"}, {ID: "a"}}, []string{"notes[2].id"}},
		{"everything at once", itsm.Case{Status: "weird"}, []itsm.Note{{}}, []string{"case.id", "case.title", "case.status", "notes[0].id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			_, err := h.syncer.Sync(context.Background(), tt.c, tt.notes)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Field)
			}
			assert.Equal(t, tt.fields, got)
			assert.Zero(t, h.conn.count(itsm.OpCreate)+h.conn.count(itsm.OpComment))
		})
	}
}

// blockingCreate makes the fake's create wait until released, and reports
// when it has started.
func blockingCreate(conn *fakeConn) (started <-chan struct{}, release func()) {
	st := make(chan struct{})
	rel := make(chan struct{})
	var first atomic.Bool
	conn.hook = func(op itsm.Operation) {
		if op == itsm.OpCreate && first.CompareAndSwap(false, true) {
			close(st)
			<-rel
		}
	}
	return st, func() { close(rel) }
}

func TestSyncInFlightGuard(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	replica := h.newSyncer(h.conn, itsm.SyncerConfig{Holder: "replica-b"})
	ctx := context.Background()
	c := testCase("CASE-1")
	started, release := blockingCreate(h.conn)

	done := make(chan error, 1)
	go func() {
		_, err := h.syncer.Sync(ctx, c, notes("first"))
		done <- err
	}()
	<-started

	st, err := h.syncer.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, itsm.PhaseInFlight, st.Phase)
	assert.False(t, st.Enabled)

	// Concurrent syncs of the same case, in this process and on another
	// replica, are refused at once while the first one runs.
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		s := h.syncer
		if i%2 == 1 {
			s = replica
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Sync(ctx, c, notes("first"))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		var ie *itsm.InProgressError
		require.ErrorAs(t, err, &ie)
		assert.ErrorIs(t, err, itsm.ErrInProgress)
		assert.ErrorIs(t, err, itsm.ErrLeaseHeld)
		assert.Equal(t, h.clock.Now().Add(itsm.DefaultLeaseTTL), ie.Until)
	}
	// Another case is not blocked.
	_, err = replica.Sync(ctx, testCase("CASE-2"), nil)
	require.NoError(t, err)

	release()
	require.NoError(t, <-done)
	assert.Equal(t, 2, h.conn.count(itsm.OpCreate))
	assert.Equal(t, []string{"first"}, h.conn.comments())
	st, err = h.syncer.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, itsm.PhaseCoolingDown, st.Phase)
	assert.Len(t, h.audit.ops("sync"), 22)
	skipped := 0
	for _, e := range h.audit.ops("sync") {
		if e.Outcome == itsm.OutcomeSkipped {
			skipped++
			assert.Equal(t, "in progress", e.Reason)
		}
	}
	assert.Equal(t, 20, skipped)
}

// crashingStore simulates a replica that dies right after its create reached
// the ITSM: nothing after that is recorded and its lease is never released.
type crashingStore struct {
	storetest.Store
	mu      sync.Mutex
	crashed bool
}

var errCrashed = errors.New("process died")

func (s *crashingStore) crash() {
	s.mu.Lock()
	s.crashed = true
	s.mu.Unlock()
}

func (s *crashingStore) dead() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.crashed
}

func (s *crashingStore) CompletePending(ctx context.Context, l itsm.Link) error {
	if s.dead() {
		return errCrashed
	}
	return s.Store.CompletePending(ctx, l)
}

func (s *crashingStore) UpdatePending(ctx context.Context, p itsm.PendingCreate) error {
	if s.dead() {
		return errCrashed
	}
	return s.Store.UpdatePending(ctx, p)
}

func (s *crashingStore) ReleaseLease(ctx context.Context, key, holder string) error {
	if s.dead() {
		return nil
	}
	return s.Store.ReleaseLease(ctx, key, holder)
}

func TestSyncCrashedHolder(t *testing.T) {
	t.Parallel()
	for _, withFinder := range []bool{true, false} {
		name := "with finder"
		if !withFinder {
			name = "without finder"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			ctx := context.Background()
			c := testCase("CASE-1")
			dying := &crashingStore{Store: h.store}
			var conn itsm.Connector = h.conn
			if !withFinder {
				conn = connOnly{h.conn}
			}
			crashed, err := itsm.NewSyncer(conn, dying, itsm.SyncerConfig{IntegrationID: testIntegration, Cooldown: h.store, Holder: "replica-a"}, itsm.WithClock(h.clock))
			require.NoError(t, err)
			h.conn.hook = func(op itsm.Operation) {
				if op == itsm.OpCreate {
					dying.crash() // dies while the create is applied
				}
			}
			_, err = crashed.Sync(ctx, c, nil)
			require.Error(t, err)
			h.conn.hook = nil
			require.Equal(t, 1, h.conn.ticketCount())

			survivor := h.newSyncer(conn, itsm.SyncerConfig{Holder: "replica-b"})
			_, err = survivor.Sync(ctx, c, notes("n"))
			require.ErrorIs(t, err, itsm.ErrInProgress, "the dead replica's lease still holds")

			h.clock.Advance(itsm.DefaultLeaseTTL)
			res, err := survivor.Sync(ctx, c, notes("n"))
			if withFinder {
				require.NoError(t, err)
				assert.True(t, res.Recovered)
				assert.True(t, res.Updated)
				assert.False(t, res.Created)
				assert.Equal(t, "10001", res.TicketID)
			} else {
				var na *itsm.NeedsAttentionError
				require.ErrorAs(t, err, &na)
				assert.Equal(t, itsm.PendingInFlight, na.Pending.State)
				require.NoError(t, survivor.Resolve(ctx, c.ID, itsm.Ticket{ID: "10001", Key: "SEC-1"}))
				res, err = survivor.Sync(ctx, c, notes("n"))
				require.NoError(t, err)
				assert.True(t, res.Updated)
			}
			assert.Equal(t, 1, h.conn.ticketCount(), "never a second ticket")
			assert.Equal(t, []string{"n"}, h.conn.comments())
		})
	}
}

func TestSyncNotesPostedOnceInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	ctx := context.Background()
	c := testCase("CASE-1")
	t0 := h.clock.Now()
	first := []itsm.Note{
		{ID: "late", Text: "third", CreatedAt: t0.Add(2 * time.Minute)},
		{ID: "early", Text: "first", CreatedAt: t0},
		{ID: "same-a", Text: "second-a", CreatedAt: t0.Add(time.Minute)},
		{ID: "same-b", Text: "second-b", CreatedAt: t0.Add(time.Minute)},
	}
	res, err := h.syncer.Sync(ctx, c, first)
	require.NoError(t, err)
	assert.Equal(t, 4, res.NotesPosted)
	assert.Equal(t, []string{"first", "second-a", "second-b", "third"}, h.conn.comments())

	posted, err := h.store.PostedNotes(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	require.Len(t, posted, 4)
	assert.Equal(t, "10001", posted["early"].TicketID)
	assert.NotEmpty(t, posted["early"].CommentID)
	assert.Len(t, posted["early"].TextHash, 64)

	h.clock.Advance(itsm.DefaultCooldownPeriod)
	more := append(first, itsm.Note{ID: "new", Text: "fourth", CreatedAt: t0.Add(3 * time.Minute)})
	res, err = h.syncer.Sync(ctx, c, more)
	require.NoError(t, err)
	assert.Equal(t, 1, res.NotesPosted)
	assert.Equal(t, 4, res.NotesSkipped)
	assert.Equal(t, []string{"first", "second-a", "second-b", "third", "fourth"}, h.conn.comments())
}

func TestSyncPartialFailureConverges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		op   itsm.Operation
		f    fault
	}{
		{"comment 500 not applied", itsm.OpComment, fault{err: errStatus500}},
		{"comment 429", itsm.OpComment, fault{err: errStatus429}},
		{"comment refused", itsm.OpComment, fault{err: errRefused}},
		{"comment reset after apply", itsm.OpComment, fault{err: errReset, apply: true}},
		{"comment 2xx unreadable", itsm.OpComment, fault{err: errUnreadable201, apply: true}},
		{"update 500", itsm.OpUpdate, fault{err: errStatus500}},
		{"update reset after apply", itsm.OpUpdate, fault{err: errReset, apply: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			ctx := context.Background()
			c := testCase("CASE-1")
			var ns []itsm.Note
			if tt.op == itsm.OpUpdate {
				// The first sync creates; the fault hits the next one.
				_, err := h.syncer.Sync(ctx, c, nil)
				require.NoError(t, err)
				h.clock.Advance(itsm.DefaultCooldownPeriod)
			}
			ns = notes("a", "b", "c")
			// Let the first comment through, fault the second.
			if tt.op == itsm.OpComment {
				h.conn.script(itsm.OpComment, fault{}, tt.f)
			} else {
				h.conn.script(tt.op, tt.f)
			}
			res, err := h.syncer.Sync(ctx, c, ns)
			if tt.f.apply && tt.op == itsm.OpComment {
				// Posted (or maybe posted): recorded, no retry needed.
				require.NoError(t, err)
				assert.Equal(t, 3, res.NotesPosted)
			} else {
				require.Error(t, err)
				assert.Equal(t, "10001", res.TicketID, "the result names the ticket")
				st, serr := h.syncer.State(ctx, c.ID)
				require.NoError(t, serr)
				assert.Equal(t, itsm.PhaseIdle, st.Phase, "a failed sync starts no cooldown")
				assert.True(t, st.Linked)
				assert.Equal(t, "10001", st.TicketID)
				res, err = h.syncer.Sync(ctx, c, ns)
				require.NoError(t, err)
			}
			assert.Equal(t, 1, h.conn.ticketCount())
			assert.Equal(t, []string{"a", "b", "c"}, h.conn.comments(), "every note once, in order")
			if errors.Is(tt.f.err, errReset) && tt.op == itsm.OpComment {
				assert.Equal(t, []string{"n2"}, res.NotesUnconfirmed)
			}
		})
	}
}

func TestSyncUnknownOutcomeCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		f       fault
		finder  bool
		wantErr error
	}{
		{"applied, found by lookup", fault{err: errReset, apply: true}, true, itsm.ErrOutcomeUnknown},
		{"not applied, not found, created again", fault{err: errStatus500}, true, itsm.ErrOutcomeUnknown},
		{"missing id after apply", fault{err: errors.Join(itsm.ErrMissingTicketID, itsm.ErrOutcomeUnknown), apply: true}, true, itsm.ErrOutcomeUnknown},
		{"certain failure deletes the pending", fault{err: errStatus400}, true, nil},
		{"refused: certain", fault{err: errRefused}, false, nil},
		{"applied, no finder", fault{err: errReset, apply: true}, false, itsm.ErrOutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			ctx := context.Background()
			c := testCase("CASE-1")
			s := h.syncer
			if !tt.finder {
				s = h.newSyncer(connOnly{h.conn}, itsm.SyncerConfig{})
			}
			h.conn.script(itsm.OpCreate, tt.f)
			_, err := s.Sync(ctx, c, notes("x"))
			require.Error(t, err)
			p, perr := h.store.GetPending(ctx, testIntegration, c.ID)
			if tt.wantErr == nil {
				assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown)
				assert.ErrorIs(t, perr, itsm.ErrNotFound, "a certain failure leaves nothing pending")
				_, err = s.Sync(ctx, c, notes("x"))
				require.NoError(t, err)
				assert.Equal(t, 1, h.conn.ticketCount())
				return
			}
			var ue *itsm.OutcomeUnknownError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, itsm.CorrelationKey(testIntegration, c.ID), ue.CorrelationKey)
			require.NoError(t, perr)
			assert.Equal(t, itsm.PendingUnknown, p.State)
			assert.NotEmpty(t, p.LastError)

			if !tt.finder {
				_, err = s.Sync(ctx, c, notes("x"))
				var na *itsm.NeedsAttentionError
				require.ErrorAs(t, err, &na)
				assert.ErrorIs(t, err, itsm.ErrNeedsAttention)
				assert.Contains(t, err.Error(), ue.CorrelationKey)
				st, err := s.State(ctx, c.ID)
				require.NoError(t, err)
				assert.Equal(t, itsm.PhaseNeedsAttention, st.Phase)
				assert.False(t, st.Enabled)
				require.NotNil(t, st.Pending)
				assert.Equal(t, 1, h.conn.count(itsm.OpCreate), "never creates blindly")
				require.NoError(t, s.Resolve(ctx, c.ID, itsm.Ticket{ID: "10001", Key: "SEC-1"}))
				res, err := s.Sync(ctx, c, notes("x"))
				require.NoError(t, err)
				assert.True(t, res.Updated)
				assert.Equal(t, 1, h.conn.ticketCount())
				assert.Equal(t, []string{"x"}, h.conn.comments())
				return
			}
			if !tt.f.apply {
				// Within the lookup grace a miss may be index lag: no create.
				_, err = s.Sync(ctx, c, notes("x"))
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, h.clock.Now().Add(itsm.DefaultLookupGrace), ue.RetryAt)
				assert.Equal(t, 1, h.conn.count(itsm.OpCreate))
			}
			h.clock.Advance(itsm.DefaultLookupGrace)
			res, err := s.Sync(ctx, c, notes("x"))
			require.NoError(t, err)
			assert.Equal(t, tt.f.apply, res.Recovered)
			assert.Equal(t, !tt.f.apply, res.Created)
			assert.Equal(t, 1, h.conn.ticketCount(), "exactly one ticket")
			assert.Equal(t, []string{"x"}, h.conn.comments())
			_, perr = h.store.GetPending(ctx, testIntegration, c.ID)
			assert.ErrorIs(t, perr, itsm.ErrNotFound)
		})
	}
}

func TestSyncLookupFailures(t *testing.T) {
	t.Parallel()
	t.Run("lookup error keeps the pending", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, itsm.SyncerConfig{})
		ctx := context.Background()
		c := testCase("CASE-1")
		h.conn.script(itsm.OpCreate, fault{err: errReset, apply: true})
		h.conn.script(itsm.OpLookup, fault{err: errStatus500})
		_, err := h.syncer.Sync(ctx, c, nil)
		require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
		_, err = h.syncer.Sync(ctx, c, nil)
		require.Error(t, err)
		_, perr := h.store.GetPending(ctx, testIntegration, c.ID)
		require.NoError(t, perr)
		res, err := h.syncer.Sync(ctx, c, nil)
		require.NoError(t, err)
		assert.True(t, res.Recovered)
		assert.Equal(t, 1, h.conn.ticketCount())
	})
	t.Run("lookup not configured needs attention, ClearPending allows a create", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, itsm.SyncerConfig{})
		ctx := context.Background()
		c := testCase("CASE-1")
		h.conn.findErr = fmt.Errorf("itsm: lookup: %w", itsm.ErrNotConfigured)
		h.conn.script(itsm.OpCreate, fault{err: errStatus500})
		_, err := h.syncer.Sync(ctx, c, nil)
		require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
		_, err = h.syncer.Sync(ctx, c, nil)
		require.ErrorIs(t, err, itsm.ErrNeedsAttention)
		require.NoError(t, h.syncer.ClearPending(ctx, c.ID))
		res, err := h.syncer.Sync(ctx, c, nil)
		require.NoError(t, err)
		assert.True(t, res.Created)
		assert.Equal(t, 1, h.conn.ticketCount())
	})
}

func TestSyncEditedNotePolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy itsm.EditedNotePolicy
		want   []string
	}{
		{"ignore (default)", itsm.EditedNotesIgnore, []string{"orig"}},
		{"repost", itsm.EditedNotesRepost, []string{"orig", itsm.EditedNotePrefix + "fixed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{EditedNotes: tt.policy, CooldownPeriod: itsm.Off})
			ctx := context.Background()
			c := testCase("CASE-1")
			_, err := h.syncer.Sync(ctx, c, notes("orig"))
			require.NoError(t, err)
			for range 2 { // the edit is posted at most once
				res, err := h.syncer.Sync(ctx, c, notes("fixed"))
				require.NoError(t, err)
				assert.Equal(t, res.NotesPosted, res.NotesReposted)
			}
			assert.Equal(t, tt.want, h.conn.comments())
		})
	}
}

func TestSyncNotesNotConfigured(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	h.conn.script(itsm.OpComment, fault{err: errors.Join(errors.New("itsm: comment: no notes request"), itsm.ErrNotConfigured)})
	res, err := h.syncer.Sync(context.Background(), testCase("CASE-1"), notes("a", "b"))
	require.NoError(t, err)
	assert.Equal(t, 2, res.NotesSkipped)
	assert.Zero(t, res.NotesPosted)
	assert.False(t, res.NextSyncAt.IsZero())
}

// failingStore fails one method with a store error.
type failingStore struct {
	storetest.Store
	cool   itsm.Cooldown
	method string
}

var errDisk = errors.New("disk on fire")

func (f *failingStore) fail(m string) error {
	if f.method == m {
		return errDisk // deliberately not wrapping ErrStore: the engine must
	}
	return nil
}

func (f *failingStore) GetLink(ctx context.Context, i, c string) (itsm.Link, error) {
	if err := f.fail("GetLink"); err != nil {
		return itsm.Link{}, err
	}
	return f.Store.GetLink(ctx, i, c)
}

func (f *failingStore) GetPending(ctx context.Context, i, c string) (itsm.PendingCreate, error) {
	if err := f.fail("GetPending"); err != nil {
		return itsm.PendingCreate{}, err
	}
	return f.Store.GetPending(ctx, i, c)
}

func (f *failingStore) CreatePending(ctx context.Context, p itsm.PendingCreate) error {
	if err := f.fail("CreatePending"); err != nil {
		return err
	}
	return f.Store.CreatePending(ctx, p)
}

func (f *failingStore) CompletePending(ctx context.Context, l itsm.Link) error {
	if err := f.fail("CompletePending"); err != nil {
		return err
	}
	return f.Store.CompletePending(ctx, l)
}

func (f *failingStore) PostedNotes(ctx context.Context, i, c string) (map[string]itsm.PostedNote, error) {
	if err := f.fail("PostedNotes"); err != nil {
		return nil, err
	}
	return f.Store.PostedNotes(ctx, i, c)
}

func (f *failingStore) MarkNotePosted(ctx context.Context, n itsm.PostedNote) error {
	if err := f.fail("MarkNotePosted"); err != nil {
		return err
	}
	return f.Store.MarkNotePosted(ctx, n)
}

func (f *failingStore) AcquireLease(ctx context.Context, k, h string, now time.Time, ttl time.Duration) (itsm.Lease, error) {
	if err := f.fail("AcquireLease"); err != nil {
		return itsm.Lease{}, err
	}
	return f.Store.AcquireLease(ctx, k, h, now, ttl)
}

func (f *failingStore) ReleaseLease(ctx context.Context, k, h string) error {
	if err := f.fail("ReleaseLease"); err != nil {
		return err
	}
	return f.Store.ReleaseLease(ctx, k, h)
}

func (f *failingStore) CooldownUntil(ctx context.Context, k string, now time.Time) (time.Time, error) {
	if err := f.fail("CooldownUntil"); err != nil {
		return time.Time{}, err
	}
	return f.cool.CooldownUntil(ctx, k, now)
}

func (f *failingStore) StartCooldown(ctx context.Context, k string, until time.Time) error {
	if err := f.fail("StartCooldown"); err != nil {
		return err
	}
	return f.cool.StartCooldown(ctx, k, until)
}

func (f *failingStore) TryStartCooldown(ctx context.Context, k string, now, until time.Time) (bool, time.Time, error) {
	return f.cool.TryStartCooldown(ctx, k, now, until)
}

func (f *failingStore) ClearCooldown(ctx context.Context, k string) error {
	return f.cool.ClearCooldown(ctx, k)
}

func TestSyncReturnsStoreErrors(t *testing.T) {
	t.Parallel()
	for _, m := range []string{"GetLink", "GetPending", "CreatePending", "CompletePending", "PostedNotes",
		"MarkNotePosted", "AcquireLease", "ReleaseLease", "CooldownUntil", "StartCooldown"} {
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			fs := &failingStore{Store: h.store, cool: h.store, method: m}
			s2, err := itsm.NewSyncer(h.conn, fs, itsm.SyncerConfig{IntegrationID: testIntegration}, itsm.WithClock(h.clock))
			require.NoError(t, err)
			res, err := s2.Sync(context.Background(), testCase("CASE-1"), notes("a"))
			require.Error(t, err)
			assert.ErrorIs(t, err, itsm.ErrStore)
			if h.conn.ticketCount() == 1 {
				assert.Equal(t, "10001", res.TicketID, "the result reports the ticket made")
				assert.True(t, res.Created)
			}
			assert.ErrorIs(t, err, errDisk)
			assert.True(t, strings.HasPrefix(err.Error(), "itsm: "), err.Error())
			// Whatever failed, a later sync with a healthy store never makes a
			// second ticket.
			fs.method = ""
			h.clock.Advance(itsm.DefaultCooldownPeriod + itsm.DefaultLookupGrace)
			_, err = s2.Sync(context.Background(), testCase("CASE-1"), notes("a"))
			require.NoError(t, err)
			assert.Equal(t, 1, h.conn.ticketCount())
		})
	}
}

func TestSyncAuditAndLogsCarryNoPayload(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := newHarness(t, itsm.SyncerConfig{}, itsm.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx := context.Background()
	c := testCase("CASE-1")
	c.Fields = map[string]any{"api_token": "s3cr3t-field-value"}
	h.conn.script(itsm.OpComment, fault{err: errStatus500})
	_, err := h.syncer.Sync(ctx, c, notes("payload-marker-note"))
	require.Error(t, err)
	_, err = h.syncer.Sync(ctx, c, notes("payload-marker-note"))
	require.NoError(t, err)
	_, err = h.syncer.Sync(ctx, c, notes("payload-marker-note"))
	require.ErrorIs(t, err, itsm.ErrCoolingDown)

	events := h.audit.all()
	var got []string
	for _, e := range events {
		got = append(got, e.Operation+"/"+string(e.Outcome))
		assert.Equal(t, testIntegration, e.IntegrationID)
		assert.Equal(t, c.ID, e.CaseID)
		assert.False(t, e.Time.IsZero())
	}
	assert.Equal(t, []string{
		"create/success", "comment/unknown", "sync/failure",
		"update/success", "comment/success", "sync/success",
		"sync/skipped",
	}, got)
	failed := h.audit.ops("comment")[0]
	assert.Equal(t, 500, failed.StatusCode)
	assert.Equal(t, "10001", failed.TicketID)
	assert.Equal(t, "n1", failed.NoteID)
	assert.NotEmpty(t, failed.Error)
	for _, e := range events {
		for _, s := range []string{e.Error, e.Reason} {
			assert.NotContains(t, s, "payload-marker")
			assert.NotContains(t, s, "s3cr3t")
		}
	}
	assert.NotContains(t, logs.String(), "payload-marker")
	assert.NotContains(t, logs.String(), "s3cr3t")
	assert.Contains(t, logs.String(), "case synced")
}

func TestNewSyncerValidates(t *testing.T) {
	t.Parallel()
	conn := newFakeConn()
	st := memstore.New()
	tests := []struct {
		name   string
		conn   itsm.Connector
		store  itsm.SyncStore
		cfg    itsm.SyncerConfig
		fields []string
	}{
		{"nothing", nil, nil, itsm.SyncerConfig{}, []string{"connector", "store", "integration_id"}},
		{"lease cannot be turned off", conn, st, itsm.SyncerConfig{IntegrationID: "i", LeaseTTL: itsm.Off}, []string{"lease_ttl"}},
		{"store without cooldown", conn, noCooldownStore{st}, itsm.SyncerConfig{IntegrationID: "i"}, []string{"cooldown"}},
		{"bad policy", conn, st, itsm.SyncerConfig{IntegrationID: "i", EditedNotes: 7}, []string{"edited_notes"}},
		{"every error at once", nil, noCooldownStore{st}, itsm.SyncerConfig{LeaseTTL: -5, EditedNotes: 9}, []string{"connector", "integration_id", "cooldown", "lease_ttl", "edited_notes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := itsm.NewSyncer(tt.conn, tt.store, tt.cfg)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Field)
			}
			assert.Equal(t, tt.fields, got)
		})
	}
	t.Run("store without cooldown, cooldown disabled", func(t *testing.T) {
		t.Parallel()
		s, err := itsm.NewSyncer(conn, noCooldownStore{st}, itsm.SyncerConfig{IntegrationID: "i", CooldownPeriod: itsm.Off})
		require.NoError(t, err)
		assert.Equal(t, time.Duration(0), s.CooldownPeriod())
		assert.Equal(t, "i", s.IntegrationID())
	})
}

// noCooldownStore is a Store that does not implement Cooldown.
type noCooldownStore struct{ storetest.Store }

func TestStatePhases(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	ctx := context.Background()
	c := testCase("CASE-1")
	st, err := h.syncer.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, itsm.ButtonState{CaseID: c.ID, Phase: itsm.PhaseIdle, Enabled: true}, st)

	_, err = h.syncer.Sync(ctx, c, nil)
	require.NoError(t, err)
	h.clock.Advance(time.Minute)
	st, err = h.syncer.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, itsm.PhaseCoolingDown, st.Phase)
	assert.False(t, st.Enabled)
	assert.Equal(t, 9*time.Minute, st.Remaining)
	assert.True(t, st.Linked)
	assert.Equal(t, "SEC-1", st.TicketKey)
	assert.Equal(t, "https://itsm.example.com/browse/SEC-1", st.URL)

	h.clock.Advance(9 * time.Minute)
	st, err = h.syncer.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, itsm.PhaseIdle, st.Phase)
	assert.True(t, st.Enabled)
	assert.True(t, st.Linked)
	assert.True(t, st.CooldownUntil.IsZero())

	require.NoError(t, h.syncer.ClearCooldown(ctx, c.ID))
}

func TestResolveAndClearPendingValidate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	ctx := context.Background()
	var ve *itsm.ValidationError
	require.ErrorAs(t, h.syncer.Resolve(ctx, "", itsm.Ticket{}), &ve)
	assert.Len(t, ve.Errors, 2)
	require.ErrorAs(t, h.syncer.ClearPending(ctx, ""), &ve)
	require.NoError(t, h.syncer.ClearPending(ctx, "nothing-pending"))

	// Both refuse while a sync holds the case.
	started, release := blockingCreate(h.conn)
	done := make(chan error, 1)
	go func() {
		_, err := h.syncer.Sync(ctx, testCase("CASE-1"), nil)
		done <- err
	}()
	<-started
	assert.ErrorIs(t, h.syncer.Resolve(ctx, "CASE-1", itsm.Ticket{ID: "1"}), itsm.ErrInProgress)
	assert.ErrorIs(t, h.syncer.ClearPending(ctx, "CASE-1"), itsm.ErrInProgress)
	release()
	require.NoError(t, <-done)
}

// leaseKey is the Syncer's lease key of a case (an implementation detail the
// lease tests need to play another holder).
func leaseKey(caseID string) string {
	return "sync:" + strconv.Itoa(len(testIntegration)) + ":" + testIntegration + ":" + caseID
}

func TestSyncRenewsLeaseWhileRunning(t *testing.T) {
	t.Parallel()
	const ttl = time.Minute
	h := newHarness(t, itsm.SyncerConfig{LeaseTTL: ttl})
	replica := h.newSyncer(h.conn, itsm.SyncerConfig{LeaseTTL: ttl, Holder: "replica-b"})
	ctx := context.Background()
	c := testCase("CASE-1")
	var calls int
	var replicaErr error
	h.conn.hook = func(op itsm.Operation) {
		// Every ITSM call takes 20 s: the whole sync outlives the TTL.
		h.clock.Advance(20 * time.Second)
		calls++
		if calls == 5 {
			_, replicaErr = replica.Sync(ctx, c, nil)
		}
	}
	res, err := h.syncer.Sync(ctx, c, notes("a", "b", "c", "d", "e"))
	require.NoError(t, err)
	assert.Equal(t, 5, res.NotesPosted)
	assert.Equal(t, 6, calls)
	require.ErrorIs(t, replicaErr, itsm.ErrInProgress, "100 s into a sync with a 60 s TTL the lease still holds")
	_, err = h.store.GetLease(ctx, leaseKey(c.ID))
	assert.ErrorIs(t, err, itsm.ErrNotFound, "released at the end")
}

func TestSyncStopsWhenLeaseLost(t *testing.T) {
	t.Parallel()
	const ttl = time.Minute
	h := newHarness(t, itsm.SyncerConfig{LeaseTTL: ttl})
	ctx := context.Background()
	c := testCase("CASE-1")
	h.conn.hook = func(op itsm.Operation) {
		if op == itsm.OpCreate {
			// The create outlives the TTL and another holder takes over.
			h.clock.Advance(2 * ttl)
			_, err := h.store.AcquireLease(ctx, leaseKey(c.ID), "intruder", h.clock.Now(), ttl)
			require.NoError(t, err)
		}
	}
	_, err := h.syncer.Sync(ctx, c, notes("a"))
	require.ErrorIs(t, err, itsm.ErrLeaseHeld)
	assert.Contains(t, err.Error(), "lost the lease")
	assert.Empty(t, h.conn.comments(), "no comment after the lease was lost")
	l, err := h.store.GetLease(ctx, leaseKey(c.ID))
	require.NoError(t, err)
	assert.Equal(t, "intruder", l.Holder, "the other holder's lease is left alone")
	link, err := h.store.GetLink(ctx, testIntegration, c.ID)
	require.NoError(t, err, "the ticket made is linked all the same")
	assert.Equal(t, "10001", link.TicketID)
}
