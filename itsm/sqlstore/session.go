package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
)

var _ itsm.SyncSessionStore = (*Store)(nil)

// The rows of a sync's read share one shape (UNION ALL): a kind and
// untyped slots, so one statement returns the lease, the cooldown, the link,
// the pending create and the note records.
const (
	sqlNullText = "CAST(NULL AS TEXT)"
	sqlNullInt  = "CAST(NULL AS BIGINT)"
	sqlNullBool = "CAST(NULL AS BOOLEAN)"
)

// beginAcquireSQL takes the lease like acquireLease, but only when the case
// is not cooling down (arguments: key, holder, expires_at, cooldown key,
// cooldown "now", now).
func beginAcquireSQL(t tableNames) string {
	return "INSERT INTO " + t.leases + " AS cur (lease_key, holder, expires_at)" +
		" SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT)" +
		" WHERE NOT EXISTS (SELECT 1 FROM " + t.cooldowns + " WHERE cooldown_key = ? AND until_at > ?)" +
		" ON CONFLICT (lease_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at" +
		" WHERE COALESCE(cur.expires_at, " + minMicrosSQL + ") <= ? OR cur.holder = excluded.holder" +
		" RETURNING lease_key, holder, expires_at"
}

// beginPushSQL records the pushed status on the case's link when the link
// is in the pushed target (arguments: status, at, integration id, case id,
// target, target); PostgreSQL adds its lease conditions.
func beginPushSQL(t tableNames) string {
	return "UPDATE " + t.links + " SET last_pushed_status = CAST(? AS TEXT), last_pushed_at = CAST(? AS BIGINT)" +
		" WHERE integration_id = ? AND case_id = ? AND (CAST(? AS TEXT) = '' OR target = '' OR target = ?)"
}

func pushArgs(req itsm.BeginSyncRequest) []any {
	p := req.Pushed
	return []any{p.Status, timeArg(p.At), req.IntegrationID, req.CaseID, p.Target, p.Target}
}

// linkRowCols are the link's columns in the 'k' row of a sync's read.
const linkRowCols = "ticket_id, ticket_key, url, last_pushed_status, target, " + sqlNullText + ", " + sqlNullText +
	", created_at, updated_at, last_pushed_at, closed"

// beginReadSQL reads the link ('k'), pending create ('p') and, withNotes,
// note records ('n') of a case (arguments: integration id and case id, per
// part); cond limits every part (PostgreSQL: only once the lease is taken).
// pushed (PostgreSQL) reads the link as the psh CTE wrote it, or else as it
// stands.
func beginReadSQL(t tableNames, withNotes bool, cond string, pushed bool) string {
	nt, ni, nb := sqlNullText, sqlNullInt, sqlNullBool
	link := "SELECT 'k', " + linkRowCols + " FROM " + t.links + " WHERE integration_id = ? AND case_id = ?" + cond
	if pushed {
		link = "SELECT 'k', " + linkRowCols + " FROM psh UNION ALL " + link + " AND NOT EXISTS (SELECT 1 FROM psh)"
	}
	parts := []string{
		link,
		"SELECT 'p', correlation_key, state, last_error, " + nt + ", " + nt + ", " + nt + ", " + nt +
			", CAST(attempts AS BIGINT), started_at, updated_at, " + nb + " FROM " + t.pending + " WHERE integration_id = ? AND case_id = ?" + cond,
	}
	if withNotes {
		parts = append(parts, "SELECT 'n', note_id, ticket_id, comment_id, text_hash, fail_reason, state, refused_hash"+
			", posted_at, CAST(lookup_failures AS BIGINT), "+ni+", failed FROM "+t.notes+" WHERE integration_id = ? AND case_id = ?"+cond)
	}
	return strings.Join(parts, " UNION ALL ")
}

