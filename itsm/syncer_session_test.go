package itsm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// callBudgetConn is the fake ITSM reporting its longest call.
type callBudgetConn struct {
	*fakeConn
	budget time.Duration
}

func (b callBudgetConn) MaxCallDuration() time.Duration { return b.budget }

// TestSyncRenewsBeforeCreateOnlyWhenShort: the lease is renewed before a
// create when what is left of it is shorter than the connector's longest
// call, and not when it covers it.
func TestSyncRenewsBeforeCreateOnlyWhenShort(t *testing.T) {
	t.Parallel()
	const ttl, budget = 100 * time.Second, 90 * time.Second
	for _, tt := range []struct {
		name    string
		elapsed time.Duration // spent before the create (a lookup)
		renewed bool
	}{
		{"lease covers the call", 5 * time.Second, false},
		{"lease shorter than the call", 15 * time.Second, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			conn := callBudgetConn{h.conn, budget}
			s := h.newSyncer(conn, itsm.SyncerConfig{LeaseTTL: ttl})
			ctx := context.Background()
			c := testCase("CASE-1")
			// An earlier create with an unknown outcome: this sync looks
			// the ticket up (taking tt.elapsed), finds nothing, creates.
			require.NoError(t, h.store.CreatePending(ctx, itsm.PendingCreate{IntegrationID: testIntegration, CaseID: c.ID,
				CorrelationKey: itsm.CorrelationKey(testIntegration, c.ID), State: itsm.PendingUnknown, Attempts: 1,
				StartedAt: h.clock.Now().Add(-time.Hour), UpdatedAt: h.clock.Now().Add(-time.Hour)}))
			start := h.clock.Now()
			var expires time.Time
			h.conn.hook = func(op itsm.Operation) {
				switch op {
				case itsm.OpLookup:
					h.clock.Advance(tt.elapsed)
				case itsm.OpCreate:
					l, err := h.store.GetLease(ctx, leaseKey(c.ID))
					require.NoError(t, err)
					expires = l.ExpiresAt
				}
			}
			res, err := s.Sync(ctx, c, nil)
			require.NoError(t, err)
			require.True(t, res.Created)
			want := start.Add(ttl)
			if tt.renewed {
				want = start.Add(tt.elapsed + ttl)
			}
			assert.Equal(t, want, expires)
		})
	}
}

// TestSyncHostCooldownKeptApart: a Cooldown the host supplies is used for
// the cooldown (not the store's own), also when the store begins and ends
// syncs in one call.
func TestSyncHostCooldownKeptApart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	host := memstore.New()
	s := h.newSyncer(h.conn, itsm.SyncerConfig{Cooldown: host})
	ctx := context.Background()
	c := testCase("CASE-1")
	res, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	key := "cooldown:" + leaseKey(c.ID)[len("sync:"):]
	until, err := host.CooldownUntil(ctx, key, h.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, res.NextSyncAt, until, "started in the host's Cooldown")
	until, err = h.store.CooldownUntil(ctx, key, h.clock.Now())
	require.NoError(t, err)
	assert.True(t, until.IsZero(), "not in the store's")
	_, err = s.Sync(ctx, c, nil)
	require.ErrorIs(t, err, itsm.ErrCoolingDown)
	_, err = h.store.GetLease(ctx, leaseKey(c.ID))
	require.ErrorIs(t, err, itsm.ErrNotFound, "no lease left behind")
}

func TestNewSyncerValidatesNotePolicy(t *testing.T) {
	t.Parallel()
	_, err := itsm.NewSyncer(newFakeConn(), memstore.New(), itsm.SyncerConfig{IntegrationID: "i", UnconfirmedNotes: 7})
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Errors, 1)
	assert.Equal(t, "unconfirmed_notes", ve.Errors[0].Field)
	assert.Equal(t, "at_most_once", itsm.NotesAtMostOnce.String())
}
