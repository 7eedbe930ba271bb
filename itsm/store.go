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
	// echoes of our own changes. A Syncer records them before it sends the
	// update (see [PushedStatus]), and with the link of a created ticket.
	LastPushedStatus string    `json:"last_pushed_status,omitempty"`
	LastPushedAt     time.Time `json:"last_pushed_at,omitzero"`
	// Closed is set when the ticket reached a terminal status; reconciliation
	// skips closed links.
	Closed bool `json:"closed,omitempty"`
	// Target identifies the ticket space the link points into, as the
	// connector that made it reported it ([Targeter]): provider, scheme,
	// host and port, project or queue. Empty for links made before targets
	// were recorded, or by a connector that does not report one.
	Target string `json:"target,omitempty"`
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
	IntegrationID string `json:"integration_id"`
	CaseID        string `json:"case_id"`
	// CorrelationKey is what a lookup searches for (the create carried
	// it): a person may search the ITSM for it too.
	CorrelationKey string       `json:"correlation_key"`
	State          PendingState `json:"state"`
	// Attempts counts the creates sent and the failed lookups (see
	// [MaxLookupFailures]).
	Attempts int `json:"attempts"`
	// StartedAt is when the first create was recorded; UpdatedAt when the
	// last create was sent or ended (the lookup grace runs from it).
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// LastError is a redacted, short description of the last failure.
	LastError string `json:"last_error,omitempty"`
}

// NoteState is where a note's comment stands ([PostedNote].State).
type NoteState string

// Note states. A record is written in [NotePending] before the comment is
// sent, so a crash or an unanswered request is found by the next sync and
// resolved (by a comment lookup, or by [SyncerConfig.UnconfirmedNotes])
// before the note is ever sent again.
const (
	// NotePosted: the comment was posted ("" reads as posted: records made
	// before states were kept).
	NotePosted NoteState = "posted"
	// NotePending: recorded before sending; found by a later sync it means
	// the sender stopped (crashed, or could not record the answer) and the
	// outcome is unknown.
	NotePending NoteState = "pending"
	// NoteUnconfirmed: sent, with no answer telling whether the ITSM stored
	// it (a timeout or reset, a 5xx after sending).
	NoteUnconfirmed NoteState = "unconfirmed"
)

// PostedNote records a note posted as a comment, so it is never posted twice,
// or a note the ITSM refused for good (Failed), so it neither blocks the
// later notes of its case nor is sent again by every sync, or a note being
// sent or whose outcome is unknown (State).
type PostedNote struct {
	IntegrationID string `json:"integration_id"`
	CaseID        string `json:"case_id"`
	NoteID        string `json:"note_id"`
	TicketID      string `json:"ticket_id"`
	// CommentID is the ITSM's comment id when the response carried one.
	CommentID string `json:"comment_id,omitempty"`
	// TextHash is the SHA-256 (hex) of the text as posted: an edited note is
	// detected by a different hash. For a pending or unconfirmed note it is
	// the hash of the text sent; for a failed note, the hash of the text
	// posted before the refused edit ("" when none was posted; records
	// made before RefusedHash existed hold the refused text's hash here).
	TextHash string `json:"text_hash"`
	// RefusedHash is the SHA-256 (hex) of the text the ITSM refused, for a
	// failed note.
	RefusedHash string `json:"refused_hash,omitempty"`
	// State is where the comment stands; "" means [NotePosted].
	State NoteState `json:"state,omitempty"`
	// PostedAt is when the note was posted, or, for a failed note, when the
	// ITSM refused it.
	PostedAt time.Time `json:"posted_at"`
	// Failed marks a note the ITSM refused for good (see [Syncer.Sync]): it
	// was not posted and no sync posts it again on its own; a person
	// retries it with [Syncer.RetryNote] (an edited text is retried too).
	// Reason is the refusal, redacted and short (at most 512 bytes).
	Failed bool   `json:"failed,omitempty"`
	Reason string `json:"reason,omitempty"`
	// LookupFailures counts the failed comment lookups ([CommentFinder]) of
	// a pending or unconfirmed note in a row: since it was sent, or since
	// its last lookup that answered. A sync whose own context ended does
	// not count. From [MaxLookupFailures] on, the note no longer holds back
	// the later notes of its case (see [Syncer.Sync]). 0 for a note that
	// was never looked up, and once a lookup answers or the note is settled.
	LookupFailures int `json:"lookup_failures,omitempty"`
}

