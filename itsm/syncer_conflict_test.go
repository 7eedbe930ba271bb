package itsm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/statusmap"
)

// A sync whose create outlives its lease comes back after another sync took
// the case over and completed it: the other sync's link is never overwritten.
func TestLateCreateNeverOverwritesLink(t *testing.T) {
	t.Parallel()
	const ttl = time.Minute
	tests := []struct {
		name string
		// meanwhile plays the other replica, while our create is in flight.
		meanwhile  func(t *testing.T, h *harness, caseID string)
		wantLinked string // the ticket the case stays linked to; "" none
		conflict   bool
	}{
		{"other replica linked the same ticket", func(t *testing.T, h *harness, caseID string) {
			l := itsm.Link{IntegrationID: testIntegration, CaseID: caseID, TicketID: "10001", LastPushedStatus: "Done", Closed: true}
			require.NoError(t, h.store.CompletePending(context.Background(), l))
		}, "10001", false},
		{"other replica created another ticket", func(t *testing.T, h *harness, caseID string) {
			l := itsm.Link{IntegrationID: testIntegration, CaseID: caseID, TicketID: "99999", LastPushedStatus: "Done", Closed: true}
			require.NoError(t, h.store.CompletePending(context.Background(), l))
		}, "99999", true},
		{"a person cleared the pending create", func(t *testing.T, h *harness, caseID string) {
			require.NoError(t, h.store.DeletePending(context.Background(), testIntegration, caseID))
		}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{LeaseTTL: ttl})
			ctx := context.Background()
			c := testCase("CASE-1")
			var before itsm.Link
			h.conn.hook = func(op itsm.Operation) {
				if op != itsm.OpCreate {
					return
				}
				h.clock.Advance(2 * ttl) // our lease expired; the other sync ran and released it
				tt.meanwhile(t, h, c.ID)
				before, _ = h.store.GetLink(ctx, testIntegration, c.ID)
			}
			res, err := h.syncer.Sync(ctx, c, nil)
			got, lerr := h.store.GetLink(ctx, testIntegration, c.ID)
			if tt.wantLinked == "" {
				assert.ErrorIs(t, lerr, itsm.ErrNotFound, "no link written")
			} else {
				require.NoError(t, lerr)
				assert.Equal(t, before, got, "the other sync's link is kept unchanged")
			}
			assert.False(t, res.Created)
			if !tt.conflict {
				require.NoError(t, err)
				assert.True(t, res.Recovered)
				assert.Equal(t, "10001", res.TicketID)
				assert.Equal(t, 0, h.conn.count(itsm.OpUpdate), "a stale snapshot is not pushed over the other sync's")
				return
			}
			var lce *itsm.LinkConflictError
			require.ErrorAs(t, err, &lce)
			assert.ErrorIs(t, err, itsm.ErrNeedsAttention)
			assert.ErrorIs(t, err, itsm.ErrConflict)
			assert.Equal(t, "10001", lce.TicketID)
			assert.Equal(t, tt.wantLinked, lce.LinkedTicketID)
			assert.Contains(t, err.Error(), "10001")
			assert.Contains(t, err.Error(), tt.wantLinked)
		})
	}
}

// Resolve links a case a person chose, with or without a pending create.
func TestResolveWithoutPending(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	ctx := context.Background()
	require.NoError(t, h.syncer.Resolve(ctx, "CASE-9", itsm.Ticket{ID: "555", Key: "SEC-5"}))
	l, err := h.store.GetLink(ctx, testIntegration, "CASE-9")
	require.NoError(t, err)
	assert.Equal(t, "555", l.TicketID)
	assert.Equal(t, "SEC-5", l.TicketKey)
	require.NoError(t, h.syncer.Resolve(ctx, "CASE-9", itsm.Ticket{ID: "556"}), "replacing a link")
	l, err = h.store.GetLink(ctx, testIntegration, "CASE-9")
	require.NoError(t, err)
	assert.Equal(t, "556", l.TicketID)
}

// The Syncer records the pushed ITSM status with the HTTP connector's own
// status map when SyncerConfig.StatusMapper is not set.
func TestSyncerDefaultsMapperFromConnector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		statusMap  statusmap.Map
		wantPushed string
	}{
		{"config with a status map", statusmap.JiraStatuses(), "In Progress"},
		{"config without a status map", statusmap.Map{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newFakeJira(t)
			cfg := fakeJiraConfig(srv.URL())
			cfg.StatusMap = tt.statusMap
			conn, err := httpconn.New(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			if tt.wantPushed == "" {
				assert.Nil(t, conn.StatusMapper())
			}
			st := memstore.New()
			s, err := itsm.NewSyncer(conn, st, itsm.SyncerConfig{IntegrationID: testIntegration})
			require.NoError(t, err)
			c := testCase("CASE-1")
			c.Status = itsm.StatusInProgress
			_, err = s.Sync(context.Background(), c, nil)
			require.NoError(t, err)
			l, err := st.GetLink(context.Background(), testIntegration, c.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantPushed, l.LastPushedStatus)
		})
	}
}

// A ticket deleted in the ITSM: the sync fails with a typed error naming it,
// Unlink forgets the link, and the next sync creates a new ticket.
func TestTicketGoneThenUnlink(t *testing.T) {
	t.Parallel()
	srv, conn := newFakeJira(t)
	st := memstore.New()
	clk := newFakeClock()
	s, err := itsm.NewSyncer(conn, st, itsm.SyncerConfig{IntegrationID: testIntegration, CooldownPeriod: itsm.Off}, itsm.WithClock(clk))
	require.NoError(t, err)
	ctx := context.Background()
	c := testCase("CASE-1")
	res, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	first := res.TicketID
	require.NoError(t, srv.DeleteTicket(first))

	_, err = s.Sync(ctx, c, nil)
	var gone *itsm.TicketGoneError
	require.ErrorAs(t, err, &gone)
	assert.ErrorIs(t, err, itsm.ErrTicketNotFound)
	assert.ErrorIs(t, err, itsm.ErrNeedsAttention)
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 404, he.StatusCode)
	assert.Equal(t, first, gone.TicketID)
	assert.Equal(t, c.ID, gone.CaseID)

	require.NoError(t, s.Unlink(ctx, c.ID))
	require.NoError(t, s.Unlink(ctx, c.ID), "unlinking an unlinked case")
	state, err := s.State(ctx, c.ID)
	require.NoError(t, err)
	assert.False(t, state.Linked)
	res, err = s.Sync(ctx, c, nil)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.NotEqual(t, first, res.TicketID)
	assert.Equal(t, 2, srv.CreateCount())

	var ve *itsm.ValidationError
	assert.ErrorAs(t, s.Unlink(ctx, ""), &ve)
}
