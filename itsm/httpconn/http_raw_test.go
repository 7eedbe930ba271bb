package httpconn_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rawTestConfig(base string) httpconn.Config {
	return httpconn.Config{
		Name:         "raw",
		ID:           "int-raw",
		Create:       httpconn.EndpointConfig{URL: base + "/issue", Payload: `{"summary": "$case_name"}`},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{URL: base + "/issue/$ticket_id"},
		Headers:      map[string]string{"X-Case": "$case_id"},
		Auth:         httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "raw-SECRET-token"},
		Network:      httpconn.NetworkConfig{AllowLoopback: true},
		Retry:        httpconn.RetryConfig{MaxAttempts: 2, WaitMin: httpconn.Duration(time.Millisecond), WaitMax: httpconn.Duration(time.Millisecond)},
	}
}

func TestHTTPConnectorDo(t *testing.T) {
	type seen struct {
		method, path, query, auth, ctype, xcase, body string
	}
	var (
		mu    sync.Mutex
		got   []seen
		fails = map[string]int{"/issue/500/transitions": 1}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("X-Case"), string(b)})
		n := fails[r.URL.Path]
		fails[r.URL.Path] = n - 1
		mu.Unlock()
		switch {
		case n > 0:
			w.WriteHeader(http.StatusBadGateway)
		case r.URL.Path == "/issue/404/transitions":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errorMessages":["no such issue raw-SECRET-token"]}`))
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusNoContent)
		default:
			_, _ = w.Write([]byte(`{"transitions":[{"id":"31"}]}`))
		}
	}))
	t.Cleanup(srv.Close)
	var audits []itsm.AuditEvent
	conn, err := httpconn.New(rawTestConfig(srv.URL), itsm.WithAudit(itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
		mu.Lock()
		audits = append(audits, e)
		mu.Unlock()
	})))
	require.NoError(t, err)
	ctx := context.Background()
	cs := &itsm.Case{ID: "CASE-1", Title: "t"}
	tk := &itsm.Ticket{ID: "a/b"}

	// A read with variables escaped in the path, configured headers, auth.
	resp, err := conn.Do(ctx, httpconn.Request{Op: itsm.OpGet, URL: srv.URL + "/issue/$ticket_id/transitions?expand=x", Case: cs, Ticket: tk})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"transitions":[{"id":"31"}]}`, string(resp.Body))
	mu.Lock()
	assert.Equal(t, seen{"GET", "/issue/a/b/transitions", "expand=x", "Bearer raw-SECRET-token", "", "CASE-1", ""}, got[0])
	mu.Unlock()

	// A write with a JSON body.
	resp, err = conn.Do(ctx, httpconn.Request{Op: "transition", Method: "post", URL: srv.URL + "/issue/$ticket_id/transitions",
		Body: []byte(`{"transition":{"id":"31"}}`), Case: cs, Ticket: &itsm.Ticket{ID: "7"}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Nil(t, resp.Body)
	mu.Lock()
	assert.Equal(t, "application/json", got[1].ctype)
	assert.JSONEq(t, `{"transition":{"id":"31"}}`, got[1].body)
	mu.Unlock()

	// A read is retried on 502; a non-idempotent write is not, and its
	// outcome is unknown.
	_, err = conn.Do(ctx, httpconn.Request{Op: itsm.OpGet, URL: srv.URL + "/issue/500/transitions"})
	require.NoError(t, err)
	mu.Lock()
	fails["/issue/500/transitions"] = 1
	mu.Unlock()
	_, err = conn.Do(ctx, httpconn.Request{Op: "transition", Method: "POST", URL: srv.URL + "/issue/500/transitions", Body: []byte(`{}`)})
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)

	// A 4xx: a typed error naming the operation, without the secret.
	_, err = conn.Do(ctx, httpconn.Request{Op: "transition", URL: srv.URL + "/issue/404/transitions"})
	var he *httpconn.HTTPError
	require.True(t, errors.As(err, &he))
	assert.Equal(t, itsm.Operation("transition"), he.Op)
	assert.Equal(t, http.StatusNotFound, he.StatusCode)
	assert.NotContains(t, err.Error(), "raw-SECRET-token")

	mu.Lock()
	ops := map[string]int{}
	for _, a := range audits {
		ops[a.Operation]++
		assert.NotContains(t, a.Error, "raw-SECRET-token")
	}
	mu.Unlock()
	assert.Equal(t, map[string]int{"get": 2, "transition": 3}, ops)

	conn.Audit(ctx, "transition", cs, tk, time.Now(), errors.New("no transition raw-SECRET-token"))
	mu.Lock()
	last := audits[len(audits)-1]
	mu.Unlock()
	assert.Equal(t, itsm.OutcomeFailure, last.Outcome)
	assert.Equal(t, "CASE-1", last.CaseID)
	assert.NotContains(t, last.Error, "raw-SECRET-token")
}

func TestHTTPConnectorDoRejects(t *testing.T) {
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	conn, err := httpconn.New(rawTestConfig(srv.URL))
	require.NoError(t, err)
	form := rawTestConfig(srv.URL)
	form.BodyFormat = httpconn.BodyForm
	form.Create.Payload = "summary=$case_name"
	formConn, err := httpconn.New(form)
	require.NoError(t, err)
	ctx := context.Background()
	tests := []struct {
		name string
		conn *httpconn.Connector
		req  httpconn.Request
		want error
	}{
		{"no op", conn, httpconn.Request{URL: srv.URL}, itsm.ErrInvalidConfig},
		{"bad method", conn, httpconn.Request{Op: "x", Method: "CONNECT", URL: srv.URL}, itsm.ErrInvalidConfig},
		{"unknown variable", conn, httpconn.Request{Op: "x", URL: srv.URL + "/$nope"}, itsm.ErrInvalidConfig},
		{"body is not json", conn, httpconn.Request{Op: "x", Method: "POST", URL: srv.URL, Body: []byte(`{"a":`)}, itsm.ErrInvalidConfig},
		{"body with a form config", formConn, httpconn.Request{Op: "x", Method: "POST", URL: srv.URL, Body: []byte(`{}`)}, itsm.ErrInvalidConfig},
		{"host not allowed", conn, httpconn.Request{Op: "x", URL: "http://169.254.169.254/latest"}, httpconn.ErrHostNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.conn.Do(ctx, tt.req)
			require.ErrorIs(t, err, tt.want)
			assert.NotContains(t, err.Error(), "raw-SECRET-token")
		})
	}
	mu.Lock()
	assert.Zero(t, calls, "nothing was sent")
	mu.Unlock()
}
