package callback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/statusmap"
)

// Defaults of [ReconcilerConfig]: what a zero field means.
const (
	// DefaultReconcileInterval is the pause between two passes of
	// [Reconciler.Run].
	DefaultReconcileInterval = 5 * time.Minute
	// DefaultReconcileConcurrency is how many tickets are read at once.
	DefaultReconcileConcurrency = 4
	// DefaultReconcileRate is how many GETs per second a pass sends at
	// most, and DefaultReconcileBurst how many it may send at once: gentle
	// enough for ITSM API quotas (Jira Cloud, ServiceNow) while webhooks do
	// the real-time work.
	DefaultReconcileRate  = 2.0
	DefaultReconcileBurst = 1
	// DefaultReconcilePageSize is how many links a pass reads from the
	// store at a time.
	DefaultReconcilePageSize = 100
)

// TicketGetter reads a ticket back from the ITSM. Every itsm.Connector (the
// HTTP connector and every provider connector) implements it; the returned
// Ticket's Status (and StatusCategory, when the ITSM has one) is what the
// reconciler applies.
type TicketGetter interface {
	Get(ctx context.Context, t itsm.Ticket) (itsm.Ticket, error)
}

// ReconcilerConfig configures a [Reconciler]. The zero value of every
// optional field is its default; a duration that can be turned off is
// turned off by a negative value, spelled itsm.Off. The clock, logger and
// audit sink are not settings: they are options of [NewReconciler].
type ReconcilerConfig struct {
	// Applier applies what a poll finds. Required. Use the inbound
	// handler's ([Handler.Applier]) so that polls and webhooks of one
	// ticket are serialized by the same locks and follow the same
	// configuration (status map, echo window, updater). Its integration id
	// and store are the reconciler's.
	Applier *Applier `json:"-"`
	// Connector reads the tickets (its Get). Required. Links of another
	// target than the one it reads are never polled: the target is the
	// applier's ApplierConfig.Target, or else, when the connector
	// implements itsm.Targeter (httpconn's and the providers' do), its own.
	Connector TicketGetter `json:"-"`
	// Interval is the pause between passes of Run: 0 means
	// [DefaultReconcileInterval]; a negative value (itsm.Off) turns the
	// periodic passes off — Run then polls nothing and only waits for its
	// context to end, while RunOnce still runs a pass on demand (from the
	// host's own scheduler).
	Interval time.Duration `json:"interval,omitempty"`
	// Concurrency is how many tickets a pass reads at once (0 means
	// [DefaultReconcileConcurrency]; negative is invalid).
	Concurrency int `json:"concurrency,omitempty"`
	// RatePerSecond caps the GETs per second across the whole pass, and
	// Burst how many may start at once (0 means [DefaultReconcileRate],
	// [DefaultReconcileBurst]; the limit cannot be turned off: negative is
	// invalid). The limiter lives as long as the Reconciler, so
	// back-to-back passes share it.
	RatePerSecond float64 `json:"rate_per_second,omitempty"`
	Burst         int     `json:"burst,omitempty"`
	// PageSize is how many links are read from the store at a time (0
	// means [DefaultReconcilePageSize]; negative is invalid).
	PageSize int `json:"page_size,omitempty"`
	// KeepTerminalOpen keeps polling tickets that reached a terminal case
	// status. By default (false) a link whose ticket maps to resolved or
	// closed, once the case reflects it, is marked Closed so later passes
	// skip it — the same rule the syncer applies on push (and a sync of a
	// reopened case clears it again).
	KeepTerminalOpen bool `json:"keep_terminal_open,omitempty"`
	// OnPass, when set, is called after every completed pass of Run with
	// its stats and error (for metrics), not for the pass that Run's
	// context interrupted; keep it short.
	OnPass func(ReconcileStats, error) `json:"-"`

	// Finder looks tickets up by correlation key for the orphan search
	// ([Reconciler.FindOrphans]); usually the integration's connector
	// (every provider connector, and the HTTP connector with a lookup,
	// implement itsm.Finder). Nil: no orphan search.
	Finder itsm.Finder `json:"-"`
	// OrphanStore keeps the orphans found. Default: the applier's store
	// when it implements itsm.OrphanStore (memstore and sqlstore do);
	// otherwise orphans are only returned, audited and logged.
	OrphanStore itsm.OrphanStore `json:"-"`
	// OrphanEvery makes Run search for orphans after every OrphanEvery-th
	// pass (1: after every pass). 0, the default, never does: the search
	// costs one lookup per open link, so it is opt-in (FindOrphans runs
	// one on demand). Requires Finder.
	OrphanEvery int `json:"orphan_every,omitempty"`
	// OrphanLookups bounds the lookups of one orphan search (0 means
	// [DefaultOrphanLookups]); the next search continues with the links
	// after the last one looked up, wrapping around, so every open link is
	// looked up once every ceil(open links / OrphanLookups) searches.
	// Lookups share the pass's rate limit.
	OrphanLookups int `json:"orphan_lookups,omitempty"`
}

