package itsm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// TestSyncConnectorTimeoutKeepsPending: a create whose answer never comes
// (the connector's own timeout fires after the request was sent) fails with
// an error that wraps itsm.ErrUnreachable and itsm.ErrOutcomeUnknown — not
// context.DeadlineExceeded, which is the caller's — and the pending create
// is kept, so the next sync finds the ticket instead of creating a second.
func TestSyncConnectorTimeoutKeepsPending(t *testing.T) {
	t.Parallel()
	srv, conn := newFakeJira(t)
	clock := newFakeClock()
	store := memstore.New()
	syncer, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: testIntegration}, itsm.WithClock(clock))
	require.NoError(t, err)
	ctx := context.Background()
	c := testCase("CASE-1")

	srv.Fault(itsmtest.On(itsmtest.OpCreate), itsmtest.TimeoutAfterSend())
	_, err = syncer.Sync(ctx, c, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, itsm.ErrUnreachable)
	assert.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	var oue *itsm.OutcomeUnknownError
	require.True(t, errors.As(err, &oue), "%v", err)
	_, err = store.GetPending(ctx, testIntegration, c.ID)
	require.NoError(t, err, "the pending create is kept")

	res, err := syncer.Sync(ctx, c, nil)
	require.NoError(t, err)
	require.Len(t, srv.Tickets(), 1, "found, not created again")
	assert.Equal(t, srv.Tickets()[0].ID, res.TicketID)
}
