package callback

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
)

// EventKind is what happened to a ticket.
type EventKind string

// Event kinds.
const (
	// EventCreated: the ticket was created (its initial status and priority
	// are in the event).
	EventCreated EventKind = "created"
	// EventUpdated: the ticket changed (status, priority or other fields).
	EventUpdated EventKind = "updated"
	// EventDeleted: the ticket was deleted. What that means for the case
	// (resolve, close, nothing) is the host's decision: see
	// [ApplierConfig.DeletedStatus].
	EventDeleted EventKind = "deleted"
	// EventComment: a comment was added to the ticket (Event.Comment).
	EventComment EventKind = "comment"
)

// Valid reports whether k is one of the four event kinds.
func (k EventKind) Valid() bool {
	switch k {
	case EventCreated, EventUpdated, EventDeleted, EventComment:
		return true
	}
	return false
}

// Comment is the comment carried by an [EventComment] event.
type Comment struct {
	// ID is the ITSM's comment id ("" when the payload has none). It is how
	// an echo of a note this SDK posted is recognized.
	ID string `json:"id,omitempty"`
	// Body is the comment text (plain text; providers flatten rich text).
	Body string `json:"body"`
	// Author is the author's display name, AuthorID a stable id (account id,
	// user key or login) when the payload has one.
	Author   string `json:"author,omitempty"`
	AuthorID string `json:"author_id,omitempty"`
	// Edited is when the comment was edited, zero for a new comment. An
	// edited comment keeps its ID and carries its new Body: a host appends
	// it as a new note marked as an edit, so the case keeps every version.
	// The applier applies each edit once (by ID and Edited).
	Edited time.Time `json:"edited,omitzero"`
}

// Event is one change to one ticket, as a [Parser] reads it from a delivery.
// Fields the payload does not carry are left zero.
type Event struct {
	// Kind is what happened. Required.
	Kind EventKind `json:"kind"`
	// TicketID is the ITSM's id of the ticket (Jira issue id, SysAid srId,
	// ServiceNow sys_id) and TicketKey its human key when it has one (Jira
	// "TES-41", ServiceNow "INC0010001"). A link may hold either, so the
	// handler looks the ticket up by TicketID, then by TicketKey. At least
	// one is required.
	TicketID  string `json:"ticket_id,omitempty"`
	TicketKey string `json:"ticket_key,omitempty"`
	// PreviousTicketKey is the key the ticket had before this event, set
	// only when the event changed the key (a Jira issue moved to another
	// project gets a new key; its id stays). The applier then updates the
	// link found by TicketID to TicketKey (and its URL), provided the link
	// still holds PreviousTicketKey, so a delayed older move cannot undo a
	// newer one.
	PreviousTicketKey string `json:"previous_ticket_key,omitempty"`
	// Status is the ITSM status label this event sets, "" when the event
	// does not change the status (a priority change, a comment). It is a
	// change, not a snapshot: parsers leave it empty when the status did
	// not change, so that an unrelated edit never re-applies an old status.
	Status string `json:"status,omitempty"`
	// StatusCategory is the ITSM's category of Status (Jira statusCategory
	// key new/indeterminate/done), the fallback of the status map when the
	// label itself is not mapped.
	StatusCategory string `json:"status_category,omitempty"`
	// Priority is the ITSM priority label this event sets, "" when none.
	Priority string `json:"priority,omitempty"`
	// EventID is a unique id the payload carries for this event (SysAid's
	// payload id, a Jira changelog or comment id), used for dedup when the
	// delivery has no delivery-id header. "" when there is none.
	EventID string `json:"event_id,omitempty"`
	// OccurredAt is when the change happened at the ITSM; zero when the
	// payload does not say (the handler then uses the receive time).
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	// Version is the record version the ITSM sends (SysAid sr_version,
	// ServiceNow sys_mod_count), 0 when none. Ordering prefers it over
	// OccurredAt.
	Version int64 `json:"version,omitempty"`
	// Comment is set for EventComment events.
	Comment *Comment `json:"comment,omitempty"`
}