// beginSyncSQL is BeginSync in one PostgreSQL statement: the conditional
// lease write ('a' when taken), with pushed the conditional link write (psh),
// the lease ('h') and cooldown ('c') as they stood before the statement, and
// the case's rows once the lease is taken. Every part reads the snapshot
// taken when the statement started (a data-modifying CTE's effects are not
// visible to its siblings: the link is read from psh's RETURNING when it
// wrote it); see BeginSync for the one case where that matters. psh writes
// only when the lease was taken from no other holder (the snapshot shows no
// lease, or ours): when it was taken from another, BeginSync runs the
// statement again on a fresh snapshot, which may yet find the case cooling
// down, and only that run records the push.
func beginSyncSQL(t tableNames, withNotes, pushed bool) string {
	nt, ni, nb := sqlNullText, sqlNullInt, sqlNullBool
	slots := func(n int) string { return strings.TrimSuffix(strings.Repeat(nt+", ", n), ", ") }
	held := " AND EXISTS (SELECT 1 FROM acq)"
	q := "WITH acq AS (" + beginAcquireSQL(t) + ")"
	if pushed {
		q += ", psh AS (" + beginPushSQL(t) + held +
			" AND NOT EXISTS (SELECT 1 FROM " + t.leases + " WHERE lease_key = ? AND holder <> ?)" +
			" RETURNING ticket_id, ticket_key, url, last_pushed_status, target, created_at, updated_at, last_pushed_at, closed)"
	}
	return q + " SELECT 'a', holder, " + slots(6) + ", expires_at, " + ni + ", " + ni + ", " + nb + " FROM acq" +
		" UNION ALL SELECT 'h', holder, " + slots(6) + ", expires_at, " + ni + ", " + ni + ", " + nb + " FROM " + t.leases + " WHERE lease_key = ?" +
		" UNION ALL SELECT 'c', " + slots(7) + ", until_at, " + ni + ", " + ni + ", " + nb + " FROM " + t.cooldowns + " WHERE cooldown_key = ?" +
		" UNION ALL " + beginReadSQL(t, withNotes, held, pushed)
}

// beginVariant indexes the beginSync statements: withNotes, +2 with Pushed.
func beginVariant(req itsm.BeginSyncRequest) int {
	v := withNotes(req)
	if req.Pushed != nil {
		v += 2
	}
	return v
}

// endSyncSQL is EndSync in one PostgreSQL statement (every data-modifying
// CTE runs to completion whether or not it is read): release the lease,
// and by the bits of parts start the cooldown (1) and store the link (2).
func endSyncSQL(t tableNames, parts int) string {
	q := "WITH rel AS (DELETE FROM " + t.leases + " WHERE lease_key = ? AND holder = ? RETURNING 1)"
	if parts&1 != 0 {
		q += ", cool AS (INSERT INTO " + t.cooldowns + " AS cur (cooldown_key, until_at) VALUES (?, ?)" +
			" ON CONFLICT (cooldown_key) DO UPDATE SET until_at = excluded.until_at RETURNING 1)"
	}
	if parts&2 != 0 {
		q += ", lnk AS (INSERT INTO " + t.links + " (" + linkCols + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", 11), ", ") + ")" +
			" ON CONFLICT (integration_id, case_id) DO UPDATE SET ticket_id = excluded.ticket_id," +
			" ticket_key = excluded.ticket_key, url = excluded.url, created_at = excluded.created_at," +
			" updated_at = excluded.updated_at, last_pushed_status = excluded.last_pushed_status," +
			" last_pushed_at = excluded.last_pushed_at, closed = excluded.closed, target = excluded.target RETURNING 1)"
	}
	return q + " SELECT 1"
}

// beginRow is one row of a sync's read.
type beginRow struct {
	kind string
	s    [7]sql.NullString
	i    [3]sql.NullInt64
	b    sql.NullBool
}

func (r *beginRow) scan(rows *sql.Rows) error {
	return rows.Scan(&r.kind, &r.s[0], &r.s[1], &r.s[2], &r.s[3], &r.s[4], &r.s[5], &r.s[6], &r.i[0], &r.i[1], &r.i[2], &r.b)
}

