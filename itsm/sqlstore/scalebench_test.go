package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
	"github.com/itsmsync/itsmsync/statusmap"
)

// BenchmarkPostgresThroughput: two replicas (two Stores on separate pools,
// one schema) serve 64 concurrent cases against a connector that answers at
// once. "sync" is a first sync (create) per operation, "apply" an inbound
// status change of a linked ticket per operation. Reports syncs or applies
// per second and the p99 latency of one operation.
func BenchmarkPostgresThroughput(b *testing.B) {
	const workers = 64
	ctx := context.Background()
	run := func(b *testing.B, op func(worker, i int) error) {
		lat := make([][]time.Duration, workers)
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					t := time.Now()
					if err := op(w, i); err != nil {
						b.Error(err)
						return
					}
					lat[w] = append(lat[w], time.Since(t))
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		all := slices.Concat(lat...)
		slices.Sort(all)
		if len(all) > 0 {
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		}
	}
	b.Run("sync", func(b *testing.B) {
		dsn := sqlstoretest.PostgresDSN(b)
		var syncers [2]*itsm.Syncer
		for r := range syncers {
			s := sqlstoretest.NewPostgresStoreDSN(b, dsn)
			var err error
			syncers[r], err = itsm.NewSyncer(&instantConn{}, s, itsm.SyncerConfig{IntegrationID: "i"})
			require.NoError(b, err)
		}
		run(b, func(w, i int) error {
			_, err := syncers[w%2].Sync(ctx, itsm.Case{ID: fmt.Sprint("c-", i), Title: "Phishing", Status: itsm.StatusOpen}, nil)
			return err
		})
	})
	b.Run("apply", func(b *testing.B) {
		dsn := sqlstoretest.PostgresDSN(b)
		sm := statusmap.JiraStatuses()
		var appliers [2]*callback.Applier
		for r := range appliers {
			s := sqlstoretest.NewPostgresStoreDSN(b, dsn)
			if r == 0 {
				for c := range workers {
					id := fmt.Sprint(10000 + c)
					require.NoError(b, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: fmt.Sprint("c-", c), TicketID: id, TicketKey: "SEC-" + id}))
				}
			}
			var err error
			appliers[r], err = callback.NewApplier(callback.ApplierConfig{IntegrationID: "i", Store: s, StatusMap: &sm, Updater: nopUpdater{}})
			require.NoError(b, err)
		}
		t0 := time.Unix(1_700_000_000, 0)
		run(b, func(w, i int) error {
			ev := callback.Event{Kind: callback.EventUpdated, TicketID: fmt.Sprint(10000 + w), Status: "In Progress",
				EventID: fmt.Sprint("e-", i), OccurredAt: t0.Add(time.Duration(i) * time.Millisecond)}
			_, err := appliers[w%2].Apply(ctx, fmt.Sprint("d-", i), []callback.Event{ev})
			return err
		})
	})
}

// bulkLinks inserts n links (case bulk-1.., ticket 1000001.., key
// SEC-1000001..) with one INSERT ... SELECT.
func bulkLinks(b *testing.B, db *sql.DB, d sqlstore.Dialect, n int) {
	cols := "integration_id, case_id, ticket_id, ticket_key, url, created_at, updated_at, last_pushed_status, last_pushed_at, closed"
	vals := "'i', 'bulk-' || x, CAST(1000000 + x AS TEXT), 'SEC-' || (1000000 + x), 'https://itsm.example/browse/SEC-' || (1000000 + x)," +
		" 1700000000000000, 1700000000000000, 'In Progress', 1700000000000000, false"
	var q string
	if d == sqlstore.Postgres {
		q = "INSERT INTO itsmsync_links (" + cols + ") SELECT " + vals + " FROM generate_series(1, $1) AS g(x)"
	} else {
		q = "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < ?) INSERT INTO itsmsync_links (" + cols + ") SELECT " + vals + " FROM g"
	}
	_, err := db.ExecContext(context.Background(), q, n)
	require.NoError(b, err)
}

// dbBytes is the on-disk size of the links table with its indexes.
func dbBytes(b *testing.B, db *sql.DB, d sqlstore.Dialect) int64 {
	var n int64
	q := "SELECT pg_total_relation_size('itsmsync_links')"
	if d == sqlstore.SQLite {
		q = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
	}
	require.NoError(b, db.QueryRowContext(context.Background(), q).Scan(&n))
	return n
}

