package httpconn_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/itsmsync/itsmsync/template"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorded is one request the test server saw.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// itsmServer is an httptest server with a scripted handler that records
// every request.
type itsmServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func (s *itsmServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func newServer(t *testing.T, h http.HandlerFunc) *itsmServer {
	t.Helper()
	s := &itsmServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// jiraConfig is a Jira-style configuration against base.
func jiraConfig(base string) httpconn.Config {
	return httpconn.Config{
		Name:     "JIRA ITSM",
		Provider: "jira",
		ID:       "int-1",
		Create: httpconn.EndpointConfig{
			URL:     base + "/rest/api/2/issue",
			Payload: `{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] $case_name","description":$description,"labels":$tags,"priority":{"name":"$priority"}}}`,
		},
		TicketIDPath:  "id",
		TicketKeyPath: "key",
		Update: httpconn.EndpointConfig{
			URL:     base + "/rest/api/2/issue/$ticket_id",
			Payload: `{"fields":{"summary":"[SIEM] $case_name"}}`,
		},
		Get: httpconn.GetConfig{
			URL:                base + "/rest/api/2/issue/$ticket_key",
			TitlePath:          "fields.summary",
			StatusPath:         "fields.status.name",
			StatusCategoryPath: "fields.status.statusCategory.key",
		},
		Comment: httpconn.CommentConfig{
			URL:           base + "/rest/api/2/issue/$ticket_id/comment",
			Payload:       `{"body":$note_text}`,
			CommentIDPath: "id",
		},
		ViewURL:     base + "/browse/$ticket_key",
		Auth:        httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "bot@example.com", Password: "pw-Sup3r-s3cret"},
		Network:     httpconn.NetworkConfig{AllowLoopback: true},
		Retry:       httpconn.RetryConfig{WaitMin: httpconn.Duration(time.Millisecond), WaitMax: httpconn.Duration(2 * time.Millisecond)},
		PriorityMap: statusmap.Map{Entries: []statusmap.Entry{{ITSM: "Highest", Case: "critical"}, {ITSM: "High", Case: "high"}}},
	}
}

// withLookup adds a Jira-style lookup to cfg, and the correlation key to its
// creates (in the URL's query, so the create body and headers stay as they
// were): a lookup proves its match by the key.
func withLookup(cfg httpconn.Config, base string) httpconn.Config {
	cfg.Create.URL += "?itsmsync_key=$correlation_key"
	cfg.Lookup = httpconn.LookupConfig{
		URL:       base + "/rest/api/2/search?jql=labels%3D$correlation_key&fields=labels",
		ItemsPath: "issues", TicketIDPath: "id", TicketKeyPath: "key", MatchPath: "fields.labels",
	}
	return cfg
}

func sampleCase() itsm.Case {
	return itsm.Case{ID: "CASE-7", Title: `Brute force on "vpn-gw-01"`, Description: "line1\nline2", Severity: itsm.SeverityHigh,
		Status: itsm.StatusOpen, Tags: []string{"vpn", "auth"}}
}

// sleeps records the waits of WithSleep without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (*sleeps) Now() time.Time { return time.Now() }

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func newConnector(t *testing.T, cfg httpconn.Config, opts ...itsm.Option) *httpconn.Connector {
	t.Helper()
	c, err := httpconn.New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConnector_JSONRoundTrip(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST" && r.URL.Path == "/rest/api/2/issue":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"id":"10042","key":"SEC-42","self":"x"}`)
		case r.Method == "PUT" && r.URL.Path == "/rest/api/2/issue/10042":
			w.Header().Set("Content-Type", "text/html;charset=UTF-8")
			w.WriteHeader(204) // Jira Data Center
		case r.Method == "GET" && r.URL.Path == "/rest/api/2/issue/SEC-42":
			w.Header().Set("Content-Type", "text/plain") // JSON by content
			_, _ = io.WriteString(w, `{"fields":{"summary":"S","status":{"name":"In Progress","statusCategory":{"key":"indeterminate"}}}}`)
		case r.Method == "POST" && r.URL.Path == "/rest/api/2/issue/10042/comment":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"id":10000000000000000001}`)
		case r.Method == "GET" && r.URL.Path == "/rest/api/2/search":
			_, _ = io.WriteString(w, `{"issues":[{"id":"10042","key":"SEC-42","fields":{"labels":["vpn","itsmsync-abc"]}}]}`)
		default:
			w.WriteHeader(404)
		}
	})
	c := newConnector(t, withLookup(jiraConfig(srv.URL), srv.URL))
	ctx := context.Background()
	cs := sampleCase()
	req := itsm.SyncRequest{Case: &cs, CorrelationKey: "itsmsync-abc"}

	tk, err := c.Create(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, itsm.Ticket{ID: "10042", Key: "SEC-42", URL: srv.URL + "/browse/SEC-42"}, tk)

	up, err := c.Update(ctx, tk, req)
	require.NoError(t, err)
	assert.Equal(t, tk, up)

	got, err := c.Get(ctx, tk)
	require.NoError(t, err)
	assert.Equal(t, "S", got.Title)
	assert.Equal(t, "In Progress", got.Status)
	assert.Equal(t, "indeterminate", got.StatusCategory)

	cm, err := c.Comment(ctx, tk, req, itsm.Note{ID: "n1", Text: `said "hi"` + "\n"})
	require.NoError(t, err)
	assert.Equal(t, "10000000000000000001", cm.ID, "numeric comment id kept exact")

	found, err := c.Find(ctx, req)
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, "SEC-42", found[0].Key)

	reqs := srv.requests()
	require.Len(t, reqs, 5)
	create := reqs[0]
	assert.JSONEq(t, `{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] Brute force on \"vpn-gw-01\"","description":"line1\nline2","labels":["vpn","auth"],"priority":{"name":"High"}}}`, create.Body)
	assert.Equal(t, "application/json", create.Header.Get("Content-Type"))
	user, pass, ok := (&http.Request{Header: create.Header}).BasicAuth()
	require.True(t, ok)
	assert.Equal(t, "bot@example.com", user)
	assert.Equal(t, "pw-Sup3r-s3cret", pass)
	assert.Empty(t, reqs[2].Header.Get("Content-Type"), "no body, no content type")
	assert.JSONEq(t, `{"body":"said \"hi\"\n"}`, reqs[3].Body)
	assert.Equal(t, "jql=labels%3Ditsmsync-abc&fields=labels", reqs[4].Query)
}

func TestConnector_BodyFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		format   httpconn.BodyFormat
		payload  string
		wantType string
		wantBody string
	}{
		{"form", httpconn.BodyForm, "summary=$case_name&urgency=2", "application/x-www-form-urlencoded", "summary=Disk+%26+CPU%3D100%25&urgency=2"},
		{"text", httpconn.BodyText, "New case: $case_name", "text/plain; charset=utf-8", "New case: Disk & CPU=100%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(201)
				_, _ = io.WriteString(w, `{"result":{"sys_id":"abc123","number":"INC0010002"}}`)
			})
			cfg := jiraConfig(srv.URL)
			cfg.BodyFormat = tc.format
			cfg.Create.Payload = tc.payload
			cfg.Update.Payload = ""
			cfg.Comment = httpconn.CommentConfig{}
			cfg.TicketIDPath, cfg.TicketKeyPath = "result.sys_id", "result.number"
			c := newConnector(t, cfg)
			cs := sampleCase()
			cs.Title = "Disk & CPU=100%"
			tk, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
			require.NoError(t, err)
			assert.Equal(t, "abc123", tk.ID)
			assert.Equal(t, "INC0010002", tk.Key)
			r := srv.requests()[0]
			assert.Equal(t, tc.wantType, r.Header.Get("Content-Type"))
			assert.Equal(t, tc.wantBody, r.Body)
			if tc.format == httpconn.BodyForm {
				v, err := url.ParseQuery(r.Body)
				require.NoError(t, err)
				assert.Equal(t, "Disk & CPU=100%", v.Get("summary"))
			}
		})
	}
}

func TestConnector_CreateResponses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		idPath string
		wantID string
	}{
		{"location header, no body", 201, map[string]string{"Location": "/api/tickets/777"}, "", "id", "777"},
		{"location header, absolute, trailing slash", 201, map[string]string{"Location": "https://itsm.example.com/api/tickets/SR-9/"}, `{"ok":true}`, "id", "SR-9"},
		{"body wins over location", 201, map[string]string{"Location": "/x/1"}, `{"id":"2"}`, "id", "2"},
		{"big numeric id kept exact", 200, nil, `{"id":12345678901234567890}`, "id", "12345678901234567890"},
		{"negative and float digits as sent", 200, nil, `{"id":1.50e3}`, "id", "1.50e3"},
		{"json sent as text/plain", 200, map[string]string{"Content-Type": "text/plain"}, `{"data":{"ticket":{"id":"T-1"}}}`, "data.ticket.id", "T-1"},
		{"nested array path", 200, nil, `{"items":[{"id":5}]}`, "items.0.id", "5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			cfg := jiraConfig(srv.URL)
			cfg.TicketIDPath, cfg.TicketKeyPath = tc.idPath, ""
			c := newConnector(t, cfg)
			cs := sampleCase()
			tk, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
			require.NoError(t, err)
			assert.Equal(t, tc.wantID, tk.ID)
		})
	}
}

// failing is one failure scenario for TestConnector_Failures and the
// secret leak test.
type failing struct {
	name    string
	op      itsm.Operation
	handler http.HandlerFunc // nil: the server is closed (unreachable)
	mutate  func(*httpconn.Config)
	hooks   httpconn.Hooks
	wantIs  []error
	wantNot []error
	status  int
}

func echoHandler(status int, ct string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(status)
		// A careless server echoing credentials back.
		fmt.Fprintf(w, `{"error":"bad","authorization":%q,"headers":%q,"query":%q}`, r.Header.Get("Authorization"), fmt.Sprint(r.Header), r.URL.RawQuery)
	}
}

func failureCases() []failing {
	bad := func(ctx context.Context) {}
	_ = bad
	return []failing{
		{name: "unreachable host", op: itsm.OpCreate, handler: nil, wantIs: nil, wantNot: []error{itsm.ErrOutcomeUnknown}},
		{name: "timeout after send (create)", op: itsm.OpCreate, handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			mutate: func(c *httpconn.Config) { c.Timeouts.Request = httpconn.Duration(100 * time.Millisecond) }, wantIs: []error{itsm.ErrOutcomeUnknown}},
		{name: "timeout on get", op: itsm.OpGet, handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			mutate: func(c *httpconn.Config) {
				c.Timeouts.Request = httpconn.Duration(50 * time.Millisecond)
				c.Retry.MaxAttempts = 2
			}, wantNot: []error{itsm.ErrOutcomeUnknown}},
		{name: "400 on create", op: itsm.OpCreate, handler: echoHandler(400, "application/json"), status: 400, wantNot: []error{itsm.ErrOutcomeUnknown}},
		{name: "403 on update", op: itsm.OpUpdate, handler: echoHandler(403, ""), status: 403},
		{name: "404 on comment", op: itsm.OpComment, handler: echoHandler(404, ""), status: 404},
		{name: "500 on create", op: itsm.OpCreate, handler: echoHandler(500, ""), status: 500, wantIs: []error{itsm.ErrOutcomeUnknown}},
		{name: "502 on comment", op: itsm.OpComment, handler: echoHandler(502, ""), status: 502, wantIs: []error{itsm.ErrOutcomeUnknown}},
		{name: "503 on get after retries", op: itsm.OpGet, handler: echoHandler(503, ""), status: 503},
		{name: "html 500 page", op: itsm.OpUpdate, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(500)
			fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>Oops %s</title><style>x{}</style></head><body>%s</body></html>", r.Header.Get("Authorization"), strings.Repeat("<p>filler</p>", 500))
		}, status: 500},
		{name: "non-JSON get", op: itsm.OpGet, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "<html>"+r.Header.Get("Authorization")+"</html>")
		}, status: 200, wantIs: []error{itsm.ErrInvalidResponse}},
		{name: "id-less create response", op: itsm.OpCreate, handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"self":"x","id":null}`)
		}, status: 201, wantIs: []error{itsm.ErrMissingTicketID, itsm.ErrOutcomeUnknown}},
		{name: "non-JSON create response", op: itsm.OpCreate, handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, "created ok "+r.Header.Get("Authorization"))
		}, status: 200, wantIs: []error{itsm.ErrMissingTicketID, itsm.ErrInvalidResponse, itsm.ErrOutcomeUnknown}},
		{name: "oversize body", op: itsm.OpCreate, handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"id":"1","pad":"`+strings.Repeat("x", 4096)+`"}`)
		}, mutate: func(c *httpconn.Config) { c.MaxResponseBytes = 1024 }, status: 201,
			wantIs: []error{itsm.ErrInvalidResponse, itsm.ErrMissingTicketID, itsm.ErrOutcomeUnknown}},
		{name: "oversize get body", op: itsm.OpGet, handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"fields":{"summary":"`+strings.Repeat("x", 4096)+`"}}`)
		}, mutate: func(c *httpconn.Config) { c.MaxResponseBytes = 1024 }, status: 200, wantIs: []error{itsm.ErrInvalidResponse}},
		{name: "invalid rendered JSON", op: itsm.OpCreate, handler: echoHandler(201, ""),
			mutate: func(c *httpconn.Config) {
				c.ExtraVariables = []string{"adf"}
				c.Create.Payload = `{"fields":{"description":$adf}}`
			},
			hooks:  httpconn.Hooks{Variables: func(vars.Input) template.Values { return template.Values{"adf": template.Raw(`{"broken":`)} }},
			wantIs: []error{httpconn.ErrInvalidRenderedJSON}},
		{name: "redirect of a read to a metadata address", op: itsm.OpGet, handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		}, wantIs: []error{httpconn.ErrHostNotAllowed}, wantNot: []error{itsm.ErrOutcomeUnknown}},
		{name: "redirect on create not followed", op: itsm.OpCreate, handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
		}, status: 307, wantIs: []error{itsm.ErrOutcomeUnknown}},
	}
}

