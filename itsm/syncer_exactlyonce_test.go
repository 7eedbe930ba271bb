package itsm_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
)

// opCommentLookup is the audit operation (and fault script key) of a
// comment lookup.
const opCommentLookup = itsm.Operation("comment_lookup")

// finderConn is the fake ITSM with a comment lookup: it finds a comment by
// the note marker the fake writes with every comment (as Jira's comment
// property or a hidden marker would carry it).
type finderConn struct{ *fakeConn }

func (f finderConn) FindComment(_ context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, bool, error) {
	ft, faulted := f.begin(opCommentLookup)
	defer f.mu.Unlock()
	if faulted {
		return itsm.Comment{}, false, ft.err
	}
	ticket, ok := f.tickets[t.ID]
	if !ok {
		return itsm.Comment{}, false, &statusErr{op: opCommentLookup, status: 404}
	}
	want := itsm.NoteMarker(req.CorrelationKey, n.ID)
	for i, m := range ticket.markers {
		if m == want {
			return itsm.Comment{ID: "c" + strconv.Itoa(i+1)}, true, nil
		}
	}
	return itsm.Comment{}, false, nil
}

// incapableFinder implements CommentFinder but reports no lookup configured.
type incapableFinder struct{ finderConn }

func (incapableFinder) CanFindComments() bool { return false }

var _ itsm.CommentFinder = finderConn{}

// pendingNote records note id of c as a sync that crashed after recording it
// would have left it.
func pendingNote(t *testing.T, h *harness, caseID, noteID, text string) {
	t.Helper()
	link, err := h.store.GetLink(context.Background(), testIntegration, caseID)
	require.NoError(t, err)
	require.NoError(t, h.store.MarkNotePosted(context.Background(), itsm.PostedNote{IntegrationID: testIntegration, CaseID: caseID,
		NoteID: noteID, TicketID: link.TicketID, TextHash: "h", PostedAt: h.clock.Now(), State: itsm.NotePending}))
}

// TestSyncNoteCrashBetweenPendingAndPost: a note found "pending" (its
// sender stopped after recording it, before recording the answer) is looked
// up when the connector can, and otherwise follows the policy; the comment
// count shows what reached the ticket.
func TestSyncNoteCrashBetweenPendingAndPost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		finder      bool
		policy      itsm.NotePolicy
		stored      bool     // the crashed sync's comment reached the ITSM
		comments    []string // on the ticket after the next sync
		unconfirmed []string
		state       itsm.NoteState // n1's record after the next sync
	}{
		{"lookup finds it", true, itsm.NotesAtLeastOnce, true, []string{"a", "b"}, nil, itsm.NotePosted},
		{"lookup does not find it", true, itsm.NotesAtLeastOnce, false, []string{"a", "b"}, nil, itsm.NotePosted},
		{"lookup wins over at most once", true, itsm.NotesAtMostOnce, false, []string{"a", "b"}, nil, itsm.NotePosted},
		{"no lookup, at least once, stored: duplicate", false, itsm.NotesAtLeastOnce, true, []string{"a", "a", "b"}, nil, itsm.NotePosted},
		{"no lookup, at least once, lost: sent", false, itsm.NotesAtLeastOnce, false, []string{"a", "b"}, nil, itsm.NotePosted},
		{"no lookup, at most once: kept, later notes post", false, itsm.NotesAtMostOnce, true, []string{"a", "b"}, []string{"n1"}, itsm.NoteUnconfirmed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			var conn itsm.Connector = h.conn
			if tt.finder {
				conn = finderConn{h.conn}
			}
			s := h.newSyncer(conn, itsm.SyncerConfig{UnconfirmedNotes: tt.policy})
			ctx := context.Background()
			c := testCase("CASE-1")
			_, err := s.Sync(ctx, c, nil)
			require.NoError(t, err)
			ns := notes("a", "b")
			if tt.stored {
				// The crashed sync's comment, as the ITSM stored it.
				_, err := h.conn.Comment(ctx, itsm.Ticket{ID: "10001"}, itsm.SyncRequest{Case: &c, CorrelationKey: itsm.CorrelationKey(testIntegration, c.ID)}, ns[0])
				require.NoError(t, err)
			}
			pendingNote(t, h, c.ID, "n1", "a")
			st, err := s.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, []string{"n1"}, st.UnconfirmedNotes, "a pending note with no sync running is unconfirmed")

			h.clock.Advance(itsm.DefaultCooldownPeriod)
			res, err := s.Sync(ctx, c, ns)
			require.NoError(t, err)
			assert.Equal(t, tt.comments, h.conn.comments())
			assert.Equal(t, tt.unconfirmed, res.NotesUnconfirmed)
			posted, err := h.store.PostedNotes(ctx, testIntegration, c.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.state, posted["n1"].State)
			assert.Equal(t, itsm.NotePosted, posted["n2"].State)
			st, err = s.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.unconfirmed, st.UnconfirmedNotes)
			if tt.finder {
				assert.Equal(t, 1, h.conn.count(opCommentLookup))
			}

			// Nothing changes on later syncs: every note once.
			h.clock.Advance(itsm.DefaultCooldownPeriod)
			_, err = s.Sync(ctx, c, ns)
			require.NoError(t, err)
			assert.Equal(t, tt.comments, h.conn.comments())
		})
	}
}

