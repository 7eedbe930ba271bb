package httpconn

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// triggerCtx is a caller context that ends when fire is called, with the
// error given: a caller's deadline that passes exactly when a test says.
type triggerCtx struct {
	context.Context
	err  error
	done chan struct{}
	once sync.Once
}

func newTriggerCtx(err error) *triggerCtx {
	return &triggerCtx{Context: context.Background(), err: err, done: make(chan struct{})}
}

func (c *triggerCtx) Done() <-chan struct{} { return c.done }

func (c *triggerCtx) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

func (c *triggerCtx) fire() { c.once.Do(func() { close(c.done) }) }

// resetAfterHeadersServer answers 200 with a JSON body cut off after its
// first bytes (a TCP reset): the status arrived, the body did not.
func resetAfterHeadersServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"id\":")
		_ = buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// statusServer answers every request with code and header.
func statusServer(code int, header http.Header) func(t *testing.T) string {
	return func(t *testing.T) string {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"errorMessages":["no"]}`))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// callerEndsServer ends the caller's context (through end) once a request
// arrived, then hangs until the client leaves: the caller gave up while the
// request was in flight.
func callerEndsServer(end func()) func(t *testing.T) string {
	return func(t *testing.T) string {
		t.Helper()
		srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leave
			end()
			<-r.Context().Done()
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// unreachableConfig is netTestConfig with a comment and a lookup request.
func unreachableConfig(base string) Config {
	cfg := netTestConfig(base)
	cfg.Comment = CommentConfig{URL: base + "/issue/$ticket_id/comment", Payload: `{"body":"$note_text"}`, CommentIDPath: "id"}
	cfg.Create.Payload = `{"summary":"$case_name","key":"$correlation_key"}`
	cfg.Lookup = LookupConfig{URL: base + "/search?key=$correlation_key", ItemsPath: "issues", TicketIDPath: "id", MatchPath: "key"}
	cfg.Retry.MaxRetryAfter = Duration(time.Millisecond)
	return cfg
}

// opTransition is a provider's own write sent with Connector.Do (Jira's
// transitions, RT's calls).
const opTransition itsm.Operation = "transition"

// callOp runs op against c and returns its error.
func callOp(ctx context.Context, c *Connector, op itsm.Operation) error {
	cs := &itsm.Case{ID: "CASE-1", Title: "t", Status: itsm.StatusOpen, Severity: itsm.SeverityLow}
	req := itsm.SyncRequest{Case: cs}
	tk := itsm.Ticket{ID: "7"}
	var err error
	switch op {
	case itsm.OpCreate:
		_, err = c.Create(ctx, req)
	case itsm.OpUpdate:
		_, err = c.Update(ctx, tk, req)
	case itsm.OpComment:
		_, err = c.Comment(ctx, tk, req, itsm.Note{ID: "n1", Text: "hello"})
	case itsm.OpGet:
		_, err = c.Get(ctx, tk)
	case itsm.OpLookup:
		_, err = c.Find(ctx, req)
	case opTransition:
		_, err = c.Do(ctx, Request{Op: opTransition, Method: http.MethodPost, URL: c.cc.cfg.Update.URL + "/transitions", Body: []byte(`{}`), Ticket: &tk})
	}
	return err
}

// TestFailureClasses maps each failure class, for each operation, to the
// sentinel and the Temporary value the package documentation promises: no
// answer wraps itsm.ErrUnreachable (the connector's own timeout included,
// which does not match context.DeadlineExceeded); the caller's context
// ending wraps ctx.Err() and not ErrUnreachable; a status is an *HTTPError
// whose Temporary follows the retry policy; a write that may have been
// processed wraps itsm.ErrOutcomeUnknown.
func TestFailureClasses(t *testing.T) {
	t.Parallel()
	ops := []itsm.Operation{itsm.OpCreate, itsm.OpUpdate, itsm.OpComment, itsm.OpGet, itsm.OpLookup, opTransition}
	// writes is where a sent request may have been processed: create,
	// comment and a raw write by POST (the update is a PUT, idempotent).
	writes := map[itsm.Operation]bool{itsm.OpCreate: true, itsm.OpComment: true, opTransition: true}
	type want struct {
		ok          bool  // the call succeeds (the 2xx status was the answer)
		unreachable bool  // wraps itsm.ErrUnreachable
		temporary   bool  // Temporary()
		unknown     bool  // wraps itsm.ErrOutcomeUnknown
		ctxErr      error // wraps this context error
		status      int   // *HTTPError status; 0: a *NetworkError
		retryAfter  time.Duration
	}
	classes := []struct {
		name string
		// setup returns the server's base URL and the caller's context.
		setup func(t *testing.T) (string, context.Context)
		want  func(op itsm.Operation) want
	}{
		{name: "connection refused",
			setup: func(t *testing.T) (string, context.Context) { return closedServer(t), context.Background() },
			want:  func(itsm.Operation) want { return want{unreachable: true, temporary: true} }},
		{name: "server hangs past the connector timeout",
			setup: func(t *testing.T) (string, context.Context) { return hangServer(t), context.Background() },
			want: func(op itsm.Operation) want {
				return want{unreachable: true, temporary: true, unknown: writes[op]}
			}},
		{name: "reset after headers",
			setup: func(t *testing.T) (string, context.Context) { return resetAfterHeadersServer(t), context.Background() },
			want: func(op itsm.Operation) want {
				switch op {
				case itsm.OpUpdate, itsm.OpComment:
					// The 2xx status is the answer; the body is not needed
					// (a comment without its id is still posted).
					return want{ok: true}
				case itsm.OpCreate:
					return want{unreachable: true, temporary: true, unknown: true, status: 200}
				}
				return want{unreachable: true, temporary: true, status: 200}
			}},
		{name: "caller context canceled",
			setup: func(t *testing.T) (string, context.Context) {
				ctx, cancel := context.WithCancel(context.Background())
				t.Cleanup(cancel)
				return callerEndsServer(cancel)(t), ctx
			},
			want: func(op itsm.Operation) want { return want{ctxErr: context.Canceled, unknown: writes[op]} }},
		{name: "caller deadline passed",
			setup: func(t *testing.T) (string, context.Context) {
				ctx := newTriggerCtx(context.DeadlineExceeded)
				return callerEndsServer(ctx.fire)(t), ctx
			},
			want: func(op itsm.Operation) want { return want{ctxErr: context.DeadlineExceeded, unknown: writes[op]} }},
		{name: "500",
			setup: func(t *testing.T) (string, context.Context) { return statusServer(500, nil)(t), context.Background() },
			want:  func(op itsm.Operation) want { return want{temporary: true, status: 500, unknown: writes[op]} }},
		{name: "429 with Retry-After",
			setup: func(t *testing.T) (string, context.Context) {
				return statusServer(429, http.Header{"Retry-After": {"7"}})(t), context.Background()
			},
			want: func(itsm.Operation) want { return want{temporary: true, status: 429, retryAfter: 7 * time.Second} }},
		{name: "400",
			setup: func(t *testing.T) (string, context.Context) { return statusServer(400, nil)(t), context.Background() },
			want:  func(itsm.Operation) want { return want{status: 400} }},
	}
	for _, cl := range classes {
		for _, op := range ops {
			t.Run(cl.name+"/"+string(op), func(t *testing.T) {
				t.Parallel()
				base, ctx := cl.setup(t)
				c, err := New(unreachableConfig(base))
				require.NoError(t, err)
				t.Cleanup(func() { _ = c.Close() })
				w := cl.want(op)

				err = callOp(ctx, c, op)
				if w.ok {
					require.NoError(t, err)
					return
				}
				require.Error(t, err)
				assert.Equal(t, w.unreachable, errors.Is(err, itsm.ErrUnreachable), "ErrUnreachable: %v", err)
				assert.Equal(t, w.unknown, errors.Is(err, itsm.ErrOutcomeUnknown), "ErrOutcomeUnknown: %v", err)
				if w.ctxErr != nil {
					assert.ErrorIs(t, err, w.ctxErr)
					assert.Contains(t, err.Error(), "stopped by the caller's context")
				} else {
					assert.NotErrorIs(t, err, context.Canceled)
					assert.NotErrorIs(t, err, context.DeadlineExceeded, "a connector failure is not the caller's deadline")
				}
				var tmp interface{ Temporary() bool }
				require.ErrorAs(t, err, &tmp)
				assert.Equal(t, w.temporary, tmp.Temporary(), "Temporary: %v", err)

				var he *HTTPError
				var ne *NetworkError
				if w.status != 0 {
					require.ErrorAs(t, err, &he, "%v", err)
					assert.Equal(t, w.status, he.StatusCode)
					assert.Equal(t, w.retryAfter, he.RetryAfter)
					assert.False(t, errors.As(err, &ne))
				} else {
					require.ErrorAs(t, err, &ne, "%v", err)
					assert.Equal(t, w.ctxErr != nil, ne.ContextDone)
					assert.False(t, errors.As(err, &he))
				}
			})
		}
	}
}

// TestConnectorTimeoutMessage: the connector's timeout names its setting.
func TestConnectorTimeoutMessage(t *testing.T) {
	t.Parallel()
	c, err := New(unreachableConfig(hangServer(t)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	err = callOp(context.Background(), c, itsm.OpCreate)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timed out: no answer within the connector's timeout (timeouts.request 200ms)")
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
}

// TestOAuth2Unreachable: a token request that gets no answer wraps
// itsm.ErrUnreachable and is temporary; the caller's context ending is not
// unreachable; a refusal with a status follows the status.
func TestOAuth2Unreachable(t *testing.T) {
	t.Parallel()
	t.Run("token endpoint refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		cfg := unreachableConfig(srv.URL)
		cfg.Auth = AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{ClientID: "id", ClientSecret: "oauth-Secret-1", TokenURL: closedServer(t) + "/token"}}
		c, err := New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		for _, op := range []itsm.Operation{itsm.OpCreate, itsm.OpGet} {
			err = callOp(context.Background(), c, op)
			require.Error(t, err)
			var oe *OAuth2Error
			require.ErrorAs(t, err, &oe)
			assert.ErrorIs(t, err, itsm.ErrUnreachable)
			assert.True(t, oe.Temporary())
			assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown, "nothing was sent")
			assert.NotContains(t, err.Error(), "oauth-Secret-1")
		}
	})
	t.Run("token endpoint 503 and 400", func(t *testing.T) {
		t.Parallel()
		for code, temp := range map[int]bool{503: true, 400: false} {
			tok := statusServer(code, nil)(t)
			cfg := unreachableConfig(closedServer(t))
			cfg.Auth = AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{ClientID: "id", ClientSecret: "s", TokenURL: tok + "/token"}}
			c, err := New(cfg)
			require.NoError(t, err)
			err = callOp(context.Background(), c, itsm.OpGet)
			var oe *OAuth2Error
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, code, oe.StatusCode)
			assert.Equal(t, temp, oe.Temporary(), "status %d", code)
			assert.NotErrorIs(t, err, itsm.ErrUnreachable, "the token endpoint answered")
			_ = c.Close()
		}
	})
	t.Run("own timeout, caller's context", func(t *testing.T) {
		t.Parallel()
		// net/http's Client.Timeout error matches context.DeadlineExceeded.
		clientTimeout := &url.Error{Op: "Post", URL: "https://idp/token", Err: context.DeadlineExceeded}
		err := oauth2Error(context.Background(), clientTimeout)
		assert.ErrorIs(t, err, itsm.ErrUnreachable)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.True(t, err.(*OAuth2Error).Temporary())
		assert.Contains(t, err.Error(), "no answer within the connector's timeout (30s)")

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = oauth2Error(ctx, &url.Error{Op: "Post", URL: "https://idp/token", Err: context.Canceled})
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, itsm.ErrUnreachable)
		assert.False(t, err.(*OAuth2Error).Temporary())
	})
}

// TestTemporaryStatus is the Temporary rule against every status: what the
// retry policy retries on a read is temporary, nothing else.
func TestTemporaryStatus(t *testing.T) {
	t.Parallel()
	for code := 100; code < 600; code++ {
		retry, _ := retryDecision(itsm.OpGet, http.MethodGet, &http.Response{StatusCode: code, Header: http.Header{}}, nil)
		assert.Equal(t, retry, temporaryStatus(code), "status %d", code)
		assert.Equal(t, retry, (&HTTPError{StatusCode: code}).Temporary(), "status %d", code)
	}
}