// runFailure runs one scenario and returns its error and the preview.
func runFailure(t *testing.T, tc failing, cfg func(base string) httpconn.Config) (*httpconn.Connector, error) {
	t.Helper()
	var base string
	if tc.handler == nil {
		srv := httptest.NewServer(http.NotFoundHandler())
		base = srv.URL
		srv.Close() // nothing listens there any more: connection refused
	} else {
		base = newServer(t, tc.handler).URL
	}
	c0 := cfg(base)
	if tc.mutate != nil {
		tc.mutate(&c0)
	}
	sl := &sleeps{}
	c, err := httpconn.NewWithHooks(c0, tc.hooks, itsm.WithClock(sl))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	cs := sampleCase()
	req := itsm.SyncRequest{Case: &cs}
	tk := itsm.Ticket{ID: "10042", Key: "SEC-42"}

	switch tc.op {
	case itsm.OpCreate:
		_, err = c.Create(ctx, req)
	case itsm.OpUpdate:
		_, err = c.Update(ctx, tk, req)
	case itsm.OpGet:
		_, err = c.Get(ctx, tk)
	case itsm.OpComment:
		_, err = c.Comment(ctx, tk, req, itsm.Note{ID: "n", Text: "t"})
	}
	return c, err
}

func TestConnector_Failures(t *testing.T) {
	t.Parallel()
	for _, tc := range failureCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := runFailure(t, tc, jiraConfig)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "httpconn: "+string(tc.op)+": "), "error names the operation: %v", err)
			assert.Equal(t, 1, strings.Count(err.Error(), "httpconn: "), "one package prefix: %v", err)
			for _, other := range []string{"itsm: ", "template: ", "netsafe", "bodylimit", "redact"} {
				assert.NotContains(t, err.Error(), other, "no other prefix, no internal package name")
			}
			for _, want := range tc.wantIs {
				assert.ErrorIs(t, err, want)
			}
			for _, not := range tc.wantNot {
				assert.NotErrorIs(t, err, not)
			}
			if tc.status != 0 {
				var he *httpconn.HTTPError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, tc.status, he.StatusCode)
				assert.Equal(t, tc.op, he.Op)
				assert.LessOrEqual(t, len(he.Body), 512+3)
				assert.NotContains(t, he.Body, "<p>", "HTML reduced to text")
			}
		})
	}
}