// Validate reports every problem of the configuration at once: an error
// holding an *itsm.ValidationError (errors.As) that matches
// itsm.ErrInvalidConfig.
func (c ReconcilerConfig) Validate() error {
	var p fieldErrors
	if c.Applier == nil {
		p.add("applier", "is required")
	}
	if c.Connector == nil {
		p.add("connector", "is required")
	}
	if c.Concurrency < 0 {
		p.add("concurrency", "must not be negative")
	}
	if c.RatePerSecond < 0 {
		p.add("rate_per_second", "must not be negative")
	}
	if c.Burst < 0 {
		p.add("burst", "must not be negative")
	}
	if c.PageSize < 0 {
		p.add("page_size", "must not be negative")
	}
	if c.OrphanEvery < 0 {
		p.add("orphan_every", "must not be negative")
	} else if c.OrphanEvery > 0 && c.Finder == nil {
		p.add("orphan_every", "needs a finder (finder)")
	}
	if c.OrphanLookups < 0 {
		p.add("orphan_lookups", "must not be negative")
	}
	return p.err("reconciler configuration", false)
}

// ReconcileStats counts what one pass did. Checked = Applied + Unchanged +
// Ignored + Failed.
type ReconcileStats struct {
	// Checked is the number of open links polled.
	Checked int `json:"checked"`
	// Applied is the number of missed changes applied to cases.
	Applied int `json:"applied"`
	// Unchanged is the number of tickets with nothing missed: the status
	// last applied, the status this SDK pushed (an echo), or a newer change
	// already applied by a webhook while the ticket was being read.
	Unchanged int `json:"unchanged"`
	// Ignored is the number of tickets read but not applicable: no status
	// in the response, an unmapped status, a link deleted or closed since
	// it was listed.
	Ignored int `json:"ignored"`
	// Failed is the number of tickets whose read (the connector), store
	// access or update (the host's updater) failed; the pass goes on and
	// the next one retries them.
	Failed int `json:"failed"`
	// Closed is the number of links marked Closed by this pass (see
	// [ReconcilerConfig.KeepTerminalOpen]).
	Closed int `json:"closed"`
}

