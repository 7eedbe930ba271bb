package callback_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
)

// TestHandlerReplayUnsignedDeliveryID: Jira's signature covers the body
// only, not X-Atlassian-Webhook-Identifier. A captured signed comment
// re-sent under fresh delivery ids (or none) is applied once.
func TestHandlerReplayUnsignedDeliveryID(t *testing.T) {
	env := setupHandler(t, func(c *callback.HandlerConfig) { c.Comments = true })
	body := `{"type":"commented","ticket":"10040","comment":{"id":"c-1","body":"please close"}}`
	w := env.post(t, body, "X-Atlassian-Webhook-Identifier", "wh-genuine")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, w.Body.String())
	for _, id := range []string{"wh-replay-1", "wh-replay-2", ""} {
		w := env.post(t, body, "X-Atlassian-Webhook-Identifier", id)
		require.Equal(t, http.StatusOK, w.Code)
		assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String(), "replay under %q", id)
	}
	assert.Len(t, env.updater.calls(), 1, "the comment is posted once")
	// The audit still shows the (unsigned) id each copy came with.
	assert.Equal(t, "wh-replay-2", env.audit.all()[2].DeliveryID)
}

// TestHandlerStaleReplayDoesNotBlockGenuineDelivery is the claim-poisoning
// attack: an old signed body is re-sent under the delivery id a genuine
// delivery will use later. It is stale (not applied); its claim must not
// make the genuine "Done" delivery with that id look like a duplicate.
func TestHandlerStaleReplayDoesNotBlockGenuineDelivery(t *testing.T) {
	env := setupHandler(t, nil)
	old := `{"type":"updated","ticket":"10040","status":"To Do","at":"2026-11-28T03:50:00Z"}`
	inProgress := `{"type":"updated","ticket":"10040","status":"In Progress","at":"2026-11-28T03:55:00Z"}`
	done := `{"type":"updated","ticket":"10040","status":"Done","at":"2026-11-28T03:59:00Z"}`
	require.Equal(t, http.StatusOK, env.post(t, old, "X-Atlassian-Webhook-Identifier", "d-1").Code)
	require.Equal(t, http.StatusOK, env.post(t, inProgress, "X-Atlassian-Webhook-Identifier", "d-2").Code)

	// The attacker replays the captured "To Do" under the next delivery id.
	w := env.post(t, old, "X-Atlassian-Webhook-Identifier", "d-3")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String())
	// ... and a copy of "In Progress" (stale now that it is applied? no:
	// equal is not newer, so it is stale or a duplicate, never applied).
	w = env.post(t, inProgress, "X-Atlassian-Webhook-Identifier", "d-3")
	require.Equal(t, http.StatusOK, w.Code)

	// The genuine delivery d-3 arrives: it is applied.
	w = env.post(t, done, "X-Atlassian-Webhook-Identifier", "d-3")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, w.Body.String())
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
}

// TestApplierStaleClaimReleased: a claim is kept only for an event that was
// applied or deliberately ignored, never for a stale one: the id a stale
// event came with is free for the next event.
func TestApplierStaleClaimReleased(t *testing.T) {
	env := setupHandler(t, nil)
	a := env.h.Applier()
	ctx := context.Background()
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	rep, err := a.Apply(ctx, "x-1", []callback.Event{{Kind: callback.EventUpdated, TicketID: "10040", Status: "In Progress", OccurredAt: at}})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Applied)
	rep, err = a.Apply(ctx, "x-2", []callback.Event{{Kind: callback.EventUpdated, TicketID: "10040", Status: "To Do", OccurredAt: at.Add(-time.Hour)}})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Stale)
	rep, err = a.Apply(ctx, "x-2", []callback.Event{{Kind: callback.EventUpdated, TicketID: "10040", Status: "Done", OccurredAt: at.Add(time.Hour)}})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Applied, "the stale event's claim was not kept")
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
	// Ignored events keep theirs: an unlinked ticket's delivery is a
	// duplicate the second time.
	ev := []callback.Event{{Kind: callback.EventUpdated, TicketID: "nope", Status: "Done", OccurredAt: at}}
	rep, err = a.Apply(ctx, "x-3", ev)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Ignored)
	rep, err = a.Apply(ctx, "x-3", ev)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Duplicate)
}

// TestHandlerStandardWebhooksSvixAliasDedup: the verifier accepts the
// svix-* spellings of the Standard Webhooks headers, so dedup must read
// svix-id too: a replay within the tolerance, in either spelling, is a
// duplicate.
func TestHandlerStandardWebhooksSvixAliasDedup(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	var v *callback.StandardWebhooksVerifier
	env := setupHandlerEnv(t, func(env *hEnv, c *callback.HandlerConfig) {
		var err error
		v, err = callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{Secrets: []string{secret}}, itsm.WithClock(env.clock))
		require.NoError(t, err)
		c.Verifier = v
		c.DeliveryIDHeader = "webhook-id"
		c.Comments = true
	})
	body := []byte(`{"type":"commented","ticket":"10040","comment":{"body":"from svix"}}`)
	send := func(svix bool, at time.Time) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		for k, vs := range v.SignHeaders("msg_svix_1", at, body) {
			if svix {
				k = "Svix-" + strings.TrimPrefix(k, "Webhook-")
			}
			r.Header[k] = vs
		}
		w := httptest.NewRecorder()
		env.h.ServeHTTP(w, r)
		return w
	}
	now := env.clock.Now()
	w := send(true, now)
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, w.Body.String())
	assert.Equal(t, "msg_svix_1", env.updater.calls()[0].DeliveryID)
	for _, svix := range []bool{true, false} {
		env.clock.Advance(time.Minute) // a retry, re-signed at a later time
		w = send(svix, env.clock.Now())
		require.Equal(t, http.StatusOK, w.Code)
		assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String(), "svix spelling %v", svix)
	}
	assert.Len(t, env.updater.calls(), 1)
}