// secretConfigs configures every kind of secret at once per auth mode.
func secretConfigs(tokenURL string) map[string]func(base string) httpconn.Config {
	with := func(a httpconn.AuthConfig) func(base string) httpconn.Config {
		return func(base string) httpconn.Config {
			c := jiraConfig(base)
			c.Auth = a
			c.SecretHeaders = map[string]string{"X-Secret-Header": "hdr-Secret-Value-42"}
			c.Network.ProxyURL = ""
			return c
		}
	}
	return map[string]func(string) httpconn.Config{
		"basic":   with(httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "bot@example.com", Password: "pw-Sup3r-s3cret"}),
		"bearer":  with(httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok-Bearer-Secret-9"}),
		"api_key": with(httpconn.AuthConfig{Type: httpconn.AuthAPIKey, HeaderName: "X-API-Key", APIKey: "key-Api-Secret-7"}),
		"oauth2": with(httpconn.AuthConfig{Type: httpconn.AuthOAuth2, OAuth2: &httpconn.OAuth2Config{
			TokenURL: tokenURL, ClientID: "client-1", ClientSecret: "cs-Client-Secret-5"}}),
	}
}

var allSecrets = []string{"pw-Sup3r-s3cret", "tok-Bearer-Secret-9", "key-Api-Secret-7", "cs-Client-Secret-5", "hdr-Secret-Value-42",
	"oauth-Access-Token-3", "Ym90QGV4YW1wbGUuY29tOnB3LVN1cDNyLXMzY3JldA"}

