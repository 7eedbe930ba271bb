package itsm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Operation names a call to the ITSM. Every error from a connector names its
// operation.
type Operation string

// The operations a connector performs.
const (
	OpCreate  Operation = "create"
	OpUpdate  Operation = "update"
	OpGet     Operation = "get"
	OpComment Operation = "comment"
	OpLookup  Operation = "lookup"
	OpCheck   Operation = "check"
)

// SyncRequest is what a connector renders its templates from.
type SyncRequest struct {
	Case *Case
	// CorrelationKey is the case's correlation key ($correlation_key).
	CorrelationKey string
}

// Connector is what the sync engine calls to reach an ITSM. The HTTP
// connector built from a Config implements it; providers may wrap it to add
// quirks (Jira status transitions, SysAid session login). Implementations are
// safe for concurrent use.
type Connector interface {
	// Create creates a ticket for the case and returns it (ID set; Key and
	// URL when known). An error whose outcome is unknown (the ITSM may have
	// created the ticket) wraps ErrOutcomeUnknown.
	Create(ctx context.Context, req SyncRequest) (Ticket, error)
	// Update brings the ticket in line with the case and returns the ticket
	// as known after the update (at least ID and URL).
	Update(ctx context.Context, t Ticket, req SyncRequest) (Ticket, error)
	// Comment posts a note on the ticket. ErrNotConfigured when the
	// integration has no notes request.
	Comment(ctx context.Context, t Ticket, req SyncRequest, n Note) (Comment, error)
	// Get reads the ticket (title and ITSM status).
	Get(ctx context.Context, t Ticket) (Ticket, error)
}

// Finder is implemented by connectors that can look tickets up by the
// correlation key (a search request), which makes a create with an unknown
// outcome recoverable without a second ticket, and reveals the orphans a
// late create leaves ([Orphan]).
type Finder interface {
	// Find returns every ticket that carries req.CorrelationKey, each one
	// verified to carry it (a search result alone proves nothing: many
	// ITSMs ignore a filter they do not understand and list unrelated
	// tickets). Tickets come in the order the ITSM lists them, oldest
	// first where its search can sort; the Syncer links the first and
	// reports the others as orphans. None is an empty slice and a nil
	// error. req.Case may be nil (the reconciler looks orphans up by key
	// alone); req.CorrelationKey is then set.
	Find(ctx context.Context, req SyncRequest) ([]Ticket, error)
}

// Targeter is implemented by connectors that can name the ticket space they
// write into: the provider, the ITSM's scheme, host and port, and the
// project, queue or table that identifies where tickets live (for example
// "jira|https://acme.atlassian.net:443|project=SEC"). The Syncer records it
// on every link ([Link.Target]), so an integration later edited to point at
// another ticket space never updates a ticket of the old one. Two configs
// reaching the same tickets must report the same target; the value holds no
// secret.
type Targeter interface {
	Target() string
}

// CommentFinder is implemented by connectors that can find a comment the SDK
// posted, by the note's marker ([NoteMarker] of the request's correlation
// key and the note id, which the connector writes with every comment it
// posts: a Jira comment property, a hidden marker in the text, a field of
// the generic config's notes request). It resolves a note whose outcome is
// unknown (no answer, a 5xx after sending, a crash) before any resend, so a
// note is posted exactly once.
type CommentFinder interface {
	// FindComment returns the comment carrying n's marker on ticket t, and
	// false (with a nil error) when the ticket has none.
	FindComment(ctx context.Context, t Ticket, req SyncRequest, n Note) (Comment, bool, error)
}

// CommentFindCapable is implemented by connectors that implement
// [CommentFinder] but may have no comment lookup configured (the HTTP
// connector): CanFindComments reports whether FindComment can work.
type CommentFindCapable interface {
	CanFindComments() bool
}

// NoteMarker returns the marker a connector writes with the comment of note
// noteID of the case whose correlation key is correlationKey, and looks for
// in [CommentFinder.FindComment]: "itsmsync-note-" and 32 hex digits of a
// SHA-256 over both, stable across processes and releases. It holds no case
// text.
func NoteMarker(correlationKey, noteID string) string {
	h := sha256.New()
	h.Write([]byte(correlationKey))
	h.Write([]byte{0})
	h.Write([]byte(noteID))
	return "itsmsync-note-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// StatusMapper maps a case's status and severity to the ITSM's labels (the
// outbound direction). Connectors render $itsm_status and $priority with it;
// httpconn builds one from its config's status and priority maps, and the
// Syncer records the label it pushed so echoes of our own change are not
// applied back. Implementations are safe for concurrent use.
type StatusMapper interface {
	// ITSMStatus returns the ITSM label for a case status ("" when unmapped).
	ITSMStatus(s Status) string
	// ITSMPriority returns the ITSM priority for a case severity ("" when
	// unmapped).
	ITSMPriority(s Severity) string
}

// Clock tells the time. Inject one with [WithClock] (default [SystemClock]);
// a Clock that also has Sleep(ctx, d) error makes the SDK's waits go through
// it too (see [Options.Clock]). itsmtest.Clock is a fake one for tests.
type Clock interface {
	Now() time.Time
}

// SystemClock is the Clock backed by time.Now.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Outcome is how an attempt ended, for audit events.
type Outcome string

// Audit outcomes.
const (
	OutcomeSuccess   Outcome = "success"
	OutcomeFailure   Outcome = "failure"
	OutcomeUnknown   Outcome = "unknown"   // the ITSM may or may not have processed it
	OutcomeSkipped   Outcome = "skipped"   // cooldown, in progress, nothing to do
	OutcomeRejected  Outcome = "rejected"  // inbound: verification or input failed
	OutcomeDuplicate Outcome = "duplicate" // inbound: delivery seen before
	OutcomeStale     Outcome = "stale"     // inbound: older than the last applied change
	OutcomeIgnored   Outcome = "ignored"   // inbound: nothing to apply (unknown event, unlinked ticket)
)

// AuditEvent records one attempt: an outbound call, a sync, or an inbound
// delivery. It never holds a secret, a payload or a response body; Error is
// the redacted error text.
type AuditEvent struct {
	Time          time.Time     `json:"time"`
	IntegrationID string        `json:"integration_id,omitempty"`
	CaseID        string        `json:"case_id,omitempty"`
	TicketID      string        `json:"ticket_id,omitempty"`
	NoteID        string        `json:"note_id,omitempty"`
	DeliveryID    string        `json:"delivery_id,omitempty"`
	Operation     string        `json:"operation"` // create, update, comment, get, lookup, sync, inbound
	Outcome       Outcome       `json:"outcome"`
	StatusCode    int           `json:"status_code,omitempty"`
	Duration      time.Duration `json:"duration"`
	Reason        string        `json:"reason,omitempty"`
	Error         string        `json:"error,omitempty"`
}

// AuditSink receives audit events. Record must not block for long; it is
// called synchronously on the sync and inbound paths. Implementations are
// safe for concurrent use.
type AuditSink interface {
	Record(ctx context.Context, e AuditEvent)
}

// AuditFunc adapts a function to AuditSink.
type AuditFunc func(ctx context.Context, e AuditEvent)

// Record calls f.
func (f AuditFunc) Record(ctx context.Context, e AuditEvent) { f(ctx, e) }
