package acceptance

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// cases records what the inbound handler applied.
type cases struct {
	mu      sync.Mutex
	changes []callback.TicketChange
}

func (c *cases) ApplyTicketChange(_ context.Context, ch callback.TicketChange) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes = append(c.changes, ch)
	return nil
}

func (c *cases) all() []callback.TicketChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]callback.TicketChange(nil), c.changes...)
}

// post sends body to the handler with the token as a bearer credential.
func post(t *testing.T, ctx context.Context, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// A callback token is shown once, authenticates the generic JSON webhook,
// and stops working the moment it is revoked.
func TestCallbackTokenLifecycle(t *testing.T) {
	ctx := testContext(t)
	a := newAcmeDesk(t, acmeToken)
	in, err := webhook.NewIntegration(webhook.Options{
		BaseURL: a.URL(),
		Auth:    httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: acmeToken},
		Network: httpconn.NetworkConfig{AllowLoopback: true},
	})
	require.NoError(t, err)
	in.Outbound = in.Outbound.Merge(httpconn.Config{})
	require.NoError(t, in.Validate())

	clk := newClock()
	store := memstore.New()
	conn, err := in.Connector()
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	syncer, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: in.Outbound.ID}, itsm.WithClock(clk))
	require.NoError(t, err)
	res, err := syncer.Sync(ctx, itsm.Case{ID: "CASE-9", Title: "phish", Status: itsm.StatusOpen}, nil)
	require.NoError(t, err)
	require.Equal(t, acmeFirstID, res.TicketID)

	tokens, err := callback.NewTokens(store, callback.TokensConfig{}, itsm.WithClock(clk))
	require.NoError(t, err)
	issued, err := tokens.Generate(ctx, callback.TokenRequest{IntegrationID: in.Outbound.ID, AppName: "AcmeDesk inbound"})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(issued.Token, callback.TokenPrefix))
	assert.NotContains(t, string(issued.Record.Hash), issued.Token, "only the hash is stored")
	other, err := tokens.Generate(ctx, callback.TokenRequest{IntegrationID: "another-integration", AppName: "other"})
	require.NoError(t, err)

	parser, err := in.Parser()
	require.NoError(t, err)
	updater := &cases{}
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: in.Outbound.ID,
			Store:         store,
			StatusMap:     &in.Outbound.StatusMap,
			Updater:       updater,
		},
		Verifier:         &callback.TokenVerifier{Tokens: tokens, IntegrationID: in.Outbound.ID},
		Parser:           parser,
		DeliveryIDHeader: callback.HeaderWebhookID,
	}, itsm.WithClock(clk))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	event := func(id, status string, at time.Time) string {
		// The id is sent as a JSON number, as AcmeDesk sends it.
		return `{"event_id": "` + id + `", "event": "ticket.updated", "occurred_at": "` + at.Format(time.RFC3339) +
			`", "ticket": {"id": ` + acmeFirstID + `, "status": "` + status + `"}}`
	}

	clk.Add(time.Hour) // long past the echo window of the push
	code, body := post(t, ctx, srv.URL, issued.Token, event("evt-1", "in_progress", clk.Now()))
	require.Equal(t, http.StatusOK, code, body)
	got := updater.all()
	require.Len(t, got, 1)
	assert.Equal(t, "CASE-9", got[0].CaseID)
	assert.Equal(t, acmeFirstID, got[0].TicketID, "a numeric ticket id in the webhook matches the link")
	assert.Equal(t, itsm.StatusInProgress, got[0].Status)

	for _, tt := range []struct {
		name, token string
	}{
		{"no token", ""},
		{"another integration's token", other.Token},
		{"tampered token", issued.Token[:len(issued.Token)-1] + "x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, ctx, srv.URL, tt.token, event("evt-x", "closed", clk.Now()))
			assert.Equal(t, http.StatusUnauthorized, code, body)
		})
	}

	require.NoError(t, tokens.Revoke(ctx, in.Outbound.ID, issued.Record.ID))
	clk.Add(time.Minute)
	code, body = post(t, ctx, srv.URL, issued.Token, event("evt-2", "closed", clk.Now()))
	assert.Equal(t, http.StatusUnauthorized, code, body)
	assert.NotContains(t, body, issued.Token)
	assert.Len(t, updater.all(), 1, "nothing applied after revocation")

	list, err := tokens.List(ctx, in.Outbound.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.False(t, list[0].RevokedAt.IsZero())
	assert.False(t, list[0].LastUsedAt.IsZero(), "the successful delivery touched the token")
}
