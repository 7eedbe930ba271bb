package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// SessionStore is a [Store] that also begins and ends syncs in one call
// each ([itsm.SyncSessionStore]) and keeps cooldowns ([itsm.Cooldown]), as
// memstore and sqlstore do.
type SessionStore interface {
	Store
	itsm.SyncSessionStore
	itsm.Cooldown
}

// RunSession runs the conformance suite of [itsm.SyncSessionStore]:
// BeginSync refuses a case cooling down without taking the lease, refuses
// a live lease of another holder with that lease, takes a free, expired or
// own lease, and reads the case's link, pending create and note records
// (every note state), recording a pushed status on the case's link only
// once the lease is taken, only on an existing link and only in the pushed
// target; EndSync starts the cooldown, stores the link and
// releases the lease; and RaceWorkers goroutines beginning a sync while one
// ends never take the lease without seeing the cooldown it started.
// newStore is called inside each subtest and must return an empty store.
func RunSession(t *testing.T, newStore func(t *testing.T) SessionStore) {
	t.Helper()
	for _, c := range stSessionCases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			require.NotNil(t, s, "newStore returned nil")
			c.run(t, []SessionStore{s})
		})
	}
}

// RunSessionReplicas runs the concurrency part of [RunSession] with the
// goroutines split across two stores over one shared storage.
func RunSessionReplicas(t *testing.T, newReplicas func(t *testing.T) (a, b SessionStore)) {
	t.Helper()
	for _, c := range stSessionCases {
		if !c.race {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			a, b := newReplicas(t)
			require.NotNil(t, a)
			require.NotNil(t, b)
			c.run(t, []SessionStore{a, b})
		})
	}
}

const stCoolKey = "cooldown/int-1/case-001"

// stBegin is the suite's BeginSync request for holder at now.
func stBegin(holder string, now time.Time, cooldown, notes bool) itsm.BeginSyncRequest {
	req := itsm.BeginSyncRequest{LeaseKey: stLeaseKey, Holder: holder, Now: now, TTL: stLeaseTTL,
		IntegrationID: "int-1", CaseID: "case-001", WithNotes: notes}
	if cooldown {
		req.CooldownKey = stCoolKey
	}
	return req
}

type stSessionCase struct {
	name string
	race bool
	run  func(t *testing.T, stores []SessionStore)
}

