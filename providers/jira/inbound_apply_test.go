package jira_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/statusmap"
)

// recordingUpdater keeps every change the applier hands over.
type recordingUpdater struct {
	mu      sync.Mutex
	changes []callback.TicketChange
}

func (u *recordingUpdater) ApplyTicketChange(_ context.Context, c callback.TicketChange) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.changes = append(u.changes, c)
	return nil
}

func (u *recordingUpdater) comments() []callback.Comment {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []callback.Comment
	for _, c := range u.changes {
		if c.Comment != nil {
			out = append(out, *c.Comment)
		}
	}
	return out
}

const applyIntegration = "int-jira"

// newJiraApplier is an applier with comments on over a memstore holding
// links, and the updater it calls.
func newJiraApplier(t *testing.T, links ...itsm.Link) (*callback.Applier, *memstore.Store, *recordingUpdater) {
	t.Helper()
	store := memstore.New()
	for _, l := range links {
		l.IntegrationID = applyIntegration
		require.NoError(t, store.PutLink(context.Background(), l))
	}
	m := statusmap.JiraStatuses()
	sm, err := m.Compile()
	require.NoError(t, err)
	u := &recordingUpdater{}
	a, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: applyIntegration, Store: store, StatusMap: sm, Updater: u, Comments: true})
	require.NoError(t, err)
	return a, store, u
}

// applyCapture parses a capture and applies it as a delivery of its own
// (the handler's dedup key is a digest of each signed body: two deliveries
// of one comment have different keys).
func applyCapture(t *testing.T, a *callback.Applier, file string) callback.Report {
	t.Helper()
	events, err := jira.Parser{}.Parse(httptest.NewRequest("POST", "/", nil), readFixture(t, file))
	require.NoError(t, err)
	rep, err := a.Apply(context.Background(), "delivery:"+file, events)
	require.NoError(t, err)
	return rep
}

// TestApplyCommentOnce: Jira Server sent comment 10082 on PRJX-14 twice —
// as comment_created and inside jira:issue_updated (issue_commented) — two
// real captures of one comment. Whichever comes first is applied, the other
// is a duplicate; the edit of comment 10084 (comment_updated and
// issue_comment_edited, both real) is applied once, as an edit.
func TestApplyCommentOnce(t *testing.T) {
	t.Parallel()
	for _, order := range [][2]string{
		{"mattermost-webhook-server-comment-created.json", "mattermost-webhook-server-issue-updated-commented-1.json"},
		{"mattermost-webhook-server-issue-updated-commented-1.json", "mattermost-webhook-server-comment-created.json"},
	} {
		t.Run(order[0], func(t *testing.T) {
			t.Parallel()
			a, _, u := newJiraApplier(t, itsm.Link{CaseID: "case-1", TicketID: "10013", TicketKey: "PRJX-14"})
			first := applyCapture(t, a, order[0])
			assert.Equal(t, 1, first.Applied, "%+v", first.Results)
			second := applyCapture(t, a, order[1])
			assert.Equal(t, 0, second.Applied, "%+v", second.Results)
			assert.Equal(t, 1, second.Duplicate, "%+v", second.Results)
			require.Len(t, u.comments(), 1)
			assert.Equal(t, "10082", u.comments()[0].ID)
			assert.Equal(t, "unik", u.comments()[0].Body)

			for _, f := range []string{"mattermost-webhook-server-comment-updated.json", "mattermost-webhook-server-issue-updated-comment-edited.json"} {
				applyCapture(t, a, f)
			}
			cs := u.comments()
			require.Len(t, cs, 2, "the edit once")
			assert.Equal(t, "10084", cs[1].ID)
			assert.Equal(t, "and higher eeven higher", cs[1].Body)
			assert.Equal(t, time.Date(2019, 6, 4, 0, 53, 33, 665e6, time.UTC), cs[1].Edited.UTC())
		})
	}
}

// TestApplyIssueMoved: an issue moved to another project keeps its id and
// gets a new key; the link found by the id follows the key (and the view
// URL), and a delayed older move does not undo it.
func TestApplyIssueMoved(t *testing.T) {
	t.Parallel()
	a, store, u := newJiraApplier(t, itsm.Link{CaseID: "case-1", TicketID: "10040", TicketKey: "TES-41", URL: "https://x.atlassian.net/browse/TES-41"})
	rep := applyCapture(t, a, "derived-webhook-issue-moved.json")
	require.Len(t, rep.Results, 1)
	assert.Equal(t, itsm.OutcomeSuccess, rep.Results[0].Outcome)
	assert.Equal(t, "ticket key changed", rep.Results[0].Reason)
	l, err := store.GetLink(context.Background(), applyIntegration, "case-1")
	require.NoError(t, err)
	assert.Equal(t, "SEC-7", l.TicketKey)
	assert.Equal(t, "10040", l.TicketID)
	assert.Equal(t, "https://x.atlassian.net/browse/SEC-7", l.URL)
	assert.Empty(t, u.changes, "nothing to apply to the case")

	// A later event under the new key finds the link by id, as before.
	rep = applyCapture(t, a, "mattermost-webhook-issue-updated-resolved.json") // still says TES-41: an older delivery
	assert.Equal(t, 1, rep.Applied)
	l, err = store.GetLink(context.Background(), applyIntegration, "case-1")
	require.NoError(t, err)
	assert.Equal(t, "SEC-7", l.TicketKey, "an older event does not undo the move")

	// A move from a key the link no longer holds changes nothing.
	events, err := jira.Parser{}.Parse(httptest.NewRequest("POST", "/", nil), readFixture(t, "derived-webhook-issue-moved.json"))
	require.NoError(t, err)
	events[0].PreviousTicketKey, events[0].TicketKey = "OLD-1", "OLD-2"
	rep, err = a.Apply(context.Background(), "delivery:stale-move", events)
	require.NoError(t, err)
	assert.NotEqual(t, "ticket key changed", rep.Results[0].Reason)
	l, err = store.GetLink(context.Background(), applyIntegration, "case-1")
	require.NoError(t, err)
	assert.Equal(t, "SEC-7", l.TicketKey)
}
