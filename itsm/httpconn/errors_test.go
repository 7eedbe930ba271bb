package httpconn

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// netTestConfig is a small config against base with a secret token and a
// secret-looking query value, short timeouts and two attempts.
func netTestConfig(base string) Config {
	return Config{
		Name:         "net",
		ID:           "int-net",
		Create:       EndpointConfig{URL: base + "/issue?api_key=q-Secret-1", Payload: `{"summary":"$case_name"}`},
		TicketIDPath: "id",
		Update:       EndpointConfig{URL: base + "/issue/$ticket_id"},
		Get:          GetConfig{URL: base + "/issue/$ticket_id?api_key=q-Secret-1"},
		Auth:         AuthConfig{Type: AuthBearer, Token: "net-Secret-token"},
		Network:      NetworkConfig{AllowLoopback: true},
		Timeouts:     Timeouts{Request: Duration(200 * time.Millisecond)},
		Retry:        RetryConfig{MaxAttempts: 2, WaitMin: Duration(time.Millisecond), WaitMax: Duration(time.Millisecond)},
	}
}

// resetServer reads each request and answers with a TCP reset: the request
// was sent, no response came back.
func resetServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with RST
		}
		_ = conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// hangServer never answers (until the client gives up).
func hangServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leave
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// closedServer is an address nothing listens on: connection refused.
func closedServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// TestNetworkError: a request without an HTTP response is one
// *NetworkError — operation, method, URL without secrets, attempts, cause —
// that wraps itsm.ErrOutcomeUnknown only when a write may have been
// processed.
func TestNetworkError(t *testing.T) {
	t.Parallel()
	p := testPKI(t)
	for _, tc := range []struct {
		name         string
		base         func(t *testing.T) string
		hooks        func(cfg Config) Hooks
		op           itsm.Operation
		wantUnknown  bool
		wantAttempts int
		cause        func(t *testing.T, err error)
	}{
		{name: "refused, create (not sent: retried, outcome known)", base: closedServer, op: itsm.OpCreate, wantAttempts: 2,
			cause: func(t *testing.T, err error) {
				var oe *net.OpError
				require.ErrorAs(t, err, &oe)
				assert.Equal(t, "dial", oe.Op)
				assert.ErrorIs(t, err, syscall.ECONNREFUSED)
			}},
		{name: "refused, get", base: closedServer, op: itsm.OpGet, wantAttempts: 2,
			cause: func(t *testing.T, err error) { assert.ErrorIs(t, err, syscall.ECONNREFUSED) }},
		{name: "reset after send, create (not retried, outcome unknown)", base: resetServer, op: itsm.OpCreate, wantUnknown: true, wantAttempts: 1},
		{name: "reset after send, get (retried)", base: resetServer, op: itsm.OpGet, wantAttempts: 2},
		{name: "timeout, create (not retried, outcome unknown)", base: hangServer, op: itsm.OpCreate, wantUnknown: true, wantAttempts: 1,
			cause: func(t *testing.T, err error) {
				// The connector's own timeout is not the caller's deadline.
				assert.ErrorIs(t, err, itsm.ErrUnreachable)
				assert.NotErrorIs(t, err, context.DeadlineExceeded)
				var ne net.Error
				require.ErrorAs(t, err, &ne)
				assert.True(t, ne.Timeout())
			}},
		{name: "timeout, get (retried)", base: hangServer, op: itsm.OpGet, wantAttempts: 2,
			cause: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, itsm.ErrUnreachable)
				assert.NotErrorIs(t, err, context.DeadlineExceeded)
			}},
		{name: "dns failure, create (not sent)", base: func(*testing.T) string { return "http://nowhere.test" }, op: itsm.OpCreate, wantAttempts: 2,
			hooks: func(cfg Config) Hooks {
				tr, err := buildTransportResolver(cfg.Network, cfg.TLS, 0, testResolver)
				if err != nil {
					panic(err)
				}
				return Hooks{Transport: tr}
			},
			cause: func(t *testing.T, err error) {
				var de *net.DNSError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, "nowhere.test", de.Name)
			}},
		{name: "untrusted certificate, create (handshake refused: not sent, not retried)", op: itsm.OpCreate, wantAttempts: 1,
			base: func(t *testing.T) string { return tlsServer(t, p.server, nil).URL },
			cause: func(t *testing.T, err error) {
				var ua x509.UnknownAuthorityError
				assert.ErrorAs(t, err, &ua)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := netTestConfig(tc.base(t))
			var h Hooks
			if tc.hooks != nil {
				h = tc.hooks(cfg)
			}
			c, err := NewWithHooks(cfg, h)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			ctx := context.Background()
			cs := &itsm.Case{ID: "CASE-1", Title: "t", Status: itsm.StatusOpen, Severity: itsm.SeverityLow}
			if tc.op == itsm.OpCreate {
				_, err = c.Create(ctx, itsm.SyncRequest{Case: cs})
			} else {
				_, err = c.Get(ctx, itsm.Ticket{ID: "7"})
			}
			require.Error(t, err)

			var ne *NetworkError
			require.ErrorAs(t, err, &ne)
			assert.Equal(t, tc.op, ne.Op)
			assert.Equal(t, tc.wantAttempts, ne.Attempts)
			assert.Equal(t, tc.wantUnknown, ne.OutcomeUnknown)
			assert.Equal(t, tc.wantUnknown, errors.Is(err, itsm.ErrOutcomeUnknown))
			assert.NotErrorIs(t, err, ErrHostNotAllowed)
			var he *HTTPError
			assert.False(t, errors.As(err, &he), "no HTTP response: not an *HTTPError")
			var sc itsm.StatusCoder
			assert.False(t, errors.As(err, &sc), "no status for the engine to read")

			wantMethod := map[itsm.Operation]string{itsm.OpCreate: "POST", itsm.OpGet: "GET"}[tc.op]
			assert.Equal(t, wantMethod, ne.Method)
			assert.NotContains(t, ne.URL, "q-Secret-1", "secret query values removed")
			assert.Contains(t, ne.URL, "api_key=")
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "httpconn: "+string(tc.op)+": "+wantMethod+" "+ne.URL+": no response"), msg)
			assert.Equal(t, 1, strings.Count(msg, "httpconn: "), msg)
			for _, bad := range []string{"itsm: ", "netsafe", "bodylimit", "redact", "q-Secret-1", "net-Secret-token", `Get "`, `Post "`} {
				assert.NotContains(t, msg, bad)
			}
			if tc.wantUnknown {
				assert.Contains(t, msg, ": outcome unknown: ")
			}
			if tc.wantAttempts > 1 {
				assert.Contains(t, msg, "after 2 attempts")
			}
			if tc.cause != nil {
				tc.cause(t, err)
			}
		})
	}
}

