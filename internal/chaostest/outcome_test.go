package chaostest

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
)

// tally is what the ITSM and the store hold after a run, judged against the
// guarantee of the run's capabilities; the figures of the summary line.
type tally struct {
	notes      int // notes of the cases judged (not of cases needing attention)
	duplicates int // comments beyond the first of a note
	dupNotes   int // notes with more than one comment
	// unknowable counts the comments the ITSM stored whose sender could
	// not know it: the duplicates a policy of at least once may cause;
	// unknowableKilled those answered 201 to a sender killed before its
	// sync ended (killedMid), the others failed after the commit
	// (noteCommit.unknowable).
	unknowable, unknowableKilled int
	missing                      int // notes without a comment
	unconfirmed                  int // notes the state lists as unconfirmed
	// attention counts the cases the final pass found needing a person;
	// attentionTicket those of them with a ticket in the ITSM,
	// attentionFault those whose create the fake failed,
	// attentionKilled those whose worker was killed while syncing them.
	attention, attentionTicket, attentionFault, attentionKilled int
}

// counts is the tally's part of the summary line.
func (j tally) counts(snap fakeSnapshot) string {
	return fmt.Sprintf("tickets %d for %d cases; comments %d for %d notes; duplicates %d on %d note(s) (bound: %d stored comment(s) their sender could not know of, %d failed after the commit, %d answered to a sender then killed); missing %d; unconfirmed %d; needs attention %d (%d with a ticket; create failed at the ITSM %d, worker killed mid-sync %d)",
		snap.tickets, chaosCases, snap.comments, j.notes, j.duplicates, j.dupNotes, j.unknowable, j.unknowable-j.unknowableKilled, j.unknowableKilled, j.missing, j.unconfirmed,
		j.attention, j.attentionTicket, j.attentionFault, j.attentionKilled)
}

// summary is the run's summary line: kills, faults by kind and the tally.
func (j tally) summary(r *chaosRun, snap fakeSnapshot) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statsMu.Lock()
	transient := r.syncs[classLookupFailed]
	r.statsMu.Unlock()
	return fmt.Sprintf("SUMMARY %s [%s]: kills %s; %s; %s; worker syncs needing attention after failed lookups %d (recovered)",
		r.spec.Store, r.spec.Caps, sortedCounts(r.killed), snap.faultSummary(), j.counts(snap), transient)
}

// killedCases counts, per case, the worker processes killed while syncing
// it.
func (r *chaosRun) killedCases() map[string]int {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	out := map[string]int{}
	for _, c := range r.killedMid {
		out[c]++
	}
	return out
}

// killedDuring reports whether sender was killed while syncing case caseID.
func (r *chaosRun) killedDuring(sender, caseID string) bool {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	return sender != "" && r.killedMid[sender] == caseID
}

