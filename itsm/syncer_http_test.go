package itsm_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// fakeJiraConfig is an integration for the itsmtest fake (Jira REST v2),
// with a lookup by the correlation key carried as a label.
func fakeJiraConfig(base string) httpconn.Config {
	return httpconn.Config{
		Name:          "fake jira",
		Provider:      "jira",
		ID:            testIntegration,
		Create:        httpconn.EndpointConfig{URL: base + "/rest/api/2/issue", Payload: `{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"$case_name","description":"$description","labels":["$correlation_key"]}}`},
		TicketIDPath:  "id",
		TicketKeyPath: "key",
		Update:        httpconn.EndpointConfig{URL: base + "/rest/api/2/issue/$ticket_id", Payload: `{"fields":{"summary":"$case_name"}}`},
		Comment:       httpconn.CommentConfig{URL: base + "/rest/api/2/issue/$ticket_id/comment", Payload: `{"body":"$note_text"}`, CommentIDPath: "id"},
		Lookup: httpconn.LookupConfig{URL: base + `/rest/api/2/search?jql=labels%3D%22$correlation_key%22&fields=labels`,
			ItemsPath: "issues", TicketIDPath: "id", TicketKeyPath: "key", MatchPath: "fields.labels"},
		ViewURL:  base + "/browse/$ticket_key",
		Network:  httpconn.NetworkConfig{AllowLoopback: true},
		Timeouts: httpconn.Timeouts{Request: httpconn.Duration(300 * time.Millisecond)},
		Retry:    httpconn.RetryConfig{MaxAttempts: 2, WaitMin: httpconn.Duration(time.Millisecond), WaitMax: httpconn.Duration(time.Millisecond), MaxRetryAfter: httpconn.Duration(time.Millisecond)},
	}
}

// newFakeJira starts the fake and an HTTP connector for it.
func newFakeJira(t testing.TB) (*itsmtest.Server, *httpconn.Connector) {
	t.Helper()
	srv := itsmtest.NewServer()
	t.Cleanup(srv.Close)
	conn, err := httpconn.New(fakeJiraConfig(srv.URL()),
		itsm.WithClock(noWait{}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return srv, conn
}

// commentTexts returns the texts of every comment of every ticket.
func commentTexts(srv *itsmtest.Server) []string {
	var out []string
	for _, tk := range srv.Tickets() {
		for _, c := range tk.Comments {
			out = append(out, c.Text())
		}
	}
	return out
}

// TestSyncFaultMenuConverges runs the fake ITSM's fault menu against create,
// update and comment: whatever the fault did, once faults stop one more sync
// converges to exactly one ticket with every note posted once.
func TestSyncFaultMenuConverges(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name    string
		fault   itsmtest.Fault
		refused bool
	}{
		{name: "500", fault: itsmtest.Status(http.StatusInternalServerError)},
		{name: "502", fault: itsmtest.Status(http.StatusBadGateway)},
		{name: "502 after apply", fault: itsmtest.StatusAfterApply(http.StatusBadGateway)},
		{name: "503 retry-after", fault: itsmtest.RetryAfter(http.StatusServiceUnavailable, time.Second)},
		{name: "429 retry-after", fault: itsmtest.RetryAfter(http.StatusTooManyRequests, time.Second)},
		{name: "timeout after send", fault: itsmtest.TimeoutAfterSend()},
		{name: "reset after send", fault: itsmtest.ResetAfterSend()},
		{name: "refused", refused: true},
		{name: "malformed json", fault: itsmtest.MalformedJSON()},
		{name: "missing id", fault: itsmtest.MissingID()},
	}
	ops := []itsmtest.Op{itsmtest.OpCreate, itsmtest.OpUpdate, itsmtest.OpComment}
	for _, op := range ops {
		for _, f := range faults {
			t.Run(string(op)+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				// A gateway error whose backend posted the comment anyway is
				// indistinguishable from one that did not: the engine
				// retries it (a duplicate comment beats a lost note; see
				// Syncer.Sync), so the faulted note appears twice.
				dupComment := op == itsmtest.OpComment && f.name == "502 after apply"
				srv, conn := newFakeJira(t)
				clock := newFakeClock()
				syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: testIntegration}, itsm.WithClock(clock))
				require.NoError(t, err)
				ctx := context.Background()
				c := testCase("CASE-1")
				ns := notes("first note", "second note")
				want := []string{"first note", "second note"}

				if op != itsmtest.OpCreate {
					_, err := syncer.Sync(ctx, c, ns[:1])
					require.NoError(t, err)
					clock.Advance(itsm.DefaultCooldownPeriod)
					ns = append(ns, itsm.Note{ID: "n3", Text: "third note"})
					want = append(want, "third note")
				}
				if f.refused {
					require.NoError(t, srv.RefuseConnections())
				} else {
					srv.Fault(itsmtest.On(op), f.fault)
				}
				res, err := syncer.Sync(ctx, c, ns)
				if f.refused {
					require.Error(t, err, "nothing reachable")
					require.NoError(t, srv.AcceptConnections())
				} else {
					assert.Zero(t, srv.PendingFaults(), "the fault was served")
				}
				if err != nil {
					// A failed sync starts no cooldown; past the lookup grace,
					// one more sync converges.
					assert.True(t, res.NextSyncAt.IsZero())
					clock.Advance(itsm.DefaultLookupGrace)
					res, err = syncer.Sync(ctx, c, ns)
					require.NoError(t, err, "one more sync converges")
				}
				assert.False(t, res.NextSyncAt.IsZero())
				tickets := srv.Tickets()
				require.Len(t, tickets, 1, "exactly one ticket")
				assert.Equal(t, tickets[0].ID, res.TicketID)
				assert.True(t, tickets[0].HasLabel(itsm.CorrelationKey(testIntegration, c.ID)))
				if dupComment {
					// The faulted comment is the first one of the second sync.
					want = append(want[:1], append([]string{want[1]}, want[1:]...)...)
				}
				assert.Equal(t, want, commentTexts(srv), "every note posted once, in order")

				st, err := syncer.State(ctx, c.ID)
				require.NoError(t, err)
				assert.Equal(t, itsm.PhaseCoolingDown, st.Phase)
				assert.Equal(t, tickets[0].Key, st.TicketKey)
				assert.Equal(t, srv.URL()+"/browse/"+tickets[0].Key, st.URL)
			})
		}
	}
}

