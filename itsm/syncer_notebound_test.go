package itsm_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
)

// cancelingFinder is the fake ITSM whose comment lookup sees the caller
// give up: it cancels the sync's context and fails with its error.
type cancelingFinder struct {
	finderConn
	cancel context.CancelFunc
}

func (f cancelingFinder) FindComment(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest, n itsm.Note) (itsm.Comment, bool, error) {
	f.cancel()
	<-ctx.Done()
	return itsm.Comment{}, false, fmt.Errorf("fake: list comments: %w", ctx.Err())
}

// noteBoundSetup links CASE-1 and leaves its note n1 ("a") pending, as a
// sync that crashed after recording it would; stored says the crashed
// sync's comment reached the ITSM. The Syncer's clock is an itsmtest.Clock.
func noteBoundSetup(t *testing.T, stored bool) (*harness, *itsm.Syncer, *itsmtest.Clock, itsm.Case) {
	t.Helper()
	h := newHarness(t, itsm.SyncerConfig{})
	clock := itsmtest.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	s := h.newSyncer(finderConn{h.conn}, itsm.SyncerConfig{}, itsm.WithClock(clock))
	ctx := context.Background()
	c := testCase("CASE-1")
	_, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	if stored {
		_, err := h.conn.Comment(ctx, itsm.Ticket{ID: "10001"}, itsm.SyncRequest{Case: &c,
			CorrelationKey: itsm.CorrelationKey(testIntegration, c.ID)}, notes("a")[0])
		require.NoError(t, err)
	}
	pendingNote(t, h, c.ID, "n1", "a")
	return h, s, clock, c
}

// noteRecord returns the stored record of note id of CASE-1.
func noteRecord(t *testing.T, h *harness, id string) itsm.PostedNote {
	t.Helper()
	posted, err := h.store.PostedNotes(context.Background(), testIntegration, "CASE-1")
	require.NoError(t, err)
	return posted[id]
}

// TestSyncNoteLookupFailuresBounded: a comment lookup that keeps failing
// holds back the later notes for itsm.MaxLookupFailures failed lookups in a
// row; from then on the note stays unconfirmed (never resent blindly, even
// at least once), the later notes are posted, and each sync looks it up
// once more, so the note settles by itself when the ITSM answers again.
func TestSyncNoteLookupFailuresBounded(t *testing.T) {
	t.Parallel()
	const bound = itsm.MaxLookupFailures
	tests := []struct {
		name     string
		failures int  // failed lookups scripted (then the lookup answers)
		stored   bool // the crashed sync's comment reached the ITSM
		// syncs run with notes a, b (each after the cooldown)
		syncs int
		// errs is how many of the syncs fail (the first ones)
		errs        int
		comments    []string // on the ticket after the syncs
		state       itsm.NoteState
		failCount   int      // n1's LookupFailures after the syncs
		unconfirmed []string // ButtonState.UnconfirmedNotes after the syncs
		lookups     int      // comment lookups made in all
	}{
		{"below the bound: the sync stops at the note", bound - 1, false, bound - 1, bound - 1,
			nil, itsm.NotePending, bound - 1, []string{"n1"}, bound - 1},
		{"at the bound: later notes post, the note stays unconfirmed", bound, false, bound, bound - 1,
			[]string{"b"}, itsm.NoteUnconfirmed, bound, []string{"n1"}, bound},
		{"past the bound: looked up once per sync, never resent", bound + 2, true, bound + 2, bound - 1,
			[]string{"a", "b"}, itsm.NoteUnconfirmed, bound + 2, []string{"n1"}, bound + 2},
		{"lookup answers again, found: recorded as posted", bound + 1, true, bound + 2, bound - 1,
			[]string{"a", "b"}, itsm.NotePosted, 0, nil, bound + 2},
		{"lookup answers again, not found: sent once", bound + 1, false, bound + 3, bound - 1,
			[]string{"b", "a"}, itsm.NotePosted, 0, nil, bound + 2},
		{"lookup answers below the bound: the count starts over", bound - 1, false, bound, bound - 1,
			[]string{"a", "b"}, itsm.NotePosted, 0, nil, bound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, s, clock, c := noteBoundSetup(t, tt.stored)
			ctx := context.Background()
			for range tt.failures {
				h.conn.script(opCommentLookup, fault{err: errStatus500})
			}
			for i := range tt.syncs {
				clock.Advance(itsm.DefaultCooldownPeriod)
				res, err := s.Sync(ctx, c, notes("a", "b"))
				if i < tt.errs {
					require.Error(t, err, "sync %d", i+1)
					assert.Contains(t, err.Error(), "look up the comment", "sync %d", i+1)
					assert.Contains(t, err.Error(), "Syncer.ConfirmNote", "sync %d", i+1)
					assert.Equal(t, i+1, noteRecord(t, h, "n1").LookupFailures, "sync %d counts its failed lookup", i+1)
					continue
				}
				require.NoError(t, err, "sync %d", i+1)
				if i < tt.failures {
					assert.Equal(t, []string{"n1"}, res.NotesUnconfirmed, "sync %d", i+1)
				}
			}
			assert.Equal(t, tt.comments, h.conn.comments())
			rec := noteRecord(t, h, "n1")
			assert.Equal(t, tt.state, rec.State)
			assert.Equal(t, tt.failCount, rec.LookupFailures)
			if slices.Contains(tt.comments, "b") {
				assert.Equal(t, itsm.NotePosted, noteRecord(t, h, "n2").State)
			}
			assert.Equal(t, tt.lookups, h.conn.count(opCommentLookup), "one lookup per sync while unsettled")
			st, err := s.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.unconfirmed, st.UnconfirmedNotes)
		})
	}
}

