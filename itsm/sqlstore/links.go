package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
)

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanLink(r rowScanner) (itsm.Link, error) {
	var l itsm.Link
	var created, updated, pushed sql.NullInt64
	if err := r.Scan(&l.IntegrationID, &l.CaseID, &l.TicketID, &l.TicketKey, &l.URL,
		&created, &updated, &l.LastPushedStatus, &pushed, &l.Closed, &l.Target); err != nil {
		return itsm.Link{}, err
	}
	l.CreatedAt, l.UpdatedAt, l.LastPushedAt = fromMicros(created), fromMicros(updated), fromMicros(pushed)
	return l, nil
}

func linkArgs(l itsm.Link) []any {
	return []any{l.IntegrationID, l.CaseID, l.TicketID, l.TicketKey, l.URL,
		timeArg(l.CreatedAt), timeArg(l.UpdatedAt), l.LastPushedStatus, timeArg(l.LastPushedAt), l.Closed, l.Target}
}

// notFound maps sql.ErrNoRows to an error wrapping itsm.ErrNotFound and any
// other error to a store error.
func notFound(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlstore: %s: %w", op, itsm.ErrNotFound)
	}
	return storeErr(op, err)
}

// GetLink returns the link of a case, or an error wrapping itsm.ErrNotFound.
func (s *Store) GetLink(ctx context.Context, integrationID, caseID string) (itsm.Link, error) {
	l, err := scanLink(s.queryRow(ctx, s.q.getLink, integrationID, caseID))
	if err != nil {
		return itsm.Link{}, notFound("get link", err)
	}
	return l, nil
}

// GetLinkByTicket returns the link whose TicketID or TicketKey is ticketID
// (a TicketID match first), or an error wrapping itsm.ErrNotFound. An empty
// ticketID matches nothing.
func (s *Store) GetLinkByTicket(ctx context.Context, integrationID, ticketID string) (itsm.Link, error) {
	if ticketID == "" {
		return itsm.Link{}, fmt.Errorf("sqlstore: get link by ticket: %w", itsm.ErrNotFound)
	}
	l, err := scanLink(s.queryRow(ctx, s.q.getLinkByTicket, integrationID, ticketID, integrationID, ticketID))
	if err != nil {
		return itsm.Link{}, notFound("get link by ticket", err)
	}
	return l, nil
}

// PutLink inserts or replaces the link of (l.IntegrationID, l.CaseID) in one
// upsert.
func (s *Store) PutLink(ctx context.Context, l itsm.Link) error {
	return s.exec(ctx, "put link", s.q.putLink, linkArgs(l)...)
}

// DeleteLink removes a link; removing a missing link is not an error.
func (s *Store) DeleteLink(ctx context.Context, integrationID, caseID string) error {
	return s.exec(ctx, "delete link", s.q.deleteLink, integrationID, caseID)
}

// ListLinks returns up to limit links of an integration with CaseID greater
// than afterCaseID (byte order), ordered by CaseID. openOnly skips closed
// links before the limit applies. A limit of zero or less returns no links.
func (s *Store) ListLinks(ctx context.Context, integrationID, afterCaseID string, limit int, openOnly bool) ([]itsm.Link, error) {
	if limit <= 0 {
		return nil, nil
	}
	q := s.q.listLinks
	if openOnly {
		q = s.q.listOpenLinks
	}
	rows, err := s.query(ctx, q, integrationID, afterCaseID, limit)
	if err != nil {
		return nil, storeErr("list links", err)
	}
	defer rows.Close()
	var out []itsm.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, storeErr("list links", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("list links", err)
	}
	return out, nil
}

func scanPending(r rowScanner) (itsm.PendingCreate, error) {
	var p itsm.PendingCreate
	var state string
	var attempts int64
	var started, updated sql.NullInt64
	if err := r.Scan(&p.IntegrationID, &p.CaseID, &p.CorrelationKey, &state, &attempts, &started, &updated, &p.LastError); err != nil {
		return itsm.PendingCreate{}, err
	}
	p.State = itsm.PendingState(state)
	p.Attempts = int(attempts)
	p.StartedAt, p.UpdatedAt = fromMicros(started), fromMicros(updated)
	return p, nil
}

// CreatePending records p with one INSERT ... ON CONFLICT DO NOTHING; when
// the case already has a pending create it returns an error wrapping
// itsm.ErrConflict and leaves the stored one unchanged.
func (s *Store) CreatePending(ctx context.Context, p itsm.PendingCreate) error {
	n, err := s.execAffected(ctx, "create pending", s.q.createPending, p.IntegrationID, p.CaseID, p.CorrelationKey,
		string(p.State), int64(p.Attempts), timeArg(p.StartedAt), timeArg(p.UpdatedAt), p.LastError)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: create pending: case %q: %w", p.CaseID, itsm.ErrConflict)
	}
	return nil
}

// GetPending returns the pending create of a case, or an error wrapping
// itsm.ErrNotFound.
func (s *Store) GetPending(ctx context.Context, integrationID, caseID string) (itsm.PendingCreate, error) {
	p, err := scanPending(s.queryRow(ctx, s.q.getPending, integrationID, caseID))
	if err != nil {
		return itsm.PendingCreate{}, notFound("get pending", err)
	}
	return p, nil
}

