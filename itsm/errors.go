package itsm

import (
	"errors"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap one of these (or are
// one of the typed errors below), so callers can use errors.Is and errors.As.
var (
	// ErrInvalidStatus is a case status that does not parse.
	ErrInvalidStatus = errors.New("itsm: invalid status")
	// ErrInvalidSeverity is a case severity that does not parse.
	ErrInvalidSeverity = errors.New("itsm: invalid severity")
	// ErrInvalidConfig is a configuration that does not validate; the error
	// is a *ValidationError.
	ErrInvalidConfig = errors.New("itsm: invalid configuration")
	// ErrInvalidInput is a case or note set that does not validate (a sync
	// refused before anything was sent); the error is a *ValidationError
	// with Subject "input".
	ErrInvalidInput = errors.New("itsm: invalid input")
	// ErrNotFound is a store lookup that found nothing.
	ErrNotFound = errors.New("itsm: not found")
	// ErrConflict is a store write that lost to another writer (e.g. a
	// pending create or note already recorded).
	ErrConflict = errors.New("itsm: conflict")
	// ErrLeaseHeld is a lease held by another holder; see *InProgressError.
	ErrLeaseHeld = errors.New("itsm: lease held by another holder")
	// ErrInProgress is a sync of a case that is already being synced.
	ErrInProgress = errors.New("itsm: sync already in progress")
	// ErrCoolingDown is a sync inside the cooldown; see *CooldownError.
	ErrCoolingDown = errors.New("itsm: case is cooling down")
	// ErrIntegrationExists is a second integration for one workspace.
	ErrIntegrationExists = errors.New("itsm: workspace already has an integration")
	// ErrNeedsAttention is a case whose earlier create ended with an unknown
	// outcome and that cannot be resolved automatically (no lookup request
	// configured): a person must link or clear it.
	ErrNeedsAttention = errors.New("itsm: case needs attention")
	// ErrOutcomeUnknown is a create (or other write) that may or may not have
	// been processed by the ITSM: a timeout after the request was sent, a
	// connection reset, a 5xx.
	ErrOutcomeUnknown = errors.New("itsm: outcome unknown")
	// ErrMissingTicketID is a create response with no ticket id at the
	// configured path (nor in a Location header).
	ErrMissingTicketID = errors.New("itsm: ticket id missing from response")
	// ErrInvalidResponse is a response body that is not what was expected
	// (e.g. not JSON where a field must be read).
	ErrInvalidResponse = errors.New("itsm: invalid response")
	// ErrNotConfigured is an operation the configuration has no request for
	// (e.g. a comment with no notes URL).
	ErrNotConfigured = errors.New("itsm: operation not configured")
	// ErrRefused is a request the ITSM answered with a success status but
	// refused in its body (a response rule of the connector failed): it was
	// certainly not carried out, and sending it again would be refused again.
	ErrRefused = errors.New("itsm: refused by the ITSM")
	// ErrStore is a storage failure; the underlying error is wrapped too.
	ErrStore = errors.New("itsm: store error")
	// ErrUnreachable is a call that got no (whole) answer from the ITSM:
	// the connection was refused or reset, the name did not resolve, the
	// TLS handshake failed, the connector's own timeout fired, an answer
	// was cut off, a session login or token request got no answer. It is
	// never the caller's context: when the context given to the call is
	// canceled or passes its deadline, the error wraps ctx.Err() instead
	// (and not ErrUnreachable); a connector timeout does not match
	// context.DeadlineExceeded. A write that may have been processed
	// anyway wraps [ErrOutcomeUnknown] too. See the package documentation
	// for what a host does with each error.
	ErrUnreachable = errors.New("itsm: the ITSM did not answer")
)

// FieldError is one problem with one field of a configuration or input.
type FieldError struct {
	// Field is the JSON name of the field, dotted for nested fields
	// (e.g. "create.payload", "auth.password").
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every field problem found at once, so a UI can show
// them all. It is the one shape of every invalid configuration or input in
// the SDK: errors.As(err, &ve) works on the error of every constructor and
// every Validate. It wraps [ErrInvalidConfig], or [ErrInvalidInput] when
// Input is set (a case, notes or a request given to a call).
type ValidationError struct {
	Errors []FieldError
	// Component is the package that refused the value ("httpconn",
	// "callback", "jira" ...); the message starts with it. "" reads "itsm".
	Component string
	// Subject names what was invalid in the message ("handler
	// configuration", "token request" ...); "" reads "configuration", or
	// "input" when Input is set.
	Subject string
	// Input marks invalid input to a call rather than a configuration.
	Input bool
}

// Error reads "<component>: invalid <subject>: <field>: <message>; ...".
func (e *ValidationError) Error() string {
	var b strings.Builder
	component, subject := e.Component, e.Subject
	if component == "" {
		component = "itsm"
	}
	if subject == "" {
		subject = "configuration"
		if e.Input {
			subject = "input"
		}
	}
	b.WriteString(component + ": invalid " + subject + ": ")
	for i, fe := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Field)
		b.WriteString(": ")
		b.WriteString(fe.Message)
	}
	return b.String()
}

// Unwrap returns [ErrInvalidInput] when Input is set, else
// [ErrInvalidConfig].
func (e *ValidationError) Unwrap() error {
	if e.Input {
		return ErrInvalidInput
	}
	return ErrInvalidConfig
}
