package itsm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/itsmsync/itsmsync/internal/clip"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"
)

// Defaults of a [Syncer].
const (
	// DefaultCooldownPeriod is how long a case stays locked after a
	// successful sync.
	DefaultCooldownPeriod = 10 * time.Minute
	// DefaultLeaseTTL is how long a sync's claim on its case lasts without
	// renewal. It must exceed the longest single connector call (request
	// timeout × attempts + backoff waits); see [SyncerConfig.LeaseTTL].
	DefaultLeaseTTL = 2 * time.Minute
	// DefaultLookupGrace is how long after an unknown-outcome create a lookup
	// that finds nothing is not yet taken as proof that the ticket does not
	// exist (search indexes such as Jira's are eventually consistent).
	DefaultLookupGrace = 30 * time.Second
	// EditedNotePrefix starts the comment that reposts an edited note under
	// [EditedNotesRepost].
	EditedNotePrefix = "(edited) "
)

// recordTimeout bounds the store writes that record what already happened at
// the ITSM (link, posted note, pending state, cooldown, lease release). They
// run even when the caller's context is canceled, because losing them would
// cause a duplicate ticket or comment later.
const recordTimeout = 15 * time.Second

// EditedNotePolicy says what a sync does with a note that was posted before
// and whose text has changed since (detected by the SHA-256 of its text).
type EditedNotePolicy int

const (
	// EditedNotesIgnore (the default) leaves posted notes alone: a comment
	// is never posted twice for one note id, whatever happens to its text.
	EditedNotesIgnore EditedNotePolicy = iota
	// EditedNotesRepost posts the edited text as a new comment, prefixed
	// with [EditedNotePrefix], once per distinct edit. The earlier comment
	// stays (most ITSMs keep comment history, and editing a remote comment
	// is not part of the [Connector] contract).
	EditedNotesRepost
)

// String returns "ignore" or "repost".
func (p EditedNotePolicy) String() string {
	switch p {
	case EditedNotesIgnore:
		return "ignore"
	case EditedNotesRepost:
		return "repost"
	}
	return "EditedNotePolicy(" + strconv.Itoa(int(p)) + ")"
}

// SyncerConfig holds the settings of a [Syncer]. The zero value of every
// field but IntegrationID means its default; a duration set to a negative
// value (see [Off]) turns its feature off where that is allowed.
type SyncerConfig struct {
	// IntegrationID is the integration whose links, notes, leases and
	// cooldowns the Syncer keeps (required). Usually [Integration.ID].
	IntegrationID string
	// Cooldown is where cooldowns are kept. Default: the store, when it
	// implements [Cooldown] (memstore and sqlstore do).
	Cooldown Cooldown
	// CooldownPeriod is how long a case stays locked after a successful
	// sync. Default [DefaultCooldownPeriod]; [Off] disables cooldowns.
	CooldownPeriod time.Duration
	// LeaseTTL is how long a sync's claim on its case lasts without
	// renewal. A sync renews the lease before each connector call once a
	// quarter of the TTL has passed, and before a create whenever what is
	// left of it is shorter than the connector's longest call, so the TTL
	// must exceed the connector's longest single call (its timeout ×
	// attempts plus backoff and Retry-After waits): a shorter TTL would let
	// another replica take over a case whose sync is still running, so
	// NewSyncer refuses a TTL shorter than the longest call the connector
	// reports ([CallBudgeter]). A replica that crashes blocks its case for
	// at most the TTL. Default: [DefaultLeaseTTL], raised to 4/3 of the
	// connector's longest call (httpconn's defaults: 4 × 30 s + 2 × 60 s =
	// 4 min, so 5 min 20 s). It cannot be turned off.
	LeaseTTL time.Duration
	// LookupGrace is how long after a create with an unknown outcome a
	// lookup that finds nothing still means "maybe not indexed yet" rather
	// than "not created"; within it the sync returns an
	// *OutcomeUnknownError instead of creating again. Default
	// [DefaultLookupGrace]; [Off] trusts the first lookup.
	LookupGrace time.Duration
	// Holder names this Syncer's leases, e.g. the replica's host name.
	// Each Sync adds a sequence number, so two syncs of one case in one
	// process exclude each other too. Give every replica a distinct name.
	// Default: a random id per Syncer.
	Holder string
	// StatusMapper maps the case status to the ITSM label each sync pushes,
	// recorded on the link ([Link.LastPushedStatus]) before the update is
	// sent (see [PushedStatus]) so the inbound side can recognise echoes of
	// our own changes, even one the ITSM sends while the sync is still
	// running. Default: the connector's own map
	// when it implements [StatusMapperProvider] (httpconn and the provider
	// connectors do); otherwise echoes are not suppressed.
	StatusMapper StatusMapper
	// EditedNotes says what happens to a posted note whose text changed.
	// Default [EditedNotesIgnore].
	EditedNotes EditedNotePolicy
	// UnconfirmedNotes says what a sync does with a note whose comment may
	// or may not have been stored (see [Syncer.Sync]) when the connector
	// cannot look comments up ([CommentFinder]). Default
	// [NotesAtLeastOnce].
	UnconfirmedNotes NotePolicy
	// Registry, when set, keeps the integration's status current from
	// every sync ([Registry.Record]): a sync that reached the ITSM marks it
	// configured, one that failed reaching it marks it failing with the
	// redacted error; invalid input, cooldowns and busy cases change
	// nothing. Default: none (the host records it, if it keeps one).
	Registry *Registry
}

