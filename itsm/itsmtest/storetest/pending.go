package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// stPendingFixture returns an in-flight pending create.
func stPendingFixture(integrationID, caseID string) itsm.PendingCreate {
	return itsm.PendingCreate{
		IntegrationID:  integrationID,
		CaseID:         caseID,
		CorrelationKey: "itsmsync-" + integrationID + "-" + caseID,
		State:          itsm.PendingInFlight,
		Attempts:       1,
		StartedAt:      stAt(0),
		UpdatedAt:      stAt(0).In(stZoneWest),
	}
}

// stNoteFixture returns a posted note with every field set.
func stNoteFixture(integrationID, caseID, noteID string) itsm.PostedNote {
	return itsm.PostedNote{
		IntegrationID: integrationID,
		CaseID:        caseID,
		NoteID:        noteID,
		TicketID:      "10001",
		CommentID:     "c-" + noteID,
		TextHash:      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		PostedAt:      stAt(2 * time.Second),
	}
}

var stPendingCases = []stCase{
	{"GetMissing", func(t *testing.T, s Store) {
		_, err := s.GetPending(t.Context(), "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound)
	}},
	{"CreateThenGet", func(t *testing.T, s Store) {
		p := stPendingFixture("int-1", "case-001")
		require.NoError(t, s.CreatePending(t.Context(), p))
		got, err := s.GetPending(t.Context(), "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stPending(p), stPending(got))
	}},
	{"CreateConflict", func(t *testing.T, s Store) {
		ctx := t.Context()
		p := stPendingFixture("int-1", "case-001")
		require.NoError(t, s.CreatePending(ctx, p))
		p2 := p
		p2.CorrelationKey = "other"
		p2.State = itsm.PendingUnknown
		p2.Attempts = 7
		stIs(t, s.CreatePending(ctx, p2), itsm.ErrConflict, "a second pending create of one case")
		got, err := s.GetPending(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stPending(p), stPending(got), "the losing create must not change the stored one")
	}},
	{"ScopedByIntegrationAndCase", func(t *testing.T, s Store) {
		ctx := t.Context()
		a := stPendingFixture("int-a", "case-001")
		b := stPendingFixture("int-b", "case-001")
		c := stPendingFixture("int-a", "case-002")
		for _, p := range []itsm.PendingCreate{a, b, c} {
			require.NoError(t, s.CreatePending(ctx, p), "%s/%s", p.IntegrationID, p.CaseID)
		}
		for _, p := range []itsm.PendingCreate{a, b, c} {
			got, err := s.GetPending(ctx, p.IntegrationID, p.CaseID)
			require.NoError(t, err)
			assert.Equal(t, stPending(p), stPending(got))
		}
	}},
	{"Update", func(t *testing.T, s Store) {
		ctx := t.Context()
		p := stPendingFixture("int-1", "case-001")
		require.NoError(t, s.CreatePending(ctx, p))
		p.State = itsm.PendingUnknown
		p.Attempts = 2
		p.UpdatedAt = stAt(30 * time.Second)
		p.LastError = "itsm: create: outcome unknown: timeout after send"
		require.NoError(t, s.UpdatePending(ctx, p))
		got, err := s.GetPending(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stPending(p), stPending(got))
	}},
	{"UpdateMissing", func(t *testing.T, s Store) {
		ctx := t.Context()
		stIs(t, s.UpdatePending(ctx, stPendingFixture("int-1", "case-001")), itsm.ErrNotFound)
		_, err := s.GetPending(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound, "UpdatePending of a missing pending create must not create it")
	}},
	{"Delete", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-001")))
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-002")))
		require.NoError(t, s.DeletePending(ctx, "int-1", "case-001"))
		_, err := s.GetPending(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound)
		_, err = s.GetPending(ctx, "int-1", "case-002")
		assert.NoError(t, err, "another case's pending create is kept")
		assert.NoError(t, s.DeletePending(ctx, "int-1", "case-001"), "deleting a deleted pending create")
		assert.NoError(t, s.DeletePending(ctx, "int-9", "case-404"), "deleting one that never existed")
		assert.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-001")), "creating again after a delete")
	}},
	{"CompletePending", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-001")))
		l := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, s.CompletePending(ctx, l))
		got, err := s.GetLink(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(l), stLink(got))
		got, err = s.GetLinkByTicket(ctx, "int-1", "10001")
		require.NoError(t, err)
		assert.Equal(t, stLink(l), stLink(got))
		_, err = s.GetPending(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound, "CompletePending must delete the pending create")
		assert.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-001")), "the case can have a pending create again")
	}},
	{"CompleteWithoutPending", func(t *testing.T, s Store) {
		// A create answer that arrives after another sync completed (or a
		// person cleared) the pending create must not store its link.
		ctx := t.Context()
		stIs(t, s.CompletePending(ctx, stLinkFixture("int-1", "case-001", "10001")), itsm.ErrConflict,
			"completing a case without a pending create")
		_, err := s.GetLink(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound, "no link may be written")
		_, err = s.GetLinkByTicket(ctx, "int-1", "10001")
		stIs(t, err, itsm.ErrNotFound, "no link may be written")
	}},
	{"CompleteTwiceKeepsFirstLink", func(t *testing.T, s Store) {
		// Replica B found the ticket and completed; zombie replica A's late
		// answer must not overwrite B's link.
		ctx := t.Context()
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-001")))
		first := stLinkFixture("int-1", "case-001", "10001")
		first.Closed = true
		first.LastPushedStatus = "Done"
		require.NoError(t, s.CompletePending(ctx, first))
		late := stLinkFixture("int-1", "case-001", "10002")
		stIs(t, s.CompletePending(ctx, late), itsm.ErrConflict, "the second completion")
		got, err := s.GetLink(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(first), stLink(got), "the first link is kept unchanged")
		_, err = s.GetLinkByTicket(ctx, "int-1", "10002")
		stIs(t, err, itsm.ErrNotFound)
		_, err = s.GetPending(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound, "no pending create reappears")
	}},
	{"CompleteAfterClearKeepsLink", func(t *testing.T, s Store) {
		ctx := t.Context()
		kept := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, s.PutLink(ctx, kept))
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-001")))
		require.NoError(t, s.DeletePending(ctx, "int-1", "case-001"))
		stIs(t, s.CompletePending(ctx, stLinkFixture("int-1", "case-001", "10002")), itsm.ErrConflict)
		got, err := s.GetLink(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(kept), stLink(got), "an existing link is not replaced")
	}},
	{"CompleteOtherCasePendingDoesNotCount", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-002")))
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-2", "case-001")))
		stIs(t, s.CompletePending(ctx, stLinkFixture("int-1", "case-001", "10001")), itsm.ErrConflict)
		_, err := s.GetLink(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound)
		_, err = s.GetPending(ctx, "int-1", "case-002")
		assert.NoError(t, err, "another case's pending create is kept")
		_, err = s.GetPending(ctx, "int-2", "case-001")
		assert.NoError(t, err, "another integration's pending create is kept")
	}},
	{"CompleteReplacesLink", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.PutLink(ctx, stLinkFixture("int-1", "case-001", "10001")))
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-001")))
		l := stLinkFixture("int-1", "case-001", "10002")
		require.NoError(t, s.CompletePending(ctx, l))
		got, err := s.GetLink(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(l), stLink(got))
		_, err = s.GetLinkByTicket(ctx, "int-1", "10001")
		stIs(t, err, itsm.ErrNotFound)
	}},
	{"CompleteTouchesOnlyItsCase", func(t *testing.T, s Store) {
		ctx := t.Context()
		other := stPendingFixture("int-1", "case-002")
		otherInt := stPendingFixture("int-2", "case-001")
		require.NoError(t, s.CreatePending(ctx, stPendingFixture("int-1", "case-001")))
		require.NoError(t, s.CreatePending(ctx, other))
		require.NoError(t, s.CreatePending(ctx, otherInt))
		require.NoError(t, s.CompletePending(ctx, stLinkFixture("int-1", "case-001", "10001")))
		for _, p := range []itsm.PendingCreate{other, otherInt} {
			got, err := s.GetPending(ctx, p.IntegrationID, p.CaseID)
			require.NoError(t, err, "%s/%s", p.IntegrationID, p.CaseID)
			assert.Equal(t, stPending(p), stPending(got))
		}
		_, err := s.GetLink(ctx, "int-1", "case-002")
		stIs(t, err, itsm.ErrNotFound)
	}},
}