// TestNetworkErrorNotForRefusals: a request the network rules refuse at
// dial time is a *HostNotAllowedError naming the operation, not a
// *NetworkError: nothing was sent, and retrying cannot help.
func TestNetworkErrorNotForRefusals(t *testing.T) {
	t.Parallel()
	cfg := netTestConfig("http://rebind.test")
	tr, err := buildTransportResolver(cfg.Network, cfg.TLS, 0, testResolver)
	require.NoError(t, err)
	c, err := NewWithHooks(cfg, Hooks{Transport: tr})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = c.Create(context.Background(), itsm.SyncRequest{Case: &itsm.Case{ID: "CASE-1", Title: "t"}})
	require.ErrorIs(t, err, ErrHostNotAllowed)
	var ne *NetworkError
	assert.False(t, errors.As(err, &ne))
	assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown)
	assert.Equal(t, "httpconn: create: host not allowed: rebind.test: resolves to private address 10.0.0.7; set network.allow_private_networks to allow it", err.Error())
}

func TestNetworkErrorMessage(t *testing.T) {
	t.Parallel()
	cause := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  *NetworkError
		want string
	}{
		{"refused after retries", &NetworkError{Op: itsm.OpGet, Method: "GET", URL: "https://x/issue/1", Attempts: 3, Err: cause},
			"httpconn: get: GET https://x/issue/1: no response after 3 attempts: dial tcp: connection refused"},
		{"outcome unknown", &NetworkError{Op: itsm.OpCreate, Method: "POST", URL: "https://x/issue", Attempts: 1, OutcomeUnknown: true, Err: errors.New("EOF")},
			"httpconn: create: POST https://x/issue: no response: outcome unknown: EOF"},
		{"cause with a package prefix", &NetworkError{Op: itsm.OpCreate, Method: "POST", URL: "https://x/issue", Err: &TLSVerifyError{Reason: "server sent no certificate"}},
			"httpconn: create: POST https://x/issue: no response: server certificate not trusted: server sent no certificate"},
		{"no cause", &NetworkError{Op: itsm.OpCheck}, "httpconn: check: no response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.err.Error())
			assert.Equal(t, tc.err.OutcomeUnknown, errors.Is(tc.err, itsm.ErrOutcomeUnknown))
			if tc.err.Err != nil {
				assert.ErrorIs(t, tc.err, tc.err.Err)
			}
		})
	}
}