// judge checks every case against the run's guarantee and tallies it.
// attention holds the cases the final pass found needing a person (only
// without a ticket lookup); settled says a person has settled what the
// state showed, so nothing may be left unconfirmed.
//
// The guarantees, by capability:
//   - every variant: no case has two tickets; a case not needing attention
//     has one, linked, and no pending create;
//   - a comment lookup: exactly one comment per note;
//   - no comment lookup, NotesAtLeastOnce: no note lost; a note's
//     duplicates are at most its stored comments the sender could not know
//     of (answered 5xx, reset or held after the commit, or the sender
//     killed after it);
//   - no comment lookup, NotesAtMostOnce: no duplicate; a note without a
//     comment is listed in ButtonState.UnconfirmedNotes (until settled);
//   - no ticket lookup: a case needing attention has at most one ticket,
//     its state says PhaseNeedsAttention, and its create failed at the ITSM
//     or its worker was killed mid-sync; every case whose create failed at
//     the ITSM needs attention.
func (r *chaosRun) judge(ctx context.Context, s *itsm.Syncer, store *sqlstore.Store, snap fakeSnapshot, attention map[string]bool, settled bool) tally {
	t := r.t
	caps := r.spec.Caps
	var j tally
	killed := r.killedCases()
	keys := map[string]bool{}
	for i := range chaosCases {
		c, caseNotes := chaosCase(i)
		key := itsm.CorrelationKey(r.spec.IntegrationID, c.ID)
		keys[key] = true
		tickets := snap.byKey[key]
		st, err := s.State(ctx, c.ID)
		require.NoError(t, err, "case %s: state", c.ID)
		j.unconfirmed += len(st.UnconfirmedNotes)
		if snap.createFaults[key] > 0 && !caps.TicketLookup && !settled {
			assert.True(t, attention[c.ID], "case %s: its create failed at the ITSM (%d time(s)), so without a ticket lookup it needs attention", c.ID, snap.createFaults[key])
		}
		if attention[c.ID] {
			require.False(t, caps.TicketLookup, "case %s: needs attention with a ticket lookup", c.ID)
			j.attention++
			assert.LessOrEqual(t, len(tickets), 1, "case %s: needs attention and has no second ticket", c.ID)
			if len(tickets) > 0 {
				j.attentionTicket++
			}
			assert.Equal(t, itsm.PhaseNeedsAttention, st.Phase, "case %s: the state shows it needs attention", c.ID)
			assert.NotNil(t, st.Pending, "case %s: the state shows its pending create", c.ID)
			assert.False(t, st.Linked, "case %s: needs attention and linked", c.ID)
			switch {
			case snap.createFaults[key] > 0:
				j.attentionFault++
			case killed[c.ID] > 0:
				j.attentionKilled++
			default:
				t.Errorf("case %s needs attention, but its create never failed at the ITSM and no worker was killed while syncing it", c.ID)
			}
			continue
		}
		if !assert.Len(t, tickets, 1, "case %s: exactly one ticket", c.ID) {
			continue
		}
		tk := tickets[0]
		link, err := store.GetLink(ctx, r.spec.IntegrationID, c.ID)
		if assert.NoError(t, err, "case %s: link", c.ID) {
			assert.Equal(t, tk.ID, link.TicketID, "case %s: the link names its ticket", c.ID)
		}
		_, err = store.GetPending(ctx, r.spec.IntegrationID, c.ID)
		assert.ErrorIs(t, err, itsm.ErrNotFound, "case %s: no pending create left", c.ID)
		assert.Equal(t, itsm.PhaseIdle, st.Phase, "case %s: state", c.ID)
		if caps.CommentLookup || caps.Notes == itsm.NotesAtLeastOnce || settled {
			assert.Empty(t, st.UnconfirmedNotes, "case %s: nothing left unconfirmed", c.ID)
		}
		r.judgeNotes(c, caseNotes, tk, snap, st.UnconfirmedNotes, &j)
	}
	for key, tks := range snap.byKey {
		assert.True(t, keys[key], "%d ticket(s) with an unknown correlation key %q", len(tks), key)
	}
	// The documented exceptions, counted (each is also checked per note
	// and per case above).
	assert.LessOrEqual(t, j.duplicates, j.unknowable, "duplicates beyond the stored comments their senders could not know of")
	assert.LessOrEqual(t, j.missing, j.unconfirmed, "missing notes beyond the unconfirmed ones")
	assert.Equal(t, j.attention, j.attentionFault+j.attentionKilled, "cases needing attention without an unknown create")
	return j
}

// judgeNotes checks the comments of one case's notes on its ticket.
func (r *chaosRun) judgeNotes(c itsm.Case, notes []itsm.Note, tk *fakeTicket, snap fakeSnapshot, unconfirmed []string, j *tally) {
	t := r.t
	caps := r.spec.Caps
	exactlyOnce := caps.CommentLookup
	count := map[string]int{}
	for _, cm := range tk.Comments {
		count[cm.NoteID]++
	}
	for _, n := range notes {
		j.notes++
		unknowable := 0
		for _, cm := range snap.commits[noteKey{tk.ID, n.ID}] {
			switch {
			case cm.unknowable():
				unknowable++
			case r.killedDuring(cm.sender, c.ID):
				unknowable++
				j.unknowableKilled++
			}
		}
		j.unknowable += unknowable
		switch k := count[n.ID]; {
		case k == 0:
			j.missing++
			if exactlyOnce || caps.Notes == itsm.NotesAtLeastOnce {
				t.Errorf("case %s: note %s has no comment on ticket %s (%s)", c.ID, n.ID, tk.ID, caps)
			} else {
				assert.Contains(t, unconfirmed, n.ID, "case %s: note %s has no comment on ticket %s, so it must be listed as unconfirmed", c.ID, n.ID, tk.ID)
			}
		case k > 1:
			j.dupNotes++
			j.duplicates += k - 1
			if exactlyOnce || caps.Notes == itsm.NotesAtMostOnce {
				t.Errorf("case %s: note %s has %d comments on ticket %s (%s)", c.ID, n.ID, k, tk.ID, caps)
			} else {
				assert.LessOrEqual(t, k-1, unknowable, "case %s: note %s has %d comments, more duplicates than stored comments its senders could not know of (%v)",
					c.ID, n.ID, k, snap.commits[noteKey{tk.ID, n.ID}])
			}
		}
		delete(count, n.ID)
	}
	assert.Empty(t, count, "case %s: comments of unknown notes", c.ID)
}

