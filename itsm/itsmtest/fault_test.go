package itsmtest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func httptestRecorder(s *Server, method, path, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec
}

const createBody = `{"fields":{"summary":"faulted","labels":["itsmsync-k1"]}}`

// plainClient is a fresh client per test, so a reset connection does not
// affect other tests' pools.
func plainClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func post(ctx context.Context, c *http.Client, url, body string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestStatusFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
		wantType   string
		wantBody   string // contained
		retryAfter string
		applied    bool
	}{
		{"500", Status(500), 500, "application/json", "Internal server error", "", false},
		{"502 html", Status(502), 502, "text/html", "<h1>502 Bad Gateway</h1>", "", false},
		{"504 html", Status(504), 504, "text/html", "Gateway Timeout", "", false},
		{"503 retry-after", RetryAfter(503, 2*time.Second), 503, "application/json", "temporarily unavailable", "2", false},
		{"429 retry-after rounds up", RetryAfter(429, 1500*time.Millisecond), 429, "application/json", "Rate limit", "2", false},
		{"retry-after negative", RetryAfter(429, -time.Second), 429, "application/json", "Rate limit", "0", false},
		{"401", Status(401), 401, "application/json", "not authenticated", "", false},
		{"403", Status(403), 403, "application/json", "permission", "", false},
		{"404", Status(404), 404, "application/json", msgIssueNotFound, "", false},
		{"400", Status(400), 400, "application/json", "could not be processed", "", false},
		{"418 generic", Status(418), 418, "application/json", "teapot", "", false},
		{"custom body", Status(500).WithBody("text/plain", "boom"), 500, "text/plain", "boom", "", false},
		{"custom json body", Status(409).WithBody("", `{"x":1}`).WithHeader("X-Trace", "t1"), 409, "application/json", `{"x":1}`, "", false},
		{"502 after apply", StatusAfterApply(502), 502, "text/html", "Bad Gateway", "", true},
		{"500 after apply", StatusAfterApply(500), 500, "application/json", "Internal", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			s.Fault(On(OpCreate), tc.fault)
			r := call(t, s, "POST", "/rest/api/2/issue", createBody)
			assert.Equal(t, tc.wantStatus, r.status)
			assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), tc.wantType), r.header.Get("Content-Type"))
			assert.Contains(t, string(r.body), tc.wantBody)
			assert.Equal(t, tc.retryAfter, r.header.Get("Retry-After"))
			if tc.name == "custom json body" {
				assert.Equal(t, "t1", r.header.Get("X-Trace"))
			}
			assert.Equal(t, tc.applied, len(s.Tickets()) == 1, "applied")
			assert.Equal(t, tc.applied, tc.fault.Applies())

			// the fault was used up: the next create is normal
			r = call(t, s, "POST", "/rest/api/2/issue", createBody)
			assert.Equal(t, http.StatusCreated, r.status)
			assert.Zero(t, s.PendingFaults())
		})
	}
}

