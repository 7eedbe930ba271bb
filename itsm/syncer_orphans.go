package itsm

import (
	"context"
	"errors"
	"fmt"

	"github.com/itsmsync/itsmsync/internal/clip"
)

// MaxLookupFailures bounds the failed lookups of one pending create. A
// failed lookup (an error other than [ErrNotConfigured]: the ITSM
// unreachable, a 5xx, a response that is not JSON; not a sync whose
// context was canceled) is counted in
// [PendingCreate].Attempts, which also counts the creates sent; a failed
// lookup that brings Attempts above MaxLookupFailures ends the sync in a
// *NeedsAttentionError (so after one create, the fifth failed lookup in
// all does). Later syncs still look the ticket up first, so the case
// recovers by itself once the ITSM answers; meanwhile a person may link
// the ticket ([Syncer.Resolve]) or allow a new create
// ([Syncer.ClearPending]).
//
// It bounds the failed comment lookups ([CommentFinder]) of a note whose
// outcome is unknown as well, counted in [PostedNote].LookupFailures (the
// same failures count; a successful lookup starts over): the first
// MaxLookupFailures-1 in a row stop the sync at the note, and from the
// MaxLookupFailures-th on the note stays unconfirmed while the later notes
// of the case are posted (see [Syncer.Sync]).
const MaxLookupFailures = 5

// checkFound refuses a ticket without an id and drops repeats (a connector
// reading several result pages may list one ticket twice), keeping the
// order.
func checkFound(caseID string, found []Ticket) ([]Ticket, error) {
	if len(found) < 2 {
		if len(found) == 1 && found[0].ID == "" {
			return nil, fmt.Errorf("itsm: sync case %q: lookup found a ticket without an id: %w", caseID, ErrMissingTicketID)
		}
		return found, nil
	}
	seen := make(map[string]bool, len(found))
	out := found[:0:0]
	for _, t := range found {
		if t.ID == "" {
			return nil, fmt.Errorf("itsm: sync case %q: lookup found a ticket without an id: %w", caseID, ErrMissingTicketID)
		}
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		out = append(out, t)
	}
	return out, nil
}

// lookupFailed counts a failed lookup in the pending create and returns the
// error to report: the lookup's, or a *NeedsAttentionError once
// [MaxLookupFailures] is passed.
func (s *Syncer) lookupFailed(ctx context.Context, r *run, p PendingCreate, lerr error) error {
	c := r.c
	err := fmt.Errorf("itsm: sync case %q: look up the ticket of an unknown-outcome create: %w", c.ID, lerr)
	if ctx.Err() != nil {
		return err // the caller gave up: not the ITSM's failure, not counted
	}
	p.Attempts++
	p.LastError = clip.Bytes("lookup: "+lerr.Error(), 200)
	if p.Attempts > MaxLookupFailures {
		err = &NeedsAttentionError{CaseID: c.ID, CorrelationKey: p.CorrelationKey, Pending: p, LookupFailed: true, Err: lerr}
	}
	// UpdatedAt stays: the lookup grace runs from the last create.
	wctx := r.record(ctx)
	if serr := s.store.UpdatePending(wctx, p); serr != nil {
		return errors.Join(err, storeError(fmt.Sprintf("sync case %q: count a failed lookup", c.ID), serr))
	}
	return err
}

// reportOrphans reports the tickets found besides the one linked: in the
// Result, as audit events (operation lookup, outcome skipped, reason
// "orphan"), as warnings in the log, and in the store when it implements
// [OrphanStore] (a store failure is returned: the next sync finds them
// again).
func (s *Syncer) reportOrphans(ctx context.Context, r *run, key, linkedID string, others []Ticket) error {
	if len(others) == 0 {
		return nil
	}
	ostore, _ := s.store.(OrphanStore)
	now := s.clock.Now()
	for _, t := range others {
		o := Orphan{IntegrationID: s.integrationID, CaseID: r.c.ID, CorrelationKey: key,
			TicketID: t.ID, TicketKey: t.Key, URL: t.URL, FoundAt: now, LinkedTicketID: linkedID}
		r.res.Orphans = append(r.res.Orphans, o)
		ev := s.event(r.c.ID, OpLookup, now)
		ev.TicketID = t.ID
		s.emit(ctx, ev, OutcomeSkipped, "orphan", nil)
		s.log.WarnContext(ctx, "itsm: orphan ticket: it carries the case's correlation key but is not the linked ticket; a person should close it or link it",
			"integration_id", s.integrationID, "case_id", r.c.ID, "ticket_id", t.ID, "ticket_key", t.Key, "linked_ticket_id", linkedID)
		if ostore == nil {
			continue
		}
		if err := ostore.RecordOrphan(r.record(ctx), o); err != nil {
			return storeError(fmt.Sprintf("sync case %q: record orphan ticket %s", r.c.ID, t.ID), err)
		}
	}
	return nil
}

// DismissOrphan marks the case's orphan ticket ticketID as handled by a
// person (closed as a duplicate, say): [ButtonState].Orphans no longer
// lists it and finding it again does not report it again. It needs a store
// implementing [OrphanStore] (an error wrapping [ErrNotConfigured]
// otherwise); an unknown orphan is an error wrapping [ErrNotFound]. The
// ITSM is not called. It takes the case's lease like a sync (an
// *InProgressError while one runs) and is audited.
func (s *Syncer) DismissOrphan(ctx context.Context, caseID, ticketID string) error {
	if err := requiredFields("case_id", caseID, "ticket_id", ticketID); err != nil {
		return err
	}
	ostore, ok := s.store.(OrphanStore)
	if !ok {
		return fmt.Errorf("itsm: dismiss orphan %s of case %q: the store does not keep orphans: %w", ticketID, caseID, ErrNotConfigured)
	}
	return s.manual(ctx, caseID, "dismiss_orphan", func(ctx context.Context) error {
		err := ostore.DismissOrphan(ctx, s.integrationID, caseID, ticketID)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrNotFound):
			return fmt.Errorf("itsm: dismiss orphan %s of case %q: no such orphan: %w", ticketID, caseID, ErrNotFound)
		}
		return storeError(fmt.Sprintf("dismiss orphan %s of case %q", ticketID, caseID), err)
	})
}
