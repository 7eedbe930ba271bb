package itsm

import (
	"context"
	"fmt"
	"time"
)

// The status a sync pushes is recorded on the link before the update is
// sent, so the ITSM's echo of that change is recognised whenever it comes:
// Jira's webhook about our transition arrives within about a second, often
// while the sync still posts its notes, and Request Tracker's Scrip fires
// inside RT's answer to the update itself. Recorded after the sync, the echo
// would find the previous push on the link and, with a status map that sends
// two case statuses to one ITSM label, applying it would change the case.
//
// With a [SyncSessionStore] the intent travels with BeginSync (one
// statement on PostgreSQL: no extra round trip); without one (or with the
// host's own [Cooldown], checked again once the lease is held), the Syncer
// writes the link with PutLink before the update, only when the label
// differs from the recorded one or the recorded push is older than
// pushRefresh. A create records the pushed status with its link
// (CompletePending): its echo, the ITSM's "created" event, carries the
// ticket's initial status, which the inbound side ignores by default.

// pushRefresh is how old a recorded push of the same label may be before a
// Syncer without a [SyncSessionStore] records it again ahead of an update.
// It is well inside the inbound side's default echo window (five minutes);
// with such a store, an echo window shorter than pushRefresh plus the
// ITSM's delay may miss the echo of a label pushed again.
const pushRefresh = time.Minute

// pushIntent is the status this sync is about to push to a linked ticket,
// or nil when there is no label to record (no status map, or the case
// status maps to none).
func (s *Syncer) pushIntent(c *Case, now time.Time) *PushedStatus {
	if s.mapper == nil {
		return nil
	}
	label := s.mapper.ITSMStatus(c.Status)
	if label == "" {
		return nil
	}
	return &PushedStatus{Status: label, At: now, Target: s.Target()}
}

// recordPush records the sync's push intent on the link before the update
// unless BeginSync did (a store without [SyncSessionStore], or the host's
// own Cooldown), when the label changes or the recorded push is stale. It
// returns the link as stored.
func (s *Syncer) recordPush(ctx context.Context, r *run, link Link) (Link, error) {
	p := r.pushed
	if r.pushRecorded || p == nil || !p.AppliesTo(link) {
		return link, nil
	}
	if link.LastPushedStatus == p.Status && !link.LastPushedAt.IsZero() &&
		!link.LastPushedAt.After(p.At) && p.At.Sub(link.LastPushedAt) < pushRefresh {
		return link, nil
	}
	next := link
	next.LastPushedStatus, next.LastPushedAt = p.Status, p.At
	if err := s.store.PutLink(ctx, next); err != nil {
		return link, storeError(fmt.Sprintf("sync case %q: record the status to push on the link", r.c.ID), err)
	}
	return next, nil
}