func TestFaultQueue(t *testing.T) {
	t.Parallel()
	t.Run("in order, Times, then normal", func(t *testing.T) {
		s := setup(t)
		s.Fault(On(OpCreate), Status(500), RetryAfter(429, time.Second).Times(2), Status(502))
		assert.Equal(t, 4, s.PendingFaults())
		var got []int
		for range 5 {
			got = append(got, call(t, s, "POST", "/rest/api/2/issue", createBody).status)
		}
		assert.Equal(t, []int{500, 429, 429, 502, 201}, got)
		assert.Zero(t, s.PendingFaults())
	})
	t.Run("Always until cleared", func(t *testing.T) {
		s := setup(t)
		s.Fault(On(OpComment), Status(503).Always(), Status(500))
		key := create(t, s, "x")
		for range 3 {
			assert.Equal(t, 503, call(t, s, "POST", "/rest/api/2/issue/"+key+"/comment", `{"body":"n"}`).status)
		}
		assert.Equal(t, 2, s.PendingFaults())
		s.ClearFaults()
		assert.Equal(t, 201, call(t, s, "POST", "/rest/api/2/issue/"+key+"/comment", `{"body":"n"}`).status)
	})
	t.Run("match by op leaves other ops alone", func(t *testing.T) {
		s := setup(t)
		s.Fault(On(OpUpdate), Status(500))
		key := create(t, s, "x")
		assert.Equal(t, 200, call(t, s, "GET", "/rest/api/2/issue/"+key, "").status)
		assert.Equal(t, 500, call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"fields":{"summary":"y"}}`).status)
		tk, _ := s.Ticket(key)
		assert.Equal(t, "x", tk.Summary, "a status fault does not apply the update")
	})
	t.Run("match by method and path", func(t *testing.T) {
		s := setup(t)
		s.Fault(Match{Method: "post", Path: "/rest/api/3/issue/*/comment"}, Status(500))
		key := create(t, s, "x")
		assert.Equal(t, 201, call(t, s, "POST", "/rest/api/2/issue/"+key+"/comment", `{"body":"v2 not matched"}`).status)
		assert.Equal(t, 200, call(t, s, "GET", "/rest/api/3/issue/"+key+"/comment", "").status)
		assert.Equal(t, 500, call(t, s, "POST", "/rest/api/3/issue/"+key+"/comment", `{"body":`+adfHello+`}`).status)
	})
	t.Run("bad path pattern never matches", func(t *testing.T) {
		s := setup(t)
		s.Fault(Match{Path: "[", Op: OpCreate}, Status(500))
		assert.Equal(t, 201, call(t, s, "POST", "/rest/api/2/issue", createBody).status)
	})
	t.Run("first registered queue wins", func(t *testing.T) {
		s := setup(t)
		s.Fault(Match{}, Status(500))
		s.Fault(On(OpCreate), Status(502))
		assert.Equal(t, 500, call(t, s, "POST", "/rest/api/2/issue", createBody).status)
		assert.Equal(t, 502, call(t, s, "POST", "/rest/api/2/issue", createBody).status)
		assert.Equal(t, 201, call(t, s, "POST", "/rest/api/2/issue", createBody).status)
	})
	t.Run("no faults is a no-op, Times < 1 is once", func(t *testing.T) {
		s := setup(t)
		s.Fault(Match{})
		assert.Zero(t, s.PendingFaults())
		s.Fault(Match{}, Status(500).Times(0))
		assert.Equal(t, 1, s.PendingFaults())
	})
}

func TestConcurrentFaults(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.Fault(On(OpCreate), Status(503).Times(10), StatusAfterApply(500).Times(5))
	const n = 50
	var wg sync.WaitGroup
	var n503, n500, n201 atomic.Int32
	for range n {
		wg.Go(func() {
			r, err := try(context.Background(), s, "POST", "/rest/api/2/issue", createBody)
			if err != nil {
				return
			}
			switch r.status {
			case 503:
				n503.Add(1)
			case 500:
				n500.Add(1)
			case 201:
				n201.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(10), n503.Load())
	assert.Equal(t, int32(5), n500.Load())
	assert.Equal(t, int32(35), n201.Load())
	assert.Len(t, s.Tickets(), 40, "35 normal + 5 applied before the 500")
	assert.Zero(t, s.PendingFaults())
}

func TestBodyFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    Fault
		op       string // create, update, comment
		status   int
		ctype    string
		validate func(t *testing.T, body []byte)
	}{
		{"malformed create", MalformedJSON(), "create", 201, "application/json", func(t *testing.T, b []byte) {
			assert.False(t, gjson.ValidBytes(b), string(b))
			assert.NotEmpty(t, b)
		}},
		{"malformed update (204 becomes 200)", MalformedJSON(), "update", 200, "application/json", func(t *testing.T, b []byte) {
			assert.False(t, gjson.ValidBytes(b))
		}},
		{"missing id on create", MissingID(), "create", 201, "application/json", func(t *testing.T, b []byte) {
			j := gjson.ParseBytes(b)
			assert.True(t, j.IsObject())
			assert.False(t, j.Get("id").Exists())
			assert.False(t, j.Get("key").Exists())
			assert.True(t, j.Get("self").Exists())
		}},
		{"missing id on comment", MissingID(), "comment", 201, "application/json", func(t *testing.T, b []byte) {
			assert.False(t, gjson.GetBytes(b, "id").Exists())
			assert.True(t, gjson.GetBytes(b, "body").Exists())
		}},
		{"missing id on update is a plain 204", MissingID(), "update", 204, "", func(t *testing.T, b []byte) { assert.Empty(t, b) }},
		{"204 text/html on update", HTMLNoContent(), "update", 204, "text/html", func(t *testing.T, b []byte) { assert.Empty(t, b) }},
		{"204 text/html on create", HTMLNoContent(), "create", 204, "text/html", func(t *testing.T, b []byte) { assert.Empty(t, b) }},
		{"json as text/plain", JSONAsTextPlain(), "create", 201, "text/plain", func(t *testing.T, b []byte) {
			assert.Equal(t, "SEC-2", gjson.GetBytes(b, "key").String())
		}},
		{"json as text/plain, 204 untouched", JSONAsTextPlain(), "update", 204, "", func(t *testing.T, b []byte) { assert.Empty(t, b) }},
		{"delay then normal", Delay(time.Millisecond), "create", 201, "application/json", func(t *testing.T, b []byte) {
			assert.Equal(t, "SEC-2", gjson.GetBytes(b, "key").String())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t)
			key := create(t, s, "existing")
			s.Fault(On(Op(tc.op)), tc.fault)
			var r reply
			switch tc.op {
			case "create":
				r = call(t, s, "POST", "/rest/api/2/issue", createBody)
			case "update":
				r = call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"fields":{"summary":"updated"}}`)
			case "comment":
				r = call(t, s, "POST", "/rest/api/2/issue/"+key+"/comment", `{"body":"note"}`)
			}
			assert.Equal(t, tc.status, r.status)
			assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), tc.ctype), r.header.Get("Content-Type"))
			tc.validate(t, r.body)
			assert.True(t, tc.fault.Applies())
			// the operation happened
			switch tc.op {
			case "create":
				assert.Len(t, s.Tickets(), 2)
			case "update":
				tk, _ := s.Ticket(key)
				assert.Equal(t, "updated", tk.Summary)
			case "comment":
				tk, _ := s.Ticket(key)
				assert.Len(t, tk.Comments, 1)
			}
		})
	}
	t.Run("faults on failing requests keep the failure", func(t *testing.T) {
		s := setup(t)
		s.Fault(On(OpCreate), MissingID(), MalformedJSON(), HTMLNoContent())
		for range 3 {
			r := call(t, s, "POST", "/rest/api/2/issue", `{"fields":{}}`)
			assert.Equal(t, 400, r.status)
			assert.True(t, gjson.ValidBytes(r.body))
		}
	})
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func TestResetAfterSend(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.Fault(On(OpCreate), ResetAfterSend())
	c := plainClient(t)
	_, _, err := post(context.Background(), c, s.URL()+"/rest/api/3/issue", createBody)
	require.Error(t, err)
	assert.True(t, isReset(err), "want a reset or EOF, got %v", err)
	tks := s.Tickets()
	require.Len(t, tks, 1, "the ticket exists although the client saw an error")
	assert.True(t, tks[0].HasLabel("itsmsync-k1"))
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "reset after send", reqs[0].Fault)
	assert.Zero(t, reqs[0].Status)

	// the client recovers on a new connection
	resp, _, err := post(context.Background(), c, s.URL()+"/rest/api/3/issue", createBody)
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
}

