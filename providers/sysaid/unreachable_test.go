package sysaid_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/sysaid"
)

// TestLoginNoAnswer: a session login that gets no useful answer — refused,
// a 503, or no answer before the connector's timeout — fails the request with an
// error that wraps itsm.ErrUnreachable (and sysaid.ErrLogin) and is
// temporary; the connector's timeout is not the caller's deadline.
func TestLoginNoAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		login http.HandlerFunc
	}{
		{"login refused (nothing listens)", nil},
		{"login answers 503", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }},
		{"login hangs past the connector timeout", func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/login") {
					tc.login(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"id":"148"}`))
			}))
			t.Cleanup(srv.Close)
			if tc.login == nil {
				srv.Close()
			}
			c := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, func(cfg *httpconn.Config) {
				cfg.Timeouts.Request = httpconn.Duration(200 * time.Millisecond)
				cfg.Retry.MaxAttempts = 1
			})
			cs := sampleCase(itsm.StatusOpen)
			_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
			require.Error(t, err)
			assert.ErrorIs(t, err, itsm.ErrUnreachable)
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
			var tmp interface{ Temporary() bool }
			require.True(t, errors.As(err, &tmp))
			assert.True(t, tmp.Temporary(), "%v", err)
			assert.NotContains(t, err.Error(), testPassword)
		})
	}
}
