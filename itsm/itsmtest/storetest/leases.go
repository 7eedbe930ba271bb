package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

const (
	stLeaseKey = "sync/int-1/case-001"
	stLeaseTTL = 2 * time.Minute
)

// stAcquire acquires stLeaseKey and requires success with the lease
// {key, holder, now+ttl}.
func stAcquire(t *testing.T, s Store, holder string, now time.Time, ttl time.Duration) itsm.Lease {
	t.Helper()
	l, err := s.AcquireLease(t.Context(), stLeaseKey, holder, now, ttl)
	require.NoError(t, err, "AcquireLease by %s at %v", holder, now)
	want := itsm.Lease{Key: stLeaseKey, Holder: holder, ExpiresAt: now.Add(ttl)}
	require.Equal(t, stLease(want), stLease(l), "the acquired lease")
	return l
}

// stRefused requires AcquireLease to fail with ErrLeaseHeld and to return
// the current lease cur.
func stRefused(t *testing.T, s Store, holder string, now time.Time, cur itsm.Lease) {
	t.Helper()
	l, err := s.AcquireLease(t.Context(), stLeaseKey, holder, now, stLeaseTTL)
	require.ErrorIs(t, err, itsm.ErrLeaseHeld, "AcquireLease by %s at %v", holder, now)
	assert.Equal(t, stLease(cur), stLease(l), "a refused AcquireLease returns the current lease")
}

// stCurrentLease requires GetLease to return want.
func stCurrentLease(t *testing.T, s Store, want itsm.Lease) {
	t.Helper()
	got, err := s.GetLease(t.Context(), want.Key)
	require.NoError(t, err)
	assert.Equal(t, stLease(want), stLease(got))
}

var stLeaseCases = []stCase{
	{"GetMissing", func(t *testing.T, s Store) {
		_, err := s.GetLease(t.Context(), stLeaseKey)
		stIs(t, err, itsm.ErrNotFound)
	}},
	{"AcquireFree", func(t *testing.T, s Store) {
		l := stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		stCurrentLease(t, s, l)
	}},
	{"HeldByAnother", func(t *testing.T, s Store) {
		l := stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		stRefused(t, s, "replica-b", stBase, l)
		stRefused(t, s, "replica-b", stAt(time.Minute), l)
		stCurrentLease(t, s, l)
	}},
	{"Renew", func(t *testing.T, s Store) {
		stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		l := stAcquire(t, s, "replica-a", stAt(time.Minute), stLeaseTTL)
		stCurrentLease(t, s, l)
		stRefused(t, s, "replica-b", stAt(stLeaseTTL), l) // the first lease would have expired here
		// A renewal sets ExpiresAt to now+ttl, shorter or not.
		l = stAcquire(t, s, "replica-a", stAt(90*time.Second), 10*time.Second)
		stCurrentLease(t, s, l)
	}},
	{"ExpiryBoundary", func(t *testing.T, s Store) {
		l := stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		stRefused(t, s, "replica-b", l.ExpiresAt.Add(-time.Microsecond), l)
		// Expired when ExpiresAt is not after now: at ExpiresAt exactly.
		l2 := stAcquire(t, s, "replica-b", l.ExpiresAt, stLeaseTTL)
		stCurrentLease(t, s, l2)
		stRefused(t, s, "replica-a", l.ExpiresAt, l2)
	}},
	{"TakeoverAfterExpiry", func(t *testing.T, s Store) {
		stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		l := stAcquire(t, s, "replica-b", stAt(time.Hour), stLeaseTTL)
		stCurrentLease(t, s, l)
		stRefused(t, s, "replica-a", stAt(time.Hour+time.Second), l)
		// The old holder releasing must not free the new holder's lease.
		require.NoError(t, s.ReleaseLease(t.Context(), stLeaseKey, "replica-a"))
		stCurrentLease(t, s, l)
	}},
	{"RenewAfterExpiry", func(t *testing.T, s Store) {
		stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		l := stAcquire(t, s, "replica-a", stAt(time.Hour), stLeaseTTL)
		stCurrentLease(t, s, l)
	}},
	{"GetReturnsExpired", func(t *testing.T, s Store) {
		// GetLease takes no time: it returns the lease as stored, expired
		// or not; expiry is the reader's call.
		l := stAcquire(t, s, "replica-a", stBase, time.Second)
		stCurrentLease(t, s, l)
	}},
	{"ReleaseByHolder", func(t *testing.T, s Store) {
		stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		require.NoError(t, s.ReleaseLease(t.Context(), stLeaseKey, "replica-a"))
		_, err := s.GetLease(t.Context(), stLeaseKey)
		stIs(t, err, itsm.ErrNotFound, "GetLease after release")
		stAcquire(t, s, "replica-b", stAt(time.Second), stLeaseTTL)
	}},
	{"ReleaseByNonHolder", func(t *testing.T, s Store) {
		l := stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		require.NoError(t, s.ReleaseLease(t.Context(), stLeaseKey, "replica-b"), "releasing another holder's lease is not an error")
		stCurrentLease(t, s, l)
		stRefused(t, s, "replica-b", stAt(time.Second), l)
	}},
	{"ReleaseMissing", func(t *testing.T, s Store) {
		require.NoError(t, s.ReleaseLease(t.Context(), stLeaseKey, "replica-a"))
		_, err := s.GetLease(t.Context(), stLeaseKey)
		stIs(t, err, itsm.ErrNotFound)
	}},
	{"KeysIndependent", func(t *testing.T, s Store) {
		ctx := t.Context()
		l := stAcquire(t, s, "replica-a", stBase, stLeaseTTL)
		other, err := s.AcquireLease(ctx, "sync/int-1/case-002", "replica-b", stBase, stLeaseTTL)
		require.NoError(t, err, "a lease on another key")
		assert.Equal(t, "replica-b", other.Holder)
		require.NoError(t, s.ReleaseLease(ctx, "sync/int-1/case-002", "replica-b"))
		stCurrentLease(t, s, l)
	}},
	{"TimeZones", func(t *testing.T, s Store) {
		// The same instants written in other zones: the store compares
		// instants, never their text.
		l := stAcquire(t, s, "replica-a", stBase.In(stZoneWest), stLeaseTTL)
		stRefused(t, s, "replica-b", l.ExpiresAt.Add(-time.Second).In(stZoneEast), l)
		stRefused(t, s, "replica-b", l.ExpiresAt.Add(-time.Second).In(stZoneWest), l)
		stAcquire(t, s, "replica-b", l.ExpiresAt.In(stZoneEast), stLeaseTTL)
	}},
}

