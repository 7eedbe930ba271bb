package itsm_test

import (
	"context"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// targetWorld is one integration whose config is edited from ITSM A to
// another connector, over one shared store.
type targetWorld struct {
	a     *itsmtest.Server
	store *memstore.Store
	clock *itsmtest.Clock
	audit *targetAudit
}

// targetAudit collects audit events.
type targetAudit struct {
	mu  sync.Mutex
	evs []itsm.AuditEvent
}

func (l *targetAudit) Record(_ context.Context, e itsm.AuditEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
}

func (l *targetAudit) find(op string) []itsm.AuditEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []itsm.AuditEvent
	for _, e := range l.evs {
		if e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}

func newTargetWorld(t *testing.T) *targetWorld {
	t.Helper()
	a := itsmtest.NewServer()
	t.Cleanup(a.Close)
	return &targetWorld{a: a, store: memstore.New(),
		clock: itsmtest.NewClock(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)), audit: &targetAudit{}}
}

// syncer returns a Syncer of the integration with a connector for the
// ITSM at base (what the integration's config says now).
func (w *targetWorld) syncer(t *testing.T, base string) (*itsm.Syncer, *httpconn.Connector) {
	t.Helper()
	conn, err := httpconn.New(fakeJiraConfig(base), itsm.WithClock(noWait{}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	s, err := itsm.NewSyncer(conn, w.store, itsm.SyncerConfig{IntegrationID: testIntegration, CooldownPeriod: itsm.Off},
		itsm.WithClock(w.clock), itsm.WithAudit(w.audit))
	require.NoError(t, err)
	return s, conn
}

// proxyTo starts a second loopback server in front of srv: the same ITSM
// under another host name and port.
func proxyTo(t *testing.T, srv *itsmtest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL())
	require.NoError(t, err)
	p := httptest.NewServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(p.Close)
	return p.URL
}

func TestSyncRefusesALinkOfAnotherTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testCase("CASE-1")
	ns := notes("first note", "second note")

	tests := []struct {
		name string
		// decide is what the host does after the refusal; it returns the
		// server the integration now reaches and what the next sync must do.
		decide   func(t *testing.T, w *targetWorld, s *itsm.Syncer, fromA string) (n int, err error)
		sameITSM bool
	}{
		{name: "keep: same ITSM renamed", sameITSM: true, decide: func(t *testing.T, w *targetWorld, s *itsm.Syncer, fromA string) (int, error) {
			return s.KeepLinks(ctx, fromA)
		}},
		{name: "retire: another ITSM", decide: func(t *testing.T, w *targetWorld, s *itsm.Syncer, fromA string) (int, error) {
			return s.RetireLinks(ctx, fromA)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newTargetWorld(t)
			sA, connA := w.syncer(t, w.a.URL())
			res, err := sA.Sync(ctx, c, ns)
			require.NoError(t, err)
			require.True(t, res.Created)
			oldTicket := res.TicketID
			link, err := w.store.GetLink(ctx, testIntegration, c.ID)
			require.NoError(t, err)
			assert.Equal(t, connA.Target(), link.Target, "a created link carries the connector's target")

			// The integration is edited to point at B.
			var b *itsmtest.Server
			var baseB string
			if tt.sameITSM {
				b, baseB = w.a, proxyTo(t, w.a)
			} else {
				b = itsmtest.NewServer()
				t.Cleanup(b.Close)
				baseB = b.URL()
			}
			aBefore, bBefore := len(w.a.Requests()), len(b.Requests())
			sB, connB := w.syncer(t, baseB)
			require.NotEqual(t, connA.Target(), connB.Target())

			_, err = sB.Sync(ctx, c, ns)
			var tce *itsm.TargetChangedError
			require.ErrorAs(t, err, &tce)
			require.ErrorIs(t, err, itsm.ErrTargetChanged)
			assert.Equal(t, itsm.TargetChangedError{CaseID: c.ID, TicketID: oldTicket, LinkTarget: connA.Target(), Target: connB.Target()}, *tce)
			assert.Contains(t, err.Error(), "KeepLinks")
			assert.Contains(t, err.Error(), "RetireLinks")
			assert.Len(t, w.a.Requests(), aBefore, "nothing sent to A")
			assert.Len(t, b.Requests(), bBefore, "nothing sent to B")
			syncs := w.audit.find("sync")
			require.NotEmpty(t, syncs)
			last := syncs[len(syncs)-1]
			assert.Equal(t, itsm.OutcomeFailure, last.Outcome)
			assert.Equal(t, "target changed", last.Reason)
			require.Len(t, w.audit.find("target"), 1, "the refusal is audited")

			st, err := sB.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, itsm.PhaseNeedsAttention, st.Phase)
			assert.False(t, st.Enabled)
			assert.Equal(t, &itsm.TargetChange{LinkTarget: connA.Target(), Target: connB.Target()}, st.TargetChanged)

			targets, err := sB.LinkTargets(ctx)
			require.NoError(t, err)
			assert.Equal(t, []itsm.TargetCount{{Target: connA.Target(), Links: 1}}, targets)

			n, err := tt.decide(t, w, sB, connA.Target())
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			st, err = sB.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Nil(t, st.TargetChanged)

			ns2 := append(slices.Clone(ns), itsm.Note{ID: "n3", Text: "third note"})
			res, err = sB.Sync(ctx, c, ns2)
			require.NoError(t, err)
			link, err = w.store.GetLink(ctx, testIntegration, c.ID)
			require.NoError(t, err)
			assert.Equal(t, connB.Target(), link.Target)
			if tt.sameITSM {
				assert.True(t, res.Updated, "kept: the same ticket is updated through B")
				assert.Equal(t, oldTicket, res.TicketID)
				assert.Equal(t, 1, res.NotesPosted, "only the new note: the others stay posted")
				assert.Equal(t, 1, b.CreateCount())
				assert.Equal(t, []string{"first note", "second note", "third note"}, commentTexts(b))
				retired, err := sB.RetiredLinks(ctx, c.ID)
				require.NoError(t, err)
				assert.Empty(t, retired)
				return
			}
			assert.True(t, res.Created, "retired: a new ticket on B")
			assert.Equal(t, 3, res.NotesPosted, "every note posted again on the new ticket")
			assert.Equal(t, 1, b.CreateCount())
			assert.Equal(t, []string{"first note", "second note", "third note"}, commentTexts(b))
			assert.Len(t, w.a.Requests(), aBefore, "A never hears of it again")
			retired, err := sB.RetiredLinks(ctx, c.ID)
			require.NoError(t, err)
			require.Len(t, retired, 1)
			assert.Equal(t, oldTicket, retired[0].TicketID)
			assert.Equal(t, connA.Target(), retired[0].Target)
			assert.Equal(t, w.clock.Now(), retired[0].RetiredAt)
			require.Len(t, retired[0].Notes, 2, "the old ticket's note records are history")
			assert.Equal(t, oldTicket, retired[0].Notes[0].TicketID)
			assert.Len(t, w.audit.find("retire_links"), 1)
		})
	}
}

