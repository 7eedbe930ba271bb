package callback

import (
	"errors"
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
)

// Sentinel errors. Every error of this package wraps one of these, so callers
// use errors.Is. Verification errors name what failed but never hold the
// secret, the token, or the expected (or received) signature; the inbound
// handler answers 401 without any of that detail, and records the sentinel's
// text in its audit event.
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
	// ErrInvalidTokenRequest is a token request that does not validate
	// (missing integration id or app name, expiry in the past).
	ErrInvalidTokenRequest = errors.New("callback: invalid token request")

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

	// ErrInvalidVerifier is a verifier configuration that does not validate
	// (returned by the constructors), or a zero-value verifier used without
	// one.
	ErrInvalidVerifier = errors.New("callback: invalid verifier configuration")
	// ErrUnavailable is a verification that could not be completed because
	// the token store failed. The handler should answer 503 so the sender
	// retries, not 401. It wraps the store's error as well.
	ErrUnavailable = errors.New("callback: verification unavailable")
)

// unavailable wraps a store error in ErrUnavailable (both match errors.Is).
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
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
