package itsmtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// fixedClock is a settable clock for deterministic timestamps.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var epoch = time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)

func setup(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(append([]Option{WithClock(&fixedClock{t: epoch})}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json() gjson.Result { return gjson.ParseBytes(r.body) }

// call sends one request and returns the reply; extra are header pairs.
func call(t *testing.T, s *Server, method, path, body string, extra ...string) reply {
	t.Helper()
	r, err := try(context.Background(), s, method, path, body, extra...)
	require.NoError(t, err)
	return r
}

func try(ctx context.Context, s *Server, method, path, body string, extra ...string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL()+path, rd)
	if err != nil {
		return reply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// create makes a v2 ticket and returns its key.
func create(t *testing.T, s *Server, summary string, labels ...string) string {
	t.Helper()
	lb := "[]"
	if len(labels) > 0 {
		lb = `["` + strings.Join(labels, `","`) + `"]`
	}
	r := call(t, s, "POST", "/rest/api/2/issue", `{"fields":{"summary":`+strconv.Quote(summary)+`,"labels":`+lb+`}}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	return r.json().Get("key").String()
}

func TestHelperAPI(t *testing.T) {
	t.Parallel()
	s := setup(t)
	key := create(t, s, "first")

	t.Run("Ticket by key, lower-case key and id", func(t *testing.T) {
		for _, ref := range []string{key, strings.ToLower(key), "10001"} {
			tk, ok := s.Ticket(ref)
			require.True(t, ok, ref)
			assert.Equal(t, "first", tk.Summary)
		}
		_, ok := s.Ticket("SEC-99")
		assert.False(t, ok)
	})
	t.Run("snapshots are copies", func(t *testing.T) {
		tk, _ := s.Ticket(key)
		tk.Labels = append(tk.Labels, "mutated")
		tk.Summary = "changed"
		again, _ := s.Ticket(key)
		assert.Equal(t, "first", again.Summary)
		assert.NotContains(t, again.Labels, "mutated")
	})
	t.Run("SetStatus", func(t *testing.T) {
		require.NoError(t, s.SetStatus(key, "done"))
		tk, _ := s.Ticket(key)
		assert.Equal(t, StatusDef{ID: "10001", Name: "Done", Category: "done"}, tk.Status)
		assert.ErrorIs(t, s.SetStatus(key, "Nope"), ErrUnknownStatus)
		assert.ErrorIs(t, s.SetStatus("SEC-404", "Done"), ErrTicketNotFound)
	})
	t.Run("AddComment", func(t *testing.T) {
		c, err := s.AddComment(key, "from a person")
		require.NoError(t, err)
		assert.Equal(t, "10100", c.ID)
		assert.Equal(t, "from a person", c.Text())
		_, err = s.AddComment("SEC-404", "x")
		assert.ErrorIs(t, err, ErrTicketNotFound)
	})
	t.Run("DeleteTicket", func(t *testing.T) {
		k2 := create(t, s, "second")
		require.NoError(t, s.DeleteTicket(k2))
		_, ok := s.Ticket(k2)
		assert.False(t, ok)
		assert.ErrorIs(t, s.DeleteTicket(k2), ErrTicketNotFound)
		r := call(t, s, "GET", "/rest/api/2/issue/"+k2, "")
		assert.Equal(t, http.StatusNotFound, r.status)
	})
	t.Run("Reset", func(t *testing.T) {
		s.Fault(On(OpGet), Status(500))
		s.Reset()
		assert.Empty(t, s.Tickets())
		assert.Empty(t, s.Requests())
		assert.Zero(t, s.CreateCount())
		assert.Zero(t, s.PendingFaults())
		assert.Equal(t, "SEC-1", create(t, s, "after reset"))
		tk, _ := s.Ticket("SEC-1")
		assert.Equal(t, "10001", tk.ID)
	})
}

func TestStatusWorkflowOptions(t *testing.T) {
	t.Parallel()
	resolved := StatusDef{ID: "5", Name: "Resolved", Category: "done"}
	s := setup(t,
		WithTransitions(
			Transition{ID: "1", Name: "Open", To: StatusDef{ID: "1", Name: "Open", Category: "new"}},
			Transition{ID: "2", Name: "Close", To: StatusDef{ID: "6", Name: "Closed", Category: "done"}},
		),
		WithStatuses(resolved))
	key := create(t, s, "server workflow")
	tk, _ := s.Ticket(key)
	assert.Equal(t, "Open", tk.Status.Name)
	require.NoError(t, s.SetStatus(key, "resolved"))
	tk, _ = s.Ticket(key)
	assert.Equal(t, resolved, tk.Status)
	r := call(t, s, "GET", "/rest/api/2/issue/"+key+"/transitions", "")
	assert.Equal(t, []string{"1", "2"}, []string{r.json().Get("transitions.0.id").String(), r.json().Get("transitions.1.id").String()})
	r = call(t, s, "POST", "/rest/api/2/issue/"+key+"/transitions", `{"transition":{"id":"31"}}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
}

func TestAuth(t *testing.T) {
	t.Parallel()
	basic := "Basic " + b64("jane@example.com:api-token")
	tests := []struct {
		name string
		opts []Option
		auth string
		want int
	}{
		{"no auth configured", nil, "", http.StatusOK},
		{"basic ok", []Option{WithBasicAuth("jane@example.com", "api-token")}, basic, http.StatusOK},
		{"basic wrong password", []Option{WithBasicAuth("jane@example.com", "api-token")}, "Basic " + b64("jane@example.com:nope"), http.StatusUnauthorized},
		{"basic missing", []Option{WithBasicAuth("jane@example.com", "api-token")}, "", http.StatusUnauthorized},
		{"bearer ok", []Option{WithBearer("pat-123")}, "Bearer pat-123", http.StatusOK},
		{"bearer lower-case scheme", []Option{WithBearer("pat-123")}, "bearer pat-123", http.StatusOK},
		{"bearer wrong", []Option{WithBearer("pat-123")}, "Bearer pat-124", http.StatusUnauthorized},
		{"bearer given basic", []Option{WithBearer("pat-123")}, basic, http.StatusUnauthorized},
		{"either: basic", []Option{WithBearer("pat-123"), WithBasicAuth("jane@example.com", "api-token")}, basic, http.StatusOK},
		{"either: bearer", []Option{WithBearer("pat-123"), WithBasicAuth("jane@example.com", "api-token")}, "Bearer pat-123", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t, tc.opts...)
			var hdr []string
			if tc.auth != "" {
				hdr = []string{"Authorization", tc.auth}
			}
			r := call(t, s, "GET", "/rest/api/3/myself", "", hdr...)
			assert.Equal(t, tc.want, r.status)
			if tc.want == http.StatusUnauthorized {
				assert.NotEmpty(t, r.header.Get("WWW-Authenticate"))
				assert.NotEmpty(t, r.json().Get("errorMessages.0").String())
				// an unauthenticated create changes nothing
				r = call(t, s, "POST", "/rest/api/3/issue", `{"fields":{"summary":"x"}}`, hdr...)
				assert.Equal(t, http.StatusUnauthorized, r.status)
				assert.Empty(t, s.Tickets())
			}
		})
	}
}

func TestRecording(t *testing.T) {
	t.Parallel()
	clk := &fixedClock{t: epoch}
	s := NewServer(WithClock(clk), WithBearer("tok"))
	t.Cleanup(s.Close)
	s.Fault(On(OpGet), Status(503))
	call(t, s, "POST", "/rest/api/3/issue?notifyUsers=false", `{"fields":{"summary":"rec","description":{"type":"doc","version":1,"content":[]}}}`, "Authorization", "Bearer tok")
	clk.Add(time.Second)
	call(t, s, "GET", "/rest/api/2/issue/SEC-1", "", "Authorization", "Bearer tok")
	call(t, s, "GET", "/nowhere", "", "Authorization", "Bearer tok")

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, OpCreate, reqs[0].Op)
	assert.Equal(t, "3", reqs[0].APIVersion)
	assert.Equal(t, "POST", reqs[0].Method)
	assert.Equal(t, "/rest/api/3/issue", reqs[0].Path)
	assert.Equal(t, "false", reqs[0].Query().Get("notifyUsers"))
	assert.Equal(t, "Bearer tok", reqs[0].Header.Get("Authorization"), "headers are kept raw")
	assert.Contains(t, string(reqs[0].Body), `"summary":"rec"`)
	assert.Equal(t, epoch, reqs[0].Time)
	assert.Equal(t, http.StatusCreated, reqs[0].Status)
	assert.Empty(t, reqs[0].Fault)

	assert.Equal(t, OpGet, reqs[1].Op)
	assert.Equal(t, "status 503", reqs[1].Fault)
	assert.Equal(t, http.StatusServiceUnavailable, reqs[1].Status)
	assert.Equal(t, epoch.Add(time.Second), reqs[1].Time)

	assert.Equal(t, Op(""), reqs[2].Op)
	assert.Equal(t, http.StatusNotFound, reqs[2].Status)

	// copies: mutating the snapshot leaves the record alone
	reqs[0].Body[0] = 'X'
	reqs[0].Header.Set("Authorization", "changed")
	again := s.Requests()
	assert.Equal(t, byte('{'), again[0].Body[0])
	assert.Equal(t, "Bearer tok", again[0].Header.Get("Authorization"))

	assert.Equal(t, 1, s.CreateCount())
	assert.Equal(t, 1, s.GetCount())
	assert.Equal(t, 1, s.Count(""))
}

func TestRecordLimits(t *testing.T) {
	t.Parallel()
	t.Run("limit keeps the newest", func(t *testing.T) {
		s := setup(t, WithRecordLimit(2))
		for i := range 5 {
			create(t, s, "n"+strconv.Itoa(i))
		}
		reqs := s.Requests()
		require.Len(t, reqs, 2)
		assert.Contains(t, string(reqs[1].Body), `"n4"`)
		assert.Equal(t, 5, s.CreateCount())
	})
	t.Run("without recording", func(t *testing.T) {
		s := setup(t, WithoutRecording())
		create(t, s, "x")
		assert.Empty(t, s.Requests())
		assert.Equal(t, 1, s.CreateCount())
	})
	t.Run("body too large", func(t *testing.T) {
		s := setup(t, WithMaxBodyBytes(64))
		r := call(t, s, "POST", "/rest/api/2/issue", `{"fields":{"summary":"`+strings.Repeat("a", 100)+`"}}`)
		assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)
		assert.Empty(t, s.Tickets())
	})
}

func TestEventHook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []Event
	s := setup(t, WithEventHook(func(e Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}))
	key := create(t, s, "hooked", "corr-1")
	call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"fields":{"summary":"renamed","customfield_10042":{"value":"P1"}}}`)
	call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"fields":{"summary":"renamed"}}`) // no change, no event
	call(t, s, "POST", "/rest/api/2/issue/"+key+"/transitions", `{"transition":{"id":"31"}}`)
	call(t, s, "POST", "/rest/api/2/issue/"+key+"/comment", `{"body":"from the SIEM"}`)
	require.NoError(t, s.SetStatus(key, "In Progress"))
	require.NoError(t, s.DeleteTicket(key))

	mu.Lock()
	defer mu.Unlock()
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = e.Name
		assert.Equal(t, strconv.Itoa(i+1), e.Identifier)
		assert.Equal(t, key, e.Key)
		assert.True(t, gjson.ValidBytes(e.Body))
		assert.Equal(t, e.Name, gjson.GetBytes(e.Body, "webhookEvent").String())
		assert.Equal(t, epoch.UnixMilli(), gjson.GetBytes(e.Body, "timestamp").Int())
		assert.Equal(t, key, gjson.GetBytes(e.Body, "issue.key").String())
	}
	require.Equal(t, []string{EventIssueCreated, EventIssueUpdated, EventIssueUpdated, EventCommentCreated, EventIssueUpdated, EventIssueDeleted}, names)

	upd := gjson.ParseBytes(events[1].Body)
	assert.Equal(t, "issue_updated", upd.Get("issue_event_type_name").String())
	assert.Equal(t, "renamed", upd.Get(`changelog.items.#(field=="summary").toString`).String())
	assert.Equal(t, "custom", upd.Get(`changelog.items.#(field=="customfield_10042").fieldtype`).String())
	assert.Equal(t, "P1", upd.Get(`changelog.items.#(field=="customfield_10042").toString`).String())

	done := gjson.ParseBytes(events[2].Body)
	assert.Equal(t, "issue_resolved", done.Get("issue_event_type_name").String())
	st := done.Get(`changelog.items.#(fieldId=="status")`)
	assert.Equal(t, "To Do", st.Get("fromString").String())
	assert.Equal(t, "Done", st.Get("toString").String())
	assert.Equal(t, "10001", st.Get("to").String())
	assert.Equal(t, "Done", done.Get(`changelog.items.#(field=="resolution").toString`).String())
	assert.Equal(t, "done", done.Get("issue.fields.status.statusCategory.key").String())

	cm := gjson.ParseBytes(events[3].Body)
	assert.Equal(t, "from the SIEM", cm.Get("comment.body").String())
	assert.False(t, cm.Get("user").Exists(), "comment_created has no top-level user")

	back := gjson.ParseBytes(events[4].Body)
	assert.Equal(t, "Done", back.Get(`changelog.items.#(field=="status").fromString`).String())
	assert.Equal(t, "indeterminate", back.Get("issue.fields.status.statusCategory.key").String())

	t.Run("Request signs like Jira", func(t *testing.T) {
		var got *http.Request
		var gotBody []byte
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotBody, _ = io.ReadAll(r.Body)
			got = r
		}))
		defer rcv.Close()
		req, err := events[2].Request(context.Background(), rcv.URL, "whsec")
		require.NoError(t, err)
		resp, err := rcv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		mac := hmac.New(sha256.New, []byte("whsec"))
		mac.Write(events[2].Body)
		assert.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), got.Header.Get("X-Hub-Signature"))
		assert.Equal(t, "3", got.Header.Get("X-Atlassian-Webhook-Identifier"))
		assert.True(t, bytes.Equal(events[2].Body, gotBody))

		unsigned, err := events[0].Request(context.Background(), rcv.URL, "")
		require.NoError(t, err)
		assert.Empty(t, unsigned.Header.Get("X-Hub-Signature"))
		_, err = events[0].Request(context.Background(), "://bad", "")
		assert.Error(t, err)
	})
}