// Syncer runs "Sync With ITSM" for one integration: it creates the case's
// ticket once, updates it on later syncs, posts each note once, locks the
// case for a cooldown after a successful sync and refuses a second concurrent
// sync of the same case — across replicas, through leases in the shared
// [Store].
//
// A Syncer is safe for concurrent use. It starts no goroutine. Several
// Syncers (replicas) may share one Store; they must be built with the same
// integration id and distinct holders (the default holder is random).
type Syncer struct {
	conn          Connector
	finder        Finder
	store         SyncStore
	cooldown      Cooldown
	integrationID string
	period        time.Duration
	leaseTTL      time.Duration
	lookupGrace   time.Duration
	holder        string
	seq           atomic.Uint64
	log           *slog.Logger
	env           Options
	clock         Clock
	mapper        StatusMapper
	editPolicy    EditedNotePolicy
	notePolicy    NotePolicy
	commentFinder CommentFinder
	registry      *Registry
	// session is the store's one-call begin and end of a sync, nil when it
	// has none; coolInStore says the cooldowns are the store's own (the
	// Cooldown was not set apart), so EndSync may start them.
	session     SyncSessionStore
	coolInStore bool
}

// CallBudgeter is implemented by connectors that can bound how long one call
// may take, every attempt, backoff and Retry-After wait included. The Syncer
// sizes its default lease TTL from it (see [SyncerConfig.LeaseTTL]).
type CallBudgeter interface {
	MaxCallDuration() time.Duration
}

// callBudget is the connector's longest call, or 0 when it does not tell.
func callBudget(conn Connector) time.Duration {
	if c, ok := conn.(CallBudgeter); ok {
		return c.MaxCallDuration()
	}
	return 0
}

// StatusMapperProvider is implemented by connectors that know their ITSM's
// status map (the HTTP connector built from Config.StatusMap, and the
// provider connectors wrapping it). NewSyncer uses it when
// [SyncerConfig.StatusMapper] is not set, so echo suppression works without
// host glue. A nil StatusMapper means the connector has no map.
type StatusMapperProvider interface {
	StatusMapper() StatusMapper
}

// FindCapable is implemented by connectors that implement [Finder] but may
// have no lookup request configured (the HTTP connector): CanFind reports
// whether Find can work.
type FindCapable interface {
	CanFind() bool
}

