package itsm

import (
	"context"
	"time"
)

// Orphan is a ticket that carries a case's correlation key but is not the
// ticket the case is linked to: typically the first ticket of a create whose
// outcome was unknown, stored by the ITSM later than the lookup grace
// ([SyncerConfig.LookupGrace]) after a second create had been sent. The SDK
// never updates, comments on or deletes an orphan; a person decides (close
// it as a duplicate, or link it with [Syncer.Resolve]) and then dismisses
// it ([Syncer.DismissOrphan], audited).
type Orphan struct {
	IntegrationID  string `json:"integration_id"`
	CaseID         string `json:"case_id"`
	CorrelationKey string `json:"correlation_key"`
	// TicketID, TicketKey and URL identify the orphan ticket.
	TicketID  string `json:"ticket_id"`
	TicketKey string `json:"ticket_key,omitempty"`
	URL       string `json:"url,omitempty"`
	// FoundAt is when the orphan was first found.
	FoundAt time.Time `json:"found_at"`
	// LinkedTicketID is the ticket the case was linked to when the orphan
	// was last found (the one the SDK keeps updating).
	LinkedTicketID string `json:"linked_ticket_id,omitempty"`
}

// OrphanStore keeps the orphans the Syncer and the reconciler find, so a
// UI can show them ([ButtonState].Orphans) until a person dismisses them.
// memstore and sqlstore implement it; a [SyncStore] that does not is still
// usable (orphans are then only audited, logged and returned in
// [Result].Orphans). Every method is safe for concurrent use, including
// from several processes sharing one database. Errors other than the
// documented sentinels wrap [ErrStore].
type OrphanStore interface {
	// RecordOrphan records o, idempotently per (IntegrationID, CaseID,
	// TicketID): recording a known orphan again keeps its FoundAt and
	// replaces TicketKey, URL and LinkedTicketID (when set); recording a
	// dismissed one changes nothing (it stays dismissed).
	RecordOrphan(ctx context.Context, o Orphan) error
	// Orphans returns the case's orphans not dismissed, ordered by FoundAt
	// then TicketID; none is an empty slice and a nil error.
	Orphans(ctx context.Context, integrationID, caseID string) ([]Orphan, error)
	// DismissOrphan marks an orphan as handled by a person: Orphans no
	// longer lists it and finding it again does not record it again. It
	// returns ErrNotFound when the case has no such orphan; dismissing a
	// dismissed orphan is not an error.
	DismissOrphan(ctx context.Context, integrationID, caseID, ticketID string) error
}
