package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
	"github.com/itsmsync/itsmsync/statusmap"
)

// syncStore is what the sync and inbound benchmarks need of a store.
type syncStore interface {
	itsm.SyncStore
	itsm.Cooldown
	callback.InboundStore
}

// syncBackends runs fn on memstore, SQLite and PostgreSQL (skipped without
// ITSMSYNC_TEST_POSTGRES_DSN).
func syncBackends(b *testing.B, fn func(b *testing.B, s syncStore)) {
	b.Run("memstore", func(b *testing.B) { fn(b, memstore.New()) })
	b.Run("sqlite", func(b *testing.B) { fn(b, sqlstoretest.NewSQLiteStore(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, sqlstoretest.NewPostgresStore(b)) })
}

// BenchmarkSyncStore is one sync or inbound apply against a connector that
// answers at once, so the time is the engine's plus the store's (memstore
// shows the engine alone): first sync (create), repeat sync with one new
// note (update + comment), inbound apply of a status change.
func BenchmarkSyncStore(b *testing.B) {
	ctx := context.Background()
	b.Run("first", func(b *testing.B) {
		syncBackends(b, func(b *testing.B, s syncStore) {
			syncer, err := itsm.NewSyncer(&instantConn{}, s, itsm.SyncerConfig{IntegrationID: "i"})
			require.NoError(b, err)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := syncer.Sync(ctx, itsm.Case{ID: fmt.Sprint("c-", i), Title: "Phishing", Status: itsm.StatusOpen}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	const cases = 256
	b.Run("repeat-note", func(b *testing.B) {
		syncBackends(b, func(b *testing.B, s syncStore) {
			clock := itsmtest.NewClock(time.Unix(1_700_000_000, 0))
			syncer, err := itsm.NewSyncer(&instantConn{}, s, itsm.SyncerConfig{IntegrationID: "i"}, itsm.WithClock(clock))
			require.NoError(b, err)
			for i := range cases {
				_, err := syncer.Sync(ctx, itsm.Case{ID: fmt.Sprint("c-", i), Title: "Phishing", Status: itsm.StatusOpen}, nil)
				require.NoError(b, err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%cases == 0 {
					clock.Advance(time.Hour) // past every case's cooldown
				}
				note := itsm.Note{ID: fmt.Sprint("n-", i), Text: "triaged", CreatedAt: clock.Now()}
				if _, err := syncer.Sync(ctx, itsm.Case{ID: fmt.Sprint("c-", i%cases), Title: "Phishing", Status: itsm.StatusOpen}, []itsm.Note{note}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("apply", func(b *testing.B) {
		syncBackends(b, func(b *testing.B, s syncStore) {
			for i := range cases {
				id := fmt.Sprint(10000 + i)
				require.NoError(b, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: fmt.Sprint("c-", i), TicketID: id, TicketKey: "SEC-" + id}))
			}
			sm := statusmap.JiraStatuses()
			app, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: "i", Store: s, StatusMap: &sm, Updater: nopUpdater{}})
			require.NoError(b, err)
			t0 := time.Unix(1_700_000_000, 0)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprint(10000 + i%cases)
				ev := callback.Event{Kind: callback.EventUpdated, TicketID: id, Status: "In Progress", EventID: fmt.Sprint("e-", i),
					OccurredAt: t0.Add(time.Duration(i) * time.Millisecond)}
				if _, err := app.Apply(ctx, fmt.Sprint("d-", i), []callback.Event{ev}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

var _ = sqlstore.Postgres
