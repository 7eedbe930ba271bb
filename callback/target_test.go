package callback_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/statusmap"
)

const (
	targetA = "http|https://a.example.test:443|/api/tickets"
	targetB = "http|https://b.example.test:443|/api/tickets"
)

// plainInbound hides every method but InboundStore's (no lookup by target).
type plainInbound struct{ callback.InboundStore }

// An integration edited from ITSM A to ITSM B: an event from B about a
// ticket id that A's old ticket had must not touch A's case.
func TestHandlerMatchesOnlyLinksOfItsTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		linkTarget string // of case-1's link to ticket 10040
		other      *itsm.Link
		plainStore bool
		applied    string // case the event is applied to, "" when ignored
		reason     string
	}{
		{name: "link of another target ignored", linkTarget: targetA,
			reason: "ticket linked in another target (" + targetA + ")"},
		{name: "link of another target ignored, store without target lookup", linkTarget: targetA, plainStore: true,
			reason: "ticket linked in another target (" + targetA + ")"},
		{name: "link of the current target applied", linkTarget: targetB, applied: "case-1"},
		{name: "legacy link without target applied", linkTarget: "", applied: "case-1"},
		{name: "legacy link applied, store without target lookup", linkTarget: "", plainStore: true, applied: "case-1"},
		{name: "same ticket id in both targets: the current target's case", linkTarget: targetA,
			other:   &itsm.Link{IntegrationID: hIntegration, CaseID: "case-2", TicketID: "10040", Target: targetB},
			applied: "case-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := setupHandlerEnv(t, func(env *hEnv, c *callback.HandlerConfig) {
				c.Target = targetB
				if tt.plainStore {
					c.Store = plainInbound{env.store}
				}
			})
			ctx := context.Background()
			l, err := env.store.GetLink(ctx, hIntegration, "case-1")
			require.NoError(t, err)
			l.Target = tt.linkTarget
			require.NoError(t, env.store.PutLink(ctx, l))
			if tt.other != nil {
				require.NoError(t, env.store.PutLink(ctx, *tt.other))
			}

			w := env.post(t, doneBody)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			ev := env.lastAudit(t)
			if tt.applied == "" {
				assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":0,"ignored":1}`, w.Body.String())
				assert.Empty(t, env.updater.calls(), "the old target's case is not touched")
				assert.Equal(t, itsm.StatusInProgress, env.updater.status("case-1"))
				assert.Equal(t, itsm.OutcomeIgnored, ev.Outcome)
				assert.Equal(t, tt.reason, ev.Reason)
				assert.Empty(t, env.unlinked, "a ticket linked elsewhere is not reported as unlinked")
				_, err := env.store.GetInboundState(ctx, hIntegration, "10040")
				assert.ErrorIs(t, err, itsm.ErrNotFound, "the old ticket's ordering state is not advanced")
				return
			}
			assert.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, w.Body.String())
			calls := env.updater.calls()
			require.Len(t, calls, 1)
			assert.Equal(t, tt.applied, calls[0].CaseID)
			assert.Equal(t, itsm.OutcomeSuccess, ev.Outcome)
		})
	}
}

// A reconciler never reads a ticket of another target through the current
// connector (that id names another ticket, or none, there).
func TestReconcileSkipsLinksOfAnotherTarget(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, nil)
	sm := statusmap.JiraStatuses()
	a, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: rcIntegration, Store: env.store, StatusMap: &sm,
		Updater: env.updater, Target: targetB}, itsm.WithClock(env.clock))
	require.NoError(t, err)
	env.rec, err = callback.NewReconciler(callback.ReconcilerConfig{Applier: a, Connector: env.conn, RatePerSecond: 1000, Burst: 1000},
		itsm.WithAudit(env.audit))
	require.NoError(t, err)
	env.link(t, "C-1", "100", func(l *itsm.Link) { l.Target = targetA })
	env.link(t, "C-2", "200", func(l *itsm.Link) { l.Target = targetB })
	env.link(t, "C-3", "300", nil)
	for _, id := range []string{"100", "200", "300"} {
		env.conn.set(id, "Done", "done")
	}

	st := env.runOnce(t)
	assert.Equal(t, 1, st.Ignored)
	assert.Equal(t, 2, st.Applied)
	assert.ElementsMatch(t, []string{"200", "300"}, env.conn.Calls(), "ticket 100 of target A is never read")
	var reasons []string
	for _, e := range env.audit.Events() {
		if e.CaseID == "C-1" {
			reasons = append(reasons, e.Reason)
		}
	}
	assert.Equal(t, []string{"link in another target (" + targetA + ")"}, reasons)
}

// targetedConnector is a reconciler's connector that reports its target
// (itsm.Targeter), as httpconn's and the providers' connectors do.
type targetedConnector struct {
	*rcConnector
	target string
}

func (c targetedConnector) Target() string { return c.target }

// A host that leaves ApplierConfig.Target empty (the examples' wiring)
// still never has the reconciler read an old target's ticket id through the
// current connector: the connector knows its own target.
func TestReconcileSkipsLinksOfAnotherTargetByTheConnectorsTarget(t *testing.T) {
	t.Parallel()
	env := rcSetup(t, nil)
	sm := statusmap.JiraStatuses()
	a, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: rcIntegration, Store: env.store, StatusMap: &sm,
		Updater: env.updater}, itsm.WithClock(env.clock))
	require.NoError(t, err)
	env.rec, err = callback.NewReconciler(callback.ReconcilerConfig{Applier: a,
		Connector: targetedConnector{rcConnector: env.conn, target: targetB}, RatePerSecond: 1000, Burst: 1000},
		itsm.WithAudit(env.audit))
	require.NoError(t, err)
	env.link(t, "C-1", "100", func(l *itsm.Link) { l.Target = targetA })
	env.link(t, "C-2", "200", func(l *itsm.Link) { l.Target = targetB })
	env.link(t, "C-3", "300", nil)
	for _, id := range []string{"100", "200", "300"} {
		env.conn.set(id, "Done", "done")
	}

	st := env.runOnce(t)
	assert.Equal(t, 1, st.Ignored)
	assert.Equal(t, 2, st.Applied)
	assert.ElementsMatch(t, []string{"200", "300"}, env.conn.Calls(), "ticket 100 of target A is never read")
}
