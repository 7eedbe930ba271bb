package sysaid_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	testUser     = "itsm-bot"
	testPassword = "p@ss w0rd+&="
)

func presetConfig(t *testing.T, base string) httpconn.Config {
	t.Helper()
	cfg, err := sysaid.Preset(sysaid.Options{BaseURL: base, Username: testUser, Password: testPassword,
		Info: map[string]string{"problem_type": "Security", "sr_type": "1"}})
	require.NoError(t, err)
	cfg.ID = "sysaid-test"
	return cfg
}

func sampleCase(st itsm.Status) itsm.Case {
	c := httpconn.SampleCase
	c.Status = st
	return c
}

func TestPresetValidates(t *testing.T) {
	t.Parallel()
	cfg := presetConfig(t, "https://acme.sysaidit.com")
	require.NoError(t, cfg.Validate())
	assert.Equal(t, httpconn.AuthBasic, cfg.Auth.Type)
	assert.Equal(t, "id", cfg.TicketIDPath)
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.NotContains(t, string(b), testPassword)
}

func TestPresetBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   sysaid.Options
		msg    string
		fields []string
	}{
		{"no url", sysaid.Options{Username: "u", Password: testPassword}, "base_url: is required", []string{"base_url"}},
		{"plain http", sysaid.Options{BaseURL: "http://acme.sysaidit.com", Username: "u"}, "base_url: must use https", []string{"base_url"}},
		{"path", sysaid.Options{BaseURL: "https://acme.sysaidit.com/api/v1", Username: "u"}, "base_url: must be the base URL, without path or query", []string{"base_url"}},
		{"no user", sysaid.Options{BaseURL: "https://acme.sysaidit.com", Password: testPassword}, "username: is required", []string{"username"}},
		{"bad info key", sysaid.Options{BaseURL: "https://acme.sysaidit.com", Username: "u", Info: map[string]string{`a"b`: "x"}}, "info: key", []string{"info"}},
		{"long info value", sysaid.Options{BaseURL: "https://acme.sysaidit.com", Username: "u", Info: map[string]string{"sr_type": strings.Repeat("x", 4097)}}, "info.sr_type: ", []string{"info.sr_type"}},
		{"everything at once", sysaid.Options{BaseURL: "ftp://x", Username: "a:b", Password: testPassword, Info: map[string]string{"": "x"}}, "base_url: must use https", []string{"base_url", "username", "info"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sysaid.Preset(tc.opts)
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.msg)
			assert.NotContains(t, err.Error(), testPassword)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			var fields []string
			for _, fe := range ve.Errors {
				fields = append(fields, fe.Field)
			}
			assert.Equal(t, tc.fields, fields)
			assert.Equal(t, err, tc.opts.Validate(), "Preset reports what Validate reports")
		})
	}
}

func TestNewConnectorNeedsBasicAuth(t *testing.T) {
	t.Parallel()
	cfg := presetConfig(t, "https://acme.sysaidit.com")
	cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok"}
	_, err := sysaid.NewConnector(cfg, sysaid.ConnectorConfig{})
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "auth.type")

	// Every problem at once, the close call's named after its settings.
	cfg.Timeouts.Request = -1
	_, err = sysaid.NewConnector(cfg, sysaid.ConnectorConfig{LoginURL: "https://elsewhere.example.com/login",
		CloseWithSolution: true, ClosePayload: `{"solution": $nope}`})
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, fe := range ve.Errors {
		fields = append(fields, fe.Field)
	}
	assert.ElementsMatch(t, []string{"auth.type", "login_url", "timeouts.request", "close_payload"}, fields)

	// The default close URL is on the create URL's server: one problem, once.
	cfg = presetConfig(t, "https://acme.sysaidit.com")
	cfg.Create.URL = "/api/v1/sr"
	_, err = sysaid.NewConnector(cfg, sysaid.ConnectorConfig{CloseWithSolution: true})
	require.ErrorAs(t, err, &ve)
	fields = fields[:0]
	for _, fe := range ve.Errors {
		fields = append(fields, fe.Field)
	}
	assert.Equal(t, []string{"create.url"}, fields)
}

type goldenRequest struct {
	Op     string          `json:"op"`
	Method string          `json:"method"`
	URL    string          `json:"url"`
	Header http.Header     `json:"header"`
	Body   json.RawMessage `json:"body,omitempty"`
}

