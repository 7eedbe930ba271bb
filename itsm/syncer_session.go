package itsm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A sync costs the store as few round trips as it can: with a
// [SyncSessionStore] (memstore, sqlstore) the cooldown check, the lease and
// the reads of the link, pending create and note records, and the status
// the sync is about to push (recorded on the link: see syncer_echo.go) are
// one call (BeginSync), and the cooldown, the link an update changed (key,
// URL, target, closed) and the lease release another (EndSync). Without
// one, the same reads and writes are made one by one, when needed.

// begin checks the cooldown and takes the case's lease, and reads what the
// sync needs when the store can do it at once. It returns the reason of a
// refusal with the error.
func (s *Syncer) begin(ctx context.Context, r *run, withNotes bool) (string, error) {
	coolKey := ""
	if s.period > 0 {
		if !s.coolInStore || s.session == nil {
			if err := s.checkCooldown(ctx, r.c.ID); err != nil {
				return "cooldown", err
			}
		} else {
			coolKey = s.key("cooldown", r.c.ID)
		}
	}
	now := s.clock.Now()
	r.pushed = s.pushIntent(r.c, now)
	if s.session == nil {
		if err := s.acquire(ctx, r); err != nil {
			return "lease", err
		}
	} else {
		req := BeginSyncRequest{LeaseKey: r.leaseKey, Holder: r.holder, Now: now, TTL: s.leaseTTL,
			CooldownKey: coolKey, IntegrationID: s.integrationID, CaseID: r.c.ID, WithNotes: withNotes}
		if s.period == 0 || coolKey != "" {
			// Recorded by BeginSync only when nothing can refuse the sync
			// after it: with the host's own Cooldown, the check under the
			// lease below may, and the update records it (recordPush).
			req.Pushed = r.pushed
		}
		st, err := s.session.BeginSync(ctx, req)
		switch {
		case err == nil:
		case errors.Is(err, ErrCoolingDown):
			return "cooldown", &CooldownError{CaseID: r.c.ID, Until: st.CooldownUntil, Remaining: st.CooldownUntil.Sub(now)}
		case errors.Is(err, ErrLeaseHeld):
			return "lease", &InProgressError{CaseID: r.c.ID, Until: st.Lease.ExpiresAt, Err: err}
		default:
			return "lease", storeError(fmt.Sprintf("sync case %q: begin sync", r.c.ID), err)
		}
		r.renewedAt, r.leaseUntil = now, st.Lease.ExpiresAt
		r.state = &st
		r.notesRead = withNotes
		r.pushRecorded = req.Pushed != nil
	}
	if s.period > 0 && coolKey == "" {
		// A sync that finished between the first cooldown check and the
		// lease has just started a cooldown: check again under the lease.
		if err := s.checkCooldown(ctx, r.c.ID); err != nil {
			return "cooldown", errors.Join(err, s.release(ctx, r))
		}
	}
	return "", nil
}

// end records the sync's last writes: the cooldown (r.coolUntil, when the
// sync succeeded), the link an update changed (r.endLink), and the lease
// release — in one call with a [SyncSessionStore] that keeps the cooldowns
// too, otherwise one by one (cooldown first: it must be visible before the
// lease is free). It runs even when ctx is canceled.
func (s *Syncer) end(ctx context.Context, r *run) error {
	wctx := r.record(ctx)
	caseID := r.c.ID
	var errs []error
	if s.session != nil {
		req := EndSyncRequest{LeaseKey: r.leaseKey, Holder: r.holder, Link: r.endLink}
		if !r.coolUntil.IsZero() {
			if s.coolInStore {
				req.CooldownKey, req.CooldownUntil = s.key("cooldown", caseID), r.coolUntil
			} else if err := s.cooldown.StartCooldown(wctx, s.key("cooldown", caseID), r.coolUntil); err != nil {
				// The host's Cooldown, before the lease is free.
				r.res.NextSyncAt = time.Time{}
				errs = append(errs, storeError(fmt.Sprintf("sync case %q: start cooldown", caseID), err))
			}
		}
		if err := s.session.EndSync(wctx, req); err != nil {
			if s.coolInStore {
				r.res.NextSyncAt = time.Time{}
			}
			errs = append(errs, storeError(fmt.Sprintf("sync case %q: end sync (cooldown, link, lease release)", caseID), err))
		}
		return errors.Join(errs...)
	}
	if r.endLink != nil {
		if err := s.store.PutLink(wctx, *r.endLink); err != nil {
			errs = append(errs, storeError(fmt.Sprintf("sync case %q: store link", caseID), err))
		}
	}
	if !r.coolUntil.IsZero() {
		if err := s.cooldown.StartCooldown(wctx, s.key("cooldown", caseID), r.coolUntil); err != nil {
			r.res.NextSyncAt = time.Time{}
			errs = append(errs, storeError(fmt.Sprintf("sync case %q: start cooldown", caseID), err))
		}
	}
	if err := s.release(ctx, r); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// caseLink returns the case's link as BeginSync read it, or reads it; an
// error wrapping ErrNotFound when there is none.
func (s *Syncer) caseLink(ctx context.Context, r *run) (Link, error) {
	if r.state != nil {
		if r.state.Link == nil {
			return Link{}, fmt.Errorf("itsm: link of case %q: %w", r.c.ID, ErrNotFound)
		}
		return *r.state.Link, nil
	}
	return s.store.GetLink(ctx, s.integrationID, r.c.ID)
}

// casePending returns the case's pending create as BeginSync read it, or
// reads it; an error wrapping ErrNotFound when there is none.
func (s *Syncer) casePending(ctx context.Context, r *run) (PendingCreate, error) {
	if r.state != nil {
		if r.state.Pending == nil {
			return PendingCreate{}, fmt.Errorf("itsm: pending create of case %q: %w", r.c.ID, ErrNotFound)
		}
		return *r.state.Pending, nil
	}
	return s.store.GetPending(ctx, s.integrationID, r.c.ID)
}

// caseNotes returns the case's note records as BeginSync read them, or
// reads them.
func (s *Syncer) caseNotes(ctx context.Context, r *run) (map[string]PostedNote, error) {
	if r.notesRead {
		return r.state.Notes, nil
	}
	return s.store.PostedNotes(ctx, s.integrationID, r.c.ID)
}