// stIntegrationFixture returns an integration whose Config holds a secret.
func stIntegrationFixture(id, workspace string) itsm.Integration {
	return itsm.Integration{
		ID:        id,
		Workspace: workspace,
		Config:    []byte(`{"name":"` + id + `","auth":{"type":"basic","username":"svc","password":"s3cr3t-` + id + `"}}`),
		CreatedAt: stAt(-24 * time.Hour),
		UpdatedAt: stAt(0).In(stZoneEast),
	}
}

// stIntegrationIs requires both lookups to return want.
func stIntegrationIs(t *testing.T, s Store, want itsm.Integration) {
	t.Helper()
	got, err := s.GetIntegration(t.Context(), want.ID)
	require.NoError(t, err, "GetIntegration(%q)", want.ID)
	assert.Equal(t, stIntegration(want), stIntegration(got))
	got, err = s.GetIntegrationByWorkspace(t.Context(), want.Workspace)
	require.NoError(t, err, "GetIntegrationByWorkspace(%q)", want.Workspace)
	assert.Equal(t, stIntegration(want), stIntegration(got))
}

var stIntegrationCases = []stCase{
	{"Status", func(t *testing.T, s Store) {
		ctx := t.Context()
		in := stIntegrationFixture("int-1", "ws-1")
		in.Status = itsm.IntegrationStatus{State: itsm.StateUnverified}
		require.NoError(t, s.PutIntegration(ctx, in))
		stIntegrationIs(t, s, in)
		in.Status = itsm.IntegrationStatus{State: itsm.StateFailing, CheckedAt: stAt(time.Minute), LastError: "httpconn: check: GET https://itsm.example/: 401 Unauthorized"}
		require.NoError(t, s.SetIntegrationStatus(ctx, "int-1", in.Status))
		stIntegrationIs(t, s, in)
		in.Status = itsm.IntegrationStatus{State: itsm.StateConfigured, CheckedAt: stAt(2 * time.Minute)}
		require.NoError(t, s.SetIntegrationStatus(ctx, "int-1", in.Status))
		stIntegrationIs(t, s, in)
		got, err := s.GetIntegrationByWorkspace(ctx, "ws-1")
		require.NoError(t, err)
		assert.Equal(t, itsm.StateConfigured, got.Status.State)
		assert.Empty(t, got.Status.LastError, "a passing probe clears the error")
		stIs(t, s.SetIntegrationStatus(ctx, "int-missing", in.Status), itsm.ErrNotFound, "SetIntegrationStatus of a missing integration")
	}},
	{"GetMissing", func(t *testing.T, s Store) {
		_, err := s.GetIntegration(t.Context(), "int-1")
		stIs(t, err, itsm.ErrNotFound, "GetIntegration")
		_, err = s.GetIntegrationByWorkspace(t.Context(), "ws-1")
		stIs(t, err, itsm.ErrNotFound, "GetIntegrationByWorkspace")
	}},
	{"PutThenGet", func(t *testing.T, s Store) {
		in := stIntegrationFixture("int-1", "ws-1")
		require.NoError(t, s.PutIntegration(t.Context(), in))
		stIntegrationIs(t, s, in)
	}},
	{"ReplaceOwn", func(t *testing.T, s Store) {
		ctx := t.Context()
		in := stIntegrationFixture("int-1", "ws-1")
		require.NoError(t, s.PutIntegration(ctx, in))
		in.Config = []byte(`{"name":"edited"}`)
		in.UpdatedAt = stAt(time.Hour)
		require.NoError(t, s.PutIntegration(ctx, in), "replacing the workspace's own integration")
		stIntegrationIs(t, s, in)
	}},
	{"OnePerWorkspace", func(t *testing.T, s Store) {
		ctx := t.Context()
		in := stIntegrationFixture("int-1", "ws-1")
		require.NoError(t, s.PutIntegration(ctx, in))
		err := s.PutIntegration(ctx, stIntegrationFixture("int-2", "ws-1"))
		stIs(t, err, itsm.ErrIntegrationExists, "a second integration in one workspace")
		_, err = s.GetIntegration(ctx, "int-2")
		stIs(t, err, itsm.ErrNotFound, "the refused integration must not be stored")
		stIntegrationIs(t, s, in)
		assert.NoError(t, s.PutIntegration(ctx, stIntegrationFixture("int-2", "ws-2")), "another workspace")
	}},
	{"MoveWorkspace", func(t *testing.T, s Store) {
		ctx := t.Context()
		in := stIntegrationFixture("int-1", "ws-1")
		require.NoError(t, s.PutIntegration(ctx, in))
		in.Workspace = "ws-2"
		require.NoError(t, s.PutIntegration(ctx, in), "moving an integration to a free workspace")
		stIntegrationIs(t, s, in)
		_, err := s.GetIntegrationByWorkspace(ctx, "ws-1")
		stIs(t, err, itsm.ErrNotFound, "the old workspace is free")
		other := stIntegrationFixture("int-2", "ws-1")
		require.NoError(t, s.PutIntegration(ctx, other), "the old workspace takes another integration")
		stIntegrationIs(t, s, other)
		stIntegrationIs(t, s, in)
	}},
	{"MoveOntoTakenWorkspace", func(t *testing.T, s Store) {
		ctx := t.Context()
		a := stIntegrationFixture("int-1", "ws-1")
		b := stIntegrationFixture("int-2", "ws-2")
		require.NoError(t, s.PutIntegration(ctx, a))
		require.NoError(t, s.PutIntegration(ctx, b))
		moved := a
		moved.Workspace = "ws-2"
		stIs(t, s.PutIntegration(ctx, moved), itsm.ErrIntegrationExists)
		stIntegrationIs(t, s, a)
		stIntegrationIs(t, s, b)
	}},
	{"Delete", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.PutIntegration(ctx, stIntegrationFixture("int-1", "ws-1")))
		keep := stIntegrationFixture("int-2", "ws-2")
		require.NoError(t, s.PutIntegration(ctx, keep))
		require.NoError(t, s.DeleteIntegration(ctx, "int-1"))
		_, err := s.GetIntegration(ctx, "int-1")
		stIs(t, err, itsm.ErrNotFound)
		_, err = s.GetIntegrationByWorkspace(ctx, "ws-1")
		stIs(t, err, itsm.ErrNotFound)
		stIntegrationIs(t, s, keep)
		assert.NoError(t, s.DeleteIntegration(ctx, "int-1"), "deleting a deleted integration")
		assert.NoError(t, s.DeleteIntegration(ctx, "int-404"), "deleting one that never existed")
		assert.NoError(t, s.PutIntegration(ctx, stIntegrationFixture("int-3", "ws-1")), "the workspace is free after the delete")
	}},
	{"NotAliased", func(t *testing.T, s Store) {
		ctx := t.Context()
		in := stIntegrationFixture("int-1", "ws-1")
		want := in
		want.Config = append([]byte(nil), in.Config...)
		require.NoError(t, s.PutIntegration(ctx, in))
		in.Config[2] = 'X' // the caller reuses its buffer
		stIntegrationIs(t, s, want)
		got, err := s.GetIntegration(ctx, "int-1")
		require.NoError(t, err)
		require.NotEmpty(t, got.Config)
		got.Config[2] = 'Y'
		got, err = s.GetIntegrationByWorkspace(ctx, "ws-1")
		require.NoError(t, err)
		require.NotEmpty(t, got.Config)
		got.Config[3] = 'Z'
		stIntegrationIs(t, s, want)
	}},
}
