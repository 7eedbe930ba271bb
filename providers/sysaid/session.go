package sysaid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/internal/baseurl"
)

// maxRequestBody caps a request body the session buffers to replay it
// after a re-login (payloads are small; the connector caps nothing here).
const maxRequestBody = 8 << 20

// maxLoginBody caps how much of a login response is read.
const maxLoginBody = 64 << 10

// ErrLogin is wrapped by every login failure ([*LoginError]).
var ErrLogin = errors.New("sysaid: login failed")

// LoginError is a failed login: the status SysAid answered (0 when the
// login request got no response) and a short reason. It never holds the
// password or the session cookie.
type LoginError struct {
	// StatusCode is the status of the login response (0: none).
	StatusCode int
	// Reason says why the login failed, when known.
	Reason string
	// Err is the transport error, when there was no response.
	Err error

	retryAfter string // a 429's Retry-After, passed on to the connector
}

// Error implements the error interface.
func (e *LoginError) Error() string {
	msg := "sysaid: login failed"
	if e.StatusCode != 0 {
		msg += ": HTTP " + strconv.Itoa(e.StatusCode)
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns ErrLogin and the transport error.
func (e *LoginError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrLogin, e.Err}
	}
	return []error{ErrLogin}
}

// sessionState is the login shared by every transport of one connector:
// the credentials and the current session cookies. Logins are serialized;
// a request that finds its session expired logs in again only if nobody
// did since it read the cookies (the generation check), so a burst of
// expired requests costs one login.
type sessionState struct {
	loginURL  string
	origin    *url.URL // the login URL's: the only origin the session goes to
	user      string
	password  string // as sent (URL-encoded unless raw)
	accountID string
	clock     interface{ Now() time.Time }

	listeners []func(secret string) // told every session cookie value; guarded by mu
	logins    []time.Time           // login attempts in the last LoginWindow; guarded by loginMu

	loginMu sync.Mutex // held during a login
	mu      sync.Mutex // guards cookies, gen, lastErr
	cookies []*http.Cookie
	gen     uint64
	lastErr error // the failure of the login of generation gen, if it failed
}

// current returns the session cookies and their generation, logging in
// first when there is no session. fresh reports that this call logged in.
func (s *sessionState) current(ctx context.Context, base http.RoundTripper) (cookies []*http.Cookie, gen uint64, fresh bool, err error) {
	s.mu.Lock()
	cookies, gen = s.cookies, s.gen
	s.mu.Unlock()
	if cookies != nil {
		return cookies, gen, false, nil
	}
	return s.login(ctx, base, gen)
}

// login logs in unless the session changed since generation seen.
func (s *sessionState) login(ctx context.Context, base http.RoundTripper, seen uint64) ([]*http.Cookie, uint64, bool, error) {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	s.mu.Lock()
	if s.gen != seen {
		// Somebody logged in while this request waited: share the
		// outcome. A shared failure is not retried within the burst (a
		// wrong password must not cost one login per waiting request);
		// the next request tries again.
		cookies, gen, err := s.cookies, s.gen, s.lastErr
		s.mu.Unlock()
		if cookies != nil || err != nil {
			return cookies, gen, false, err
		}
	} else {
		s.mu.Unlock()
	}

	if err := s.allowLogin(); err != nil {
		return nil, seen, false, err
	}
	cookies, err := s.doLogin(ctx, base)
	values := make([]string, 0, len(cookies))
	for _, c := range cookies {
		values = append(values, c.Value)
	}
	s.tell(values)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.cookies = cookies // nil on failure: the next request tries again
	s.lastErr = err
	return cookies, s.gen, true, err
}

// invalidate drops the session of generation gen (a newer one is kept).
func (s *sessionState) invalidate(gen uint64) {
	s.mu.Lock()
	if s.gen == gen {
		s.cookies = nil
	}
	s.mu.Unlock()
}

