package itsm_test

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
)

// TestOAuth2TokenRequestObeysAllowedHosts: the token endpoint is reached
// through the connector's network rules, allow-list included, so a config
// cannot send its client secret to a host the allow-list excludes.
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
			cfg.Auth = itsm.AuthConfig{Type: itsm.AuthOAuth2, OAuth2: &itsm.OAuth2Config{
				TokenURL: tokenSrv.URL + "/token", ClientID: "client", ClientSecret: "client-Secret-42",
			}}
			cfg.Network.AllowedHosts = tc.allowed
			conn, err := itsm.NewHTTPConnector(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := sampleCase()
			_, err = conn.Create(ctx, itsm.SyncRequest{Case: &c})
			if !tc.wantErr {
				require.NoError(t, err)
				assert.Equal(t, int32(1), tokenCalls.Load())
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, itsm.ErrHostNotAllowed)
			assert.NotContains(t, err.Error(), "client-Secret-42")
			assert.Zero(t, tokenCalls.Load(), "the token endpoint must not be reached")
			assert.Zero(t, apiCalls.Load(), "no request without credentials")
		})
	}
}

func mustHost(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}