// NewSyncer returns a Syncer calling conn and keeping its state in store,
// with the settings of cfg (IntegrationID is required) and the clock, logger
// and audit sink of opts (every connector call and every sync is audited).
// When conn implements [Finder] (and, if it implements [FindCapable],
// CanFind reports true), a create with an unknown outcome is resolved by
// looking the ticket up; otherwise such a case needs a person
// ([NeedsAttentionError]). Invalid settings are reported as a
// *ValidationError wrapping [ErrInvalidConfig], every one at once.
func NewSyncer(conn Connector, store SyncStore, cfg SyncerConfig, opts ...Option) (*Syncer, error) {
	env := NewOptions(opts...)
	s := &Syncer{
		conn:          conn,
		store:         store,
		cooldown:      cfg.Cooldown,
		integrationID: cfg.IntegrationID,
		period:        orDefault(cfg.CooldownPeriod, DefaultCooldownPeriod),
		leaseTTL:      cfg.LeaseTTL,
		lookupGrace:   orDefault(cfg.LookupGrace, DefaultLookupGrace),
		holder:        cfg.Holder,
		mapper:        cfg.StatusMapper,
		editPolicy:    cfg.EditedNotes,
		notePolicy:    cfg.UnconfirmedNotes,
		registry:      cfg.Registry,
		env:           env,
		log:           env.Logger,
		clock:         env.Clock,
	}
	if s.cooldown == nil {
		if c, ok := store.(Cooldown); ok {
			s.cooldown = c
			s.coolInStore = true
		}
	}
	if ss, ok := store.(SyncSessionStore); ok {
		s.session = ss
	}
	var errs []FieldError
	if conn == nil {
		errs = append(errs, FieldError{Field: "connector", Message: "is nil"})
	}
	if store == nil {
		errs = append(errs, FieldError{Field: "store", Message: "is nil"})
	}
	if s.integrationID == "" {
		errs = append(errs, FieldError{Field: "integration_id", Message: "is required"})
	}
	if s.period > 0 && s.cooldown == nil && store != nil {
		errs = append(errs, FieldError{Field: "cooldown", Message: "the store does not implement Cooldown: set Cooldown, or CooldownPeriod to itsm.Off to disable cooldowns"})
	}
	budget := callBudget(conn)
	switch {
	case s.leaseTTL < 0:
		errs = append(errs, FieldError{Field: "lease_ttl", Message: "cannot be turned off"})
	case s.leaseTTL == 0:
		s.leaseTTL = max((budget*4/3 + time.Second - 1).Truncate(time.Second), DefaultLeaseTTL)
	case s.leaseTTL < budget:
		errs = append(errs, FieldError{Field: "lease_ttl", Message: fmt.Sprintf(
			"%s is shorter than the connector's longest call %s: a replica could take the case over while a create is still in flight", s.leaseTTL, budget)})
	}
	if s.editPolicy != EditedNotesIgnore && s.editPolicy != EditedNotesRepost {
		errs = append(errs, FieldError{Field: "edited_notes", Message: "unknown policy " + s.editPolicy.String()})
	}
	if s.notePolicy != NotesAtLeastOnce && s.notePolicy != NotesAtMostOnce {
		errs = append(errs, FieldError{Field: "unconfirmed_notes", Message: "unknown policy " + s.notePolicy.String()})
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	s.period = max(s.period, 0)
	s.lookupGrace = max(s.lookupGrace, 0)
	if f, ok := conn.(Finder); ok {
		s.finder = f
		if cf, ok := conn.(FindCapable); ok && !cf.CanFind() {
			s.finder = nil
		}
	}
	if f, ok := conn.(CommentFinder); ok {
		s.commentFinder = f
		if cf, ok := conn.(CommentFindCapable); ok && !cf.CanFindComments() {
			s.commentFinder = nil
		}
	}
	if s.mapper == nil {
		if p, ok := conn.(StatusMapperProvider); ok {
			s.mapper = p.StatusMapper()
		}
	}
	if s.holder == "" {
		s.holder = newSyncID("replica-")
	}
	return s, nil
}

// orDefault is d, or def when d is zero (a negative d, "off", is kept).
func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// LeaseTTL returns the lease TTL in use (see [SyncerConfig.LeaseTTL]).
func (s *Syncer) LeaseTTL() time.Duration { return s.leaseTTL }

// IntegrationID returns the integration the Syncer serves.
func (s *Syncer) IntegrationID() string { return s.integrationID }

// CooldownPeriod returns the cooldown after a successful sync (0: none).
func (s *Syncer) CooldownPeriod() time.Duration { return s.period }

// Result is what a sync did.
type Result struct {
	// CaseID is the synced case.
	CaseID string `json:"case_id"`
	// TicketID, TicketKey and URL identify the linked ticket (what a UI
	// shows as the success tag); empty when the sync failed before a ticket was known.
	TicketID  string `json:"ticket_id,omitempty"`
	TicketKey string `json:"ticket_key,omitempty"`
	URL       string `json:"url,omitempty"`
	// Created is set when this sync created the ticket; Updated when it
	// updated an existing one.
	Created bool `json:"created,omitempty"`
	Updated bool `json:"updated,omitempty"`
	// Recovered is set when this sync found, by its correlation key, the
	// ticket an earlier create with an unknown outcome had made, and linked
	// it (then updated it).
	Recovered bool `json:"recovered,omitempty"`
	// NotesPosted counts notes posted as new comments, edited reposts
	// included, and notes sent without an answer (see NotesUnconfirmed);
	// NotesReposted counts the edited reposts alone.
	NotesPosted   int `json:"notes_posted"`
	NotesReposted int `json:"notes_reposted,omitempty"`
	// NotesSkipped counts notes not posted by this sync without an error:
	// posted before (edited or not, per the edit policy), blank (see
	// NotesBlank), or not postable because the integration has no notes
	// request. Notes that stand failed are in NotesFailed instead.
	NotesSkipped int `json:"notes_skipped,omitempty"`
	// NotesBlank lists the notes skipped because their text is empty or
	// white space only: never posted (an ITSM refuses an empty comment or
	// records nothing) nor recorded, so a note that gets a text later is
	// posted then.
	NotesBlank []string `json:"notes_blank,omitempty"`
	// NotesFailed lists the notes of this sync's input that the ITSM
	// refused for good, by this sync or an earlier one (a failed note is
	// not sent again until its text changes or [Syncer.RetryNote] clears
	// it), in posting order. They never block the later notes.
	NotesFailed []NoteFailure `json:"notes_failed,omitempty"`
	// NotesUnconfirmed lists the notes of this sync's input whose comment
	// may or may not be on the ticket: sent without an answer (timeout or
	// reset) by this sync, which counts them in NotesPosted, answered with
	// a 5xx under [NotesAtMostOnce] without a comment lookup, or left
	// unconfirmed by an earlier sync under that policy, or whose comment
	// lookup has failed [MaxLookupFailures] times in a row (looked up
	// again by every sync, not sent while it fails). They are
	// recorded as unconfirmed ([NoteUnconfirmed]) and shown in
	// [ButtonState].UnconfirmedNotes until a later sync resolves them (see
	// [Syncer.Sync]) or a person does ([Syncer.ConfirmNote]).
	NotesUnconfirmed []string `json:"notes_unconfirmed,omitempty"`
	// NextSyncAt is when the cooldown started by this sync ends (zero when
	// the sync failed or cooldowns are disabled).
	NextSyncAt time.Time `json:"next_sync_at,omitzero"`
	// Orphans lists the other tickets this sync's lookup found carrying the
	// case's correlation key, besides the one it linked (see [Orphan]).
	Orphans []Orphan `json:"orphans,omitempty"`
}

// NoteFailure is a note the ITSM refused for good: an HTTP 4xx other than
// 401, 403, 404, 408, 409 and 429, a 2xx refusal ([ErrRefused]), or a note
// the connector refused before sending ([ErrInvalidInput]).
type NoteFailure struct {
	NoteID string `json:"note_id"`
	// Reason is the connector's error, redacted by the connector and
	// clipped to 512 bytes (e.g. the ITSM's "Comment body can not be
	// empty!").
	Reason string `json:"reason"`
	// FailedAt is when the ITSM refused it.
	FailedAt time.Time `json:"failed_at"`
}

func noteFailure(p PostedNote) NoteFailure {
	return NoteFailure{NoteID: p.NoteID, Reason: p.Reason, FailedAt: p.PostedAt}
}

// run is the state of one sync.
type run struct {
	c         *Case
	req       SyncRequest
	leaseKey  string
	holder    string
	renewedAt time.Time
	// leaseUntil is when the lease ends unless renewed.
	leaseUntil time.Time
	res        *Result
	// state is what BeginSync read (nil without a [SyncSessionStore]);
	// notesRead says it holds the note records.
	state     *SyncState
	notesRead bool
	// pushed is the status this sync pushes to a linked ticket (nil: none
	// to record), recorded on the link before the update; pushRecorded
	// says BeginSync recorded it.
	pushed       *PushedStatus
	pushRecorded bool
	// endLink is the link to store at the end (an update changed it);
	// coolUntil the cooldown to start (a successful sync).
	endLink   *Link
	coolUntil time.Time
	// rctx bounds the writes that record what happened at the ITSM; made
	// on first use, canceled by done.
	rctx    context.Context
	rcancel context.CancelFunc
}

// record returns the run's context for recording writes (see
// recordContext). A context with less than half of recordTimeout left is
// replaced, so every write gets at least that much time.
func (r *run) record(ctx context.Context) context.Context {
	if r.rctx != nil {
		if dl, _ := r.rctx.Deadline(); time.Until(dl) >= recordTimeout/2 {
			return r.rctx
		}
		r.rcancel()
	}
	r.rctx, r.rcancel = recordContext(ctx)
	return r.rctx
}

// done releases the recording context.
func (r *run) done() {
	if r.rcancel != nil {
		r.rcancel()
	}
}

// Sync pushes the case to the ITSM: it creates the ticket on the first sync
// and updates the linked ticket afterwards, then posts every note not yet
// posted as a comment, then starts the cooldown.
//
// In order: the input is validated (a *ValidationError wrapping
// [ErrInvalidInput]: the case per
// [Case.Validate], every note needs a unique non-empty ID); a case cooling
// down is refused with a *CooldownError and a case being synced elsewhere
// with an *InProgressError, at once and without any change; then the case's
// lease is taken (and released at the end).
//
// Ticket exactly once: a create is recorded as a [PendingCreate] before it
// is sent, carrying the case's [CorrelationKey] ($correlation_key). A create
// with an unknown outcome (the connector's error wraps [ErrOutcomeUnknown])
// keeps the pending create and returns an *OutcomeUnknownError; a certain
// failure deletes it. A later sync that finds a pending create looks the
// ticket up with the connector's [Finder]: found, it is linked and updated;
// not found after the lookup grace period, it is created again; without a
// Finder the sync returns a *NeedsAttentionError and never creates. A
// lookup proves its match (a Finder returns only tickets verified to carry
// the key); a lookup that keeps failing ends in a *NeedsAttentionError after
// [MaxLookupFailures], whose message says how a person gets the case going
// again ([Syncer.Resolve], [Syncer.ClearPending]).
//
// Orphans: when a lookup finds several tickets carrying the key (a create
// that was thought lost did reach the ITSM), the first listed is linked and
// the others are reported as [Orphan] values — in [Result.Orphans], audited,
// logged as warnings and, with an [OrphanStore], kept in
// [ButtonState.Orphans] until [Syncer.DismissOrphan]. They never change the
// phase; a person closes or links them.
//
// Target refusal: a case whose link was made in another ticket space than
// the connector's current one ([Link.Target], [Targeter]: the integration
// was edited to point at another ITSM, project or queue) is refused before
// any connector call with a *TargetChangedError (wrapping
// [ErrTargetChanged]) until the host calls [Syncer.KeepLinks] or
// [Syncer.RetireLinks]. A link with no target is adopted by the current one.
//
// The link is stored as soon as the ticket exists, before any comment, so a
// failed comment never loses it: the next sync posts only the missing notes.
// The ITSM status an update pushes is recorded on the link before the update
// is sent ([PushedStatus]), so its echo is recognised whenever it arrives.
// Notes are posted in CreatedAt order (equal times, zero included, keep the
// input order). A blank note (empty or white-space-only text) is never
// posted: it is listed in [Result.NotesBlank].
//
// Notes exactly once: each note is recorded as pending ([NotePending])
// before its comment is sent, and as posted after, so nothing is ever
// sent for a note whose earlier send may have reached the ITSM without that
// being settled first. A failed comment is judged by the answer:
//   - refused for good — an HTTP 4xx other than 401, 403, 404, 408, 409 and
//     429, a 2xx the connector's response rules refused ([ErrRefused]), or
//     a note the connector refused before sending ([ErrInvalidInput], e.g.
//     a provider's blank-note check that also counts control characters):
//     recorded as failed ([PostedNote].Failed, with the reason), listed in
//     [Result.NotesFailed] and [ButtonState].FailedNotes, audited as a
//     failure, and the sync goes on with the later notes (it succeeds).
//     A failed note is not sent again by later syncs until its text changes
//     or a person calls [Syncer.RetryNote];
//   - certainly not posted — 401, 403, 404, 408, 409, 429, or no request
//     sent: the pending record is removed, the sync stops there (later
//     notes never overtake it) and the next sync sends it again;
//   - a 2xx whose body was unreadable counts as posted;
//   - outcome unknown — a 5xx after sending (a gateway's 502 may follow a
//     stored comment), no answer at all (timeout, reset), a crash between
//     the pending record and the answer's, or an answer that could not be
//     recorded (the record write is retried with a short backoff first):
//     the note is recorded unconfirmed ([NoteUnconfirmed]; a crash leaves
//     it pending), shown in [ButtonState].UnconfirmedNotes, and settled by
//     the next sync given the note, before anything is sent for it. A 5xx
//     stops the sync there (the next sync settles it); no answer is listed
//     in [Result.NotesUnconfirmed] and the sync goes on.
//
// How a later sync settles a note whose outcome is unknown, by the
// connector's [CommentFinder] and [SyncerConfig.UnconfirmedNotes] (see
// [NotesAtLeastOnce], [NotesAtMostOnce], [Syncer.ConfirmNote]), and what that
// guarantees:
//
//	comment lookup  policy            guarantee
//	--------------  ----------------  ----------------------------------------------
//	CommentFinder   any               exactly once: looked up by its NoteMarker;
//	                                  found, recorded as posted; not found, sent
//	                                  (a failed lookup stops the sync: retried
//	                                  next; bounded, see below)
//	none            NotesAtLeastOnce  at least once: sent again (a duplicate
//	                (the default)     comment rather than a lost note)
//	none            NotesAtMostOnce   at most once: never sent again on its own;
//	                                  it stays unconfirmed, later notes are posted
//	                                  (a 5xx does not stop the sync either), and a
//	                                  person settles it (ConfirmNote, RetryNote)
//
// A comment lookup that keeps failing (the ITSM's comment list answers
// errors) holds back the case's later notes only for a while: each failed
// lookup of the note is counted ([PostedNote].LookupFailures, kept in the
// store; a lookup cut by the caller's context is not counted), and below
// [MaxLookupFailures] failures in a row the sync stops at the note with an
// error naming the way out. The sync that counts the MaxLookupFailures-th
// failure goes on instead: the note stays unconfirmed
// ([Result.NotesUnconfirmed], [ButtonState].UnconfirmedNotes; the failed
// lookup's audit event says so, and a warning is logged), and the later
// notes are posted. Every later sync given the note looks it up once more,
// without holding back the others, so the note settles by itself when the
// ITSM answers again (found: recorded as posted; not found: sent once). A
// lookup that answers starts the count over. Such a note is not sent again
// while its lookup fails, whatever the policy, NotesAtLeastOnce included: a
// comment lookup is there to rule out duplicate comments, and a failing
// one cannot tell whether the comment is on the ticket. A person may
// settle it at any time: [Syncer.ConfirmNote] (posted or not) or
// [Syncer.RetryNote] (send it again).
//
// The lookup applies to a note's first comment; an edited repost (see
// [EditedNotePolicy]) whose outcome is unknown follows the policy (the
// marker names the note, not its text). Each decision is audited: the
// lookup as operation "comment_lookup", a resend or a note kept
// unconfirmed on its comment event.
//
// A connector other than the HTTP one tells the status through
// [StatusCoder]. An edited note follows the [EditedNotePolicy].
//
// The cooldown starts only after a fully successful sync: a failed sync can
// be retried at once and completes only what is missing. A store error is
// returned (wrapping [ErrStore]), never swallowed; the Result then still
// reports what was done at the ITSM.
func (s *Syncer) Sync(ctx context.Context, c Case, notes []Note) (Result, error) {
	start := s.clock.Now()
	res := Result{CaseID: c.ID}
	reason, err := s.sync(ctx, &c, notes, &res)
	s.finishSync(ctx, &res, reason, err, start)
	return res, err
}

func (s *Syncer) sync(ctx context.Context, c *Case, notes []Note, res *Result) (reason string, err error) {
	if err := validateSyncInput(c, notes); err != nil {
		return "invalid input", err
	}
	r := &run{
		c:        c,
		req:      SyncRequest{Case: c, CorrelationKey: CorrelationKey(s.integrationID, c.ID)},
		leaseKey: s.key("sync", c.ID),
		holder:   s.holder + "#" + strconv.FormatUint(s.seq.Add(1), 10),
		res:      res,
	}
	defer r.done()
	if reason, err := s.begin(ctx, r, len(notes) > 0); err != nil {
		return reason, err
	}
	defer func() {
		if rerr := s.end(ctx, r); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	if err := s.ensureTicket(ctx, r); err != nil {
		return "ticket", err
	}
	if err := s.postNotes(ctx, r, notes); err != nil {
		return "notes", err
	}
	if s.period > 0 {
		// Started by end, with the lease release.
		r.coolUntil = s.clock.Now().Add(s.period)
		res.NextSyncAt = r.coolUntil
	}
	switch {
	case res.Created:
		return "created", nil
	case res.Recovered:
		return "recovered", nil
	}
	return "updated", nil
}

// validateSyncInput checks the case and the notes, listing every problem.
func validateSyncInput(c *Case, notes []Note) error {
	var errs []FieldError
	if err := c.Validate(); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		for _, fe := range ve.Errors {
			errs = append(errs, FieldError{Field: "case." + fe.Field, Message: fe.Message})
		}
	}
	seen := make(map[string]int, len(notes))
	for i, n := range notes {
		field := "notes[" + strconv.Itoa(i) + "].id"
		if n.ID == "" {
			errs = append(errs, FieldError{Field: field, Message: "is required"})
			continue
		}
		if j, dup := seen[n.ID]; dup {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("duplicates notes[%d].id %q", j, n.ID)})
			continue
		}
		seen[n.ID] = i
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs, Input: true}
	}
	return nil
}

