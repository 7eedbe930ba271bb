package httpconn_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedConfig is the SIEM drawer's fields only: create, ticket id field,
// update, auth. No health URL, no get request.
func seedConfig(base string) httpconn.Config {
	return httpconn.Config{
		Name:         "JIRA ITSM",
		Create:       httpconn.EndpointConfig{Method: "POST", URL: base + "/rest/api/3/issue", Payload: `{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":$case_name}}`},
		TicketIDPath: "key",
		Update:       httpconn.EndpointConfig{Method: "PUT", URL: base + "/rest/api/3/issue/$ticket_id", Payload: `{"fields":{"summary":$case_name}}`},
		Auth:         httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "bot@example.com", Password: "pw-Sup3r-s3cret"},
		Network:      httpconn.NetworkConfig{AllowLoopback: true},
	}
}

func TestCheck_SeedShapedConfigAgainstFakeJira(t *testing.T) {
	t.Parallel()
	srv := itsmtest.NewServer(itsmtest.WithBasicAuth("bot@example.com", "pw-Sup3r-s3cret"))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	c := newConnector(t, seedConfig(srv.URL()))
	p, err := c.Probe()
	require.NoError(t, err)
	assert.Equal(t, httpconn.Probe{Kind: httpconn.ProbeJira, Method: "GET", URL: srv.URL() + "/rest/api/3/myself"}, p)
	require.NoError(t, c.Check(ctx))

	bad := seedConfig(srv.URL())
	bad.Auth.Password = "wrong"
	err = newConnector(t, bad).Check(ctx)
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	assert.NotContains(t, err.Error(), "wrong")
	assert.Zero(t, srv.Count(itsmtest.OpCreate), "a check creates nothing")
}

// recorder serves fixed answers by path and records requests.
type recorder struct {
	mu    sync.Mutex
	reqs  []string
	codes map[string]int
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, r.Method+" "+r.URL.RequestURI())
	rc.mu.Unlock()
	code, ok := rc.codes[r.URL.Path]
	if !ok {
		code = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(`{}`))
}

func TestCheck_Probes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		create   string
		codes    map[string]int
		wantKind httpconn.ProbeKind
		wantReq  string
		wantCode int // 0: passes
	}{
		{"servicenow one-row read", "/api/now/table/incident", map[string]int{"/api/now/table/incident": 200}, httpconn.ProbeServiceNow,
			"GET /api/now/table/incident?sysparm_limit=1&sysparm_fields=sys_id", 0},
		{"servicenow refused", "/api/now/table/incident", map[string]int{"/api/now/table/incident": 401}, httpconn.ProbeServiceNow,
			"GET /api/now/table/incident?sysparm_limit=1&sysparm_fields=sys_id", 401},
		{"origin answers 404", "/v1/tickets", nil, httpconn.ProbeOrigin, "GET /", 0},
		{"origin answers 200", "/v1/tickets", map[string]int{"/": 200}, httpconn.ProbeOrigin, "GET /", 0},
		{"origin answers 403", "/v1/tickets", map[string]int{"/": 403}, httpconn.ProbeOrigin, "GET /", 403},
		{"origin answers 500", "/v1/tickets", map[string]int{"/": 500}, httpconn.ProbeOrigin, "GET /", 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := &recorder{codes: tt.codes}
			srv := httptest.NewServer(rc)
			t.Cleanup(srv.Close)
			cfg := seedConfig(srv.URL)
			cfg.Create.URL = srv.URL + tt.create
			cfg.Update.URL = srv.URL + tt.create + "/$ticket_id"
			cfg.Retry.MaxAttempts = 1
			c := newConnector(t, cfg)
			p, err := c.Probe()
			require.NoError(t, err)
			assert.Equal(t, tt.wantKind, p.Kind)
			err = c.Check(context.Background())
			if tt.wantCode == 0 {
				require.NoError(t, err)
			} else {
				var he *httpconn.HTTPError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, tt.wantCode, he.StatusCode)
			}
			assert.Equal(t, []string{tt.wantReq}, rc.reqs)
		})
	}
}

func TestCheck_NetworkFailureFails(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there now
	cfg := seedConfig(base)
	cfg.Create.URL = base + "/v1/tickets"
	cfg.Update.URL = base + "/v1/tickets/$ticket_id"
	cfg.Retry.MaxAttempts = 1
	err := newConnector(t, cfg).Check(context.Background())
	var ne *httpconn.NetworkError
	require.ErrorAs(t, err, &ne)
}
