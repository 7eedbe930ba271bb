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
// [StatusMapperProvider] (the status map, for echo suppression),
// [CommentFinder] (look a posted comment up by its [NoteMarker], so a note
// whose outcome is unknown is settled without a second comment) and
// [Targeter] (the ticket space the connector writes into, recorded on each
// link so that links of an edited integration are never sent to another
// ITSM). A connector that wraps another forwards them.
//
// [CorrelationKey] is the key a connector writes into the ticket so that a
// create with an unknown outcome can be found again. A lookup proves its
// match: a Finder returns only tickets verified to carry the key (an ITSM
// that ignores a search filter it does not know lists unrelated tickets),
// and every one of them. The Syncer links the first (the oldest the ITSM
// lists) and reports the others as orphans ([Orphan], kept by an
// [OrphanStore], shown in [ButtonState].Orphans): tickets a late create
// left behind, which a person closes or links. A lookup that keeps failing
// ends in a [*NeedsAttentionError] after [MaxLookupFailures]; a comment
// lookup that keeps failing holds back a case's later notes for as many
// failed lookups, after which the note stays unconfirmed
// ([ButtonState].UnconfirmedNotes, never sent while its lookup fails) and
// the later notes are posted. Package
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
//
// # Retrying
//
// What a host does with the error of a sync (or of a connector call), in
// this order — the first row that matches decides:
//
//	Error (errors.Is / errors.As)                What the host does
//	ErrInvalidInput, ErrInvalidConfig            needs a person: fix the case or the configuration
//	(*ValidationError)                           (Errors names each field); retrying sends the same
//	context.Canceled, context.DeadlineExceeded   the caller's own context ended: retry when the caller
//	                                             wants (a create that was sent is kept pending and
//	                                             looked up first, never resent blindly)
//	*CooldownError (ErrCoolingDown)              retry at Until
//	*InProgressError (ErrInProgress)             another sync runs: retry after it, at Until at latest
//	*TicketGoneError (ErrTicketNotFound)         needs a person: Unlink or Resolve
//	*LinkConflictError, *NeedsAttentionError     needs a person: Resolve or ClearPending
//	(ErrNeedsAttention)
//	*TargetChangedError (ErrTargetChanged)       needs a person: KeepLinks (same tickets, renamed) or
//	                                             RetireLinks (another system) for the old target
//	*OutcomeUnknownError (ErrOutcomeUnknown)     retry at RetryAt (the next sync looks the ticket up
//	                                             first; an earlier retry is safe, it only looks)
//	ErrRefused                                   needs a person: the ITSM refused the content
//	ErrUnreachable                               the ITSM did not answer (refused, reset, DNS, the
//	                                             connector's timeout): retry now, then with backoff;
//	                                             when Temporary() is false (a TLS failure) a person
//	                                             must fix the trust settings
//	httpconn *HTTPError, Temporary() true        408, 429, 5xx but 501/505: retry at RetryAfter when
//	                                             set, else with backoff
//	httpconn *HTTPError, Temporary() false       401/403: a person fixes the credentials; other 4xx,
//	                                             501, 505: a person fixes the templates or the ITSM
//	httpconn *OAuth2Error                        Temporary() true (no answer, 429, 5xx): retry with
//	                                             backoff; else a person fixes the auth.oauth2 settings
//	httpconn *HostNotAllowedError                needs a person: the network setting it names
//	(ErrHostNotAllowed)
//	ErrStore                                     the store failed: retry with backoff; a person if
//	                                             it lasts
//	ErrNotConfigured                             nothing to retry: the operation is not configured
//
// Temporary() (on httpconn's *HTTPError, *NetworkError and *OAuth2Error) is
// true exactly for the failures the connector's own retry policy treats as
// passing. A connector error that wraps [ErrOutcomeUnknown] is a write that
// may have been processed: the [Syncer] never resends such a create, it
// looks the ticket up first. [ErrUnreachable] is never the caller's context:
// a connector timeout does not match context.DeadlineExceeded.
package itsm
