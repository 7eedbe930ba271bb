package sysaid_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// otherOrigin is a server on another origin (another port of 127.0.0.1)
// that records the Cookie and Authorization headers it receives.
type otherOrigin struct {
	mu      sync.Mutex
	cookies []string
	auth    []string
	status  int
}

func (o *otherOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.cookies = append(o.cookies, r.Header.Get("Cookie"))
	o.auth = append(o.auth, r.Header.Get("Authorization"))
	status := o.status
	o.mu.Unlock()
	writeJSON(w, status, map[string]any{"id": "999", "title": "elsewhere"})
}

// TestSessionCookieStaysOnItsOrigin: a redirect from SysAid to another
// origin (same host, another port) must not carry the JSESSIONID session,
// whatever the other origin answers (a 401 there must not trigger a login
// and a re-send with a fresh session either).
func TestSessionCookieStaysOnItsOrigin(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusOK, http.StatusUnauthorized} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			other := &otherOrigin{status: status}
			osrv := httptest.NewServer(other)
			t.Cleanup(osrv.Close)

			f, _ := newFakeSysAid(t, testUser, testPassword)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/v1/sr/999" {
					http.Redirect(w, r, osrv.URL+"/api/v1/sr/999", http.StatusFound)
					return
				}
				f.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)

			c := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, nil)
			_, _ = c.Get(context.Background(), itsm.Ticket{ID: "999"})

			other.mu.Lock()
			defer other.mu.Unlock()
			require.NotEmpty(t, other.cookies, "the redirect was followed")
			for i := range other.cookies {
				assert.NotContains(t, other.cookies[i], "JSESSIONID", "session cookie sent to another origin")
				assert.False(t, strings.Contains(other.cookies[i], "sess-"), "session id sent to another origin")
				assert.Empty(t, other.auth[i], "credentials sent to another origin")
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			assert.Equal(t, 1, f.logins, "a refusal by another origin is not a session expiry")
		})
	}
}

// TestSessionIDRedacted: a SysAid that answers 403 echoing the session id
// (raw, hex, base64) does not put it into the error, the audit event or
// the warn log.
func TestSessionIDRedacted(t *testing.T) {
	t.Parallel()
	f, _ := newFakeSysAid(t, testUser, testPassword)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/sr" {
			c, _ := r.Cookie("JSESSIONID")
			require.NotNil(t, c)
			writeJSON(w, http.StatusForbidden, map[string]any{"message": "session " + c.Value + " may not create",
				"trace": hex.EncodeToString([]byte(c.Value)), "ctx": base64.StdEncoding.EncodeToString([]byte("sid=" + c.Value + ";"))})
			return
		}
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	var (
		mu     sync.Mutex
		events []itsm.AuditEvent
		logs   strings.Builder
	)
	cfg := presetConfig(t, srv.URL)
	cfg.Network.AllowLoopback = true
	c, err := sysaid.NewConnector(cfg, sysaid.ConnectorConfig{}, itsm.WithClock(noWait{}),
		itsm.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))),
		itsm.WithAudit(itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		})))
	require.NoError(t, err)
	cs := sampleCase(itsm.StatusOpen)
	_, err = c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.Error(t, err)
	require.Contains(t, err.Error(), "may not create")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, events, 1)
	const sid = "sess-0001"
	for name, text := range map[string]string{"error": err.Error(), "audit": events[0].Error, "log": logs.String()} {
		assert.NotContains(t, text, sid, name)
		assert.NotContains(t, text, hex.EncodeToString([]byte(sid)), name)
		assert.NotContains(t, text, base64.RawStdEncoding.EncodeToString([]byte(sid))[:8], name)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
