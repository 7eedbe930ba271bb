package sysaid

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// SysAid allows a user LoginLimit logins per LoginWindow; more are refused
// (and may lock the account). Connectors of one process that log in as the
// same user share one session, and the shared session paces its logins to
// this limit.
const (
	LoginLimit  = 2
	LoginWindow = 5 * time.Minute
)

// ErrLoginRateLimited is a login the connector did not attempt because
// SysAid's login limit ([LoginLimit] per [LoginWindow]) was reached. The
// error is a [*LoginRateError].
var ErrLoginRateLimited = errors.New("sysaid: login limit reached")

// LoginRateError is a login held back by the login limit: no request was
// sent. It wraps [ErrLoginRateLimited] and [ErrLogin].
type LoginRateError struct {
	// RetryAt is when the next login is allowed.
	RetryAt time.Time
}

// Error implements the error interface.
func (e *LoginRateError) Error() string {
	return fmt.Sprintf("sysaid: login limit reached (%d logins per %s): next login allowed at %s",
		LoginLimit, LoginWindow, e.RetryAt.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrLoginRateLimited and ErrLogin.
func (e *LoginRateError) Unwrap() []error { return []error{ErrLoginRateLimited, ErrLogin} }

// sessionKey identifies a SysAid login: one session per process for each.
type sessionKey struct {
	loginURL, user, accountID string
	password                  [32]byte // a digest: the key is not a second copy of the password
}

var (
	sessionsMu sync.Mutex
	sessions   = map[sessionKey]*sessionState{}
)

// sharedSession returns the process's session for the login, creating it
// with clock (the clock of the first connector of that login paces it).
// Sessions live as long as the process: there is one per SysAid login.
func sharedSession(loginURL, user, password, accountID string, clock itsm.Clock) *sessionState {
	k := sessionKey{loginURL: loginURL, user: user, accountID: accountID, password: sha256.Sum256([]byte(password))}
	sessionsMu.Lock()
	defer sessionsMu.Unlock()
	if s, ok := sessions[k]; ok {
		return s
	}
	s := &sessionState{loginURL: loginURL, user: user, password: password, accountID: accountID, clock: clock}
	s.origin, _ = url.Parse(loginURL) // nil (no origin: no session sent) when invalid; NewConnector refuses it
	sessions[k] = s
	return s
}

// allowLogin records a login about to be attempted, or refuses it when
// LoginLimit logins happened in the last LoginWindow. Call with loginMu
// held.
func (s *sessionState) allowLogin() error {
	var clock itsm.Clock = itsm.SystemClock{}
	if s.clock != nil {
		clock = s.clock
	}
	now := clock.Now()
	kept := s.logins[:0]
	for _, t := range s.logins {
		if now.Sub(t) < LoginWindow {
			kept = append(kept, t)
		}
	}
	s.logins = kept
	if len(s.logins) >= LoginLimit {
		return &LoginRateError{RetryAt: s.logins[0].Add(LoginWindow)}
	}
	s.logins = append(s.logins, now)
	return nil
}

// listen adds fn to the functions told every session cookie value, and
// tells it the current ones (a connector joining a live session).
func (s *sessionState) listen(fn func(secret string)) {
	s.mu.Lock()
	s.listeners = append(s.listeners, fn)
	cookies := s.cookies
	s.mu.Unlock()
	for _, c := range cookies {
		fn(c.Value)
	}
}

// tell passes cookie values to every listener.
func (s *sessionState) tell(cookies []string) {
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	for _, fn := range ls {
		for _, v := range cookies {
			fn(v)
		}
	}
}