// Unsettled reports whether the note's outcome is open: recorded before
// sending (pending) or sent without a telling answer (unconfirmed).
func (n PostedNote) Unsettled() bool {
	return !n.Failed && (n.State == NotePending || n.State == NoteUnconfirmed)
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
	// Status is the "Config Status": configured, unverified or failing
	// (see [Registry.Check] and [Registry.Record]).
	Status IntegrationStatus `json:"status"`
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

// SyncStore is what a [Syncer] keeps: the case's link, its pending create,
// its posted notes and the lease of a running sync. memstore and sqlstore
// implement it (and [Cooldown]). Every method is safe for concurrent use,
// including from several processes sharing one database. Errors other than
// the documented sentinels wrap [ErrStore].
type SyncStore interface {
	// GetLink returns the link of a case, or ErrNotFound.
	GetLink(ctx context.Context, integrationID, caseID string) (Link, error)
	// PutLink inserts or replaces the link of (IntegrationID, CaseID).
	PutLink(ctx context.Context, l Link) error
	// DeleteLink removes a link; removing a missing link is not an error.
	DeleteLink(ctx context.Context, integrationID, caseID string) error

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

	// PostedNotes returns the posted notes of a case keyed by note id.
	PostedNotes(ctx context.Context, integrationID, caseID string) (map[string]PostedNote, error)
	// MarkNotePosted records n; ErrConflict when that note id is already
	// recorded for the case (use UpdatePostedNote for an edited note).
	MarkNotePosted(ctx context.Context, n PostedNote) error
	// UpdatePostedNote replaces the record of an already posted note (an
	// edited note posted again, a failed note posted or refused again);
	// ErrNotFound when missing.
	UpdatePostedNote(ctx context.Context, n PostedNote) error
	// ClearFailedNote removes the record of a note that is not posted: a
	// failed note (Failed set) or one whose outcome is open (State pending
	// or unconfirmed), so the next sync posts the note again. It returns
	// ErrNotFound when the note has no such record; the record of a posted
	// note is never removed (that would post it twice).
	ClearFailedNote(ctx context.Context, integrationID, caseID, noteID string) error

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

// SyncSessionStore is implemented by stores that begin and end a sync in one
// round trip each (memstore and sqlstore do). A [Syncer] uses it when its
// store implements it; otherwise it makes the same reads and writes through
// [SyncStore] and [Cooldown] one by one. The methods are safe for
// concurrent use, across processes where the storage is shared.
type SyncSessionStore interface {
	// BeginSync atomically refuses a case cooling down (CooldownKey set and
	// its cooldown ends after Now: an error wrapping ErrCoolingDown, with
	// SyncState.CooldownUntil, and no lease taken), or else takes the lease
	// like AcquireLease (an error wrapping ErrLeaseHeld, with the current
	// lease in SyncState.Lease). Once the lease is taken, and only then, it
	// records Pushed on the case's link when the case has one (see
	// [PushedStatus]: nothing is written for a case without a link, a case
	// cooling down or a lease held by another), and reads the case's link,
	// pending create and, with WithNotes, note records, as they stand once
	// the lease is held and Pushed recorded: SyncState.Link carries the new
	// LastPushedStatus and LastPushedAt when they were written.
	BeginSync(ctx context.Context, req BeginSyncRequest) (SyncState, error)
	// EndSync starts the cooldown (when CooldownUntil is set), stores the
	// link (when Link is set) and releases the lease (when Holder holds
	// it), together: the cooldown is visible no later than the lease is
	// free.
	EndSync(ctx context.Context, req EndSyncRequest) error
}

// BeginSyncRequest is what [SyncSessionStore.BeginSync] checks, takes and
// reads.
type BeginSyncRequest struct {
	LeaseKey string
	Holder   string
	Now      time.Time
	TTL      time.Duration
	// CooldownKey is the case's cooldown key; "" does not check it.
	CooldownKey   string
	IntegrationID string
	CaseID        string
	// WithNotes reads the case's note records too.
	WithNotes bool
	// Pushed, when set, is the status this sync is about to push to the
	// linked ticket, recorded on the link before the push; nil writes
	// nothing.
	Pushed *PushedStatus
}

// PushedStatus is the ITSM status label a sync is about to push, recorded by
// [SyncSessionStore.BeginSync] on the case's link as
// [Link.LastPushedStatus] = Status and [Link.LastPushedAt] = At before the
// ticket update is sent. The inbound side suppresses a status change equal
// to LastPushedStatus within its echo window of LastPushedAt as the echo of
// our own push, and an ITSM may send that echo before the update call
// returns (Jira's webhook within about a second; Request Tracker's Scrip
// inside its answer to the update), so the label must be on the link before
// the call, not after. When the update then fails, the label stays: within
// the echo window an inbound change to that same label is taken for our echo
// (the status the SIEM wanted anyway).
type PushedStatus struct {
	// Status is the ITSM label ([StatusMapper.ITSMStatus] of the case
	// status); At when the sync pushes it.
	Status string
	At     time.Time
	// Target is the ticket space the Syncer's connector writes into
	// ([Targeter]): the link is written only when its own [Link.Target] is
	// "" or Target, or Target is "" (a link made in another target is
	// refused by the sync, and nothing is pushed to it).
	Target string
}

// AppliesTo reports whether p is to be recorded on l (see Target).
func (p PushedStatus) AppliesTo(l Link) bool {
	return p.Target == "" || l.Target == "" || l.Target == p.Target
}

// SyncState is what [SyncSessionStore.BeginSync] found.
type SyncState struct {
	// Lease is the lease taken, or the other holder's on ErrLeaseHeld.
	Lease Lease
	// CooldownUntil is when the cooldown ends, on ErrCoolingDown.
	CooldownUntil time.Time
	// Link and Pending are the case's link and pending create, nil when
	// it has none.
	Link    *Link
	Pending *PendingCreate
	// Notes are the case's note records keyed by note id (nil without
	// WithNotes).
	Notes map[string]PostedNote
}

// EndSyncRequest is what [SyncSessionStore.EndSync] writes.
type EndSyncRequest struct {
	LeaseKey string
	Holder   string
	// CooldownKey and CooldownUntil start a cooldown; a zero CooldownUntil
	// starts none.
	CooldownKey   string
	CooldownUntil time.Time
	// Link, when set, is stored like PutLink.
	Link *Link
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
	// SetIntegrationStatus replaces the Status of integration id, leaving
	// the rest as it is; ErrNotFound when it is missing. (PutIntegration
	// writes Status with the rest.)
	SetIntegrationStatus(ctx context.Context, id string, st IntegrationStatus) error
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