func TestConnector_NoSecretInErrors(t *testing.T) {
	t.Parallel()
	tokenSrv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"oauth-Access-Token-3","token_type":"Bearer","expires_in":3600}`)
	})
	for mode, cfg := range secretConfigs(tokenSrv.URL + "/token") {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			for _, tc := range failureCases() {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					c, err := runFailure(t, tc, cfg)
					require.Error(t, err)
					previews, perr := c.Preview(sampleCase(), nil, nil)
					js, jerr := json.Marshal(cfg("http://127.0.0.1:9"))
					require.NoError(t, jerr)
					for _, s := range allSecrets {
						assert.NotContains(t, err.Error(), s)
						assert.NotContains(t, fmt.Sprintf("%+v", err), s)
						assert.NotContains(t, string(js), s)
						if perr == nil {
							for _, p := range previews {
								assert.NotContains(t, p.String(), s)
							}
						}
					}
				})
			}
		})
	}
}

func TestConnector_RetryCreate503RetryAfter(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"1","key":"SEC-1"}`)
	})
	sl := &sleeps{}
	c := newConnector(t, jiraConfig(srv.URL), itsm.WithClock(sl))
	cs := sampleCase()
	tk, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.NoError(t, err)
	assert.Equal(t, "1", tk.ID)
	assert.Len(t, srv.requests(), 2, "one retry, one ticket")
	assert.Equal(t, []time.Duration{2 * time.Second}, sl.waits())
}