// key builds an unambiguous store key for the integration and case.
func (s *Syncer) key(kind, caseID string) string {
	return kind + ":" + strconv.Itoa(len(s.integrationID)) + ":" + s.integrationID + ":" + caseID
}

// checkCooldown returns a *CooldownError when the case is cooling down.
func (s *Syncer) checkCooldown(ctx context.Context, caseID string) error {
	if s.period == 0 {
		return nil
	}
	now := s.clock.Now()
	until, err := s.cooldown.CooldownUntil(ctx, s.key("cooldown", caseID), now)
	if err != nil {
		return storeError(fmt.Sprintf("sync case %q: read cooldown", caseID), err)
	}
	if until.After(now) {
		return &CooldownError{CaseID: caseID, Until: until, Remaining: until.Sub(now)}
	}
	return nil
}

// acquire takes the case's lease or returns an *InProgressError.
func (s *Syncer) acquire(ctx context.Context, r *run) error {
	now := s.clock.Now()
	l, err := s.store.AcquireLease(ctx, r.leaseKey, r.holder, now, s.leaseTTL)
	if err != nil {
		if errors.Is(err, ErrLeaseHeld) {
			return &InProgressError{CaseID: r.c.ID, Until: l.ExpiresAt, Err: err}
		}
		return storeError(fmt.Sprintf("sync case %q: acquire lease", r.c.ID), err)
	}
	r.renewedAt, r.leaseUntil = now, l.ExpiresAt
	return nil
}