func golden(t *testing.T, name string, reqs []httpconn.PreviewRequest) {
	t.Helper()
	out := make([]goldenRequest, 0, len(reqs))
	for _, r := range reqs {
		g := goldenRequest{Op: string(r.Op), Method: r.Method, URL: r.URL, Header: r.Header}
		if r.Body != "" {
			require.True(t, json.Valid([]byte(r.Body)), "%s body is not JSON: %s", r.Op, r.Body)
			g.Body = json.RawMessage(r.Body)
		}
		out = append(out, g)
	}
	got, err := json.MarshalIndent(out, "", "  ")
	require.NoError(t, err)
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.JSONEq(t, string(want), string(got))
}

func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status itsm.Status
		sev    itsm.Severity
		opts   sysaid.ConnectorConfig
	}{
		{"preview_open.json", itsm.StatusOpen, itsm.SeverityHigh, sysaid.ConnectorConfig{}},
		{"preview_resolved.json", itsm.StatusResolved, itsm.SeverityLow, sysaid.ConnectorConfig{}},
		{"preview_closed_with_solution.json", itsm.StatusClosed, itsm.SeverityCritical, sysaid.ConnectorConfig{CloseWithSolution: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := sysaid.NewConnector(presetConfig(t, "https://acme.sysaidit.com"), tc.opts)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			cs := sampleCase(tc.status)
			cs.Severity = tc.sev
			reqs, err := c.Preview(cs, nil, &itsm.Ticket{ID: "148"})
			require.NoError(t, err)
			for _, r := range reqs {
				assert.Empty(t, r.Header.Get("Authorization"), "credentials never travel as a header")
				assert.Equal(t, "JSESSIONID=********", r.Header.Get("Cookie"))
			}
			golden(t, tc.name, reqs)
		})
	}
}

func testConnector(t *testing.T, srv string, o sysaid.ConnectorConfig, mutate func(*httpconn.Config)) *sysaid.Connector {
	t.Helper()
	cfg := presetConfig(t, srv)
	cfg.Network.AllowLoopback = true
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := sysaid.NewConnector(cfg, o, itsm.WithClock(noWait{}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	f, srv := newFakeSysAid(t, testUser, testPassword)
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{CloseWithSolution: true}, nil)
	ctx := context.Background()
	cs := sampleCase(itsm.StatusOpen)
	req := itsm.SyncRequest{Case: &cs}

	none, err := c.Find(ctx, req)
	require.NoError(t, err)
	assert.Empty(t, none)

	tk, err := c.Create(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, "148", tk.ID)
	assert.Equal(t, srv.URL+"/SREdit.jsp?id=148", tk.URL)

	all, err := c.Find(ctx, req)
	require.NoError(t, err)
	require.Len(t, all, 1, "the correlation key in the description finds the record")
	assert.Equal(t, "148", all[0].ID)

	_, err = c.Comment(ctx, tk, req, httpconn.SampleNote)
	require.NoError(t, err)

	cs.Status = itsm.StatusResolved // SysAid has no Resolved: sent as closed (3), then the close call
	_, err = c.Update(ctx, tk, req)
	require.NoError(t, err)

	read, err := c.Get(ctx, tk)
	require.NoError(t, err)
	assert.Equal(t, "3", read.Status)
	assert.Equal(t, cs.Title, read.Title)
	require.NoError(t, c.Check(ctx))

	logins, creates, records, authHeaders := f.stats()
	assert.Equal(t, 1, logins, "one login for the whole sequence")
	assert.Equal(t, 1, creates)
	assert.Equal(t, 1, records)
	assert.Zero(t, authHeaders, "no request carried an Authorization header")
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Equal(t, []string{httpconn.SampleNote.Text}, f.notes["148"])
	assert.Contains(t, f.records["148"]["solution"], cs.Title)
	assert.Equal(t, "1", f.records["148"]["sr_type"], "preset info entries are sent")
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		mode       expiryMode
		op         string
		wantErr    bool
		wantUnk    bool
		wantLogins int
		wantCreate int // creates received by SysAid (with a valid session) after expiry
	}{
		{"401 then update", expire401, "update", false, false, 2, 0},
		{"redirect then update", expireRedirect, "update", false, false, 2, 0},
		{"html then update", expireHTML, "update", false, false, 2, 0},
		{"401 then create is re-sent", expire401, "create", false, false, 2, 1},
		{"redirect then create is re-sent", expireRedirect, "create", false, false, 2, 1},
		{"html then create is not re-sent", expireHTML, "create", true, true, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFakeSysAid(t, testUser, testPassword)
			c := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, func(cfg *httpconn.Config) { cfg.Retry.MaxAttempts = 1 })
			ctx := context.Background()
			cs := sampleCase(itsm.StatusInProgress)
			req := itsm.SyncRequest{Case: &cs}
			tk, err := c.Create(ctx, req)
			require.NoError(t, err)
			f.expireAll(tc.mode)
			_, creates0, _, _ := f.stats()

			if tc.op == "create" {
				_, err = c.Create(ctx, req)
			} else {
				_, err = c.Update(ctx, tk, req)
			}
			if tc.wantErr {
				require.Error(t, err)
				assert.Equal(t, tc.wantUnk, errorsIs(err, itsm.ErrOutcomeUnknown))
				assert.NotContains(t, err.Error(), testPassword)
				assert.NotContains(t, err.Error(), "sess-", "no session cookie in errors")
			} else {
				require.NoError(t, err)
			}
			logins, creates, _, _ := f.stats()
			assert.Equal(t, tc.wantLogins, logins)
			assert.Equal(t, tc.wantCreate, creates-creates0, "creates SysAid processed after the expiry")
			if tc.wantErr {
				// The next request logs in again and works.
				_, err = c.Update(ctx, tk, req)
				require.NoError(t, err)
			}
		})
	}
}

