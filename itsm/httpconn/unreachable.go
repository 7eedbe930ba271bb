package httpconn

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// connectorTimeoutError is the connector's own timeout (timeouts.request,
// the token request's bound): no answer came in time while the caller's
// context was still alive. It stands in for net/http's timeout error, which
// matches context.DeadlineExceeded and so reads like the caller's own
// deadline; this one does not. It is a net.Error whose Timeout is true.
type connectorTimeoutError struct {
	setting string        // the setting that bounds the wait ("timeouts.request"), or ""
	limit   time.Duration // the bound, 0 when unknown
}

func (e *connectorTimeoutError) Error() string {
	msg := "timed out: no answer within the connector's timeout"
	switch {
	case e.setting != "" && e.limit > 0:
		msg += " (" + e.setting + " " + e.limit.String() + ")"
	case e.limit > 0:
		msg += " (" + e.limit.String() + ")"
	}
	return msg
}

// Timeout reports true (net.Error).
func (e *connectorTimeoutError) Timeout() bool { return true }

// Temporary reports true: a later attempt may get an answer.
func (e *connectorTimeoutError) Temporary() bool { return true }

// callerDoneError is a call stopped because the caller's context was
// canceled or passed its deadline. It wraps ctx.Err() only: the connector
// did not fail, the caller stopped waiting.
type callerDoneError struct{ err error }

func (e *callerDoneError) Error() string {
	return "stopped by the caller's context: " + e.err.Error()
}

func (e *callerDoneError) Unwrap() error { return e.err }

// noAnswerCause sorts the cause of an exchange that got no (whole) answer.
// When ctx has ended it returns a *callerDoneError wrapping ctx.Err() and
// true. When err is the connector's own timeout (it matches
// context.DeadlineExceeded while ctx is alive) it returns a
// *connectorTimeoutError naming setting and limit, so the caller's deadline
// cannot be confused with it. Any other err is returned as it is.
func noAnswerCause(ctx context.Context, err error, setting string, limit time.Duration) (cause error, callerDone bool) {
	if ctx != nil && ctx.Err() != nil {
		return &callerDoneError{err: ctx.Err()}, true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &connectorTimeoutError{setting: setting, limit: limit}, false
	}
	return err, false
}

// temporaryStatus reports the statuses the connector's retry policy treats
// as passing (it retries them on reads and idempotent updates): 408, 429
// and every 5xx except 501 and 505.
func temporaryStatus(code int) bool {
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return true
	case code == http.StatusNotImplemented, code == http.StatusHTTPVersionNotSupported:
		return false
	}
	return code >= 500 && code <= 599
}