func TestDropBeforeProcessing(t *testing.T) {
	t.Parallel()
	s := setup(t)
	key := create(t, s, "x")
	s.Fault(On(OpComment), DropBeforeProcessing())
	_, _, err := post(context.Background(), plainClient(t), s.URL()+"/rest/api/2/issue/"+key+"/comment", `{"body":"n"}`)
	require.Error(t, err)
	assert.True(t, isReset(err), "got %v", err)
	tk, _ := s.Ticket(key)
	assert.Empty(t, tk.Comments, "dropped before processing: no comment")
	assert.False(t, DropBeforeProcessing().Applies())
}

func TestAbortWithoutHijack(t *testing.T) {
	t.Parallel()
	s := New()
	t.Cleanup(s.Close)
	s.Fault(On(OpCreate), ResetAfterSend())
	// A ResponseRecorder cannot be hijacked: the handler aborts instead.
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		httptestRecorder(s, "POST", "/rest/api/2/issue", createBody)
	})
	assert.Len(t, s.Tickets(), 1)
}

// waitArrived waits until the fake has received n requests for op (the
// request is then being faulted).
func waitArrived(t *testing.T, s *Server, op Op, n int) {
	t.Helper()
	require.NoError(t, s.WaitFor(context.Background(), func() bool { return s.Count(op) >= n }))
}

func TestTimeoutAfterSend(t *testing.T) {
	t.Parallel()
	created := make(chan Event, 1)
	s := setup(t, WithEventHook(func(e Event) {
		if e.Name == EventIssueCreated {
			created <- e
		}
	}))
	s.Fault(On(OpCreate), TimeoutAfterSend())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := post(ctx, plainClient(t), s.URL()+"/rest/api/2/issue", createBody)
		errc <- err
	}()
	ev := <-created // applied before the hang
	cancel()        // the client gives up
	err := <-errc
	require.ErrorIs(t, err, context.Canceled)
	tk, ok := s.Ticket(ev.Key)
	require.True(t, ok, "the ticket exists although the client timed out")
	assert.True(t, tk.HasLabel("itsmsync-k1"))
	assert.True(t, TimeoutAfterSend().Applies())
}

func TestTimeoutBeforeProcessing(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.Fault(On(OpCreate), TimeoutBeforeProcessing())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := post(ctx, plainClient(t), s.URL()+"/rest/api/2/issue", createBody)
		errc <- err
	}()
	waitArrived(t, s, OpCreate, 1)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Empty(t, s.Tickets())
	assert.False(t, TimeoutBeforeProcessing().Applies())
}

