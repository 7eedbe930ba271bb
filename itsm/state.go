package itsm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Phase is where a case's "Sync With ITSM" button stands.
type Phase string

// Button phases: enabled, disabled while a sync runs, locked during the
// cooldown, and blocked until a person acts.
const (
	// PhaseIdle: the button is enabled; a click syncs.
	PhaseIdle Phase = "idle"
	// PhaseInFlight: a sync of the case is running (here or on another
	// replica); the button is disabled until it ends or its lease expires.
	PhaseInFlight Phase = "in_flight"
	// PhaseCoolingDown: the case was synced successfully and is locked until
	// CooldownUntil.
	PhaseCoolingDown Phase = "cooling_down"
	// PhaseNeedsAttention: an earlier create has an unknown outcome and the
	// connector cannot look the ticket up (or its lookups failed more than
	// [MaxLookupFailures] times); a person must link the ticket
	// ([Syncer.Resolve]) or allow a new create ([Syncer.ClearPending]). Or
	// the case's link was made in another target than the connector's
	// ([ButtonState].TargetChanged): the host must keep or retire the
	// integration's links of that target ([Syncer.KeepLinks],
	// [Syncer.RetireLinks]).
	PhaseNeedsAttention Phase = "needs_attention"
)

// ButtonState is what a UI shows for a case before and after a click: the
// phase (enabled, disabled while in flight, cooling down until a time, or
// needing attention) and the linked ticket for the success tag.
type ButtonState struct {
	// CaseID is the case the state is about.
	CaseID string `json:"case_id"`
	// Phase decides the button: enabled, disabled in flight, locked while
	// cooling down, or blocked until a person acts (see [Phase]).
	Phase Phase `json:"phase"`
	// Enabled reports whether a click may start a sync now (PhaseIdle).
	Enabled bool `json:"enabled"`
	// InFlightUntil is when the running sync's lease expires unless renewed
	// (set in PhaseInFlight).
	InFlightUntil time.Time `json:"in_flight_until,omitzero"`
	// CooldownUntil is when the cooldown ends, and Remaining the time left,
	// whenever the case is cooling down (even while in flight). In JSON,
	// Remaining is a time.Duration: an integer of nanoseconds.
	CooldownUntil time.Time     `json:"cooldown_until,omitzero"`
	Remaining     time.Duration `json:"remaining,omitempty"`
	// Linked reports a linked ticket; TicketID, TicketKey and URL identify it
	// (the success tag and its link).
	Linked    bool   `json:"linked"`
	TicketID  string `json:"ticket_id,omitempty"`
	TicketKey string `json:"ticket_key,omitempty"`
	URL       string `json:"url,omitempty"`
	// Pending is the case's unresolved create (an unknown outcome, or a
	// create whose sender is gone), nil when there is none. With a Finder
	// the next sync resolves it by lookup; without one, or once its
	// Attempts exceed [MaxLookupFailures], the phase is
	// PhaseNeedsAttention.
	Pending *PendingCreate `json:"pending,omitempty"`
	// FailedNotes are the case's notes the ITSM refused for good, ordered
	// by note id: not sent again until their text changes or
	// [Syncer.RetryNote] clears them. They do not change the phase.
	FailedNotes []NoteFailure `json:"failed_notes,omitempty"`
	// TargetChanged is set when the case's link was made in another target
	// than the connector's current one: syncs are refused with a
	// *TargetChangedError and the phase is PhaseNeedsAttention (unless in
	// flight or cooling down).
	TargetChanged *TargetChange `json:"target_changed,omitempty"`
	// UnconfirmedNotes are the ids (ordered) of the case's notes whose
	// comment may or may not be on the ticket: sent without an answer, or
	// recorded before sending by a sync that did not finish (listed once
	// no sync of the case is running). The next sync resolves them (see
	// [Syncer.Sync]); under [NotesAtMostOnce] without a comment lookup a
	// person does, with [Syncer.ConfirmNote] or [Syncer.RetryNote]. With a
	// comment lookup that has failed [MaxLookupFailures] times in a row for
	// a note ([PostedNote].LookupFailures), the note stays here, no longer
	// holding back the later notes, until a sync's lookup answers or a
	// person settles it the same way. They do not change the phase.
	UnconfirmedNotes []string `json:"unconfirmed_notes,omitempty"`
	// Orphans are the tickets found carrying the case's correlation key
	// besides the linked one and not dismissed yet (see [Orphan]), ordered
	// by FoundAt; empty when the store does not implement [OrphanStore].
	// They do not change the phase.
	Orphans []Orphan `json:"orphans,omitempty"`
}

