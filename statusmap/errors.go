package statusmap

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnmapped is a label that nothing maps under the Fail policy (or an
// unusable policy); the error is an *[UnmappedError]. A map that does not
// validate is an *itsm.ValidationError wrapping itsm.ErrInvalidConfig.
var ErrUnmapped = errors.New("statusmap: unmapped value")

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
