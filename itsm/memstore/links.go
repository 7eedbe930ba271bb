package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/itsmsync/itsmsync/itsm"
)

// integrationLinks holds one integration's links with the two indexes the
// store needs: case ids in order (pagination) and ticket references.
type integrationLinks struct {
	byCase map[string]itsm.Link
	order  []string                       // case ids, ascending
	refs   map[string]map[string]struct{} // ticket id or key -> case ids
}

func newIntegrationLinks() *integrationLinks {
	return &integrationLinks{
		byCase: make(map[string]itsm.Link),
		refs:   make(map[string]map[string]struct{}),
	}
}

func (il *integrationLinks) put(l itsm.Link) {
	if old, ok := il.byCase[l.CaseID]; ok {
		il.unref(old)
	} else {
		i, _ := slices.BinarySearch(il.order, l.CaseID)
		il.order = slices.Insert(il.order, i, l.CaseID)
	}
	il.byCase[l.CaseID] = l
	il.ref(l.TicketID, l.CaseID)
	il.ref(l.TicketKey, l.CaseID)
}

func (il *integrationLinks) delete(caseID string) {
	old, ok := il.byCase[caseID]
	if !ok {
		return
	}
	il.unref(old)
	delete(il.byCase, caseID)
	if i, found := slices.BinarySearch(il.order, caseID); found {
		il.order = slices.Delete(il.order, i, i+1)
	}
}

func (il *integrationLinks) ref(ticket, caseID string) {
	if ticket == "" {
		return
	}
	set := il.refs[ticket]
	if set == nil {
		set = make(map[string]struct{}, 1)
		il.refs[ticket] = set
	}
	set[caseID] = struct{}{}
}

func (il *integrationLinks) unref(l itsm.Link) {
	for _, ticket := range [2]string{l.TicketID, l.TicketKey} {
		if set := il.refs[ticket]; set != nil {
			delete(set, l.CaseID)
			if len(set) == 0 {
				delete(il.refs, ticket)
			}
		}
	}
}

// byTicket returns the link whose TicketID or TicketKey is ticket. Should
// several links match, a TicketID match wins over a TicketKey match, then the
// lowest CaseID, so the answer is deterministic.
func (il *integrationLinks) byTicket(ticket string) (itsm.Link, bool) {
	var best itsm.Link
	found := false
	for caseID := range il.refs[ticket] {
		l := il.byCase[caseID]
		if !found || better(l, best, ticket) {
			best, found = l, true
		}
	}
	return best, found
}

func better(a, b itsm.Link, ticket string) bool {
	aID, bID := a.TicketID == ticket, b.TicketID == ticket
	if aID != bID {
		return aID
	}
	return a.CaseID < b.CaseID
}

// GetLink returns the link of a case, or an error wrapping itsm.ErrNotFound.
func (s *Store) GetLink(_ context.Context, integrationID, caseID string) (itsm.Link, error) {
	s.linkMu.RLock()
	defer s.linkMu.RUnlock()
	if il := s.links[integrationID]; il != nil {
		if l, ok := il.byCase[caseID]; ok {
			return l, nil
		}
	}
	return itsm.Link{}, fmt.Errorf("memstore: get link of case %q: %w", caseID, itsm.ErrNotFound)
}

// GetLinkByTicket returns the link whose TicketID or TicketKey equals
// ticketID, or an error wrapping itsm.ErrNotFound. The lookup is by an index,
// not a scan. Should several links of the integration name the same ticket, a
// TicketID match wins over a TicketKey match, then the lowest CaseID.
func (s *Store) GetLinkByTicket(_ context.Context, integrationID, ticketID string) (itsm.Link, error) {
	s.linkMu.RLock()
	defer s.linkMu.RUnlock()
	if il := s.links[integrationID]; il != nil && ticketID != "" {
		if l, ok := il.byTicket(ticketID); ok {
			return l, nil
		}
	}
	return itsm.Link{}, fmt.Errorf("memstore: get link of ticket %q: %w", ticketID, itsm.ErrNotFound)
}

