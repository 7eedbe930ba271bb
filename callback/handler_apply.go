package callback

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/statusmap"
)

// Defaults of [ApplierConfig] and [HandlerConfig]: what a zero field means.
const (
	// DefaultDedupTTL is how long a delivery id is remembered: longer than
	// any sender retries (Jira retries for hours, SysAid for minutes).
	DefaultDedupTTL = 72 * time.Hour
	// DefaultEchoWindow is how long after this SDK pushed a status an
	// inbound change to that same status counts as its echo.
	DefaultEchoWindow = 5 * time.Minute
	// DefaultApplyTimeout bounds one delivery's store and updater calls, so
	// the handler answers within the sender's timeout (SysAid: 10 s).
	DefaultApplyTimeout = 8 * time.Second
	// DefaultMaxBodyBytes caps a delivery's body (1 MiB).
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxEvents caps the events of one delivery.
	DefaultMaxEvents = 100
	// DefaultReadTimeout bounds the reading of a delivery's body by the
	// handler (ReadTimeout): senders post at most a few hundred KiB and
	// give up after about 10 s (SysAid) themselves.
	DefaultReadTimeout = 10 * time.Second
)

// TicketChange is what the host applies to a case: the mapped result of one
// inbound [Event].
type TicketChange struct {
	IntegrationID string
	// CaseID is the linked case.
	CaseID    string
	TicketID  string
	TicketKey string
	// Kind is what happened to the ticket.
	Kind EventKind
	// Status is the case status to set, mapped through the status map; ""
	// when this change does not set the status (a comment, a priority
	// change, an unmapped status, a deletion without DeletedStatus).
	Status itsm.Status
	// ITSMStatus is the ITSM label the status was mapped from.
	ITSMStatus string
	// Severity is the case severity mapped from ITSMPriority through the
	// priority map; "" when unmapped or no priority map is configured.
	Severity     itsm.Severity
	ITSMPriority string
	// Comment is set for comment events (when comments are enabled).
	Comment *Comment
	// EventID and DeliveryID identify the delivery, for the host's logs.
	EventID    string
	DeliveryID string
	OccurredAt time.Time
	Version    int64
}

// CaseUpdater is implemented by the host: it applies an inbound change to
// its case. It returns nil only once the change is durably applied; an error
// makes the handler answer 5xx so the sender retries. It must be idempotent
// for the same change (a retry after a timeout may repeat it), and safe for
// concurrent use (for different tickets; the applier serializes changes of
// one ticket within a process).
type CaseUpdater interface {
	ApplyTicketChange(ctx context.Context, c TicketChange) error
}

// CaseUpdaterFunc adapts a function to [CaseUpdater].
type CaseUpdaterFunc func(ctx context.Context, c TicketChange) error

// ApplyTicketChange calls f.
func (f CaseUpdaterFunc) ApplyTicketChange(ctx context.Context, c TicketChange) error {
	return f(ctx, c)
}

// CaseMapper maps an ITSM label (and its category) to a case value: the
// inbound direction, the opposite of itsm.StatusMapper. Both *statusmap.Map
// and *statusmap.Compiled implement it; it must be safe for concurrent use.
type CaseMapper interface {
	ToCase(label, category string) (statusmap.Result, error)
}

// UnlinkedTicket describes an event about a ticket no case is linked to.
type UnlinkedTicket struct {
	IntegrationID string
	TicketID      string
	TicketKey     string
	Kind          EventKind
	EventID       string
	DeliveryID    string
}

