package memstore_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return memstore.New() })
}

func TestConformanceReplicas(t *testing.T) {
	// Replicas of one process share one Store.
	storetest.RunReplicas(t, func(*testing.T) (storetest.Store, storetest.Store) {
		s := memstore.New()
		return s, s
	})
}

func TestCooldownConformance(t *testing.T) {
	storetest.RunCooldown(t, func(*testing.T) itsm.Cooldown { return memstore.New() })
}

func TestCooldownConformanceReplicas(t *testing.T) {
	storetest.RunCooldownReplicas(t, func(*testing.T) (itsm.Cooldown, itsm.Cooldown) {
		s := memstore.New()
		return s, s
	})
}

var base = time.Date(2026, time.November, 28, 9, 0, 0, 0, time.UTC)

func TestDeliveriesBounded(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(memstore.WithMaxDeliveries(3), memstore.WithDeliveryOverflow(memstore.EvictOldest))
	for i := range 3 {
		ok, err := s.ClaimDelivery(ctx, "int-1", fmt.Sprint("d-", i), base, time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
	}
	assert.Equal(t, 3, s.Deliveries())
	// A fourth claim forgets the oldest (d-0), though it has not expired.
	ok, err := s.ClaimDelivery(ctx, "int-1", "d-3", base, time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 3, s.Deliveries())

	tests := []struct {
		id   string
		want bool
	}{
		{"d-1", false}, {"d-2", false}, {"d-3", false}, // still remembered
		{"d-0", true}, // forgotten: accepted again (and now d-1 is forgotten)
		{"d-1", true},
	}
	for _, tt := range tests {
		ok, err := s.ClaimDelivery(ctx, "int-1", tt.id, base.Add(time.Minute), time.Hour)
		require.NoError(t, err)
		assert.Equal(t, tt.want, ok, tt.id)
		assert.LessOrEqual(t, s.Deliveries(), 3)
	}
}

func TestDeliveriesReclaimMovesToNewest(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(memstore.WithMaxDeliveries(2), memstore.WithDeliveryOverflow(memstore.EvictOldest))
	claim := func(id string, now time.Time) bool {
		t.Helper()
		ok, err := s.ClaimDelivery(ctx, "int-1", id, now, time.Minute)
		require.NoError(t, err)
		return ok
	}
	require.True(t, claim("a", base))
	require.True(t, claim("b", base.Add(30*time.Second)))
	// a expired at base+1m and is claimed again: it becomes the newest, so
	// the next claim forgets b, not a.
	require.True(t, claim("a", base.Add(70*time.Second)))
	require.True(t, claim("c", base.Add(71*time.Second)))
	assert.False(t, claim("a", base.Add(72*time.Second)), "a is remembered")
	assert.False(t, claim("c", base.Add(72*time.Second)), "c is remembered")
}

func TestDeliveriesExpiredArePruned(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	for i := range 1000 {
		ok, err := s.ClaimDelivery(ctx, "int-1", fmt.Sprint("d-", i), base.Add(time.Duration(i)*time.Millisecond), time.Second)
		require.NoError(t, err)
		require.True(t, ok)
	}
	assert.Equal(t, 1000, s.Deliveries())
	// One claim an hour later drops every expired claim.
	ok, err := s.ClaimDelivery(ctx, "int-1", "late", base.Add(time.Hour), time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 1, s.Deliveries())
}

func TestDeliveriesReleaseFreesSlot(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(memstore.WithMaxDeliveries(2))
	for _, id := range []string{"a", "b"} {
		_, err := s.ClaimDelivery(ctx, "int-1", id, base, time.Hour)
		require.NoError(t, err)
	}
	require.NoError(t, s.ReleaseDelivery(ctx, "int-1", "a"))
	assert.Equal(t, 1, s.Deliveries())
	_, err := s.ClaimDelivery(ctx, "int-1", "c", base, time.Hour)
	require.NoError(t, err)
	ok, err := s.ClaimDelivery(ctx, "int-1", "b", base, time.Hour)
	require.NoError(t, err)
	assert.False(t, ok, "b is still remembered: releasing a freed its slot")
}

func TestWithMaxDeliveriesNonPositive(t *testing.T) {
	for _, n := range []int{0, -5} {
		s := memstore.New(memstore.WithMaxDeliveries(n), nil)
		assert.Equal(t, memstore.DefaultMaxDeliveries, s.MaxDeliveries(), "n=%d", n)
	}
	assert.Equal(t, 7, memstore.New(memstore.WithMaxDeliveries(7)).MaxDeliveries())
}

func TestCooldownsSwept(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	const n = 5000
	for i := range n {
		ok, _, err := s.TryStartCooldown(ctx, fmt.Sprint("case-", i), base, base.Add(time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
	}
	// An hour later every cooldown has ended; new ones sweep the old.
	later := base.Add(time.Hour)
	for i := range n {
		_, _, err := s.TryStartCooldown(ctx, fmt.Sprint("other-", i), later, later.Add(time.Minute))
		require.NoError(t, err)
	}
	assert.Less(t, s.Cooldowns(), 2*n, "ended cooldowns are swept")
	until, err := s.CooldownUntil(ctx, "other-1", later)
	require.NoError(t, err)
	assert.True(t, until.Equal(later.Add(time.Minute)), "running cooldowns are kept")
}

func TestGetLinkByTicketPrefersTicketID(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	// Two links name "SEC-1": one as its key, one (oddly) as its id.
	require.NoError(t, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: "a", TicketID: "10001", TicketKey: "SEC-1"}))
	require.NoError(t, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: "b", TicketID: "SEC-1"}))
	l, err := s.GetLinkByTicket(ctx, "i", "SEC-1")
	require.NoError(t, err)
	assert.Equal(t, "b", l.CaseID)
	require.NoError(t, s.DeleteLink(ctx, "i", "b"))
	l, err = s.GetLinkByTicket(ctx, "i", "SEC-1")
	require.NoError(t, err)
	assert.Equal(t, "a", l.CaseID, "the other link is still indexed")
}