// Reconciler repairs what webhooks missed. Webhooks are best effort (SysAid
// says so; every ITSM drops some), so it periodically reads every linked,
// open ticket ([InboundStore].ListLinks with openOnly, page by page) through
// the connector's Get, and hands what it finds to the inbound [Applier] as a
// synthetic event: Kind [EventUpdated], the ticket's Status and
// StatusCategory, no version, no event id. The applier then runs its usual
// rules: link lookup, ordering, status map, echo suppression, the host's
// [CaseUpdater], the ordering state advanced. A poll is therefore applied
// exactly like a webhook carrying the same change would be.
//
// It lives beside the applier because the rules it must share are the
// applier's: it calls the applier directly and shares its per-ticket locks.
//
// # Ordering against webhooks
//
// A poll's event happens at the moment its GET was sent (the reconciler's
// clock), and at least just after the ticket's last applied change as read
// before that GET: what a GET returns is, by causality, at least as new as
// every change whose webhook was applied before it was sent. So:
//
//   - a missed change (the ticket's status differs from the last applied
//     one) is applied, and webhooks delayed or retried from before the poll
//     become stale afterwards — they describe an older state;
//   - a webhook applied while the GET was in flight, about a change after
//     the GET was sent, is newer than the poll: the poll is stale and does
//     not overwrite it (counted Unchanged);
//   - when the ITSM's clock runs ahead of ours, a poll may be taken for
//     stale, and when it runs behind, a webhook after a poll may be; either
//     way the case converges at the next pass, which sees a status that
//     differs from the last applied one.
//
// # Dedup and echoes
//
// A ticket whose status equals the last applied one (itsm.InboundState,
// compared as statusmap.Normalize does) is Unchanged without calling the
// applier, so a poll never re-applies a status. A ticket showing the status
// this SDK last pushed (itsm.Link.LastPushedStatus, or a label mapping to
// the same case status), when no inbound change was applied after that
// push, is the echo of our push and Unchanged too — at any age, not only
// within the applier's echo window, so that an old push never reverts a
// case changed since in the SIEM. Polls carry no dedup claim: two replicas
// polling at once may both apply one change, which the updater must take
// idempotently (the [CaseUpdater] contract); run one reconciler per
// integration to avoid the double work.
//
// # Lifecycle
//
// [Reconciler.Run] runs a pass at once and then one every Interval until its
// context ends (none when Interval is itsm.Off); [Reconciler.RunOnce] runs
// one pass. Every goroutine a pass
// starts (Concurrency workers) has returned when it returns, and a canceled
// context stops a pass promptly: no new GET is started and waits end. The
// rate limiter spans passes. Failures of single tickets are counted and
// logged, never fatal; a store failure listing links ends the pass with an
// error wrapping itsm.ErrStore. Audit events (Operation "reconcile") never
// hold a secret: errors are the connector's redacted ones, passed through a
// credential filter again. A Reconciler is safe for concurrent use, though
// overlapping passes only duplicate work.
type Reconciler struct {
	cfg     ReconcilerConfig
	env     itsm.Options
	applier *Applier
	store   InboundStore
	integ   string
	limiter *rate.Limiter
	orphans orphanState // see reconcile_orphans.go
	// target is the ticket space the connector reads: the applier's
	// Target, else the connector's own (itsm.Targeter); "" matches every
	// link.
	target string
}

// NewReconciler validates cfg, fills in defaults and returns the
// reconciler. The clock, logger and audit sink are the applier's (those
// given to [NewHandler] or [NewApplier]) unless opts set others. The clock
// dates the polls and paces the rate limit and the interval (through the
// clock's Sleep when it has one, so a fake clock makes the waits instant);
// the logger gets failures (Warn) and pass summaries (Info); the audit sink
// one itsm.AuditEvent per polled ticket, with Operation "reconcile". The
// applier keeps its own options for what it does itself.
func NewReconciler(cfg ReconcilerConfig, opts ...itsm.Option) (*Reconciler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultReconcileInterval
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultReconcileConcurrency
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond = DefaultReconcileRate
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultReconcileBurst
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultReconcilePageSize
	}
	if cfg.OrphanLookups == 0 {
		cfg.OrphanLookups = DefaultOrphanLookups
	}
	if cfg.OrphanStore == nil {
		cfg.OrphanStore, _ = cfg.Applier.cfg.Store.(itsm.OrphanStore)
	}
	target := cfg.Applier.cfg.Target
	if tg, ok := cfg.Connector.(itsm.Targeter); ok && target == "" {
		target = tg.Target()
	}
	ae := cfg.Applier.env
	inherited := []itsm.Option{itsm.WithClock(ae.Clock), itsm.WithLogger(ae.Logger), itsm.WithAudit(ae.Audit)}
	return &Reconciler{
		cfg:     cfg,
		env:     itsm.NewOptions(append(inherited, opts...)...),
		applier: cfg.Applier,
		store:   cfg.Applier.cfg.Store,
		integ:   cfg.Applier.cfg.IntegrationID,
		limiter: rate.NewLimiter(rate.Limit(cfg.RatePerSecond), cfg.Burst),
		target:  target,
	}, nil
}

