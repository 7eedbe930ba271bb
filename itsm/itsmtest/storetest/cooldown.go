package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// RunCooldown runs the conformance suite of [itsm.Cooldown] against the
// cooldowns newCooldown returns: reading, starting, replacing, the end
// boundary (a cooldown ending at now is over), TryStartCooldown, clearing,
// keys being independent, instants in other zones, and RaceWorkers
// goroutines racing TryStartCooldown on one key (exactly one wins).
//
// newCooldown is called inside each subtest and must return an empty
// Cooldown; it may use t.Cleanup and t.Skip.
func RunCooldown(t *testing.T, newCooldown func(t *testing.T) itsm.Cooldown) {
	t.Helper()
	for _, c := range stCooldownCases {
		t.Run(c.name, func(t *testing.T) {
			cd := newCooldown(t)
			require.NotNil(t, cd, "newCooldown returned nil")
			c.run(t, cd)
		})
	}
	t.Run("Concurrency", func(t *testing.T) {
		for _, c := range stCooldownRaceCases {
			t.Run(c.name, func(t *testing.T) {
				cd := newCooldown(t)
				require.NotNil(t, cd, "newCooldown returned nil")
				c.run(t, []itsm.Cooldown{cd})
			})
		}
	})
}

// RunCooldownReplicas runs the cross-replica part of the Cooldown suite:
// newReplicas returns two Cooldowns over one shared, empty storage. A
// cooldown started through one is seen through the other, and the
// concurrency subtests race goroutines split across both.
func RunCooldownReplicas(t *testing.T, newReplicas func(t *testing.T) (a, b itsm.Cooldown)) {
	t.Helper()
	t.Run("Visibility", func(t *testing.T) {
		a, b := newReplicas(t)
		require.NotNil(t, a)
		require.NotNil(t, b)
		ctx := t.Context()
		require.NoError(t, a.StartCooldown(ctx, stCooldownKey, stAt(10*time.Minute)))
		stCoolingUntil(t, b, stBase, stAt(10*time.Minute))
		ok, end, err := b.TryStartCooldown(ctx, stCooldownKey, stBase, stAt(time.Hour))
		require.NoError(t, err)
		assert.False(t, ok)
		assert.True(t, end.Equal(stAt(10*time.Minute)), "current end %v", end)
		require.NoError(t, b.ClearCooldown(ctx, stCooldownKey))
		stNotCooling(t, a, stBase)
	})
	t.Run("Concurrency", func(t *testing.T) {
		for _, c := range stCooldownRaceCases {
			t.Run(c.name, func(t *testing.T) {
				a, b := newReplicas(t)
				require.NotNil(t, a)
				require.NotNil(t, b)
				c.run(t, []itsm.Cooldown{a, b})
			})
		}
	})
}

const stCooldownKey = "cooldown/int-1/case-001"

type stCooldownCase struct {
	name string
	run  func(t *testing.T, cd itsm.Cooldown)
}

type stCooldownRaceCase struct {
	name string
	run  func(t *testing.T, cds []itsm.Cooldown)
}

// stNotCooling requires key stCooldownKey not to be cooling down at now: a
// zero end or one not after now.
func stNotCooling(t *testing.T, cd itsm.Cooldown, now time.Time) {
	t.Helper()
	until, err := cd.CooldownUntil(t.Context(), stCooldownKey, now)
	require.NoError(t, err)
	assert.False(t, until.After(now), "want no cooldown at %v, got one until %v", now, until)
}

// stCoolingUntil requires stCooldownKey to be cooling down at now until
// want.
func stCoolingUntil(t *testing.T, cd itsm.Cooldown, now, want time.Time) {
	t.Helper()
	until, err := cd.CooldownUntil(t.Context(), stCooldownKey, now)
	require.NoError(t, err)
	assert.True(t, until.Equal(want), "want a cooldown at %v until %v, got %v", now, want, until)
}