func TestLoginRejected(t *testing.T) {
	t.Parallel()
	f, srv := newFakeSysAid(t, testUser, "another password")
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, nil)
	cs := sampleCase(itsm.StatusOpen)
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	assert.Contains(t, he.Body, "login failed")
	assert.False(t, errorsIs(err, itsm.ErrOutcomeUnknown), "nothing was sent")
	assert.NotContains(t, err.Error(), testPassword)
	logins, creates, _, _ := f.stats()
	assert.Equal(t, 1, logins, "a rejected password is not retried")
	assert.Zero(t, creates)
}

func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	f, srv := newFakeSysAid(t, testUser, testPassword)
	f.mu.Lock()
	f.loginStatus = http.StatusTooManyRequests
	f.mu.Unlock()
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, func(cfg *httpconn.Config) { cfg.Retry.MaxAttempts = 1 })
	cs := sampleCase(itsm.StatusOpen)
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusTooManyRequests, he.StatusCode)
	assert.Equal(t, 5*time.Minute, he.RetryAfter)
	assert.False(t, errorsIs(err, itsm.ErrOutcomeUnknown))
	logins, _, _, _ := f.stats()
	assert.Equal(t, 1, logins, "bounded by the connector's attempts")

	// With retries, the logins stop at SysAid's limit (2 per 5 minutes)
	// with a typed error; nothing else is sent.
	_, err = c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.Error(t, err)
	_, err = c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	var re *sysaid.LoginRateError
	require.ErrorAs(t, err, &re)
	assert.ErrorIs(t, err, sysaid.ErrLoginRateLimited)
	assert.ErrorIs(t, err, sysaid.ErrLogin)
	assert.False(t, errorsIs(err, itsm.ErrOutcomeUnknown), "the create was never sent")
	logins, _, _, _ = f.stats()
	assert.Equal(t, sysaid.LoginLimit, logins, "never more than SysAid's limit")
}

func TestLoginUnreachable(t *testing.T) {
	t.Parallel()
	_, srv := newFakeSysAid(t, testUser, testPassword)
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{LoginURL: srv.URL + "/api/v1/login"}, func(cfg *httpconn.Config) { cfg.Retry.MaxAttempts = 1 })
	srv.Close() // nothing listens any more
	cs := sampleCase(itsm.StatusOpen)
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.Error(t, err)
	var le *sysaid.LoginError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, sysaid.ErrLogin)
	assert.False(t, errorsIs(err, itsm.ErrOutcomeUnknown), "the create was never sent")
}

func TestConcurrentExpiryLogsInOnce(t *testing.T) {
	t.Parallel()
	f, srv := newFakeSysAid(t, testUser, testPassword)
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, nil)
	ctx := context.Background()
	cs := sampleCase(itsm.StatusOpen)
	tk, err := c.Create(ctx, itsm.SyncRequest{Case: &cs})
	require.NoError(t, err)
	f.expireAll(expire401)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cp := cs
			_, err := c.Update(ctx, tk, itsm.SyncRequest{Case: &cp})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	logins, _, _, _ := f.stats()
	assert.Equal(t, 2, logins, "the first login and one re-login shared by all")
}