// UpdatePending replaces a pending create; an error wrapping
// itsm.ErrNotFound when the case has none.
func (s *Store) UpdatePending(ctx context.Context, p itsm.PendingCreate) error {
	n, err := s.execAffected(ctx, "update pending", s.q.updatePending, p.CorrelationKey, string(p.State), int64(p.Attempts),
		timeArg(p.StartedAt), timeArg(p.UpdatedAt), p.LastError, p.IntegrationID, p.CaseID)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: update pending: case %q: %w", p.CaseID, itsm.ErrNotFound)
	}
	return nil
}

// CompletePending deletes the case's pending create and, only when a row was
// deleted, stores l, in one transaction. When the case has no pending create
// nothing is written and the error wraps itsm.ErrConflict. Two concurrent
// completions serialize on the pending row: the second deletes nothing. On
// PostgreSQL both writes are one statement (one round trip: a DELETE ...
// RETURNING feeding the link upsert); on SQLite they are a transaction.
func (s *Store) CompletePending(ctx context.Context, l itsm.Link) error {
	const op = "complete pending"
	if s.q.completePending != "" {
		args := append([]any{l.IntegrationID, l.CaseID}, linkArgs(l)...)
		n, err := s.execAffected(ctx, op, s.q.completePending, args...)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("sqlstore: %s: case %q has no pending create (completed or cleared by another sync): %w", op, l.CaseID, itsm.ErrConflict)
		}
		return nil
	}
	return s.inTxPrepared(ctx, op, []string{s.q.deletePending, s.q.putLink}, func(exec txExec) error {
		res, err := exec(s.q.deletePending, l.IntegrationID, l.CaseID)
		if err != nil {
			return storeErr(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return storeErr(op, err)
		}
		if n == 0 {
			return fmt.Errorf("sqlstore: %s: case %q has no pending create (completed or cleared by another sync): %w", op, l.CaseID, itsm.ErrConflict)
		}
		if _, err := exec(s.q.putLink, linkArgs(l)...); err != nil {
			return storeErr(op, err)
		}
		return nil
	})
}

// DeletePending removes a pending create; removing a missing one is not an
// error.
func (s *Store) DeletePending(ctx context.Context, integrationID, caseID string) error {
	return s.exec(ctx, "delete pending", s.q.deletePending, integrationID, caseID)
}

// scanNote reads one row of noteCols.
func scanNote(r rowScanner) (itsm.PostedNote, error) {
	var n itsm.PostedNote
	var posted sql.NullInt64
	var state string
	var failures int64
	if err := r.Scan(&n.IntegrationID, &n.CaseID, &n.NoteID, &n.TicketID, &n.CommentID, &n.TextHash, &posted, &n.Failed, &n.Reason,
		&state, &n.RefusedHash, &failures); err != nil {
		return itsm.PostedNote{}, err
	}
	n.PostedAt = fromMicros(posted)
	n.State = itsm.NoteState(state)
	n.LookupFailures = int(failures)
	return n, nil
}

// PostedNotes returns the posted notes of a case keyed by note id (an empty,
// non-nil map when there are none).
func (s *Store) PostedNotes(ctx context.Context, integrationID, caseID string) (map[string]itsm.PostedNote, error) {
	rows, err := s.query(ctx, s.q.postedNotes, integrationID, caseID)
	if err != nil {
		return nil, storeErr("posted notes", err)
	}
	defer rows.Close()
	out := make(map[string]itsm.PostedNote)
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, storeErr("posted notes", err)
		}
		out[n.NoteID] = n
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("posted notes", err)
	}
	return out, nil
}

// MarkNotePosted records n with one INSERT ... ON CONFLICT DO NOTHING; an
// error wrapping itsm.ErrConflict when the note is already recorded for the
// case (the stored record is left unchanged).
func (s *Store) MarkNotePosted(ctx context.Context, n itsm.PostedNote) error {
	c, err := s.execAffected(ctx, "mark note posted", s.q.markNotePosted, n.IntegrationID, n.CaseID, n.NoteID,
		n.TicketID, n.CommentID, n.TextHash, timeArg(n.PostedAt), n.Failed, n.Reason, string(n.State), n.RefusedHash, n.LookupFailures)
	if err != nil {
		return err
	}
	if c == 0 {
		return fmt.Errorf("sqlstore: mark note posted: note %q: %w", n.NoteID, itsm.ErrConflict)
	}
	return nil
}

// UpdatePostedNote replaces the record of an already posted note; an error
// wrapping itsm.ErrNotFound when missing.
func (s *Store) UpdatePostedNote(ctx context.Context, n itsm.PostedNote) error {
	c, err := s.execAffected(ctx, "update posted note", s.q.updatePostedNote, n.TicketID, n.CommentID, n.TextHash,
		timeArg(n.PostedAt), n.Failed, n.Reason, string(n.State), n.RefusedHash, n.LookupFailures, n.IntegrationID, n.CaseID, n.NoteID)
	if err != nil {
		return err
	}
	if c == 0 {
		return fmt.Errorf("sqlstore: update posted note: note %q: %w", n.NoteID, itsm.ErrNotFound)
	}
	return nil
}

// ClearFailedNote removes the record of a failed, pending or unconfirmed
// note with one DELETE limited to such rows; an error wrapping
// itsm.ErrNotFound when the note has no such record (a posted note's record
// is left alone).
func (s *Store) ClearFailedNote(ctx context.Context, integrationID, caseID, noteID string) error {
	c, err := s.execAffected(ctx, "clear failed note", s.q.clearFailedNote, integrationID, caseID, noteID)
	if err != nil {
		return err
	}
	if c == 0 {
		return fmt.Errorf("sqlstore: clear failed note: note %q: %w", noteID, itsm.ErrNotFound)
	}
	return nil
}
