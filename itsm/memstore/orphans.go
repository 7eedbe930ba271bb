package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

var _ itsm.OrphanStore = (*Store)(nil)

// orphanTable holds the orphans of every case; its map is made on first
// use.
type orphanTable struct {
	mu     sync.RWMutex
	byCase map[caseKey]map[string]*orphanRow // by ticket id
}

type orphanRow struct {
	o           itsm.Orphan
	dismissedAt time.Time
}

// RecordOrphan records o, idempotently per (IntegrationID, CaseID,
// TicketID): a known orphan keeps its FoundAt and takes o's TicketKey, URL
// and LinkedTicketID when they are set; a dismissed one stays dismissed
// and unchanged.
func (s *Store) RecordOrphan(_ context.Context, o itsm.Orphan) error {
	if o.IntegrationID == "" || o.CaseID == "" || o.TicketID == "" {
		return fmt.Errorf("memstore: record orphan: integration id, case id and ticket id are required: %w", itsm.ErrInvalidInput)
	}
	t := &s.orphans
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byCase == nil {
		t.byCase = make(map[caseKey]map[string]*orphanRow)
	}
	k := caseKey{o.IntegrationID, o.CaseID}
	m := t.byCase[k]
	if m == nil {
		m = make(map[string]*orphanRow)
		t.byCase[k] = m
	}
	row, ok := m[o.TicketID]
	switch {
	case !ok:
		m[o.TicketID] = &orphanRow{o: o}
	case !row.dismissedAt.IsZero():
	default:
		if o.TicketKey != "" {
			row.o.TicketKey = o.TicketKey
		}
		if o.URL != "" {
			row.o.URL = o.URL
		}
		if o.LinkedTicketID != "" {
			row.o.LinkedTicketID = o.LinkedTicketID
		}
	}
	return nil
}

// Orphans returns the case's orphans not dismissed, by FoundAt then
// TicketID (an empty slice when none).
func (s *Store) Orphans(_ context.Context, integrationID, caseID string) ([]itsm.Orphan, error) {
	t := &s.orphans
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := []itsm.Orphan{}
	for _, row := range t.byCase[caseKey{integrationID, caseID}] {
		if row.dismissedAt.IsZero() {
			out = append(out, row.o)
		}
	}
	slices.SortFunc(out, func(a, b itsm.Orphan) int {
		return cmp.Or(a.FoundAt.Compare(b.FoundAt), cmp.Compare(a.TicketID, b.TicketID))
	})
	return out, nil
}

// DismissOrphan marks an orphan as handled; an error wrapping
// itsm.ErrNotFound when the case has no such orphan.
func (s *Store) DismissOrphan(_ context.Context, integrationID, caseID, ticketID string) error {
	t := &s.orphans
	t.mu.Lock()
	defer t.mu.Unlock()
	row, ok := t.byCase[caseKey{integrationID, caseID}][ticketID]
	if !ok {
		return fmt.Errorf("memstore: dismiss orphan %q of case %q: %w", ticketID, caseID, itsm.ErrNotFound)
	}
	if row.dismissedAt.IsZero() {
		row.dismissedAt = time.Now()
	}
	return nil
}