func TestConnector_RetryAfterCapped(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"1"}`)
	})
	sl := &sleeps{}
	cfg := jiraConfig(srv.URL)
	cfg.Retry.MaxRetryAfter = httpconn.Duration(5 * time.Second)
	c := newConnector(t, cfg, itsm.WithClock(sl))
	cs := sampleCase()
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{5 * time.Second}, sl.waits())
}

func TestConnector_CreateNotRetriedBlindly(t *testing.T) {
	t.Parallel()
	for _, code := range []int{500, 502, 504, 503} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
			sl := &sleeps{}
			c := newConnector(t, jiraConfig(srv.URL), itsm.WithClock(sl))
			cs := sampleCase()
			_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
			require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
			assert.Len(t, srv.requests(), 1, "exactly one request")
			assert.Empty(t, sl.waits())
		})
	}
}

func TestConnector_RetriesIdempotent(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(502)
			return
		}
		w.WriteHeader(204)
	})
	sl := &sleeps{}
	c := newConnector(t, jiraConfig(srv.URL), itsm.WithClock(sl))
	cs := sampleCase()
	_, err := c.Update(context.Background(), itsm.Ticket{ID: "1"}, itsm.SyncRequest{Case: &cs})
	require.NoError(t, err)
	assert.Len(t, srv.requests(), 3)
	w := sl.waits()
	require.Len(t, w, 2)
	for _, d := range w {
		assert.LessOrEqual(t, d, 2*time.Millisecond, "backoff bounded by wait_max")
		assert.Greater(t, d, time.Duration(0))
	}
	for _, r := range srv.requests() {
		assert.JSONEq(t, `{"fields":{"summary":"[SIEM] Brute force on \"vpn-gw-01\""}}`, r.Body, "body replayed whole")
	}
}

func TestConnector_RefusedCreateRetried(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	sl := &sleeps{}
	c := newConnector(t, jiraConfig(base), itsm.WithClock(sl))
	cs := sampleCase()
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.Error(t, err)
	assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown, "nothing was sent")
	var op *net.OpError
	assert.ErrorAs(t, err, &op)
	assert.Len(t, sl.waits(), 2, "refused is certain: retried up to max_attempts")
}

func TestConnector_OAuth2RefreshOn401(t *testing.T) {
	t.Parallel()
	var tokens atomic.Int32
	tokenSrv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
	})
	api := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-2" {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"5"}`)
	})
	cfg := jiraConfig(api.URL)
	cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthOAuth2, OAuth2: &httpconn.OAuth2Config{TokenURL: tokenSrv.URL + "/token", ClientID: "c", ClientSecret: "s"}}
	c := newConnector(t, cfg, itsm.WithClock(&sleeps{}))
	cs := sampleCase()
	tk, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.NoError(t, err)
	assert.Equal(t, "5", tk.ID)
	assert.Equal(t, int32(2), tokens.Load())
	assert.Len(t, api.requests(), 2)
}