func TestMountedHandler(t *testing.T) {
	t.Parallel()
	fake := New(WithClock(&fixedClock{t: epoch}))
	t.Cleanup(fake.Close)
	mux := http.NewServeMux()
	mux.Handle("/jira/", http.StripPrefix("/jira", fake.Handler()))
	host := httptest.NewServer(mux)
	t.Cleanup(host.Close)

	resp, err := host.Client().Post(host.URL+"/jira/rest/api/3/issue", "application/json",
		strings.NewReader(`{"fields":{"project":{"key":"ops"},"summary":"mounted"}}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "OPS-1", gjson.GetBytes(body, "key").String())
	assert.True(t, strings.HasPrefix(gjson.GetBytes(body, "self").String(), "http://127.0.0.1:"), string(body))
	assert.Empty(t, fake.URL())
	assert.ErrorIs(t, fake.RefuseConnections(), ErrNotListening)
	assert.ErrorIs(t, fake.AcceptConnections(), ErrNotListening)
	assert.Equal(t, http.DefaultClient, fake.Client())

	withBase := New(WithBaseURL("https://jira.example.test/"))
	t.Cleanup(withBase.Close)
	assert.Equal(t, "https://jira.example.test", withBase.URL())
}

func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	s := setup(t)
	const n = 64
	var wg sync.WaitGroup
	keys := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			r, err := try(context.Background(), s, "POST", "/rest/api/3/issue",
				`{"fields":{"summary":"c`+strconv.Itoa(i)+`","labels":["l`+strconv.Itoa(i)+`"]}}`)
			errs[i] = err
			keys[i] = r.json().Get("key").String()
			if err == nil && r.status != http.StatusCreated {
				errs[i] = errors.New(string(r.body))
			}
		})
		wg.Go(func() {
			_, _ = try(context.Background(), s, "GET", "/rest/api/3/search/jql?jql=labels%3Dl"+strconv.Itoa(i), "")
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		require.NoError(t, errs[i])
		assert.False(t, seen[keys[i]], "duplicate key %s", keys[i])
		seen[keys[i]] = true
	}
	assert.Len(t, s.Tickets(), n)
	assert.Equal(t, n, s.CreateCount())
	assert.Equal(t, n, s.SearchCount())
}

func BenchmarkCreate(b *testing.B) {
	s := NewServer(WithoutRecording())
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	body := []byte(`{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] case","description":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"hello"}]}]},"labels":["itsmsync-abc"],"priority":{"name":"High"}}}`)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(s.URL()+"/rest/api/3/issue", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// BenchmarkHandlerCreate measures the fake's own cost of a create, without
// the network, so benchmarks of clients can tell it apart.
func BenchmarkHandlerCreate(b *testing.B) {
	s := New(WithoutRecording())
	defer s.Close()
	body := `{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] case","description":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"hello"}]}]},"labels":["itsmsync-abc"],"priority":{"name":"High"}}}`
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/rest/api/3/issue", strings.NewReader(body)))
		if rec.Code != http.StatusCreated {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
