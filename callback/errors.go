package callback

import (
	"errors"
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
)

// Sentinel errors. Every error of this package wraps one of these, so callers
// use errors.Is — except a configuration (or token request) that does not
// validate: that error holds an *itsm.ValidationError listing every problem
// by its field's JSON path (errors.As), and matches itsm.ErrInvalidConfig
// (itsm.ErrInvalidInput for a token request). Verification errors name what
// failed but never hold the secret, the token, or the expected (or
// received) signature; the inbound handler answers 401 without any of that
// detail, and records the sentinel's text in its audit event.
var (
	// ErrMissingToken is a request without a callback token where one is
	// expected (no Authorization: Bearer, no token header, no query
	// parameter).
	ErrMissingToken = errors.New("callback: missing token")
	// ErrInvalidToken is a token that is malformed, unknown, or issued for
	// another integration.
	ErrInvalidToken = errors.New("callback: invalid token")
	// ErrTokenRevoked is a token that was revoked.
	ErrTokenRevoked = errors.New("callback: token revoked")
	// ErrTokenExpired is a token past its expiry time.
	ErrTokenExpired = errors.New("callback: token expired")
	// ErrTokenNotFound is a token id unknown to the integration (Revoke).
	// Errors matching it match itsm.ErrNotFound too.
	ErrTokenNotFound = errors.New("callback: token not found")

	// ErrMissingSignature is a request without the signature header (or,
	// for Standard Webhooks, without the webhook-id header).
	ErrMissingSignature = errors.New("callback: missing signature")
	// ErrMalformedSignature is a signature header that does not parse (bad
	// prefix, bad hex/base64, no v1 entry).
	ErrMalformedSignature = errors.New("callback: malformed signature")
	// ErrInvalidSignature is a well-formed signature that matches none of the
	// accepted secrets.
	ErrInvalidSignature = errors.New("callback: invalid signature")
	// ErrMissingTimestamp is a timestamped scheme without its timestamp.
	ErrMissingTimestamp = errors.New("callback: missing timestamp")
	// ErrInvalidTimestamp is a timestamp that is not an integer number of
	// Unix seconds.
	ErrInvalidTimestamp = errors.New("callback: invalid timestamp")
	// ErrTimestampOutOfRange is a timestamp outside the tolerance around
	// now: too old (a replay) or too far in the future. It is checked after
	// the signature, so it is never reported for a forged request.
	ErrTimestampOutOfRange = errors.New("callback: timestamp out of range")

	// ErrUnavailable is a verification that could not be completed because
	// the token store failed. The handler should answer 503 so the sender
	// retries, not 401. It wraps the store's error as well.
	ErrUnavailable = errors.New("callback: verification unavailable")

	// ErrMalformedPayload is a body that is not valid JSON or lacks what its
	// event requires (a ticket id). The handler answers 400.
	ErrMalformedPayload = errors.New("callback: malformed payload")
	// ErrUnsupportedEvent is a well-formed body the parser does not handle:
	// an unknown event type, or a payload of another provider. The handler
	// acknowledges it (200) and records it as ignored, with the error text
	// as the reason.
	ErrUnsupportedEvent = errors.New("callback: unsupported event")

	// ErrNotApplied is a change the host's [CaseUpdater] (or the store)
	// failed to apply. The delivery's claim is released so the sender's
	// retry applies it; the handler answers 500 (503 when the store failed:
	// the error then also matches itsm.ErrStore).
	ErrNotApplied = errors.New("callback: change not applied")
)

// unavailable wraps a store error in ErrUnavailable (both match errors.Is,
// errors.As): its text holds the store's error only in its sanitized form
// (see safeErrorText), since it ends up in audit events and logs.
func unavailable(op string, err error) error {
	return &failure{msg: ErrUnavailable.Error() + ": " + op + ": " + safeErrorText(err), errs: []error{ErrUnavailable, err}}
}

// failure is an error that matches errs (errors.Is, errors.As) but reads
// msg: a store failure matches itsm.ErrStore without "itsm: store error"
// in the middle of a "callback: " message.
type failure struct {
	msg  string
	errs []error
}

func (e *failure) Error() string   { return e.msg }
func (e *failure) Unwrap() []error { return e.errs }

// storeFailure is err, a store's error, as the failure of msg: it matches
// itsm.ErrStore (whether or not the store's error does), err, and more. Its
// text holds the store's error in its sanitized form (see safeErrorText).
func storeFailure(msg string, err error, more ...error) error {
	return &failure{msg: msg + ": " + safeErrorText(err), errs: append(more, itsm.ErrStore, err)}
}

// tokenNotFoundError is ErrTokenNotFound for one id; it matches
// itsm.ErrNotFound as well.
type tokenNotFoundError struct{ id string }

func (e *tokenNotFoundError) Error() string {
	return fmt.Sprintf("callback: token not found: %q", e.id)
}

func (e *tokenNotFoundError) Is(target error) bool {
	return target == ErrTokenNotFound || target == itsm.ErrNotFound
}

// fieldErrors collects the problems of a configuration or request, each
// naming its field by its dotted JSON path.
type fieldErrors []itsm.FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, itsm.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns the validation error of what ("handler configuration", "token
// request" ...), or nil when there is no problem. input marks a request
// rather than a configuration (it then wraps itsm.ErrInvalidInput).
func (f fieldErrors) err(what string, input bool) error {
	if len(f) == 0 {
		return nil
	}
	return &itsm.ValidationError{Errors: f, Component: "callback", Subject: what, Input: input}
}
