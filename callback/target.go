package callback

import (
	"context"
	"errors"

	"github.com/itsmsync/itsmsync/itsm"
)

// targetLinks is the optional part of an [InboundStore] that finds a
// ticket's link among the links of one target and those with no target
// (memstore and sqlstore implement it).
type targetLinks interface {
	GetLinkByTicketInTarget(ctx context.Context, integrationID, ticketID, target string) (itsm.Link, error)
}

// otherTarget reports whether link was made in another target than the
// applier's ([ApplierConfig.Target]); links with no target match.
func (a *Applier) otherTarget(link itsm.Link) bool {
	return a.cfg.Target != "" && link.Target != "" && link.Target != a.cfg.Target
}

// lookupInTarget finds the event's link within the applier's target when
// the store can; ok is false when it cannot or found nothing there (the
// plain lookup then tells an unlinked ticket from one linked in another
// target).
func (a *Applier) lookupInTarget(ctx context.Context, ev Event) (itsm.Link, bool, error) {
	ts, can := a.cfg.Store.(targetLinks)
	if a.cfg.Target == "" || !can {
		return itsm.Link{}, false, nil
	}
	for _, id := range [2]string{ev.TicketID, ev.TicketKey} {
		if id == "" {
			continue
		}
		l, err := ts.GetLinkByTicketInTarget(ctx, a.cfg.IntegrationID, id, a.cfg.Target)
		switch {
		case err == nil:
			return l, true, nil
		case !errors.Is(err, itsm.ErrNotFound):
			return itsm.Link{}, true, err
		}
	}
	return itsm.Link{}, false, nil
}
