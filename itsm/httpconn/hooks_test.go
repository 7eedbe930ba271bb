package httpconn_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type countingRT struct {
	base http.RoundTripper
	n    *atomic.Int32
}

func (c countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	r = r.Clone(r.Context())
	r.Header.Set("X-Middleware", "seen")
	return c.base.RoundTrip(r)
}

func TestNewWithMiddleware(t *testing.T) {
	t.Parallel()
	var gotHeader atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		gotHeader.Store(r.Header.Get("X-Middleware"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"42"}`)
	}))
	t.Cleanup(srv.Close)
	cfg := httpconn.Config{Name: "mw", ID: "mw-test",
		Create:       httpconn.EndpointConfig{URL: srv.URL + "/tickets", Payload: `{"title":"$case_name"}`},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{URL: srv.URL + "/tickets/$ticket_id", Payload: `{"title":"$case_name"}`},
		Network:      httpconn.NetworkConfig{AllowLoopback: true},
	}
	var n atomic.Int32
	c, err := httpconn.NewWithHooks(cfg, httpconn.Hooks{Middleware: func(base http.RoundTripper) http.RoundTripper {
		require.NotNil(t, base)
		return countingRT{base: base, n: &n}
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	cs := httpconn.SampleCase
	tk, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.NoError(t, err)
	assert.Equal(t, "42", tk.ID)
	assert.Equal(t, int32(1), n.Load())
	assert.Equal(t, "seen", gotHeader.Load())

	// A bad config is the usual *ValidationError; zero hooks are
	// httpconn.New.
	bad := cfg
	bad.TicketIDPath = ""
	_, err = httpconn.NewWithHooks(bad, httpconn.Hooks{Middleware: func(b http.RoundTripper) http.RoundTripper { return b }})
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	plain, err := httpconn.NewWithHooks(cfg, httpconn.Hooks{})
	require.NoError(t, err)
	require.NoError(t, plain.Close())
}
