package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

var _ itsm.TargetStore = (*Store)(nil)

// RetargetLinks sets Target to to on every link of the integration whose
// Target is from, in one UPDATE, and returns how many it changed
// ([itsm.TargetStore]).
func (s *Store) RetargetLinks(ctx context.Context, integrationID, from, to string) (int, error) {
	if from == to {
		return 0, nil
	}
	n, err := s.execAffected(ctx, "retarget links", rebind(s.dialect,
		"UPDATE "+s.tables.links+" SET target = ? WHERE integration_id = ? AND target = ?"), to, integrationID, from)
	return int(n), err
}

// RetireLinks moves every link of the integration whose Target is target to
// the retired_links table, with its case's posted-note records, and deletes
// the inbound state of each retired ticket id that no remaining link names
// ([itsm.TargetStore]). One transaction: the links are deleted first
// (DELETE ... RETURNING), so of two concurrent calls only one moves a link.
func (s *Store) RetireLinks(ctx context.Context, integrationID, target string, at time.Time) (int, error) {
	const op = "retire links"
	t := s.tables
	r := func(q string) string { return rebind(s.dialect, q) }
	n := 0
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		// Inbound states first, while the retired links still name their
		// tickets.
		if _, err := tx.ExecContext(ctx, r("DELETE FROM "+t.inbound+" WHERE integration_id = ? AND ticket_id IN"+
			" (SELECT ticket_id FROM "+t.links+" WHERE integration_id = ? AND target = ?) AND ticket_id NOT IN"+
			" (SELECT ticket_id FROM "+t.links+" WHERE integration_id = ? AND target <> ?)"),
			integrationID, integrationID, target, integrationID, target); err != nil {
			return storeErr(op+": delete inbound states", err)
		}
		rows, err := tx.QueryContext(ctx, r("DELETE FROM "+t.links+" WHERE integration_id = ? AND target = ? RETURNING "+linkCols),
			integrationID, target)
		if err != nil {
			return storeErr(op, err)
		}
		var gone []itsm.Link
		for rows.Next() {
			l, err := scanLink(rows)
			if err != nil {
				_ = rows.Close()
				return storeErr(op, err)
			}
			gone = append(gone, l)
		}
		if err := rows.Err(); err != nil {
			_ = rows.Close()
			return storeErr(op, err)
		}
		_ = rows.Close()
		for _, l := range gone {
			notes, err := s.caseNotesTx(ctx, tx, integrationID, l.CaseID)
			if err != nil {
				return err
			}
			body := ""
			if len(notes) > 0 {
				b, err := json.Marshal(notes)
				if err != nil {
					return storeErr(op+": encode notes", err)
				}
				body = string(b)
			}
			args := append(linkArgs(l), timeArg(at), body, integrationID, l.CaseID)
			if _, err := tx.ExecContext(ctx, r("INSERT INTO "+t.retired+" ("+linkCols+", retired_at, notes, seq)"+
				" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"+
				" (SELECT COALESCE(MAX(seq), 0) + 1 FROM "+t.retired+" WHERE integration_id = ? AND case_id = ?))"), args...); err != nil {
				return storeErr(op+": store retired link", err)
			}
			if _, err := tx.ExecContext(ctx, r("DELETE FROM "+t.notes+" WHERE integration_id = ? AND case_id = ?"),
				integrationID, l.CaseID); err != nil {
				return storeErr(op+": delete posted notes", err)
			}
		}
		n = len(gone)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// caseNotesTx reads a case's posted-note records in tx, ordered by note id.
func (s *Store) caseNotesTx(ctx context.Context, tx *sql.Tx, integrationID, caseID string) ([]itsm.PostedNote, error) {
	rows, err := tx.QueryContext(ctx, s.q.postedNotes, integrationID, caseID)
	if err != nil {
		return nil, storeErr("retire links: read posted notes", err)
	}
	defer rows.Close()
	var out []itsm.PostedNote
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, storeErr("retire links: read posted notes", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("retire links: read posted notes", err)
	}
	slices.SortFunc(out, func(a, b itsm.PostedNote) int { return strings.Compare(a.NoteID, b.NoteID) })
	return out, nil
}

// RetiredLinks returns the retired links of a case, oldest retirement first
// ([itsm.TargetStore]); nil when none.
func (s *Store) RetiredLinks(ctx context.Context, integrationID, caseID string) ([]itsm.RetiredLink, error) {
	const op = "retired links"
	rows, err := s.query(ctx, rebind(s.dialect, "SELECT "+linkCols+", retired_at, notes FROM "+s.tables.retired+
		" WHERE integration_id = ? AND case_id = ? ORDER BY seq"), integrationID, caseID)
	if err != nil {
		return nil, storeErr(op, err)
	}
	defer rows.Close()
	var out []itsm.RetiredLink
	for rows.Next() {
		var rl itsm.RetiredLink
		var created, updated, pushed, retired sql.NullInt64
		var notes string
		if err := rows.Scan(&rl.IntegrationID, &rl.CaseID, &rl.TicketID, &rl.TicketKey, &rl.URL,
			&created, &updated, &rl.LastPushedStatus, &pushed, &rl.Closed, &rl.Target, &retired, &notes); err != nil {
			return nil, storeErr(op, err)
		}
		rl.CreatedAt, rl.UpdatedAt, rl.LastPushedAt, rl.RetiredAt = fromMicros(created), fromMicros(updated), fromMicros(pushed), fromMicros(retired)
		if notes != "" {
			if err := json.Unmarshal([]byte(notes), &rl.Notes); err != nil {
				return nil, storeErr(op+": decode notes", err)
			}
			for i := range rl.Notes {
				rl.Notes[i].PostedAt = rl.Notes[i].PostedAt.UTC()
			}
		}
		out = append(out, rl)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(op, err)
	}
	return out, nil
}

// LinkTargets returns the targets of the integration's links with their
// counts, ordered by target (byte order) ([itsm.TargetStore]); nil when it
// has no link.
func (s *Store) LinkTargets(ctx context.Context, integrationID string) ([]itsm.TargetCount, error) {
	const op = "link targets"
	rows, err := s.query(ctx, rebind(s.dialect, "SELECT target, COUNT(*) FROM "+s.tables.links+
		" WHERE integration_id = ? GROUP BY target"), integrationID)
	if err != nil {
		return nil, storeErr(op, err)
	}
	defer rows.Close()
	var out []itsm.TargetCount
	for rows.Next() {
		var tc itsm.TargetCount
		if err := rows.Scan(&tc.Target, &tc.Links); err != nil {
			return nil, storeErr(op, err)
		}
		out = append(out, tc)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(op, err)
	}
	slices.SortFunc(out, func(a, b itsm.TargetCount) int { return cmp.Compare(a.Target, b.Target) })
	return out, nil
}

// GetLinkByTicketInTarget is GetLinkByTicket among the links whose Target
// is target or empty (links made before targets were recorded): the inbound
// side's lookup when the integration's target is known, so a ticket id that
// two targets both use finds the case of the current one.
func (s *Store) GetLinkByTicketInTarget(ctx context.Context, integrationID, ticketID, target string) (itsm.Link, error) {
	if ticketID == "" {
		return itsm.Link{}, notFound("get link by ticket in target", sql.ErrNoRows)
	}
	t := s.tables
	q := rebind(s.dialect, "SELECT "+linkCols+" FROM ("+
		"SELECT "+linkCols+", 0 AS pri FROM "+t.links+" WHERE integration_id = ? AND ticket_id = ? AND (target = ? OR target = '')"+
		" UNION ALL SELECT "+linkCols+", 1 AS pri FROM "+t.links+" WHERE integration_id = ? AND ticket_key = ? AND (target = ? OR target = '')"+
		") AS found ORDER BY pri, case_id LIMIT 1")
	l, err := scanLink(s.queryRow(ctx, q, integrationID, ticketID, target, integrationID, ticketID, target))
	if err != nil {
		return itsm.Link{}, notFound("get link by ticket in target", err)
	}
	return l, nil
}
