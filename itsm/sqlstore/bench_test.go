package sqlstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// benchBackends runs fn on a fresh store of each engine (PostgreSQL skips
// without ITSMSYNC_TEST_POSTGRES_DSN).
func benchBackends(b *testing.B, fn func(b *testing.B, s *sqlstore.Store)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, sqlstoretest.NewSQLiteStore(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, sqlstoretest.NewPostgresStore(b)) })
}

// BenchmarkLeaseCycle is the in-flight guard of one sync: acquire, release.
func BenchmarkLeaseCycle(b *testing.B) {
	benchBackends(b, func(b *testing.B, s *sqlstore.Store) {
		ctx := context.Background()
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			key := fmt.Sprint("sync:case-", n.Add(1))
			for pb.Next() {
				if _, err := s.AcquireLease(ctx, key, "h", t0, time.Minute); err != nil {
					b.Error(err)
					return
				}
				if err := s.ReleaseLease(ctx, key, "h"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkClaimDelivery is the inbound dedup of one webhook delivery.
func BenchmarkClaimDelivery(b *testing.B) {
	benchBackends(b, func(b *testing.B, s *sqlstore.Store) {
		ctx := context.Background()
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				ok, err := s.ClaimDelivery(ctx, "i", fmt.Sprint("d-", n.Add(1)), t0, time.Hour)
				if err != nil || !ok {
					b.Error(ok, err)
					return
				}
			}
		})
	})
}

// BenchmarkGetLinkByTicket is the inbound ticket -> case lookup.
func BenchmarkGetLinkByTicket(b *testing.B) {
	benchBackends(b, func(b *testing.B, s *sqlstore.Store) {
		ctx := context.Background()
		for i := range 1000 {
			id := fmt.Sprint(10000 + i)
			if err := s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: fmt.Sprint("case-", i), TicketID: id, TicketKey: "SEC-" + id}); err != nil {
				b.Fatal(err)
			}
		}
		var n atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.GetLinkByTicket(ctx, "i", fmt.Sprint("SEC-", 10000+n.Add(1)%1000)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
