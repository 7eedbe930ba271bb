package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// stLinkFixture returns a link with every field set.
func stLinkFixture(integrationID, caseID, ticketID string) itsm.Link {
	return itsm.Link{
		IntegrationID:    integrationID,
		CaseID:           caseID,
		TicketID:         ticketID,
		TicketKey:        "SEC-" + ticketID,
		URL:              "https://itsm.example.test/browse/SEC-" + ticketID,
		CreatedAt:        stAt(0),
		UpdatedAt:        stAt(90 * time.Second).In(stZoneEast),
		LastPushedStatus: "In Progress",
		LastPushedAt:     stAt(91 * time.Second),
	}
}

// stCaseID returns the i-th case id of a list fixture: fixed width, so the
// byte order is the number order under any collation.
func stCaseID(i int) string { return fmt.Sprintf("case-%03d", i) }

var stLinkCases = []stCase{
	{"GetMissing", func(t *testing.T, s Store) {
		_, err := s.GetLink(t.Context(), "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound, "GetLink")
		_, err = s.GetLinkByTicket(t.Context(), "int-1", "10001")
		stIs(t, err, itsm.ErrNotFound, "GetLinkByTicket")
	}},
	{"PutThenGet", func(t *testing.T, s Store) {
		l := stLinkFixture("int-1", "case-001", "10001")
		l.Closed = true
		require.NoError(t, s.PutLink(t.Context(), l))
		got, err := s.GetLink(t.Context(), "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(l), stLink(got))
	}},
	{"ZeroOptionalFields", func(t *testing.T, s Store) {
		l := itsm.Link{IntegrationID: "int-1", CaseID: "case-001", TicketID: "10001", CreatedAt: stAt(0), UpdatedAt: stAt(0)}
		require.NoError(t, s.PutLink(t.Context(), l))
		got, err := s.GetLink(t.Context(), "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(l), stLink(got))
		assert.True(t, got.LastPushedAt.IsZero(), "LastPushedAt not set must read back as the zero time, got %v", got.LastPushedAt)
	}},
	{"PutReplaces", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.PutLink(ctx, stLinkFixture("int-1", "case-001", "10001")))
		l2 := stLinkFixture("int-1", "case-001", "10002")
		l2.UpdatedAt = stAt(time.Hour)
		l2.LastPushedStatus = "Done"
		l2.LastPushedAt = stAt(time.Hour)
		l2.Closed = true
		require.NoError(t, s.PutLink(ctx, l2))
		got, err := s.GetLink(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(l2), stLink(got))
		_, err = s.GetLinkByTicket(ctx, "int-1", "10001")
		stIs(t, err, itsm.ErrNotFound, "the replaced link's old ticket id must no longer find it")
		_, err = s.GetLinkByTicket(ctx, "int-1", "SEC-10001")
		stIs(t, err, itsm.ErrNotFound, "the replaced link's old ticket key must no longer find it")
		got, err = s.GetLinkByTicket(ctx, "int-1", "10002")
		require.NoError(t, err)
		assert.Equal(t, stLink(l2), stLink(got))
		page, err := s.ListLinks(ctx, "int-1", "", 10, false)
		require.NoError(t, err)
		assert.Len(t, page, 1, "a replaced link is listed once")
	}},
	{"ByTicketIDOrKey", func(t *testing.T, s Store) {
		ctx := t.Context()
		l := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, s.PutLink(ctx, l))
		require.NoError(t, s.PutLink(ctx, stLinkFixture("int-1", "case-002", "10002")))
		for _, ref := range []string{"10001", "SEC-10001"} {
			got, err := s.GetLinkByTicket(ctx, "int-1", ref)
			require.NoError(t, err, ref)
			assert.Equal(t, stLink(l), stLink(got), ref)
		}
		for _, ref := range []string{"1000", "SEC-1000", "10003", "sec-10001", ""} {
			_, err := s.GetLinkByTicket(ctx, "int-1", ref)
			stIs(t, err, itsm.ErrNotFound, "ticket %q", ref)
		}
	}},
	{"ByTicketWithoutKey", func(t *testing.T, s Store) {
		ctx := t.Context()
		l := stLinkFixture("int-1", "case-001", "10001")
		l.TicketKey = ""
		require.NoError(t, s.PutLink(ctx, l))
		got, err := s.GetLinkByTicket(ctx, "int-1", "10001")
		require.NoError(t, err)
		assert.Equal(t, stLink(l), stLink(got))
		_, err = s.GetLinkByTicket(ctx, "int-1", "")
		stIs(t, err, itsm.ErrNotFound, "an empty ticket reference must not match an empty TicketKey")
	}},
	{"ScopedByIntegration", func(t *testing.T, s Store) {
		ctx := t.Context()
		a := stLinkFixture("int-a", "case-001", "10001")
		b := stLinkFixture("int-b", "case-001", "20001")
		require.NoError(t, s.PutLink(ctx, a))
		require.NoError(t, s.PutLink(ctx, b))
		got, err := s.GetLink(ctx, "int-a", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(a), stLink(got))
		got, err = s.GetLink(ctx, "int-b", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(b), stLink(got))
		_, err = s.GetLinkByTicket(ctx, "int-a", "20001")
		stIs(t, err, itsm.ErrNotFound, "a ticket of another integration")
		_, err = s.GetLinkByTicket(ctx, "int-c", "10001")
		stIs(t, err, itsm.ErrNotFound, "an unknown integration")
		require.NoError(t, s.DeleteLink(ctx, "int-a", "case-001"))
		_, err = s.GetLink(ctx, "int-b", "case-001")
		assert.NoError(t, err, "deleting a link of one integration must keep the other's")
	}},
	{"Delete", func(t *testing.T, s Store) {
		ctx := t.Context()
		require.NoError(t, s.PutLink(ctx, stLinkFixture("int-1", "case-001", "10001")))
		require.NoError(t, s.PutLink(ctx, stLinkFixture("int-1", "case-002", "10002")))
		require.NoError(t, s.DeleteLink(ctx, "int-1", "case-001"))
		_, err := s.GetLink(ctx, "int-1", "case-001")
		stIs(t, err, itsm.ErrNotFound, "GetLink after delete")
		_, err = s.GetLinkByTicket(ctx, "int-1", "10001")
		stIs(t, err, itsm.ErrNotFound, "GetLinkByTicket after delete")
		_, err = s.GetLink(ctx, "int-1", "case-002")
		assert.NoError(t, err, "another case's link is kept")
		assert.NoError(t, s.DeleteLink(ctx, "int-1", "case-001"), "deleting a deleted link")
		assert.NoError(t, s.DeleteLink(ctx, "int-9", "case-404"), "deleting a link that never existed")
		page, err := s.ListLinks(ctx, "int-1", "", 10, false)
		require.NoError(t, err)
		require.Len(t, page, 1)
		assert.Equal(t, "case-002", page[0].CaseID)
	}},
	{"NotAliased", func(t *testing.T, s Store) {
		ctx := t.Context()
		l := stLinkFixture("int-1", "case-001", "10001")
		require.NoError(t, s.PutLink(ctx, l))
		page, err := s.ListLinks(ctx, "int-1", "", 10, false)
		require.NoError(t, err)
		require.Len(t, page, 1)
		page[0].TicketID = "mutated"
		page[0].Closed = true
		got, err := s.GetLink(ctx, "int-1", "case-001")
		require.NoError(t, err)
		assert.Equal(t, stLink(l), stLink(got), "mutating a listed link must not change the store")
	}},
}