// ApplierConfig configures an [Applier]: everything that turns events into
// case changes. The zero value of every optional field is its default; a
// duration that can be turned off is turned off by a negative value,
// spelled itsm.Off. The clock, logger and audit sink are not settings: they
// are the constructor's options.
type ApplierConfig struct {
	// IntegrationID scopes links, claims and ordering state. Required.
	IntegrationID string `json:"integration_id"`
	// Store holds links, claims and ordering state. Required.
	Store InboundStore `json:"-"`
	// StatusMap maps ITSM statuses to case statuses. Required (e.g. a
	// *statusmap.Compiled of statusmap.JiraStatuses()).
	StatusMap CaseMapper `json:"-"`
	// PriorityMap maps ITSM priorities to case severities; nil leaves
	// TicketChange.Severity empty.
	PriorityMap CaseMapper `json:"-"`
	// Updater applies changes to cases. Required.
	Updater CaseUpdater `json:"-"`
	// DedupTTL is how long a delivery id is remembered: 0 means
	// [DefaultDedupTTL]. Dedup cannot be turned off (a negative value is
	// invalid): without it a retried delivery would post its comment twice.
	DedupTTL time.Duration `json:"dedup_ttl,omitempty"`
	// EchoWindow is how long after LastPushedAt an inbound change to the
	// status this SDK pushed is taken for its echo: 0 means
	// [DefaultEchoWindow]; a negative value (itsm.Off) turns echo
	// suppression off, here and in the [Reconciler].
	EchoWindow time.Duration `json:"echo_window,omitempty"`
	// DeletedStatus is the case status a ticket deletion sets ("" leaves
	// the status alone; the updater still gets the deletion).
	DeletedStatus itsm.Status `json:"deleted_status,omitempty"`
	// Comments passes comment events to the updater; false (the default)
	// acknowledges them as ignored.
	Comments bool `json:"comments,omitempty"`
	// ApplyCreated passes created events to the updater. A linked ticket
	// was created from its case by this SDK (or found by its correlation
	// key), so its "created" webhook only echoes that create, and applying
	// its initial status ("To Do" → open) could move a case back that has
	// progressed since: false (the default) acknowledges created events as
	// ignored ("ticket creation").
	ApplyCreated bool `json:"apply_created,omitempty"`
	// ApplyTimeout bounds the store and updater work of one delivery (and
	// of one polled ticket): 0 means [DefaultApplyTimeout]. It cannot be
	// turned off (a negative value is invalid): senders give up after
	// seconds.
	ApplyTimeout time.Duration `json:"apply_timeout,omitempty"`
	// OnUnlinked, when set, is called (synchronously, keep it short) for an
	// event about a ticket no case is linked to; the event is acknowledged
	// and audited as ignored either way.
	OnUnlinked func(ctx context.Context, t UnlinkedTicket) `json:"-"`
	// Target is the ticket space the integration writes into now: set it to
	// the Target() of its connector (itsm.Targeter), and keep it in step
	// when the integration is edited. "" matches every link: an event about
	// ticket id 100 of the new ITSM then updates the case linked to ticket
	// 100 of the old one.
	// When set, events are matched only against links of that target and
	// links with no target (made before targets were recorded): a link
	// made in another target — a ticket of the ITSM the integration pointed
	// at before it was edited, whose id the current ITSM may use for
	// another ticket — is never touched; such an event is acknowledged and
	// audited as ignored, with a reason naming the link's target. A store
	// that implements GetLinkByTicketInTarget (memstore and sqlstore do)
	// finds the current target's link even when a link of another target
	// names the same ticket id.
	Target string `json:"target,omitempty"`
}

// Validate reports every problem of the configuration at once: an error
// holding an *itsm.ValidationError (errors.As) that matches
// itsm.ErrInvalidConfig.
func (c ApplierConfig) Validate() error {
	return c.problems().err("applier configuration", false)
}

func (c ApplierConfig) problems() fieldErrors {
	var p fieldErrors
	if strings.TrimSpace(c.IntegrationID) == "" {
		p.add("integration_id", "is required")
	}
	if c.Store == nil {
		p.add("store", "is required")
	}
	if c.StatusMap == nil {
		p.add("status_map", "is required")
	}
	if c.Updater == nil {
		p.add("updater", "is required")
	}
	if c.DedupTTL < 0 {
		p.add("dedup_ttl", "cannot be turned off")
	}
	if c.ApplyTimeout < 0 {
		p.add("apply_timeout", "cannot be turned off")
	}
	return p
}

// Applier applies inbound events to cases with the inbound rules: dedup by
// delivery or event id, ordering per ticket (an event older than the last
// applied one is stale), ticket → case through the links, status through the
// status map, echo suppression, and the host's [CaseUpdater]. The [Handler]
// uses one; a reconciler uses one directly with the events it builds from
// GETs, so both follow the same rules. Safe for concurrent use.
type Applier struct {
	cfg   ApplierConfig
	env   itsm.Options
	seed  maphash.Seed
	locks [64]sync.Mutex
}

