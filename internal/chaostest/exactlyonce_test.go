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
// does to a ticket or a note, with and without the comment lookup.

// singleSyncer is one Syncer on a fresh SQLite store against f, on a fake
// clock.
func singleSyncer(t *testing.T, f *fakeITSM) (*itsm.Syncer, *itsmtest.Clock) {
	t.Helper()
	clk := itsmtest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	spec := workerSpec{ITSMURL: f.URL(), IntegrationID: "chaos-single"}
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
	f := newFakeITSM(t, 1, true, nil)
	s, clk := singleSyncer(t, f)
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

// A comment request cut before the ITSM stored it (no answer) is the
// documented exception without a comment lookup: the note is recorded as
// posted (Result.NotesUnconfirmed) and never posted. With the lookup, the
// note ends up posted once.
func TestCommentCutBeforeCommit(t *testing.T) {
	ctx := testContext(t)
	f := newFakeITSM(t, 2, listIgnoresFilter, nil)
	s, _ := singleSyncer(t, f)
	c, notes := chaosCase(0)
	notes = notes[:1]
	f.force("comment", faultBeforeReset)
	res, _ := s.Sync(ctx, c, notes)
	for range 2 {
		res2, err := s.Sync(ctx, c, notes)
		require.NoError(t, err)
		res.NotesUnconfirmed = append(res.NotesUnconfirmed, res2.NotesUnconfirmed...)
	}
	got := commentsOf(t, f, c)[notes[0].ID]
	if commentLookupSupported {
		assert.Equal(t, 1, got, "the note is posted once")
		return
	}
	assert.Equal(t, 0, got, "documented: a comment with no answer is recorded as posted, so this one is lost")
	assert.Equal(t, []string{notes[0].ID}, res.NotesUnconfirmed)
}

// A comment answered 5xx after the ITSM stored it is the documented
// duplicate without a comment lookup (a duplicate is preferred to a lost
// note). With the lookup, the note has one comment.
func TestCommentAnswered5xxAfterCommit(t *testing.T) {
	ctx := testContext(t)
	f := newFakeITSM(t, 3, listIgnoresFilter, nil)
	s, _ := singleSyncer(t, f)
	c, notes := chaosCase(0)
	notes = notes[:1]
	f.force("comment", faultAfter5xx)
	_, _ = s.Sync(ctx, c, notes)
	for range 2 {
		_, err := s.Sync(ctx, c, notes)
		require.NoError(t, err)
	}
	got := commentsOf(t, f, c)[notes[0].ID]
	if commentLookupSupported {
		assert.Equal(t, 1, got, "the note is posted once")
		return
	}
	assert.Equal(t, 2, got, "documented: a 5xx after the ITSM stored the comment causes one duplicate")
}

// Every other fault of the chaos run leaves exactly one ticket and one
// comment per note, with or without the comment lookup.
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
			f := newFakeITSM(t, 4, listIgnoresFilter, nil)
			s, clk := singleSyncer(t, f)
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
	f := newFakeITSM(t, 5, listIgnoresFilter, nil)
	ctx, cancel := context.WithCancel(testContext(t))
	clk := itsmtest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	// The host gives up (a browser closes the "Sync With ITSM" request)
	// right after the first comment: the audit sink runs in between.
	audit := itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
		if e.Operation == string(itsm.OpComment) && e.Outcome == itsm.OutcomeSuccess {
			cancel()
		}
	})
	spec := workerSpec{ITSMURL: f.URL(), IntegrationID: "chaos-single"}
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
