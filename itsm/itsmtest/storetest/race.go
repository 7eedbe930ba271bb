package storetest

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// stRace runs f(0..n-1) in n goroutines released together, and waits.
func stRace(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// stOneWinner asserts that exactly one of errs is nil and every other wraps
// loss; it returns the winner's index (-1 when there is none).
func stOneWinner(t *testing.T, errs []error, loss error) int {
	t.Helper()
	winner := -1
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
			winner = i
		case !errors.Is(err, loss):
			assert.ErrorIs(t, err, loss, "goroutine %d lost with the wrong error", i)
		}
	}
	assert.Equal(t, 1, wins, "exactly one of %d goroutines must win", len(errs))
	return winner
}

var stRaceCases = []stRaceCase{
	{"AcquireLease", func(t *testing.T, stores []Store) {
		for round, now := range []time.Time{stBase, stBase.Add(stLeaseTTL)} {
			leases := make([]itsm.Lease, RaceWorkers)
			errs := make([]error, RaceWorkers)
			stRace(RaceWorkers, func(i int) {
				holder := fmt.Sprintf("round%d-replica-%02d", round, i)
				leases[i], errs[i] = stores[i%len(stores)].AcquireLease(t.Context(), stLeaseKey, holder, now, stLeaseTTL)
			})
			w := stOneWinner(t, errs, itsm.ErrLeaseHeld)
			require.GreaterOrEqual(t, w, 0, "round %d", round)
			won := leases[w]
			for i, l := range leases {
				if i != w {
					assert.Equal(t, stLease(won), stLease(l), "round %d: goroutine %d must be told the winner's lease", round, i)
				}
			}
			stCurrentLease(t, stores[0], won)
		}
	}},
	{"LeaseMutualExclusion", func(t *testing.T, stores []Store) {
		// The lease never expires here (one now, a long ttl), so holders
		// must take turns: acquire, hold, release.
		const attempts = 8
		var inside, maxInside, wins atomic.Int64
		var unexpected atomic.Int64
		stRace(RaceWorkers, func(i int) {
			s := stores[i%len(stores)]
			holder := fmt.Sprintf("replica-%02d", i)
			for range attempts {
				_, err := s.AcquireLease(t.Context(), stLeaseKey, holder, stBase, time.Hour)
				if err != nil {
					if !errors.Is(err, itsm.ErrLeaseHeld) {
						unexpected.Add(1)
						t.Errorf("AcquireLease: %v", err)
					}
					runtime.Gosched()
					continue
				}
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				wins.Add(1)
				runtime.Gosched()
				inside.Add(-1)
				if err := s.ReleaseLease(t.Context(), stLeaseKey, holder); err != nil {
					unexpected.Add(1)
					t.Errorf("ReleaseLease: %v", err)
				}
			}
		})
		assert.Equal(t, int64(1), maxInside.Load(), "at most one holder at a time")
		assert.Positive(t, wins.Load(), "someone held the lease")
		assert.Zero(t, unexpected.Load(), "unexpected errors")
		_, err := stores[0].GetLease(t.Context(), stLeaseKey)
		stIs(t, err, itsm.ErrNotFound, "every holder released")
	}},
	{"CreatePending", func(t *testing.T, stores []Store) {
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			p := stPendingFixture("int-1", "case-001")
			p.CorrelationKey = fmt.Sprintf("key-%02d", i)
			errs[i] = stores[i%len(stores)].CreatePending(t.Context(), p)
		})
		w := stOneWinner(t, errs, itsm.ErrConflict)
		require.GreaterOrEqual(t, w, 0)
		got, err := stores[0].GetPending(t.Context(), "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("key-%02d", w), got.CorrelationKey, "the stored pending create is the winner's")
	}},
	{"MarkNotePosted", func(t *testing.T, stores []Store) {
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			n := stNoteFixture("int-1", "case-001", "note-1")
			n.CommentID = fmt.Sprintf("c-%02d", i)
			errs[i] = stores[i%len(stores)].MarkNotePosted(t.Context(), n)
		})
		w := stOneWinner(t, errs, itsm.ErrConflict)
		require.GreaterOrEqual(t, w, 0)
		got, err := stores[0].PostedNotes(t.Context(), "int-1", "case-001")
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, fmt.Sprintf("c-%02d", w), got["note-1"].CommentID, "the stored record is the winner's")
	}},
	{"ClaimDelivery", func(t *testing.T, stores []Store) {
		claimed := make([]bool, RaceWorkers)
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			claimed[i], errs[i] = stores[i%len(stores)].ClaimDelivery(t.Context(), "int-1", "d-1", stBase, stDeliveryTTL)
		})
		n := 0
		for i := range claimed {
			assert.NoError(t, errs[i], "goroutine %d", i)
			if claimed[i] {
				n++
			}
		}
		assert.Equal(t, 1, n, "exactly one claim of one delivery succeeds")
	}},
	{"ClaimExpiredDelivery", func(t *testing.T, stores []Store) {
		ok, err := stores[0].ClaimDelivery(t.Context(), "int-1", "d-1", stBase, stDeliveryTTL)
		require.NoError(t, err)
		require.True(t, ok)
		now := stBase.Add(stDeliveryTTL) // the first claim has expired
		claimed := make([]bool, RaceWorkers)
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			claimed[i], errs[i] = stores[i%len(stores)].ClaimDelivery(t.Context(), "int-1", "d-1", now, stDeliveryTTL)
		})
		n := 0
		for i := range claimed {
			assert.NoError(t, errs[i], "goroutine %d", i)
			if claimed[i] {
				n++
			}
		}
		assert.Equal(t, 1, n, "exactly one claim of an expired delivery succeeds")
	}},
	{"AdvanceInboundStateVersions", func(t *testing.T, stores []Store) {
		ok := make([]bool, RaceWorkers)
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			// Version and time disagree, so the version must decide.
			st := stInboundFixture("int-1", "10001", int64(i+1), stBase.Add(-time.Duration(i)*time.Second))
			st.Status = fmt.Sprintf("status-%02d", i+1)
			ok[i], errs[i] = stores[i%len(stores)].AdvanceInboundState(t.Context(), st)
		})
		for i := range errs {
			assert.NoError(t, errs[i], "goroutine %d", i)
		}
		assert.True(t, ok[RaceWorkers-1], "the highest version is always stored")
		got, err := stores[0].GetInboundState(t.Context(), "int-1", "10001")
		require.NoError(t, err)
		assert.Equal(t, int64(RaceWorkers), got.Version, "the final state is the highest version")
		assert.Equal(t, fmt.Sprintf("status-%02d", RaceWorkers), got.Status, "the final state is one record, not a mix")
	}},
	{"AdvanceInboundStateTimes", func(t *testing.T, stores []Store) {
		ok := make([]bool, RaceWorkers)
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			st := stInboundFixture("int-1", "10001", 0, stBase.Add(time.Duration(i)*time.Second))
			st.Status = fmt.Sprintf("status-%02d", i)
			ok[i], errs[i] = stores[i%len(stores)].AdvanceInboundState(t.Context(), st)
		})
		for i := range errs {
			assert.NoError(t, errs[i], "goroutine %d", i)
		}
		last := RaceWorkers - 1
		assert.True(t, ok[last], "the latest change is always stored")
		got, err := stores[0].GetInboundState(t.Context(), "int-1", "10001")
		require.NoError(t, err)
		assert.True(t, got.OccurredAt.Equal(stBase.Add(time.Duration(last)*time.Second)), "the final state is the latest, got %v", got.OccurredAt)
		assert.Equal(t, fmt.Sprintf("status-%02d", last), got.Status)
	}},
	{"PutIntegrationOnePerWorkspace", func(t *testing.T, stores []Store) {
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			errs[i] = stores[i%len(stores)].PutIntegration(t.Context(), stIntegrationFixture(fmt.Sprintf("int-%02d", i), "ws-1"))
		})
		w := stOneWinner(t, errs, itsm.ErrIntegrationExists)
		require.GreaterOrEqual(t, w, 0)
		got, err := stores[0].GetIntegrationByWorkspace(t.Context(), "ws-1")
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("int-%02d", w), got.ID)
	}},
	{"DistinctKeysDoNotConflict", func(t *testing.T, stores []Store) {
		// Contention on one table must never fail writes to other keys.
		errs := make([][]error, RaceWorkers)
		claimed := make([]bool, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			s := stores[i%len(stores)]
			ctx := t.Context()
			caseID := stCaseID(i)
			var e []error
			e = append(e, s.CreatePending(ctx, stPendingFixture("int-1", caseID)))
			_, err := s.AcquireLease(ctx, "sync/int-1/"+caseID, "replica", stBase, stLeaseTTL)
			e = append(e, err)
			e = append(e, s.MarkNotePosted(ctx, stNoteFixture("int-1", caseID, "note-1")))
			e = append(e, s.CompletePending(ctx, stLinkFixture("int-1", caseID, fmt.Sprint(10000+i))))
			claimed[i], err = s.ClaimDelivery(ctx, "int-1", "d-"+caseID, stBase, stDeliveryTTL)
			e = append(e, err)
			_, err = s.AdvanceInboundState(ctx, stInboundFixture("int-1", fmt.Sprint(10000+i), 1, stBase))
			e = append(e, err)
			e = append(e, s.PutToken(ctx, stTokenFixture("tok-"+caseID, "int-1", i, stBase)))
			errs[i] = e
		})
		for i, e := range errs {
			for j, err := range e {
				assert.NoError(t, err, "goroutine %d, step %d", i, j)
			}
			assert.True(t, claimed[i], "goroutine %d: a distinct delivery is a first claim", i)
		}
		page, err := stores[0].ListLinks(t.Context(), "int-1", "", 2*RaceWorkers, false)
		require.NoError(t, err)
		assert.Len(t, page, RaceWorkers)
		toks, err := stores[0].ListTokens(t.Context(), "int-1")
		require.NoError(t, err)
		assert.Len(t, toks, RaceWorkers)
	}},
}