// NewApplier validates cfg, fills in defaults and returns the applier. Of
// opts it uses the clock (receive times, echo windows, claim expiry), the
// logger (failures at Warn, outcomes at Debug; never a body, a secret or a
// comment's text) and the audit sink (one itsm.AuditEvent per event, with
// Operation "inbound").
func NewApplier(cfg ApplierConfig, opts ...itsm.Option) (*Applier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.DedupTTL == 0 {
		cfg.DedupTTL = DefaultDedupTTL
	}
	if cfg.EchoWindow == 0 {
		cfg.EchoWindow = DefaultEchoWindow
	}
	if cfg.ApplyTimeout == 0 {
		cfg.ApplyTimeout = DefaultApplyTimeout
	}
	return &Applier{cfg: cfg, env: itsm.NewOptions(opts...), seed: maphash.MakeSeed()}, nil
}

// Result is the outcome of one event.
type Result struct {
	// Outcome: OutcomeSuccess (applied), OutcomeDuplicate, OutcomeStale,
	// OutcomeIgnored (with Reason), or OutcomeFailure (with Err).
	Outcome itsm.Outcome
	// Reason says why an event was ignored (e.g. "ticket not linked",
	// "echo of a pushed status", "unmapped status").
	Reason string
	// CaseID is the linked case, when found.
	CaseID   string
	TicketID string
	// ClaimID is the dedup key claimed for the event ("" when none).
	ClaimID string
	Err     error
}

// Report is the outcome of a delivery.
type Report struct {
	Results []Result
	// Counts by outcome.
	Applied, Duplicate, Stale, Ignored int
}

func (r *Report) add(res Result) {
	r.Results = append(r.Results, res)
	switch res.Outcome {
	case itsm.OutcomeSuccess:
		r.Applied++
	case itsm.OutcomeDuplicate:
		r.Duplicate++
	case itsm.OutcomeStale:
		r.Stale++
	case itsm.OutcomeIgnored:
		r.Ignored++
	}
}

// Apply applies events in order. deliveryID is the delivery's id, "" when
// none: an event is deduplicated by deliveryID (suffixed "#<index>" when
// the delivery carries several events), else by its EventID, else not at
// all (ordering still protects its status). deliveryID must be something
// the caller authenticated: an id a signature covers, or a digest of the
// authenticated content. An id a replay can change (an unsigned header)
// lets a captured delivery be applied once per id; the [Handler] never
// passes one (it deduplicates by the signed id or a digest of the signed
// body). Per event:
//
//  1. claim the dedup key: taken already → duplicate, nothing done;
//  2. find the link by TicketID, then TicketKey: none → ignored ("ticket not
//     linked"), reported to OnUnlinked; an event with PreviousTicketKey (the
//     ticket's key changed) moves the link found by TicketID to TicketKey
//     (and its URL) when the link still holds PreviousTicketKey, through
//     the store's PutLink ("ticket key changed" when nothing else applies);
//     a created event is ignored ("ticket creation") unless ApplyCreated is
//     set;
//  3. ordering: an event not newer than the ticket's last applied status
//     change (higher Version when both have one, else later OccurredAt;
//     events without a time take the receive time) is stale, and its
//     claim is released. Comments are not ordered (each is new);
//  4. map the status (and priority); an unmapped status with nothing else
//     to apply is ignored ("unmapped status"), an event without status,
//     priority, comment or deletion is ignored ("no change");
//  5. echo suppression: a status equal to Link.LastPushedStatus (or mapping
//     to the same case status) within EchoWindow of LastPushedAt is ignored
//     ("echo of a pushed status"); a comment whose id is a note this SDK
//     posted is ignored too; a comment already applied (same ticket,
//     comment id and Comment.Edited, from another delivery: Jira sends one
//     comment in comment_created and inside jira:issue_updated) is a
//     duplicate;
//  6. the updater applies the change; only then is the ticket's ordering
//     state advanced (AdvanceInboundState).
//
// A claim is kept only for an event that was applied or deliberately
// ignored: a stale event's claim is released (a stale replay under an id
// cannot make a later genuine event with that id a duplicate), and so is a
// failed event's. When the updater or the store fails, Apply stops: the
// error wraps [ErrNotApplied] (and itsm.ErrStore for store failures), and
// the report holds the events handled before. Events already applied keep
// their claims, so the sender's retry skips them as duplicates.
//
// Within a process, the check-apply-advance of one ticket is serialized. Two
// replicas handling deliveries of one ticket at the same moment may both
// pass the ordering check and apply in the wrong order; AdvanceInboundState
// still keeps the newest state, and the reconciler repairs the case. This
// residual race needs two deliveries of one ticket within milliseconds on
// two replicas.
func (a *Applier) Apply(ctx context.Context, deliveryID string, events []Event) (Report, error) {
	return a.apply(ctx, deliveryID, deliveryID, events)
}