// renew extends the lease before a connector call: always when force is set,
// otherwise once a quarter of the TTL has passed.
func (s *Syncer) renew(ctx context.Context, r *run, before Operation, force bool) error {
	now := s.clock.Now()
	if !force && now.Sub(r.renewedAt) < s.leaseTTL/4 {
		return nil
	}
	l, err := s.store.AcquireLease(ctx, r.leaseKey, r.holder, now, s.leaseTTL)
	if err != nil {
		if errors.Is(err, ErrLeaseHeld) {
			return fmt.Errorf("itsm: sync case %q: lost the lease before %s: a step outlived the lease TTL %s and another sync took the case over: %w",
				r.c.ID, before, s.leaseTTL, err)
		}
		return storeError(fmt.Sprintf("sync case %q: renew lease", r.c.ID), err)
	}
	r.renewedAt, r.leaseUntil = now, l.ExpiresAt
	return nil
}

// release frees the lease, even when ctx is canceled.
func (s *Syncer) release(ctx context.Context, r *run) error {
	wctx := r.record(ctx)
	if err := s.store.ReleaseLease(wctx, r.leaseKey, r.holder); err != nil {
		return storeError(fmt.Sprintf("sync case %q: release lease", r.c.ID), err)
	}
	return nil
}

// recordContext returns a context for writes that record what already
// happened at the ITSM: not canceled with the caller's, but bounded.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	c := &recordCtx{Context: context.WithoutCancel(ctx), deadline: time.Now().Add(recordTimeout)}
	return c, c.stop
}