func TestErrorsNameThePackage(t *testing.T) {
	_, err := memstore.New().GetLink(t.Context(), "int-1", "case-1")
	require.ErrorIs(t, err, itsm.ErrNotFound)
	assert.Contains(t, err.Error(), "memstore: ")
}

// TestDeliveriesFullRefusesWithinTTL: by default a full store never forgets
// a live claim: the new delivery is refused with an error that says why (the
// Applier audits and logs it), no claim is accepted twice within its ttl,
// and room returns as claims expire.
func TestDeliveriesFullRefusesWithinTTL(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := memstore.New(memstore.WithMaxDeliveries(3))
	for i := range 3 {
		ok, err := s.ClaimDelivery(ctx, "int-1", fmt.Sprint("d-", i), base.Add(time.Duration(i)*time.Minute), time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, err := s.ClaimDelivery(ctx, "int-1", "d-3", base.Add(5*time.Minute), time.Hour)
	require.ErrorIs(t, err, memstore.ErrDeliveriesFull)
	require.ErrorIs(t, err, itsm.ErrStore)
	assert.Contains(t, err.Error(), `"d-3"`)
	assert.Contains(t, err.Error(), "raise WithMaxDeliveries")
	assert.False(t, ok)
	assert.Equal(t, 3, s.Deliveries())
	assert.Zero(t, s.LiveEvictions())

	// Every remembered claim is still a duplicate within its ttl (the old
	// policy forgot d-0 here and accepted it again).
	for i := range 3 {
		ok, err := s.ClaimDelivery(ctx, "int-1", fmt.Sprint("d-", i), base.Add(59*time.Minute), time.Hour)
		require.NoError(t, err)
		assert.False(t, ok, "d-%d within its ttl", i)
	}
	// d-0 expired at base+1h: the retried d-3 now finds room.
	ok, err = s.ClaimDelivery(ctx, "int-1", "d-3", base.Add(time.Hour), time.Hour)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 3, s.Deliveries())
}

// TestDeliveriesFullEvictOldestCounts: EvictOldest accepts the delivery and
// counts the live claim it forgot.
func TestDeliveriesFullEvictOldestCounts(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.WithMaxDeliveries(1), memstore.WithDeliveryOverflow(memstore.EvictOldest))
	for _, id := range []string{"a", "b"} {
		ok, err := s.ClaimDelivery(t.Context(), "int-1", id, base, time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
	}
	assert.Equal(t, uint64(1), s.LiveEvictions())
}

func TestDeliveryCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate float64
		ttl  time.Duration
		want int
	}{
		{0.38, 72 * time.Hour, 98_496},
		{5, 72 * time.Hour, 1_296_000},
		{0.001, time.Second, 1},
		{0, time.Hour, 1},
		{-1, time.Hour, 1},
		{1e12, 72 * time.Hour, math.MaxInt32},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, memstore.DeliveryCap(tt.rate, tt.ttl), "%v/s for %v", tt.rate, tt.ttl)
	}
	assert.GreaterOrEqual(t, memstore.DefaultMaxDeliveries, memstore.DeliveryCap(0.38, 72*time.Hour))
}

