package jira_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/providers/jira"
)

// TestLookupReturnsEveryLabelledIssue: the preset's lookup (JQL on the
// label, oldest first, labels asked for and checked) returns every issue
// carrying the case's key, oldest first, and none of another case.
func TestLookupReturnsEveryLabelledIssue(t *testing.T) {
	t.Parallel()
	for _, d := range deployments() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			_, conn, cfg := setup(t, d)
			c := itsm.Case{ID: "CASE-1", Title: "one", Severity: itsm.SeverityLow, Status: itsm.StatusOpen}
			other := itsm.Case{ID: "CASE-2", Title: "two", Severity: itsm.SeverityLow, Status: itsm.StatusOpen}
			first, err := conn.Create(ctx, syncReq(cfg, &c))
			require.NoError(t, err)
			_, err = conn.Create(ctx, syncReq(cfg, &other))
			require.NoError(t, err)
			second, err := conn.Create(ctx, syncReq(cfg, &c)) // a late duplicate
			require.NoError(t, err)

			found, err := conn.Find(ctx, syncReq(cfg, &c))
			require.NoError(t, err)
			require.Len(t, found, 2)
			assert.Equal(t, []string{first.ID, second.ID}, []string{found[0].ID, found[1].ID}, "oldest first")
			assert.Equal(t, first.Key, found[0].Key)
		})
	}
}

// TestLookupProvesTheLabel: should the search list issues that do not
// carry the label (here a proxy drops the JQL's label clause, the way a
// filter an ITSM ignores would), the lookup still returns only the issues
// whose labels hold the key.
func TestLookupProvesTheLabel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := deployments()[0]
	srv := itsmtest.NewServer(d.auth)
	t.Cleanup(srv.Close)
	target, err := url.Parse(srv.URL())
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	direct := proxy.Director
	proxy.Director = func(r *http.Request) {
		direct(r)
		if strings.Contains(r.URL.Path, "/search") {
			q := r.URL.Query()
			q.Set("jql", "project = SEC ORDER BY created ASC")
			r.URL.RawQuery = q.Encode()
		}
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	cfg, err := jira.Preset(d.opts(front.URL))
	require.NoError(t, err)
	cfg.ID = "int-proxy"
	conn, err := jira.NewConnector(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })

	c := itsm.Case{ID: "CASE-1", Title: "one", Severity: itsm.SeverityLow, Status: itsm.StatusOpen}
	other := itsm.Case{ID: "CASE-2", Title: "two", Severity: itsm.SeverityLow, Status: itsm.StatusOpen}
	_, err = conn.Create(ctx, syncReq(cfg, &other))
	require.NoError(t, err)
	none, err := conn.Find(ctx, syncReq(cfg, &c))
	require.NoError(t, err)
	assert.Empty(t, none, "the other case's issue is listed but not ours")
	tk, err := conn.Create(ctx, syncReq(cfg, &c))
	require.NoError(t, err)
	found, err := conn.Find(ctx, syncReq(cfg, &c))
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, tk.ID, found[0].ID)
}