// Validate reports whether e is usable: a valid kind, a ticket id or key, a
// comment for a comment event, and no negative version. The error wraps
// [ErrMalformedPayload] and is an *itsm.ValidationError (errors.As, invalid
// input) listing every problem.
func (e Event) Validate() error {
	var errs []itsm.FieldError
	var msgs []string
	add := func(field, msg string) {
		errs = append(errs, itsm.FieldError{Field: field, Message: msg})
		msgs = append(msgs, msg)
	}
	if !e.Kind.Valid() {
		add("kind", fmt.Sprintf("unknown event kind %q", clip.Bytes(string(e.Kind), 32)))
	}
	if e.TicketID == "" && e.TicketKey == "" {
		add("ticket_id", "event without a ticket id")
	}
	if e.Kind == EventComment && e.Comment == nil {
		add("comment", "comment event without a comment")
	}
	if e.Version < 0 {
		add("version", "negative version")
	}
	if len(errs) == 0 {
		return nil
	}
	return &eventError{
		msg: ErrMalformedPayload.Error() + ": " + strings.Join(msgs, "; "),
		ve:  &itsm.ValidationError{Errors: errs, Component: "callback", Subject: "event", Input: true},
	}
}

// eventError is the error of [Event.Validate]: [ErrMalformedPayload] (the
// handler answers 400) and an *itsm.ValidationError listing every problem.
type eventError struct {
	msg string
	ve  *itsm.ValidationError
}

func (e *eventError) Error() string   { return e.msg }
func (e *eventError) Unwrap() []error { return []error{ErrMalformedPayload, e.ve} }

// Parser turns a verified delivery into events. It is the provider-specific
// half of the inbound path: the [Handler] calls it after the [Verifier]
// accepted the request, with the raw, size-capped body; r is available for
// headers (r.Body has already been read and must not be used). body is only
// valid during the call: the handler reuses its buffer for later requests,
// so a Parser must not keep body or a slice of it once Parse returns (a
// string converted from it is a copy and is fine).
//
// A body may carry several events (SysAid sends one per record, a generic
// sender may batch) or none. The contract on errors:
//
//   - a body that is not valid JSON, or that lacks what its event type
//     requires (no ticket id): an error wrapping [ErrMalformedPayload]; the
//     handler answers 400;
//   - a well-formed body of an event type the parser does not handle (a
//     Jira "worklog_created", a payload of another provider): an error
//     wrapping [ErrUnsupportedEvent] whose text says why; the handler
//     answers 200 and records the delivery as ignored with that reason, so
//     the sender does not retry something that will never apply;
//   - otherwise the events (possibly none) and nil.
//
// Error texts end up in audit records: they may name the event type or a
// field, never quote the body. Parse must not panic on any input and must be
// safe for concurrent use.
type Parser interface {
	Parse(r *http.Request, body []byte) ([]Event, error)
}

// ParserFunc adapts a function to [Parser].
type ParserFunc func(r *http.Request, body []byte) ([]Event, error)

// Parse calls f.
func (f ParserFunc) Parse(r *http.Request, body []byte) ([]Event, error) { return f(r, body) }

// Unsupported returns an error wrapping [ErrUnsupportedEvent] with reason
// (e.g. `event type "worklog_created"`), for parsers. reason must not quote
// the body beyond a short field value; it is truncated to 128 bytes.
func Unsupported(reason string) error {
	return fmt.Errorf("%w: %s", ErrUnsupportedEvent, clip.Bytes(reason, 128))
}

// Malformed returns an error wrapping [ErrMalformedPayload] with reason, for
// parsers; reason is truncated to 128 bytes.
func Malformed(reason string) error {
	return fmt.Errorf("%w: %s", ErrMalformedPayload, clip.Bytes(reason, 128))
}