func TestNotFoundErrorsKeepTheirText(t *testing.T) {
	t.Parallel()
	s := memstore.New()
	ctx := context.Background()
	_, err := s.GetLink(ctx, "int-1", `case "1"`)
	require.ErrorIs(t, err, itsm.ErrNotFound)
	require.EqualError(t, err, fmt.Sprintf("memstore: get link of case %q: %v", `case "1"`, itsm.ErrNotFound))
	_, err = s.GetLinkByTicket(ctx, "int-1", "SEC-1")
	require.EqualError(t, err, fmt.Sprintf("memstore: get link of ticket %q: %v", "SEC-1", itsm.ErrNotFound))
	_, err = s.GetPending(ctx, "int-1", "c-1")
	require.ErrorIs(t, err, itsm.ErrNotFound)
	require.EqualError(t, err, fmt.Sprintf("memstore: get pending of case %q: %v", "c-1", itsm.ErrNotFound))
}

// TestDeliveriesFullMixedTTL: integrations sharing a store may use different
// dedup ttls, so an expired claim can sit behind a live one. A full store
// makes room from expired claims wherever they are before refusing (or
// evicting a live claim).
func TestDeliveriesFullMixedTTL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []memstore.Option
	}{
		{"refuse new", nil},
		{"evict oldest", []memstore.Option{memstore.WithDeliveryOverflow(memstore.EvictOldest)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := memstore.New(append([]memstore.Option{memstore.WithMaxDeliveries(3)}, tc.opts...)...)
			claim := func(integ, id string, at time.Time, ttl time.Duration) bool {
				ok, err := s.ClaimDelivery(ctx, integ, id, at, ttl)
				require.NoError(t, err, id)
				return ok
			}
			require.True(t, claim("int-long", "a", base, 24*time.Hour))
			require.True(t, claim("int-short", "b1", base, time.Minute))
			require.True(t, claim("int-short", "b2", base, time.Minute))
			// b1 and b2 expired: there is room without forgetting "a".
			assert.True(t, claim("int-short", "b3", base.Add(2*time.Minute), time.Minute))
			assert.Zero(t, s.LiveEvictions(), "no live claim forgotten")
			assert.False(t, claim("int-long", "a", base.Add(3*time.Minute), 24*time.Hour), "a is still a duplicate")
		})
	}
}

func TestSessionConformance(t *testing.T) {
	storetest.RunSession(t, func(*testing.T) storetest.SessionStore { return memstore.New() })
}