// Run runs a pass now and then one every Interval (measured from the end of
// a pass) until ctx ends, and returns ctx's error. With OrphanEvery set, an
// orphan search ([Reconciler.FindOrphans]) follows every OrphanEvery-th
// pass. A failed pass is logged
// and reported to OnPass; the next one runs on schedule. With Interval
// itsm.Off, Run polls nothing: it waits for ctx to end. No goroutine
// outlives Run.
func (r *Reconciler) Run(ctx context.Context) error {
	if r.cfg.Interval < 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	for pass := 1; ; pass++ {
		stats, err := r.RunOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if r.cfg.OnPass != nil {
			r.cfg.OnPass(stats, err)
		}
		if r.cfg.OrphanEvery > 0 && pass%r.cfg.OrphanEvery == 0 {
			if _, err := r.FindOrphans(ctx); ctx.Err() != nil {
				return ctx.Err()
			} else if err != nil {
				r.env.Logger.WarnContext(ctx, "callback: reconcile: orphan search failed", "integration_id", r.integ,
					"error", clip.Bytes(redact.Credentials(err.Error()), 256))
			}
		}
		if err := r.env.Sleep(ctx, r.cfg.Interval); err != nil {
			return err
		}
	}
}

// outcome is what polling one ticket came to.
type outcome int

const (
	outSkipped outcome = iota // canceled before the ticket was read
	outApplied
	outUnchanged
	outIgnored
	outFailed
)

// RunOnce polls every open link once and returns what it did. Single
// tickets that fail are counted in Failed and do not end the pass. The error
// is ctx's when it ended the pass, or a store failure reading the links
// (wrapping itsm.ErrStore); the stats then count what was done before.
func (r *Reconciler) RunOnce(ctx context.Context) (ReconcileStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		stats ReconcileStats
		wg    sync.WaitGroup
	)
	links := make(chan itsm.Link)
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for l := range links {
				o, closed := r.check(ctx, l)
				mu.Lock()
				stats.add(o, closed)
				mu.Unlock()
			}
		})
	}
	err := r.list(ctx, links)
	close(links)
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	lvl := slog.LevelInfo
	if err != nil {
		lvl = slog.LevelWarn
	}
	if l := r.env.Logger; l.Enabled(ctx, lvl) {
		attrs := []any{"integration_id", r.integ, "checked", stats.Checked, "applied", stats.Applied,
			"unchanged", stats.Unchanged, "ignored", stats.Ignored, "failed", stats.Failed, "closed", stats.Closed}
		if err != nil {
			attrs = append(attrs, "error", clip.Bytes(err.Error(), 256))
		}
		l.Log(ctx, lvl, "callback: reconcile pass", attrs...)
	}
	return stats, err
}

func (s *ReconcileStats) add(o outcome, closed bool) {
	switch o {
	case outSkipped:
		return
	case outApplied:
		s.Applied++
	case outUnchanged:
		s.Unchanged++
	case outIgnored:
		s.Ignored++
	case outFailed:
		s.Failed++
	}
	s.Checked++
	if closed {
		s.Closed++
	}
}

// list feeds the open links to the workers, page by page.
func (r *Reconciler) list(ctx context.Context, out chan<- itsm.Link) error {
	after := ""
	for {
		page, err := r.store.ListLinks(ctx, r.integ, after, r.cfg.PageSize, true)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return storeFailure(fmt.Sprintf("callback: reconcile: list links after case %q", clip.Bytes(after, 64)), err)
		}
		for _, l := range page {
			if l.Closed { // a store that ignores openOnly
				continue
			}
			select {
			case out <- l:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if len(page) < r.cfg.PageSize {
			return nil
		}
		after = page[len(page)-1].CaseID
	}
}

// wait takes a token from the limiter, sleeping on the clock.
func (r *Reconciler) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := r.env.Clock.Now()
	res := r.limiter.ReserveN(now, 1)
	if !res.OK() { // cannot happen with Burst >= 1
		return fmt.Errorf("callback: reconcile: rate limiter refused a request")
	}
	d := res.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := r.env.Sleep(ctx, d); err != nil {
		res.CancelAt(r.env.Clock.Now())
		return err
	}
	return nil
}

// pollResult is the audit and log view of one ticket's poll.
type pollResult struct {
	outcome itsm.Outcome
	reason  string
	status  int
	err     error
}

// check polls one link and applies what it finds. It reports closed when it
// marked the link Closed.
func (r *Reconciler) check(ctx context.Context, l itsm.Link) (outcome, bool) {
	if err := r.wait(ctx); err != nil {
		return outSkipped, false
	}
	start := r.env.Clock.Now()
	o, pr, closed := r.poll(ctx, start, l)
	if o == outSkipped {
		return o, false
	}
	r.audit(ctx, start, l, pr)
	return o, closed
}

