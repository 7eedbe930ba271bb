package callback

import "net/http"

// Verifier authenticates an inbound delivery before its body is parsed. body
// is the raw request body as received (already size-capped). Verify returns
// nil for an authentic delivery, and otherwise an error wrapping one of the
// package's sentinel errors; the handler answers 401 without telling the
// sender why. Implementations compare in constant time and are safe for
// concurrent use. The handler reuses its body buffers: body is valid only
// during the call, so a Verifier must not keep it.
type Verifier interface {
	Verify(r *http.Request, body []byte) error
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(r *http.Request, body []byte) error

// Verify calls f.
func (f VerifierFunc) Verify(r *http.Request, body []byte) error { return f(r, body) }