// stPutListFixture stores links case-001..case-n of int-1 (in a shuffled
// order), closing those for which closed(i) is true, and one link of
// another integration; it returns the int-1 links in CaseID order.
func stPutListFixture(t *testing.T, s Store, n int, closed func(int) bool) []itsm.Link {
	t.Helper()
	links := make([]itsm.Link, n)
	for i := range n {
		l := stLinkFixture("int-1", stCaseID(i+1), fmt.Sprint(10001+i))
		l.Closed = closed != nil && closed(i+1)
		links[i] = l
	}
	// A fixed shuffle: insertion order must not matter.
	for k := range n {
		i := (k*7 + 3) % n
		if n%7 == 0 {
			i = n - 1 - k
		}
		require.NoError(t, s.PutLink(t.Context(), links[i]))
	}
	require.NoError(t, s.PutLink(t.Context(), stLinkFixture("int-2", stCaseID(1), "99999")))
	require.NoError(t, s.PutLink(t.Context(), stLinkFixture("int-0", stCaseID(2), "99998")))
	return links
}

// stListAll pages through ListLinks with limit and returns the pages.
func stListAll(t *testing.T, s Store, limit int, openOnly bool) [][]itsm.Link {
	t.Helper()
	var pages [][]itsm.Link
	after := ""
	for range 100 {
		page, err := s.ListLinks(t.Context(), "int-1", after, limit, openOnly)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), limit, "a page holds at most limit links")
		if len(page) == 0 {
			return pages
		}
		pages = append(pages, page)
		after = page[len(page)-1].CaseID
	}
	require.FailNow(t, "ListLinks never returned an empty page")
	return nil
}

