package httpconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// retryDecision is the connector's retry policy as a pure function: given the
// operation, the request method and how one attempt ended (a response, or a
// transport error), it says whether to try again and — when the attempt is
// the last — whether the ITSM may have processed the request anyway.
//
// Reads (get, lookup, check) and idempotent updates (PUT, PATCH) are retried
// on connection errors, timeouts, 408, 429 and 5xx (except 501). Writes that
// create something — create, comment (whatever its method) and an update by
// POST — are retried only when the ITSM certainly did not process them: the
// connection was never made (refused, DNS failure, no route: the request was
// not sent), 429, or 503 with a Retry-After header. Any other failure of a
// write after the request may have reached the ITSM — a timeout or reset
// after sending, 500, 502, 504, 503 without Retry-After, a 3xx — reports
// outcomeUnknown, and the error wraps [itsm.ErrOutcomeUnknown]. Refused hosts,
// TLS and certificate failures, redirect loops (reads only: writes do not
// follow redirects) and 4xx statuses are final and certain (the request was
// rejected). A 2xx is never retried. 401 is final here; the
// connector retries it once itself when the authentication can refresh
// (OAuth2).
func retryDecision(op itsm.Operation, method string, resp *http.Response, err error) (retry, outcomeUnknown bool) {
	idempotent := isIdempotent(op, method)
	if err != nil {
		switch {
		case errors.Is(err, ErrHostNotAllowed), isTLSError(err), errors.Is(err, errTooManyRedirects):
			return false, false
		case notSent(err):
			return true, false
		case errors.Is(err, context.Canceled):
			return false, !idempotent
		}
		var oe *OAuth2Error
		if errors.As(err, &oe) {
			return false, false // the token request failed; nothing was sent
		}
		if idempotent {
			return true, false
		}
		return false, true
	}
	if resp == nil {
		return false, !idempotent
	}
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return false, false
	case code == http.StatusTooManyRequests:
		return true, false
	case code == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		return true, false
	case code == http.StatusRequestTimeout:
		return idempotent, false
	case code == http.StatusNotImplemented, code == http.StatusHTTPVersionNotSupported:
		return false, false
	case code >= 500:
		if idempotent {
			return true, false
		}
		return false, true
	case code >= 300 && code < 400:
		return false, !idempotent
	}
	return false, false
}

// isIdempotent reports whether repeating the request cannot create a second
// object: reads, and updates by PUT or PATCH.
func isIdempotent(op itsm.Operation, method string) bool {
	switch op {
	case itsm.OpGet, itsm.OpLookup, itsm.OpCheck, OpFindComment:
		return true
	case itsm.OpUpdate:
		m := strings.ToUpper(method)
		return m == http.MethodPut || m == http.MethodPatch
	}
	return false
}

// notSent reports errors that happened before the request could reach the
// ITSM: dialing (connection refused, no route, DNS failure) or the proxy
// CONNECT.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Op == "dial" || opErr.Op == "proxyconnect"
	}
	return false
}

// isTLSError reports handshake and certificate failures (nothing sent, and
// retrying will not help).
func isTLSError(err error) bool {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		verify      *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		alert       tls.AlertError
		ours        *TLSVerifyError
	)
	return errors.As(err, &ours) || errors.As(err, &unknownAuth) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &recordErr) || errors.As(err, &alert)
}

// maxRetryAfterHeader bounds what a Retry-After header is read as (the
// config's MaxRetryAfter caps the actual wait).
const maxRetryAfterHeader = 24 * time.Hour

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date
// (relative to now), at most 24h. It reports false when absent or
// unparsable; a date in the past is 0.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(maxRetryAfterHeader/time.Second) {
			n = int64(maxRetryAfterHeader / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	if d > maxRetryAfterHeader {
		d = maxRetryAfterHeader
	}
	return d, true
}

// backoff returns the wait before retry number attempt (0 for the first
// retry): the server's Retry-After on 429/503 capped by maxRetryAfter, else
// exponential from min, capped by max, with jitter in [d/2, d].
func backoff(min, max, maxRetryAfter time.Duration, attempt int, resp *http.Response, now time.Time) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header, now); ok {
			if d > maxRetryAfter {
				d = maxRetryAfter
			}
			return d
		}
	}
	if max <= 0 {
		return 0
	}
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max || d <= 0 {
		d = max
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half+1)
}