// TestSyncNoteUnknownOutcome: a comment answered 502 after the ITSM stored
// it, or not answered at all, is resolved by the next sync before any
// resend.
func TestSyncNoteUnknownOutcome(t *testing.T) {
	t.Parallel()
	err502 := &statusErr{op: itsm.OpComment, status: 502}
	tests := []struct {
		name      string
		finder    bool
		policy    itsm.NotePolicy
		f         fault
		firstErr  bool
		firstUnc  []string // Result.NotesUnconfirmed of the first sync
		comments  []string // after the second sync
		secondUnc []string
	}{
		{"502 after storing, lookup finds it", true, itsm.NotesAtLeastOnce, fault{err: err502, apply: true}, true, nil, []string{"a", "b"}, nil},
		{"502 not stored, lookup sends it", true, itsm.NotesAtLeastOnce, fault{err: err502}, true, nil, []string{"a", "b"}, nil},
		{"502 after storing, no lookup, at least once: duplicate", false, itsm.NotesAtLeastOnce, fault{err: err502, apply: true}, true, nil, []string{"a", "a", "b"}, nil},
		{"502 after storing, no lookup, at most once", false, itsm.NotesAtMostOnce, fault{err: err502, apply: true}, false, []string{"n1"}, []string{"a", "b"}, []string{"n1"}},
		{"no answer, stored, lookup finds it", true, itsm.NotesAtLeastOnce, fault{err: errReset, apply: true}, false, []string{"n1"}, []string{"a", "b"}, nil},
		{"no answer, lost, lookup sends it", true, itsm.NotesAtLeastOnce, fault{err: errReset}, false, []string{"n1"}, []string{"b", "a"}, nil},
		{"no answer, stored, no lookup, at most once", false, itsm.NotesAtMostOnce, fault{err: errReset, apply: true}, false, []string{"n1"}, []string{"a", "b"}, []string{"n1"}},
		{"lookup not configured: policy", false, itsm.NotesAtMostOnce, fault{err: errReset, apply: true}, false, []string{"n1"}, []string{"a", "b"}, []string{"n1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			var conn itsm.Connector = h.conn
			if tt.finder {
				conn = finderConn{h.conn}
			}
			if tt.name == "lookup not configured: policy" {
				conn = incapableFinder{finderConn{h.conn}}
			}
			s := h.newSyncer(conn, itsm.SyncerConfig{UnconfirmedNotes: tt.policy})
			ctx := context.Background()
			c := testCase("CASE-1")
			ns := notes("a", "b")
			h.conn.script(itsm.OpComment, tt.f)
			res, err := s.Sync(ctx, c, ns)
			if tt.firstErr {
				require.Error(t, err)
				assert.Nil(t, res.NotesUnconfirmed)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.firstUnc, res.NotesUnconfirmed)
			}
			st, err := s.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, []string{"n1"}, st.UnconfirmedNotes, "visible until resolved")

			h.clock.Advance(itsm.DefaultCooldownPeriod)
			res, err = s.Sync(ctx, c, ns)
			require.NoError(t, err)
			assert.Equal(t, tt.comments, h.conn.comments())
			assert.Equal(t, tt.secondUnc, res.NotesUnconfirmed)
			st, err = s.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.secondUnc, st.UnconfirmedNotes)
			lookups := h.audit.ops(string(opCommentLookup))
			if tt.finder {
				require.Len(t, lookups, 1, "one lookup, audited")
			} else {
				assert.Empty(t, lookups)
			}
		})
	}
}

