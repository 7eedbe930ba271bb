package httpconn

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/stretchr/testify/assert"
)

// opClass is one kind of call for the retry policy.
type opClass struct {
	op         itsm.Operation
	method     string
	idempotent bool
}

var opClasses = []opClass{
	{itsm.OpCreate, "POST", false},
	{itsm.OpCreate, "PUT", false},
	{itsm.OpComment, "POST", false},
	{itsm.OpComment, "PUT", false},
	{itsm.OpUpdate, "POST", false},
	{itsm.OpUpdate, "PUT", true},
	{itsm.OpUpdate, "PATCH", true},
	{itsm.OpGet, "GET", true},
	{itsm.OpGet, "POST", true},
	{itsm.OpLookup, "GET", true},
	{itsm.OpCheck, "GET", true},
}

func resp(code int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: code, Header: h}
}

// TestRetryDecisionEveryStatus checks the policy for every status code and
// every kind of call.
func TestRetryDecisionEveryStatus(t *testing.T) {
	t.Parallel()
	for _, oc := range opClasses {
		for code := 100; code <= 599; code++ {
			for _, ra := range []string{"", "5"} {
				name := fmt.Sprintf("%s %s %d ra=%q", oc.op, oc.method, code, ra)
				retry, unknown := retryDecision(oc.op, oc.method, resp(code, ra), nil)
				var wantRetry, wantUnknown bool
				switch {
				case code >= 200 && code < 300:
				case code == 429:
					wantRetry = true
				case code == 503 && ra != "":
					wantRetry = true
				case code == 408:
					wantRetry = oc.idempotent
				case code == 501 || code == 505:
				case code >= 500:
					wantRetry, wantUnknown = oc.idempotent, !oc.idempotent
				case code >= 300 && code < 400:
					wantUnknown = !oc.idempotent
				}
				if retry != wantRetry || unknown != wantUnknown {
					t.Errorf("%s: got retry=%v unknown=%v, want retry=%v unknown=%v", name, retry, unknown, wantRetry, wantUnknown)
				}
			}
		}
	}
}

func TestRetryDecisionErrors(t *testing.T) {
	t.Parallel()
	refused := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	dns := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}}
	proxy := &net.OpError{Op: "proxyconnect", Net: "tcp", Err: syscall.ECONNREFUSED}
	reset := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}
	eof := &url.Error{Op: "Post", URL: "http://x", Err: io.EOF}
	timeout := &url.Error{Op: "Post", URL: "http://x", Err: context.DeadlineExceeded}
	canceled := &url.Error{Op: "Post", URL: "http://x", Err: context.Canceled}
	notAllowed := &url.Error{Op: "Get", URL: "http://x", Err: &HostNotAllowedError{Host: "169.254.169.254", Reason: "metadata"}}
	cert := &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}
	oauth := &OAuth2Error{StatusCode: 401, Code: "invalid_client"}
	redirects := &url.Error{Op: "Get", URL: "http://x", Err: errTooManyRedirects}
	noAddress := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no address", Name: "x", IsNotFound: true}}}

	for _, tc := range []struct {
		name                 string
		err                  error
		idemRetry, idemUnk   bool
		writeRetry, writeUnk bool
	}{
		{"connection refused", refused, true, false, true, false},
		{"dns failure", dns, true, false, true, false},
		{"proxy connect refused", proxy, true, false, true, false},
		{"reset after send", reset, true, false, false, true},
		{"eof", eof, true, false, false, true},
		{"timeout", timeout, true, false, false, true},
		{"canceled", canceled, false, false, false, true},
		{"host not allowed", notAllowed, false, false, false, false},
		{"certificate", cert, false, false, false, false},
		{"oauth2 token", oauth, false, false, false, false},
		{"redirect loop", redirects, false, false, false, false},
		{"no address for the name", noAddress, true, false, true, false},
		{"unknown error", errors.New("something"), true, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, oc := range opClasses {
				retry, unknown := retryDecision(oc.op, oc.method, nil, tc.err)
				if oc.idempotent {
					assert.Equal(t, tc.idemRetry, retry, "%s %s retry", oc.op, oc.method)
					assert.Equal(t, tc.idemUnk, unknown, "%s %s unknown", oc.op, oc.method)
				} else {
					assert.Equal(t, tc.writeRetry, retry, "%s %s retry", oc.op, oc.method)
					assert.Equal(t, tc.writeUnk, unknown, "%s %s unknown", oc.op, oc.method)
				}
			}
		})
	}
}
