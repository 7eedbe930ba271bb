package itsm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Links belong to a target.
//
// A link records the ticket space it points into ([Link.Target], as the
// connector reports it through [Targeter]). An integration edited to point
// at another ITSM keeps its id, and so its links: without the target a sync
// would send the old tool's ticket id to the new tool. So:
//
//   - every link a Syncer makes carries the connector's current target;
//   - a sync whose link carries another target is refused before any
//     connector call, with a *TargetChangedError (audited, and shown as
//     [PhaseNeedsAttention] with [ButtonState].TargetChanged), until the
//     host decides for the whole integration: [Syncer.KeepLinks] (the same
//     tickets under another name: a renamed host, a new port) or
//     [Syncer.RetireLinks] (another ticket system: new tickets);
//   - a link with no target (made before targets were recorded, or by a
//     connector that reports none) is adopted: it is taken to point into the
//     current target, and its next successful sync records that target. The
//     assumption is that the configuration in place when the SDK was upgraded
//     made those links; a host that switched tools around the upgrade
//     retires the empty target first ([Syncer.RetireLinks] with from "").

// ErrTargetChanged is a sync refused because the case's link points into
// another ticket space than the integration's connector now writes into;
// see *TargetChangedError.
var ErrTargetChanged = errors.New("itsm: link points into another target")

// TargetChangedError is a sync refused, before any connector call, because
// the case's link was made in another ticket space ([Link.Target]) than the
// connector's current one ([Targeter]): the integration was edited to point
// at another ITSM, project, queue or table. Nothing is sent until the host
// decides with [Syncer.KeepLinks] (same tickets, renamed) or
// [Syncer.RetireLinks] (new system: new tickets). It wraps
// [ErrTargetChanged].
type TargetChangedError struct {
	CaseID string
	// TicketID is the linked ticket (in LinkTarget).
	TicketID string
	// LinkTarget is the target the link was made in; Target the
	// connector's current one.
	LinkTarget string
	Target     string
}

// Error implements the error interface.
func (e *TargetChangedError) Error() string {
	return fmt.Sprintf("itsm: case %q: its ticket %s was made in target %q but the integration now writes into %q: "+
		"nothing was sent; keep the links (same tickets, renamed: KeepLinks) or retire them (new system: RetireLinks)",
		e.CaseID, e.TicketID, e.LinkTarget, e.Target)
}

// Unwrap returns [ErrTargetChanged].
func (e *TargetChangedError) Unwrap() error { return ErrTargetChanged }

// TargetChange is a link made in another target than the connector's
// current one, as [ButtonState] shows it.
type TargetChange struct {
	// LinkTarget is the target the link was made in; Target the
	// connector's current one.
	LinkTarget string `json:"link_target"`
	Target     string `json:"target"`
}

// RetiredLink is a link moved to history by [TargetStore.RetireLinks]: the
// ticket it pointed to in the old target, the notes recorded as posted (or
// failed) on it, and when it was retired. It is kept for reading only.
type RetiredLink struct {
	Link
	// RetiredAt is when the link was retired.
	RetiredAt time.Time `json:"retired_at"`
	// Notes are the case's posted-note records at retirement (posted and
	// failed), ordered by note id.
	Notes []PostedNote `json:"notes,omitempty"`
}

// TargetCount is one target an integration's links point into, with how
// many links do ("" is the target of links made before targets were
// recorded).
type TargetCount struct {
	Target string `json:"target"`
	Links  int    `json:"links"`
}

