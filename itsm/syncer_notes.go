package itsm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
)

// NotePolicy says what a sync does with a note whose comment may or may not
// have been stored by the ITSM (sent without an answer, a 5xx after sending,
// a crash between recording the note and recording its answer) when the
// connector cannot look the comment up ([CommentFinder]). With a comment
// lookup the note is looked up instead, whatever the policy, and it is not
// sent again while that lookup fails (see [MaxLookupFailures]).
type NotePolicy int

const (
	// NotesAtLeastOnce (the default) sends such a note again at the next
	// sync: a duplicate comment is preferred to a lost note.
	NotesAtLeastOnce NotePolicy = iota
	// NotesAtMostOnce never sends such a note again on its own: it stays
	// unconfirmed ([Result.NotesUnconfirmed], [ButtonState].UnconfirmedNotes)
	// and the later notes are posted; a person checks the ticket and
	// settles it with [Syncer.ConfirmNote] or [Syncer.RetryNote].
	NotesAtMostOnce
)

// String returns "at_least_once" or "at_most_once".
func (p NotePolicy) String() string {
	switch p {
	case NotesAtLeastOnce:
		return "at_least_once"
	case NotesAtMostOnce:
		return "at_most_once"
	}
	return "NotePolicy(" + strconv.Itoa(int(p)) + ")"
}

// opCommentLookup is the audit operation of a comment lookup.
const opCommentLookup Operation = "comment_lookup"

// resendReason is the audit reason of a comment sent again because its
// earlier send had an unknown outcome and no lookup could settle it.
const resendReason = "unconfirmed before; sent again (at least once: no comment lookup)"

// commentFate classifies a failed comment.
type commentFate int

const (
	commentNotPosted   commentFate = iota // certainly not posted (an answer said so, or nothing was sent): retry
	commentPosted                         // answered 2xx (the body was unreadable)
	commentMaybe                          // answered 5xx after sending: maybe stored (a gateway's 502)
	commentUnconfirmed                    // no answer after sending: maybe posted
	commentRefused                        // refused for good: record as failed, go on
)

func classifyComment(err error) commentFate {
	// ErrInvalidInput: the connector refused the note before sending it
	// (a provider's own blank-note check); the same text fails again.
	if errors.Is(err, ErrRefused) || errors.Is(err, ErrInvalidInput) {
		return commentRefused
	}
	if code := statusCodeOf(err); code != 0 {
		switch {
		case refusedForGood(code):
			return commentRefused
		case code >= 200 && code < 300:
			return commentPosted
		case code >= 500:
			return commentMaybe
		}
		return commentNotPosted
	}
	if outcomeUnknown(err) {
		return commentUnconfirmed
	}
	return commentNotPosted
}

// noteResolution is what a sync does with a note whose outcome is open.
type noteResolution int

const (
	noteSettled noteResolution = iota // found: now recorded as posted
	noteResend                        // not on the ticket (or at least once): send it
	noteKeep                          // at most once: stays unconfirmed
)

