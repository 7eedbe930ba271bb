package acceptance

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// A careless ITSM echoes every credential it received (Authorization, the
// secret header, the proxy-free API key) in its answers, whatever the status.
// Across failed creates, an unknown outcome, a 2xx without an id, and a
// lookup, no secret may reach an error, a log line or an audit event.
func TestSecretsNeverLeak(t *testing.T) {
	const secretHeader = "hdr-v3ry-s3cret"
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"400 echo", http.StatusBadRequest, `{"error":"bad","auth":"%AUTH%","hdr":"%HDR%"}`},
		{"500 echo on create", http.StatusInternalServerError, `<html><title>%AUTH%</title><body>%HDR%</body></html>`},
		{"201 without id", http.StatusCreated, `{"ok":true,"auth":"%AUTH%","hdr":"%HDR%"}`},
		{"401 plain text", http.StatusUnauthorized, `token %AUTH% rejected; header %HDR%`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet { // lookup: nothing found
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`[]`))
					return
				}
				b := strings.ReplaceAll(tt.body, "%AUTH%", r.Header.Get("Authorization"))
				b = strings.ReplaceAll(b, "%HDR%", r.Header.Get("X-Acme-Secret"))
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(b))
			}))
			t.Cleanup(srv.Close)
			cfg, err := webhook.Preset(webhook.Options{
				BaseURL: srv.URL + "/api",
				Auth:    httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: acmeToken},
				Network: httpconn.NetworkConfig{AllowLoopback: true},
				Lookup:  true, // the lookup is opt-in: it is one of the paths checked
			})
			require.NoError(t, err)
			cfg.SecretHeaders = map[string]string{"X-Acme-Secret": secretHeader}
			cfg.Retry.MaxAttempts = 1
			cfg = cfg.Merge(httpconn.Config{})
			require.NoError(t, cfg.Validate())

			var logs syncBuffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			var mu sync.Mutex
			var audit []itsm.AuditEvent
			sink := itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
				mu.Lock()
				audit = append(audit, e)
				mu.Unlock()
			})
			conn, err := httpconn.New(cfg, itsm.WithLogger(logger), itsm.WithAudit(sink),
				itsm.WithClock(noWait{}))
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			clk := newClock()
			syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: cfg.ID, LookupGrace: itsm.Off}, itsm.WithClock(clk), itsm.WithLogger(logger), itsm.WithAudit(sink))
			require.NoError(t, err)

			var errs []string
			for i := 0; i < 2; i++ { // the second sync resolves a pending create, if any
				_, err := syncer.Sync(ctx, itsm.Case{ID: "CASE-1", Title: "t"}, nil)
				require.Error(t, err)
				errs = append(errs, err.Error())
				clk.Add(time.Hour)
			}
			mu.Lock()
			aj, err := json.Marshal(audit)
			mu.Unlock()
			require.NoError(t, err)
			for what, text := range map[string]string{"errors": strings.Join(errs, "\n"), "logs": logs.String(), "audit": string(aj)} {
				for _, secret := range []string{acmeToken, secretHeader} {
					assert.NotContains(t, text, secret, "%s hold a secret:\n%s", what, text)
				}
			}
			assert.NotEmpty(t, audit)
		})
	}
}

// noWait is the system clock with retry waits skipped.
type noWait struct{ itsm.SystemClock }

func (noWait) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
