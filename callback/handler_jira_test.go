package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/jira"
)

// TestHandlerJiraCaptures is the inbound "done when": the real Jira captures
// (Cloud and Server), signed with a secret the way Jira signs them
// (X-Hub-Signature: sha256=<hex>), go through the handler into case changes:
// TES-41 goes from In Progress to Done and its case is closed through
// statusmap.JiraStatuses(); the Server capture resolves TES-4; the comment
// reaches the updater; the deleted issue, linked to no case, is acknowledged
// and reported.
func TestHandlerJiraCaptures(t *testing.T) {
	created := readJiraFixture(t, "mattermost-webhook-issue-created.json")
	comment := readJiraFixture(t, "mattermost-webhook-cloud-comment-created.json")
	resolved := readJiraFixture(t, "mattermost-webhook-issue-updated-resolved.json")
	server := readJiraFixture(t, "mattermost-webhook-server-issue-updated-resolved.json")
	deleted := readJiraFixture(t, "mattermost-webhook-issue-deleted.json")

	env := setupHandler(t, func(c *callback.HandlerConfig) {
		c.Parser = jira.Parser{}
		c.DeliveryIDHeader = jira.DeliveryIDHeader
		c.Comments = true
		c.ApplyCreated = true // to show the ordering on real captures
	})
	ctx := context.Background()
	// case-1 ↔ TES-41 (id 10040) is set up; case-2 ↔ TES-4 (Server) by key.
	require.NoError(t, env.store.PutLink(ctx, itsm.Link{IntegrationID: hIntegration, CaseID: "case-2", TicketID: "TES-4"}))
	env.updater.statuses["case-2"] = itsm.StatusInProgress

	send := func(body []byte, delivery string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/itsm/callback/jira", bytesReader(body))
		for k, vs := range env.signer.Sign(body, time.Time{}) {
			r.Header[k] = vs
		}
		r.Header.Set(jira.DeliveryIDHeader, delivery)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		env.h.ServeHTTP(w, r)
		return w
	}

	// The issue was created from the case (Link exists): its initial "To Do"
	// maps to open.
	w := send(created, "wh-created")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, itsm.StatusOpen, env.updater.status("case-1"))
	env.updater.statuses["case-1"] = itsm.StatusInProgress // the analyst works on it

	// A comment in Jira reaches the case.
	w = send(comment, "wh-comment")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	// In Progress → Done in Jira Cloud: the case is closed.
	require.Equal(t, itsm.StatusInProgress, env.updater.status("case-1"))
	w = send(resolved, "wh-resolved")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, w.Body.String())
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))

	// Jira retries the delivery: nothing more happens.
	w = send(resolved, "wh-resolved")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String())

	// A late copy of the create (another delivery id) is stale: the case
	// is not reopened. The copy is re-serialized (another signed body):
	// the very same signed body under another, unsigned, delivery id is a
	// duplicate of the content already applied.
	var late bytes.Buffer
	require.NoError(t, json.Compact(&late, created))
	w = send(late.Bytes(), "wh-created-late")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":1,"ignored":0}`, w.Body.String())
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
	w = send(created, "wh-created-replayed")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String())
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))

	// Jira Server: In Progress → Resolved, no fieldId in the changelog.
	w = send(server, "wh-server")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-2"))

	// A deleted issue no case is linked to: acknowledged and reported.
	w = send(deleted, "wh-deleted")
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, env.unlinked, 1)
	assert.Equal(t, "IDT-19", env.unlinked[0].TicketKey)

	calls := env.updater.calls()
	require.Len(t, calls, 4)
	assert.Equal(t, callback.EventCreated, calls[0].Kind)
	assert.Equal(t, "High", calls[0].ITSMPriority)
	assert.Equal(t, itsm.SeverityHigh, calls[0].Severity)
	assert.Equal(t, callback.EventComment, calls[1].Kind)
	assert.Equal(t, "Added a comment", calls[1].Comment.Body)
	assert.Equal(t, callback.TicketChange{
		IntegrationID: hIntegration, CaseID: "case-1", TicketID: "10040", TicketKey: "TES-41",
		Kind: callback.EventUpdated, Status: itsm.StatusClosed, ITSMStatus: "Done",
		EventID: "changelog:10228", DeliveryID: "wh-resolved", OccurredAt: time.UnixMilli(1550286940507),
	}, calls[2])
	assert.Equal(t, "Resolved", calls[3].ITSMStatus)
	assert.Equal(t, "case-2", calls[3].CaseID)

	st, err := env.store.GetInboundState(ctx, hIntegration, "10040")
	require.NoError(t, err)
	assert.Equal(t, "Done", st.Status)
	assert.True(t, st.OccurredAt.Equal(time.UnixMilli(1550286940507)))
}

// TestHandlerJiraEchoOfOurTransition: the SDK moved TES-41 to Done itself;
// Jira's webhook about that transition is not applied back.
func TestHandlerJiraEchoOfOurTransition(t *testing.T) {
	resolved := readJiraFixture(t, "mattermost-webhook-issue-updated-resolved.json")
	env := setupHandler(t, func(c *callback.HandlerConfig) {
		c.Parser = jira.Parser{}
		c.DeliveryIDHeader = jira.DeliveryIDHeader
	})
	require.NoError(t, env.store.PutLink(context.Background(), itsm.Link{
		IntegrationID: hIntegration, CaseID: "case-1", TicketID: "10040", TicketKey: "TES-41",
		LastPushedStatus: "Done", LastPushedAt: time.UnixMilli(1550286940507).Add(-2 * time.Second),
	}))
	w := env.post(t, string(resolved), jira.DeliveryIDHeader, "wh-1")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":0,"ignored":1}`, w.Body.String())
	assert.Empty(t, env.updater.calls())
	assert.Equal(t, "echo of a pushed status", env.lastAudit(t).Reason)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// TestHandlerJiraCreatedIgnored: by default a linked ticket's "created"
// webhook, the echo of the SDK's own create, does not move the case back to
// open.
func TestHandlerJiraCreatedIgnored(t *testing.T) {
	created := readJiraFixture(t, "mattermost-webhook-issue-created.json")
	env := setupHandler(t, func(c *callback.HandlerConfig) {
		c.Parser = jira.Parser{}
		c.DeliveryIDHeader = jira.DeliveryIDHeader
	})
	w := env.post(t, string(created), jira.DeliveryIDHeader, "wh-1")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":0,"ignored":1}`, w.Body.String())
	assert.Empty(t, env.updater.calls())
	assert.Equal(t, itsm.StatusInProgress, env.updater.status("case-1"))
	assert.Equal(t, "ticket creation", env.lastAudit(t).Reason)
	_, advances := env.store.writes()
	assert.Zero(t, advances)
}