var stCooldownRaceCases = []stCooldownRaceCase{
	{"TryStartCooldown", func(t *testing.T, cds []itsm.Cooldown) {
		started := make([]bool, RaceWorkers)
		ends := make([]time.Time, RaceWorkers)
		errs := make([]error, RaceWorkers)
		until := func(i int) time.Time { return stAt(10*time.Minute + time.Duration(i)*time.Second) }
		stRace(RaceWorkers, func(i int) {
			started[i], ends[i], errs[i] = cds[i%len(cds)].TryStartCooldown(t.Context(), stCooldownKey, stBase, until(i))
		})
		winner, n := -1, 0
		for i := range started {
			assert.NoError(t, errs[i], "goroutine %d", i)
			if started[i] {
				winner = i
				n++
			}
		}
		require.Equal(t, 1, n, "exactly one TryStartCooldown starts the cooldown")
		for i := range ends {
			assert.True(t, ends[i].Equal(until(winner)), "goroutine %d must be told the winner's end %v, got %v", i, until(winner), ends[i])
		}
		stCoolingUntil(t, cds[0], stBase, until(winner))
	}},
	{"TryStartExpiredCooldown", func(t *testing.T, cds []itsm.Cooldown) {
		require.NoError(t, cds[0].StartCooldown(t.Context(), stCooldownKey, stBase))
		started := make([]bool, RaceWorkers)
		errs := make([]error, RaceWorkers)
		stRace(RaceWorkers, func(i int) {
			started[i], _, errs[i] = cds[i%len(cds)].TryStartCooldown(t.Context(), stCooldownKey, stBase, stAt(time.Duration(i+1)*time.Minute))
		})
		n := 0
		for i := range started {
			assert.NoError(t, errs[i], "goroutine %d", i)
			if started[i] {
				n++
			}
		}
		assert.Equal(t, 1, n, "exactly one TryStartCooldown restarts an ended cooldown")
	}},
}