// TestSyncNoteLookupFailureStops: a lookup that fails stops the sync there;
// the later notes do not overtake the unresolved one, and the next sync
// looks again.
func TestSyncNoteLookupFailureStops(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	s := h.newSyncer(finderConn{h.conn}, itsm.SyncerConfig{})
	ctx := context.Background()
	c := testCase("CASE-1")
	_, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	pendingNote(t, h, c.ID, "n1", "a")
	h.clock.Advance(itsm.DefaultCooldownPeriod)
	h.conn.script(opCommentLookup, fault{err: errStatus500})
	_, err = s.Sync(ctx, c, notes("a", "b"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "look up the comment")
	assert.Empty(t, h.conn.comments(), "the later note does not overtake it")
	_, err = s.Sync(ctx, c, notes("a", "b"))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, h.conn.comments())
	assert.Equal(t, 2, h.conn.count(opCommentLookup))
}

// TestSyncNoteLookupFailureNamesTheWayOut: a comment lookup that keeps
// failing (a 4xx from a misconfigured comment_lookup fails every time)
// blocks the case's later notes (up to itsm.MaxLookupFailures failed
// lookups: TestSyncNoteLookupFailuresBounded), so its error says what a
// person can do, and the note shows as unconfirmed in the case's state.
func TestSyncNoteLookupFailureNamesTheWayOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	s := h.newSyncer(finderConn{h.conn}, itsm.SyncerConfig{})
	ctx := context.Background()
	c := testCase("CASE-1")
	_, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	pendingNote(t, h, c.ID, "n1", "a")
	h.clock.Advance(itsm.DefaultCooldownPeriod)
	h.conn.script(opCommentLookup, fault{err: errStatus500})
	_, err = s.Sync(ctx, c, notes("a", "b"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Syncer.ConfirmNote")
	assert.Contains(t, err.Error(), "comment lookup")
	st, err := s.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"n1"}, st.UnconfirmedNotes)
}

// flakyNoteStore fails the first fails writes of a posted note's record
// with a store error.
type flakyNoteStore struct {
	storetest.Store
	mu    sync.Mutex
	fails int
}

func (f *flakyNoteStore) UpdatePostedNote(ctx context.Context, n itsm.PostedNote) error {
	f.mu.Lock()
	fail := n.State == itsm.NotePosted && f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return errDisk
	}
	return f.Store.UpdatePostedNote(ctx, n)
}

// TestSyncNoteRecordRetried: the record write after a post is retried with
// a short backoff through the clock's Sleep; two failures then a success
// record the note once, and nothing is posted twice.
func TestSyncNoteRecordRetried(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		fails   int
		wantErr bool
	}{
		{"two failures then success", 2, false},
		{"fails for the whole window", 1 << 20, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			store := &flakyNoteStore{Store: h.store, fails: tt.fails}
			clock := itsmtest.NewClock(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC))
			s, err := itsm.NewSyncer(h.conn, store, itsm.SyncerConfig{IntegrationID: testIntegration, Cooldown: h.store}, itsm.WithClock(clock))
			require.NoError(t, err)
			ctx := context.Background()
			c := testCase("CASE-1")
			_, err = s.Sync(ctx, c, notes("a"))
			posted, perr := h.store.PostedNotes(ctx, testIntegration, c.ID)
			require.NoError(t, perr)
			if tt.wantErr {
				require.ErrorIs(t, err, itsm.ErrStore)
				assert.Equal(t, itsm.NotePending, posted["n1"].State, "left pending: the next sync resolves it")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"a"}, h.conn.comments())
			assert.Equal(t, itsm.NotePosted, posted["n1"].State)
			assert.Len(t, clock.Sleeps(), 2, "two backoff waits, through the clock")
			clock.Advance(itsm.DefaultCooldownPeriod)
			_, err = s.Sync(ctx, c, notes("a"))
			require.NoError(t, err)
			assert.Equal(t, []string{"a"}, h.conn.comments(), "no duplicate")
		})
	}
}