// TestSyncHTTPConnectorWithoutLookup: a create with an unknown outcome and no
// lookup request never creates a second ticket; a person resolves it.
func TestSyncHTTPConnectorWithoutLookup(t *testing.T) {
	t.Parallel()
	srv := itsmtest.NewServer()
	t.Cleanup(srv.Close)
	cfg := fakeJiraConfig(srv.URL())
	cfg.Lookup = httpconn.LookupConfig{}
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	clock := newFakeClock()
	syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: testIntegration}, itsm.WithClock(clock))
	require.NoError(t, err)
	ctx := context.Background()
	c := testCase("CASE-1")

	srv.Fault(itsmtest.On(itsmtest.OpCreate), itsmtest.ResetAfterSend())
	_, err = syncer.Sync(ctx, c, nil)
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	clock.Advance(time.Hour)
	_, err = syncer.Sync(ctx, c, nil)
	require.ErrorIs(t, err, itsm.ErrNeedsAttention)
	st, err := syncer.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, itsm.PhaseNeedsAttention, st.Phase)
	require.Len(t, srv.Tickets(), 1)

	tk := srv.Tickets()[0]
	require.NoError(t, syncer.Resolve(ctx, c.ID, itsm.Ticket{ID: tk.ID, Key: tk.Key}))
	res, err := syncer.Sync(ctx, c, notes("after resolve"))
	require.NoError(t, err)
	assert.True(t, res.Updated)
	assert.Len(t, srv.Tickets(), 1)
	assert.Equal(t, []string{"after resolve"}, commentTexts(srv))
}

// budgetConn is a connector that tells its longest call.
type budgetConn struct {
	itsm.Connector
	d time.Duration
}

func (b budgetConn) MaxCallDuration() time.Duration { return b.d }

func TestSyncerLeaseTTLFollowsConnector(t *testing.T) {
	t.Parallel()
	srv := itsmtest.NewServer()
	t.Cleanup(srv.Close)
	cfg := fakeJiraConfig(srv.URL())
	cfg.Timeouts, cfg.Retry = httpconn.Timeouts{}, httpconn.RetryConfig{}
	httpConn, err := httpconn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = httpConn.Close() })
	tests := []struct {
		name string
		conn itsm.Connector
		cfg  itsm.SyncerConfig
		want time.Duration
	}{
		// (3 attempts + 1) × 30 s + 2 waits × 60 s = 240 s; × 4/3 = 320 s.
		{"http connector defaults", httpConn, itsm.SyncerConfig{}, 320 * time.Second},
		{"explicit ttl wins", httpConn, itsm.SyncerConfig{LeaseTTL: 10 * time.Minute}, 10 * time.Minute},
		{"explicit ttl equal to the budget", httpConn, itsm.SyncerConfig{LeaseTTL: 240 * time.Second}, 240 * time.Second},
		{"short budget keeps the default", budgetConn{newFakeConn(), time.Second}, itsm.SyncerConfig{}, itsm.DefaultLeaseTTL},
		{"long budget", budgetConn{newFakeConn(), 3 * time.Minute}, itsm.SyncerConfig{}, 4 * time.Minute},
		{"unknown connector", newFakeConn(), itsm.SyncerConfig{}, itsm.DefaultLeaseTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.IntegrationID = "i"
			s, err := itsm.NewSyncer(tt.conn, memstore.New(), cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.LeaseTTL())
		})
	}
	// An explicit TTL shorter than the connector's longest call would let a
	// replica take over a case while its create is still in flight.
	short := []struct {
		name string
		conn itsm.Connector
	}{
		{"http connector", httpConn},
		{"call budgeter", budgetConn{newFakeConn(), 3 * time.Minute}},
	}
	for _, tt := range short {
		t.Run("too short/"+tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := itsm.NewSyncer(tt.conn, memstore.New(), itsm.SyncerConfig{IntegrationID: "i", LeaseTTL: time.Minute})
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.ErrorIs(t, err, itsm.ErrInvalidConfig)
			require.Len(t, ve.Errors, 1)
			assert.Equal(t, "lease_ttl", ve.Errors[0].Field)
		})
	}
}

// noWait is the system clock with retry waits skipped.
type noWait struct{ itsm.SystemClock }

func (noWait) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
