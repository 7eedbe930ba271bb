package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// RunOrphans runs the conformance suite of [itsm.OrphanStore] against the
// stores newStore returns: recording and listing (ordered by FoundAt then
// TicketID, cases and integrations kept apart), recording again keeping
// FoundAt and updating the key, URL and linked ticket (never blanking
// them), dismissing (ErrNotFound for an unknown orphan, idempotent, a
// dismissed orphan not recorded again), and RaceWorkers goroutines
// recording one orphan at once (one row).
//
// newStore is called inside each subtest and must return an empty store;
// it may use t.Cleanup and t.Skip.
func RunOrphans(t *testing.T, newStore func(t *testing.T) itsm.OrphanStore) {
	t.Helper()
	for _, c := range stOrphanCases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			require.NotNil(t, s, "newStore returned nil")
			c.run(t, s)
		})
	}
}

type stOrphanCase struct {
	name string
	run  func(t *testing.T, s itsm.OrphanStore)
}

func stOrphan(caseID, ticketID string, foundAt int) itsm.Orphan {
	return itsm.Orphan{IntegrationID: "int-1", CaseID: caseID, CorrelationKey: "itsmsync-00000000000000" + caseID[len(caseID)-2:],
		TicketID: ticketID, TicketKey: "SEC-" + ticketID, URL: "https://itsm.example.com/browse/SEC-" + ticketID,
		FoundAt: stTime(stAt(time.Duration(foundAt) * time.Second)), LinkedTicketID: "100"}
}

var stOrphanCases = []stOrphanCase{
	{"RecordAndList", func(t *testing.T, s itsm.OrphanStore) {
		ctx := context.Background()
		got, err := s.Orphans(ctx, "int-1", "case-01")
		require.NoError(t, err)
		assert.Empty(t, got, "none yet")
		b := stOrphan("case-01", "102", 2)
		a := stOrphan("case-01", "101", 2) // same FoundAt: by ticket id
		c := stOrphan("case-01", "099", 1)
		other := stOrphan("case-02", "201", 0)
		otherInteg := stOrphan("case-01", "301", 0)
		otherInteg.IntegrationID = "int-2"
		for _, o := range []itsm.Orphan{b, a, c, other, otherInteg} {
			require.NoError(t, s.RecordOrphan(ctx, o))
		}
		got, err = s.Orphans(ctx, "int-1", "case-01")
		require.NoError(t, err)
		assert.Equal(t, []itsm.Orphan{c, a, b}, got)
		got, err = s.Orphans(ctx, "int-2", "case-01")
		require.NoError(t, err)
		assert.Equal(t, []itsm.Orphan{otherInteg}, got)
	}},
	{"RecordAgainIsIdempotent", func(t *testing.T, s itsm.OrphanStore) {
		ctx := context.Background()
		first := stOrphan("case-01", "101", 1)
		require.NoError(t, s.RecordOrphan(ctx, first))
		again := first
		again.FoundAt = stTime(stAt(time.Minute))
		again.LinkedTicketID = "100b"
		again.URL = ""
		require.NoError(t, s.RecordOrphan(ctx, again))
		got, err := s.Orphans(ctx, "int-1", "case-01")
		require.NoError(t, err)
		want := first
		want.LinkedTicketID = "100b" // updated; FoundAt and URL kept
		assert.Equal(t, []itsm.Orphan{want}, got)
	}},
	{"Dismiss", func(t *testing.T, s itsm.OrphanStore) {
		ctx := context.Background()
		err := s.DismissOrphan(ctx, "int-1", "case-01", "101")
		require.ErrorIs(t, err, itsm.ErrNotFound)
		o := stOrphan("case-01", "101", 1)
		keep := stOrphan("case-01", "102", 1)
		require.NoError(t, s.RecordOrphan(ctx, o))
		require.NoError(t, s.RecordOrphan(ctx, keep))
		require.NoError(t, s.DismissOrphan(ctx, "int-1", "case-01", "101"))
		require.NoError(t, s.DismissOrphan(ctx, "int-1", "case-01", "101"), "dismissing twice is not an error")
		got, err := s.Orphans(ctx, "int-1", "case-01")
		require.NoError(t, err)
		assert.Equal(t, []itsm.Orphan{keep}, got)
		require.NoError(t, s.RecordOrphan(ctx, o), "found again")
		got, err = s.Orphans(ctx, "int-1", "case-01")
		require.NoError(t, err)
		assert.Equal(t, []itsm.Orphan{keep}, got, "a dismissed orphan stays dismissed")
		require.ErrorIs(t, s.DismissOrphan(ctx, "int-1", "case-02", "101"), itsm.ErrNotFound, "per case")
	}},
	{"ConcurrentRecord", func(t *testing.T, s itsm.OrphanStore) {
		ctx := context.Background()
		o := stOrphan("case-01", "101", 1)
		var wg sync.WaitGroup
		errs := make([]error, RaceWorkers)
		for i := range RaceWorkers {
			wg.Go(func() {
				oi := o
				oi.LinkedTicketID = fmt.Sprint("L", i%3)
				errs[i] = s.RecordOrphan(ctx, oi)
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		got, err := s.Orphans(ctx, "int-1", "case-01")
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, o.FoundAt, got[0].FoundAt)
	}},
}
