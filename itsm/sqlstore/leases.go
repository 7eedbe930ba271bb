package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// maxRaceRetries bounds how often a conditional write that lost is retried
// when the row it lost to vanished before it could be read (released or
// cleared in between).
const maxRaceRetries = 8

// AcquireLease takes key for holder until now+ttl when the key is free,
// expired at now (ExpiresAt not after now), or already held by holder (a
// renewal), in one conditional upsert (INSERT ... ON CONFLICT DO UPDATE ...
// WHERE expired or same holder ... RETURNING). Otherwise it returns the
// current lease and an error wrapping itsm.ErrLeaseHeld.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, now time.Time, ttl time.Duration) (itsm.Lease, error) {
	const op = "acquire lease"
	until := now.Add(ttl)
	for range maxRaceRetries {
		var l itsm.Lease
		var exp sql.NullInt64
		err := s.queryRow(ctx, s.q.acquireLease, key, holder, timeArg(until), cmpArg(now)).Scan(&l.Key, &l.Holder, &exp)
		if err == nil {
			l.ExpiresAt = fromMicros(exp)
			return l, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return itsm.Lease{}, storeErr(op, err)
		}
		cur, err := s.GetLease(ctx, key)
		if errors.Is(err, itsm.ErrNotFound) {
			continue // released in between: try again
		}
		if err != nil {
			return itsm.Lease{}, err
		}
		if cur.Holder == holder || !cur.ExpiresAt.After(now) {
			continue // changed in between to something we may take: try again
		}
		return cur, fmt.Errorf("sqlstore: %s %q: %w", op, key, itsm.ErrLeaseHeld)
	}
	return itsm.Lease{}, storeErr(op, errors.New("lease kept changing under contention"))
}

// ReleaseLease frees key if holder holds it; otherwise it does nothing and
// returns nil.
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	return s.exec(ctx, "release lease", s.q.releaseLease, key, holder)
}

// GetLease returns the lease on key (possibly expired), or an error wrapping
// itsm.ErrNotFound.
func (s *Store) GetLease(ctx context.Context, key string) (itsm.Lease, error) {
	var l itsm.Lease
	var exp sql.NullInt64
	if err := s.queryRow(ctx, s.q.getLease, key).Scan(&l.Key, &l.Holder, &exp); err != nil {
		return itsm.Lease{}, notFound("get lease", err)
	}
	l.ExpiresAt = fromMicros(exp)
	return l, nil
}

// CooldownUntil returns when key's cooldown ends as stored (possibly in the
// past), or the zero time when none was started or it was cleared.
func (s *Store) CooldownUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var until sql.NullInt64
	err := s.queryRow(ctx, s.q.cooldownUntil, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, storeErr("cooldown until", err)
	}
	return fromMicros(until), nil
}

// StartCooldown sets key's cooldown to end at until, replacing any end set
// before.
func (s *Store) StartCooldown(ctx context.Context, key string, until time.Time) error {
	return s.exec(ctx, "start cooldown", s.q.startCooldown, key, timeArg(until))
}

// TryStartCooldown starts a cooldown ending at until when key is not cooling
// down at now, in one conditional upsert, and reports true and until;
// otherwise it reports false and the current end.
func (s *Store) TryStartCooldown(ctx context.Context, key string, now, until time.Time) (bool, time.Time, error) {
	const op = "try start cooldown"
	for range maxRaceRetries {
		var got sql.NullInt64
		err := s.queryRow(ctx, s.q.tryStartCooldown, key, timeArg(until), cmpArg(now)).Scan(&got)
		if err == nil {
			return true, fromMicros(got), nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, time.Time{}, storeErr(op, err)
		}
		cur, err := s.CooldownUntil(ctx, key, now)
		if err != nil {
			return false, time.Time{}, err
		}
		if cur.After(now) {
			return false, cur, nil
		}
		// Cleared or shortened in between: try again.
	}
	return false, time.Time{}, storeErr(op, errors.New("cooldown kept changing under contention"))
}

// ClearCooldown ends key's cooldown now.
func (s *Store) ClearCooldown(ctx context.Context, key string) error {
	return s.exec(ctx, "clear cooldown", s.q.clearCooldown, key)
}
