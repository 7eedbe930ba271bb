package memstore

import (
	"strconv"

	"github.com/itsmsync/itsmsync/itsm"
)

// notFoundError is a lookup miss: "memstore: <what> %q: <sentinel>", built
// only when its text is asked for. A first sync misses the link and the
// pending create of every new case, so formatting the message eagerly (with
// fmt.Errorf) was a measurable share of the engine's cost; the text and the
// errors.Is behaviour are the same.
type notFoundError struct {
	what string // e.g. "get link of case"
	key  string
}

func (e *notFoundError) Error() string {
	return "memstore: " + e.what + " " + strconv.Quote(e.key) + ": " + itsm.ErrNotFound.Error()
}

func (e *notFoundError) Unwrap() error { return itsm.ErrNotFound }

func errNotFound(what, key string) error { return &notFoundError{what: what, key: key} }
