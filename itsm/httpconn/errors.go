package httpconn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
)

// Sentinel errors of the HTTP connector. Its errors also wrap the itsm
// sentinels the engine reads: [itsm.ErrOutcomeUnknown],
// [itsm.ErrNotConfigured], [itsm.ErrMissingTicketID],
// [itsm.ErrInvalidResponse] and [itsm.ErrInvalidConfig].
var (
	// ErrHostNotAllowed is a request the network rules refused before
	// anything was sent: a host outside network.allowed_hosts, a private or
	// loopback address that is not allowed, a cloud metadata or link-local
	// address, a scheme other than http(s), credentials in the URL. The
	// error is a *HostNotAllowedError naming the host and the setting that
	// would allow it.
	ErrHostNotAllowed = errors.New("httpconn: host not allowed")
	// ErrInvalidRenderedJSON is a JSON payload that rendered to invalid JSON
	// (a provider variable holding broken raw JSON, for instance); nothing
	// was sent.
	ErrInvalidRenderedJSON = errors.New("httpconn: rendered payload is not valid json")
)

// NetworkError is a request that got no HTTP response: the connection was
// refused, the name did not resolve, the connection was reset or timed out,
// the TLS handshake failed. It never holds a credential: URL and the text
// of Err are redacted.
//
// When the request may have reached the ITSM anyway — a create, a comment
// or an update by POST was sent and no answer came back — OutcomeUnknown is
// set and errors.Is(err, itsm.ErrOutcomeUnknown) is true: sending it again
// could make a second ticket. When the request certainly did not reach the
// ITSM (connection refused, DNS failure, TLS handshake refused) or is a read,
// it is not.
//
// It wraps [itsm.ErrUnreachable] — unless ContextDone is set: then the
// caller's context was canceled or passed its deadline, and the error wraps
// ctx.Err() (context.Canceled or context.DeadlineExceeded) instead. The
// connector's own timeout (timeouts.request) is not the caller's deadline:
// it wraps itsm.ErrUnreachable and does not match context.DeadlineExceeded.
type NetworkError struct {
	// Op is the operation (create, update, get, comment, lookup, check, or
	// the name a provider gave its own request).
	Op itsm.Operation
	// Method is the request method.
	Method string
	// URL is the request URL without userinfo, query values of secret-ish
	// names or configured secrets.
	URL string
	// Attempts is how many attempts were made.
	Attempts int
	// OutcomeUnknown reports that the ITSM may have processed the request;
	// Unwrap then returns [itsm.ErrOutcomeUnknown] too.
	OutcomeUnknown bool
	// ContextDone reports that the caller's context ended before an answer
	// came: Err wraps ctx.Err(), and the error does not wrap
	// [itsm.ErrUnreachable].
	ContextDone bool
	// Err is the cause (e.g. a *net.OpError, a *net.DNSError, a
	// *tls.CertificateVerificationError, the caller's ctx.Err(), or the
	// connector's timeout: a net.Error whose Timeout is true). Its text is
	// redacted; errors.Is and errors.As reach the original.
	Err error
}

// Temporary reports whether a later attempt may succeed with nothing
// changed: true for every failure the connector's retry policy treats as
// passing (refused, reset, DNS failure, the connector's timeout); false for
// a TLS or certificate failure (a person must fix the trust settings) and
// when the caller's context ended (ContextDone: nothing says the ITSM
// failed). A write whose error wraps [itsm.ErrOutcomeUnknown] must not be
// resent blindly whatever Temporary says.
func (e *NetworkError) Temporary() bool {
	return !e.ContextDone && !isTLSError(e.Err)
}

// Error reads "httpconn: <op>: <METHOD> <url>: no response[ after <n>
// attempts][: outcome unknown]: <cause>".
func (e *NetworkError) Error() string {
	var b strings.Builder
	writeRequest(&b, e.Op, e.Method, e.URL)
	b.WriteString("no response")
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.OutcomeUnknown {
		b.WriteString(": ")
		b.WriteString(bare(itsm.ErrOutcomeUnknown))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(bare(e.Err))
	}
	return b.String()
}

// Unwrap returns Err, [itsm.ErrOutcomeUnknown] when OutcomeUnknown is
// set, and [itsm.ErrUnreachable] unless ContextDone is set.
func (e *NetworkError) Unwrap() []error {
	errs := make([]error, 0, 3)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.OutcomeUnknown {
		errs = append(errs, itsm.ErrOutcomeUnknown)
	}
	if !e.ContextDone {
		errs = append(errs, itsm.ErrUnreachable)
	}
	return errs
}

// writeRequest writes "httpconn: <op>: <METHOD> <url>: ", leaving out the
// parts that are empty.
func writeRequest(b *strings.Builder, op itsm.Operation, method, url string) {
	b.WriteString("httpconn: ")
	b.WriteString(string(op))
	b.WriteString(": ")
	switch {
	case method != "" && url != "":
		b.WriteString(method)
		b.WriteByte(' ')
		b.WriteString(url)
		b.WriteString(": ")
	case method != "" || url != "":
		b.WriteString(method + url)
		b.WriteString(": ")
	}
}

// sdkPrefixes are the package prefixes the messages of the SDK's own errors
// begin with.
var sdkPrefixes = []string{"httpconn: ", "itsm: ", "template: "}

// bare returns err's message without its leading package prefix, for a
// message that has its own: every message of this package begins with
// "httpconn: " exactly once, whatever sentinels and causes it wraps.
func bare(err error) string {
	s := err.Error()
	for _, p := range sdkPrefixes {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest
		}
	}
	return s
}

// opError is an error that names its operation: "httpconn: create: ...".
// It wraps Err (and so every sentinel Err wraps).
type opError struct {
	Op  itsm.Operation
	Err error
}

func (e *opError) Error() string {
	return "httpconn: " + string(e.Op) + ": " + bare(e.Err)
}

func (e *opError) Unwrap() error { return e.Err }

// multiError combines sentinels for one failure: errors.Is finds each.
type multiError struct {
	msg  string
	errs []error
}

func (m *multiError) Error() string   { return m.msg }
func (m *multiError) Unwrap() []error { return m.errs }

// join returns an error whose message is errs[0]'s with the others' added
// (each without its package prefix) and that unwraps to all of them (nil
// entries dropped).
func join(errs ...error) error {
	var kept []error
	for _, e := range errs {
		if e != nil {
			kept = append(kept, e)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	parts := make([]string, 0, len(kept))
	for _, e := range kept {
		parts = append(parts, bare(e))
	}
	return &multiError{msg: "httpconn: " + strings.Join(parts, ": "), errs: kept}
}

// cleanError is an error whose message was redacted; Unwrap keeps the
// original chain (its types, not its text, are what callers inspect).
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }
