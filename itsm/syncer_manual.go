package itsm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// Resolve links a case to a ticket a person found in the ITSM (typically by
// searching for the case's correlation key after a [NeedsAttentionError]),
// replacing any link and then removing the case's pending create. The
// next sync updates that ticket and posts the notes not yet posted. It takes
// the case's lease like a sync, so it fails with an *InProgressError while a
// sync runs. t.ID is required; Key and URL are kept when set. The link
// carries the connector's current target ([Syncer.Target]): the ticket must
// be one of the ticket space the integration now writes into.
func (s *Syncer) Resolve(ctx context.Context, caseID string, t Ticket) error {
	if caseID == "" || t.ID == "" {
		return &ValidationError{Errors: resolveFieldErrors(caseID, t)}
	}
	return s.manual(ctx, caseID, "resolve", func(ctx context.Context) error {
		now := s.clock.Now()
		link := Link{IntegrationID: s.integrationID, CaseID: caseID, TicketID: t.ID, TicketKey: t.Key, URL: t.URL, CreatedAt: now, UpdatedAt: now, Target: s.Target()}
		if old, err := s.store.GetLink(ctx, s.integrationID, caseID); err == nil {
			link.CreatedAt = old.CreatedAt
		} else if !errors.Is(err, ErrNotFound) {
			return storeError(fmt.Sprintf("resolve case %q: read link", caseID), err)
		}
		// A person's link needs no pending create, so not CompletePending
		// (which refuses without one). Under the lease, link first: a crash
		// between the two writes leaves a link, which a sync prefers to a
		// pending create.
		if err := s.store.PutLink(ctx, link); err != nil {
			return storeError(fmt.Sprintf("resolve case %q: store link", caseID), err)
		}
		if err := s.store.DeletePending(ctx, s.integrationID, caseID); err != nil {
			return storeError(fmt.Sprintf("resolve case %q: delete pending create", caseID), err)
		}
		return nil
	})
}

func resolveFieldErrors(caseID string, t Ticket) []FieldError {
	var errs []FieldError
	if caseID == "" {
		errs = append(errs, FieldError{Field: "case_id", Message: "is required"})
	}
	if t.ID == "" {
		errs = append(errs, FieldError{Field: "ticket.id", Message: "is required"})
	}
	return errs
}

// ClearPending forgets the case's unresolved create, so the next sync creates
// a ticket again. Call it only once a person has checked that the ITSM has no
// ticket carrying the case's correlation key: it is the one way to get a
// second ticket. It takes the case's lease like a sync (an *InProgressError
// while one runs). Clearing a case with no pending create is not an error.
func (s *Syncer) ClearPending(ctx context.Context, caseID string) error {
	if caseID == "" {
		return &ValidationError{Errors: []FieldError{{Field: "case_id", Message: "is required"}}}
	}
	return s.manual(ctx, caseID, "clear_pending", func(ctx context.Context) error {
		if err := s.store.DeletePending(ctx, s.integrationID, caseID); err != nil {
			return storeError(fmt.Sprintf("clear pending create of case %q", caseID), err)
		}
		return nil
	})
}

// Unlink forgets the case's link (and any pending create), typically after
// a sync failed with a *TicketGoneError because the ticket was deleted in the
// ITSM: the next sync creates a new ticket. The ITSM is not called. Notes
// already recorded as posted (on the old ticket) are not posted again on the
// new one. It takes the case's lease like a sync (an *InProgressError while
// one runs). Unlinking a case with no link is not an error.
func (s *Syncer) Unlink(ctx context.Context, caseID string) error {
	if caseID == "" {
		return &ValidationError{Errors: []FieldError{{Field: "case_id", Message: "is required"}}}
	}
	return s.manual(ctx, caseID, "unlink", func(ctx context.Context) error {
		if err := s.store.DeleteLink(ctx, s.integrationID, caseID); err != nil {
			return storeError(fmt.Sprintf("unlink case %q", caseID), err)
		}
		if err := s.store.DeletePending(ctx, s.integrationID, caseID); err != nil {
			return storeError(fmt.Sprintf("unlink case %q: delete pending create", caseID), err)
		}
		return nil
	})
}

// RetryNote clears the failure of a note the ITSM refused for good (see
// [Result.NotesFailed]), typically once a person has fixed its cause (the
// ITSM's field rules, the note's text, the connector's configuration): the
// next sync that is given the note posts it again, in its place among the
// notes — as an edit (with [EditedNotePrefix]) when it was a refused edit of
// a posted note. It also sends again a note left unconfirmed (like
// ConfirmNote with posted false). Only a failed or unconfirmed note can be
// retried — a posted note is never posted twice: for a note id with no such
// record it returns an error wrapping [ErrNotFound]. It takes the case's
// lease like a sync (an *InProgressError while one runs). A failed note
// whose text is edited is retried by the next sync without this call.
func (s *Syncer) RetryNote(ctx context.Context, caseID, noteID string) error {
	if err := noteFieldErrors(caseID, noteID); err != nil {
		return err
	}
	return s.manual(ctx, caseID, "retry_note", func(ctx context.Context) error {
		rec, err := s.noteRecord(ctx, caseID, noteID, "retry")
		if err != nil {
			return err
		}
		switch {
		case rec.Unsettled():
			return s.settleNote(ctx, rec, false, "retry")
		case rec.Failed && rec.RefusedHash != "" && rec.TextHash != "":
			// A refused edit: the earlier text's comment is on the ticket,
			// so the record goes back to posted (that text) and the next
			// sync reposts the edit.
			rec.Failed, rec.Reason, rec.RefusedHash, rec.State = false, "", "", NotePosted
			if err := s.store.UpdatePostedNote(ctx, rec); err != nil {
				return storeError(fmt.Sprintf("retry note %q of case %q", noteID, caseID), err)
			}
			return nil
		case rec.Failed:
			if err := s.store.ClearFailedNote(ctx, s.integrationID, caseID, noteID); err != nil {
				return storeError(fmt.Sprintf("retry note %q of case %q", noteID, caseID), err)
			}
			return nil
		}
		return fmt.Errorf("itsm: retry note %q of case %q: the note has no failed record: %w", noteID, caseID, ErrNotFound)
	})
}

