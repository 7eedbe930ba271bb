package callback

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/itsmsync/itsmsync/itsm"
)

// DefaultOrphanLookups is how many links one orphan search looks up at most
// ([ReconcilerConfig].OrphanLookups).
const DefaultOrphanLookups = 50

// OrphanStats is what one orphan search did.
type OrphanStats struct {
	// Checked is the number of open links looked up by correlation key.
	Checked int `json:"checked"`
	// Failed is the number of lookups (or orphan records) that failed; the
	// search goes on, and a later one retries them.
	Failed int `json:"failed"`
	// Orphans are the tickets found carrying a case's correlation key
	// besides the case's linked ticket.
	Orphans []itsm.Orphan `json:"orphans,omitempty"`
	// Wrapped is set when the search reached the last open link: the next
	// one starts again from the first.
	Wrapped bool `json:"wrapped,omitempty"`
}

// orphanState is where the next orphan search starts.
type orphanState struct {
	mu    sync.Mutex
	after string // the case id of the last link looked up
}

// FindOrphans looks up, by correlation key, up to OrphanLookups open links
// (from where the previous search stopped, wrapping around) through the
// Finder, and reports every ticket found that is not the link's ticket as an
// [itsm.Orphan] (LinkedTicketID the link's): recorded in the OrphanStore
// (idempotent: a known orphan keeps its FoundAt, a dismissed one stays
// dismissed), audited (Operation "reconcile", outcome skipped, reason
// "orphan"), logged at Warn, and returned. A late create the ITSM stored
// after the Syncer's lookup grace is found this way. Lookups take tokens of
// the reconciler's rate limiter. A failed lookup is counted and the search
// goes on; the error is ctx's, a store failure listing links (wrapping
// itsm.ErrStore), or one wrapping itsm.ErrNotConfigured without a Finder.
// Calls are serialized.
func (r *Reconciler) FindOrphans(ctx context.Context) (OrphanStats, error) {
	var stats OrphanStats
	if r.cfg.Finder == nil {
		return stats, fmt.Errorf("callback: reconcile: orphan search: no finder: %w", itsm.ErrNotConfigured)
	}
	r.orphans.mu.Lock()
	defer r.orphans.mu.Unlock()
	after := r.orphans.after
	for stats.Checked+stats.Failed < r.cfg.OrphanLookups {
		limit := min(r.cfg.PageSize, r.cfg.OrphanLookups-stats.Checked-stats.Failed)
		page, err := r.store.ListLinks(ctx, r.integ, after, limit, true)
		if err != nil {
			if ctx.Err() != nil {
				return stats, ctx.Err()
			}
			return stats, storeFailure(fmt.Sprintf("callback: reconcile: orphan search: list links after case %q", clip.Bytes(after, 64)), err)
		}
		for _, l := range page {
			after = l.CaseID
			if l.Closed || r.otherTarget(l) {
				continue // another target's ticket is not the finder's to find
			}
			if err := r.wait(ctx); err != nil {
				return stats, err
			}
			found, err := r.orphansOf(ctx, l)
			r.orphans.after = after
			if err != nil {
				if ctx.Err() != nil {
					return stats, ctx.Err()
				}
				stats.Failed++
				r.env.Logger.WarnContext(ctx, "callback: reconcile: orphan lookup failed", "integration_id", r.integ,
					"case_id", l.CaseID, "error", clip.Bytes(redact.Credentials(err.Error()), 256))
				continue
			}
			stats.Checked++
			stats.Orphans = append(stats.Orphans, found...)
		}
		if len(page) < limit {
			after = ""
			r.orphans.after = ""
			stats.Wrapped = true
			break
		}
	}
	if l := r.env.Logger; l.Enabled(ctx, slog.LevelInfo) {
		l.InfoContext(ctx, "callback: reconcile orphan search", "integration_id", r.integ, "checked", stats.Checked,
			"failed", stats.Failed, "orphans", len(stats.Orphans), "wrapped", stats.Wrapped)
	}
	return stats, nil
}

// orphansOf looks one link's correlation key up and reports the tickets
// that are not the linked one.
func (r *Reconciler) orphansOf(ctx context.Context, l itsm.Link) ([]itsm.Orphan, error) {
	key := itsm.CorrelationKey(r.integ, l.CaseID)
	found, err := r.cfg.Finder.Find(ctx, itsm.SyncRequest{CorrelationKey: key})
	if err != nil {
		return nil, err
	}
	var out []itsm.Orphan
	for _, t := range found {
		if t.ID == "" || t.ID == l.TicketID {
			continue
		}
		now := r.env.Clock.Now()
		o := itsm.Orphan{IntegrationID: r.integ, CaseID: l.CaseID, CorrelationKey: key, TicketID: t.ID, TicketKey: t.Key,
			URL: t.URL, FoundAt: now, LinkedTicketID: l.TicketID}
		if r.cfg.OrphanStore != nil {
			if err := r.cfg.OrphanStore.RecordOrphan(ctx, o); err != nil {
				return out, storeFailure(fmt.Sprintf("callback: reconcile: record orphan ticket %s of case %q", t.ID, l.CaseID), err)
			}
		}
		out = append(out, o)
		r.env.Logger.WarnContext(ctx, "callback: orphan ticket: it carries the case's correlation key but is not the linked ticket; a person should close it or link it",
			"integration_id", r.integ, "case_id", l.CaseID, "ticket_id", t.ID, "ticket_key", t.Key, "linked_ticket_id", l.TicketID)
		r.env.Record(ctx, itsm.AuditEvent{Time: now, IntegrationID: r.integ, CaseID: l.CaseID, TicketID: t.ID,
			Operation: "reconcile", Outcome: itsm.OutcomeSkipped, Reason: "orphan"})
	}
	return out, nil
}