var stSessionCases = []stSessionCase{
	{name: "BeginEmpty", run: func(t *testing.T, ss []SessionStore) {
		s := ss[0]
		st, err := s.BeginSync(t.Context(), stBegin("replica-a", stBase, true, false))
		require.NoError(t, err)
		assert.Equal(t, stLease(itsm.Lease{Key: stLeaseKey, Holder: "replica-a", ExpiresAt: stBase.Add(stLeaseTTL)}), stLease(st.Lease))
		assert.Nil(t, st.Link)
		assert.Nil(t, st.Pending)
		assert.Nil(t, st.Notes, "no notes read without WithNotes")
		stCurrentLease(t, s, st.Lease)
		st, err = s.BeginSync(t.Context(), stBegin("replica-a", stAt(time.Minute), true, true))
		require.NoError(t, err, "the holder renews")
		assert.NotNil(t, st.Notes, "an empty map with WithNotes")
		assert.Empty(t, st.Notes)
		assert.True(t, st.Lease.ExpiresAt.Equal(stAt(time.Minute+stLeaseTTL)))
	}},
	{name: "BeginReadsCase", run: func(t *testing.T, ss []SessionStore) {
		s := ss[0]
		ctx := t.Context()
		link := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, s.PutLink(ctx, link))
		p := stPendingFixture("int-1", "case-001")
		require.NoError(t, s.CreatePending(ctx, p))
		notes := stSessionNotes()
		for _, n := range notes {
			require.NoError(t, s.MarkNotePosted(ctx, n))
		}
		// Another case's rows are not read.
		require.NoError(t, s.PutLink(ctx, stLinkFixture("int-1", "case-002", "10002")))
		require.NoError(t, s.MarkNotePosted(ctx, stNoteFixture("int-2", "case-001", "n-other")))
		st, err := s.BeginSync(ctx, stBegin("replica-a", stBase, true, true))
		require.NoError(t, err)
		require.NotNil(t, st.Link)
		assert.Equal(t, stLink(link), stLink(*st.Link))
		require.NotNil(t, st.Pending)
		assert.Equal(t, stPending(p), stPending(*st.Pending))
		assert.Equal(t, stNotes(notes), stNotes(st.Notes))
	}},
	{name: "BeginCoolingDown", run: func(t *testing.T, ss []SessionStore) {
		s := ss[0]
		ctx := t.Context()
		require.NoError(t, s.StartCooldown(ctx, stCoolKey, stAt(time.Minute)))
		st, err := s.BeginSync(ctx, stBegin("replica-a", stBase, true, true))
		stIs(t, err, itsm.ErrCoolingDown)
		assert.True(t, st.CooldownUntil.Equal(stAt(time.Minute)), "the cooldown's end: %v", st.CooldownUntil)
		_, err = s.GetLease(ctx, stLeaseKey)
		stIs(t, err, itsm.ErrNotFound, "no lease taken while cooling down")
		_, err = s.BeginSync(ctx, stBegin("replica-a", stBase, false, true))
		require.NoError(t, err, "no cooldown key: not checked")
		require.NoError(t, s.EndSync(ctx, itsm.EndSyncRequest{LeaseKey: stLeaseKey, Holder: "replica-a"}))
		_, err = s.BeginSync(ctx, stBegin("replica-a", stAt(time.Minute), true, true))
		require.NoError(t, err, "a cooldown ending at now is over")
	}},
	{name: "BeginLeaseHeld", run: func(t *testing.T, ss []SessionStore) {
		s := ss[0]
		ctx := t.Context()
		held := stAcquire(t, s, "replica-b", stBase, stLeaseTTL)
		st, err := s.BeginSync(ctx, stBegin("replica-a", stAt(time.Minute), true, true))
		stIs(t, err, itsm.ErrLeaseHeld)
		assert.Equal(t, stLease(held), stLease(st.Lease), "the current lease")
		assert.Nil(t, st.Link)
		stCurrentLease(t, s, held)
		st, err = s.BeginSync(ctx, stBegin("replica-a", held.ExpiresAt, true, true))
		require.NoError(t, err, "an expired lease is taken over")
		assert.Equal(t, "replica-a", st.Lease.Holder)
	}},
	{name: "BeginRecordsPushed", run: func(t *testing.T, ss []SessionStore) {
		s := ss[0]
		ctx := t.Context()
		link := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, s.PutLink(ctx, link))
		other := stLinkFixture("int-1", "case-002", "10002")
		require.NoError(t, s.PutLink(ctx, other))
		req := stBegin("replica-a", stAt(time.Hour), true, true)
		req.Pushed = &itsm.PushedStatus{Status: "Done", At: stAt(time.Hour).In(stZoneWest)}
		st, err := s.BeginSync(ctx, req)
		require.NoError(t, err)
		want := link
		want.LastPushedStatus, want.LastPushedAt = "Done", stAt(time.Hour)
		require.NotNil(t, st.Link)
		assert.Equal(t, stLink(want), stLink(*st.Link), "the link as written")
		stGetLink(t, s, want, "only LastPushedStatus and LastPushedAt change")
		stGetLink(t, s, other, "another case's link is untouched")
		require.NoError(t, s.EndSync(ctx, itsm.EndSyncRequest{LeaseKey: stLeaseKey, Holder: "replica-a"}))

		// The link's target decides: written in Pushed's target or when
		// the link has none, never into another target.
		for _, tc := range []struct {
			linkTarget, pushTarget string
			written                bool
		}{
			{"jira:SEC", "jira:SEC", true},
			{"", "jira:SEC", true},
			{"jira:SEC", "", true},
			{"jira:OPS", "jira:SEC", false},
		} {
			l := stLinkFixture("int-1", "case-001", "10001")
			l.Target = tc.linkTarget
			require.NoError(t, s.PutLink(ctx, l))
			req := stBegin("replica-a", stAt(2*time.Hour), false, false)
			req.Pushed = &itsm.PushedStatus{Status: "Done", At: stAt(2 * time.Hour), Target: tc.pushTarget}
			st, err := s.BeginSync(ctx, req)
			require.NoError(t, err)
			want := l
			if tc.written {
				want.LastPushedStatus, want.LastPushedAt = "Done", stAt(2*time.Hour)
			}
			require.NotNil(t, st.Link)
			assert.Equal(t, stLink(want), stLink(*st.Link), "link target %q, pushed target %q", tc.linkTarget, tc.pushTarget)
			stGetLink(t, s, want, "link target %q, pushed target %q", tc.linkTarget, tc.pushTarget)
			require.NoError(t, s.EndSync(ctx, itsm.EndSyncRequest{LeaseKey: stLeaseKey, Holder: "replica-a"}))
		}
	}},
	{name: "BeginPushedNoLink", run: func(t *testing.T, ss []SessionStore) {
		s := ss[0]
		ctx := t.Context()
		p := stPendingFixture("int-1", "case-001")
		require.NoError(t, s.CreatePending(ctx, p))
		// Another integration's link of the same case id is not this one.
		other := stLinkFixture("int-2", "case-001", "10001")
		require.NoError(t, s.PutLink(ctx, other))
		req := stBegin("replica-a", stBase, true, false)
		req.Pushed = &itsm.PushedStatus{Status: "Done", At: stBase}
		st, err := s.BeginSync(ctx, req)
		require.NoError(t, err)
		assert.Nil(t, st.Link)
		require.NotNil(t, st.Pending)
		assert.Equal(t, stPending(p), stPending(*st.Pending))
		_, err = s.GetLink(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound, "no link written")
		stGetLink(t, s, other, "another integration's link is untouched")
	}},
	{name: "BeginPushedRefused", run: func(t *testing.T, ss []SessionStore) {
		s := ss[0]
		ctx := t.Context()
		link := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, s.PutLink(ctx, link))
		pushed := func(holder string, now time.Time) itsm.BeginSyncRequest {
			req := stBegin(holder, now, true, true)
			req.Pushed = &itsm.PushedStatus{Status: "Done", At: now}
			return req
		}
		// Cooling down: nothing changes.
		require.NoError(t, s.StartCooldown(ctx, stCoolKey, stAt(time.Minute)))
		st, err := s.BeginSync(ctx, pushed("replica-a", stBase))
		stIs(t, err, itsm.ErrCoolingDown)
		assert.Nil(t, st.Link)
		stGetLink(t, s, link, "a case cooling down: link unchanged")
		// Another holder's live lease: nothing changes.
		held := stAcquire(t, s, "replica-b", stAt(time.Minute), stLeaseTTL)
		st, err = s.BeginSync(ctx, pushed("replica-a", stAt(2*time.Minute)))
		stIs(t, err, itsm.ErrLeaseHeld)
		assert.Nil(t, st.Link)
		stGetLink(t, s, link, "a lease held by another: link unchanged")
		// Once that lease expired, the push is recorded.
		st, err = s.BeginSync(ctx, pushed("replica-a", held.ExpiresAt))
		require.NoError(t, err)
		want := link
		want.LastPushedStatus, want.LastPushedAt = "Done", held.ExpiresAt
		require.NotNil(t, st.Link)
		assert.Equal(t, stLink(want), stLink(*st.Link))
		stGetLink(t, s, want, "recorded under the lease taken over")
	}},
	{name: "EndSync", run: func(t *testing.T, ss []SessionStore) {
		s := ss[0]
		ctx := t.Context()
		_, err := s.BeginSync(ctx, stBegin("replica-a", stBase, true, false))
		require.NoError(t, err)
		link := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, s.EndSync(ctx, itsm.EndSyncRequest{LeaseKey: stLeaseKey, Holder: "replica-b",
			CooldownKey: stCoolKey}))
		stCurrentLease(t, s, itsm.Lease{Key: stLeaseKey, Holder: "replica-a", ExpiresAt: stBase.Add(stLeaseTTL)})
		require.NoError(t, s.EndSync(ctx, itsm.EndSyncRequest{LeaseKey: stLeaseKey, Holder: "replica-a",
			CooldownKey: stCoolKey, CooldownUntil: stAt(10 * time.Minute), Link: &link}))
		_, err = s.GetLease(ctx, stLeaseKey)
		stIs(t, err, itsm.ErrNotFound, "released")
		until, err := s.CooldownUntil(ctx, stCoolKey, stBase)
		require.NoError(t, err)
		assert.True(t, until.Equal(stAt(10*time.Minute)), "cooldown started: %v", until)
		got, err := s.GetLink(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(link), stLink(got))
		// Without a cooldown or link, only the release.
		_, err = s.BeginSync(ctx, stBegin("replica-a", stAt(10*time.Minute), true, false))
		require.NoError(t, err)
		require.NoError(t, s.EndSync(ctx, itsm.EndSyncRequest{LeaseKey: stLeaseKey, Holder: "replica-a", CooldownKey: stCoolKey}))
		until, err = s.CooldownUntil(ctx, stCoolKey, stBase)
		require.NoError(t, err)
		assert.True(t, until.Equal(stAt(10*time.Minute)), "no cooldown written: %v", until)
	}},
	{name: "BeginOneWinner", race: true, run: func(t *testing.T, ss []SessionStore) {
		var wg sync.WaitGroup
		errs := make([]error, RaceWorkers)
		for i := range RaceWorkers {
			wg.Go(func() {
				_, errs[i] = ss[i%len(ss)].BeginSync(t.Context(), stBegin("replica-"+string(rune('a'+i%26))+string(rune('0'+i/26)), stBase, true, true))
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
				continue
			}
			stIs(t, err, itsm.ErrLeaseHeld)
		}
		assert.Equal(t, 1, won, "exactly one BeginSync takes the lease")
	}},
	{name: "BeginWhileEnding", race: true, run: func(t *testing.T, ss []SessionStore) {
		// A sync ends (cooldown + release) while others begin: each either
		// finds the lease held or the cooldown, never a free case, and
		// those recording a pushed status leave the link alone.
		link := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, ss[0].PutLink(t.Context(), link))
		for round := range 5 {
			now := stAt(time.Duration(round) * time.Hour)
			_, err := ss[0].BeginSync(t.Context(), stBegin("ending", now, true, false))
			require.NoError(t, err)
			var wg sync.WaitGroup
			var endErr error
			errs := make([]error, RaceWorkers)
			start := make(chan struct{})
			for i := range RaceWorkers {
				wg.Go(func() {
					<-start
					req := stBegin("w", now, true, true)
					if i%2 == 0 {
						req.Pushed = &itsm.PushedStatus{Status: "Done", At: now}
					}
					_, errs[i] = ss[i%len(ss)].BeginSync(t.Context(), req)
				})
			}
			wg.Go(func() {
				<-start
				endErr = ss[len(ss)-1].EndSync(t.Context(), itsm.EndSyncRequest{LeaseKey: stLeaseKey, Holder: "ending",
					CooldownKey: stCoolKey, CooldownUntil: now.Add(30 * time.Minute)})
			})
			close(start)
			wg.Wait()
			require.NoError(t, endErr, "EndSync")
			for i, err := range errs {
				require.Error(t, err, "worker %d began a sync of a case cooling down", i)
				if !errors.Is(err, itsm.ErrLeaseHeld) {
					stIs(t, err, itsm.ErrCoolingDown)
				}
			}
			_, err = ss[0].GetLease(t.Context(), stLeaseKey)
			stIs(t, err, itsm.ErrNotFound, "no worker holds the lease")
			stGetLink(t, ss[0], link, "no refused worker recorded its pushed status")
		}
	}},
}

