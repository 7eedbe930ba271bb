package webhook_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// TestLookupIsOptIn: the generic preset has no lookup unless asked; with
// one, the fake's list (which ignores the correlation_key filter, like most
// list endpoints) lists every ticket and only the ticket carrying the key
// is returned.
func TestLookupIsOptIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := &fakeITSM{tickets: map[string]map[string]any{}, comments: map[string][]string{}, token: "tok"}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	opts := webhook.Options{BaseURL: srv.URL + "/api", Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok"},
		Network: httpconn.NetworkConfig{AllowLoopback: true}}

	cfg, err := webhook.Preset(opts)
	require.NoError(t, err)
	assert.Empty(t, cfg.Lookup.URL, "off by default")
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	assert.False(t, conn.CanFind())

	opts.Lookup = true
	cfg, err = webhook.Preset(opts)
	require.NoError(t, err)
	assert.Equal(t, "correlation_key", cfg.Lookup.MatchPath)
	cfg.ID = "int-generic"
	conn, err = httpconn.New(cfg)
	require.NoError(t, err)
	mine := sampleCase
	theirs := sampleCase
	theirs.ID = "CASE-OTHER"
	_, err = conn.Create(ctx, itsm.SyncRequest{Case: &theirs})
	require.NoError(t, err)
	none, err := conn.Find(ctx, itsm.SyncRequest{Case: &mine})
	require.NoError(t, err)
	assert.Empty(t, none, "the other case's ticket is listed, not returned")
	tk, err := conn.Create(ctx, itsm.SyncRequest{Case: &mine})
	require.NoError(t, err)
	found, err := conn.Find(ctx, itsm.SyncRequest{Case: &mine})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, tk.ID, found[0].ID)
}