// apply is Apply with the dedup key (claimBase) apart from the delivery id
// reported to the updater and the audit.
func (a *Applier) apply(ctx context.Context, claimBase, deliveryID string, events []Event) (Report, error) {
	var rep Report
	rep.Results = make([]Result, 0, len(events))
	ctx, cancel := withLazyTimeout(ctx, a.cfg.ApplyTimeout)
	defer cancel()
	now := a.env.Clock.Now()
	for i := range events {
		claim := ""
		switch {
		case claimBase != "" && len(events) > 1:
			claim = claimBase + "#" + strconv.Itoa(i)
		case claimBase != "":
			claim = claimBase
		case events[i].EventID != "":
			claim = "event:" + events[i].EventID
		}
		res := a.applyOne(ctx, now, claim, deliveryID, events[i])
		a.audit(ctx, now, deliveryID, events[i], res)
		rep.add(res)
		if res.Outcome == itsm.OutcomeFailure {
			return rep, res.Err
		}
	}
	return rep, nil
}

func (a *Applier) applyOne(ctx context.Context, now time.Time, claim, deliveryID string, ev Event) Result {
	res := Result{TicketID: ev.TicketID, ClaimID: claim}
	if res.TicketID == "" {
		res.TicketID = ev.TicketKey
	}
	if err := ev.Validate(); err != nil {
		res.Outcome, res.Reason = itsm.OutcomeIgnored, "invalid event"
		return res
	}
	st := a.cfg.Store
	if claim != "" {
		ok, err := st.ClaimDelivery(ctx, a.cfg.IntegrationID, claim, now, a.cfg.DedupTTL)
		if err != nil {
			res.ClaimID = ""
			return a.fail(res, "claim delivery", err, true)
		}
		if !ok {
			res.Outcome = itsm.OutcomeDuplicate
			return res
		}
	}
	link, err := a.lookup(ctx, ev)
	switch {
	case errors.Is(err, itsm.ErrNotFound):
		if a.cfg.OnUnlinked != nil {
			a.cfg.OnUnlinked(ctx, UnlinkedTicket{
				IntegrationID: a.cfg.IntegrationID, TicketID: ev.TicketID, TicketKey: ev.TicketKey,
				Kind: ev.Kind, EventID: ev.EventID, DeliveryID: deliveryID,
			})
		}
		res.Outcome, res.Reason = itsm.OutcomeIgnored, "ticket not linked"
		return res
	case err != nil:
		return a.release(ctx, a.fail(res, "get link", err, true))
	}
	if a.otherTarget(link) {
		res.Outcome, res.Reason = itsm.OutcomeIgnored, "ticket linked in another target ("+link.Target+")"
		return res
	}
	res.CaseID = link.CaseID
	rekeyed, err := a.rekey(ctx, &link, ev)
	if err != nil {
		return a.release(ctx, a.fail(res, "update link key", err, true))
	}
	if ev.Kind == EventCreated && !a.cfg.ApplyCreated {
		res.Outcome, res.Reason = itsm.OutcomeIgnored, "ticket creation"
		return res
	}
	// The ordering state is kept under the link's ticket id, whichever of
	// id and key the event named.
	ticketID := link.TicketID
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = now
	}

	mu := &a.locks[maphash.String(a.seed, a.cfg.IntegrationID+"\x00"+ticketID)%uint64(len(a.locks))]
	mu.Lock()
	defer mu.Unlock()

	incoming := itsm.InboundState{
		IntegrationID: a.cfg.IntegrationID, TicketID: ticketID,
		Version: ev.Version, OccurredAt: ev.OccurredAt, Status: ev.Status, UpdatedAt: now,
	}
	if ev.Kind != EventComment {
		cur, err := st.GetInboundState(ctx, a.cfg.IntegrationID, ticketID)
		switch {
		case err == nil:
			if !incoming.NewerThan(cur) {
				// Not applied: the claim is not kept, so a stale copy sent
				// under an id cannot turn a later event with that id into
				// a duplicate.
				res.Outcome = itsm.OutcomeStale
				return a.release(ctx, res)
			}
		case !errors.Is(err, itsm.ErrNotFound):
			return a.release(ctx, a.fail(res, "get inbound state", err, true))
		}
	}

	change := TicketChange{
		IntegrationID: a.cfg.IntegrationID, CaseID: link.CaseID, TicketID: link.TicketID, TicketKey: link.TicketKey,
		Kind: ev.Kind, ITSMStatus: ev.Status, ITSMPriority: ev.Priority,
		EventID: ev.EventID, DeliveryID: deliveryID, OccurredAt: ev.OccurredAt, Version: ev.Version,
	}
	if change.TicketKey == "" {
		change.TicketKey = ev.TicketKey
	}
	statusReason := ""
	if ev.Status != "" && ev.Kind != EventDeleted && ev.Kind != EventComment {
		s, reason := a.mapStatus(ev.Status, ev.StatusCategory)
		if reason == "" && a.echo(link, ev, s) {
			// The ITSM is in the state we pushed: remember it as applied so
			// older deliveries stay stale, but change nothing.
			if _, err := st.AdvanceInboundState(ctx, incoming); err != nil {
				return a.release(ctx, a.fail(res, "advance inbound state", err, true))
			}
			res.Outcome, res.Reason = itsm.OutcomeIgnored, "echo of a pushed status"
			return res
		}
		change.Status, statusReason = s, reason
	}
	if ev.Kind == EventDeleted {
		change.Status = a.cfg.DeletedStatus
	}
	if ev.Priority != "" && a.cfg.PriorityMap != nil {
		if r, err := a.cfg.PriorityMap.ToCase(ev.Priority, ""); err == nil && !r.Ignored && r.Value != "" {
			change.Severity = toSeverity(r.Value)
		}
	}
	if ev.Kind == EventComment {
		switch {
		case !a.cfg.Comments:
			res.Outcome, res.Reason = itsm.OutcomeIgnored, "comments disabled"
			return res
		case a.ownComment(ctx, link, ev.Comment):
			res.Outcome, res.Reason = itsm.OutcomeIgnored, "echo of a posted note"
			return res
		}
		c := *ev.Comment
		change.Comment = &c
		// One comment may arrive in several deliveries (Jira sends it in
		// comment_created and inside jira:issue_updated): apply it once.
		if key := commentClaim(link.TicketID, c); key != "" {
			ok, err := st.ClaimDelivery(ctx, a.cfg.IntegrationID, key, now, a.cfg.DedupTTL)
			if err != nil {
				return a.release(ctx, a.fail(res, "claim comment", err, true))
			}
			if !ok {
				res.Outcome = itsm.OutcomeDuplicate
				return res
			}
			if err := a.cfg.Updater.ApplyTicketChange(ctx, change); err != nil {
				a.release(ctx, Result{ClaimID: key, TicketID: res.TicketID})
				return a.release(ctx, a.fail(res, "apply", err, false))
			}
			res.Outcome = itsm.OutcomeSuccess
			return res
		}
	}
	if ev.Kind != EventDeleted && ev.Kind != EventComment && change.Status == "" && change.Severity == "" {
		res.Outcome, res.Reason = itsm.OutcomeIgnored, "no change"
		if statusReason != "" {
			res.Reason = statusReason
		}
		if rekeyed {
			res.Outcome, res.Reason = itsm.OutcomeSuccess, "ticket key changed"
		}
		return res
	}

	if err := a.cfg.Updater.ApplyTicketChange(ctx, change); err != nil {
		return a.release(ctx, a.fail(res, "apply", err, false))
	}
	if ev.Kind != EventComment && change.Status != "" {
		// Only status changes move the ordering state: a later priority
		// edit must not make an earlier, delayed status change stale.
		if _, err := st.AdvanceInboundState(ctx, incoming); err != nil {
			// Applied but not recorded: the retry re-applies the same
			// change, which the updater handles idempotently.
			return a.release(ctx, a.fail(res, "advance inbound state", err, true))
		}
	}
	res.Outcome = itsm.OutcomeSuccess
	return res
}

