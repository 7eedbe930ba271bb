package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// mrClock is the time both replicas agree on (their clocks are in sync in
// production too, within the lease and cooldown margins).
type mrClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *mrClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *mrClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const mrIntegration = "int-multireplica"

// mrConnector is one replica's HTTP connector to the fake ITSM.
func mrConnector(t *testing.T, base string) *httpconn.Connector {
	t.Helper()
	cfg := httpconn.Config{
		Name:          "fake jira",
		ID:            mrIntegration,
		Create:        httpconn.EndpointConfig{URL: base + "/rest/api/2/issue", Payload: `{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"$case_name","labels":["$correlation_key"]}}`},
		TicketIDPath:  "id",
		TicketKeyPath: "key",
		Update:        httpconn.EndpointConfig{URL: base + "/rest/api/2/issue/$ticket_id", Payload: `{"fields":{"summary":"$case_name"}}`},
		Comment:       httpconn.CommentConfig{URL: base + "/rest/api/2/issue/$ticket_id/comment", Payload: `{"body":"$note_text"}`, CommentIDPath: "id"},
		Lookup: httpconn.LookupConfig{URL: base + `/rest/api/2/search?jql=labels%3D%22$correlation_key%22&fields=labels`,
			ItemsPath: "issues", TicketIDPath: "id", TicketKeyPath: "key", MatchPath: "fields.labels"},
		ViewURL:  base + "/browse/$ticket_key",
		Network:  httpconn.NetworkConfig{AllowLoopback: true},
		Timeouts: httpconn.Timeouts{Request: httpconn.Duration(10 * time.Second)},
	}
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// runMultiReplica has two replicas (each its own store on its own pool, its
// own connector and holder) sync the same new case 50 times at once, then
// again in more rounds after the cooldown, and checks that the fake ITSM
// ends with exactly one ticket and every note posted once.
func runMultiReplica(t *testing.T, a, b storetest.Store) {
	srv := itsmtest.NewServer()
	t.Cleanup(srv.Close)
	clock := &mrClock{t: time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)}
	var replicas [2]*itsm.Syncer
	for i, st := range []storetest.Store{a, b} {
		s, err := itsm.NewSyncer(mrConnector(t, srv.URL()), st, itsm.SyncerConfig{IntegrationID: mrIntegration, Holder: fmt.Sprintf("replica-%d", i)}, itsm.WithClock(clock))
		require.NoError(t, err)
		replicas[i] = s
	}
	ctx := context.Background()
	c := itsm.Case{ID: "CASE-MR-1", Title: "Lateral movement from ws-17", Severity: itsm.SeverityCritical}
	var ns []itsm.Note
	var want []string
	const rounds, clicks = 3, 50
	for round := range rounds {
		text := fmt.Sprintf("note of round %d", round)
		ns = append(ns, itsm.Note{ID: fmt.Sprintf("note-%d", round), Text: text, CreatedAt: clock.Now()})
		want = append(want, text)

		var wg sync.WaitGroup
		results := make([]itsm.Result, clicks)
		errs := make([]error, clicks)
		for i := range clicks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = replicas[i%2].Sync(ctx, c, ns)
			}()
		}
		wg.Wait()
		succeeded := 0
		for i, err := range errs {
			switch {
			case err == nil:
				succeeded++
				assert.Equal(t, round == 0, results[i].Created, "round %d", round)
				assert.Equal(t, 1, results[i].NotesPosted)
			case errors.Is(err, itsm.ErrInProgress), errors.Is(err, itsm.ErrCoolingDown):
			default:
				t.Errorf("round %d click %d: unexpected error: %v", round, i, err)
			}
		}
		assert.Equal(t, 1, succeeded, "round %d: one click syncs, the others are refused", round)

		tickets := srv.Tickets()
		require.Len(t, tickets, 1, "round %d: exactly one ticket", round)
		var got []string
		for _, cm := range tickets[0].Comments {
			got = append(got, cm.Text())
		}
		assert.Equal(t, want, got, "round %d: every note posted once", round)
		for _, s := range replicas {
			st, err := s.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, itsm.PhaseCoolingDown, st.Phase)
			assert.Equal(t, tickets[0].Key, st.TicketKey)
		}
		clock.Advance(itsm.DefaultCooldownPeriod)
	}
	assert.Equal(t, 1, srv.CreateCount(), "one create request in all")
	assert.Equal(t, rounds-1, srv.UpdateCount())
}

func TestMultiReplicaSyncPostgres(t *testing.T) {
	t.Parallel()
	dsn := sqlstoretest.PostgresDSN(t) // skips (fails when CI=true) without PostgreSQL
	a := sqlstoretest.NewPostgresStoreDSN(t, dsn)
	b := sqlstoretest.NewPostgresStoreDSN(t, dsn)
	runMultiReplica(t, a, b)
}

func TestMultiReplicaSyncSQLite(t *testing.T) {
	t.Parallel()
	dsn := sqlstoretest.SQLiteDSN(filepath.Join(t.TempDir(), "replicas.db"))
	var stores [2]*sqlstore.Store
	for i := range stores {
		s, err := sqlstore.New(sqlstoretest.OpenSQLiteDSN(t, dsn), sqlstore.SQLite)
		require.NoError(t, err)
		require.NoError(t, s.Migrate(context.Background()))
		stores[i] = s
	}
	runMultiReplica(t, stores[0], stores[1])
}