// stSessionNotes are note records in every state.
func stSessionNotes() map[string]itsm.PostedNote {
	posted := stNoteFixture("int-1", "case-001", "n-posted")
	posted.State = itsm.NotePosted
	legacy := stNoteFixture("int-1", "case-001", "n-legacy")
	pending := stNoteFixture("int-1", "case-001", "n-pending")
	pending.State, pending.CommentID, pending.LookupFailures = itsm.NotePending, "", 2
	unconfirmed := stNoteFixture("int-1", "case-001", "n-unconfirmed")
	unconfirmed.State, unconfirmed.LookupFailures = itsm.NoteUnconfirmed, itsm.MaxLookupFailures+1
	failed := stFailedNoteFixture("int-1", "case-001", "n-failed")
	failed.RefusedHash = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
	out := map[string]itsm.PostedNote{}
	for _, n := range []itsm.PostedNote{posted, legacy, pending, unconfirmed, failed} {
		out[n.NoteID] = n
	}
	return out
}

// stGetLink requires the stored link of want's case to equal want.
func stGetLink(t *testing.T, s Store, want itsm.Link, msgAndArgs ...any) {
	t.Helper()
	got, err := s.GetLink(t.Context(), want.IntegrationID, want.CaseID)
	require.NoError(t, err, msgAndArgs...)
	assert.Equal(t, stLink(want), stLink(got), msgAndArgs...)
}