// settlement counts what a person did after the final pass.
type settlement struct {
	resolved, cleared, confirmed, retried int
}

func (st settlement) String() string {
	return fmt.Sprintf("%d case(s) linked to the ticket found (Resolve), %d allowed a new create (ClearPending), %d note(s) confirmed (ConfirmNote), %d retried (RetryNote)",
		st.resolved, st.cleared, st.confirmed, st.retried)
}

// settle does what a person does with the states the final pass left: a
// case needing attention is linked to the ticket carrying its correlation
// key (Resolve) or, when the ITSM has none, allowed a new create
// (ClearPending); an unconfirmed note found on the ticket is confirmed, one
// not found is retried.
func (r *chaosRun) settle(ctx context.Context, s *itsm.Syncer, fake *fakeITSM, attention map[string]bool) settlement {
	t := r.t
	var out settlement
	snap := fake.snapshot()
	for i := range chaosCases {
		c, _ := chaosCase(i)
		tickets := snap.byKey[itsm.CorrelationKey(r.spec.IntegrationID, c.ID)]
		if attention[c.ID] {
			if len(tickets) == 1 {
				require.NoError(t, s.Resolve(ctx, c.ID, itsm.Ticket{ID: tickets[0].ID}), "resolve case %s", c.ID)
				out.resolved++
			} else {
				require.NoError(t, s.ClearPending(ctx, c.ID), "clear pending create of case %s", c.ID)
				out.cleared++
			}
			continue
		}
		st, err := s.State(ctx, c.ID)
		require.NoError(t, err, "state of case %s", c.ID)
		if len(st.UnconfirmedNotes) == 0 {
			continue
		}
		require.Len(t, tickets, 1, "case %s", c.ID)
		for _, id := range st.UnconfirmedNotes {
			on := slices.ContainsFunc(tickets[0].Comments, func(cm fakeComment) bool { return cm.NoteID == id })
			if on {
				require.NoError(t, s.ConfirmNote(ctx, c.ID, id, true), "confirm note %s", id)
				out.confirmed++
			} else {
				require.NoError(t, s.RetryNote(ctx, c.ID, id), "retry note %s", id)
				out.retried++
			}
		}
	}
	return out
}

// assertWorkers checks what the workers reported and logs it.
func (r *chaosRun) assertWorkers(snap fakeSnapshot, restarts int) {
	t := r.t
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	t.Logf("%s: %d workers spawned, kills %s (%d during a sync), %d database restart(s)", r.spec.Store, r.spawned, sortedCounts(r.killed), len(r.killedMid), restarts)
	t.Logf("worker syncs: %s", sortedCounts(r.syncs))
	t.Logf("ITSM calls: %s; %s", sortedCounts(snap.calls), snap.faultSummary())
	assert.Empty(t, r.failures, "worker output telling of a failure")
	assert.NotZero(t, r.syncs["created"]+r.syncs["recovered"]+r.syncs["updated"], "workers synced cases")
	assert.NotZero(t, r.killed["random"]+r.killed["mid-request"], "workers were killed")
	assert.NotEmpty(t, snap.faults, "the ITSM failed calls")
	classes := make([]string, 0, len(r.example))
	for class := range r.example {
		classes = append(classes, class)
	}
	sort.Strings(classes)
	for _, class := range classes {
		t.Logf("first %q: %s", class, r.example[class])
	}
	// Every ticket carries its key: a case linked to another ticket, or a
	// ticket gone, is a defect; so is a case needing a person when a
	// finder is configured, except after more than itsm.MaxLookupFailures
	// failed lookups (documented as transient: judge asserts the case
	// recovered by itself, with no second ticket), which only a failing
	// list endpoint causes.
	defects := []string{"link conflict", "ticket gone", "other error"}
	if r.spec.Caps.TicketLookup {
		defects = append(defects, "needs attention")
		if n := r.syncs[classLookupFailed]; n > 0 {
			t.Logf("documented exception: %d worker sync(s) ended needing attention after more than %d failed lookups (first: %s); the final pass recovered them by lookup",
				n, itsm.MaxLookupFailures, r.example[classLookupFailed])
			assert.NotZero(t, snap.faults["list tickets: "+string(faultListFailure)], "a lookup failed without a failing list endpoint")
		}
	} else {
		assert.Zero(t, r.syncs[classLookupFailed], "a lookup failed without a ticket lookup configured")
	}
	for _, class := range defects {
		assert.Zero(t, r.syncs[class], "worker syncs ending with %s (first: %s)", class, r.example[class])
	}
}
