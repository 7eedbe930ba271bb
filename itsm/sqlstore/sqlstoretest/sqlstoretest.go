// Package sqlstoretest gives tests a real database for [sqlstore]: a fresh
// SQLite file, or a throwaway schema in the PostgreSQL server named by the
// environment variable ITSMSYNC_TEST_POSTGRES_DSN (bash .ci/postgres.sh
// starts one on loopback and prints the export line).
//
// Without that variable the PostgreSQL helpers skip the test with a message
// saying how to set it, except when CI is "true": there they fail it, because
// CI must run the PostgreSQL tests. Every helper cleans up after itself with
// t.Cleanup (pools closed, schemas dropped), so tests may run in parallel.
//
// It registers the drivers it uses: modernc.org/sqlite as "sqlite" and
// github.com/jackc/pgx/v5/stdlib as "pgx".
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/itsmsync/itsmsync/itsm/sqlstore"
)

// EnvPostgresDSN is the environment variable holding the DSN of the
// PostgreSQL database tests may use (they create and drop schemas in it).
const EnvPostgresDSN = "ITSMSYNC_TEST_POSTGRES_DSN"

// SkipMessage is why PostgreSQL tests skip when EnvPostgresDSN is unset.
const SkipMessage = "PostgreSQL not available: set " + EnvPostgresDSN + " (bash .ci/postgres.sh does it)"

// PostgresBaseDSN returns the DSN in EnvPostgresDSN. When it is unset it
// skips the test, or fails it when the environment variable CI is "true".
func PostgresBaseDSN(t testing.TB) string {
	t.Helper()
	dsn := strings.TrimSpace(os.Getenv(EnvPostgresDSN))
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(SkipMessage + "; CI=true requires the PostgreSQL tests to run")
		}
		t.Skip(SkipMessage)
	}
	return dsn
}

// PostgresDSN creates a schema with a random name in the database of
// EnvPostgresDSN and returns a DSN whose search_path is that schema, so
// every pool opened on it (sql.Open("pgx", dsn)) sees the same, otherwise
// empty database: open it twice to get two "replicas". The schema is dropped
// when the test ends. Skips or fails like [PostgresBaseDSN].
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := PostgresBaseDSN(t)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "itsmtest_" + hex.EncodeToString(b[:])

	admin := open(t, "pgx", base)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("sqlstoretest: create schema: %v", err)
	}
	_ = admin.Close()
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("sqlstoretest: drop schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("sqlstoretest: drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
}

// withSearchPath adds search_path=schema to a URL or keyword/value DSN.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// OpenPostgres opens a pool (driver "pgx") on a fresh schema (see
// [PostgresDSN]); the pool is closed and the schema dropped when the test
// ends.
func OpenPostgres(t testing.TB) *sql.DB {
	t.Helper()
	return OpenPostgresDSN(t, PostgresDSN(t))
}

// OpenPostgresDSN opens another pool (driver "pgx") on dsn, typically from
// [PostgresDSN]; it is closed when the test ends. The pool keeps up to
// [PostgresPoolSize] connections open and idle (database/sql keeps only 2
// idle by default, so a burst of concurrent calls would reconnect each time).
func OpenPostgresDSN(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db := open(t, "pgx", dsn)
	db.SetMaxOpenConns(PostgresPoolSize)
	db.SetMaxIdleConns(PostgresPoolSize)
	return db
}

// PostgresPoolSize is the connection limit of the pools this package opens
// on PostgreSQL: small enough that many parallel tests stay under the
// server's max_connections (.ci/postgres.sh sets 300).
const PostgresPoolSize = 8

// SQLiteDSN is the modernc.org/sqlite DSN this package uses for a database
// file: WAL journal with synchronous=NORMAL (durable across crashes of the
// process; a power loss may drop the last commits), a 10 s busy timeout and
// foreign keys on. The path is
// URI-escaped: a raw "#" or "?" (t.TempDir() of a subtest named "X#01"
// has one) would otherwise cut the file name short.
func SQLiteDSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
}

// OpenSQLiteDSN opens a pool (driver "sqlite") on dsn with one connection;
// it is closed when the test ends. Open the same DSN twice for two
// "processes" sharing one file.
func OpenSQLiteDSN(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db := open(t, "sqlite", dsn)
	db.SetMaxOpenConns(1)
	return db
}

// OpenSQLite opens a new SQLite database file in t.TempDir() (driver
// "sqlite", see [SQLiteDSN]) with one connection, as sqlstore recommends for
// SQLite; it is closed when the test ends.
func OpenSQLite(t testing.TB) *sql.DB {
	t.Helper()
	return OpenSQLiteDSN(t, SQLiteDSN(filepath.Join(t.TempDir(), "itsm.db")))
}

// NewSQLiteStore returns a migrated Store on [OpenSQLite].
func NewSQLiteStore(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	return newStore(t, OpenSQLite(t), sqlstore.SQLite, opts...)
}

// NewPostgresStore returns a migrated Store on [OpenPostgres]. Skips or fails
// like [PostgresBaseDSN].
func NewPostgresStore(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	return newStore(t, OpenPostgres(t), sqlstore.Postgres, opts...)
}

// NewPostgresStoreDSN returns a migrated Store on a new pool to dsn (from
// [PostgresDSN]): call it twice with one dsn for two replicas.
func NewPostgresStoreDSN(t testing.TB, dsn string, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	return newStore(t, OpenPostgresDSN(t, dsn), sqlstore.Postgres, opts...)
}

func newStore(t testing.TB, db *sql.DB, d sqlstore.Dialect, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(db, d, opts...)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	return s
}

func open(t testing.TB, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("sqlstoretest: open %s: %v", driver, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
