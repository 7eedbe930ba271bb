package memstore

import (
	"context"
	"fmt"
	"maps"

	"github.com/itsmsync/itsmsync/itsm"
)

var _ itsm.SyncSessionStore = (*Store)(nil)

// BeginSync refuses a case cooling down, else takes the lease, records
// Pushed on the case's link (when it has one) and reads the case's link
// (with Pushed recorded), pending create and (WithNotes) note records, as
// [itsm.SyncSessionStore] says. The cooldown check and the lease are taken
// under both their locks, so a sync ending meanwhile (EndSync takes the same
// locks) is seen whole or not at all.
func (s *Store) BeginSync(_ context.Context, req itsm.BeginSyncRequest) (itsm.SyncState, error) {
	var st itsm.SyncState
	s.coolMu.Lock()
	s.leaseMu.Lock()
	if req.CooldownKey != "" {
		s.sweepCooldownsLocked(req.Now)
		if until := s.cooldowns[req.CooldownKey]; until.After(req.Now) {
			s.leaseMu.Unlock()
			s.coolMu.Unlock()
			st.CooldownUntil = until
			return st, fmt.Errorf("memstore: begin sync %q: %w", req.LeaseKey, itsm.ErrCoolingDown)
		}
	}
	if cur, ok := s.leases[req.LeaseKey]; ok && cur.Holder != req.Holder && cur.ExpiresAt.After(req.Now) {
		s.leaseMu.Unlock()
		s.coolMu.Unlock()
		st.Lease = cur
		return st, fmt.Errorf("memstore: begin sync %q: %w", req.LeaseKey, itsm.ErrLeaseHeld)
	}
	st.Lease = itsm.Lease{Key: req.LeaseKey, Holder: req.Holder, ExpiresAt: req.Now.Add(req.TTL)}
	s.leases[req.LeaseKey] = st.Lease
	s.leaseMu.Unlock()
	s.coolMu.Unlock()

	k := caseKey{req.IntegrationID, req.CaseID}
	s.linkMu.Lock()
	if il := s.links[req.IntegrationID]; il != nil {
		if p, ok := il.byCase[req.CaseID]; ok {
			if ps := req.Pushed; ps != nil && ps.AppliesTo(*p) {
				// Neither field is indexed: set in place.
				p.LastPushedStatus, p.LastPushedAt = ps.Status, ps.At
			}
			l := *p
			st.Link = &l
		}
	}
	if p, ok := s.pending[k]; ok {
		st.Pending = &p
	}
	s.linkMu.Unlock()
	if req.WithNotes {
		s.noteMu.RLock()
		st.Notes = maps.Clone(s.notes[k])
		s.noteMu.RUnlock()
		if st.Notes == nil {
			st.Notes = map[string]itsm.PostedNote{}
		}
	}
	return st, nil
}

// EndSync stores the link, starts the cooldown and releases the lease, as
// [itsm.SyncSessionStore] says; the cooldown and the release happen under
// both their locks.
func (s *Store) EndSync(_ context.Context, req itsm.EndSyncRequest) error {
	if req.Link != nil {
		s.linkMu.Lock()
		s.putLinkLocked(*req.Link)
		s.linkMu.Unlock()
	}
	s.coolMu.Lock()
	s.leaseMu.Lock()
	if !req.CooldownUntil.IsZero() && req.CooldownKey != "" {
		s.cooldowns[req.CooldownKey] = req.CooldownUntil
	}
	if cur, ok := s.leases[req.LeaseKey]; ok && cur.Holder == req.Holder {
		delete(s.leases, req.LeaseKey)
	}
	s.leaseMu.Unlock()
	s.coolMu.Unlock()
	return nil
}
