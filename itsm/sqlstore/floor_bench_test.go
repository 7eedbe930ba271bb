package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// BenchmarkSQLiteStatementFloor is the cost of single SQLite store calls
// (modernc driver, WAL, synchronous NORMAL, one connection): the floor under
// BenchmarkSyncStore's per-sync figures. A point read, an autocommit write
// (one WAL commit each), and BeginSync/EndSync, a sync's first and last call.
func BenchmarkSQLiteStatementFloor(b *testing.B) {
	ctx := context.Background()
	s := sqlstoretest.NewSQLiteStore(b)
	require.NoError(b, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: "c", TicketID: "1"}))
	now := time.Unix(1_700_000_000, 0)
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.GetLink(ctx, "i", "c"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := s.StartCooldown(ctx, "k", now.Add(time.Duration(i))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("begin+end", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			floorSeq++
			key := fmt.Sprint("sync:", floorSeq)
			if _, err := s.BeginSync(ctx, itsm.BeginSyncRequest{LeaseKey: key, Holder: "h", Now: now, TTL: time.Minute,
				CooldownKey: "cool:" + key, IntegrationID: "i", CaseID: "c"}); err != nil {
				b.Fatal(err)
			}
			if err := s.EndSync(ctx, itsm.EndSyncRequest{LeaseKey: key, Holder: "h", CooldownKey: "cool:" + key, CooldownUntil: now.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// floorSeq numbers the cases of the floor benchmarks across runs (-count).
var floorSeq int

// BenchmarkSQLiteBeginEndParts splits BeginSync and EndSync, and compares
// them with AcquireLease of a new key (a new row, like BeginSync's).
func BenchmarkSQLiteBeginEndParts(b *testing.B) {
	ctx := context.Background()
	s := sqlstoretest.NewSQLiteStore(b)
	now := time.Unix(1_700_000_000, 0)
	b.Run("begin", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			key := fmt.Sprint("sync:", i)
			if _, err := s.BeginSync(ctx, itsm.BeginSyncRequest{LeaseKey: key, Holder: "h", Now: now, TTL: time.Minute,
				CooldownKey: "cool:" + key, IntegrationID: "i", CaseID: "c"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("end", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			key := fmt.Sprint("sync:", i)
			if err := s.EndSync(ctx, itsm.EndSyncRequest{LeaseKey: key, Holder: "h", CooldownKey: "cool:" + key, CooldownUntil: now.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("acquire", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.AcquireLease(ctx, fmt.Sprint("l:", i), "h", now, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}