// postNotes posts the notes not yet posted, in order. Each is recorded as
// pending before it is sent and as posted (or failed, or unconfirmed) after;
// a note found pending or unconfirmed is resolved before it is ever sent
// again (see [Syncer.Sync]).
func (s *Syncer) postNotes(ctx context.Context, r *run, notes []Note) error {
	if len(notes) == 0 {
		return nil
	}
	c := r.c
	posted, err := s.caseNotes(ctx, r)
	if err != nil {
		return storeError(fmt.Sprintf("sync case %q: read posted notes", c.ID), err)
	}
	ordered := slices.Clone(notes)
	slices.SortStableFunc(ordered, func(a, b Note) int { return a.CreatedAt.Compare(b.CreatedAt) })
	ticket := Ticket{ID: r.res.TicketID, Key: r.res.TicketKey, URL: r.res.URL}
	for i, n := range ordered {
		hash := noteHash(n.Text)
		prev, known := posted[n.ID]
		resend := false
		if known && prev.Unsettled() {
			res, rec, err := s.resolveNote(ctx, r, ticket, n, prev)
			if err != nil {
				return err
			}
			switch res {
			case noteKeep:
				r.res.NotesUnconfirmed = append(r.res.NotesUnconfirmed, n.ID)
				continue
			case noteSettled:
				prev = rec // posted: judged below like any posted note
			case noteResend:
				resend, prev = true, rec
			}
		}
		// commentHash is the hash of the text whose comment is on the
		// ticket ("" when none is).
		commentHash, onTicket := "", false
		switch {
		case !known:
		case resend:
			// Sent again as it was meant: an edit of an earlier comment
			// when the record names one.
			onTicket = prev.CommentID != ""
		case prev.Failed:
			refused, before := prev.RefusedHash, prev.TextHash
			if refused == "" { // recorded before RefusedHash existed
				refused, before = prev.TextHash, ""
			}
			if hash == refused {
				// Refused for good before: reported, not sent again.
				r.res.NotesFailed = append(r.res.NotesFailed, noteFailure(prev))
				continue
			}
			if before != "" && hash == before {
				// Edited back to the text already on the ticket: nothing
				// to post, and the refusal is moot.
				rec := prev
				rec.Failed, rec.Reason, rec.RefusedHash, rec.State = false, "", "", NotePosted
				if err := s.recordNote(ctx, r, rec, true); err != nil {
					return err
				}
				r.res.NotesSkipped++
				continue
			}
			// A failed note whose text changed is tried again: as an edit
			// of the comment posted before it, or as new.
			commentHash, onTicket = before, before != ""
		default:
			commentHash, onTicket = prev.TextHash, true
		}
		edited := onTicket && (resend || commentHash != hash)
		if onTicket && !resend && (!edited || s.editPolicy == EditedNotesIgnore) {
			r.res.NotesSkipped++
			continue
		}
		if strings.TrimSpace(n.Text) == "" {
			r.res.NotesBlank = append(r.res.NotesBlank, n.ID)
			r.res.NotesSkipped++
			continue
		}
		why := ""
		if resend && (s.commentFinder == nil || prev.CommentID != "") {
			why = resendReason
		}
		stop, err := s.sendNote(ctx, r, ticket, n, prev, known, onTicket, commentHash, edited, why)
		if err != nil || stop {
			if stop {
				r.res.NotesSkipped += len(ordered) - i
			}
			return err
		}
	}
	return nil
}