// ensureTicket updates the linked ticket, or resolves a pending create, or
// creates the ticket.
func (s *Syncer) ensureTicket(ctx context.Context, r *run) error {
	c := r.c
	link, err := s.caseLink(ctx, r)
	if err == nil {
		if err := s.checkTarget(ctx, r, link); err != nil {
			return err
		}
		return s.update(ctx, r, link)
	}
	if !errors.Is(err, ErrNotFound) {
		return storeError(fmt.Sprintf("sync case %q: read link", c.ID), err)
	}
	now := s.clock.Now()
	p, err := s.casePending(ctx, r)
	switch {
	case err == nil:
		// An earlier create has an unknown outcome, or its sender lost its
		// lease (crashed) mid-create: we hold the lease now, so nobody else
		// is creating.
		t, found, err := s.lookup(ctx, r, p)
		if err != nil {
			return err
		}
		if found {
			link, adopted, err := s.completeCreate(ctx, r, t)
			if err != nil {
				return err
			}
			r.res.Recovered = true
			if adopted {
				return nil
			}
			s.log.InfoContext(ctx, "itsm: recovered ticket of an unknown-outcome create",
				"integration_id", s.integrationID, "case_id", c.ID, "ticket_id", t.ID)
			return s.update(ctx, r, link)
		}
		p.State = PendingInFlight
		p.Attempts++
		p.UpdatedAt = s.clock.Now()
		p.LastError = ""
		if err := s.store.UpdatePending(ctx, p); err != nil {
			return storeError(fmt.Sprintf("sync case %q: update pending create", c.ID), err)
		}
	case errors.Is(err, ErrNotFound):
		p = PendingCreate{
			IntegrationID:  s.integrationID,
			CaseID:         c.ID,
			CorrelationKey: r.req.CorrelationKey,
			State:          PendingInFlight,
			Attempts:       1,
			StartedAt:      now,
			UpdatedAt:      now,
		}
		if err := s.store.CreatePending(ctx, p); err != nil {
			if errors.Is(err, ErrConflict) {
				return fmt.Errorf("itsm: sync case %q: another sync recorded a pending create meanwhile (lease lost?): %w", c.ID, err)
			}
			return storeError(fmt.Sprintf("sync case %q: record pending create", c.ID), err)
		}
	default:
		return storeError(fmt.Sprintf("sync case %q: read pending create", c.ID), err)
	}
	return s.create(ctx, r, p)
}

// lookup resolves a pending create: the ticket found by its correlation key,
// or false when a new create is safe, or an error. The connector verifies
// that every ticket it returns carries the key; the first one (the oldest
// the ITSM lists) is linked and the others are reported as orphans
// (reportOrphans). A failed lookup counts in the pending create's Attempts;
// past [MaxLookupFailures] it is a *NeedsAttentionError (lookupFailed).
func (s *Syncer) lookup(ctx context.Context, r *run, p PendingCreate) (Ticket, bool, error) {
	c := r.c
	if p.CorrelationKey == "" {
		p.CorrelationKey = r.req.CorrelationKey
	}
	if s.finder == nil {
		return Ticket{}, false, &NeedsAttentionError{CaseID: c.ID, CorrelationKey: p.CorrelationKey, Pending: p}
	}
	if err := s.renew(ctx, r, OpLookup, false); err != nil {
		return Ticket{}, false, err
	}
	start := s.clock.Now()
	req := r.req
	req.CorrelationKey = p.CorrelationKey
	found, err := s.finder.Find(ctx, req)
	ev := s.event(c.ID, OpLookup, start)
	if err == nil {
		found, err = checkFound(c.ID, found)
	}
	switch {
	case err != nil && errors.Is(err, ErrNotConfigured):
		s.emit(ctx, ev, OutcomeSkipped, "no lookup request configured", err)
		return Ticket{}, false, &NeedsAttentionError{CaseID: c.ID, CorrelationKey: p.CorrelationKey, Pending: p, Err: err}
	case err != nil:
		s.emit(ctx, ev, OutcomeFailure, "", err)
		return Ticket{}, false, s.lookupFailed(ctx, r, p, err)
	case len(found) > 0:
		t := found[0]
		ev.TicketID = t.ID
		s.emit(ctx, ev, OutcomeSuccess, "found", nil)
		if err := s.reportOrphans(ctx, r, p.CorrelationKey, t.ID, found[1:]); err != nil {
			return Ticket{}, false, err
		}
		return t, true, nil
	}
	retryAt := p.UpdatedAt.Add(s.lookupGrace)
	if s.clock.Now().Before(retryAt) {
		s.emit(ctx, ev, OutcomeSuccess, "not found yet (within lookup grace)", nil)
		return Ticket{}, false, &OutcomeUnknownError{CaseID: c.ID, CorrelationKey: p.CorrelationKey, RetryAt: retryAt}
	}
	s.emit(ctx, ev, OutcomeSuccess, "not found", nil)
	return Ticket{}, false, nil
}

