package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// The target conformance cases run on stores that implement
// itsm.TargetStore (memstore and sqlstore do) and are skipped otherwise.

const (
	stTargetA = "http|https://a.example.test:443|/api/tickets"
	stTargetB = "http|https://b.example.test:443|/api/tickets"
)

// stTargets returns s as an itsm.TargetStore, or skips the test.
func stTargets(t *testing.T, s Store) itsm.TargetStore {
	t.Helper()
	ts, ok := s.(itsm.TargetStore)
	if !ok {
		t.Skip("the store does not implement itsm.TargetStore")
	}
	return ts
}

// stTargetLinks stores links case-001..case-00n of int-1 in target,
// ticket ids starting at first.
func stTargetLinks(t *testing.T, s Store, target string, from, to, firstTicket int) {
	t.Helper()
	for i := from; i <= to; i++ {
		l := stLinkFixture("int-1", stCaseID(i), "1000"+string(rune('0'+firstTicket+i-from)))
		l.Target = target
		require.NoError(t, s.PutLink(t.Context(), l))
	}
}

var stTargetCases = []stCase{
	{"LinkTargetsCounts", func(t *testing.T, s Store) {
		ts := stTargets(t, s)
		ctx := t.Context()
		got, err := ts.LinkTargets(ctx, "int-1")
		require.NoError(t, err)
		assert.Empty(t, got, "no links, no targets")
		stTargetLinks(t, s, stTargetB, 1, 2, 0)
		stTargetLinks(t, s, "", 3, 3, 2)
		stTargetLinks(t, s, stTargetA, 4, 6, 3)
		other := stLinkFixture("int-2", "case-001", "99")
		other.Target = "other"
		require.NoError(t, s.PutLink(ctx, other))
		got, err = ts.LinkTargets(ctx, "int-1")
		require.NoError(t, err)
		assert.Equal(t, []itsm.TargetCount{{Target: "", Links: 1}, {Target: stTargetA, Links: 3}, {Target: stTargetB, Links: 2}}, got,
			"ordered by target, counted per integration")
	}},
	{"RetargetOnlyMatching", func(t *testing.T, s Store) {
		ts := stTargets(t, s)
		ctx := t.Context()
		stTargetLinks(t, s, stTargetA, 1, 2, 0)
		stTargetLinks(t, s, "", 3, 3, 2)
		other := stLinkFixture("int-2", "case-001", "99")
		other.Target = stTargetA
		require.NoError(t, s.PutLink(ctx, other))
		before, err := s.GetLink(ctx, "int-1", stCaseID(1))
		require.NoError(t, err)

		n, err := ts.RetargetLinks(ctx, "int-1", stTargetA, stTargetB)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		after, err := s.GetLink(ctx, "int-1", stCaseID(1))
		require.NoError(t, err)
		want := before
		want.Target = stTargetB
		assert.Equal(t, stLink(want), stLink(after), "only the target changes")
		legacy, err := s.GetLink(ctx, "int-1", stCaseID(3))
		require.NoError(t, err)
		assert.Empty(t, legacy.Target, "a link of another target is left alone")
		o, err := s.GetLink(ctx, "int-2", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stTargetA, o.Target, "another integration is left alone")

		n, err = ts.RetargetLinks(ctx, "int-1", "", stTargetB)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "from \"\" selects the links with no target")
		n, err = ts.RetargetLinks(ctx, "int-1", stTargetA, stTargetB)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing left in A")
	}},
	{"RetireMovesLinkNotesAndInboundState", func(t *testing.T, s Store) {
		ts := stTargets(t, s)
		ctx := t.Context()
		old := stLinkFixture("int-1", "case-001", "7")
		old.Target = stTargetA
		old.Closed = true
		require.NoError(t, s.PutLink(ctx, old))
		keep := stLinkFixture("int-1", "case-002", "8")
		keep.Target = stTargetB
		require.NoError(t, s.PutLink(ctx, keep))
		posted := itsm.PostedNote{IntegrationID: "int-1", CaseID: "case-001", NoteID: "n2", TicketID: "7", CommentID: "c1",
			TextHash: "h2", PostedAt: stAt(time.Minute).In(stZoneWest)}
		failed := itsm.PostedNote{IntegrationID: "int-1", CaseID: "case-001", NoteID: "n1", TicketID: "7",
			TextHash: "h1", PostedAt: stAt(2 * time.Minute), Failed: true, Reason: "refused"}
		unconfirmed := itsm.PostedNote{IntegrationID: "int-1", CaseID: "case-001", NoteID: "n3", TicketID: "7",
			TextHash: "h3", PostedAt: stAt(3 * time.Minute), State: itsm.NoteUnconfirmed, LookupFailures: itsm.MaxLookupFailures}
		require.NoError(t, s.MarkNotePosted(ctx, posted))
		require.NoError(t, s.MarkNotePosted(ctx, failed))
		require.NoError(t, s.MarkNotePosted(ctx, unconfirmed))
		keptNote := itsm.PostedNote{IntegrationID: "int-1", CaseID: "case-002", NoteID: "n1", TicketID: "8", TextHash: "h", PostedAt: stAt(0)}
		require.NoError(t, s.MarkNotePosted(ctx, keptNote))
		for _, id := range []string{"7", "8"} {
			ok, err := s.AdvanceInboundState(ctx, itsm.InboundState{IntegrationID: "int-1", TicketID: id, Version: 5, OccurredAt: stAt(0), UpdatedAt: stAt(0)})
			require.NoError(t, err)
			require.True(t, ok)
		}
		require.NoError(t, s.CreatePending(ctx, itsm.PendingCreate{IntegrationID: "int-1", CaseID: "case-003", State: itsm.PendingUnknown, StartedAt: stAt(0), UpdatedAt: stAt(0)}))

		at := stAt(time.Hour).In(stZoneEast)
		n, err := ts.RetireLinks(ctx, "int-1", stTargetA, at)
		require.NoError(t, err)
		assert.Equal(t, 1, n)

		_, err = s.GetLink(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound, "GetLink of a retired link")
		_, err = s.GetLinkByTicket(ctx, "int-1", "7")
		stIs(t, err, itsm.ErrNotFound, "GetLinkByTicket of a retired ticket")
		notes, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Empty(t, notes, "the retired case's note records moved with its link")
		_, err = s.GetInboundState(ctx, "int-1", "7")
		stIs(t, err, itsm.ErrNotFound, "inbound state of a retired ticket")

		retired, err := ts.RetiredLinks(ctx, "int-1", "case-001")
		require.NoError(t, err)
		require.Len(t, retired, 1)
		assert.Equal(t, stLink(old), stLink(retired[0].Link))
		assert.Equal(t, stTime(at), stTime(retired[0].RetiredAt))
		want := []itsm.PostedNote{failed, posted, unconfirmed} // by note id
		for i := range want {
			want[i].PostedAt = stTime(want[i].PostedAt)
		}
		got := retired[0].Notes
		for i := range got {
			got[i].PostedAt = stTime(got[i].PostedAt)
		}
		assert.Equal(t, want, got)

		// The rest is untouched.
		k, err := s.GetLink(ctx, "int-1", "case-002")
		require.NoError(t, err)
		assert.Equal(t, stLink(keep), stLink(k))
		kn, err := s.PostedNotes(ctx, "int-1", "case-002")
		require.NoError(t, err)
		assert.Len(t, kn, 1)
		_, err = s.GetInboundState(ctx, "int-1", "8")
		require.NoError(t, err)
		_, err = s.GetPending(ctx, "int-1", "case-003")
		require.NoError(t, err, "pending creates are not touched")
		none, err := ts.RetiredLinks(ctx, "int-1", "case-002")
		require.NoError(t, err)
		assert.Empty(t, none)
	}},
	{"RetireKeepsInboundStateOfATicketStillLinked", func(t *testing.T, s Store) {
		ts := stTargets(t, s)
		ctx := t.Context()
		a := stLinkFixture("int-1", "case-001", "7")
		a.Target = stTargetA
		b := stLinkFixture("int-1", "case-002", "7") // B's own ticket 7
		b.Target = stTargetB
		require.NoError(t, s.PutLink(ctx, a))
		require.NoError(t, s.PutLink(ctx, b))
		_, err := s.AdvanceInboundState(ctx, itsm.InboundState{IntegrationID: "int-1", TicketID: "7", Version: 3, UpdatedAt: stAt(0)})
		require.NoError(t, err)
		n, err := ts.RetireLinks(ctx, "int-1", stTargetA, stAt(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		_, err = s.GetInboundState(ctx, "int-1", "7")
		require.NoError(t, err, "ticket 7 is still linked (in B): its ordering state stays")
		l, err := s.GetLinkByTicket(ctx, "int-1", "7")
		require.NoError(t, err)
		assert.Equal(t, "case-002", l.CaseID)
	}},
	{"RetireTwiceKeepsHistoryInOrder", func(t *testing.T, s Store) {
		ts := stTargets(t, s)
		ctx := t.Context()
		at := stAt(time.Hour)
		for i, target := range []string{stTargetA, stTargetB, ""} {
			l := stLinkFixture("int-1", "case-001", "1"+string(rune('0'+i)))
			l.Target = target
			require.NoError(t, s.PutLink(ctx, l))
			n, err := ts.RetireLinks(ctx, "int-1", target, at) // the same instant each time
			require.NoError(t, err)
			require.Equal(t, 1, n)
		}
		got, err := ts.RetiredLinks(ctx, "int-1", "case-001")
		require.NoError(t, err)
		require.Len(t, got, 3)
		for i, target := range []string{stTargetA, stTargetB, ""} {
			assert.Equal(t, target, got[i].Target, "retirement %d", i)
			assert.Empty(t, got[i].Notes)
		}
		n, err := ts.RetireLinks(ctx, "int-1", stTargetA, at)
		require.NoError(t, err)
		assert.Zero(t, n, "nothing left to retire")
	}},
	{"ConcurrentRetireMovesEachLinkOnce", func(t *testing.T, s Store) {
		ts := stTargets(t, s)
		ctx := t.Context()
		stTargetLinks(t, s, stTargetA, 1, 5, 0)
		var wg sync.WaitGroup
		counts := make([]int, 4)
		for w := range counts {
			wg.Go(func() {
				n, err := ts.RetireLinks(context.WithoutCancel(ctx), "int-1", stTargetA, stAt(time.Hour))
				assert.NoError(t, err)
				counts[w] = n
			})
		}
		wg.Wait()
		total := 0
		for _, n := range counts {
			total += n
		}
		assert.Equal(t, 5, total, "each link retired by exactly one call")
		for i := 1; i <= 5; i++ {
			got, err := ts.RetiredLinks(ctx, "int-1", stCaseID(i))
			require.NoError(t, err)
			assert.Len(t, got, 1, "case %d", i)
		}
	}},
	{"GetLinkByTicketInTarget", func(t *testing.T, s Store) {
		ts, ok := s.(interface {
			GetLinkByTicketInTarget(ctx context.Context, integrationID, ticketID, target string) (itsm.Link, error)
		})
		if !ok {
			t.Skip("the store does not implement GetLinkByTicketInTarget")
		}
		ctx := t.Context()
		a := stLinkFixture("int-1", "case-001", "7") // key SEC-7
		a.Target = stTargetA
		b := stLinkFixture("int-1", "case-002", "7")
		b.Target = stTargetB
		legacy := stLinkFixture("int-1", "case-003", "9")
		require.NoError(t, s.PutLink(ctx, a))
		require.NoError(t, s.PutLink(ctx, b))
		require.NoError(t, s.PutLink(ctx, legacy))
		for _, c := range []struct{ ticket, target, want string }{
			{"7", stTargetA, "case-001"},
			{"7", stTargetB, "case-002"},
			{"SEC-7", stTargetB, "case-002"},
			{"9", stTargetB, "case-003"}, // no target: matches any
		} {
			got, err := ts.GetLinkByTicketInTarget(ctx, "int-1", c.ticket, c.target)
			require.NoError(t, err, "%s in %s", c.ticket, c.target)
			assert.Equal(t, c.want, got.CaseID, "%s in %s", c.ticket, c.target)
		}
		_, err := ts.GetLinkByTicketInTarget(ctx, "int-1", "7", "http|https://c.example.test:443|/x")
		stIs(t, err, itsm.ErrNotFound, "a ticket linked only in other targets")
		_, err = ts.GetLinkByTicketInTarget(ctx, "int-1", "", stTargetA)
		stIs(t, err, itsm.ErrNotFound, "an empty ticket id")
	}},
}
