package memstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/itsmsync/itsmsync/itsm"
)

// integrationLinks holds one integration's links with the indexes the store
// needs: by case id, in case id order (pagination) and by ticket reference.
// Links are held by pointer and replaced in place, so every index sees a
// replacement at once.
type integrationLinks struct {
	byCase map[string]*itsm.Link
	order  caseOrder
	refs   map[string]linkRefs // ticket id or key -> links naming it
}

// linkRefs are the links naming one ticket: nearly always a single one,
// held without allocating a slice (a first sync indexes a new link under
// its ticket id and key).
type linkRefs struct {
	one  *itsm.Link
	more []*itsm.Link
}

func newIntegrationLinks() *integrationLinks {
	return &integrationLinks{
		byCase: make(map[string]*itsm.Link),
		refs:   make(map[string]linkRefs),
	}
}

func (il *integrationLinks) put(l itsm.Link) {
	p, ok := il.byCase[l.CaseID]
	if ok {
		il.unref(p)
		*p = l
	} else {
		p = &l
		il.byCase[l.CaseID] = p
		il.order.insert(p)
	}
	il.ref(p.TicketID, p)
	if p.TicketKey != p.TicketID {
		il.ref(p.TicketKey, p)
	}
}

func (il *integrationLinks) delete(caseID string) {
	p, ok := il.byCase[caseID]
	if !ok {
		return
	}
	il.unref(p)
	delete(il.byCase, caseID)
	il.order.remove(caseID)
}

func (il *integrationLinks) ref(ticket string, p *itsm.Link) {
	if ticket == "" {
		return
	}
	r := il.refs[ticket]
	if r.one == nil {
		r.one = p
	} else {
		r.more = append(r.more, p)
	}
	il.refs[ticket] = r
}

func (il *integrationLinks) unref(p *itsm.Link) {
	for _, ticket := range [2]string{p.TicketID, p.TicketKey} {
		r, ok := il.refs[ticket]
		if !ok {
			continue
		}
		if r.one == p {
			if len(r.more) == 0 {
				delete(il.refs, ticket)
				continue
			}
			r.one = r.more[0]
			r.more = slices.Delete(r.more, 0, 1)
		} else {
			r.more = slices.DeleteFunc(r.more, func(q *itsm.Link) bool { return q == p })
		}
		il.refs[ticket] = r
	}
}

// byTicket returns the link whose TicketID or TicketKey is ticket. Should
// several links match, a TicketID match wins over a TicketKey match, then the
// lowest CaseID, so the answer is deterministic.
func (il *integrationLinks) byTicket(ticket string) (itsm.Link, bool) {
	r := il.refs[ticket]
	best := r.one
	if best == nil {
		return itsm.Link{}, false
	}
	for _, p := range r.more {
		if better(p, best, ticket) {
			best = p
		}
	}
	return *best, true
}

func better(a, b *itsm.Link, ticket string) bool {
	aID, bID := a.TicketID == ticket, b.TicketID == ticket
	if aID != bID {
		return aID
	}
	return a.CaseID < b.CaseID
}

// caseOrder keeps links sorted by CaseID in chunks of at most maxChunk, so
// an insert or delete moves at most a chunk, not every link, and a page is
// found by two binary searches.
type caseOrder struct {
	chunks [][]*itsm.Link
}

const maxChunk = 512

// locate returns the position of the first link whose CaseID is not below
// caseID (or, with strict, above it): the chunk index (len(chunks) when
// past the end) and the index in that chunk.
func (o *caseOrder) locate(caseID string, strict bool) (ci, i int) {
	before := func(l *itsm.Link) bool {
		if strict {
			return l.CaseID <= caseID
		}
		return l.CaseID < caseID
	}
	ci, _ = slices.BinarySearchFunc(o.chunks, true, func(c []*itsm.Link, _ bool) int {
		if before(c[len(c)-1]) {
			return -1
		}
		return 1
	})
	if ci == len(o.chunks) {
		return ci, 0
	}
	i, _ = slices.BinarySearchFunc(o.chunks[ci], true, func(l *itsm.Link, _ bool) int {
		if before(l) {
			return -1
		}
		return 1
	})
	return ci, i
}

func (o *caseOrder) insert(p *itsm.Link) {
	if len(o.chunks) == 0 {
		o.chunks = [][]*itsm.Link{{p}}
		return
	}
	ci, i := o.locate(p.CaseID, false)
	if ci == len(o.chunks) {
		ci = len(o.chunks) - 1
		i = len(o.chunks[ci])
	}
	c := slices.Insert(o.chunks[ci], i, p)
	if len(c) <= maxChunk {
		o.chunks[ci] = c
		return
	}
	half := len(c) / 2
	right := slices.Clone(c[half:])
	clear(c[half:])
	o.chunks[ci] = c[:half]
	o.chunks = slices.Insert(o.chunks, ci+1, right)
}

func (o *caseOrder) remove(caseID string) {
	ci, i := o.locate(caseID, false)
	if ci == len(o.chunks) || o.chunks[ci][i].CaseID != caseID {
		return
	}
	c := slices.Delete(o.chunks[ci], i, i+1)
	if len(c) == 0 {
		o.chunks = slices.Delete(o.chunks, ci, ci+1)
		return
	}
	o.chunks[ci] = c
}

// after calls yield with each link whose CaseID is above caseID, in order,
// until yield returns false.
func (o *caseOrder) after(caseID string, yield func(*itsm.Link) bool) {
	ci, i := o.locate(caseID, true)
	for ; ci < len(o.chunks); ci, i = ci+1, 0 {
		for _, p := range o.chunks[ci][i:] {
			if !yield(p) {
				return
			}
		}
	}
}

// GetLink returns the link of a case, or an error wrapping itsm.ErrNotFound.
func (s *Store) GetLink(_ context.Context, integrationID, caseID string) (itsm.Link, error) {
	s.linkMu.RLock()
	defer s.linkMu.RUnlock()
	if il := s.links[integrationID]; il != nil {
		if p, ok := il.byCase[caseID]; ok {
			return *p, nil
		}
	}
	return itsm.Link{}, errNotFound("get link of case", caseID)
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
	return itsm.Link{}, errNotFound("get link of ticket", ticketID)
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
	var out []itsm.Link
	il.order.after(afterCaseID, func(p *itsm.Link) bool {
		if openOnly && p.Closed {
			return true
		}
		if out == nil {
			out = make([]itsm.Link, 0, min(limit, len(il.byCase)))
		}
		out = append(out, *p)
		return len(out) < limit
	})
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
	return itsm.PendingCreate{}, errNotFound("get pending of case", caseID)
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
// deletes the case's pending create in one step: no reader sees one without
// the other. When the case has no pending create it changes nothing and
// returns an error wrapping itsm.ErrConflict.
func (s *Store) CompletePending(_ context.Context, l itsm.Link) error {
	k := caseKey{l.IntegrationID, l.CaseID}
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	if _, ok := s.pending[k]; !ok {
		return fmt.Errorf("memstore: complete pending of case %q: no pending create (completed or cleared by another sync): %w", l.CaseID, itsm.ErrConflict)
	}
	s.putLinkLocked(l)
	delete(s.pending, k)
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
