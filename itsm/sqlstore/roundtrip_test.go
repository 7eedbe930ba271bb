package sqlstore_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
	"github.com/itsmsync/itsmsync/statusmap"
)

// counts are the database calls a countingConnector saw. On PostgreSQL each
// statement, BEGIN and COMMIT/ROLLBACK is one network round trip (pgx caches
// prepared statements per connection, so a statement is one Bind/Execute
// exchange once its connection has seen it).
type counts struct {
	stmts, begins, ends atomic.Int64
	mu                  sync.Mutex
	log                 []string // the statements, in order
}

func (c *counts) stmt(q string) {
	c.stmts.Add(1)
	c.mu.Lock()
	c.log = append(c.log, clipQuery(q))
	c.mu.Unlock()
}

// clipQuery shortens a statement to its verb and table for the test log.
func clipQuery(q string) string {
	if len(q) > 70 {
		return q[:70]
	}
	return q
}

// snapshot returns (statements, round trips).
func (c *counts) snapshot() (int64, int64) {
	s := c.stmts.Load()
	return s, s + c.begins.Load() + c.ends.Load()
}

// countingConnector wraps a driver and counts statements, BEGINs and ends.
type countingConnector struct {
	open func() (driver.Conn, error)
	drv  driver.Driver
	c    *counts
}

func (cc countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := cc.open()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, c: cc.c}, nil
}

func (cc countingConnector) Driver() driver.Driver { return cc.drv }

type countingConn struct {
	driver.Conn
	c *counts
}

