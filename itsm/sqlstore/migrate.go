package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one versioned schema change: statements run in one
// transaction together with the row that records it.
type migration struct {
	version int
	name    string
	stmts   []string
}

// loadMigrations reads the embedded migrations of a dialect, ordered by
// version, with table names filled in.
func loadMigrations(d Dialect, t tableNames) ([]migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read migrations: %w", err)
	}
	repl := strings.NewReplacer("{p}", t.qualified(), "{n}", t.prefix)
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration %s: name must start with a positive version and _", name)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: read migration %s: %w", name, err)
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(name, ".sql"), stmts: splitStatements(repl.Replace(string(body)))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("sqlstore: two migrations with version %d", out[i].version)
		}
	}
	return out, nil
}

// splitStatements splits a migration script into statements: "--" comment
// lines are dropped and a statement ends with a line ending in ";". The
// migrations of this package hold no semicolons inside statements.
func splitStatements(script string) []string {
	var stmts []string
	var cur strings.Builder
	for line := range strings.SplitSeq(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		stmts = append(stmts, rest)
	}
	return stmts
}

// execer is what a migration step needs from a *sql.Tx or *sql.Conn.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Migrate creates the tables, or brings them up to the newest schema this
// version of the package knows. Each migration runs in its own transaction
// together with its row in the <prefix>schema_migrations table, so a failed
// migration leaves nothing half applied, and running Migrate again (or on
// every start) is harmless. Versions in the table that this package does not
// know (written by a newer release) are left alone.
//
// Concurrent Migrate calls are safe: on PostgreSQL each step holds a
// transaction-scoped advisory lock (pg_advisory_xact_lock, keyed by the
// schema and table prefix), so replicas starting together apply each
// migration once; on SQLite each step runs in a BEGIN IMMEDIATE transaction,
// which takes the database's write lock up front.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.dialect, s.tables)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := s.migrateOne(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion returns the highest migration version applied to the
// database, or 0 when Migrate never ran.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM "+s.tables.migrations).Scan(&v)
	if err != nil {
		// A missing table means no migration ran; the error text differs
		// by driver, so check for the table instead of parsing it.
		if ok, terr := s.migrationsTableExists(ctx); terr == nil && !ok {
			return 0, nil
		}
		return 0, storeErr("schema version", err)
	}
	return int(v.Int64), nil
}

func (s *Store) migrationsTableExists(ctx context.Context) (bool, error) {
	var n int
	var err error
	name := s.tables.prefix + "schema_migrations"
	if s.dialect == SQLite {
		err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&n)
	} else {
		err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = COALESCE(NULLIF($2, ''), current_schema())", name, s.tables.schema).Scan(&n)
	}
	return n > 0, err
}

func (s *Store) migrateOne(ctx context.Context, m migration) error {
	op := "migrate " + m.name
	step := func(ex execer) error {
		if s.dialect == Postgres {
			if s.tables.schema != "" {
				if _, err := ex.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+s.tables.schema); err != nil {
					return storeErr(op, err)
				}
			}
		}
		if _, err := ex.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+s.tables.migrations+
			" (version BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"); err != nil {
			return storeErr(op, err)
		}
		var one int
		err := ex.QueryRowContext(ctx, rebind(s.dialect, "SELECT 1 FROM "+s.tables.migrations+" WHERE version = ?"), m.version).Scan(&one)
		switch {
		case err == nil:
			return nil // already applied
		case !errors.Is(err, sql.ErrNoRows):
			return storeErr(op, err)
		}
		for _, stmt := range m.stmts {
			if _, err := ex.ExecContext(ctx, stmt); err != nil {
				return storeErr(op, err)
			}
		}
		if _, err := ex.ExecContext(ctx, rebind(s.dialect, "INSERT INTO "+s.tables.migrations+" (version, name, applied_at) VALUES (?, ?, ?)"),
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			return storeErr(op, err)
		}
		return nil
	}
	if s.dialect == Postgres {
		return s.inTx(ctx, op, func(tx *sql.Tx) error {
			// The lock key covers the schema the tables land in (the
			// explicit one, else the connection's current schema) and the
			// prefix, so unrelated stores do not wait for each other.
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1 || '.' || COALESCE(NULLIF($2, ''), current_schema(), ''), 0))",
				"itsmsync/sqlstore/"+s.tables.prefix, s.tables.schema); err != nil {
				return storeErr(op, err)
			}
			return step(tx)
		})
	}
	// SQLite: BEGIN IMMEDIATE on one connection takes the write lock before
	// the version check, so two migrators cannot both see a version missing.
	// Opening a connection to a new file sets its journal mode (WAL), which
	// SQLite refuses at once with SQLITE_BUSY, busy timeout or not, while
	// another process does the same: that is retried, briefly.
	giveUp := time.Now().Add(10 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := s.migrateSQLite(ctx, op, step)
		if err == nil || !sqliteBusy(err) || time.Now().After(giveUp) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// sqliteBusy reports a SQLite "database is locked" (SQLITE_BUSY) error, in
// the words of modernc.org/sqlite and of the cgo driver alike.
func sqliteBusy(err error) bool {
	return strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "SQLITE_BUSY")
}

// migrateSQLite runs step on one connection in a BEGIN IMMEDIATE
// transaction.
func (s *Store) migrateSQLite(ctx context.Context, op string, step func(ex execer) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return storeErr(op, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return storeErr(op, err)
	}
	if err := step(conn); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return storeErr(op, err)
	}
	return nil
}
