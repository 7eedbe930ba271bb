package memstore_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// TestLinksAgainstModel drives many random puts, replacements and deletes
// (enough links to split the case order into several chunks) and checks
// every index against a plain map.
func TestLinksAgainstModel(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	model := map[string]itsm.Link{}
	rng := rand.New(rand.NewPCG(1, 2))
	for op := range 6000 {
		caseID := fmt.Sprintf("case-%05d", rng.IntN(3000))
		switch r := rng.IntN(10); {
		case r < 7:
			l := itsm.Link{
				IntegrationID: "int-1",
				CaseID:        caseID,
				TicketID:      fmt.Sprint(rng.IntN(1_000_000)),
				TicketKey:     fmt.Sprint("SEC-", op),
				Closed:        rng.IntN(4) == 0,
			}
			require.NoError(t, s.PutLink(ctx, l))
			model[caseID] = l
		default:
			require.NoError(t, s.DeleteLink(ctx, "int-1", caseID))
			delete(model, caseID)
		}
	}
	require.Greater(t, len(model), 1024, "enough links for several chunks")

	for _, openOnly := range []bool{false, true} {
		var want []itsm.Link
		for _, id := range slices.Sorted(maps.Keys(model)) {
			if l := model[id]; !openOnly || !l.Closed {
				want = append(want, l)
			}
		}
		var got []itsm.Link
		after := ""
		for {
			page, err := s.ListLinks(ctx, "int-1", after, 97, openOnly)
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].CaseID
		}
		assert.Equal(t, want, got, "openOnly=%v", openOnly)
	}

	for _, l := range model {
		got, err := s.GetLinkByTicket(ctx, "int-1", l.TicketKey)
		require.NoError(t, err)
		assert.Equal(t, l, got)
		got, err = s.GetLinkByTicket(ctx, "int-1", l.TicketID)
		require.NoError(t, err)
		assert.Equal(t, l.TicketID, got.TicketID) // several cases may share a random ticket id
	}
}

// TestLinksSharingTicketsAgainstModel: many links name the same few tickets
// (by id or by key); after random puts, replacements and deletes the lookup
// by ticket answers as the documented rule says (a TicketID match wins over
// a TicketKey match, then the lowest CaseID).
func TestLinksSharingTicketsAgainstModel(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	model := map[string]itsm.Link{}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 4000 {
		caseID := fmt.Sprintf("case-%03d", rng.IntN(60))
		if rng.IntN(4) == 0 {
			require.NoError(t, s.DeleteLink(ctx, "int-1", caseID))
			delete(model, caseID)
			continue
		}
		l := itsm.Link{IntegrationID: "int-1", CaseID: caseID,
			TicketID: fmt.Sprint("T", rng.IntN(5)), TicketKey: fmt.Sprint("T", rng.IntN(5))}
		require.NoError(t, s.PutLink(ctx, l))
		model[caseID] = l
	}
	for k := range 6 {
		ticket := fmt.Sprint("T", k)
		var want *itsm.Link
		for _, id := range slices.Sorted(maps.Keys(model)) {
			l := model[id]
			if l.TicketID == ticket && (want == nil || want.TicketID != ticket) {
				want = &l
			} else if l.TicketKey == ticket && want == nil {
				want = &l
			}
		}
		got, err := s.GetLinkByTicket(ctx, "int-1", ticket)
		if want == nil {
			require.ErrorIs(t, err, itsm.ErrNotFound, ticket)
			continue
		}
		require.NoError(t, err, ticket)
		assert.Equal(t, *want, got, ticket)
	}
}
