package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/itsmsync/itsmsync/itsm"
)

// BenchmarkSQLiteFirstSyncFloor runs the store's own SQLite statements of a
// first sync (lease write, case read, pending create, pending delete + link,
// cooldown + lease release), prepared, with no engine and no Store method
// around them, grouped into transactions four ways:
//
//   - store: as a first sync commits them today (4 commits: lease, pending,
//     completion, end);
//   - fold-begin: lease, read and pending create in one transaction (3
//     commits), what folding CreatePending into BeginSync would give;
//   - two-tx: the fewest commits the guarantees allow (lease and pending
//     before the create is sent, the rest after it);
//   - one-tx: everything in one commit, which no sync may do (the create is
//     sent between the two halves): the floor of these writes on SQLite.
//
// Compare with BenchmarkSyncStore/first/sqlite in the same run.
func BenchmarkSQLiteFirstSyncFloor(b *testing.B) {
	for _, mode := range []string{"store", "fold-begin", "two-tx", "one-tx"} {
		b.Run(mode, func(b *testing.B) { benchFirstSyncWrites(b, mode) })
	}
}

func benchFirstSyncWrites(b *testing.B, mode string) {
	run, _ := firstSyncWrites(b, mode, "")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := run(i); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSQLiteFirstSyncWALPages counts the pages a first sync's writes append
// to the WAL (checkpoints off, so the WAL only grows), by grouping: a
// deterministic figure for the I/O behind BenchmarkSQLiteFirstSyncFloor, and
// a guard against a schema change that makes a sync write more pages. Run
// with -v to see them.
func TestSQLiteFirstSyncWALPages(t *testing.T) {
	t.Parallel()
	const syncs = 200
	limits := map[string]float64{"store": 11, "fold-begin": 11, "two-tx": 11, "one-tx": 9}
	for _, mode := range []string{"store", "fold-begin", "two-tx", "one-tx"} {
		run, walPath := firstSyncWrites(t, mode, "&_pragma=wal_autocheckpoint(0)")
		fi, err := os.Stat(walPath)
		require.NoError(t, err)
		before := fi.Size()
		for i := range syncs {
			require.NoError(t, run(i))
		}
		fi, err = os.Stat(walPath)
		require.NoError(t, err)
		const frame = 24 + 4096 // frame header + default page size
		pages := float64(fi.Size()-before) / frame / syncs
		t.Logf("%s: %.1f WAL pages per first sync", mode, pages)
		assert.LessOrEqual(t, pages, limits[mode], mode)
	}
}

// firstSyncWrites opens a fresh SQLite store (the DSN of sqlstoretest plus
// extra) and returns a first sync's writes grouped by mode (see
// BenchmarkSQLiteFirstSyncFloor), for case number i, and the WAL's path.
func firstSyncWrites(tb testing.TB, mode, extra string) (func(i int) error, string) {
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "itsm.db")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)" + extra
	db, err := sql.Open("sqlite", dsn)
	require.NoError(tb, err)
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { _ = db.Close() })
	s, err := New(db, SQLite)
	require.NoError(tb, err)
	require.NoError(tb, s.Migrate(ctx))
	q := s.q
	stmts := map[string]*sql.Stmt{}
	for _, text := range []string{q.beginAcquire, q.beginRead[0], q.createPending, q.deletePending, q.putLink, q.startCooldown, q.releaseLease} {
		st, err := db.PrepareContext(ctx, text)
		require.NoError(tb, err)
		stmts[text] = st
	}
	now := time.Unix(1_700_000_000, 0)
	st := func(tx *sql.Tx, text string) *sql.Stmt {
		if tx == nil {
			return stmts[text]
		}
		return tx.StmtContext(ctx, stmts[text])
	}
	acquire := func(tx *sql.Tx, i int) error {
		req := itsm.BeginSyncRequest{LeaseKey: fmt.Sprint("sync:", i), Holder: "h", Now: now, TTL: time.Minute, CooldownKey: fmt.Sprint("cool:", i)}
		var k, h string
		var exp sql.NullInt64
		if err := st(tx, q.beginAcquire).QueryRowContext(ctx, beginArgs(req)...).Scan(&k, &h, &exp); err != nil {
			return err
		}
		rows, err := st(tx, q.beginRead[0]).QueryContext(ctx, "i", fmt.Sprint("c-", i), "i", fmt.Sprint("c-", i))
		if err != nil {
			return err
		}
		for rows.Next() {
			var r beginRow
			if err := r.scan(rows); err != nil {
				return err
			}
		}
		return rows.Close()
	}
	pending := func(tx *sql.Tx, i int) error {
		_, err := st(tx, q.createPending).ExecContext(ctx, "i", fmt.Sprint("c-", i), "ck", "in_flight", int64(1), timeArg(now), timeArg(now), "")
		return err
	}
	complete := func(tx *sql.Tx, i int) error {
		if _, err := st(tx, q.deletePending).ExecContext(ctx, "i", fmt.Sprint("c-", i)); err != nil {
			return err
		}
		id := fmt.Sprint(10000 + i)
		_, err := st(tx, q.putLink).ExecContext(ctx, linkArgs(itsm.Link{IntegrationID: "i", CaseID: fmt.Sprint("c-", i), TicketID: id,
			TicketKey: "SEC-" + id, URL: "https://itsm.example/SEC-" + id, CreatedAt: now, UpdatedAt: now})...)
		return err
	}
	end := func(tx *sql.Tx, i int) error {
		if _, err := st(tx, q.startCooldown).ExecContext(ctx, fmt.Sprint("cool:", i), timeArg(now.Add(time.Hour))); err != nil {
			return err
		}
		_, err := st(tx, q.releaseLease).ExecContext(ctx, fmt.Sprint("sync:", i), "h")
		return err
	}
	inTx := func(i int, fns ...func(*sql.Tx, int) error) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, fn := range fns {
			if err := fn(tx, i); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}
	run := map[string]func(i int) error{
		"store": func(i int) error {
			if err := acquire(nil, i); err != nil {
				return err
			}
			if err := pending(nil, i); err != nil {
				return err
			}
			if err := inTx(i, complete); err != nil {
				return err
			}
			return inTx(i, end)
		},
		"fold-begin": func(i int) error {
			if err := inTx(i, acquire, pending); err != nil {
				return err
			}
			if err := inTx(i, complete); err != nil {
				return err
			}
			return inTx(i, end)
		},
		"two-tx": func(i int) error {
			if err := inTx(i, acquire, pending); err != nil {
				return err
			}
			return inTx(i, complete, end)
		},
		"one-tx": func(i int) error { return inTx(i, acquire, pending, complete, end) },
	}[mode]
	return run, path + "-wal"
}
