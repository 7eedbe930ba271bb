package httpconn_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// TestOAuth2TokenRequestObeysAllowedHosts: the token endpoint receives the
// client secret, so it is held to the allow-list like the ITSM's URLs: a
// config naming another host is refused on save and by the constructor
// (and at run time the token requests go through the same guard).
func TestOAuth2TokenRequestObeysAllowedHosts(t *testing.T) {
	var tokenCalls, apiCalls atomic.Int32
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"tok-123","token_type":"bearer","expires_in":3600}`))
	}))
	t.Cleanup(tokenSrv.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiCalls.Add(1)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"1","key":"SEC-1"}`))
	}))
	t.Cleanup(api.Close)

	apiHost := mustHost(t, api.URL)
	for _, tc := range []struct {
		name    string
		allowed []string
		wantErr bool
	}{
		{"token host allowed", []string{apiHost, mustHost(t, tokenSrv.URL)}, false},
		{"token host not allowed", []string{apiHost}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokenCalls.Store(0)
			apiCalls.Store(0)
			cfg := jiraConfig(api.URL)
			cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthOAuth2, OAuth2: &httpconn.OAuth2Config{
				TokenURL: tokenSrv.URL + "/token", ClientID: "client", ClientSecret: "client-Secret-42",
			}}
			cfg.Network.AllowedHosts = tc.allowed
			verr := cfg.Validate()
			conn, err := httpconn.New(cfg)
			if tc.wantErr {
				// Refused on save, naming the field, and by the constructor:
				// the client secret is never sent there.
				require.Error(t, verr)
				assert.Contains(t, verr.Error(), "auth.oauth2.token_url")
				require.Error(t, err)
				assert.ErrorIs(t, err, itsm.ErrInvalidConfig)
				assert.NotContains(t, err.Error(), "client-Secret-42")
				assert.Zero(t, tokenCalls.Load(), "the token endpoint must not be reached")
				return
			}
			require.NoError(t, verr)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := sampleCase()
			_, err = conn.Create(ctx, itsm.SyncRequest{Case: &c})
			require.NoError(t, err)
			assert.Equal(t, int32(1), tokenCalls.Load())
			assert.Equal(t, int32(1), apiCalls.Load())
		})
	}
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}