func TestSyncTargetLegacyLinkAdopted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newTargetWorld(t)
	s, conn := w.syncer(t, w.a.URL())
	c := testCase("CASE-1")
	_, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	// A link made before targets were recorded.
	link, err := w.store.GetLink(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	link.Target = ""
	require.NoError(t, w.store.PutLink(ctx, link))
	st, err := s.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, itsm.PhaseIdle, st.Phase, "a legacy link needs no decision")

	res, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	assert.True(t, res.Updated)
	link, err = w.store.GetLink(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	assert.Equal(t, conn.Target(), link.Target, "adopted on its next successful sync")
}

func TestSyncTargetLegacyLinkNotAdoptedOnFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newTargetWorld(t)
	s, _ := w.syncer(t, w.a.URL())
	c := testCase("CASE-1")
	_, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	link, err := w.store.GetLink(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	link.Target = ""
	require.NoError(t, w.store.PutLink(ctx, link))
	require.NoError(t, w.a.DeleteTicket(link.TicketID))
	_, err = s.Sync(ctx, c, nil)
	var gone *itsm.TicketGoneError
	require.ErrorAs(t, err, &gone)
	link, err = w.store.GetLink(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	assert.Empty(t, link.Target, "a failed update proves nothing about the link's target")
}

func TestSyncerTargetDecisionsValidated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newTargetWorld(t)
	s, conn := w.syncer(t, w.a.URL())
	_, err := s.RetireLinks(ctx, conn.Target())
	require.ErrorIs(t, err, itsm.ErrInvalidInput, "retiring the current target would recreate every ticket")
	n, err := s.KeepLinks(ctx, conn.Target())
	require.NoError(t, err)
	assert.Zero(t, n)
	// A store without TargetStore.
	plain, err := itsm.NewSyncer(conn, syncOnly{w.store}, itsm.SyncerConfig{IntegrationID: testIntegration, CooldownPeriod: itsm.Off})
	require.NoError(t, err)
	_, err = plain.KeepLinks(ctx, "old")
	require.ErrorIs(t, err, itsm.ErrNotConfigured)
	_, err = plain.LinkTargets(ctx)
	require.ErrorIs(t, err, itsm.ErrNotConfigured)
}

func TestResolveStampsTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newTargetWorld(t)
	s, conn := w.syncer(t, w.a.URL())
	require.NoError(t, s.Resolve(ctx, "CASE-9", itsm.Ticket{ID: "10042"}))
	link, err := w.store.GetLink(ctx, testIntegration, "CASE-9")
	require.NoError(t, err)
	assert.Equal(t, conn.Target(), link.Target)
}

// syncOnly hides every method but SyncStore's.
type syncOnly struct{ itsm.SyncStore }