func (r *Reconciler) poll(ctx context.Context, start time.Time, listed itsm.Link) (outcome, pollResult, bool) {
	// The link is read again: a sync since the page was listed may have
	// pushed a status (an echo to recognise) or closed it.
	l, err := r.store.GetLink(ctx, r.integ, listed.CaseID)
	switch {
	case errors.Is(err, itsm.ErrNotFound) || (err == nil && l.TicketID != listed.TicketID):
		return outIgnored, pollResult{outcome: itsm.OutcomeIgnored, reason: "link gone"}, false
	case err != nil:
		if ctx.Err() != nil {
			return outSkipped, pollResult{}, false
		}
		return outFailed, pollResult{outcome: itsm.OutcomeFailure, reason: "get link failed",
			err: storeFailure("callback: reconcile: get link", err)}, false
	case l.Closed:
		return outIgnored, pollResult{outcome: itsm.OutcomeIgnored, reason: "link closed"}, false
	case r.otherTarget(l):
		// Its ticket lives in the ITSM the integration pointed at before:
		// the connector would read another ticket under that id.
		return outIgnored, pollResult{outcome: itsm.OutcomeIgnored, reason: "link in another target (" + l.Target + ")"}, false
	}
	// The last applied state is read before the GET: whatever the GET
	// returns is at least as new as it.
	before, err := r.store.GetInboundState(ctx, r.integ, l.TicketID)
	hasBefore := err == nil
	if err != nil && !errors.Is(err, itsm.ErrNotFound) {
		if ctx.Err() != nil {
			return outSkipped, pollResult{}, false
		}
		return outFailed, pollResult{outcome: itsm.OutcomeFailure, reason: "get inbound state failed",
			err: storeFailure("callback: reconcile: get inbound state", err)}, false
	}
	t, err := r.cfg.Connector.Get(ctx, itsm.Ticket{ID: l.TicketID, Key: l.TicketKey, URL: l.URL})
	if err != nil {
		if ctx.Err() != nil {
			return outSkipped, pollResult{}, false
		}
		pr := pollResult{outcome: itsm.OutcomeFailure, reason: "get ticket failed", err: err}
		var sc itsm.StatusCoder
		if errors.As(err, &sc) {
			pr.status = sc.HTTPStatus()
		}
		return outFailed, pr, false
	}
	if strings.TrimSpace(t.Status) == "" {
		return outIgnored, pollResult{outcome: itsm.OutcomeIgnored, reason: "no status in ticket"}, false
	}
	mapped, unmapped := r.applier.mapStatus(t.Status, t.StatusCategory)

	switch {
	case hasBefore && statusmap.Normalize(before.Status) == statusmap.Normalize(t.Status):
		return outUnchanged, pollResult{outcome: itsm.OutcomeSkipped, reason: "status unchanged"}, r.closeIfTerminal(ctx, l, mapped, unmapped)
	case r.pushedEcho(l, before, hasBefore, t.Status, mapped, unmapped):
		return outUnchanged, pollResult{outcome: itsm.OutcomeSkipped, reason: "echo of a pushed status"}, r.closeIfTerminal(ctx, l, mapped, unmapped)
	}

	occurred := start
	if hasBefore && !occurred.After(before.OccurredAt) {
		occurred = before.OccurredAt.Add(time.Nanosecond)
	}
	ev := Event{
		Kind: EventUpdated, TicketID: l.TicketID, TicketKey: l.TicketKey,
		Status: t.Status, StatusCategory: t.StatusCategory, OccurredAt: occurred,
	}
	actx, cancel := context.WithTimeout(ctx, r.applier.cfg.ApplyTimeout)
	res := r.applier.applyOne(actx, r.env.Clock.Now(), "", "", ev)
	cancel()
	switch res.Outcome {
	case itsm.OutcomeSuccess:
		return outApplied, pollResult{outcome: itsm.OutcomeSuccess, reason: "missed change applied"}, r.closeIfTerminal(ctx, l, mapped, unmapped)
	case itsm.OutcomeStale:
		return outUnchanged, pollResult{outcome: itsm.OutcomeStale, reason: "newer change already applied"}, false
	case itsm.OutcomeDuplicate:
		return outUnchanged, pollResult{outcome: itsm.OutcomeDuplicate, reason: "already applied"}, false
	case itsm.OutcomeFailure:
		if ctx.Err() != nil {
			return outSkipped, pollResult{}, false
		}
		return outFailed, pollResult{outcome: itsm.OutcomeFailure, reason: res.Reason, err: res.Err}, false
	}
	if res.Reason == "echo of a pushed status" {
		return outUnchanged, pollResult{outcome: itsm.OutcomeSkipped, reason: res.Reason}, r.closeIfTerminal(ctx, l, mapped, unmapped)
	}
	return outIgnored, pollResult{outcome: itsm.OutcomeIgnored, reason: res.Reason}, false
}

