package itsm

import (
	"errors"
	"fmt"
	"time"
)

// CooldownError is a sync refused because the case is cooling down after a
// successful sync (the button is locked). It wraps [ErrCoolingDown].
type CooldownError struct {
	CaseID string
	// Until is when the cooldown ends and the next sync is allowed.
	Until time.Time
	// Remaining is the time left at the moment of the refusal.
	Remaining time.Duration
}

// Error implements the error interface.
func (e *CooldownError) Error() string {
	return fmt.Sprintf("itsm: case %q is cooling down: next sync allowed in %s (at %s)",
		e.CaseID, e.Remaining.Round(time.Second), e.Until.UTC().Format(time.RFC3339))
}

// Unwrap returns [ErrCoolingDown].
func (e *CooldownError) Unwrap() error { return ErrCoolingDown }

// InProgressError is a sync refused because another sync of the same case
// holds the case's lease — in this process or another replica sharing the
// store (the button is disabled). It wraps [ErrInProgress] and the
// store's error (which wraps [ErrLeaseHeld]).
type InProgressError struct {
	CaseID string
	// Until is when the other holder's lease expires if it is not renewed
	// (a crashed holder blocks the case until then at most).
	Until time.Time
	// Err is the store's error.
	Err error
}

// Error implements the error interface.
func (e *InProgressError) Error() string {
	return fmt.Sprintf("itsm: case %q: sync already in progress (lease held until %s)",
		e.CaseID, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap returns [ErrInProgress] and the store's error.
func (e *InProgressError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInProgress}
	}
	return []error{ErrInProgress, e.Err}
}

// OutcomeUnknownError reports that the ITSM may or may not have created the
// case's ticket: a create ended with an unknown outcome (timeout after the
// request was sent, connection reset, 5xx), or a later lookup did not find
// the ticket yet while the search index may still be catching up. The case's
// pending create is kept, so no sync creates blindly: the next one looks the
// ticket up by its correlation key first. It wraps [ErrOutcomeUnknown] and
// the cause.
type OutcomeUnknownError struct {
	CaseID         string
	CorrelationKey string
	// RetryAt is the earliest time a sync can conclude that the ticket does
	// not exist and create it again (the end of the lookup grace period).
	RetryAt time.Time
	// Err is the cause (the connector's error), nil when the lookup simply
	// found nothing yet.
	Err error
}

// Error implements the error interface.
func (e *OutcomeUnknownError) Error() string {
	msg := fmt.Sprintf("itsm: case %q: ticket creation outcome unknown; the next sync looks it up by correlation key %s before creating again",
		e.CaseID, e.CorrelationKey)
	if !e.RetryAt.IsZero() {
		msg += " (a new create is allowed from " + e.RetryAt.UTC().Format(time.RFC3339) + " if the lookup still finds nothing)"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns [ErrOutcomeUnknown] and the cause.
func (e *OutcomeUnknownError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrOutcomeUnknown}
	}
	return []error{ErrOutcomeUnknown, e.Err}
}

// NeedsAttentionError reports a case whose earlier create has an unknown
// outcome while the connector cannot look tickets up (no [Finder], or no
// lookup request configured), or whose lookups keep failing (LookupFailed:
// more than [MaxLookupFailures] attempts). The engine never risks a second
// ticket: a person searches the ITSM for the correlation key, then calls
// [Syncer.Resolve] with the ticket found, or [Syncer.ClearPending] to allow
// a new create. It wraps [ErrNeedsAttention] and the cause when there is one.
type NeedsAttentionError struct {
	CaseID         string
	CorrelationKey string
	// Pending is the unresolved pending create.
	Pending PendingCreate
	// LookupFailed is set when the connector has a lookup but it failed
	// too often (Err is the last failure); the next sync still tries it.
	LookupFailed bool
	// Err is the cause (e.g. a Find that is not configured), or nil.
	Err error
}

// Error implements the error interface.
func (e *NeedsAttentionError) Error() string {
	if e.LookupFailed {
		return fmt.Sprintf("itsm: case %q needs attention: an earlier ticket create (since %s) has an unknown outcome and looking it up failed %s; search the ITSM for %s and link the ticket with Syncer.Resolve, or allow a new create with Syncer.ClearPending (last lookup error: %v)",
			e.CaseID, e.Pending.StartedAt.UTC().Format(time.RFC3339), attemptsText(e.Pending.Attempts), e.CorrelationKey, e.Err)
	}
	return fmt.Sprintf("itsm: case %q needs attention: an earlier ticket create (since %s) has an unknown outcome and the connector cannot look it up; search the ITSM for %s and link the ticket (Resolve) or allow a new create (ClearPending)",
		e.CaseID, e.Pending.StartedAt.UTC().Format(time.RFC3339), e.CorrelationKey)
}

// Unwrap returns [ErrNeedsAttention] and the cause.
func (e *NeedsAttentionError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrNeedsAttention}
	}
	return []error{ErrNeedsAttention, e.Err}
}