// apply adds a 'k', 'p' or 'n' row to st.
func (r *beginRow) apply(req itsm.BeginSyncRequest, st *itsm.SyncState) {
	s := func(i int) string { return r.s[i].String }
	switch r.kind {
	case "k":
		st.Link = &itsm.Link{IntegrationID: req.IntegrationID, CaseID: req.CaseID, TicketID: s(0), TicketKey: s(1), URL: s(2),
			LastPushedStatus: s(3), Target: s(4), CreatedAt: fromMicros(r.i[0]), UpdatedAt: fromMicros(r.i[1]),
			LastPushedAt: fromMicros(r.i[2]), Closed: r.b.Bool}
	case "p":
		st.Pending = &itsm.PendingCreate{IntegrationID: req.IntegrationID, CaseID: req.CaseID, CorrelationKey: s(0),
			State: itsm.PendingState(s(1)), LastError: s(2), Attempts: int(r.i[0].Int64), StartedAt: fromMicros(r.i[1]), UpdatedAt: fromMicros(r.i[2])}
	case "n":
		st.Notes[s(0)] = itsm.PostedNote{IntegrationID: req.IntegrationID, CaseID: req.CaseID, NoteID: s(0), TicketID: s(1),
			CommentID: s(2), TextHash: s(3), Reason: s(4), State: itsm.NoteState(s(5)), RefusedHash: s(6),
			PostedAt: fromMicros(r.i[0]), LookupFailures: int(r.i[1].Int64), Failed: r.b.Bool}
	}
}

// beginArgs are the arguments of beginAcquireSQL.
func beginArgs(req itsm.BeginSyncRequest) []any {
	coolNow := int64(math.MaxInt64) // no cooldown is later: the check is off
	if req.CooldownKey != "" {
		coolNow = cmpArg(req.Now)
	}
	return []any{req.LeaseKey, req.Holder, timeArg(req.Now.Add(req.TTL)), req.CooldownKey, coolNow, cmpArg(req.Now)}
}

func readArgs(req itsm.BeginSyncRequest) []any {
	args := []any{req.IntegrationID, req.CaseID, req.IntegrationID, req.CaseID}
	if req.WithNotes {
		args = append(args, req.IntegrationID, req.CaseID)
	}
	return args
}

func withNotes(req itsm.BeginSyncRequest) int {
	if req.WithNotes {
		return 1
	}
	return 0
}

// BeginSync refuses a case cooling down, else takes the lease, records
// Pushed on the case's link (when it has one, in Pushed's target) and reads
// the case's link (as written), pending create and (WithNotes) note
// records, as [itsm.SyncSessionStore] says.
//
// On PostgreSQL it is one statement, one round trip (Pushed is one more
// data-modifying CTE, conditioned on the lease like the reads). Its reads
// see the snapshot taken when it started, so when the lease was released by a
// sync ending at that very moment (the snapshot still shows that sync's
// lease, yet the lease was taken after waiting for its row), the cooldown
// and link that sync wrote are not in the snapshot: whenever the lease was
// taken from another holder's row, the statement is run again, as a
// renewal, on a fresh snapshot — and should that find the case cooling
// down, the lease is released and the cooldown reported.
//
// On SQLite it is the conditional lease write, one atomic statement that
// checks the cooldown too, then one read, then (with Pushed, when the case
// has a link) the link write. All are in-process calls; the read needs no
// transaction with the lease write, because it runs after that write
// committed (it sees every sync that ended before), and neither does the
// link write: the lease excludes other syncs of the case.
func (s *Store) BeginSync(ctx context.Context, req itsm.BeginSyncRequest) (itsm.SyncState, error) {
	if s.dialect == Postgres {
		return s.beginSyncPG(ctx, req)
	}
	const op = "begin sync"
	for range maxRaceRetries {
		var l itsm.Lease
		var exp sql.NullInt64
		err := s.queryRow(ctx, s.q.beginAcquire, beginArgs(req)...).Scan(&l.Key, &l.Holder, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			st, refused, err := s.whyRefused(ctx, req)
			if err != nil || refused != nil {
				return st, errors.Join(refused, err)
			}
			continue // changed in between: try again
		}
		if err != nil {
			return itsm.SyncState{}, storeErr(op, err)
		}
		l.ExpiresAt = fromMicros(exp)
		st := itsm.SyncState{Lease: l}
		if err := s.readCase(ctx, req, &st); err != nil {
			return itsm.SyncState{}, err
		}
		if p := req.Pushed; p != nil && st.Link != nil && p.AppliesTo(*st.Link) {
			// Only a case with a link is written (a first sync writes
			// nothing); the lease keeps other syncs off the row read.
			if err := s.exec(ctx, op+": record pushed status", s.q.beginPush, pushArgs(req)...); err != nil {
				return itsm.SyncState{}, err
			}
			st.Link.LastPushedStatus, st.Link.LastPushedAt = p.Status, storedTime(p.At)
		}
		return st, nil
	}
	return itsm.SyncState{}, storeErr(op, errors.New("lease kept changing under contention"))
}