// commentClaim is the dedup key of a comment across deliveries: the
// ticket, the comment id and, for an edit, the edit's time; "" when the
// comment has no id.
func commentClaim(ticketID string, c Comment) string {
	if c.ID == "" {
		return ""
	}
	key := "comment:" + ticketID + ":" + c.ID
	if !c.Edited.IsZero() {
		key += ":edited:" + strconv.FormatInt(c.Edited.UnixMilli(), 10)
	}
	return key
}

// rekey follows a ticket whose key changed (ev.PreviousTicketKey set): the
// link found by the stable TicketID gets TicketKey, and its URL when the URL
// ends with the old key. It changes nothing unless the link still holds the
// previous key (or none), so a delayed older move cannot undo a newer one.
// The link is read again just before it is written, keeping what a
// concurrent sync stored meanwhile. It reports whether it changed the link.
func (a *Applier) rekey(ctx context.Context, link *itsm.Link, ev Event) (bool, error) {
	if ev.PreviousTicketKey == "" || ev.TicketKey == "" || ev.TicketID == "" || link.TicketID != ev.TicketID {
		return false, nil
	}
	fresh, err := a.cfg.Store.GetLink(ctx, a.cfg.IntegrationID, link.CaseID)
	if err != nil {
		return false, err
	}
	if fresh.TicketID != ev.TicketID || fresh.TicketKey == ev.TicketKey ||
		(fresh.TicketKey != "" && fresh.TicketKey != ev.PreviousTicketKey) {
		return false, nil
	}
	old := fresh.TicketKey
	if old == "" {
		old = ev.PreviousTicketKey
	}
	if strings.HasSuffix(fresh.URL, "/"+old) {
		fresh.URL = strings.TrimSuffix(fresh.URL, old) + ev.TicketKey
	}
	fresh.TicketKey = ev.TicketKey
	if err := a.cfg.Store.PutLink(ctx, fresh); err != nil {
		return false, err
	}
	*link = fresh
	return true, nil
}

