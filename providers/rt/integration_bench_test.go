package rt_test

import (
	"context"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/rt"
	"github.com/stretchr/testify/require"
)

// BenchmarkRealRequestTracker measures the RT round trips of the preset's
// connector against the real RT of .ci/rt.sh (skipped without one): one
// create, update, comment, get and lookup per iteration of each
// sub-benchmark. ns/op is RT's answer time plus the SDK's own work; compare
// with the fake-server benchmarks for the SDK's share.
//
//	eval "$(bash .ci/rt.sh)"; go test -run '^$' -bench RealRequestTracker -benchtime 20x ./providers/rt/
func BenchmarkRealRequestTracker(b *testing.B) {
	r := needRT(b)
	ctx := context.Background()
	integrationID := "rt-bench-" + realRandomID(b)
	cfg, err := rt.Preset(r.options(r.URL))
	require.NoError(b, err)
	cfg.ID = integrationID
	conn, err := rt.NewConnector(cfg, rt.ConnectorConfig{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })

	cs := &itsm.Case{ID: "bench-" + realRandomID(b), Title: "Benchmark case \"x\" ünï", Description: "line 1\nline 2",
		Status: itsm.StatusOpen, Severity: itsm.SeverityMedium}
	req := itsm.SyncRequest{Case: cs, CorrelationKey: itsm.CorrelationKey(integrationID, cs.ID)}
	ticket, err := conn.Create(ctx, req) // also runs the one-time setup check
	require.NoError(b, err)

	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			c := *cs
			c.ID = cs.ID + "-" + realRandomID(b)
			if _, err := conn.Create(ctx, itsm.SyncRequest{Case: &c, CorrelationKey: itsm.CorrelationKey(integrationID, c.ID)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		statuses := []itsm.Status{itsm.StatusInProgress, itsm.StatusOpen}
		for i := 0; b.Loop(); i++ {
			c := *cs
			c.Status = statuses[i%2]
			if _, err := conn.Update(ctx, ticket, itsm.SyncRequest{Case: &c, CorrelationKey: req.CorrelationKey}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("comment", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := conn.Comment(ctx, ticket, req, itsm.Note{ID: realRandomID(b), Text: "benchmark note\nsecond line"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := conn.Get(ctx, ticket); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lookup", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if found, err := conn.Find(ctx, req); err != nil || len(found) != 1 {
				b.Fatal(found, err)
			}
		}
	})
}