func TestSubscribe(t *testing.T) {
	t.Parallel()
	f, srv := newFakeSysAid(t, testUser, testPassword)
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, nil)
	sub, err := sysaid.Subscribe(context.Background(), c, sysaid.SubscribeRequest{URL: "https://siem.example.com/hooks/sysaid"})
	require.NoError(t, err)
	assert.Equal(t, "12", sub.ID)
	assert.Equal(t, "whsec-from-sysaid", sub.Secret)
	f.mu.Lock()
	assert.Equal(t, "https://siem.example.com/hooks/sysaid", f.subscription["url"])
	assert.Equal(t, "itsmsync", f.subscription["description"])
	assert.Equal(t, []any{"sr.created", "sr.updated"}, f.subscription["eventNames"])
	f.mu.Unlock()

	for _, tc := range []struct {
		name  string
		conn  *sysaid.Connector
		url   string
		field string
	}{
		{"plain http", c, "http://siem.example.com/hooks", "url"},
		{"relative", c, "/hooks", "url"},
		{"nil connector", nil, "https://siem.example.com/hooks", "connector"},
	} {
		_, err = sysaid.Subscribe(context.Background(), tc.conn, sysaid.SubscribeRequest{URL: tc.url})
		require.ErrorIs(t, err, itsm.ErrInvalidConfig, tc.name)
		var ve *itsm.ValidationError
		require.ErrorAs(t, err, &ve, tc.name)
		require.Len(t, ve.Errors, 1, tc.name)
		assert.Equal(t, tc.field, ve.Errors[0].Field, tc.name)
	}
}

// noWait is the system clock with retry waits skipped.
type noWait struct{ itsm.SystemClock }

func (noWait) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// A failed close call fails the update with the call's *httpconn.HTTPError,
// under one package prefix.
func TestCloseCallFailure(t *testing.T) {
	t.Parallel()
	_, srv := newFakeSysAid(t, testUser, testPassword)
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{CloseWithSolution: true, CloseURL: srv.URL + "/api/v1/sr/$ticket_id/finish"}, nil)
	ctx := context.Background()
	cs := sampleCase(itsm.StatusOpen)
	req := itsm.SyncRequest{Case: &cs}
	tk, err := c.Create(ctx, req)
	require.NoError(t, err)

	cs.Status = itsm.StatusClosed
	_, err = c.Update(ctx, tk, req)
	require.Error(t, err)
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusMethodNotAllowed, he.StatusCode)
	assert.True(t, strings.HasPrefix(err.Error(), "sysaid: close service record: "), err.Error())
	assert.NotContains(t, err.Error(), "itsm: ")
	assert.NotContains(t, err.Error(), testPassword)
}

func TestConnectorsOfOneAccountShareTheSession(t *testing.T) {
	t.Parallel()
	f, srv := newFakeSysAid(t, testUser, testPassword)
	a := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, nil)
	b := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, nil)
	for _, c := range []*sysaid.Connector{a, b, a, b} {
		cs := sampleCase(itsm.StatusOpen)
		_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
		require.NoError(t, err)
	}
	logins, _, _, _ := f.stats()
	assert.Equal(t, 1, logins, "one login for every connector of the account")
}

func TestSubscribeWithAppKey(t *testing.T) {
	t.Parallel()
	f, srv := newFakeSysAid(t, testUser, testPassword)
	cc := sysaid.ConnectorConfig{AccountID: fakeAccount, AppKey: sysaid.AppKey{ClientID: fakeClientID, ClientSecret: fakeClientSecret}}
	c := testConnector(t, srv.URL, cc, nil)
	for range 2 {
		sub, err := sysaid.Subscribe(context.Background(), c, sysaid.SubscribeRequest{URL: "https://siem.example.com/hooks/sysaid"})
		require.NoError(t, err)
		assert.Equal(t, "12", sub.ID)
	}
	logins, _, _, _ := f.stats()
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Equal(t, 0, logins, "the developer API needs no session")
	assert.Equal(t, 1, f.tokenCalls, "the token is reused until it expires")
	assert.Equal(t, "https://siem.example.com/hooks/sysaid", f.subscription["url"])

	b, err := json.Marshal(cc)
	require.NoError(t, err)
	assert.NotContains(t, string(b), fakeClientSecret)
	assert.NotContains(t, cc.AppKey.String(), fakeClientSecret)
}

func TestSubscribeWithWrongAppKey(t *testing.T) {
	t.Parallel()
	_, srv := newFakeSysAid(t, testUser, testPassword)
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{AccountID: fakeAccount, AppKey: sysaid.AppKey{ClientID: "other", ClientSecret: "wrong-SECRET"}}, nil)
	_, err := sysaid.Subscribe(context.Background(), c, sysaid.SubscribeRequest{URL: "https://siem.example.com/hooks/sysaid"})
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	assert.NotContains(t, err.Error(), "wrong-SECRET")

	cfg := presetConfig(t, srv.URL)
	_, err = sysaid.NewConnector(cfg, sysaid.ConnectorConfig{AppKey: sysaid.AppKey{ClientID: "x"}})
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), "app_key")
	assert.Contains(t, err.Error(), "account_id")
}
