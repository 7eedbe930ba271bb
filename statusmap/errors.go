package statusmap

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap one of these, so
// callers can use errors.Is; the typed errors below carry the details for
// errors.As.
var (
	// ErrUnmapped is a label that nothing maps under the Fail policy (or an
	// unusable policy); see *UnmappedError.
	ErrUnmapped = errors.New("statusmap: unmapped value")
	// ErrInvalidMap is a map that does not validate; see *ValidationError.
	ErrInvalidMap = errors.New("statusmap: invalid map")
)

// UnmappedError is a label that neither an entry, nor a category, nor the
// policy mapped. It wraps [ErrUnmapped].
type UnmappedError struct {
	// Label and Category are what ToCase was given.
	Label    string
	Category string
	// Policy is the map's Unmapped policy.
	Policy Policy
}

// Error implements the error interface.
func (e *UnmappedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "statusmap: no mapping for %q", e.Label)
	if e.Category != "" {
		fmt.Fprintf(&b, " (category %q)", e.Category)
	}
	switch e.Policy {
	case Fail:
	case UseDefault:
		b.WriteString(": policy \"default\" with an empty default")
	default:
		fmt.Fprintf(&b, ": unknown policy %q", string(e.Policy))
	}
	return b.String()
}

// Unwrap returns [ErrUnmapped].
func (e *UnmappedError) Unwrap() error { return ErrUnmapped }

// FieldError is one problem with one field of a Map. Field is a JSON path
// such as "entries[2].itsm", "categories[0].case", "default" or "unmapped";
// an embedding config prefixes it with its own field name.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem of a Map at once, so a UI can mark all
// the rows. It wraps [ErrInvalidMap].
type ValidationError struct {
	Errors []FieldError
}

// Error implements the error interface.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("statusmap: invalid map: ")
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

// Unwrap returns [ErrInvalidMap].
func (e *ValidationError) Unwrap() error { return ErrInvalidMap }
