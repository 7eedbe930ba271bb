package memstore

import (
	"context"
	"time"
)

// minCoolSweep is the cooldown map size below which ended cooldowns are not
// swept.
const minCoolSweep = 1024

// CooldownUntil returns when key's cooldown ends, or the zero time when it is
// not cooling down at now.
func (s *Store) CooldownUntil(_ context.Context, key string, now time.Time) (time.Time, error) {
	s.coolMu.Lock()
	defer s.coolMu.Unlock()
	s.sweepCooldownsLocked(now)
	if until := s.cooldowns[key]; until.After(now) {
		return until, nil
	}
	return time.Time{}, nil
}

// StartCooldown sets key's cooldown to end at until, replacing any end set
// before.
func (s *Store) StartCooldown(_ context.Context, key string, until time.Time) error {
	s.coolMu.Lock()
	defer s.coolMu.Unlock()
	s.cooldowns[key] = until
	return nil
}

// TryStartCooldown starts a cooldown ending at until and reports true and
// until when key is not cooling down at now; otherwise it reports false and
// the current end. The check and the write happen under one lock.
func (s *Store) TryStartCooldown(_ context.Context, key string, now, until time.Time) (bool, time.Time, error) {
	s.coolMu.Lock()
	defer s.coolMu.Unlock()
	s.sweepCooldownsLocked(now)
	if cur := s.cooldowns[key]; cur.After(now) {
		return false, cur, nil
	}
	s.cooldowns[key] = until
	return true, until, nil
}

// ClearCooldown ends key's cooldown; clearing a key with none is not an
// error.
func (s *Store) ClearCooldown(_ context.Context, key string) error {
	s.coolMu.Lock()
	defer s.coolMu.Unlock()
	delete(s.cooldowns, key)
	return nil
}

// sweepCooldownsLocked forgets cooldowns that ended by now once the map has
// doubled since the last sweep, so memory follows the cases cooling down,
// not every case ever synced, at an amortized constant cost per call.
func (s *Store) sweepCooldownsLocked(now time.Time) {
	if len(s.cooldowns) < s.coolSweepAt {
		return
	}
	for k, until := range s.cooldowns {
		if !until.After(now) {
			delete(s.cooldowns, k)
		}
	}
	s.coolSweepAt = max(minCoolSweep, 2*len(s.cooldowns))
}