// TargetStore is what [Syncer.KeepLinks], [Syncer.RetireLinks],
// [Syncer.LinkTargets] and [Syncer.RetiredLinks] need from the store.
// memstore and sqlstore implement it. Every method is safe for concurrent
// use, including from several processes sharing one database; each is
// atomic. Errors wrap [ErrStore].
type TargetStore interface {
	// RetargetLinks sets Target to "to" on every link of the integration
	// whose Target is "from" (from "" selects the links with no target),
	// and returns how many it changed. Nothing else of the links changes.
	RetargetLinks(ctx context.Context, integrationID, from, to string) (int, error)
	// RetireLinks moves every link of the integration whose Target is
	// target to history (see [RetiredLink]), stamped with at, and returns
	// how many it moved. With each link go the case's posted-note records
	// (posted and failed: they describe comments on the old ticket) and the
	// inbound state of its ticket id (ordering state of the old ticket),
	// so the next sync creates a new ticket and posts the notes again on
	// it. Pending creates are not touched.
	RetireLinks(ctx context.Context, integrationID, target string, at time.Time) (int, error)
	// RetiredLinks returns the retired links of a case, oldest retirement
	// first (nil when none).
	RetiredLinks(ctx context.Context, integrationID, caseID string) ([]RetiredLink, error)
	// LinkTargets returns the targets the integration's links point into,
	// with their link counts, ordered by target (nil when it has no link).
	LinkTargets(ctx context.Context, integrationID string) ([]TargetCount, error)
}

// Target returns the ticket space the Syncer's connector writes into
// ([Targeter]), or "" when the connector does not report one (then links
// carry no target and are never refused).
func (s *Syncer) Target() string {
	if t, ok := s.conn.(Targeter); ok {
		return t.Target()
	}
	return ""
}

// checkTarget refuses a sync whose link was made in another target, before
// any connector call. A link with no target is adopted (see adoptTarget).
func (s *Syncer) checkTarget(ctx context.Context, r *run, link Link) error {
	cur := s.Target()
	if link.Target == "" || cur == "" || link.Target == cur {
		return nil
	}
	err := &TargetChangedError{CaseID: r.c.ID, TicketID: link.TicketID, LinkTarget: link.Target, Target: cur}
	r.res.TicketID, r.res.TicketKey, r.res.URL = link.TicketID, link.TicketKey, link.URL
	ev := s.event(r.c.ID, "target", s.clock.Now())
	ev.TicketID = link.TicketID
	s.emit(ctx, ev, OutcomeFailure, "target changed: link in "+strconv.Quote(link.Target)+", connector in "+strconv.Quote(cur)+"; nothing sent", err)
	return err
}

// adoptTarget records the current target on a link that has none (made
// before targets were recorded); called once the link's ticket was updated
// through the current connector.
func (s *Syncer) adoptTarget(l *Link) {
	if l.Target == "" {
		l.Target = s.Target()
	}
}

// targetState fills st.TargetChanged (and the phase) from the case's link.
func (s *Syncer) targetState(st *ButtonState, link Link) {
	if cur := s.Target(); link.Target != "" && cur != "" && link.Target != cur {
		st.TargetChanged = &TargetChange{LinkTarget: link.Target, Target: cur}
	}
}

// targetStore returns the store as a TargetStore, or an error.
func (s *Syncer) targetStore(op string) (TargetStore, error) {
	ts, ok := s.store.(TargetStore)
	if !ok {
		return nil, fmt.Errorf("itsm: %s: the store does not implement TargetStore: %w", op, ErrNotConfigured)
	}
	return ts, nil
}

// KeepLinks declares that the links made in target from point into the same
// tickets as the connector's current target (the same system under another
// name: a renamed host, a changed port, an edited URL path) and retargets
// them: the next syncs update those tickets through the current connector,
// and their posted notes stay posted. from "" selects the links made before
// targets were recorded. It returns how many links it changed. It fails with
// a *ValidationError when the connector reports no target, and with an error
// wrapping [ErrNotConfigured] when the store is no [TargetStore]. The change
// is audited. A sync running meanwhile is unaffected (it read its link
// before). Safe for concurrent use.
func (s *Syncer) KeepLinks(ctx context.Context, from string) (int, error) {
	cur := s.Target()
	if cur == "" {
		return 0, &ValidationError{Errors: []FieldError{{Field: "connector", Message: "reports no target (it does not implement Targeter)"}}, Input: true}
	}
	if from == cur {
		return 0, nil
	}
	ts, err := s.targetStore("keep links")
	if err != nil {
		return 0, err
	}
	start := s.clock.Now()
	n, err := ts.RetargetLinks(ctx, s.integrationID, from, cur)
	s.auditTargets(ctx, "keep_links", start, fmt.Sprintf("kept %d links of target %q as %q", n, from, cur), err)
	if err != nil {
		return n, storeError(fmt.Sprintf("keep links of target %q", from), err)
	}
	return n, nil
}