func (a *Applier) lookup(ctx context.Context, ev Event) (itsm.Link, error) {
	if l, ok, err := a.lookupInTarget(ctx, ev); ok {
		return l, err
	}
	err := error(itsm.ErrNotFound)
	for _, id := range [2]string{ev.TicketID, ev.TicketKey} {
		if id == "" {
			continue
		}
		var l itsm.Link
		l, err = a.cfg.Store.GetLinkByTicket(ctx, a.cfg.IntegrationID, id)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, itsm.ErrNotFound) {
			return itsm.Link{}, err
		}
	}
	return itsm.Link{}, err
}

// mapStatus maps an ITSM status; a non-empty reason means "not mapped".
func (a *Applier) mapStatus(label, category string) (itsm.Status, string) {
	r, err := a.cfg.StatusMap.ToCase(label, category)
	if err != nil || r.Ignored || r.Value == "" {
		return "", "unmapped status"
	}
	if s := itsm.Status(r.Value); s.Valid() {
		return s, ""
	}
	if s, err := itsm.ParseStatus(r.Value); err == nil {
		return s, ""
	}
	return itsm.Status(r.Value), "" // a host-specific status passes through
}

func toSeverity(v string) itsm.Severity {
	if s := itsm.Severity(v); s.Valid() {
		return s
	}
	if s, err := itsm.ParseSeverity(v); err == nil {
		return s
	}
	return itsm.Severity(v)
}

// echo reports whether a status change only reflects what this SDK pushed:
// the same label as Link.LastPushedStatus (or a label mapping to the same
// case status), happening within EchoWindow of LastPushedAt.
func (a *Applier) echo(l itsm.Link, ev Event, mapped itsm.Status) bool {
	if a.cfg.EchoWindow < 0 || l.LastPushedStatus == "" || l.LastPushedAt.IsZero() {
		return false
	}
	d := ev.OccurredAt.Sub(l.LastPushedAt)
	if d < 0 {
		d = -d
	}
	if d > a.cfg.EchoWindow {
		return false
	}
	if statusmap.Normalize(ev.Status) == statusmap.Normalize(l.LastPushedStatus) {
		return true
	}
	pushed, reason := a.mapStatus(l.LastPushedStatus, "")
	return reason == "" && pushed == mapped
}

// ownComment reports whether c is a note this SDK posted on the case (by
// comment id), when the store records posted notes.
func (a *Applier) ownComment(ctx context.Context, l itsm.Link, c *Comment) bool {
	ns, ok := a.cfg.Store.(postedNotes)
	if !ok || c == nil || c.ID == "" {
		return false
	}
	notes, err := ns.PostedNotes(ctx, a.cfg.IntegrationID, l.CaseID)
	if err != nil {
		return false
	}
	for _, n := range notes {
		if n.CommentID == c.ID {
			return true
		}
	}
	return false
}

