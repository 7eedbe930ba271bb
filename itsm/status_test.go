package itsm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type checkFunc func(context.Context) error

func (f checkFunc) Check(ctx context.Context) error { return f(ctx) }

func TestRegistry_Status(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	clock := itsmtest.NewClock(start)
	reg, err := itsm.NewRegistry(memstore.New(), itsm.WithClock(clock))
	require.NoError(t, err)
	in, err := reg.Create(ctx, "ws", []byte(`{"name":"JIRA ITSM"}`))
	require.NoError(t, err)
	assert.Equal(t, itsm.StateUnverified, in.Status.Effective())

	st, err := reg.Check(ctx, in.ID, checkFunc(func(context.Context) error { return nil }))
	require.NoError(t, err)
	assert.Equal(t, itsm.IntegrationStatus{State: itsm.StateConfigured, CheckedAt: start}, st)
	got, err := reg.Get(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, st, got.Status)

	clock.Advance(time.Minute)
	probe := fmt.Errorf("httpconn: check: GET https://bot:pw-Sup3r@itsm.example/rest/api/2/myself?token=abc123: %w", errors.New("401 Unauthorized"))
	st, err = reg.Check(ctx, in.ID, checkFunc(func(context.Context) error { return probe }))
	require.ErrorIs(t, err, probe)
	assert.Equal(t, itsm.StateFailing, st.State)
	assert.Equal(t, start.Add(time.Minute), st.CheckedAt)
	assert.Contains(t, st.LastError, "401 Unauthorized")
	assert.NotContains(t, st.LastError, "pw-Sup3r")
	assert.NotContains(t, st.LastError, "abc123")

	// Errors that say nothing about the connection leave the status alone.
	for _, local := range []error{itsm.ErrCoolingDown, itsm.ErrInProgress, itsm.ErrInvalidInput, context.Canceled} {
		st, err = reg.Record(ctx, in.ID, fmt.Errorf("itsm: sync: %w", local))
		require.NoError(t, err)
		assert.Equal(t, itsm.StateFailing, st.State, local)
	}
	// A successful sync makes it configured again.
	st, err = reg.Record(ctx, in.ID, nil)
	require.NoError(t, err)
	assert.Equal(t, itsm.StateConfigured, st.State)

	// An edit makes it unverified; saving the same config does not.
	in, err = reg.Update(ctx, in.ID, []byte(fmt.Sprintf(`{"id":%q,"name":"JIRA ITSM"}`, in.ID)))
	require.NoError(t, err)
	assert.Equal(t, itsm.StateConfigured, in.Status.State)
	in, err = reg.Update(ctx, in.ID, []byte(`{"name":"Jira, edited"}`))
	require.NoError(t, err)
	assert.Equal(t, itsm.StateUnverified, in.Status.State)

	_, err = reg.Record(ctx, "missing", nil)
	require.ErrorIs(t, err, itsm.ErrNotFound)
}

// TestSyncerKeepsStatusCurrent: a Syncer given the Registry records each
// sync's outcome on the integration — configured after a sync that reached
// the ITSM, failing after one that could not, unchanged by a cooldown.
func TestSyncerKeepsStatusCurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	store := memstore.New()
	reg, err := itsm.NewRegistry(store, itsm.WithClock(clock))
	require.NoError(t, err)
	in, err := reg.Create(ctx, "ws", []byte(`{"name":"JIRA ITSM"}`))
	require.NoError(t, err)
	conn := newFakeConn()
	s, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: in.ID, Registry: reg, CooldownPeriod: time.Minute}, itsm.WithClock(clock))
	require.NoError(t, err)
	status := func() itsm.IntegrationStatus {
		got, err := reg.Get(ctx, in.ID)
		require.NoError(t, err)
		return got.Status
	}

	conn.script(itsm.OpCreate, fault{err: errRefused})
	_, err = s.Sync(ctx, testCase("CASE-1"), nil)
	require.Error(t, err)
	assert.Equal(t, itsm.StateFailing, status().State)
	assert.Contains(t, status().LastError, "connection refused")

	_, err = s.Sync(ctx, testCase("CASE-1"), nil)
	require.NoError(t, err)
	assert.Equal(t, itsm.IntegrationStatus{State: itsm.StateConfigured, CheckedAt: clock.Now()}, status())

	clock.Advance(time.Second)
	_, err = s.Sync(ctx, testCase("CASE-1"), nil)
	require.ErrorIs(t, err, itsm.ErrCoolingDown)
	assert.Equal(t, itsm.StateConfigured, status().State)
	assert.Equal(t, clock.Now().Add(-time.Second), status().CheckedAt, "a refused sync does not touch the status")
}
