package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

var _ itsm.OrphanStore = (*Store)(nil)

const orphanCols = "integration_id, case_id, ticket_id, correlation_key, ticket_key, url, found_at, linked_ticket_id"

// orphanTable is the qualified name of the orphans table (migration 0007).
func (s *Store) orphanTable() string { return s.tables.qualified() + "orphans" }

// RecordOrphan records o with one upsert, idempotently per (IntegrationID,
// CaseID, TicketID): a known orphan keeps its FoundAt and takes o's
// TicketKey, URL and LinkedTicketID when they are set; a dismissed one is
// left unchanged.
func (s *Store) RecordOrphan(ctx context.Context, o itsm.Orphan) error {
	if o.IntegrationID == "" || o.CaseID == "" || o.TicketID == "" {
		return fmt.Errorf("sqlstore: record orphan: integration id, case id and ticket id are required: %w", itsm.ErrInvalidInput)
	}
	keep := func(col string) string {
		return col + " = CASE WHEN excluded." + col + " <> '' THEN excluded." + col + " ELSE cur." + col + " END"
	}
	q := rebind(s.dialect, "INSERT INTO "+s.orphanTable()+" AS cur ("+orphanCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"+
		" ON CONFLICT (integration_id, case_id, ticket_id) DO UPDATE SET "+keep("ticket_key")+", "+keep("url")+", "+keep("linked_ticket_id")+
		" WHERE cur.dismissed_at IS NULL")
	return s.exec(ctx, "record orphan", q, o.IntegrationID, o.CaseID, o.TicketID, o.CorrelationKey, o.TicketKey, o.URL,
		timeArg(o.FoundAt), o.LinkedTicketID)
}

// Orphans returns the case's orphans not dismissed, by FoundAt then
// TicketID (an empty slice when none).
func (s *Store) Orphans(ctx context.Context, integrationID, caseID string) ([]itsm.Orphan, error) {
	q := rebind(s.dialect, "SELECT "+orphanCols+" FROM "+s.orphanTable()+
		" WHERE integration_id = ? AND case_id = ? AND dismissed_at IS NULL ORDER BY COALESCE(found_at, "+minMicrosSQL+"), ticket_id")
	rows, err := s.query(ctx, q, integrationID, caseID)
	if err != nil {
		return nil, storeErr("list orphans", err)
	}
	defer rows.Close()
	out := []itsm.Orphan{}
	for rows.Next() {
		var o itsm.Orphan
		var found sql.NullInt64
		if err := rows.Scan(&o.IntegrationID, &o.CaseID, &o.TicketID, &o.CorrelationKey, &o.TicketKey, &o.URL, &found, &o.LinkedTicketID); err != nil {
			return nil, storeErr("list orphans", err)
		}
		o.FoundAt = fromMicros(found)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("list orphans", err)
	}
	return out, nil
}

// DismissOrphan marks an orphan as handled (its first dismissal time is
// kept); an error wrapping itsm.ErrNotFound when the case has no such
// orphan.
func (s *Store) DismissOrphan(ctx context.Context, integrationID, caseID, ticketID string) error {
	q := rebind(s.dialect, "UPDATE "+s.orphanTable()+" SET dismissed_at = COALESCE(dismissed_at, ?)"+
		" WHERE integration_id = ? AND case_id = ? AND ticket_id = ?")
	n, err := s.execAffected(ctx, "dismiss orphan", q, time.Now().UnixMicro(), integrationID, caseID, ticketID)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: dismiss orphan %q of case %q: %w", ticketID, caseID, itsm.ErrNotFound)
	}
	return nil
}
