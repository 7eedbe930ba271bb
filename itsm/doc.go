// Package itsm holds the domain of itsmsync and its engine.
//
// A [Case] in the SIEM becomes a [Ticket] in the ITSM. The [Syncer] runs
// "Sync With ITSM": it creates the ticket once, updates it after, posts each
// [Note] once, locks the case for a cooldown after a successful sync, and
// refuses a second concurrent sync of the same case — across replicas,
// through leases in the shared [SyncStore].
//
// The [Connector] interface is the small set of calls the engine makes
// (create, update, comment, get). Package httpconn implements it from
// configuration (URLs, methods, headers, auth, $variable payload templates,
// where the ticket id sits in the response, status mapping); the presets in
// package providers build on it; a host can write its own. A connector may
// offer more through optional interfaces, which the engine discovers with a
// type assertion: [Finder] (look a ticket up by the correlation key, so a
// create with an unknown outcome is recovered without a second ticket),
// [CallBudgeter] (how long one call may take, which sizes the lease),
// [StatusMapperProvider] (the status map, for echo suppression). A
// connector that wraps another forwards them.
//
// [CorrelationKey] is the key a connector writes into the ticket so that a
// create with an unknown outcome can be found again. A lookup proves its
// match: a Finder returns only tickets verified to carry the key (an ITSM
// that ignores a search filter it does not know lists unrelated tickets),
// and every one of them. The Syncer links the first (the oldest the ITSM
// lists) and reports the others as orphans ([Orphan], kept by an
// [OrphanStore], shown in [ButtonState].Orphans): tickets a late create
// left behind, which a person closes or links. A lookup that keeps failing
// ends in a [*NeedsAttentionError] after [MaxLookupFailures]. Package
// itsm/vars turns a case (and a ticket, and a note) into the $variables of
// templates.
//
// Storage is interfaces declared where they are consumed ([SyncStore],
// [IntegrationStore], [Cooldown]); package memstore is the embedded default
// and package sqlstore serves SQLite and PostgreSQL.
//
// # Settings and options
//
// Every constructor of the SDK takes the same [Option] values last —
// [WithClock], [WithLogger], [WithAudit] — so the host's clock, logger and
// audit sink are injected one way everywhere. A component's settings are
// fields of its config struct ([SyncerConfig], httpconn.Config,
// callback.HandlerConfig ...), where the zero value means the documented
// default and a negative duration ([Off]) turns a feature off where that is
// allowed.
//
// # Errors
//
// Errors are typed: sentinels in one block (errors.Is), and structured
// errors for errors.As: [*ValidationError] for every invalid configuration or
// input in the SDK (each field error at once, with its dotted field path),
// [*CooldownError], [*InProgressError], [*NeedsAttentionError],
// [*OutcomeUnknownError], [*TicketGoneError], [*LinkConflictError], and the
// connector's own (httpconn's HTTP and network errors, which carry the HTTP
// status through [StatusCoder]). No error, log line or audit event carries a
// secret.
package itsm
