package httpconn_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// echoForms are the ways a server echoes a value back in an error body.
func echoForms(v string) string {
	blob := base64.StdEncoding.EncodeToString([]byte("{\"sub\":\"x\",\"tok\":\"" + v + "\"}"))
	return "denied for " + v + " (hex " + hex.EncodeToString([]byte(v)) + ") ctx=" + blob
}

// TestFetchedTokenRedacted: an ITSM that answers 403 echoing the OAuth2
// access token the connector fetched (raw, hex, inside a base64 blob) does
// not put it into the error, the audit event or the warn log.
func TestFetchedTokenRedacted(t *testing.T) {
	t.Parallel()
	const token = "AT-9f8e7d6c5b4a-opaque-Value"
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600})
			return
		}
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, echoForms(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))
	})
	cfg := jiraConfig(srv.URL)
	cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthOAuth2, OAuth2: &httpconn.OAuth2Config{
		TokenURL: srv.URL + "/token", ClientID: "client-1", ClientSecret: "client-Secret-1"}}
	var (
		mu     sync.Mutex
		events []itsm.AuditEvent
		logs   syncBuffer
	)
	c := newConnector(t, cfg, itsm.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		itsm.WithAudit(itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		})))
	cs := sampleCase()
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusForbidden, he.StatusCode)
	require.Contains(t, he.Body, "denied for", "the body is kept, only the token is removed")

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, events, 1)
	require.Contains(t, logs.String(), "request failed")
	for name, text := range map[string]string{"error": err.Error(), "body": he.Body, "audit": events[0].Error, "log": logs.String()} {
		assert.NotContains(t, text, token, name)
		assert.NotContains(t, text, hex.EncodeToString([]byte(token)), name)
		assert.NotContains(t, text, base64.RawStdEncoding.EncodeToString([]byte(token))[4:20], name)
	}
}