var stListLinkCases = []stCase{
	{"Empty", func(t *testing.T, s Store) {
		page, err := s.ListLinks(t.Context(), "int-1", "", 10, false)
		require.NoError(t, err)
		assert.Empty(t, page)
	}},
	{"OrderedByCaseID", func(t *testing.T, s Store) {
		want := stPutListFixture(t, s, 9, nil)
		got, err := s.ListLinks(t.Context(), "int-1", "", 100, false)
		require.NoError(t, err)
		assert.Equal(t, stLinks(want), stLinks(got))
	}},
	{"Pagination", func(t *testing.T, s Store) {
		want := stPutListFixture(t, s, 7, nil)
		pages := stListAll(t, s, 3, false)
		require.Len(t, pages, 3)
		assert.Equal(t, stLinks(want[0:3]), stLinks(pages[0]))
		assert.Equal(t, stLinks(want[3:6]), stLinks(pages[1]))
		assert.Equal(t, stLinks(want[6:7]), stLinks(pages[2]))
	}},
	{"PaginationExactMultiple", func(t *testing.T, s Store) {
		want := stPutListFixture(t, s, 6, nil)
		pages := stListAll(t, s, 3, false)
		require.Len(t, pages, 2)
		assert.Equal(t, stLinks(want[0:3]), stLinks(pages[0]))
		assert.Equal(t, stLinks(want[3:6]), stLinks(pages[1]))
	}},
	{"AfterIsExclusive", func(t *testing.T, s Store) {
		want := stPutListFixture(t, s, 5, nil)
		got, err := s.ListLinks(t.Context(), "int-1", stCaseID(2), 10, false)
		require.NoError(t, err)
		assert.Equal(t, stLinks(want[2:]), stLinks(got), "after case-002")
		got, err = s.ListLinks(t.Context(), "int-1", stCaseID(5), 10, false)
		require.NoError(t, err)
		assert.Empty(t, got, "after the last case")
	}},
	{"AfterMissingCaseID", func(t *testing.T, s Store) {
		want := stPutListFixture(t, s, 5, nil)
		// "case-002x" sorts between case-002 and case-003 in any collation.
		got, err := s.ListLinks(t.Context(), "int-1", stCaseID(2)+"x", 10, false)
		require.NoError(t, err)
		assert.Equal(t, stLinks(want[2:]), stLinks(got))
		got, err = s.ListLinks(t.Context(), "int-1", "case-", 2, false)
		require.NoError(t, err)
		assert.Equal(t, stLinks(want[:2]), stLinks(got))
	}},
	{"OpenOnly", func(t *testing.T, s Store) {
		closed := func(i int) bool { return i%3 == 0 || i == 1 } // 1, 3, 6, 9 closed
		all := stPutListFixture(t, s, 10, closed)
		var open []itsm.Link
		for _, l := range all {
			if !l.Closed {
				open = append(open, l)
			}
		}
		require.Len(t, open, 6)
		got, err := s.ListLinks(t.Context(), "int-1", "", 100, true)
		require.NoError(t, err)
		assert.Equal(t, stLinks(open), stLinks(got))
		// Closed links are skipped before the limit: pages are full but
		// the last.
		pages := stListAll(t, s, 4, true)
		require.Len(t, pages, 2)
		assert.Equal(t, stLinks(open[:4]), stLinks(pages[0]))
		assert.Equal(t, stLinks(open[4:]), stLinks(pages[1]))
		// openOnly=false still lists the closed ones.
		got, err = s.ListLinks(t.Context(), "int-1", "", 100, false)
		require.NoError(t, err)
		assert.Equal(t, stLinks(all), stLinks(got))
	}},
	{"OpenOnlyAllClosed", func(t *testing.T, s Store) {
		stPutListFixture(t, s, 4, func(int) bool { return true })
		got, err := s.ListLinks(t.Context(), "int-1", "", 10, true)
		require.NoError(t, err)
		assert.Empty(t, got)
	}},
	{"ScopedByIntegration", func(t *testing.T, s Store) {
		stPutListFixture(t, s, 3, nil)
		got, err := s.ListLinks(t.Context(), "int-2", "", 10, false)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "99999", got[0].TicketID)
		got, err = s.ListLinks(t.Context(), "int-404", "", 10, false)
		require.NoError(t, err)
		assert.Empty(t, got)
	}},
	{"NonPositiveLimit", func(t *testing.T, s Store) {
		stPutListFixture(t, s, 3, nil)
		for _, limit := range []int{0, -1} {
			got, err := s.ListLinks(t.Context(), "int-1", "", limit, false)
			require.NoError(t, err, "limit %d", limit)
			assert.Empty(t, got, "limit %d returns no links", limit)
		}
	}},
}