func TestConnector_NotConfigured(t *testing.T) {
	t.Parallel()
	cfg := jiraConfig("https://itsm.example.com")
	cfg.Get, cfg.Comment, cfg.Lookup = httpconn.GetConfig{}, httpconn.CommentConfig{}, httpconn.LookupConfig{}
	c := newConnector(t, cfg)
	cs := sampleCase()
	ctx := context.Background()
	tk := itsm.Ticket{ID: "1"}
	_, err := c.Comment(ctx, tk, itsm.SyncRequest{Case: &cs}, itsm.Note{ID: "n"})
	assert.ErrorIs(t, err, itsm.ErrNotConfigured)
	assert.ErrorContains(t, err, "httpconn: comment:")
	_, err = c.Get(ctx, tk)
	assert.ErrorIs(t, err, itsm.ErrNotConfigured)
	_, err = c.Find(ctx, itsm.SyncRequest{Case: &cs})
	assert.ErrorIs(t, err, itsm.ErrNotConfigured)
	assert.False(t, c.CanFind())
	// Check needs no extra fields: a Jira-shaped create URL has a probe.
	p, err := c.Probe()
	require.NoError(t, err)
	assert.Equal(t, httpconn.Probe{Kind: httpconn.ProbeJira, Method: "GET", URL: "https://itsm.example.com/rest/api/2/myself"}, p)
	_, err = c.Update(ctx, itsm.Ticket{}, itsm.SyncRequest{Case: &cs})
	assert.ErrorIs(t, err, itsm.ErrMissingTicketID)
	_, err = c.Create(ctx, itsm.SyncRequest{})
	assert.EqualError(t, err, "httpconn: create: invalid input: case: is nil")
	assert.ErrorIs(t, err, itsm.ErrInvalidInput)
	var ve *itsm.ValidationError
	assert.ErrorAs(t, err, &ve)
}