// ConfirmNote settles a note left unconfirmed (see
// [ButtonState].UnconfirmedNotes), once a person has checked the ticket:
// posted true records it as posted (it is never sent again), posted false
// lets the next sync that is given the note send it again. For a note id
// with no unconfirmed or pending record it returns an error wrapping
// [ErrNotFound]. It takes the case's lease like a sync (an
// *InProgressError while one runs), so a note being sent is never settled.
func (s *Syncer) ConfirmNote(ctx context.Context, caseID, noteID string, posted bool) error {
	if err := noteFieldErrors(caseID, noteID); err != nil {
		return err
	}
	return s.manual(ctx, caseID, "confirm_note", func(ctx context.Context) error {
		rec, err := s.noteRecord(ctx, caseID, noteID, "confirm")
		if err != nil {
			return err
		}
		if !rec.Unsettled() {
			return fmt.Errorf("itsm: confirm note %q of case %q: the note is not unconfirmed: %w", noteID, caseID, ErrNotFound)
		}
		return s.settleNote(ctx, rec, posted, "confirm")
	})
}

func noteFieldErrors(caseID, noteID string) error {
	return requiredFields("case_id", caseID, "note_id", noteID)
}

// requiredFields returns an input *ValidationError listing every empty
// value of the (field, value) pairs, or nil.
func requiredFields(pairs ...string) error {
	var errs []FieldError
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			errs = append(errs, FieldError{Field: pairs[i], Message: "is required"})
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs, Input: true}
	}
	return nil
}

// noteRecord reads a note's record; an error wrapping ErrNotFound when it
// has none.
func (s *Syncer) noteRecord(ctx context.Context, caseID, noteID, what string) (PostedNote, error) {
	notes, err := s.store.PostedNotes(ctx, s.integrationID, caseID)
	if err != nil {
		return PostedNote{}, storeError(fmt.Sprintf("%s note %q of case %q: read notes", what, noteID, caseID), err)
	}
	rec, ok := notes[noteID]
	if !ok {
		return PostedNote{}, fmt.Errorf("itsm: %s note %q of case %q: the note has no record: %w", what, noteID, caseID, ErrNotFound)
	}
	return rec, nil
}

// settleNote records an unconfirmed note as posted, or as not posted: its
// record goes (the next sync posts it as new), or, for an edit of a posted
// comment, goes back to posted with an unknown text (the next sync reposts
// the edit under [EditedNotesRepost]).
func (s *Syncer) settleNote(ctx context.Context, rec PostedNote, posted bool, what string) error {
	var err error
	switch {
	case posted:
		rec.State, rec.LookupFailures = NotePosted, 0
		err = s.store.UpdatePostedNote(ctx, rec)
	case rec.CommentID != "":
		rec.State, rec.TextHash, rec.LookupFailures = NotePosted, "", 0
		err = s.store.UpdatePostedNote(ctx, rec)
	default:
		err = s.store.ClearFailedNote(ctx, rec.IntegrationID, rec.CaseID, rec.NoteID)
	}
	if err != nil {
		return storeError(fmt.Sprintf("%s note %q of case %q", what, rec.NoteID, rec.CaseID), err)
	}
	return nil
}

// ClearCooldown ends a case's cooldown now (an administrator's override). It
// does nothing when cooldowns are disabled.
func (s *Syncer) ClearCooldown(ctx context.Context, caseID string) error {
	if s.period == 0 {
		return nil
	}
	if err := s.cooldown.ClearCooldown(ctx, s.key("cooldown", caseID)); err != nil {
		return storeError(fmt.Sprintf("clear cooldown of case %q", caseID), err)
	}
	return nil
}

// manual runs fn under the case's lease and records an audit event.
func (s *Syncer) manual(ctx context.Context, caseID, what string, fn func(context.Context) error) error {
	start := s.clock.Now()
	r := &run{
		c:        &Case{ID: caseID},
		leaseKey: s.key("sync", caseID),
		holder:   s.holder + "#" + strconv.FormatUint(s.seq.Add(1), 10),
		res:      &Result{CaseID: caseID},
	}
	defer r.done()
	err := s.acquire(ctx, r)
	if err == nil {
		err = fn(ctx)
		err = errors.Join(err, s.release(ctx, r))
	}
	ev := s.event(caseID, Operation(what), start)
	switch {
	case err == nil:
		s.emit(ctx, ev, OutcomeSuccess, "manual", nil)
	case errors.Is(err, ErrInProgress):
		s.emit(ctx, ev, OutcomeSkipped, "in progress", err)
	default:
		s.emit(ctx, ev, OutcomeFailure, "manual", err)
	}
	return err
}