// whyRefused tells why the conditional lease write took nothing: the
// cooldown (an error wrapping itsm.ErrCoolingDown) or another holder's live
// lease (itsm.ErrLeaseHeld); neither when the state changed in between.
func (s *Store) whyRefused(ctx context.Context, req itsm.BeginSyncRequest) (itsm.SyncState, error, error) {
	var st itsm.SyncState
	if req.CooldownKey != "" {
		until, err := s.CooldownUntil(ctx, req.CooldownKey, req.Now)
		if err != nil {
			return st, nil, err
		}
		if until.After(req.Now) {
			st.CooldownUntil = until
			return st, fmt.Errorf("sqlstore: begin sync %q: %w", req.LeaseKey, itsm.ErrCoolingDown), nil
		}
	}
	cur, err := s.GetLease(ctx, req.LeaseKey)
	switch {
	case errors.Is(err, itsm.ErrNotFound):
		return st, nil, nil
	case err != nil:
		return st, nil, err
	case cur.Holder != req.Holder && cur.ExpiresAt.After(req.Now):
		st.Lease = cur
		return st, fmt.Errorf("sqlstore: begin sync %q: %w", req.LeaseKey, itsm.ErrLeaseHeld), nil
	}
	return st, nil, nil
}

// readCase reads the link, pending create and notes of a case (SQLite).
func (s *Store) readCase(ctx context.Context, req itsm.BeginSyncRequest, st *itsm.SyncState) error {
	const op = "begin sync: read case"
	rows, err := s.query(ctx, s.q.beginRead[withNotes(req)], readArgs(req)...)
	if err != nil {
		return storeErr(op, err)
	}
	defer rows.Close()
	if req.WithNotes {
		st.Notes = make(map[string]itsm.PostedNote)
	}
	for rows.Next() {
		var r beginRow
		if err := r.scan(rows); err != nil {
			return storeErr(op, err)
		}
		r.apply(req, st)
	}
	if err := rows.Err(); err != nil {
		return storeErr(op, err)
	}
	return nil
}

func (s *Store) beginSyncPG(ctx context.Context, req itsm.BeginSyncRequest) (itsm.SyncState, error) {
	const op = "begin sync"
	args := beginArgs(req)
	if req.Pushed != nil {
		args = append(append(args, pushArgs(req)...), req.LeaseKey, req.Holder)
	}
	args = append(args, req.LeaseKey, req.CooldownKey)
	args = append(args, readArgs(req)...)
	held := false // this call took the lease in an earlier round
	for range maxRaceRetries {
		st, took, before, err := s.beginSyncOnce(ctx, req, args)
		if err != nil {
			if held {
				_ = s.ReleaseLease(context.WithoutCancel(ctx), req.LeaseKey, req.Holder)
			}
			return itsm.SyncState{}, err
		}
		if took {
			if before != nil && before.Holder != req.Holder {
				// Taken from another holder: its lease was freed while the
				// statement ran (the snapshot predates what the ending sync
				// wrote), or it had expired (a crashed or stalled holder
				// may still be writing). Read again on a fresh snapshot;
				// this costs a round trip only in those two cases.
				held = true
				continue
			}
			return st, nil
		}
		var refused error
		switch {
		case req.CooldownKey != "" && st.CooldownUntil.After(req.Now):
			refused = fmt.Errorf("sqlstore: begin sync %q: %w", req.LeaseKey, itsm.ErrCoolingDown)
		case before != nil && before.Holder != req.Holder && before.ExpiresAt.After(req.Now):
			st.Lease = *before
			refused = fmt.Errorf("sqlstore: begin sync %q: %w", req.LeaseKey, itsm.ErrLeaseHeld)
		default:
			// Taken or freed by another writer after the snapshot: look
			// again with the single-purpose reads.
			rst, r, err := s.whyRefused(ctx, req)
			if err != nil {
				return itsm.SyncState{}, err
			}
			st, refused = rst, r
		}
		if refused != nil {
			if held {
				if err := s.ReleaseLease(context.WithoutCancel(ctx), req.LeaseKey, req.Holder); err != nil {
					return st, errors.Join(refused, err)
				}
			}
			st.Link, st.Pending, st.Notes = nil, nil, nil
			return st, refused
		}
	}
	return itsm.SyncState{}, storeErr(op, errors.New("lease kept changing under contention"))
}

