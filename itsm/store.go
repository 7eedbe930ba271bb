package itsm

import (
	"context"
	"time"
)

// Link ties a case to its ticket for one integration. It is stored when a
// create succeeds (or a lookup finds the ticket), before any comment is
// posted, so a failure later in the sync never loses it.
type Link struct {
	IntegrationID string    `json:"integration_id"`
	CaseID        string    `json:"case_id"`
	TicketID      string    `json:"ticket_id"`
	TicketKey     string    `json:"ticket_key,omitempty"`
	URL           string    `json:"url,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// LastPushedStatus is the ITSM status label this SDK last pushed to the
	// ticket, and LastPushedAt when: the inbound side uses them to suppress
	// echoes of our own changes.
	LastPushedStatus string    `json:"last_pushed_status,omitempty"`
	LastPushedAt     time.Time `json:"last_pushed_at,omitzero"`
	// Closed is set when the ticket reached a terminal status; reconciliation
	// skips closed links.
	Closed bool `json:"closed,omitempty"`
}

// PendingState is the state of a pending create.
type PendingState string

// Pending create states.
const (
	// PendingInFlight: the create request is being sent (or the sender
	// crashed while sending: a pending create in flight whose lease expired
	// has an unknown outcome too).
	PendingInFlight PendingState = "in_flight"
	// PendingUnknown: the create ended with an unknown outcome; the next sync
	// must look the ticket up before creating again.
	PendingUnknown PendingState = "unknown"
)

// PendingCreate records a create before it is sent, so that a crash or an
// unknown outcome is detectable and never leads to a second ticket.
type PendingCreate struct {
	IntegrationID  string       `json:"integration_id"`
	CaseID         string       `json:"case_id"`
	CorrelationKey string       `json:"correlation_key"`
	State          PendingState `json:"state"`
	Attempts       int          `json:"attempts"`
	StartedAt      time.Time    `json:"started_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	// LastError is a redacted, short description of the last failure.
	LastError string `json:"last_error,omitempty"`
}

// PostedNote records a note posted as a comment, so it is never posted twice.
type PostedNote struct {
	IntegrationID string `json:"integration_id"`
	CaseID        string `json:"case_id"`
	NoteID        string `json:"note_id"`
	TicketID      string `json:"ticket_id"`
	// CommentID is the ITSM's comment id when the response carried one.
	CommentID string `json:"comment_id,omitempty"`
	// TextHash is the SHA-256 (hex) of the text as posted: an edited note is
	// detected by a different hash.
	TextHash string    `json:"text_hash"`
	PostedAt time.Time `json:"posted_at"`
}