// create sends the create recorded as pending p.
func (s *Syncer) create(ctx context.Context, r *run, p PendingCreate) error {
	c := r.c
	// The lease must outlast the create, its retries and waits included:
	// renewed now unless what is left of it already covers the
	// connector's longest call (the TTL is at least that long, so a lease
	// taken or renewed a moment ago does).
	if err := s.renew(ctx, r, OpCreate, r.leaseUntil.Sub(s.clock.Now()) < callBudget(s.conn)); err != nil {
		// Nothing was sent: the pending create may go.
		return errors.Join(err, s.dropPending(ctx, r))
	}
	if err := ctx.Err(); err != nil {
		// The caller gave up before the create was sent: certainly not
		// created (a context error from the connector could not say so).
		return errors.Join(fmt.Errorf("itsm: sync case %q: create not sent: the caller's context ended: %w", c.ID, err), s.dropPending(ctx, r))
	}
	start := s.clock.Now()
	t, err := s.conn.Create(ctx, r.req)
	ev := s.event(c.ID, OpCreate, start)
	if err == nil && t.ID == "" {
		err = fmt.Errorf("itsm: create returned a ticket without an id: %w", errors.Join(ErrMissingTicketID, ErrOutcomeUnknown))
	}
	if err != nil {
		if outcomeUnknown(err) {
			s.emit(ctx, ev, OutcomeUnknown, "pending create kept", err)
			p.State = PendingUnknown
			p.UpdatedAt = s.clock.Now()
			p.LastError = clip.Bytes(err.Error(), 200)
			uerr := &OutcomeUnknownError{CaseID: c.ID, CorrelationKey: p.CorrelationKey, RetryAt: p.UpdatedAt.Add(s.lookupGrace), Err: err}
			wctx := r.record(ctx)
			if serr := s.store.UpdatePending(wctx, p); serr != nil {
				// The pending stays in flight: the next sync treats it as
				// unknown all the same.
				return errors.Join(uerr, storeError(fmt.Sprintf("sync case %q: mark pending create unknown", c.ID), serr))
			}
			return uerr
		}
		s.emit(ctx, ev, OutcomeFailure, "not created", err)
		return errors.Join(fmt.Errorf("itsm: sync case %q: create ticket: %w", c.ID, err), s.dropPending(ctx, r))
	}
	ev.TicketID = t.ID
	s.emit(ctx, ev, OutcomeSuccess, "", nil)
	r.res.Created = true
	if _, adopted, err := s.completeCreate(ctx, r, t); err != nil || !adopted {
		return err
	}
	// Another sync found this very ticket and linked it first (our lease
	// had expired): keep its link, report the ticket as recovered.
	r.res.Recovered = true
	return nil
}

// dropPending deletes the case's pending create after a create that certainly
// did not happen.
func (s *Syncer) dropPending(ctx context.Context, r *run) error {
	caseID := r.c.ID
	wctx := r.record(ctx)
	if err := s.store.DeletePending(wctx, s.integrationID, caseID); err != nil {
		return storeError(fmt.Sprintf("sync case %q: delete pending create", caseID), err)
	}
	return nil
}

// completeCreate stores the link of a ticket that exists (created or found)
// and removes the pending create, atomically and only while the pending
// create is still there. When another sync completed the case meanwhile,
// the other sync's link is never overwritten: the same ticket is adopted
// (adopted true: this sync pushed nothing, its case snapshot may be older
// than the other's), a different ticket is a *LinkConflictError.
//
// It does not renew the lease first: safety does not rest on the lease
// here. A sync that lost its lease during the create (another took the case
// over) can only complete while the pending create it recorded is still
// there — CompletePending is conditional on it — and the one that took over
// either completed or cleared it first (then this write is refused and the
// conflict handled below) or has not yet (then this link is the one to keep,
// and the other's completion is refused in turn). A lost lease is still
// found before the next connector call (renew), so no comment follows it.
func (s *Syncer) completeCreate(ctx context.Context, r *run, t Ticket) (link Link, adopted bool, err error) {
	var leaseErr error
	now := s.clock.Now()
	link = Link{
		IntegrationID: s.integrationID,
		CaseID:        r.c.ID,
		TicketID:      t.ID,
		TicketKey:     t.Key,
		URL:           t.URL,
		CreatedAt:     now,
		UpdatedAt:     now,
		Target:        s.Target(),
	}
	s.setPushed(&link, r.c, now)
	r.res.TicketID, r.res.TicketKey, r.res.URL = link.TicketID, link.TicketKey, link.URL
	wctx := r.record(ctx)
	cerr := s.store.CompletePending(wctx, link)
	if cerr == nil {
		return link, false, leaseErr
	}
	if !errors.Is(cerr, ErrConflict) {
		return Link{}, false, errors.Join(leaseErr, storeError(fmt.Sprintf("sync case %q: ticket %s exists but its link could not be stored (the pending create remains: the next sync finds the ticket by correlation key, or Resolve links it)", r.c.ID, t.ID), cerr))
	}
	// Someone else completed (or cleared) the pending create meanwhile.
	r.res.Created = false
	other, gerr := s.store.GetLink(wctx, s.integrationID, r.c.ID)
	switch {
	case gerr == nil && other.TicketID == t.ID:
		r.res.TicketID, r.res.TicketKey, r.res.URL = other.TicketID, other.TicketKey, other.URL
		s.log.InfoContext(ctx, "itsm: another sync linked the same ticket first; keeping its link",
			"integration_id", s.integrationID, "case_id", r.c.ID, "ticket_id", t.ID)
		return other, true, leaseErr
	case gerr == nil:
		return Link{}, false, errors.Join(leaseErr, &LinkConflictError{CaseID: r.c.ID, TicketID: t.ID, LinkedTicketID: other.TicketID, Err: cerr})
	case errors.Is(gerr, ErrNotFound):
		return Link{}, false, errors.Join(leaseErr, &LinkConflictError{CaseID: r.c.ID, TicketID: t.ID, Err: cerr})
	default:
		return Link{}, false, errors.Join(leaseErr, &LinkConflictError{CaseID: r.c.ID, TicketID: t.ID, Err: cerr},
			storeError(fmt.Sprintf("sync case %q: read link after a conflict", r.c.ID), gerr))
	}
}

// setPushed records on the link of a created (or found) ticket what this
// sync pushed; an update records it before the call (recordPush).
func (s *Syncer) setPushed(l *Link, c *Case, now time.Time) {
	if s.mapper != nil {
		if label := s.mapper.ITSMStatus(c.Status); label != "" {
			l.LastPushedStatus = label
			l.LastPushedAt = now
		}
	}
	if c.Status != "" {
		l.Closed = c.Status.IsTerminal()
	}
}