// beginSyncOnce runs the PostgreSQL statement once: the state read, whether
// the lease was taken, and the lease as it stood before.
func (s *Store) beginSyncOnce(ctx context.Context, req itsm.BeginSyncRequest, args []any) (itsm.SyncState, bool, *itsm.Lease, error) {
	const op = "begin sync"
	var st itsm.SyncState
	rows, err := s.query(ctx, s.q.beginSync[beginVariant(req)], args...)
	if err != nil {
		return st, false, nil, storeErr(op, err)
	}
	defer rows.Close()
	if req.WithNotes {
		st.Notes = make(map[string]itsm.PostedNote)
	}
	took := false
	var before *itsm.Lease
	for rows.Next() {
		var r beginRow
		if err := r.scan(rows); err != nil {
			return st, false, nil, storeErr(op, err)
		}
		switch r.kind {
		case "a":
			took = true
			st.Lease = itsm.Lease{Key: req.LeaseKey, Holder: r.s[0].String, ExpiresAt: fromMicros(r.i[0])}
		case "h":
			before = &itsm.Lease{Key: req.LeaseKey, Holder: r.s[0].String, ExpiresAt: fromMicros(r.i[0])}
		case "c":
			st.CooldownUntil = fromMicros(r.i[0])
		default:
			r.apply(req, &st)
		}
	}
	if err := rows.Err(); err != nil {
		return st, false, nil, storeErr(op, err)
	}
	if !took {
		st.Lease = itsm.Lease{}
	}
	return st, took, before, nil
}

// EndSync starts the cooldown (CooldownUntil set), stores the link (Link
// set) and releases the lease (held by Holder), as [itsm.SyncSessionStore]
// says: one statement on PostgreSQL, one transaction on SQLite (cooldown
// first, lease last).
func (s *Store) EndSync(ctx context.Context, req itsm.EndSyncRequest) error {
	const op = "end sync"
	cool := !req.CooldownUntil.IsZero() && req.CooldownKey != ""
	if s.dialect == Postgres {
		parts := 0
		args := []any{req.LeaseKey, req.Holder}
		if cool {
			parts |= 1
			args = append(args, req.CooldownKey, timeArg(req.CooldownUntil))
		}
		if req.Link != nil {
			parts |= 2
			args = append(args, linkArgs(*req.Link)...)
		}
		return s.exec(ctx, op, s.q.endSync[parts], args...)
	}
	if !cool && req.Link == nil {
		return s.exec(ctx, op, s.q.releaseLease, req.LeaseKey, req.Holder)
	}
	return s.inTxPrepared(ctx, op, []string{s.q.startCooldown, s.q.putLink, s.q.releaseLease}, func(exec txExec) error {
		if cool {
			if _, err := exec(s.q.startCooldown, req.CooldownKey, timeArg(req.CooldownUntil)); err != nil {
				return storeErr(op, err)
			}
		}
		if req.Link != nil {
			if _, err := exec(s.q.putLink, linkArgs(*req.Link)...); err != nil {
				return storeErr(op, err)
			}
		}
		if _, err := exec(s.q.releaseLease, req.LeaseKey, req.Holder); err != nil {
			return storeErr(op, err)
		}
		return nil
	})
}

// txExec runs a statement in a transaction.
type txExec func(q string, args ...any) (sql.Result, error)

// inTxPrepared runs fn in a transaction whose statements queries are
// prepared once (SQLite's statement cache) rather than parsed on every
// call. They are prepared before the transaction begins: preparing inside
// it would wait for a second connection (the SQLite pool has one).
func (s *Store) inTxPrepared(ctx context.Context, op string, queries []string, fn func(exec txExec) error) error {
	prep := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		prep[q] = s.prepared(ctx, q)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		return fn(func(q string, args ...any) (sql.Result, error) {
			if st := prep[q]; st != nil {
				return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
			}
			return tx.ExecContext(ctx, q, args...)
		})
	})
}
