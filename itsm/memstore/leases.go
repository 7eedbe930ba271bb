package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// AcquireLease takes key for holder until now+ttl when the key is free,
// expired at now (ExpiresAt not after now) or already held by holder (a
// renewal), and returns the new lease. Otherwise it returns the current lease
// and an error wrapping itsm.ErrLeaseHeld. Expiry is judged by now only: the
// store never reads a clock.
func (s *Store) AcquireLease(_ context.Context, key, holder string, now time.Time, ttl time.Duration) (itsm.Lease, error) {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if cur, ok := s.leases[key]; ok && cur.Holder != holder && cur.ExpiresAt.After(now) {
		return cur, fmt.Errorf("memstore: acquire lease %q: %w", key, itsm.ErrLeaseHeld)
	}
	l := itsm.Lease{Key: key, Holder: holder, ExpiresAt: now.Add(ttl)}
	s.leases[key] = l
	return l, nil
}

// ReleaseLease frees key if holder holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(_ context.Context, key, holder string) error {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if cur, ok := s.leases[key]; ok && cur.Holder == holder {
		delete(s.leases, key)
	}
	return nil
}

// GetLease returns the lease on key (possibly expired), or an error wrapping
// itsm.ErrNotFound. Expired leases are kept until taken over or released.
func (s *Store) GetLease(_ context.Context, key string) (itsm.Lease, error) {
	s.leaseMu.RLock()
	defer s.leaseMu.RUnlock()
	if l, ok := s.leases[key]; ok {
		return l, nil
	}
	return itsm.Lease{}, fmt.Errorf("memstore: get lease %q: %w", key, itsm.ErrNotFound)
}