func TestConnector_FindNone(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"issues":[]}`)
	})
	c := newConnector(t, withLookup(jiraConfig(srv.URL), srv.URL))
	cs := sampleCase()
	found, err := c.Find(context.Background(), itsm.SyncRequest{Case: &cs})
	require.NoError(t, err)
	assert.Empty(t, found)
	assert.Contains(t, srv.requests()[0].Query, itsm.CorrelationKey("int-1", cs.ID), "derived from the config ID when the request has none")
}

func TestConnector_Check(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		health  bool
		status  int
		wantErr bool
	}{
		{"health 200", true, 200, false},
		{"health 401", true, 401, true},
		{"get 404 is authenticated", false, 404, false},
		{"get 200", false, 200, false},
		{"get 403", false, 403, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tc.status) })
			cfg := jiraConfig(srv.URL)
			if tc.health {
				cfg.HealthURL = srv.URL + "/rest/api/2/myself"
			}
			c := newConnector(t, cfg)
			err := c.Check(context.Background())
			if tc.wantErr {
				var he *httpconn.HTTPError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, itsm.OpCheck, he.Op)
			} else {
				require.NoError(t, err)
			}
			r := srv.requests()
			require.Len(t, r, 1)
			assert.Equal(t, "GET", r[0].Method)
			assert.NotEmpty(t, r[0].Header.Get("Authorization"))
			if tc.health {
				assert.Equal(t, "/rest/api/2/myself", r[0].Path)
			} else {
				assert.Equal(t, "/rest/api/2/issue/SEC-42", r[0].Path)
			}
		})
	}
}

func TestConnector_AuditAndHeaders(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		_, _ = io.WriteString(w, "boom "+r.Header.Get("X-Secret-Header"))
	})
	cfg := jiraConfig(srv.URL)
	cfg.Headers = map[string]string{"X-Case": "$case_id", "Content-Type": "application/vnd.api+json"}
	cfg.SecretHeaders = map[string]string{"x-secret-header": "hdr-Secret-Value-42"}
	var mu sync.Mutex
	var events []itsm.AuditEvent
	c := newConnector(t, cfg, itsm.WithAudit(itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})))
	cs := sampleCase()
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	r := srv.requests()[0]
	assert.Equal(t, "CASE-7", r.Header.Get("X-Case"))
	assert.Equal(t, "application/vnd.api+json", r.Header.Get("Content-Type"))
	assert.Equal(t, "hdr-Secret-Value-42", r.Header.Get("X-Secret-Header"))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, events, 1)
	e := events[0]
	assert.Equal(t, "create", e.Operation)
	assert.Equal(t, itsm.OutcomeUnknown, e.Outcome)
	assert.Equal(t, 500, e.StatusCode)
	assert.Equal(t, "int-1", e.IntegrationID)
	assert.Equal(t, "CASE-7", e.CaseID)
	assert.NotContains(t, e.Error, "hdr-Secret-Value-42")
	assert.Contains(t, e.Error, "boom")
}

func TestConnector_ContextCanceled(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	})
	c := newConnector(t, jiraConfig(srv.URL))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived // the create reached the ITSM
		cancel()
	}()
	cs := sampleCase()
	_, err := c.Create(ctx, itsm.SyncRequest{Case: &cs})
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, itsm.ErrOutcomeUnknown, "the create was sent")
}

func TestConnector_InvalidConfig(t *testing.T) {
	t.Parallel()
	_, err := httpconn.New(httpconn.Config{})
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.ErrorIs(t, err, itsm.ErrInvalidConfig)
	assert.True(t, errors.Is(err, itsm.ErrInvalidConfig))
}

func TestConnector_PreviewRedactsSecrets(t *testing.T) {
	t.Parallel()
	cfg := jiraConfig("https://acme.atlassian.net")
	cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthAPIKey, HeaderName: "x-api-key", APIKey: "key-Api-Secret-7"}
	cfg.SecretHeaders = map[string]string{"X-Tenant-Secret": "hdr-Secret-Value-42"}
	cfg.Headers = map[string]string{"X-Case": "$case_id"}
	cfg = withLookup(cfg, "https://acme.atlassian.net")
	c := newConnector(t, cfg)
	reqs, err := c.Preview(sampleCase(), nil, nil)
	require.NoError(t, err)
	var ops []itsm.Operation
	for _, r := range reqs {
		ops = append(ops, r.Op)
		assert.Equal(t, httpconn.RedactedMarker, r.Header.Get("X-Api-Key"))
		assert.Equal(t, httpconn.RedactedMarker, r.Header.Get("X-Tenant-Secret"))
		assert.NotContains(t, r.String(), "Secret-")
	}
	assert.Equal(t, []itsm.Operation{itsm.OpCreate, itsm.OpUpdate, itsm.OpComment, itsm.OpGet, itsm.OpLookup}, ops)
	assert.Equal(t, "CASE-7", reqs[0].Header.Get("X-Case"))
	assert.Equal(t, "https://acme.atlassian.net/rest/api/2/issue/10042", reqs[1].URL, "sample ticket by default")
	assert.JSONEq(t, `{"body":"Blocked the source IP at the firewall."}`, reqs[2].Body, "sample note by default")
	assert.Contains(t, reqs[4].URL, itsm.CorrelationKey("int-1", "CASE-7"))

	// A path variable cannot walk the URL.
	cs := sampleCase()
	reqs, err = c.Preview(cs, nil, &itsm.Ticket{ID: "../../admin"})
	require.NoError(t, err)
	assert.Equal(t, "https://acme.atlassian.net/rest/api/2/issue/..%2F..%2Fadmin", reqs[1].URL)
}

func TestConnector_TLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"77"}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	cs := sampleCase()
	for _, tc := range []struct {
		name string
		tls  httpconn.TLSConfig
		ok   bool
	}{
		{"custom CA, full verification", httpconn.TLSConfig{CACertPEM: caPEM}, true},
		{"custom CA, certificate only", httpconn.TLSConfig{CACertPEM: caPEM, Verification: httpconn.TLSVerifyCertificate}, true},
		{"verification none", httpconn.TLSConfig{Verification: httpconn.TLSVerifyNone}, true},
		{"untrusted certificate", httpconn.TLSConfig{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := jiraConfig(srv.URL)
			cfg.TLS = tc.tls
			sl := &sleeps{}
			c := newConnector(t, cfg, itsm.WithClock(sl))
			tk, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, "77", tk.ID)
				return
			}
			require.Error(t, err)
			assert.ErrorContains(t, err, "httpconn: create:")
			assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown, "the handshake failed: nothing was sent")
			assert.Empty(t, sl.waits(), "certificate errors are not retried")
		})
	}
}

// TestConnector_DoLikeConfigured: a request the Config does not describe
// gets what the configured ones get — secret headers, authentication, the
// body's content type, the retry policy of its operation, the network rules.
func TestConnector_DoLikeConfigured(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rest/api/2/issue/1/transitions":
			if r.Method == "GET" {
				_, _ = io.WriteString(w, `{"transitions":[{"id":"31","name":"Done"}]}`)
				return
			}
			w.WriteHeader(204)
		default:
			w.WriteHeader(500)
		}
	})
	cfg := jiraConfig(srv.URL)
	cfg.SecretHeaders = map[string]string{"X-Secret": "hdr-Secret-Value-42"}
	c := newConnector(t, cfg, itsm.WithClock(&sleeps{}))
	ctx := context.Background()
	tk := &itsm.Ticket{ID: "1"}
	resp, err := c.Do(ctx, httpconn.Request{Op: itsm.OpGet, URL: srv.URL + "/rest/api/2/issue/$ticket_id/transitions", Ticket: tk})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"transitions":[{"id":"31","name":"Done"}]}`, string(resp.Body))
	_, err = c.Do(ctx, httpconn.Request{Op: itsm.OpUpdate, Method: "POST", URL: srv.URL + "/rest/api/2/issue/$ticket_id/transitions",
		Body: []byte(`{"transition":{"id":"31"}}`), Ticket: tk})
	require.NoError(t, err)
	r := srv.requests()[1]
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, "hdr-Secret-Value-42", r.Header.Get("X-Secret"))
	assert.NotEmpty(t, r.Header.Get("Authorization"))

	_, err = c.Do(ctx, httpconn.Request{Op: itsm.OpCreate, Method: "POST", URL: srv.URL + "/other", Body: []byte(`{}`)})
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	assert.ErrorContains(t, err, "httpconn: create:")
	assert.Len(t, srv.requests(), 3, "a create answered 500 is not sent again")
	_, err = c.Do(ctx, httpconn.Request{Op: itsm.OpGet, URL: "http://169.254.169.254/"})
	require.ErrorIs(t, err, httpconn.ErrHostNotAllowed)
	assert.Len(t, srv.requests(), 3)
}
