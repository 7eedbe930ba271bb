package chaostest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// The faults of the chaos run, one at a time and in one process: what each
// does to a ticket or a note, for each capability combination.

// singleSyncer is one Syncer with caps on a fresh SQLite store against f,
// on a fake clock.
func singleSyncer(t *testing.T, f *fakeITSM, caps capabilities) (*itsm.Syncer, *itsmtest.Clock) {
	t.Helper()
	clk := itsmtest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	spec := workerSpec{ITSMURL: f.URL(), IntegrationID: "chaos-single", Caps: caps}
	s := newChaosSyncer(t, spec, sqlstoretest.NewSQLiteStore(t), "single", slog.New(slog.DiscardHandler), itsm.WithClock(clk))
	return s, clk
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// commentsOf counts the comments of each note on the fake's ticket of c.
func commentsOf(t *testing.T, f *fakeITSM, c itsm.Case) map[string]int {
	t.Helper()
	tickets := f.snapshot().byKey[itsm.CorrelationKey("chaos-single", c.ID)]
	require.Len(t, tickets, 1, "case %s: exactly one ticket", c.ID)
	out := map[string]int{}
	for _, cm := range tickets[0].Comments {
		out[cm.NoteID]++
	}
	return out
}

// A create answered 5xx after the ITSM stored it is resolved by the lookup
// against a list endpoint that ignores its filter: the case is linked to its
// own ticket, not to the first one listed.
func TestLookupIgnoredFilterLinksOwnTicket(t *testing.T) {
	ctx := testContext(t)
	f := newFakeITSM(t, 1, nil)
	s, clk := singleSyncer(t, f, capsBoth)
	a, _ := chaosCase(0)
	b, _ := chaosCase(1)
	_, err := s.Sync(ctx, a, nil)
	require.NoError(t, err)

	f.force("create", faultAfter5xx)
	_, err = s.Sync(ctx, b, nil)
	var ou *itsm.OutcomeUnknownError
	require.ErrorAs(t, err, &ou)
	clk.Advance(time.Second)
	res, err := s.Sync(ctx, b, nil)
	require.NoError(t, err)
	assert.True(t, res.Recovered)

	snap := f.snapshot()
	own := snap.byKey[itsm.CorrelationKey("chaos-single", b.ID)]
	require.Len(t, own, 1)
	assert.Equal(t, own[0].ID, res.TicketID, "case B is linked to its own ticket")
	assert.Equal(t, 2, snap.tickets)
}

// commentFaultCase is what one comment fault leaves, per capability: the
// comments of the note after three syncs, whether the state lists the note
// as unconfirmed, and (at most once) the comments after a person settled
// it: RetryNote when it is not on the ticket, ConfirmNote when it is.
type commentFaultCase struct {
	caps        capabilities
	comments    int
	unconfirmed bool
	settled     int
}

// testCommentFault forces fault on the first comment of a note, syncs three
// times, and checks what tc says.
func testCommentFault(t *testing.T, seed uint64, ft fault, tc commentFaultCase) {
	t.Helper()
	ctx := testContext(t)
	f := newFakeITSM(t, seed, nil)
	s, _ := singleSyncer(t, f, tc.caps)
	c, notes := chaosCase(0)
	notes = notes[:1]
	f.force("comment", ft)
	_, _ = s.Sync(ctx, c, notes)
	for range 2 {
		_, err := s.Sync(ctx, c, notes)
		require.NoError(t, err)
	}
	assert.Equal(t, tc.comments, commentsOf(t, f, c)[notes[0].ID], "comments of the note")
	st, err := s.State(ctx, c.ID)
	require.NoError(t, err)
	if !tc.unconfirmed {
		assert.Empty(t, st.UnconfirmedNotes)
		return
	}
	require.Equal(t, []string{notes[0].ID}, st.UnconfirmedNotes, "the state lists the note as unconfirmed")
	if tc.comments == 0 {
		require.NoError(t, s.RetryNote(ctx, c.ID, notes[0].ID))
	} else {
		require.NoError(t, s.ConfirmNote(ctx, c.ID, notes[0].ID, true))
	}
	_, err = s.Sync(ctx, c, notes)
	require.NoError(t, err)
	assert.Equal(t, tc.settled, commentsOf(t, f, c)[notes[0].ID], "comments of the note once settled")
	st, err = s.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Empty(t, st.UnconfirmedNotes, "settled")
}

// A comment request cut before the ITSM stored it (no answer): looked up
// and sent again with a comment lookup; sent again at least once (no
// duplicate, since nothing was stored); at most once it stays unconfirmed
// and missing until a person retries it.
func TestCommentCutBeforeCommit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		commentFaultCase
	}{
		{"lookup+comment_lookup", commentFaultCase{caps: capsBoth, comments: 1}},
		{"lookup/at_least_once", commentFaultCase{caps: capsAtLeastOnce, comments: 1}},
		{"lookup/at_most_once", commentFaultCase{caps: capsAtMostOnce, comments: 0, unconfirmed: true, settled: 1}},
		{"no_lookup", commentFaultCase{caps: capsNone, comments: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testCommentFault(t, 2, faultBeforeReset, tc.commentFaultCase)
		})
	}
}

