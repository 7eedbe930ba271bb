package callback

import (
	"crypto/sha256"
	"net/http"
	"time"
)

// Verifier authenticates an inbound delivery before its body is parsed. body
// is the raw request body as received (already size-capped). Verify returns
// nil for an authentic delivery, and otherwise an error wrapping one of the
// package's sentinel errors; the handler answers 401 without telling the
// sender why. Implementations compare in constant time and are safe for
// concurrent use. The handler reuses its body buffers: body is valid only
// during the call, so a Verifier must not keep it.
//
// A Verifier that authenticates more than the body (a delivery id, a
// timestamp) says so by implementing [DeliveryVerifier] as well; the
// handler then deduplicates by what the signature covers. A Verifier that
// does not is taken to authenticate the body alone.
type Verifier interface {
	Verify(r *http.Request, body []byte) error
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(r *http.Request, body []byte) error

// Verify calls f.
func (f VerifierFunc) Verify(r *http.Request, body []byte) error { return f(r, body) }

// VerifiedDelivery is what a [DeliveryVerifier] authenticated about a
// delivery besides its body. The zero value means "the body alone".
type VerifiedDelivery struct {
	// ID is the delivery id the signature covers (Standard Webhooks'
	// webhook-id, from whichever header spelling the verifier accepted), ""
	// when the scheme signs no id. A sender keeps it across retries, so the
	// handler deduplicates by it. Never set it to an id the signature does
	// not cover: a replay under a fresh id would then be applied again.
	ID string
	// Timestamp is the signed time of the delivery (Standard Webhooks,
	// Stripe, an HMAC with a timestamp header), zero when the scheme signs
	// none. Senders sign every retry anew, so the handler does not
	// deduplicate by it; it is reported for the host's own checks.
	Timestamp time.Time
	// Digest, when not zero, identifies the authenticated body: equal for
	// equal bodies verified under the same secret, and different (with
	// overwhelming probability) for different bodies. It must be one-way:
	// it is stored as a delivery claim, so it must not be the signature
	// itself. When it is zero and ID is "", the handler computes the
	// SHA-256 of the body.
	Digest [sha256.Size]byte
}

// DeliveryVerifier is the optional part of a [Verifier] that tells the
// handler what it authenticated. VerifyDelivery verifies exactly as Verify
// does (same errors) and, for an authentic delivery, reports what the
// signature covers. [HMACVerifier] and [StandardWebhooksVerifier] implement
// it; [TokenVerifier] does not need to (a token authenticates the sender,
// and the body is then what the handler deduplicates by).
type DeliveryVerifier interface {
	VerifyDelivery(r *http.Request, body []byte) (VerifiedDelivery, error)
}
