package memstore_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// seeded returns a store with n links, n tokens and n inbound states.
func seeded(b *testing.B, n int) *memstore.Store {
	b.Helper()
	ctx := b.Context()
	s := memstore.New()
	for i := range n {
		id := fmt.Sprint(10000 + i)
		if err := s.PutLink(ctx, itsm.Link{IntegrationID: "jira", CaseID: fmt.Sprintf("case-%06d", i), TicketID: id, TicketKey: "SEC-" + id}); err != nil {
			b.Fatal(err)
		}
		h := sha256.Sum256([]byte(id))
		if err := s.PutToken(ctx, itsm.CallbackToken{ID: id, IntegrationID: "jira", Hash: h[:], CreatedAt: base}); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkGetLinkByTicket(b *testing.B) {
	s := seeded(b, 10_000)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetLinkByTicket(ctx, "jira", "SEC-10042"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetTokenByHash(b *testing.B) {
	s := seeded(b, 1_000)
	ctx := b.Context()
	h := sha256.Sum256([]byte("10042"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetTokenByHash(ctx, h[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutLink(b *testing.B) {
	s := seeded(b, 10_000)
	ctx := b.Context()
	l := itsm.Link{IntegrationID: "jira", CaseID: "case-005000", TicketID: "15000", TicketKey: "SEC-15000"}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.PutLink(ctx, l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListLinksPage(b *testing.B) {
	s := seeded(b, 10_000)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ListLinks(ctx, "jira", "case-005000", 100, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyncBookkeeping is the store work of one first sync: lease,
// pending create, link, one note, release.
func BenchmarkSyncBookkeeping(b *testing.B) {
	s := memstore.New()
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		caseID := fmt.Sprint("case-", i)
		i++
		key := "sync/jira/" + caseID
		if _, err := s.AcquireLease(ctx, key, "r", base, time.Minute); err != nil {
			b.Fatal(err)
		}
		if err := s.CreatePending(ctx, itsm.PendingCreate{IntegrationID: "jira", CaseID: caseID}); err != nil {
			b.Fatal(err)
		}
		if err := s.CompletePending(ctx, itsm.Link{IntegrationID: "jira", CaseID: caseID, TicketID: caseID}); err != nil {
			b.Fatal(err)
		}
		if err := s.MarkNotePosted(ctx, itsm.PostedNote{IntegrationID: "jira", CaseID: caseID, NoteID: "n1"}); err != nil {
			b.Fatal(err)
		}
		if err := s.ReleaseLease(ctx, key, "r"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInboundBookkeeping is the store work of one inbound delivery:
// claim, ticket to case, advance the state.
func BenchmarkInboundBookkeeping(b *testing.B) {
	s := seeded(b, 10_000)
	ctx := b.Context()
	b.ReportAllocs()
	var v int64
	for b.Loop() {
		v++
		now := base.Add(time.Duration(v) * time.Millisecond)
		if ok, err := s.ClaimDelivery(ctx, "jira", fmt.Sprint("d-", v), now, 24*time.Hour); err != nil || !ok {
			b.Fatal(ok, err)
		}
		if _, err := s.GetLinkByTicket(ctx, "jira", "10042"); err != nil {
			b.Fatal(err)
		}
		if _, err := s.AdvanceInboundState(ctx, itsm.InboundState{IntegrationID: "jira", TicketID: "10042", Version: v, OccurredAt: now}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParallelAcquireRelease(b *testing.B) {
	s := memstore.New()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		key := fmt.Sprint("sync/jira/case-", n.Add(1))
		ctx := b.Context()
		for pb.Next() {
			if _, err := s.AcquireLease(ctx, key, "r", base, time.Minute); err != nil {
				b.Fatal(err)
			}
			if err := s.ReleaseLease(ctx, key, "r"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParallelGetLinkByTicket(b *testing.B) {
	s := seeded(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := b.Context()
		for pb.Next() {
			if _, err := s.GetLinkByTicket(ctx, "jira", "10042"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDeliveryClaimBytes reports the heap one remembered delivery
// claim takes (ids like "int-1" and a 36-character delivery id), the figure
// DefaultMaxDeliveries and DeliveryCap are documented with.
func BenchmarkDeliveryClaimBytes(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := memstore.New(memstore.WithMaxDeliveries(n))
		for i := range n {
			if _, err := s.ClaimDelivery(ctx, "int-1", fmt.Sprintf("%08d-aaaa-4bbb-8ccc-dddddddddddd", i), now, 72*time.Hour); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/claim")
		runtime.KeepAlive(s)
	}
}