// pushedEcho reports whether status is what this SDK last pushed to the
// ticket and no inbound change was applied since that push.
func (r *Reconciler) pushedEcho(l itsm.Link, before itsm.InboundState, hasBefore bool, status string, mapped itsm.Status, unmapped string) bool {
	if r.applier.cfg.EchoWindow < 0 || l.LastPushedStatus == "" || l.LastPushedAt.IsZero() {
		return false
	}
	if hasBefore && before.UpdatedAt.After(l.LastPushedAt) {
		return false // the ITSM changed after our push; this is a change back
	}
	if statusmap.Normalize(status) == statusmap.Normalize(l.LastPushedStatus) {
		return true
	}
	if unmapped != "" {
		return false
	}
	pushed, reason := r.applier.mapStatus(l.LastPushedStatus, "")
	return reason == "" && pushed == mapped
}

// closeIfTerminal marks the link Closed when the ticket's status maps to a
// terminal case status (and the case reflects it), unless KeepTerminalOpen.
// The link is read again right before the write, to keep the window in
// which a concurrent sync's link update could be overwritten short.
func (r *Reconciler) closeIfTerminal(ctx context.Context, l itsm.Link, mapped itsm.Status, unmapped string) bool {
	if r.cfg.KeepTerminalOpen || unmapped != "" || !mapped.IsTerminal() {
		return false
	}
	cur, err := r.store.GetLink(ctx, r.integ, l.CaseID)
	if err != nil || cur.Closed || cur.TicketID != l.TicketID {
		return false
	}
	cur.Closed = true
	cur.UpdatedAt = r.env.Clock.Now()
	if err := r.store.PutLink(ctx, cur); err != nil {
		if lg := r.env.Logger; lg.Enabled(ctx, slog.LevelWarn) {
			lg.WarnContext(ctx, "callback: reconcile: mark link closed failed", "integration_id", r.integ,
				"case_id", l.CaseID, "ticket_id", l.TicketID, "error", clip.Bytes(redact.Credentials(err.Error()), 256))
		}
		return false
	}
	return true
}

func (r *Reconciler) audit(ctx context.Context, start time.Time, l itsm.Link, pr pollResult) {
	errText := ""
	if pr.err != nil {
		errText = clip.Bytes(redact.Credentials(pr.err.Error()), 256)
	}
	lvl := slog.LevelDebug
	if pr.outcome == itsm.OutcomeFailure {
		lvl = slog.LevelWarn
	}
	if lg := r.env.Logger; lg.Enabled(ctx, lvl) {
		attrs := []any{"integration_id", r.integ, "case_id", l.CaseID, "ticket_id", l.TicketID,
			"outcome", string(pr.outcome), "reason", pr.reason}
		if errText != "" {
			attrs = append(attrs, "error", errText)
		}
		lg.Log(ctx, lvl, "callback: reconcile ticket", attrs...)
	}
	r.env.Record(ctx, itsm.AuditEvent{
		Time: start, IntegrationID: r.integ, CaseID: l.CaseID, TicketID: l.TicketID,
		Operation: "reconcile", Outcome: pr.outcome, StatusCode: pr.status,
		Duration: r.env.Clock.Now().Sub(start), Reason: pr.reason, Error: errText,
	})
}

// otherTarget reports whether link was made in another target than the one
// the reconciler's connector reads (a link with no target is adopted).
func (r *Reconciler) otherTarget(link itsm.Link) bool {
	return r.target != "" && link.Target != "" && link.Target != r.target
}