// BenchmarkScaling measures a first sync, an inbound apply and a link
// lookup with 10k, 100k and 1M cases
// already linked, on memstore, SQLite and PostgreSQL, and reports the bytes
// one linked case takes (memstore: heap; SQLite: database pages; PostgreSQL:
// table and indexes).
func BenchmarkScaling(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		for _, backend := range []string{"memstore", "sqlite", "postgres"} {
			b.Run(fmt.Sprintf("%s/%dk", backend, n/1000), func(b *testing.B) {
				var st syncStore
				var perCase float64
				switch backend {
				case "memstore":
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					m := memstore.New()
					for x := 1; x <= n; x++ {
						id := fmt.Sprint(1000000 + x)
						require.NoError(b, m.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: fmt.Sprint("bulk-", x), TicketID: id, TicketKey: "SEC-" + id,
							URL: "https://itsm.example/browse/SEC-" + id, CreatedAt: time.Unix(1_700_000_000, 0), UpdatedAt: time.Unix(1_700_000_000, 0),
							LastPushedStatus: "In Progress", LastPushedAt: time.Unix(1_700_000_000, 0)}))
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					perCase = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
					st = m
				default:
					d := sqlstore.Dialect(backend)
					var db *sql.DB
					if d == sqlstore.Postgres {
						db = sqlstoretest.OpenPostgres(b)
					} else {
						db = sqlstoretest.OpenSQLite(b)
					}
					s, err := sqlstore.New(db, d)
					require.NoError(b, err)
					require.NoError(b, s.Migrate(ctx))
					if d == sqlstore.Postgres {
						_, err = db.ExecContext(ctx, "VACUUM ANALYZE itsmsync_links")
						require.NoError(b, err)
					}
					base := dbBytes(b, db, d)
					bulkLinks(b, db, d, n)
					if d == sqlstore.Postgres {
						_, err = db.ExecContext(ctx, "ANALYZE itsmsync_links")
						require.NoError(b, err)
					}
					perCase = float64(dbBytes(b, db, d)-base) / float64(n)
					st = s
				}
				syncer, err := itsm.NewSyncer(&instantConn{}, st, itsm.SyncerConfig{IntegrationID: "i"})
				require.NoError(b, err)
				sm := statusmap.JiraStatuses()
				app, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: "i", Store: st, StatusMap: &sm, Updater: nopUpdater{}})
				require.NoError(b, err)
				rng := rand.New(rand.NewPCG(1, 2))
				t0 := time.Unix(1_700_000_000, 0)
				const rounds = 300
				var syncT, applyT, lookT time.Duration
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					for r := range rounds {
						t := time.Now()
						if _, err := syncer.Sync(ctx, itsm.Case{ID: fmt.Sprint("new-", i, "-", r), Title: "Phishing", Status: itsm.StatusOpen}, nil); err != nil {
							b.Fatal(err)
						}
						syncT += time.Since(t)
						x := 1 + rng.IntN(n)
						t = time.Now()
						ev := callback.Event{Kind: callback.EventUpdated, TicketID: fmt.Sprint(1000000 + x), Status: "Done",
							EventID: fmt.Sprint("e-", i, "-", r), OccurredAt: t0.Add(time.Duration(i*rounds+r+1) * time.Second)}
						if _, err := app.Apply(ctx, fmt.Sprint("d-", i, "-", r), []callback.Event{ev}); err != nil {
							b.Fatal(err)
						}
						applyT += time.Since(t)
						x = 1 + rng.IntN(n)
						t = time.Now()
						if _, err := st.GetLinkByTicket(ctx, "i", fmt.Sprint("SEC-", 1000000+x)); err != nil {
							b.Fatal(err)
						}
						lookT += time.Since(t)
					}
				}
				ops := float64(b.N * rounds)
				b.ReportMetric(float64(syncT.Microseconds())/ops, "µs/sync")
				b.ReportMetric(float64(applyT.Microseconds())/ops, "µs/apply")
				b.ReportMetric(float64(lookT.Nanoseconds())/ops/1000, "µs/lookup")
				b.ReportMetric(perCase, "B/case")
				b.ReportMetric(0, "ns/op") // one op is 300 rounds: the per-operation metrics above are the figures
			})
		}
	}
}