// sendNote records note n as pending, sends it and records the answer.
// prev is its record when known; onTicket says a comment of an earlier text
// is on the ticket (commentHash: the hash of that text, "" when unknown),
// edited that this one is posted as its edit. stop reports that the
// connector has no notes request (the later notes are skipped).
// why, when set, is the audit reason of the comment (a resend).
func (s *Syncer) sendNote(ctx context.Context, r *run, ticket Ticket, n Note, prev PostedNote, known, onTicket bool, commentHash string, edited bool, why string) (stop bool, err error) {
	c := r.c
	hash := noteHash(n.Text)
	out := n
	if edited {
		out.Text = EditedNotePrefix + n.Text
	}
	if err := s.renew(ctx, r, OpComment, false); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		// The caller gave up before this comment was sent: it is certainly
		// not posted (a context error from the connector could not say
		// so), and the next sync posts it.
		return false, fmt.Errorf("itsm: sync case %q: note %q not sent: the caller's context ended: %w", c.ID, n.ID, err)
	}
	rec := PostedNote{IntegrationID: s.integrationID, CaseID: c.ID, NoteID: n.ID, TicketID: ticket.ID,
		TextHash: hash, PostedAt: s.clock.Now(), State: NotePending}
	if onTicket {
		rec.CommentID = prev.CommentID // the earlier comment, until this one is posted
	}
	// Recorded before sending, so a crash or an unrecorded answer leaves a
	// trace the next sync resolves before any resend.
	if err := s.writeNote(r.record(ctx), rec, known); err != nil {
		return false, storeError(fmt.Sprintf("sync case %q: record note %q before sending it", c.ID, n.ID), err)
	}
	hadRecord := known
	known = true
	start := s.clock.Now()
	cm, err := s.conn.Comment(ctx, ticket, r.req, out)
	ev := s.event(c.ID, OpComment, start)
	ev.TicketID, ev.NoteID = ticket.ID, n.ID
	fate := commentPosted
	if err != nil {
		if errors.Is(err, ErrNotConfigured) {
			s.emit(ctx, ev, OutcomeSkipped, "no notes request configured", err)
			return true, s.unrecordNote(ctx, r, rec, prev, hadRecord)
		}
		fate = classifyComment(err)
	}
	switch fate {
	case commentRefused:
		s.emit(ctx, ev, OutcomeFailure, "refused by the ITSM; recorded as failed, not retried", err)
		rec.Failed, rec.Reason, rec.RefusedHash, rec.State = true, clip.Bytes(err.Error(), 512), hash, ""
		rec.PostedAt = s.clock.Now()
		// The text on the ticket before, if any, keeps its hash: a note
		// edited back to it is not posted again.
		rec.TextHash, rec.CommentID = "", ""
		if onTicket {
			rec.TextHash, rec.CommentID = commentHash, prev.CommentID
		}
		if err := s.recordNote(ctx, r, rec, known); err != nil {
			return false, err
		}
		r.res.NotesFailed = append(r.res.NotesFailed, noteFailure(rec))
		return false, nil
	case commentNotPosted:
		outcome := OutcomeFailure
		if outcomeUnknown(err) {
			outcome = OutcomeUnknown
		}
		s.emit(ctx, ev, outcome, "not posted; retried by the next sync", err)
		sendErr := fmt.Errorf("itsm: sync case %q: post note %q on ticket %s: %w", c.ID, n.ID, ticket.ID, err)
		return false, errors.Join(sendErr, s.unrecordNote(ctx, r, rec, prev, hadRecord))
	case commentMaybe, commentUnconfirmed:
		rec.State = NoteUnconfirmed
		// Best effort: a note left pending is resolved the same way.
		_ = s.recordNote(ctx, r, rec, known)
		if fate == commentMaybe && (s.commentFinder != nil || s.notePolicy == NotesAtLeastOnce) {
			s.emit(ctx, ev, OutcomeUnknown, "maybe posted; resolved by the next sync ("+s.unconfirmedPlan()+")", err)
			return false, fmt.Errorf("itsm: sync case %q: post note %q on ticket %s (the next sync %s): %w", c.ID, n.ID, ticket.ID, s.unconfirmedPlan(), err)
		}
		s.emit(ctx, ev, OutcomeUnknown, "no answer; recorded as unconfirmed ("+s.unconfirmedPlan()+")", err)
		s.log.WarnContext(ctx, "itsm: note may not have been posted; recorded as unconfirmed",
			"integration_id", s.integrationID, "case_id", c.ID, "ticket_id", ticket.ID, "note_id", n.ID,
			"plan", s.unconfirmedPlan(), "error", err.Error())
		r.res.NotesUnconfirmed = append(r.res.NotesUnconfirmed, n.ID)
		if fate == commentUnconfirmed {
			r.res.NotesPosted++ // sent; counted as before
			if edited {
				r.res.NotesReposted++
			}
		}
		return false, nil
	}
	if err != nil {
		s.emit(ctx, ev, OutcomeSuccess, strings.TrimPrefix(why+"; posted; response unreadable", "; "), err)
	} else {
		s.emit(ctx, ev, OutcomeSuccess, why, nil)
	}
	rec.State, rec.CommentID, rec.PostedAt = NotePosted, cm.ID, s.clock.Now()
	if err := s.recordNote(ctx, r, rec, known); err != nil {
		return false, err
	}
	r.res.NotesPosted++
	if edited {
		r.res.NotesReposted++
	}
	return false, nil
}

// unconfirmedPlan says how the next sync settles an unconfirmed note.
func (s *Syncer) unconfirmedPlan() string {
	switch {
	case s.commentFinder != nil:
		return "looks the comment up before any resend"
	case s.notePolicy == NotesAtMostOnce:
		return "does not send it again: a person confirms or retries it"
	}
	return "sends it again: a duplicate is preferred to a lost note"
}

// unrecordNote undoes the pending record of a note certainly not sent: its
// earlier record comes back (restore), or it goes. A failure leaves the
// record pending, which the next sync resolves like any unknown outcome.
func (s *Syncer) unrecordNote(ctx context.Context, r *run, rec, prev PostedNote, restore bool) error {
	wctx := r.record(ctx)
	var err error
	if restore {
		err = s.store.UpdatePostedNote(wctx, prev)
	} else {
		err = s.store.ClearFailedNote(wctx, rec.IntegrationID, rec.CaseID, rec.NoteID)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return storeError(fmt.Sprintf("sync case %q: note %q was not sent but its pending record could not be removed (the next sync resolves it)", rec.CaseID, rec.NoteID), err)
	}
	return nil
}

