package callback

import (
	"context"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// InboundStore is what the [Applier] and the [Reconciler] keep: links
// (ticket → case), delivery claims and the last applied state per ticket.
// memstore and sqlstore implement it. When the store also records posted
// notes (PostedNotes, as memstore and sqlstore do), comment events that echo
// a note this SDK posted are ignored. Every method is safe for concurrent
// use; errors other than the documented sentinels wrap [itsm.ErrStore].
type InboundStore interface {
	// GetLink returns the link of a case, or itsm.ErrNotFound.
	GetLink(ctx context.Context, integrationID, caseID string) (itsm.Link, error)
	// GetLinkByTicket returns the link of a ticket (by ticket id or key), or
	// itsm.ErrNotFound.
	GetLinkByTicket(ctx context.Context, integrationID, ticketID string) (itsm.Link, error)
	// PutLink inserts or replaces the link of (IntegrationID, CaseID).
	PutLink(ctx context.Context, l itsm.Link) error
	// DeleteLink removes a link; removing a missing link is not an error.
	DeleteLink(ctx context.Context, integrationID, caseID string) error
	// ListLinks returns up to limit links of an integration with CaseID
	// greater than afterCaseID, ordered by CaseID (pagination for
	// reconciliation). openOnly skips Closed links before the limit applies,
	// so a page is short only at the end. afterCaseID "" starts at the
	// beginning; a limit of zero or less returns no links.
	ListLinks(ctx context.Context, integrationID, afterCaseID string, limit int, openOnly bool) ([]itsm.Link, error)

	// ClaimDelivery records a delivery id for an integration. It returns
	// false when the id was already claimed and has not expired (a
	// duplicate). Claims expire after ttl (memory is bounded): a claim made
	// at now expires at now+ttl, and is expired at any later now that is
	// not before that. A duplicate does not extend the claim.
	ClaimDelivery(ctx context.Context, integrationID, deliveryID string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseDelivery forgets a claim, so a delivery that could not be
	// applied is accepted again when the sender retries.
	ReleaseDelivery(ctx context.Context, integrationID, deliveryID string) error
	// GetInboundState returns the last applied state of a ticket, or
	// itsm.ErrNotFound.
	GetInboundState(ctx context.Context, integrationID, ticketID string) (itsm.InboundState, error)
	// AdvanceInboundState stores s if it is newer than the stored state
	// (higher Version when both have one, else later OccurredAt; equal is
	// not newer; see itsm.InboundState.NewerThan) or none is stored, and reports
	// whether it did. The check and the write are atomic.
	AdvanceInboundState(ctx context.Context, s itsm.InboundState) (bool, error)
}

// postedNotes is the optional part of an [InboundStore] that recognises
// comments this SDK posted.
type postedNotes interface {
	PostedNotes(ctx context.Context, integrationID, caseID string) (map[string]itsm.PostedNote, error)
}

// TokenStore stores callback tokens (hashes only); memstore and sqlstore
// implement it. Every method is safe for concurrent use.
type TokenStore interface {
	// PutToken inserts or replaces a token record by ID.
	PutToken(ctx context.Context, t itsm.CallbackToken) error
	// GetTokenByHash returns the token whose Hash equals hash (Hash set), or
	// itsm.ErrNotFound. The lookup is by an index on the hash; the caller still
	// compares in constant time.
	GetTokenByHash(ctx context.Context, hash []byte) (itsm.CallbackToken, error)
	// ListTokens returns an integration's tokens (revoked ones included),
	// oldest first (by CreatedAt, then ID). Listed tokens may or may not
	// carry Hash.
	ListTokens(ctx context.Context, integrationID string) ([]itsm.CallbackToken, error)
	// RevokeToken sets RevokedAt; itsm.ErrNotFound when missing.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TouchToken sets LastUsedAt; itsm.ErrNotFound when missing.
	TouchToken(ctx context.Context, id string, at time.Time) error
}