func (s *sessionState) doLogin(ctx context.Context, base http.RoundTripper) ([]*http.Cookie, error) {
	body := map[string]string{"user_name": s.user, "password": s.password}
	if s.accountID != "" {
		body["account_id"] = s.accountID
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, &LoginError{Reason: "cannot encode the login request"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.loginURL, bytes.NewReader(b))
	if err != nil {
		return nil, &LoginError{Reason: "invalid login URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "itsmsync")
	resp, err := base.RoundTrip(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &LoginError{Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxLoginBody))
	if resp.StatusCode != http.StatusOK {
		le := &LoginError{StatusCode: resp.StatusCode}
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			le.Reason = "the user name or password was rejected"
		case resp.StatusCode == http.StatusTooManyRequests:
			le.Reason = "too many logins (SysAid limits how often a user may log in)"
			le.retryAfter = resp.Header.Get("Retry-After")
		}
		return nil, le
	}
	var cookies []*http.Cookie
	for _, c := range resp.Cookies() {
		if c.Value != "" && c.MaxAge >= 0 {
			cookies = append(cookies, &http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	if !hasSessionCookie(cookies) {
		return nil, &LoginError{StatusCode: resp.StatusCode, Reason: "the response set no JSESSIONID cookie"}
	}
	return cookies, nil
}

func hasSessionCookie(cs []*http.Cookie) bool {
	for _, c := range cs {
		if strings.EqualFold(c.Name, SessionCookie) {
			return true
		}
	}
	return false
}

// SessionCookie is the cookie SysAid's login sets and every API call must
// send back.
const SessionCookie = "JSESSIONID"

// sessionTransport is one connector transport over the shared session: it
// strips the Authorization header (the credentials go only into the login
// body), adds the session cookies, and handles an expired session. The
// session goes only to its own origin (the login URL's scheme, host and
// port): a request elsewhere — a redirect the client follows — is sent
// without cookies and without session handling.
type sessionTransport struct {
	state *sessionState
	base  http.RoundTripper
}

// RoundTrip sends req with the session. An expired session — 401, a
// redirect to the login page, or an HTML page where the API answers JSON —
// is renewed by one login and the request is sent once more, when that is
// safe: a 401 or a login redirect means SysAid did not process the request,
// so even a create is re-sent; an HTML page with status 2xx to a POST
// (create) may hide a processed request, so it is not re-sent but answered
// as a 502 (the connector reports the create's outcome as unknown and the
// sync engine looks the record up). A failed login is answered as 401
// (credentials rejected: final), 429 (too many logins: retried by the
// connector after its backoff) or a "dial" error (nothing was sent: the
// connector may retry).
func (t *sessionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !baseurl.SameOrigin(req.URL, t.state.origin) {
		r := req.Clone(req.Context())
		r.Header.Del("Authorization")
		r.Header.Del("Cookie")
		return t.base.RoundTrip(r)
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBody+1))
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(b) > maxRequestBody {
			return nil, errors.New("sysaid: request body too large")
		}
		body = b
	}
	cookies, gen, fresh, err := t.state.current(req.Context(), t.base)
	if err != nil {
		return loginFailure(req, err)
	}
	resp, err := t.send(req, body, cookies)
	if err != nil {
		return nil, err
	}
	switch t.expired(req, resp) {
	case notExpired:
		return resp, nil
	case expiredUnsafe:
		t.state.invalidate(gen)
		drain(resp)
		return synthetic(req, http.StatusBadGateway, "sysaid: an HTML page answered the request (session expired?); it may have been processed"), nil
	}
	drain(resp)
	if fresh {
		// A brand-new session was refused: logging in again will not help.
		return synthetic(req, http.StatusUnauthorized, "sysaid: the request was refused right after a successful login"), nil
	}
	t.state.invalidate(gen)
	cookies, _, _, err = t.state.login(req.Context(), t.base, gen)
	if err != nil {
		return loginFailure(req, err)
	}
	resp, err = t.send(req, body, cookies)
	if err != nil {
		return nil, err
	}
	if t.expired(req, resp) != notExpired {
		drain(resp)
		return synthetic(req, http.StatusUnauthorized, "sysaid: the request was refused right after a successful login"), nil
	}
	return resp, nil
}

type expiry int

const (
	notExpired expiry = iota
	expiredSafe
	expiredUnsafe // a login page with 2xx to a non-idempotent request
)

func (t *sessionTransport) expired(req *http.Request, resp *http.Response) expiry {
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return expiredSafe
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		if strings.Contains(strings.ToLower(resp.Header.Get("Location")), "login") {
			return expiredSafe
		}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Type"))), "text/html") {
			switch req.Method {
			case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
				return expiredSafe
			}
			return expiredUnsafe
		}
	}
	return notExpired
}

func (t *sessionTransport) send(req *http.Request, body []byte, cookies []*http.Cookie) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Del("Authorization")
	r.Header.Del("Cookie")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	} else {
		r.Body = http.NoBody
		r.GetBody = nil
		r.ContentLength = 0
	}
	return t.base.RoundTrip(r)
}

// loginFailure turns a login error into what the connector should see.
func loginFailure(req *http.Request, err error) (*http.Response, error) {
	var re *LoginRateError
	if errors.As(err, &re) {
		// Held back before sending anything: the request was never sent.
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: re}
	}
	var le *LoginError
	if !errors.As(err, &le) {
		return nil, err
	}
	switch {
	case le.StatusCode == http.StatusTooManyRequests:
		resp := synthetic(req, http.StatusTooManyRequests, le.Error())
		if le.retryAfter != "" {
			resp.Header.Set("Retry-After", le.retryAfter)
		}
		return resp, nil
	case le.StatusCode == 0 || le.StatusCode >= 500:
		// The request itself was never sent.
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: le}
	}
	return synthetic(req, http.StatusUnauthorized, le.Error()), nil
}

// synthetic builds a JSON response the connector turns into an
// *httpconn.HTTPError carrying msg.
func synthetic(req *http.Request, code int, msg string) *http.Response {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(b)),
		ContentLength: int64(len(b)),
		Request:       req,
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