var stNoteCases = []stCase{
	{"Empty", func(t *testing.T, s Store) {
		got, err := s.PostedNotes(t.Context(), "int-1", "case-001")
		require.NoError(t, err)
		assert.Empty(t, got)
	}},
	{"MarkThenList", func(t *testing.T, s Store) {
		ctx := t.Context()
		n1 := stNoteFixture("int-1", "case-001", "note-1")
		n2 := stNoteFixture("int-1", "case-001", "note-2")
		n2.CommentID = "" // the ITSM returned no comment id
		n2.PostedAt = stAt(3 * time.Second).In(stZoneEast)
		require.NoError(t, s.MarkNotePosted(ctx, n1))
		require.NoError(t, s.MarkNotePosted(ctx, n2))
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(n1), "note-2": stNote(n2)}, stNotes(got))
	}},
	{"MarkConflict", func(t *testing.T, s Store) {
		ctx := t.Context()
		n := stNoteFixture("int-1", "case-001", "note-1")
		require.NoError(t, s.MarkNotePosted(ctx, n))
		n2 := n
		n2.TextHash = "different"
		n2.CommentID = "c-other"
		stIs(t, s.MarkNotePosted(ctx, n2), itsm.ErrConflict, "a note recorded twice")
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(n)}, stNotes(got), "the losing mark must not change the record")
	}},
	{"ScopedByIntegrationAndCase", func(t *testing.T, s Store) {
		ctx := t.Context()
		a := stNoteFixture("int-1", "case-001", "note-1")
		b := stNoteFixture("int-1", "case-002", "note-1")
		c := stNoteFixture("int-2", "case-001", "note-1")
		for _, n := range []itsm.PostedNote{a, b, c} {
			require.NoError(t, s.MarkNotePosted(ctx, n), "%s/%s", n.IntegrationID, n.CaseID)
		}
		for _, n := range []itsm.PostedNote{a, b, c} {
			got, err := s.PostedNotes(ctx, n.IntegrationID, n.CaseID)
			require.NoError(t, err)
			assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(n)}, stNotes(got))
		}
	}},
	{"Update", func(t *testing.T, s Store) {
		ctx := t.Context()
		n := stNoteFixture("int-1", "case-001", "note-1")
		other := stNoteFixture("int-1", "case-001", "note-2")
		require.NoError(t, s.MarkNotePosted(ctx, n))
		require.NoError(t, s.MarkNotePosted(ctx, other))
		n.TextHash = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
		n.CommentID = "c-edited"
		n.PostedAt = stAt(time.Hour)
		require.NoError(t, s.UpdatePostedNote(ctx, n))
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(n), "note-2": stNote(other)}, stNotes(got))
	}},
	{"UpdateMissing", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.MarkNotePosted(ctx, stNoteFixture("int-1", "case-001", "note-1")))
		stIs(t, s.UpdatePostedNote(ctx, stNoteFixture("int-1", "case-001", "note-2")), itsm.ErrNotFound, "another note id")
		stIs(t, s.UpdatePostedNote(ctx, stNoteFixture("int-1", "case-002", "note-1")), itsm.ErrNotFound, "another case")
		stIs(t, s.UpdatePostedNote(ctx, stNoteFixture("int-2", "case-001", "note-1")), itsm.ErrNotFound, "another integration")
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Len(t, got, 1, "UpdatePostedNote of a missing note must not create it")
		got, err = s.PostedNotes(ctx, "int-1", "case-002")
		require.NoError(t, err)
		assert.Empty(t, got, "UpdatePostedNote of a missing note must not create it")
	}},
	{"NotAliased", func(t *testing.T, s Store) {
		ctx := t.Context()
		n := stNoteFixture("int-1", "case-001", "note-1")
		require.NoError(t, s.MarkNotePosted(ctx, n))
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		require.Len(t, got, 1)
		delete(got, "note-1")
		got["note-9"] = stNoteFixture("int-1", "case-001", "note-9")
		again, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(n)}, stNotes(again), "mutating the returned map must not change the store")
		assert.NoError(t, s.MarkNotePosted(ctx, stNoteFixture("int-1", "case-001", "note-9")), "note-9 was never recorded")
	}},
	{"FailedRoundTrip", func(t *testing.T, s Store) {
		ctx := t.Context()
		f := stFailedNoteFixture("int-1", "case-001", "note-1")
		p := stNoteFixture("int-1", "case-001", "note-2")
		require.NoError(t, s.MarkNotePosted(ctx, f))
		require.NoError(t, s.MarkNotePosted(ctx, p))
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(f), "note-2": stNote(p)}, stNotes(got))
		f2 := f
		f2.Reason = "other"
		stIs(t, s.MarkNotePosted(ctx, f2), itsm.ErrConflict, "a failed note recorded twice")
	}},
	{"UpdateFailedToPostedAndBack", func(t *testing.T, s Store) {
		ctx := t.Context()
		f := stFailedNoteFixture("int-1", "case-001", "note-1")
		require.NoError(t, s.MarkNotePosted(ctx, f))
		posted := stNoteFixture("int-1", "case-001", "note-1")
		posted.PostedAt = stAt(time.Hour)
		require.NoError(t, s.UpdatePostedNote(ctx, posted))
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(posted)}, stNotes(got), "Failed and Reason must be cleared by the update")
		refused := stFailedNoteFixture("int-1", "case-001", "note-1")
		refused.Reason = "HTTP 413: ünïcode 'quoted' \"reason\""
		require.NoError(t, s.UpdatePostedNote(ctx, refused))
		got, err = s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(refused)}, stNotes(got))
	}},
	{"ClearFailedNote", func(t *testing.T, s Store) {
		ctx := t.Context()
		f := stFailedNoteFixture("int-1", "case-001", "note-1")
		p := stNoteFixture("int-1", "case-001", "note-2")
		require.NoError(t, s.MarkNotePosted(ctx, f))
		require.NoError(t, s.MarkNotePosted(ctx, p))
		stIs(t, s.ClearFailedNote(ctx, "int-1", "case-001", "note-2"), itsm.ErrNotFound, "a posted note is not failed")
		stIs(t, s.ClearFailedNote(ctx, "int-1", "case-001", "note-3"), itsm.ErrNotFound, "a missing note")
		stIs(t, s.ClearFailedNote(ctx, "int-1", "case-002", "note-1"), itsm.ErrNotFound, "another case")
		stIs(t, s.ClearFailedNote(ctx, "int-2", "case-001", "note-1"), itsm.ErrNotFound, "another integration")
		require.NoError(t, s.ClearFailedNote(ctx, "int-1", "case-001", "note-1"))
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-2": stNote(p)}, stNotes(got), "only the failed record goes; the posted one stays")
		stIs(t, s.ClearFailedNote(ctx, "int-1", "case-001", "note-1"), itsm.ErrNotFound, "cleared twice")
		assert.NoError(t, s.MarkNotePosted(ctx, stNoteFixture("int-1", "case-001", "note-1")), "a cleared note can be recorded again")
	}},
}