func (cn *countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	cn.c.stmt(q)
	return cn.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (cn *countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	cn.c.stmt(q)
	return cn.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (cn *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := cn.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, q: q, c: cn.c}, nil
}

func (cn *countingConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	cn.c.begins.Add(1)
	cn.c.mu.Lock()
	cn.c.log = append(cn.c.log, "BEGIN")
	cn.c.mu.Unlock()
	tx, err := cn.Conn.(driver.ConnBeginTx).BeginTx(ctx, o)
	if err != nil {
		return nil, err
	}
	return countingTx{Tx: tx, c: cn.c}, nil
}

func (cn *countingConn) CheckNamedValue(v *driver.NamedValue) error {
	if nc, ok := cn.Conn.(driver.NamedValueChecker); ok {
		return nc.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

func (cn *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := cn.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

type countingStmt struct {
	driver.Stmt
	q string
	c *counts
}

func (st *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	st.c.stmt(st.q)
	return st.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (st *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	st.c.stmt(st.q)
	return st.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

type countingTx struct {
	driver.Tx
	c *counts
}

func (t countingTx) Commit() error {
	t.c.ends.Add(1)
	t.c.mu.Lock()
	t.c.log = append(t.c.log, "COMMIT")
	t.c.mu.Unlock()
	return t.Tx.Commit()
}
func (t countingTx) Rollback() error { t.c.ends.Add(1); return t.Tx.Rollback() }

// countedStore opens a Store of the dialect on a counting pool: a fresh
// SQLite file, or a fresh PostgreSQL schema (skips without
// ITSMSYNC_TEST_POSTGRES_DSN).
func countedStore(t testing.TB, d sqlstore.Dialect, opts ...sqlstore.Option) (*sqlstore.Store, *counts, *sql.DB) {
	t.Helper()
	c := &counts{}
	var cc countingConnector
	switch d {
	case sqlstore.Postgres:
		dsn := sqlstoretest.PostgresDSN(t)
		drv := stdlib.GetDefaultDriver()
		conn, err := drv.(driver.DriverContext).OpenConnector(dsn)
		require.NoError(t, err)
		cc = countingConnector{open: func() (driver.Conn, error) { return conn.Connect(context.Background()) }, drv: drv, c: c}
	default:
		dsn := "file:" + t.TempDir() + "/itsm.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
		drv := &sqlite.Driver{}
		cc = countingConnector{open: func() (driver.Conn, error) { return drv.Open(dsn) }, drv: drv, c: c}
	}
	db := sql.OpenDB(cc)
	if d == sqlstore.SQLite {
		db.SetMaxOpenConns(1)
	}
	t.Cleanup(func() { _ = db.Close() })
	s, err := sqlstore.New(db, d, opts...)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(context.Background()))
	return s, c, db
}

// instantConn is a connector that answers at once.
type instantConn struct{ n atomic.Int64 }

func (ic *instantConn) Create(context.Context, itsm.SyncRequest) (itsm.Ticket, error) {
	id := fmt.Sprint(10000 + ic.n.Add(1))
	return itsm.Ticket{ID: id, Key: "SEC-" + id, URL: "https://itsm.example/SEC-" + id}, nil
}

func (ic *instantConn) Update(_ context.Context, t itsm.Ticket, _ itsm.SyncRequest) (itsm.Ticket, error) {
	return t, nil
}

func (ic *instantConn) Comment(context.Context, itsm.Ticket, itsm.SyncRequest, itsm.Note) (itsm.Comment, error) {
	return itsm.Comment{ID: fmt.Sprint("c-", ic.n.Add(1))}, nil
}

func (ic *instantConn) Get(_ context.Context, t itsm.Ticket) (itsm.Ticket, error) { return t, nil }

type nopUpdater struct{}

func (nopUpdater) ApplyTicketChange(context.Context, callback.TicketChange) error { return nil }

// storeCost is what one sync or apply costs the store.
type storeCost struct{ stmts, trips int64 }

// jiraMapper is the outbound side of the Jira status preset: with it the
// Syncer records the status it pushes on the link (before the update).
type jiraMapper struct{ m statusmap.Map }

func (j jiraMapper) ITSMStatus(s itsm.Status) string {
	label, _ := j.m.ToITSM(string(s))
	return label
}

func (jiraMapper) ITSMPriority(itsm.Severity) string { return "" }

// measureCosts runs a first sync, a repeat sync with one new note and an
// inbound status change on store s and returns the database calls of each;
// mapped gives the Syncer a status map (the pushed status is recorded).
func measureCosts(t testing.TB, s *sqlstore.Store, c *counts, caseID string, mapped bool) (first, repeat, apply storeCost) {
	t.Helper()
	ctx := context.Background()
	clock := itsmtest.NewClock(time.Now())
	cfg := itsm.SyncerConfig{IntegrationID: "i"}
	if mapped {
		cfg.StatusMapper = jiraMapper{statusmap.JiraStatuses()}
	}
	syncer, err := itsm.NewSyncer(&instantConn{}, s, cfg, itsm.WithClock(clock))
	require.NoError(t, err)
	sm := statusmap.JiraStatuses()
	app, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: "i", Store: s, StatusMap: &sm, Updater: nopUpdater{}})
	require.NoError(t, err)
	measure := func(fn func()) storeCost {
		s0, r0 := c.snapshot()
		c.mu.Lock()
		c.log = c.log[:0]
		c.mu.Unlock()
		fn()
		s1, r1 := c.snapshot()
		c.mu.Lock()
		t.Logf("statements:\n%s", strings.Join(c.log, "\n"))
		c.mu.Unlock()
		return storeCost{s1 - s0, r1 - r0}
	}
	cs := itsm.Case{ID: caseID, Title: "Phishing", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
	var res itsm.Result
	first = measure(func() {
		res, err = syncer.Sync(ctx, cs, nil)
		require.NoError(t, err)
	})
	require.True(t, res.Created)
	clock.Advance(time.Hour) // past the default cooldown
	repeat = measure(func() {
		_, err = syncer.Sync(ctx, cs, []itsm.Note{{ID: "n1", Text: "triaged", CreatedAt: time.Unix(1, 0)}})
		require.NoError(t, err)
	})
	apply = measure(func() {
		_, err = app.Apply(ctx, "d-"+caseID, []callback.Event{{Kind: callback.EventUpdated, TicketID: res.TicketID, TicketKey: res.TicketKey,
			Status: "In Progress", EventID: "e-" + caseID, OccurredAt: clock.Now()}})
		require.NoError(t, err)
	})
	return first, repeat, apply
}

// TestStoreRoundTrips measures, with a counting driver, the statements and
// round trips of a first sync, a repeat sync with one note and an inbound
// apply, and guards them against regressions. Run with -v to see them and
// the statement log.
func TestStoreRoundTrips(t *testing.T) {
	t.Parallel()
	// Most round trips allowed per operation (first, repeat, apply). On
	// PostgreSQL: a first sync is BeginSync (cooldown check, lease, link,
	// pending create: one statement), CreatePending, CompletePending, EndSync
	// (cooldown, link, lease release: one statement); a repeat sync with one
	// note is BeginSync (notes read too), the note's pending record, its
	// posted record, EndSync. Before BeginSync/EndSync they were 11 and 8
	// (14 and 8 before CompletePending became one statement). SQLite counts
	// its in-process calls the same way (BEGIN and COMMIT included): its
	// CompletePending and EndSync are transactions.
	limits := map[sqlstore.Dialect][3]int64{
		sqlstore.SQLite:   {11, 8, 4},
		sqlstore.Postgres: {4, 4, 4},
	}
	// With a status map the repeat sync records the status it pushes
	// before the update: on PostgreSQL inside BeginSync's statement (no
	// round trip more), on SQLite one in-process statement more in
	// BeginSync, while EndSync no longer stores the link (its transaction
	// loses one statement): 9, as before the record moved ahead of the
	// update.
	mappedLimits := map[sqlstore.Dialect][3]int64{
		sqlstore.SQLite:   {11, 9, 4},
		sqlstore.Postgres: {4, 4, 4},
	}
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		for _, mapped := range []bool{false, true} {
			name := string(d)
			lim := limits[d]
			if mapped {
				name += "/status map"
				lim = mappedLimits[d]
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				s, c, _ := countedStore(t, d)
				// Warm the connection (prepared-statement caches) with one case.
				measureCosts(t, s, c, "warm", mapped)
				first, repeat, apply := measureCosts(t, s, c, "case-1", mapped)
				t.Logf("%s: first sync %d statements / %d round trips; repeat sync with one note %d / %d; inbound apply %d / %d",
					name, first.stmts, first.trips, repeat.stmts, repeat.trips, apply.stmts, apply.trips)
				assert.LessOrEqual(t, first.trips, lim[0], "first sync")
				assert.LessOrEqual(t, repeat.trips, lim[1], "repeat sync")
				assert.LessOrEqual(t, apply.trips, lim[2], "inbound apply")
			})
		}
	}
}

// TestPruneDeliveriesInBatches: no prune statement deletes more than the
// batch; PruneDeliveries runs batches until one comes back short, and the
// automatic prune runs exactly one.
func TestPruneDeliveriesInBatches(t *testing.T) {
	t.Parallel()
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, c, _ := countedStore(t, d, sqlstore.WithPruneBatch(10), sqlstore.WithPruneEvery(30))
			t0 := time.Unix(1_700_000_000, 0)
			for i := range 25 {
				ok, err := s.ClaimDelivery(ctx, "i", fmt.Sprint("old-", i), t0, time.Minute)
				require.NoError(t, err)
				require.True(t, ok)
			}
			// Claims 26..30 come after expiry; the 30th triggers one
			// automatic prune batch of 10 (of the 25 expired).
			later := t0.Add(time.Hour)
			for i := range 5 {
				ok, err := s.ClaimDelivery(ctx, "i", fmt.Sprint("new-", i), later, time.Minute)
				require.NoError(t, err)
				require.True(t, ok)
			}
			s0, _ := c.snapshot()
			n, err := s.PruneDeliveries(ctx, later)
			require.NoError(t, err)
			s1, _ := c.snapshot()
			assert.Equal(t, int64(15), n, "the automatic prune deleted one batch of 10")
			assert.Equal(t, int64(2), s1-s0, "15 rows in batches of 10: two statements")
			// The new claims are live; the old ones were expired.
			for i := range 5 {
				ok, err := s.ClaimDelivery(ctx, "i", fmt.Sprint("new-", i), later, time.Minute)
				require.NoError(t, err)
				assert.False(t, ok)
			}
			n, err = s.PruneDeliveries(ctx, later.Add(time.Minute))
			require.NoError(t, err)
			assert.Equal(t, int64(5), n)
		})
	}
}