// stReplicaVisibility checks that what one replica writes the other reads,
// including the conflicts and atomic checks that guard across replicas.
func stReplicaVisibility(t *testing.T, a, b Store) {
	t.Helper()
	ctx := t.Context()

	l := stLinkFixture("int-1", "case-001", "10001")
	require.NoError(t, a.PutLink(ctx, l))
	got, err := b.GetLinkByTicket(ctx, "int-1", "SEC-10001")
	require.NoError(t, err)
	assert.Equal(t, stLink(l), stLink(got), "a link put on one replica is found on the other")

	require.NoError(t, a.CreatePending(ctx, stPendingFixture("int-1", "case-002")))
	stIs(t, b.CreatePending(ctx, stPendingFixture("int-1", "case-002")), itsm.ErrConflict, "pending create across replicas")
	l2 := stLinkFixture("int-1", "case-002", "10002")
	require.NoError(t, b.CompletePending(ctx, l2))
	_, err = a.GetPending(ctx, "int-1", "case-002")
	stIs(t, err, itsm.ErrNotFound, "completed on the other replica")
	page, err := a.ListLinks(ctx, "int-1", "", 10, false)
	require.NoError(t, err)
	assert.Equal(t, stLinks([]itsm.Link{l, l2}), stLinks(page))

	require.NoError(t, a.MarkNotePosted(ctx, stNoteFixture("int-1", "case-001", "note-1")))
	stIs(t, b.MarkNotePosted(ctx, stNoteFixture("int-1", "case-001", "note-1")), itsm.ErrConflict, "a note posted on one replica")

	held := stAcquire(t, a, "replica-a", stBase, stLeaseTTL)
	stRefused(t, b, "replica-b", stAt(time.Second), held)
	require.NoError(t, b.ReleaseLease(ctx, stLeaseKey, "replica-a"))
	stAcquire(t, a, "replica-b", stAt(2*time.Second), stLeaseTTL)

	in := stIntegrationFixture("int-1", "ws-1")
	require.NoError(t, a.PutIntegration(ctx, in))
	stIs(t, b.PutIntegration(ctx, stIntegrationFixture("int-2", "ws-1")), itsm.ErrIntegrationExists, "one integration per workspace across replicas")
	stIntegrationIs(t, b, in)

	tk := stTokenFixture("tok-1", "int-1", 1, stBase)
	require.NoError(t, a.PutToken(ctx, tk))
	stTokenByHash(t, b, tk)
	require.NoError(t, b.RevokeToken(ctx, "tok-1", stAt(time.Minute)))
	tk.RevokedAt = stAt(time.Minute)
	stTokenByHash(t, a, tk)

	stClaim(t, a, "int-1", "d-1", stBase, true)
	stClaim(t, b, "int-1", "d-1", stBase, false)
	require.NoError(t, b.ReleaseDelivery(ctx, "int-1", "d-1"))
	stClaim(t, a, "int-1", "d-1", stBase, true)

	st := stInboundFixture("int-1", "10001", 5, stBase)
	ok, err := a.AdvanceInboundState(ctx, st)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = b.AdvanceInboundState(ctx, stInboundFixture("int-1", "10001", 4, stAt(time.Hour)))
	require.NoError(t, err)
	assert.False(t, ok, "an older version on the other replica")
	stInboundIs(t, b, st)
}