// TestSyncNoteLookupBoundAudited: the sync that gives up waiting for the
// note audits why, and the note can still be settled by a person.
func TestSyncNoteLookupBoundAudited(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		settle   func(ctx context.Context, s *itsm.Syncer) error
		comments []string // after one more sync whose lookup answers
	}{
		{"ConfirmNote posted", func(ctx context.Context, s *itsm.Syncer) error {
			return s.ConfirmNote(ctx, "CASE-1", "n1", true)
		}, []string{"b"}},
		{"RetryNote", func(ctx context.Context, s *itsm.Syncer) error {
			return s.RetryNote(ctx, "CASE-1", "n1")
		}, []string{"b", "a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, s, clock, c := noteBoundSetup(t, false)
			ctx := context.Background()
			for range itsm.MaxLookupFailures {
				h.conn.script(opCommentLookup, fault{err: errStatus500})
			}
			for range itsm.MaxLookupFailures {
				clock.Advance(itsm.DefaultCooldownPeriod)
				_, _ = s.Sync(ctx, c, notes("a", "b"))
			}
			require.Equal(t, []string{"b"}, h.conn.comments())
			events := h.audit.ops(string(opCommentLookup))
			require.Len(t, events, itsm.MaxLookupFailures)
			last := events[len(events)-1]
			assert.Equal(t, itsm.OutcomeFailure, last.Outcome)
			assert.Equal(t, "n1", last.NoteID)
			assert.True(t, strings.Contains(last.Reason, "stays unconfirmed") && strings.Contains(last.Reason, "later notes go on"), last.Reason)

			require.NoError(t, tt.settle(ctx, s))
			rec := noteRecord(t, h, "n1")
			assert.Zero(t, rec.LookupFailures)
			clock.Advance(itsm.DefaultCooldownPeriod)
			_, err := s.Sync(ctx, c, notes("a", "b"))
			require.NoError(t, err)
			assert.Equal(t, tt.comments, h.conn.comments())
			assert.Equal(t, itsm.MaxLookupFailures, h.conn.count(opCommentLookup), "a settled note is not looked up")
		})
	}
}

// TestSyncNoteLookupCanceledNotCounted: a lookup cut by the caller's
// context is not the ITSM's failure: not counted, and the sync stops.
func TestSyncNoteLookupCanceledNotCounted(t *testing.T) {
	t.Parallel()
	for _, before := range []int{0, itsm.MaxLookupFailures - 1, itsm.MaxLookupFailures} {
		t.Run(fmt.Sprintf("after %d failures", before), func(t *testing.T) {
			t.Parallel()
			h, _, clock, c := noteBoundSetup(t, false)
			rec := noteRecord(t, h, "n1")
			rec.LookupFailures = before
			require.NoError(t, h.store.UpdatePostedNote(context.Background(), rec))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := h.newSyncer(cancelingFinder{finderConn{h.conn}, cancel}, itsm.SyncerConfig{}, itsm.WithClock(clock))
			clock.Advance(itsm.DefaultCooldownPeriod)
			_, err := s.Sync(ctx, c, notes("a", "b"))
			require.ErrorIs(t, err, context.Canceled)
			assert.Empty(t, h.conn.comments())
			assert.Equal(t, before, noteRecord(t, h, "n1").LookupFailures)
		})
	}
}
