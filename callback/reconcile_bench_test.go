package callback_test

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkReconcilePass measures one pass over 100 open links whose
// tickets did not change (the steady state): list, read state, GET, compare.
// The connector is in-process, so this is the reconciler's own overhead.
func BenchmarkReconcilePass(b *testing.B) {
	env := rcSetup(b, nil)
	for i := range 100 {
		id := fmt.Sprintf("%d", 1000+i)
		l := fmt.Sprintf("C-%03d", i)
		env.link(b, l, id, nil)
		env.conn.set(id, "In Progress", "")
	}
	ctx := context.Background()
	if st, err := env.rec.RunOnce(ctx); err != nil || st.Applied != 100 {
		b.Fatalf("first pass: %+v %v", st, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		st, err := env.rec.RunOnce(ctx)
		if err != nil || st.Unchanged != 100 {
			b.Fatalf("pass: %+v %v", st, err)
		}
	}
}