func (a *Applier) fail(res Result, op string, err error, store bool) Result {
	res.Outcome = itsm.OutcomeFailure
	if store {
		res.Err = storeFailure(ErrNotApplied.Error()+": "+op, err, ErrNotApplied)
	} else {
		res.Err = fmt.Errorf("%w: %s case %q: %w", ErrNotApplied, op, res.CaseID, err)
	}
	res.Reason = op + " failed"
	return res
}

// release forgets the claim of a failed event so the retry is accepted.
func (a *Applier) release(ctx context.Context, res Result) Result {
	if res.ClaimID == "" {
		return res
	}
	// A fresh context: the delivery's may be what failed.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := a.cfg.Store.ReleaseDelivery(rctx, a.cfg.IntegrationID, res.ClaimID); err != nil {
		a.env.Logger.WarnContext(ctx, "callback: release delivery claim failed; the retry will be taken for a duplicate until the claim expires",
			"integration_id", a.cfg.IntegrationID, "ticket_id", res.TicketID, "error", safeErrorText(err))
	}
	return res
}

func (a *Applier) audit(ctx context.Context, now time.Time, deliveryID string, ev Event, res Result) {
	lvl := slog.LevelDebug
	if res.Outcome == itsm.OutcomeFailure {
		lvl = slog.LevelWarn
	}
	if l := a.env.Logger; l.Enabled(ctx, lvl) {
		attrs := []any{"integration_id", a.cfg.IntegrationID, "ticket_id", res.TicketID, "case_id", res.CaseID,
			"delivery_id", deliveryID, "kind", string(ev.Kind), "outcome", string(res.Outcome), "reason", res.Reason}
		if res.Err != nil {
			attrs = append(attrs, "error", safeErrorText(res.Err))
		}
		l.Log(ctx, lvl, "callback: inbound event", attrs...)
	}
	if a.env.Audit == nil {
		return
	}
	e := itsm.AuditEvent{
		Time: now, IntegrationID: a.cfg.IntegrationID, CaseID: res.CaseID, TicketID: res.TicketID,
		DeliveryID: deliveryID, Operation: "inbound", Outcome: res.Outcome, Reason: res.Reason,
		Duration: a.env.Clock.Now().Sub(now),
	}
	if e.DeliveryID == "" {
		e.DeliveryID = ev.EventID
	}
	if res.Err != nil {
		e.Error = safeErrorText(res.Err)
	}
	a.env.Audit.Record(ctx, e)
}

// lazyTimeout is context.WithTimeout(parent, d) without its timer until
// someone waits: Deadline and Err answer from the clock, and the first Done
// call makes the real timed context (which Err then follows). The store and
// updater calls of a delivery usually never wait on Done (memstore does
// not), so most deliveries skip the timer's setup and teardown; a caller
// that selects on Done gets the same behaviour as with WithTimeout.
type lazyTimeout struct {
	parent   context.Context
	deadline time.Time
	mu       sync.Mutex
	real     context.Context // the timed context, once Done was called
	cancel   context.CancelFunc
	canceled bool
}

// withLazyTimeout is context.WithTimeout(parent, d), its timer made only
// when Done is called.
func withLazyTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(d)
	if pd, ok := parent.Deadline(); ok && pd.Before(deadline) {
		deadline = pd
	}
	c := &lazyTimeout{parent: parent, deadline: deadline}
	return c, c.stop
}

func (c *lazyTimeout) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *lazyTimeout) Value(key any) any { return c.parent.Value(key) }

func (c *lazyTimeout) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real == nil {
		c.real, c.cancel = context.WithDeadline(c.parent, c.deadline)
		if c.canceled {
			c.cancel()
		}
	}
	return c.real.Done()
}

func (c *lazyTimeout) Err() error {
	c.mu.Lock()
	real, canceled := c.real, c.canceled
	c.mu.Unlock()
	switch {
	case real != nil:
		return real.Err()
	case canceled:
		return context.Canceled
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *lazyTimeout) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled {
		return
	}
	c.canceled = true
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *lazyTimeout) String() string { return "callback.lazyTimeout" }
