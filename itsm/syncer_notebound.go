package itsm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// commentLookupFailed handles a failed comment lookup of note n, whose
// outcome is unknown (prev is its record). The failure is counted in
// [PostedNote].LookupFailures unless the caller's context ended (not the
// ITSM's failure). Below [MaxLookupFailures] failures in a row the sync
// stops there, as the later notes must not overtake the note while it may
// yet be settled; from then on the note stays unconfirmed and the sync goes
// on with the later notes. It is never sent again while the lookup fails: a
// comment lookup is configured precisely so that a note is not posted
// twice, so it is settled by a later sync whose lookup answers, or by a
// person ([Syncer.ConfirmNote], [Syncer.RetryNote]).
func (s *Syncer) commentLookupFailed(ctx context.Context, r *run, ev AuditEvent, ticket Ticket, n Note, prev PostedNote, lerr error) (noteResolution, PostedNote, error) {
	c := r.c
	stop := func(err error) error {
		return fmt.Errorf("itsm: sync case %q: look up the comment of unconfirmed note %q on ticket %s "+
			"(later notes wait for it; the next sync looks again; after %d failed lookups in a row the later notes go on "+
			"and the note stays unconfirmed; to settle it now, fix the comment lookup, or check the ticket and call "+
			"Syncer.ConfirmNote): %w", c.ID, n.ID, ticket.ID, MaxLookupFailures, err)
	}
	if ctx.Err() != nil {
		s.emit(ctx, ev, OutcomeFailure, "unconfirmed note not resolved: the caller's context ended (not counted); the next sync looks again", lerr)
		return 0, prev, stop(lerr)
	}
	rec := prev
	rec.LookupFailures++
	count := strconv.Itoa(rec.LookupFailures)
	if rec.LookupFailures < MaxLookupFailures {
		s.emit(ctx, ev, OutcomeFailure, "unconfirmed note not resolved (failed lookup "+count+" of "+
			strconv.Itoa(MaxLookupFailures)+" in a row before later notes go on); later notes wait; the next sync looks again", lerr)
		err := stop(lerr)
		if werr := s.writeNote(r.record(ctx), rec, true); werr != nil {
			err = errors.Join(err, storeError(fmt.Sprintf("sync case %q: count a failed comment lookup of note %q", c.ID, n.ID), werr))
		}
		return 0, prev, err
	}
	rec.State = NoteUnconfirmed // a pending note is unconfirmed from now on
	s.emit(ctx, ev, OutcomeFailure, "comment lookup failed "+count+" times in a row: the note stays unconfirmed, not sent again, "+
		"and later notes go on; each sync looks again; a person may settle it (ConfirmNote, RetryNote)", lerr)
	s.log.WarnContext(ctx, "itsm: comment lookup keeps failing; note left unconfirmed, later notes go on",
		"integration_id", s.integrationID, "case_id", c.ID, "ticket_id", ticket.ID, "note_id", n.ID,
		"lookup_failures", rec.LookupFailures, "error", lerr.Error())
	if werr := s.writeNote(r.record(ctx), rec, true); werr != nil {
		return 0, prev, errors.Join(stop(lerr), storeError(fmt.Sprintf("sync case %q: count a failed comment lookup of note %q", c.ID, n.ID), werr))
	}
	return noteKeep, rec, nil
}
