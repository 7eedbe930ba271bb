package callback_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// orphanITSM lists every ticket whatever the query (it ignores the filter
// it does not know), counting the lists.
type orphanITSM struct {
	mu      sync.Mutex
	tickets []map[string]string
	lists   int
}

func (f *orphanITSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method != http.MethodGet || r.URL.Path != "/tickets" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	f.lists++
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(f.tickets)
}

func orphanFinder(t *testing.T, f *orphanITSM) itsm.Finder {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	conn, err := httpconn.New(httpconn.Config{
		Name: "generic", ID: rcIntegration,
		Create:       httpconn.EndpointConfig{URL: srv.URL + "/tickets", Payload: `{"t": "$case_name", "k": "$correlation_key"}`},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{URL: srv.URL + "/tickets/$ticket_id"},
		Lookup: httpconn.LookupConfig{URL: srv.URL + "/tickets?k=$correlation_key&t=$case_name", ItemsPath: "@this",
			TicketIDPath: "id", MatchPath: "k"},
		Network: httpconn.NetworkConfig{AllowLoopback: true},
	})
	require.NoError(t, err)
	return conn
}

// TestReconcilerFindsOrphans: a late create left a second ticket carrying
// a linked case's key; the orphan search reports it (once in the store,
// however often it is found), not the linked ticket, nor an unrelated
// ticket the list returns, nor anything for a closed link.
func TestReconcilerFindsOrphans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &orphanITSM{}
	keyA, keyB := itsm.CorrelationKey(rcIntegration, "case-a"), itsm.CorrelationKey(rcIntegration, "case-b")
	f.tickets = []map[string]string{
		{"id": "1", "k": keyA},                        // case-a's linked ticket
		{"id": "2", "k": "itsmsync-0000000000000000"}, // someone else's
		{"id": "3", "k": keyA},                        // the late create: an orphan
		{"id": "4", "k": keyB},                        // case-b's, closed
		{"id": "5", "k": keyB},
	}
	env := rcSetup(t, func(c *callback.ReconcilerConfig) { c.Finder = orphanFinder(t, f) })
	env.link(t, "case-a", "1", nil)
	env.link(t, "case-b", "4", func(l *itsm.Link) { l.Closed = true })

	stats, err := env.rec.FindOrphans(ctx)
	require.NoError(t, err)
	assert.Zero(t, stats.Failed)
	assert.Equal(t, 1, stats.Checked, "closed links are not looked up")
	assert.True(t, stats.Wrapped)
	require.Len(t, stats.Orphans, 1)
	want := itsm.Orphan{IntegrationID: rcIntegration, CaseID: "case-a", CorrelationKey: keyA, TicketID: "3",
		FoundAt: env.clock.Now(), LinkedTicketID: "1"}
	assert.Equal(t, want, stats.Orphans[0])
	stored, err := env.store.Orphans(ctx, rcIntegration, "case-a")
	require.NoError(t, err)
	assert.Equal(t, []itsm.Orphan{want}, stored)
	var audited []itsm.AuditEvent
	for _, e := range env.audit.Events() {
		if e.Reason == "orphan" {
			audited = append(audited, e)
		}
	}
	require.Len(t, audited, 1)
	assert.Equal(t, "3", audited[0].TicketID)

	env.clock.Advance(3600e9)
	_, err = env.rec.FindOrphans(ctx)
	require.NoError(t, err)
	stored, err = env.store.Orphans(ctx, rcIntegration, "case-a")
	require.NoError(t, err)
	assert.Equal(t, []itsm.Orphan{want}, stored, "found again, recorded once")
}

// TestReconcilerOrphanSearchIsBounded: one search looks up at most
// OrphanLookups links and the next continues after them.
func TestReconcilerOrphanSearchIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &orphanITSM{tickets: []map[string]string{}}
	env := rcSetup(t, func(c *callback.ReconcilerConfig) {
		c.Finder = orphanFinder(t, f)
		c.OrphanLookups = 2
		c.PageSize = 10
	})
	for _, id := range []string{"c1", "c2", "c3"} {
		env.link(t, id, "t-"+id, nil)
	}
	for i, want := range []struct {
		checked int
		wrapped bool
	}{{2, false}, {1, true}, {2, false}} {
		stats, err := env.rec.FindOrphans(ctx)
		require.NoError(t, err)
		assert.Equal(t, want.checked, stats.Checked, "search %d", i)
		assert.Equal(t, want.wrapped, stats.Wrapped, "search %d", i)
	}
	f.mu.Lock()
	assert.Equal(t, 5, f.lists, "one lookup per link looked up")
	f.mu.Unlock()
}

func TestReconcilerOrphanConfig(t *testing.T) {
	t.Parallel()
	err := callback.ReconcilerConfig{Applier: &callback.Applier{}, Connector: &rcConnector{}, OrphanEvery: 1, OrphanLookups: -1}.Validate()
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, fe := range ve.Errors {
		fields = append(fields, fe.Field)
	}
	assert.Equal(t, []string{"orphan_every", "orphan_lookups"}, fields)

	env := rcSetup(t, nil)
	_, err = env.rec.FindOrphans(context.Background())
	require.ErrorIs(t, err, itsm.ErrNotConfigured)
}

// TestReconcilerRunSearchesOrphans: with OrphanEvery, Run searches for
// orphans after its passes.
func TestReconcilerRunSearchesOrphans(t *testing.T) {
	t.Parallel()
	f := &orphanITSM{tickets: []map[string]string{
		{"id": "1", "k": itsm.CorrelationKey(rcIntegration, "case-a")},
		{"id": "3", "k": itsm.CorrelationKey(rcIntegration, "case-a")},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	passes := 0
	env := rcSetup(t, func(c *callback.ReconcilerConfig) {
		c.Finder = orphanFinder(t, f)
		c.OrphanEvery = 1
		c.OnPass = func(callback.ReconcileStats, error) {
			if passes++; passes == 2 {
				cancel()
			}
		}
	})
	env.link(t, "case-a", "1", nil)
	env.conn.set("1", "To Do", "new")
	require.ErrorIs(t, env.rec.Run(ctx), context.Canceled)
	stored, err := env.store.Orphans(context.Background(), rcIntegration, "case-a")
	require.NoError(t, err)
	require.Len(t, stored, 1)
	assert.Equal(t, "3", stored[0].TicketID)
}
