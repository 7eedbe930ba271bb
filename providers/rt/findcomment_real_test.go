package rt_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/rt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealRequestTrackerFindComment posts notes to the real Request Tracker
// .ci/rt.sh starts — one whose answer a proxy drops after RT recorded it —
// and finds each by its marker, while another note's marker is not found
// and an unknown ticket is an error.
func TestRealRequestTrackerFindComment(t *testing.T) {
	r := needRT(t)
	ctx := context.Background()
	proxy := newCommentDroppingProxy(t, r.URL)
	cfg, err := rt.Preset(r.options(proxy.URL))
	require.NoError(t, err)
	cfg.ID = "rt-fc-" + realRandomID(t)
	cfg.Retry.MaxAttempts = 1
	conn, err := rt.NewConnector(cfg, rt.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.True(t, conn.CanFindComments())

	cs := &itsm.Case{ID: "CASE-FC", Title: "Comment lookup", Description: "d", Severity: itsm.SeverityLow, Status: itsm.StatusOpen}
	req := itsm.SyncRequest{Case: cs}
	tk, err := conn.Create(ctx, req)
	require.NoError(t, err)

	posted := itsm.Note{ID: "n-posted", Text: "posted and answered"}
	lost := itsm.Note{ID: "n-lost", Text: "posted, answer dropped"}
	never := itsm.Note{ID: "n-never", Text: "never posted"}
	cm, err := conn.Comment(ctx, tk, req, posted)
	require.NoError(t, err)
	require.NotEmpty(t, cm.ID)
	proxy.drop.Store(true)
	_, err = conn.Comment(ctx, tk, req, lost)
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	require.False(t, proxy.drop.Load(), "the proxy dropped the comment's answer")

	assert.Len(t, r.transactions(t, tk.ID, "Comment"), 2, "RT recorded both comments")

	got, found, err := conn.FindComment(ctx, tk, req, posted)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, cm.ID, got.ID, "the comment id is the transaction id Comment returned")
	got, found, err = conn.FindComment(ctx, tk, req, lost)
	require.NoError(t, err)
	assert.True(t, found, "a comment whose answer was lost is found in RT")
	assert.NotEmpty(t, got.ID)
	_, found, err = conn.FindComment(ctx, tk, req, never)
	require.NoError(t, err)
	assert.False(t, found, "another note's marker does not match")

	_, _, err = conn.FindComment(ctx, itsm.Ticket{ID: "999999999"}, req, posted)
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he, "an unknown ticket is an error, not \"not found\"")
	assert.Equal(t, http.StatusNotFound, he.StatusCode)
}

// commentDroppingProxy forwards everything to RT; while drop is set, the
// next comment's answer is dropped after RT handled it.
type commentDroppingProxy struct {
	URL  string
	drop atomic.Bool
}

func newCommentDroppingProxy(t *testing.T, target string) *commentDroppingProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &commentDroppingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	director := rp.Director
	rp.Director = func(r *http.Request) { director(r); r.Host = u.Host }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/comment") && p.drop.CompareAndSwap(true, false) {
			out := r.Clone(r.Context())
			out.RequestURI = ""
			out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
			resp, err := http.DefaultTransport.RoundTrip(out)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}