// A comment answered 5xx after the ITSM stored it: found by the comment
// lookup; the documented duplicate at least once (a duplicate is preferred
// to a lost note); at most once it stays unconfirmed until a person
// confirms it.
func TestCommentAnswered5xxAfterCommit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		commentFaultCase
	}{
		{"lookup+comment_lookup", commentFaultCase{caps: capsBoth, comments: 1}},
		{"lookup/at_least_once", commentFaultCase{caps: capsAtLeastOnce, comments: 2}},
		{"lookup/at_most_once", commentFaultCase{caps: capsAtMostOnce, comments: 1, unconfirmed: true, settled: 1}},
		{"no_lookup", commentFaultCase{caps: capsNone, comments: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testCommentFault(t, 3, faultAfter5xx, tc.commentFaultCase)
		})
	}
}

// Without a ticket lookup a create with an unknown outcome is never sent
// again: the case needs attention (with no second ticket, whether the
// first was stored or not) until a person links the ticket found (Resolve)
// or allows a new create (ClearPending).
func TestCreateUnknownWithoutLookup(t *testing.T) {
	t.Parallel()
	for _, ft := range []fault{faultBefore500, faultBeforeReset, faultAfter5xx, faultAfterReset, faultAfterHang} {
		t.Run(string(ft), func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			f := newFakeITSM(t, 6, nil)
			s, clk := singleSyncer(t, f, capsNone)
			c, notes := chaosCase(0)
			f.force("create", ft)
			_, err := s.Sync(ctx, c, notes)
			var ou *itsm.OutcomeUnknownError
			require.ErrorAs(t, err, &ou)
			for range 2 {
				clk.Advance(time.Second)
				_, err = s.Sync(ctx, c, notes)
				require.ErrorIs(t, err, itsm.ErrNeedsAttention)
			}
			st, err := s.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, itsm.PhaseNeedsAttention, st.Phase)
			key := itsm.CorrelationKey("chaos-single", c.ID)
			tickets := f.snapshot().byKey[key]
			committed := ft != faultBefore500 && ft != faultBeforeReset
			if committed {
				require.Len(t, tickets, 1, "stored once, never sent again")
				require.NoError(t, s.Resolve(ctx, c.ID, itsm.Ticket{ID: tickets[0].ID}))
			} else {
				require.Empty(t, tickets)
				require.NoError(t, s.ClearPending(ctx, c.ID))
			}
			_, err = s.Sync(ctx, c, notes)
			require.NoError(t, err)
			got := commentsOf(t, f, c)
			for _, n := range notes {
				assert.Equal(t, 1, got[n.ID], "note %s", n.ID)
			}
		})
	}
}

// Every fault of the chaos run leaves exactly one ticket and one comment per
// note with both lookups.
func TestSingleFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		op    string
		fault fault
	}{
		{"create", faultBefore500}, {"create", faultBeforeReset}, {"create", faultAfter5xx},
		{"create", faultAfterReset}, {"create", faultAfterHang},
		{"update", faultBefore500}, {"update", faultBeforeReset}, {"update", faultAfter5xx},
		{"update", faultAfterReset}, {"update", faultAfterHang},
		{"comment", faultBefore500}, {"comment", faultAfterReset}, {"comment", faultAfterHang},
	}
	for _, tc := range cases {
		t.Run(tc.op+" "+string(tc.fault), func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			f := newFakeITSM(t, 4, nil)
			s, clk := singleSyncer(t, f, capsBoth)
			c, notes := chaosCase(0)
			if tc.op == "update" {
				_, err := s.Sync(ctx, c, nil) // the ticket exists: the next sync updates it
				require.NoError(t, err)
			}
			f.force(tc.op, tc.fault, tc.fault) // both attempts of a retried update
			_, _ = s.Sync(ctx, c, notes)
			for range 3 {
				clk.Advance(time.Second) // past the lookup grace
				_, _ = s.Sync(ctx, c, notes)
			}
			_, err := s.Sync(ctx, c, notes)
			require.NoError(t, err)
			got := commentsOf(t, f, c)
			for _, n := range notes {
				assert.Equal(t, 1, got[n.ID], "note %s", n.ID)
			}
		})
	}
}

// A sync whose context ends between two comments must not record the second
// note as posted: nothing of it reached the ITSM, and the documentation
// counts a note as posted only when "no answer at all after sending" came
// back.
func TestCommentCanceledBeforeSending(t *testing.T) {
	f := newFakeITSM(t, 5, nil)
	ctx, cancel := context.WithCancel(testContext(t))
	clk := itsmtest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	// The host gives up (a browser closes the "Sync With ITSM" request)
	// right after the first comment: the audit sink runs in between.
	audit := itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
		if e.Operation == string(itsm.OpComment) && e.Outcome == itsm.OutcomeSuccess {
			cancel()
		}
	})
	spec := workerSpec{ITSMURL: f.URL(), IntegrationID: "chaos-single", Caps: capsBoth}
	s := newChaosSyncer(t, spec, sqlstoretest.NewSQLiteStore(t), "single", slog.New(slog.DiscardHandler), itsm.WithClock(clk), itsm.WithAudit(audit))
	c, notes := chaosCase(0)
	notes = notes[:2]

	res, err := s.Sync(ctx, c, notes) // creates, posts the first note, then the context ends
	t.Logf("sync with the canceled context: %+v, %v", res, err)
	assert.Equal(t, 1, f.snapshot().calls["comment"], "one comment request reached the ITSM")
	assert.Empty(t, res.NotesUnconfirmed, "nothing of the second note was sent: it is not unconfirmed")

	_, err = s.Sync(testContext(t), c, notes)
	require.NoError(t, err)
	got := commentsOf(t, f, c)
	for _, n := range notes {
		assert.Equal(t, 1, got[n.ID], "note %s is posted once", n.ID)
	}
}
