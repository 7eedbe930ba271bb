package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// RetargetLinks sets Target to to on every link of the integration whose
// Target is from, and returns how many it changed ([itsm.TargetStore]).
func (s *Store) RetargetLinks(_ context.Context, integrationID, from, to string) (int, error) {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	il := s.links[integrationID]
	if il == nil || from == to {
		return 0, nil
	}
	n := 0
	for _, p := range il.byCase {
		if p.Target == from {
			p.Target = to // in place: every index holds the pointer
			n++
		}
	}
	return n, nil
}

// RetireLinks moves every link of the integration whose Target is target to
// history, with its case's posted-note records, and forgets the inbound
// state of each retired ticket id that no remaining link names
// ([itsm.TargetStore]). It holds the link, note and inbound locks together,
// so no reader sees a retired link's notes without the link.
func (s *Store) RetireLinks(_ context.Context, integrationID, target string, at time.Time) (int, error) {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	s.noteMu.Lock()
	defer s.noteMu.Unlock()
	s.inboundMu.Lock()
	defer s.inboundMu.Unlock()
	il := s.links[integrationID]
	if il == nil {
		return 0, nil
	}
	var gone []itsm.Link
	for _, p := range il.byCase {
		if p.Target == target {
			gone = append(gone, *p)
		}
	}
	if s.retired == nil && len(gone) > 0 {
		s.retired = make(map[caseKey][]itsm.RetiredLink)
	}
	for _, l := range gone {
		k := caseKey{integrationID, l.CaseID}
		rl := itsm.RetiredLink{Link: l, RetiredAt: at}
		for _, n := range s.notes[k] {
			rl.Notes = append(rl.Notes, n)
		}
		slices.SortFunc(rl.Notes, func(a, b itsm.PostedNote) int { return strings.Compare(a.NoteID, b.NoteID) })
		s.retired[k] = append(s.retired[k], rl)
		delete(s.notes, k)
		il.delete(l.CaseID)
	}
	for _, l := range gone {
		if _, named := il.refs[l.TicketID]; !named {
			delete(s.states, ticketKey{integrationID, l.TicketID})
		}
	}
	if len(il.byCase) == 0 {
		delete(s.links, integrationID)
	}
	return len(gone), nil
}

// RetiredLinks returns the retired links of a case, oldest retirement first
// ([itsm.TargetStore]); the caller owns the result (nil when none).
func (s *Store) RetiredLinks(_ context.Context, integrationID, caseID string) ([]itsm.RetiredLink, error) {
	s.linkMu.RLock()
	defer s.linkMu.RUnlock()
	rs := s.retired[caseKey{integrationID, caseID}]
	if len(rs) == 0 {
		return nil, nil
	}
	out := make([]itsm.RetiredLink, len(rs))
	for i, r := range rs {
		r.Notes = slices.Clone(r.Notes)
		out[i] = r
	}
	return out, nil
}

// LinkTargets returns the targets of the integration's links with their
// counts, ordered by target ([itsm.TargetStore]); nil when it has no link.
func (s *Store) LinkTargets(_ context.Context, integrationID string) ([]itsm.TargetCount, error) {
	s.linkMu.RLock()
	defer s.linkMu.RUnlock()
	il := s.links[integrationID]
	if il == nil {
		return nil, nil
	}
	counts := make(map[string]int)
	for _, p := range il.byCase {
		counts[p.Target]++
	}
	out := make([]itsm.TargetCount, 0, len(counts))
	for t, n := range counts {
		out = append(out, itsm.TargetCount{Target: t, Links: n})
	}
	slices.SortFunc(out, func(a, b itsm.TargetCount) int { return cmp.Compare(a.Target, b.Target) })
	return out, nil
}

// GetLinkByTicketInTarget is GetLinkByTicket among the links whose Target
// is target or empty (links made before targets were recorded): the inbound
// side's lookup when the integration's target is known, so a ticket id that
// two targets both use finds the case of the current one.
func (s *Store) GetLinkByTicketInTarget(_ context.Context, integrationID, ticketID, target string) (itsm.Link, error) {
	s.linkMu.RLock()
	defer s.linkMu.RUnlock()
	if il := s.links[integrationID]; il != nil && ticketID != "" {
		r := il.refs[ticketID]
		var best *itsm.Link
		for _, p := range append([]*itsm.Link{r.one}, r.more...) {
			if p == nil || (p.Target != target && p.Target != "") {
				continue
			}
			if best == nil || better(p, best, ticketID) {
				best = p
			}
		}
		if best != nil {
			return *best, nil
		}
	}
	return itsm.Link{}, errNotFound("get link of ticket", ticketID)
}