// TestConfirmNote: a person settles an unconfirmed note: posted true keeps
// it from ever being sent, posted false lets the next sync send it;
// RetryNote does the same as posted false. Only unsettled notes qualify.
func TestConfirmNote(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		settle   func(s *itsm.Syncer) error
		comments []string
	}{
		{"confirmed posted", func(s *itsm.Syncer) error { return s.ConfirmNote(context.Background(), "CASE-1", "n1", true) }, []string{"a", "b"}},
		{"confirmed not posted", func(s *itsm.Syncer) error { return s.ConfirmNote(context.Background(), "CASE-1", "n1", false) }, []string{"a", "b", "a"}},
		{"retried", func(s *itsm.Syncer) error { return s.RetryNote(context.Background(), "CASE-1", "n1") }, []string{"a", "b", "a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			s := h.newSyncer(h.conn, itsm.SyncerConfig{UnconfirmedNotes: itsm.NotesAtMostOnce})
			ctx := context.Background()
			c := testCase("CASE-1")
			h.conn.script(itsm.OpComment, fault{err: errReset, apply: true})
			res, err := s.Sync(ctx, c, notes("a", "b"))
			require.NoError(t, err)
			require.Equal(t, []string{"n1"}, res.NotesUnconfirmed)
			require.ErrorIs(t, s.ConfirmNote(ctx, c.ID, "n2", true), itsm.ErrNotFound, "a posted note is not unconfirmed")
			require.NoError(t, tt.settle(s))
			st, err := s.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Empty(t, st.UnconfirmedNotes)
			h.clock.Advance(itsm.DefaultCooldownPeriod)
			res, err = s.Sync(ctx, c, notes("a", "b"))
			require.NoError(t, err)
			assert.Empty(t, res.NotesUnconfirmed)
			assert.Equal(t, tt.comments, h.conn.comments())
			require.ErrorIs(t, s.ConfirmNote(ctx, c.ID, "n1", true), itsm.ErrNotFound, "settled")
		})
	}
	t.Run("validates", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, itsm.SyncerConfig{})
		err := h.syncer.ConfirmNote(context.Background(), "", "", true)
		var ve *itsm.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Len(t, ve.Errors, 2)
	})
}

// TestRetryNoteRefusedEditRepostsAsEdit: retrying a refused edit of a posted
// note reposts it as an edit, with the prefix.
func TestRetryNoteRefusedEditRepostsAsEdit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{EditedNotes: itsm.EditedNotesRepost})
	ctx := context.Background()
	c := testCase("CASE-1")
	ns := notes("a")
	_, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	h.clock.Advance(itsm.DefaultCooldownPeriod)
	ns[0].Text = "a, edited"
	h.conn.script(itsm.OpComment, fault{err: errStatus400})
	res, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	require.Len(t, res.NotesFailed, 1)
	require.NoError(t, h.syncer.RetryNote(ctx, c.ID, "n1"))
	h.clock.Advance(itsm.DefaultCooldownPeriod)
	res, err = h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	assert.Equal(t, 1, res.NotesReposted)
	assert.Equal(t, []string{"a", itsm.EditedNotePrefix + "a, edited"}, h.conn.comments())
}

// TestSyncNoteCertainFailureLeavesNoRecord: a comment certainly not posted
// (429, nothing sent) leaves no pending record behind: the note is not
// unconfirmed and the next sync simply posts it.
func TestSyncNoteCertainFailureLeavesNoRecord(t *testing.T) {
	t.Parallel()
	for _, f := range []error{errStatus429, errRefused} {
		t.Run(f.Error(), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			s := h.newSyncer(h.conn, itsm.SyncerConfig{UnconfirmedNotes: itsm.NotesAtMostOnce})
			ctx := context.Background()
			c := testCase("CASE-1")
			h.conn.script(itsm.OpComment, fault{err: f})
			_, err := s.Sync(ctx, c, notes("a"))
			require.Error(t, err)
			posted, err := h.store.PostedNotes(ctx, testIntegration, c.ID)
			require.NoError(t, err)
			assert.Empty(t, posted)
			_, err = s.Sync(ctx, c, notes("a"))
			require.NoError(t, err)
			assert.Equal(t, []string{"a"}, h.conn.comments())
		})
	}
}
