package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// latestVersion is the newest migration in migrations/ and
// migrationCount how many there are (per dialect), read from the files so
// a new migration needs no edit here (versions may have gaps).
var latestVersion, migrationCount = func() (newest, count int) {
	entries, err := os.ReadDir("migrations/sqlite")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		if v, err := strconv.Atoi(num); err == nil && strings.HasSuffix(e.Name(), ".sql") {
			newest = max(newest, v)
			count++
		}
	}
	return newest, count
}()

// engines runs fn with a fresh, empty database of each engine.
func engines(t *testing.T, fn func(t *testing.T, open func() *sql.DB, d sqlstore.Dialect)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		dsn := sqlstoretest.SQLiteDSN(t.TempDir() + "/m.db")
		fn(t, func() *sql.DB { return sqlstoretest.OpenSQLiteDSN(t, dsn) }, sqlstore.SQLite)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := sqlstoretest.PostgresDSN(t)
		fn(t, func() *sql.DB { return sqlstoretest.OpenPostgresDSN(t, dsn) }, sqlstore.Postgres)
	})
}

func TestMigrateFreshAndIdempotent(t *testing.T) {
	engines(t, func(t *testing.T, open func() *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		s, err := sqlstore.New(open(), d)
		require.NoError(t, err)
		v, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, 0, v, "before Migrate")

		require.NoError(t, s.Migrate(ctx))
		v, err = s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, latestVersion, v)
		require.NoError(t, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: "c", TicketID: "T"}))

		// Again, through the same and through a new pool: nothing changes,
		// data survives.
		require.NoError(t, s.Migrate(ctx))
		s2, err := sqlstore.New(open(), d)
		require.NoError(t, err)
		require.NoError(t, s2.Migrate(ctx))
		_, err = s2.GetLink(ctx, "i", "c")
		require.NoError(t, err)
		v, err = s2.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, latestVersion, v)
	})
}

func TestMigrateConcurrently(t *testing.T) {
	engines(t, func(t *testing.T, open func() *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		const n = 8
		stores := make([]*sqlstore.Store, n)
		for i := range stores {
			s, err := sqlstore.New(open(), d) // one pool each, as replicas
			require.NoError(t, err)
			stores[i] = s
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i, s := range stores {
			wg.Go(func() {
				<-start
				errs[i] = s.Migrate(ctx)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "migrator %d", i)
		}
		var rows int
		require.NoError(t, open().QueryRowContext(ctx, "SELECT COUNT(*) FROM itsmsync_schema_migrations").Scan(&rows))
		assert.Equal(t, migrationCount, rows, "each migration recorded once")
	})
}

func TestTablePrefixesKeepStoresApart(t *testing.T) {
	engines(t, func(t *testing.T, open func() *sql.DB, d sqlstore.Dialect) {
		ctx := context.Background()
		db := open()
		a, err := sqlstore.New(db, d)
		require.NoError(t, err)
		b, err := sqlstore.New(db, d, sqlstore.WithTablePrefix("other_"))
		require.NoError(t, err)
		require.NoError(t, a.Migrate(ctx))
		require.NoError(t, b.Migrate(ctx))
		require.NoError(t, a.PutIntegration(ctx, itsm.Integration{ID: "a", Workspace: "w"}))
		require.NoError(t, b.PutIntegration(ctx, itsm.Integration{ID: "b", Workspace: "w"}))
		got, err := b.GetIntegrationByWorkspace(ctx, "w")
		require.NoError(t, err)
		assert.Equal(t, "b", got.ID)
	})
}

func TestSchemaOption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := sqlstoretest.PostgresDSN(t) // search_path is another schema
	db := sqlstoretest.OpenPostgresDSN(t, dsn)
	var sp string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&sp))
	named := sp + "_named" // a second schema, dropped here (the test's own is dropped by sqlstoretest)
	t.Cleanup(func() {
		_, err := db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+named+" CASCADE")
		assert.NoError(t, err)
	})
	s, err := sqlstore.New(db, sqlstore.Postgres, sqlstore.WithSchema(named))
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: "c", TicketID: "T"}))
	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+named+".itsmsync_links").Scan(&n))
	assert.Equal(t, 1, n)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, latestVersion, v)
}
