package itsm_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/itsmtest/storetest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// The engine benchmarks compare a sync through the Syncer with the same
// connector calls made directly (the raw round trip), against the itsmtest
// fake on loopback, at 1, 8 and 64 concurrent cases. Two shapes:
//
//   - first: a new case with one note — create + comment (the engine adds:
//     cooldown check ×2, lease acquire/release, link and pending reads,
//     pending create, complete pending, posted-notes read, mark posted,
//     start cooldown);
//   - again: a linked case whose note is already posted — update (the engine
//     adds the same checks, minus the create bookkeeping).
//
// Each shape runs with the raw connector ("raw"), the Syncer on memstore
// ("memstore") and, when ITSMSYNC_TEST_POSTGRES_DSN is set, the Syncer on
// PostgreSQL ("postgres"). Compare ns/op of a store with raw's at the same
// worker count: the difference is the engine's overhead. bench/engine.md
// records a run.

var benchWorkers = []int{1, 8, 64}

// runWorkers calls fn(i) for i in [0, b.N) from w goroutines.
func runWorkers(b *testing.B, w int, fn func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := fn(i); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

func benchServer(b *testing.B) (*itsmtest.Server, *httpconn.Connector) {
	b.Helper()
	srv := itsmtest.NewServer(itsmtest.WithoutRecording())
	b.Cleanup(srv.Close)
	cfg := fakeJiraConfig(srv.URL())
	// Loaded CI machines stall loopback requests for longer than the
	// tests' short timeout: use the defaults.
	cfg.Timeouts = httpconn.Timeouts{}
	cfg.Retry = httpconn.RetryConfig{}
	conn, err := httpconn.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return srv, conn
}

// benchStores returns the stores to run the engine on.
func benchStores(b *testing.B) map[string]func(b *testing.B) storetest.Store {
	out := map[string]func(b *testing.B) storetest.Store{
		"memstore": func(*testing.B) storetest.Store { return memstore.New() },
	}
	if os.Getenv(sqlstoretest.EnvPostgresDSN) != "" {
		out["postgres"] = func(b *testing.B) storetest.Store { return sqlstoretest.NewPostgresStore(b) }
	}
	return out
}

func benchCase(prefix string, i int) itsm.Case {
	return itsm.Case{ID: prefix + strconv.Itoa(i), Title: "Brute force on vpn-gw-01", Description: "Multiple failed logins", Severity: itsm.SeverityHigh}
}

var benchNote = []itsm.Note{{ID: "note-1", Text: "Blocked the source IP at the firewall."}}

// BenchmarkSyncFirst: a new case with one note (create + comment).
func BenchmarkSyncFirst(b *testing.B) {
	ctx := context.Background()
	for _, w := range benchWorkers {
		b.Run("raw/workers="+strconv.Itoa(w), func(b *testing.B) {
			_, conn := benchServer(b)
			b.ReportAllocs()
			runWorkers(b, w, func(i int) error {
				c := benchCase("raw-", i)
				req := itsm.SyncRequest{Case: &c, CorrelationKey: itsm.CorrelationKey(testIntegration, c.ID)}
				t, err := conn.Create(ctx, req)
				if err != nil {
					return err
				}
				_, err = conn.Comment(ctx, t, req, benchNote[0])
				return err
			})
		})
		for name, newStore := range benchStores(b) {
			b.Run(name+"/workers="+strconv.Itoa(w), func(b *testing.B) {
				_, conn := benchServer(b)
				s, err := itsm.NewSyncer(conn, newStore(b), itsm.SyncerConfig{IntegrationID: testIntegration})
				if err != nil {
					b.Fatal(err)
				}
				prefix := name + "-" + strconv.Itoa(w) + "-" + strconv.Itoa(b.N) + "-"
				b.ReportAllocs()
				runWorkers(b, w, func(i int) error {
					_, err := s.Sync(ctx, benchCase(prefix, i), benchNote)
					return err
				})
			})
		}
	}
}

// BenchmarkSyncAgain: a linked case whose note is already posted (update).
// Each worker syncs its own case over and over, with the cooldown disabled.
func BenchmarkSyncAgain(b *testing.B) {
	ctx := context.Background()
	for _, w := range benchWorkers {
		b.Run("raw/workers="+strconv.Itoa(w), func(b *testing.B) {
			_, conn := benchServer(b)
			tickets := make([]itsm.Ticket, w)
			for k := range tickets {
				c := benchCase("raw-", k)
				t, err := conn.Create(ctx, itsm.SyncRequest{Case: &c})
				if err != nil {
					b.Fatal(err)
				}
				tickets[k] = t
			}
			b.ReportAllocs()
			runWorkers(b, w, func(i int) error {
				k := i % w
				c := benchCase("raw-", k)
				_, err := conn.Update(ctx, tickets[k], itsm.SyncRequest{Case: &c})
				return err
			})
		})
		for name, newStore := range benchStores(b) {
			b.Run(name+"/workers="+strconv.Itoa(w), func(b *testing.B) {
				_, conn := benchServer(b)
				s, err := itsm.NewSyncer(conn, newStore(b), itsm.SyncerConfig{IntegrationID: testIntegration, CooldownPeriod: itsm.Off})
				if err != nil {
					b.Fatal(err)
				}
				for k := range w {
					if _, err := s.Sync(ctx, benchCase("again-", k), benchNote); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				// Worker slots: case k is synced by one goroutine at a time,
				// so no sync is refused as in progress.
				slots := make(chan int, w)
				for k := range w {
					slots <- k
				}
				runWorkers(b, w, func(int) error {
					k := <-slots
					defer func() { slots <- k }()
					_, err := s.Sync(ctx, benchCase("again-", k), benchNote)
					return err
				})
			})
		}
	}
}

// nopConn answers every call at once: with it a sync measures the engine
// alone (store bookkeeping, ordering, audit plumbing), no network.
type nopConn struct{ n atomic.Int64 }

func (c *nopConn) Create(context.Context, itsm.SyncRequest) (itsm.Ticket, error) {
	return itsm.Ticket{ID: strconv.FormatInt(c.n.Add(1), 10), Key: "SEC-1", URL: "https://itsm.example.com/browse/SEC-1"}, nil
}

func (c *nopConn) Update(_ context.Context, t itsm.Ticket, _ itsm.SyncRequest) (itsm.Ticket, error) {
	return t, nil
}

func (c *nopConn) Comment(context.Context, itsm.Ticket, itsm.SyncRequest, itsm.Note) (itsm.Comment, error) {
	return itsm.Comment{ID: "1"}, nil
}

func (c *nopConn) Get(_ context.Context, t itsm.Ticket) (itsm.Ticket, error) { return t, nil }

// BenchmarkSyncEngineOnly is the engine's own cost per sync (a connector
// that answers at once), for the two shapes above, single worker, on each
// store of benchStores.
func BenchmarkSyncEngineOnly(b *testing.B) {
	ctx := context.Background()
	for name, newStore := range benchStores(b) {
		b.Run("first/"+name, func(b *testing.B) {
			s, err := itsm.NewSyncer(&nopConn{}, newStore(b), itsm.SyncerConfig{IntegrationID: testIntegration})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := s.Sync(ctx, benchCase("c-", i), benchNote); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("again/"+name, func(b *testing.B) {
			s, err := itsm.NewSyncer(&nopConn{}, newStore(b), itsm.SyncerConfig{IntegrationID: testIntegration, CooldownPeriod: itsm.Off})
			if err != nil {
				b.Fatal(err)
			}
			c := benchCase("c-", 0)
			if _, err := s.Sync(ctx, c, benchNote); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sync(ctx, c, benchNote); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