// stFailedNoteFixture returns a note the ITSM refused for good.
func stFailedNoteFixture(integrationID, caseID, noteID string) itsm.PostedNote {
	n := stNoteFixture(integrationID, caseID, noteID)
	n.CommentID = ""
	n.Failed = true
	n.Reason = "HTTP 400: Comment body can not be empty!"
	return n
}

// stNoteStateCases cover the note states, RefusedHash and LookupFailures:
// kept as written, and ClearFailedNote removes pending and unconfirmed
// records but never a posted one.
var stNoteStateCases = []stCase{
	{"LookupFailuresCountAndReset", func(t *testing.T, s Store) {
		ctx := t.Context()
		n := stNoteFixture("int-1", "case-001", "note-1")
		n.State, n.CommentID = itsm.NotePending, ""
		require.NoError(t, s.MarkNotePosted(ctx, n))
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Zero(t, got["note-1"].LookupFailures, "a new record has no failed lookup")
		// Each failed lookup is counted, as a sync records it.
		for i := 1; i <= itsm.MaxLookupFailures+1; i++ {
			n.LookupFailures = i
			if i == itsm.MaxLookupFailures {
				n.State = itsm.NoteUnconfirmed
			}
			require.NoError(t, s.UpdatePostedNote(ctx, n))
			got, err := s.PostedNotes(ctx, "int-1", "case-001")
			require.NoError(t, err)
			assert.Equal(t, stNote(n), stNote(got["note-1"]), "after %d failed lookups", i)
		}
		// A lookup that answers settles the note and resets the count.
		n.State, n.CommentID, n.LookupFailures = itsm.NotePosted, "c-1", 0
		require.NoError(t, s.UpdatePostedNote(ctx, n))
		got, err = s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, map[string]itsm.PostedNote{"note-1": stNote(n)}, stNotes(got))
		// A losing mark does not change the count either.
		other := n
		other.LookupFailures = 3
		stIs(t, s.MarkNotePosted(ctx, other), itsm.ErrConflict)
		got, err = s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Zero(t, got["note-1"].LookupFailures)
	}},
	{"StatesRoundTrip", func(t *testing.T, s Store) {
		ctx := t.Context()
		notes := stSessionNotes()
		for _, n := range notes {
			require.NoError(t, s.MarkNotePosted(ctx, n))
		}
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stNotes(notes), stNotes(got))
		// Pending → posted, as a sync records the answer.
		p := notes["n-pending"]
		p.State, p.CommentID = itsm.NotePosted, "c-99"
		require.NoError(t, s.UpdatePostedNote(ctx, p))
		got, err = s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stNote(p), stNote(got["n-pending"]))
	}},
	{"ClearUnsettled", func(t *testing.T, s Store) {
		ctx := t.Context()
		for _, n := range stSessionNotes() {
			require.NoError(t, s.MarkNotePosted(ctx, n))
		}
		for _, id := range []string{"n-pending", "n-unconfirmed", "n-failed"} {
			require.NoError(t, s.ClearFailedNote(ctx, "int-1", "case-001", id), id)
		}
		for _, id := range []string{"n-posted", "n-legacy"} {
			stIs(t, s.ClearFailedNote(ctx, "int-1", "case-001", id), itsm.ErrNotFound, id)
		}
		got, err := s.PostedNotes(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Len(t, got, 2)
		assert.Contains(t, got, "n-posted")
		assert.Contains(t, got, "n-legacy")
	}},
}
