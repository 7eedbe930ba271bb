package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
	"github.com/itsmsync/itsmsync/statusmap"
)

// echoingConn delivers the ITSM's webhook about the update from inside the
// update call, as Request Tracker's Scrip does.
type echoingConn struct {
	instantConn
	onUpdate func(ctx context.Context)
}

func (c *echoingConn) Update(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest) (itsm.Ticket, error) {
	if c.onUpdate != nil {
		c.onUpdate(ctx)
	}
	return c.instantConn.Update(ctx, t, req)
}

// The status a sync pushes is on the link before the update is sent, on
// both dialects: the webhook it triggers, delivered during the call, is
// ignored as an echo. The map is lossy (resolved and closed are both
// "Done", which comes back as closed): applied, the echo would close the
// resolved case.
func TestEchoDuringUpdateIsSuppressed(t *testing.T) {
	t.Parallel()
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			var s *sqlstore.Store
			if d == sqlstore.Postgres {
				s = sqlstoretest.NewPostgresStore(t)
			} else {
				s = sqlstoretest.NewSQLiteStore(t)
			}
			ctx := t.Context()
			clock := itsmtest.NewClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
			sm := statusmap.JiraStatuses()
			sm.Outbound = []statusmap.Entry{{ITSM: "Done", Case: "resolved"}}
			updater := &echoUpdates{}
			app, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: "i", Store: s, StatusMap: &sm, Updater: updater},
				itsm.WithClock(clock))
			require.NoError(t, err)
			conn := &echoingConn{}
			syncer, err := itsm.NewSyncer(conn, s, itsm.SyncerConfig{IntegrationID: "i", StatusMapper: jiraMapper{sm}}, itsm.WithClock(clock))
			require.NoError(t, err)

			c := itsm.Case{ID: "CASE-1", Title: "t", Status: itsm.StatusInProgress}
			res, err := syncer.Sync(ctx, c, nil)
			require.NoError(t, err)
			clock.Advance(time.Hour)
			c.Status = itsm.StatusResolved
			var report callback.Report
			conn.onUpdate = func(ctx context.Context) {
				report, err = app.Apply(ctx, "", []callback.Event{{Kind: callback.EventUpdated, TicketID: res.TicketID,
					Status: "Done", EventID: "echo", OccurredAt: clock.Now()}})
				require.NoError(t, err)
			}
			_, err = syncer.Sync(ctx, c, nil)
			require.NoError(t, err)
			require.Len(t, report.Results, 1)
			assert.Equal(t, itsm.OutcomeIgnored, report.Results[0].Outcome)
			assert.Equal(t, "echo of a pushed status", report.Results[0].Reason)
			assert.Zero(t, updater.n, "the echo changed the case")
			link, err := s.GetLink(ctx, "i", c.ID)
			require.NoError(t, err)
			assert.Equal(t, "Done", link.LastPushedStatus)
			assert.True(t, link.LastPushedAt.Equal(clock.Now()))
			assert.True(t, link.Closed)
		})
	}
}

// echoUpdates counts the changes applied to cases.
type echoUpdates struct{ n int }

func (u *echoUpdates) ApplyTicketChange(context.Context, callback.TicketChange) error {
	u.n++
	return nil
}