// IntegrationExistsError is a second integration for a workspace: edit the
// existing one instead. It wraps [ErrIntegrationExists].
type IntegrationExistsError struct {
	Workspace string
	// ExistingID is the id of the workspace's integration, when known.
	ExistingID string
}

// Error implements the error interface.
func (e *IntegrationExistsError) Error() string {
	if e.ExistingID == "" {
		return fmt.Sprintf("itsm: workspace %q already has an integration; edit it instead", e.Workspace)
	}
	return fmt.Sprintf("itsm: workspace %q already has an integration (%s); edit it instead", e.Workspace, e.ExistingID)
}

// Unwrap returns [ErrIntegrationExists].
func (e *IntegrationExistsError) Unwrap() error { return ErrIntegrationExists }

// storeError wraps a store failure so errors.Is(err, ErrStore) holds even for
// a store that forgot to wrap it (a host's own implementation), keeping the
// store's own error in the chain too.
func storeError(what string, err error) error {
	if errors.Is(err, ErrStore) {
		return fmt.Errorf("itsm: %s: %w", what, err)
	}
	return fmt.Errorf("itsm: %s: %w: %w", what, ErrStore, err)
}

// StatusCoder is implemented by connector errors that carry the HTTP status
// the ITSM answered with (httpconn's *HTTPError does). The status goes
// into audit events and decides whether a failed comment was posted (see
// [Syncer.Sync]).
type StatusCoder interface {
	HTTPStatus() int
}

// statusCodeOf returns the HTTP status the ITSM answered a failed call with,
// or 0 when the call got no answer (or err says nothing about one).
func statusCodeOf(err error) int {
	if err == nil {
		return 0
	}
	var sc StatusCoder
	if errors.As(err, &sc) {
		return sc.HTTPStatus()
	}
	return 0
}

// LinkConflictError reports that a sync's create (or lookup) produced a
// ticket but the case's pending create had meanwhile been completed or
// cleared by someone else — typically another replica that took the case
// over after this sync's lease expired. The link stored by the other party is
// never overwritten. When LinkedTicketID differs from TicketID (or the case
// has no link at all), the ITSM holds a ticket the case is not linked to: a
// person must decide (close the extra ticket, or [Syncer.Resolve] to it). It
// wraps [ErrNeedsAttention] and the store's error (which wraps
// [ErrConflict]).
type LinkConflictError struct {
	CaseID string
	// TicketID is the ticket this sync created or found.
	TicketID string
	// LinkedTicketID is the ticket the case is linked to now; "" when the
	// case has no link (its pending create was cleared).
	LinkedTicketID string
	// Err is the store's error.
	Err error
}

// Error implements the error interface.
func (e *LinkConflictError) Error() string {
	if e.LinkedTicketID == "" {
		return fmt.Sprintf("itsm: case %q: ticket %s exists but the case's pending create was cleared meanwhile; the ticket is not linked", e.CaseID, e.TicketID)
	}
	return fmt.Sprintf("itsm: case %q: ticket %s exists but another sync linked the case to ticket %s meanwhile; the link is kept", e.CaseID, e.TicketID, e.LinkedTicketID)
}

// Unwrap returns [ErrNeedsAttention] and the store's error.
func (e *LinkConflictError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrNeedsAttention}
	}
	return []error{ErrNeedsAttention, e.Err}
}

// ErrTicketNotFound is a linked ticket the ITSM no longer has (deleted, or
// moved out of reach): updating it answers 404. See [TicketGoneError].
var ErrTicketNotFound = errors.New("itsm: linked ticket not found in the ITSM")

// TicketGoneError reports that the case's linked ticket is gone from the ITSM
// (the update answered 404), so every sync fails until a person acts:
// [Syncer.Unlink] forgets the link (the next sync creates a new ticket), or
// [Syncer.Resolve] links another ticket. It wraps [ErrTicketNotFound],
// [ErrNeedsAttention] and the connector's error (an *HTTPError).
type TicketGoneError struct {
	CaseID   string
	TicketID string
	// Err is the connector's error.
	Err error
}

// Error implements the error interface.
func (e *TicketGoneError) Error() string {
	return fmt.Sprintf("itsm: case %q: linked ticket %s is gone from the ITSM (not found on update); Unlink the case to create a new ticket, or Resolve it to another: %v",
		e.CaseID, e.TicketID, e.Err)
}

// Unwrap returns [ErrTicketNotFound], [ErrNeedsAttention] and the
// connector's error.
func (e *TicketGoneError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrTicketNotFound, ErrNeedsAttention}
	}
	return []error{ErrTicketNotFound, ErrNeedsAttention, e.Err}
}

// attemptsText words the attempts of a pending create.
func attemptsText(n int) string {
	return fmt.Sprintf("(%d attempts, creates included)", n)
}