// RetireLinks declares that the links made in target from point into
// another ticket system than the connector's current one, and retires them
// (see [TargetStore.RetireLinks]): each moves to history, still readable
// with [Syncer.RetiredLinks], together with its case's posted-note records
// and the inbound ordering state of its ticket. The next sync of each case
// creates a new ticket in the current target and posts all the case's
// notes again on it; inbound events about the old tickets no longer match
// any case. Pending creates are kept: they carry no target, and the next
// sync resolves each as usual through the current connector's lookup (so a
// ticket an unknown-outcome create made in the old system stays there).
// The old tickets are not touched.
//
// from "" retires the links made before targets were recorded (for a host
// that switched tools before upgrading). Retiring the current target is
// refused with a *ValidationError (it would recreate every ticket). It
// returns how many links it retired; an error wrapping [ErrNotConfigured]
// when the store is no [TargetStore]. The change is audited. Safe for
// concurrent use, but it takes no case lease: a sync of a legacy link that
// passed its target check before a retire of "" may still store that link
// again when it succeeds, so retire "" while the integration's syncs are
// paused (links of a named target are never at risk: their syncs are
// refused before any write).
func (s *Syncer) RetireLinks(ctx context.Context, from string) (int, error) {
	if from == s.Target() {
		return 0, &ValidationError{Errors: []FieldError{{Field: "from", Message: "is the connector's current target: retiring it would create every ticket again"}}, Input: true}
	}
	ts, err := s.targetStore("retire links")
	if err != nil {
		return 0, err
	}
	start := s.clock.Now()
	n, err := ts.RetireLinks(ctx, s.integrationID, from, start)
	s.auditTargets(ctx, "retire_links", start, fmt.Sprintf("retired %d links of target %q", n, from), err)
	if err != nil {
		return n, storeError(fmt.Sprintf("retire links of target %q", from), err)
	}
	return n, nil
}

// LinkTargets returns the targets the integration's links point into, with
// their link counts, ordered by target, so an administrator can be asked
// "keep or retire?" for every target other than [Syncer.Target] (and for ""
// when the connector's target is not yet recorded on legacy links).
func (s *Syncer) LinkTargets(ctx context.Context) ([]TargetCount, error) {
	ts, err := s.targetStore("list link targets")
	if err != nil {
		return nil, err
	}
	out, err := ts.LinkTargets(ctx, s.integrationID)
	if err != nil {
		return nil, storeError("list link targets", err)
	}
	return out, nil
}

// RetiredLinks returns the case's retired links (see [Syncer.RetireLinks]),
// oldest first.
func (s *Syncer) RetiredLinks(ctx context.Context, caseID string) ([]RetiredLink, error) {
	ts, err := s.targetStore("list retired links")
	if err != nil {
		return nil, err
	}
	out, err := ts.RetiredLinks(ctx, s.integrationID, caseID)
	if err != nil {
		return nil, storeError(fmt.Sprintf("retired links of case %q", caseID), err)
	}
	return out, nil
}

// auditTargets records an integration-wide link decision.
func (s *Syncer) auditTargets(ctx context.Context, op string, start time.Time, reason string, err error) {
	ev := s.event("", Operation(op), start)
	outcome := OutcomeSuccess
	if err != nil {
		outcome = OutcomeFailure
	}
	s.emit(ctx, ev, outcome, reason, err)
	if err == nil {
		s.log.InfoContext(ctx, "itsm: "+reason, "integration_id", s.integrationID)
	}
}