// State returns the button state of a case, read from the store at the
// Syncer's clock. It changes nothing. A store error is returned wrapping
// [ErrStore]. Safe for concurrent use.
func (s *Syncer) State(ctx context.Context, caseID string) (ButtonState, error) {
	now := s.clock.Now()
	st := ButtonState{CaseID: caseID, Phase: PhaseIdle}
	link, err := s.store.GetLink(ctx, s.integrationID, caseID)
	switch {
	case err == nil:
		st.Linked = true
		st.TicketID, st.TicketKey, st.URL = link.TicketID, link.TicketKey, link.URL
		s.targetState(&st, link)
	case errors.Is(err, ErrNotFound):
		p, err := s.store.GetPending(ctx, s.integrationID, caseID)
		switch {
		case err == nil:
			st.Pending = &p
		case !errors.Is(err, ErrNotFound):
			return ButtonState{}, storeError(fmt.Sprintf("state of case %q: read pending create", caseID), err)
		}
	default:
		return ButtonState{}, storeError(fmt.Sprintf("state of case %q: read link", caseID), err)
	}
	if s.period > 0 {
		until, err := s.cooldown.CooldownUntil(ctx, s.key("cooldown", caseID), now)
		if err != nil {
			return ButtonState{}, storeError(fmt.Sprintf("state of case %q: read cooldown", caseID), err)
		}
		if until.After(now) {
			st.CooldownUntil, st.Remaining = until, until.Sub(now)
		}
	}
	notes, err := s.store.PostedNotes(ctx, s.integrationID, caseID)
	if err != nil {
		return ButtonState{}, storeError(fmt.Sprintf("state of case %q: read posted notes", caseID), err)
	}
	var pendingNotes []string
	for _, n := range notes {
		switch {
		case n.Failed:
			st.FailedNotes = append(st.FailedNotes, noteFailure(n))
		case n.State == NoteUnconfirmed:
			st.UnconfirmedNotes = append(st.UnconfirmedNotes, n.NoteID)
		case n.State == NotePending:
			pendingNotes = append(pendingNotes, n.NoteID)
		}
	}
	slices.SortFunc(st.FailedNotes, func(a, b NoteFailure) int { return strings.Compare(a.NoteID, b.NoteID) })
	if ostore, ok := s.store.(OrphanStore); ok {
		orphans, err := ostore.Orphans(ctx, s.integrationID, caseID)
		if err != nil {
			return ButtonState{}, storeError(fmt.Sprintf("state of case %q: read orphans", caseID), err)
		}
		if len(orphans) > 0 {
			st.Orphans = orphans
		}
	}
	lease, err := s.store.GetLease(ctx, s.key("sync", caseID))
	switch {
	case err == nil:
		if lease.ExpiresAt.After(now) {
			st.InFlightUntil = lease.ExpiresAt
		}
	case !errors.Is(err, ErrNotFound):
		return ButtonState{}, storeError(fmt.Sprintf("state of case %q: read lease", caseID), err)
	}
	if st.InFlightUntil.IsZero() {
		// Pending while no sync runs: its sender stopped before the answer
		// was recorded.
		st.UnconfirmedNotes = append(st.UnconfirmedNotes, pendingNotes...)
	}
	slices.Sort(st.UnconfirmedNotes)
	switch {
	case !st.InFlightUntil.IsZero():
		st.Phase = PhaseInFlight
	case !st.CooldownUntil.IsZero():
		st.Phase = PhaseCoolingDown
	case st.Pending != nil && (s.finder == nil || st.Pending.Attempts > MaxLookupFailures), st.TargetChanged != nil:
		st.Phase = PhaseNeedsAttention
	}
	st.Enabled = st.Phase == PhaseIdle
	return st, nil
}