func TestDelayCancelled(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.Fault(On(OpCreate), Delay(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := post(ctx, plainClient(t), s.URL()+"/rest/api/2/issue", createBody)
		errc <- err
	}()
	waitArrived(t, s, OpCreate, 1)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Empty(t, s.Tickets(), "a delay the client abandoned applies nothing")

	t.Run("After on a status fault", func(t *testing.T) {
		s.Fault(On(OpGet), Status(500).After(time.Millisecond))
		assert.Equal(t, 500, call(t, s, "GET", "/rest/api/2/issue/SEC-1", "").status)
		assert.Equal(t, "status 500 after 1ms", Status(500).After(time.Millisecond).String())
	})
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	t.Parallel()
	s := NewServer()
	for _, f := range []Fault{TimeoutAfterSend(), TimeoutBeforeProcessing(), Delay(time.Hour), Status(500).After(time.Hour)} {
		s.Fault(On(OpCreate), f)
	}
	c := plainClient(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, _, err := post(context.Background(), c, s.URL()+"/rest/api/2/issue", createBody)
			assert.Error(t, err)
		})
	}
	waitArrived(t, s, OpCreate, 4)
	s.Close() // must return: every hanging handler is released
	wg.Wait()
	s.Close() // idempotent
	assert.Len(t, s.Tickets(), 1, "only TimeoutAfterSend applied")
}

func TestRefuseConnections(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := plainClient(t)
	create(t, s, "before")
	// a keep-alive connection exists in c's pool too
	_, _, err := post(context.Background(), c, s.URL()+"/rest/api/2/issue", createBody)
	require.NoError(t, err)

	require.NoError(t, s.RefuseConnections())
	require.NoError(t, s.RefuseConnections(), "idempotent")
	c.Transport.(*http.Transport).CloseIdleConnections()
	_, _, err = post(context.Background(), c, s.URL()+"/rest/api/2/issue", createBody)
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "want connection refused, got %v", err)
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr)
	assert.Len(t, s.Tickets(), 2)

	require.NoError(t, s.AcceptConnections())
	require.NoError(t, s.AcceptConnections(), "idempotent")
	resp, _, err := post(context.Background(), c, s.URL()+"/rest/api/2/issue", createBody)
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Len(t, s.Tickets(), 3)
}

func TestRefuseThenClose(t *testing.T) {
	t.Parallel()
	s := NewServer()
	require.NoError(t, s.RefuseConnections())
	s.Close() // Serve's Accept is parked while refusing; Close must end it
	assert.Error(t, s.AcceptConnections())
}

func TestFaultNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f       Fault
		name    string
		applies bool
	}{
		{Status(500), "status 500", false},
		{RetryAfter(503, 3*time.Second), "status 503 retry-after 3s", false},
		{StatusAfterApply(502), "status 502 after apply", true},
		{Delay(2 * time.Second), "delay 2s", true},
		{TimeoutAfterSend(), "timeout after send", true},
		{TimeoutBeforeProcessing(), "timeout before processing", false},
		{ResetAfterSend(), "reset after send", true},
		{DropBeforeProcessing(), "drop before processing", false},
		{MalformedJSON(), "malformed json", true},
		{MissingID(), "missing id", true},
		{HTMLNoContent(), "204 text/html", true},
		{JSONAsTextPlain(), "json as text/plain", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.name, tc.f.String())
			assert.Equal(t, tc.applies, tc.f.Applies())
		})
	}
	assert.Equal(t, "any request", Match{}.String())
	assert.Equal(t, "op=create method=POST path=/rest/*", Match{Op: OpCreate, Method: "post", Path: "/rest/*"}.String())
}

func TestWaitFor(t *testing.T) {
	t.Parallel()
	s := NewServer()
	key := create(t, s, "x")
	s.Fault(On(OpComment), TimeoutAfterSend())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := post(ctx, plainClient(t), s.URL()+"/rest/api/2/issue/"+key+"/comment", `{"body":"n"}`)
		errc <- err
	}()
	require.NoError(t, s.WaitFor(context.Background(), func() bool {
		tk, _ := s.Ticket(key)
		return len(tk.Comments) == 1
	}))
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	require.NoError(t, s.WaitFor(context.Background(), func() bool { return s.Requests()[1].Status == 0 && s.CommentCount() == 1 }))

	done, stop := context.WithCancel(context.Background())
	stop()
	assert.ErrorIs(t, s.WaitFor(done, func() bool { return false }), context.Canceled)

	go s.Close()
	assert.ErrorIs(t, s.WaitFor(context.Background(), func() bool { return false }), ErrClosed)
	assert.NoError(t, s.WaitFor(context.Background(), func() bool { return true }))
}

func TestNilBody(t *testing.T) {
	t.Parallel()
	s := New()
	t.Cleanup(s.Close)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/rest/api/2/search?jql=", nil)
	req.Body = nil
	s.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
}