// resolveNote settles a note recorded pending or unconfirmed by an earlier
// sync, before anything is sent: by a comment lookup when the connector has
// one (and the record is not an edit: the marker names the note, not its
// text), otherwise by the [NotePolicy]. Each decision is audited. A failed
// lookup stops the sync (later notes never overtake the note) until the
// note's lookups have failed [MaxLookupFailures] times in a row; from then
// on the note is kept unconfirmed (see commentLookupFailed).
func (s *Syncer) resolveNote(ctx context.Context, r *run, ticket Ticket, n Note, prev PostedNote) (noteResolution, PostedNote, error) {
	c := r.c
	if s.commentFinder != nil && prev.CommentID == "" {
		if err := s.renew(ctx, r, opCommentLookup, false); err != nil {
			return 0, prev, err
		}
		start := s.clock.Now()
		cm, found, err := s.commentFinder.FindComment(ctx, ticket, r.req, n)
		ev := s.event(c.ID, opCommentLookup, start)
		ev.TicketID, ev.NoteID = ticket.ID, n.ID
		switch {
		case err != nil && errors.Is(err, ErrNotConfigured):
			s.emit(ctx, ev, OutcomeSkipped, "no comment lookup configured", err)
		case err != nil:
			return s.commentLookupFailed(ctx, r, ev, ticket, n, prev, err)
		case found:
			s.emit(ctx, ev, OutcomeSuccess, "found: recorded as posted, not sent again", nil)
			rec := prev
			rec.State, rec.CommentID, rec.TicketID, rec.PostedAt = NotePosted, cm.ID, ticket.ID, s.clock.Now()
			rec.LookupFailures = 0
			if err := s.recordNote(ctx, r, rec, true); err != nil {
				return 0, prev, err
			}
			return noteSettled, rec, nil
		default:
			s.emit(ctx, ev, OutcomeSuccess, "not found: sent again", nil)
			// The lookup answered: the count starts over (the record
			// restored when the resend is certainly not sent has it so).
			rec := prev
			rec.LookupFailures = 0
			return noteResend, rec, nil
		}
	}
	ev := s.event(c.ID, OpComment, s.clock.Now())
	ev.TicketID, ev.NoteID = ticket.ID, n.ID
	if s.notePolicy == NotesAtMostOnce {
		s.emit(ctx, ev, OutcomeSkipped, "unconfirmed: not sent again (at most once); a person confirms or retries it", nil)
		if prev.State == NotePending {
			rec := prev
			rec.State = NoteUnconfirmed
			if err := s.recordNote(ctx, r, rec, true); err != nil {
				return 0, prev, err
			}
		}
		return noteKeep, prev, nil
	}
	// Audited with the comment it sends (see resendReason).
	return noteResend, prev, nil
}

// recordNote stores a note's record (posted, refused for good, settled),
// even when ctx is canceled; exists says the note has a record to replace.
// A store error other than a conflict is retried with a short backoff
// within the recording window before the sync gives up (the record then
// stays pending, and the next sync resolves it).
func (s *Syncer) recordNote(ctx context.Context, r *run, rec PostedNote, exists bool) error {
	wctx := r.record(ctx)
	err := s.writeNote(wctx, rec, exists)
	for wait := 50 * time.Millisecond; err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrNotFound); wait *= 2 {
		if dl, ok := wctx.Deadline(); ok && time.Until(dl) < wait {
			break
		}
		if s.env.Sleep(wctx, wait) != nil {
			break
		}
		err = s.writeNote(wctx, rec, exists)
	}
	if err == nil {
		return nil
	}
	what := fmt.Sprintf("sync case %q: note %q was posted on ticket %s but could not be recorded (it stays pending: the next sync %s)", rec.CaseID, rec.NoteID, rec.TicketID, s.unconfirmedPlan())
	switch {
	case rec.Failed:
		what = fmt.Sprintf("sync case %q: note %q was refused on ticket %s but the failure could not be recorded (the next sync resolves it)", rec.CaseID, rec.NoteID, rec.TicketID)
	case rec.State == NoteUnconfirmed:
		what = fmt.Sprintf("sync case %q: note %q may be on ticket %s; its state could not be recorded (the next sync resolves it)", rec.CaseID, rec.NoteID, rec.TicketID)
	}
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		return fmt.Errorf("itsm: %s: %w", what, err)
	}
	return storeError(what, err)
}

// writeNote inserts or replaces a note's record.
func (s *Syncer) writeNote(ctx context.Context, rec PostedNote, exists bool) error {
	if exists {
		return s.store.UpdatePostedNote(ctx, rec)
	}
	return s.store.MarkNotePosted(ctx, rec)
}