var stCooldownCases = []stCooldownCase{
	{"None", func(t *testing.T, cd itsm.Cooldown) {
		stNotCooling(t, cd, stBase)
	}},
	{"StartThenRead", func(t *testing.T, cd itsm.Cooldown) {
		end := stAt(10 * time.Minute)
		require.NoError(t, cd.StartCooldown(t.Context(), stCooldownKey, end))
		stCoolingUntil(t, cd, stBase, end)
		stCoolingUntil(t, cd, end.Add(-time.Microsecond), end)
		stNotCooling(t, cd, end) // over at its end exactly
		stNotCooling(t, cd, end.Add(time.Hour))
	}},
	{"StartReplaces", func(t *testing.T, cd itsm.Cooldown) {
		ctx := t.Context()
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, stAt(10*time.Minute)))
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, stAt(20*time.Minute)))
		stCoolingUntil(t, cd, stBase, stAt(20*time.Minute))
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, stAt(5*time.Minute)))
		stCoolingUntil(t, cd, stBase, stAt(5*time.Minute)) // a shorter end replaces too
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, stAt(-time.Minute)))
		stNotCooling(t, cd, stBase) // an end in the past means none
	}},
	{"TryStartFree", func(t *testing.T, cd itsm.Cooldown) {
		end := stAt(10 * time.Minute)
		ok, got, err := cd.TryStartCooldown(t.Context(), stCooldownKey, stBase, end)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.True(t, got.Equal(end), "a started cooldown reports its end, got %v", got)
		stCoolingUntil(t, cd, stBase, end)
	}},
	{"TryStartCooling", func(t *testing.T, cd itsm.Cooldown) {
		ctx := t.Context()
		end := stAt(10 * time.Minute)
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, end))
		for _, now := range []time.Time{stBase, end.Add(-time.Microsecond)} {
			ok, got, err := cd.TryStartCooldown(ctx, stCooldownKey, now, now.Add(time.Hour))
			require.NoError(t, err)
			assert.False(t, ok, "cooling down at %v", now)
			assert.True(t, got.Equal(end), "a refused TryStartCooldown reports the current end %v, got %v", end, got)
		}
		stCoolingUntil(t, cd, stBase, end)
	}},
	{"TryStartAtEnd", func(t *testing.T, cd itsm.Cooldown) {
		ctx := t.Context()
		end := stAt(10 * time.Minute)
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, end))
		next := end.Add(10 * time.Minute)
		ok, got, err := cd.TryStartCooldown(ctx, stCooldownKey, end, next)
		require.NoError(t, err)
		assert.True(t, ok, "a cooldown ending at now is over")
		assert.True(t, got.Equal(next), "got %v", got)
		stCoolingUntil(t, cd, end, next)
	}},
	{"TryStartAfterExpiry", func(t *testing.T, cd itsm.Cooldown) {
		ctx := t.Context()
		ok, _, err := cd.TryStartCooldown(ctx, stCooldownKey, stBase, stAt(time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
		ok, got, err := cd.TryStartCooldown(ctx, stCooldownKey, stAt(time.Hour), stAt(2*time.Hour))
		require.NoError(t, err)
		assert.True(t, ok)
		assert.True(t, got.Equal(stAt(2*time.Hour)), "got %v", got)
		stCoolingUntil(t, cd, stAt(time.Hour), stAt(2*time.Hour))
	}},
	{"Clear", func(t *testing.T, cd itsm.Cooldown) {
		ctx := t.Context()
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, stAt(10*time.Minute)))
		require.NoError(t, cd.ClearCooldown(ctx, stCooldownKey))
		stNotCooling(t, cd, stBase)
		ok, _, err := cd.TryStartCooldown(ctx, stCooldownKey, stBase, stAt(time.Minute))
		require.NoError(t, err)
		assert.True(t, ok, "a cleared key can start a cooldown")
		assert.NoError(t, cd.ClearCooldown(ctx, "cooldown/int-1/case-404"), "clearing a key with no cooldown")
	}},
	{"KeysIndependent", func(t *testing.T, cd itsm.Cooldown) {
		ctx := t.Context()
		end := stAt(10 * time.Minute)
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, end))
		other := "cooldown/int-1/case-002"
		until, err := cd.CooldownUntil(ctx, other, stBase)
		require.NoError(t, err)
		assert.False(t, until.After(stBase), "another key is not cooling down")
		ok, _, err := cd.TryStartCooldown(ctx, other, stBase, stAt(time.Minute))
		require.NoError(t, err)
		assert.True(t, ok)
		require.NoError(t, cd.ClearCooldown(ctx, other))
		stCoolingUntil(t, cd, stBase, end)
	}},
	{"TimeZones", func(t *testing.T, cd itsm.Cooldown) {
		ctx := t.Context()
		end := stAt(10 * time.Minute)
		require.NoError(t, cd.StartCooldown(ctx, stCooldownKey, end.In(stZoneWest)))
		stCoolingUntil(t, cd, end.Add(-time.Second).In(stZoneEast), end)
		ok, got, err := cd.TryStartCooldown(ctx, stCooldownKey, end.Add(-time.Second).In(stZoneEast), end.Add(time.Hour))
		require.NoError(t, err)
		assert.False(t, ok)
		assert.True(t, got.Equal(end), "got %v", got)
		stNotCooling(t, cd, end.In(stZoneEast))
	}},
}