// PutLink inserts or replaces the link of (l.IntegrationID, l.CaseID).
func (s *Store) PutLink(_ context.Context, l itsm.Link) error {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	s.putLinkLocked(l)
	return nil
}

func (s *Store) putLinkLocked(l itsm.Link) {
	il := s.links[l.IntegrationID]
	if il == nil {
		il = newIntegrationLinks()
		s.links[l.IntegrationID] = il
	}
	il.put(l)
}

// DeleteLink removes a link; removing a missing link is not an error.
func (s *Store) DeleteLink(_ context.Context, integrationID, caseID string) error {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	if il := s.links[integrationID]; il != nil {
		il.delete(caseID)
		if len(il.byCase) == 0 {
			delete(s.links, integrationID)
		}
	}
	return nil
}

// ListLinks returns up to limit links of an integration with CaseID greater
// than afterCaseID, ordered by CaseID (byte-wise). openOnly skips Closed
// links before the limit applies. A limit of zero or less returns no links.
// The result is a new slice the caller owns; it is nil when empty.
func (s *Store) ListLinks(_ context.Context, integrationID, afterCaseID string, limit int, openOnly bool) ([]itsm.Link, error) {
	if limit <= 0 {
		return nil, nil
	}
	s.linkMu.RLock()
	defer s.linkMu.RUnlock()
	il := s.links[integrationID]
	if il == nil {
		return nil, nil
	}
	i, found := slices.BinarySearch(il.order, afterCaseID)
	if found {
		i++
	}
	var out []itsm.Link
	for ; i < len(il.order) && len(out) < limit; i++ {
		l := il.byCase[il.order[i]]
		if openOnly && l.Closed {
			continue
		}
		if out == nil {
			out = make([]itsm.Link, 0, min(limit, len(il.order)-i))
		}
		out = append(out, l)
	}
	return out, nil
}

// CreatePending records p; an error wrapping itsm.ErrConflict when the case
// already has a pending create.
func (s *Store) CreatePending(_ context.Context, p itsm.PendingCreate) error {
	k := caseKey{p.IntegrationID, p.CaseID}
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	if _, ok := s.pending[k]; ok {
		return fmt.Errorf("memstore: create pending of case %q: %w", p.CaseID, itsm.ErrConflict)
	}
	s.pending[k] = p
	return nil
}

// GetPending returns the pending create of a case, or an error wrapping
// itsm.ErrNotFound.
func (s *Store) GetPending(_ context.Context, integrationID, caseID string) (itsm.PendingCreate, error) {
	s.linkMu.RLock()
	defer s.linkMu.RUnlock()
	if p, ok := s.pending[caseKey{integrationID, caseID}]; ok {
		return p, nil
	}
	return itsm.PendingCreate{}, fmt.Errorf("memstore: get pending of case %q: %w", caseID, itsm.ErrNotFound)
}

// UpdatePending replaces a pending create; an error wrapping
// itsm.ErrNotFound when the case has none.
func (s *Store) UpdatePending(_ context.Context, p itsm.PendingCreate) error {
	k := caseKey{p.IntegrationID, p.CaseID}
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	if _, ok := s.pending[k]; !ok {
		return fmt.Errorf("memstore: update pending of case %q: %w", p.CaseID, itsm.ErrNotFound)
	}
	s.pending[k] = p
	return nil
}

// CompletePending stores l (inserting or replacing the case's link) and
// deletes the case's pending create, if any, in one step: no reader sees one
// without the other.
func (s *Store) CompletePending(_ context.Context, l itsm.Link) error {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	s.putLinkLocked(l)
	delete(s.pending, caseKey{l.IntegrationID, l.CaseID})
	return nil
}

// DeletePending removes a pending create; removing a missing one is not an
// error.
func (s *Store) DeletePending(_ context.Context, integrationID, caseID string) error {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	delete(s.pending, caseKey{integrationID, caseID})
	return nil
}