// update brings the linked ticket in line with the case.
func (s *Syncer) update(ctx context.Context, r *run, link Link) error {
	c := r.c
	r.res.TicketID, r.res.TicketKey, r.res.URL = link.TicketID, link.TicketKey, link.URL
	if err := s.renew(ctx, r, OpUpdate, false); err != nil {
		return err
	}
	// The status pushed is on the link before the update is sent (its echo
	// may come back before the call returns): recorded by BeginSync, by
	// CompletePending for a recovered create, or here.
	link, err := s.recordPush(ctx, r, link)
	if err != nil {
		return err
	}
	start := s.clock.Now()
	t, err := s.conn.Update(ctx, Ticket{ID: link.TicketID, Key: link.TicketKey, URL: link.URL}, r.req)
	ev := s.event(c.ID, OpUpdate, start)
	ev.TicketID = link.TicketID
	if err != nil {
		outcome := OutcomeFailure
		if outcomeUnknown(err) {
			outcome = OutcomeUnknown
		}
		s.emit(ctx, ev, outcome, "", err)
		if ticketGone(err) {
			return &TicketGoneError{CaseID: c.ID, TicketID: link.TicketID, Err: err}
		}
		return fmt.Errorf("itsm: sync case %q: update ticket %s: %w", c.ID, link.TicketID, err)
	}
	s.emit(ctx, ev, OutcomeSuccess, "", nil)
	r.res.Updated = true
	next := link
	s.adoptTarget(&next)
	if t.Key != "" {
		next.TicketKey = t.Key
	}
	if t.URL != "" {
		next.URL = t.URL
	}
	if c.Status != "" {
		next.Closed = c.Status.IsTerminal()
	}
	r.res.TicketKey, r.res.URL = next.TicketKey, next.URL
	if next == link {
		return nil
	}
	next.UpdatedAt = s.clock.Now()
	// Stored by end, with the lease release (even when a later step fails).
	r.endLink = &next
	return nil
}

// ticketGone reports whether an update failed because the ticket does not
// exist: an HTTP 404 from the update request itself.
func ticketGone(err error) bool {
	return errors.Is(err, ErrTicketNotFound)
}

// noteHash is the SHA-256 (hex) of a note's text as the SIEM holds it.
func noteHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// refusedForGood reports whether an ITSM status refuses a request whatever
// the number of tries: a 4xx other than 401 and 403 (credentials), 404 (the
// ticket may be gone), 408 (timeout), 409 (a conflict that may clear) and
// 429 (rate limit).
func refusedForGood(code int) bool {
	switch code {
	case 401, 403, 404, 408, 409, 429:
		return false
	}
	return code >= 400 && code < 500
}

// outcomeUnknown reports whether err leaves the ITSM's outcome open: the
// connector says so, or the call was cut by the context after it may have
// been sent.
func outcomeUnknown(err error) bool {
	return errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// event starts an audit event for an operation.
func (s *Syncer) event(caseID string, op Operation, start time.Time) AuditEvent {
	return AuditEvent{
		Time:          start,
		IntegrationID: s.integrationID,
		CaseID:        caseID,
		Operation:     string(op),
		Duration:      s.clock.Now().Sub(start),
	}
}

// emit completes and records an audit event, and logs failures.
func (s *Syncer) emit(ctx context.Context, ev AuditEvent, outcome Outcome, reason string, err error) {
	ev.Outcome = outcome
	ev.Reason = reason
	if err != nil {
		ev.Error = clip.Bytes(err.Error(), 512)
		ev.StatusCode = statusCodeOf(err)
	}
	s.env.Record(ctx, ev)
	if outcome == OutcomeFailure || outcome == OutcomeUnknown {
		s.log.WarnContext(ctx, "itsm: "+ev.Operation+" "+string(outcome),
			"integration_id", ev.IntegrationID, "case_id", ev.CaseID, "ticket_id", ev.TicketID,
			"note_id", ev.NoteID, "status_code", ev.StatusCode, "duration", ev.Duration, "error", ev.Error)
	}
}

// finishSync records the sync's audit event and log line.
func (s *Syncer) finishSync(ctx context.Context, res *Result, reason string, err error, start time.Time) {
	if s.registry != nil {
		rctx, cancel := recordContext(ctx)
		if _, rerr := s.registry.Record(rctx, s.integrationID, err); rerr != nil {
			s.log.WarnContext(ctx, "itsm: integration status not recorded", "integration_id", s.integrationID, "error", rerr.Error())
		}
		cancel()
	}
	ev := s.event(res.CaseID, "sync", start)
	ev.TicketID = res.TicketID
	outcome := OutcomeSuccess
	switch {
	case err == nil:
	case errors.Is(err, ErrCoolingDown) || errors.Is(err, ErrInProgress):
		outcome = OutcomeSkipped
	default:
		outcome = OutcomeFailure
		var ue *OutcomeUnknownError
		if errors.As(err, &ue) {
			outcome = OutcomeUnknown
		}
	}
	if err != nil {
		var ce *CooldownError
		var ie *InProgressError
		var ne *NeedsAttentionError
		switch {
		case errors.As(err, &ce):
			reason = "cooling down"
		case errors.As(err, &ie):
			reason = "in progress"
		case errors.As(err, &ne):
			reason = "needs attention"
		case errors.Is(err, ErrTargetChanged):
			reason = "target changed"
		case errors.Is(err, ErrStore):
			reason = "store: " + reason
		}
	}
	ev.Outcome = outcome
	ev.Reason = reason
	if err != nil {
		ev.Error = clip.Bytes(err.Error(), 512)
		ev.StatusCode = statusCodeOf(err)
	}
	s.env.Record(ctx, ev)
	switch outcome {
	case OutcomeSuccess:
		s.log.InfoContext(ctx, "itsm: case synced", "integration_id", s.integrationID, "case_id", res.CaseID,
			"ticket_id", res.TicketID, "created", res.Created, "recovered", res.Recovered,
			"notes_posted", res.NotesPosted, "notes_failed", len(res.NotesFailed), "duration", ev.Duration)
	case OutcomeSkipped:
		s.log.DebugContext(ctx, "itsm: sync refused", "integration_id", s.integrationID, "case_id", res.CaseID, "reason", reason)
	default:
		s.log.WarnContext(ctx, "itsm: sync failed", "integration_id", s.integrationID, "case_id", res.CaseID,
			"ticket_id", res.TicketID, "reason", reason, "error", ev.Error)
	}
}

// newSyncID returns prefix and 16 random hex digits.
func newSyncID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + hex.EncodeToString(b[:])
}