// Lease is a time-limited claim on a key (one sync per case across
// replicas). A holder that crashes stops renewing and the lease expires.
type Lease struct {
	Key       string    `json:"key"`
	Holder    string    `json:"holder"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Integration is a saved integration: one per workspace.
type Integration struct {
	ID        string    `json:"id"`
	Workspace string    `json:"workspace"`
	Config    []byte    `json:"config"` // the Config as JSON (secrets included: the store must protect it)
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CallbackToken is a stored callback token. Only a hash of the token is kept.
type CallbackToken struct {
	ID            string `json:"id"`
	IntegrationID string `json:"integration_id"`
	AppName       string `json:"app_name"`
	Description   string `json:"description,omitempty"`
	// Hash is the SHA-256 of the token (tokens are 256-bit random, so a fast
	// hash is enough; see package callback).
	Hash       []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// InboundState is the last inbound change applied for a ticket: events older
// than it are stale and not applied.
type InboundState struct {
	IntegrationID string `json:"integration_id"`
	TicketID      string `json:"ticket_id"`
	// Version is the ITSM's record version when it sends one (SysAid
	// sr_version, ServiceNow sys_mod_count); 0 when unknown.
	Version int64 `json:"version"`
	// OccurredAt is when the last applied change happened at the ITSM.
	OccurredAt time.Time `json:"occurred_at"`
	// Status is the ITSM status label last applied.
	Status    string    `json:"status,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewerThan reports whether s is newer than old, the rule of
// [InboundStore.AdvanceInboundState]: a higher Version when both have one
// (non-zero), else a later OccurredAt. Equal is not newer.
func (s InboundState) NewerThan(old InboundState) bool {
	if s.Version != 0 && old.Version != 0 {
		return s.Version > old.Version
	}
	return s.OccurredAt.After(old.OccurredAt)
}

// LinkStore stores case-ticket links.
type LinkStore interface {
	// GetLink returns the link of a case, or ErrNotFound.
	GetLink(ctx context.Context, integrationID, caseID string) (Link, error)
	// GetLinkByTicket returns the link of a ticket (by ticket id or key), or
	// ErrNotFound.
	GetLinkByTicket(ctx context.Context, integrationID, ticketID string) (Link, error)
	// PutLink inserts or replaces the link of (IntegrationID, CaseID).
	PutLink(ctx context.Context, l Link) error
	// DeleteLink removes a link; removing a missing link is not an error.
	DeleteLink(ctx context.Context, integrationID, caseID string) error
	// ListLinks returns up to limit links of an integration with CaseID
	// greater than afterCaseID, ordered by CaseID (pagination for
	// reconciliation). openOnly skips Closed links before the limit applies,
	// so a page is short only at the end. afterCaseID "" starts at the
	// beginning; a limit of zero or less returns no links.
	ListLinks(ctx context.Context, integrationID, afterCaseID string, limit int, openOnly bool) ([]Link, error)
}

// PendingStore stores pending creates.
type PendingStore interface {
	// CreatePending records p; ErrConflict when the case already has one.
	CreatePending(ctx context.Context, p PendingCreate) error
	// GetPending returns the pending create of a case, or ErrNotFound.
	GetPending(ctx context.Context, integrationID, caseID string) (PendingCreate, error)
	// UpdatePending replaces a pending create; ErrNotFound when missing.
	UpdatePending(ctx context.Context, p PendingCreate) error
	// CompletePending atomically stores the link (inserting or replacing
	// the case's link) and deletes the case's pending create, but only while
	// that pending create still exists. When the case has no pending create
	// (another replica completed it, or it was cleared), it writes nothing
	// and returns an error wrapping ErrConflict: a late create answer can
	// never overwrite a link someone else stored. To link a case without a
	// pending create (a person's manual link) use PutLink and
	// DeletePending.
	CompletePending(ctx context.Context, l Link) error
	// DeletePending removes a pending create; removing a missing one is not
	// an error.
	DeletePending(ctx context.Context, integrationID, caseID string) error
}

// NoteStore records posted notes.
type NoteStore interface {
	// PostedNotes returns the posted notes of a case keyed by note id.
	PostedNotes(ctx context.Context, integrationID, caseID string) (map[string]PostedNote, error)
	// MarkNotePosted records n; ErrConflict when that note id is already
	// recorded for the case (use UpdatePostedNote for an edited note).
	MarkNotePosted(ctx context.Context, n PostedNote) error
	// UpdatePostedNote replaces the record of an already posted note (an
	// edited note posted again); ErrNotFound when missing.
	UpdatePostedNote(ctx context.Context, n PostedNote) error
}

// LeaseStore grants leases atomically.
type LeaseStore interface {
	// AcquireLease takes key for holder until now+ttl when the key is free,
	// expired at now (its ExpiresAt is not after now), or already held by
	// holder (a renewal, which sets ExpiresAt to now+ttl), and returns the
	// new lease. Otherwise it returns the current lease and an error
	// wrapping ErrLeaseHeld.
	AcquireLease(ctx context.Context, key, holder string, now time.Time, ttl time.Duration) (Lease, error)
	// ReleaseLease frees key if holder holds it (GetLease then returns
	// ErrNotFound); otherwise it does nothing and returns nil.
	ReleaseLease(ctx context.Context, key, holder string) error
	// GetLease returns the lease on key (possibly expired), or ErrNotFound.
	GetLease(ctx context.Context, key string) (Lease, error)
}

// IntegrationStore stores integrations, one per workspace.
type IntegrationStore interface {
	// PutIntegration inserts or replaces the integration with in.ID. It
	// returns ErrIntegrationExists when the workspace already has an
	// integration with another id. Replacing an integration with another
	// Workspace moves it: the old workspace is free again.
	PutIntegration(ctx context.Context, in Integration) error
	// GetIntegration returns an integration by id, or ErrNotFound.
	GetIntegration(ctx context.Context, id string) (Integration, error)
	// GetIntegrationByWorkspace returns a workspace's integration, or
	// ErrNotFound.
	GetIntegrationByWorkspace(ctx context.Context, workspace string) (Integration, error)
	// DeleteIntegration removes an integration; a missing one is not an error.
	DeleteIntegration(ctx context.Context, id string) error
}

// TokenStore stores callback tokens (hashes only).
type TokenStore interface {
	// PutToken inserts or replaces a token record by ID.
	PutToken(ctx context.Context, t CallbackToken) error
	// GetTokenByHash returns the token whose Hash equals hash (Hash set), or
	// ErrNotFound. The lookup is by an index on the hash; the caller still
	// compares in constant time.
	GetTokenByHash(ctx context.Context, hash []byte) (CallbackToken, error)
	// ListTokens returns an integration's tokens (revoked ones included),
	// oldest first (by CreatedAt, then ID). Listed tokens may or may not
	// carry Hash.
	ListTokens(ctx context.Context, integrationID string) ([]CallbackToken, error)
	// RevokeToken sets RevokedAt; ErrNotFound when missing.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TouchToken sets LastUsedAt; ErrNotFound when missing.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// InboundStore holds what the inbound side needs: delivery dedup and the
// last applied state per ticket.
type InboundStore interface {
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
	// ErrNotFound.
	GetInboundState(ctx context.Context, integrationID, ticketID string) (InboundState, error)
	// AdvanceInboundState stores s if it is newer than the stored state
	// (higher Version when both have one, else later OccurredAt; equal is
	// not newer; see InboundState.NewerThan) or none is stored, and reports
	// whether it did. The check and the write are atomic.
	AdvanceInboundState(ctx context.Context, s InboundState) (bool, error)
}

// Store is everything the engine and the inbound handler keep. Every method is
// safe for concurrent use, including from several processes sharing one
// database (sqlstore). Errors other than the documented sentinels wrap
// ErrStore.
type Store interface {
	LinkStore
	PendingStore
	NoteStore
	LeaseStore
	IntegrationStore
	TokenStore
	InboundStore
}

// Cooldown locks a case for a period after a successful sync. Implementations
// are safe for concurrent use across processes where their storage is shared.
type Cooldown interface {
	// CooldownUntil returns when key's cooldown ends; a zero time or a time
	// not after now means none.
	CooldownUntil(ctx context.Context, key string, now time.Time) (time.Time, error)
	// StartCooldown sets key's cooldown to end at until (replacing any end
	// set before, later or not).
	StartCooldown(ctx context.Context, key string, until time.Time) error
	// TryStartCooldown atomically starts a cooldown ending at until when key
	// is not cooling down at now, and reports true and until; otherwise it
	// reports false and the current end.
	TryStartCooldown(ctx context.Context, key string, now, until time.Time) (bool, time.Time, error)
	// ClearCooldown ends key's cooldown now.
	ClearCooldown(ctx context.Context, key string) error
}
