package memstore

import (
	"container/list"
	"context"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// deliveryKey identifies a delivery within an integration.
type deliveryKey struct{ integrationID, deliveryID string }

// delivery is a remembered claim; the claim list holds them oldest first.
type delivery struct {
	key       deliveryKey
	expiresAt time.Time
}

// ClaimDelivery records a delivery id for an integration and reports true, or
// reports false when the id was claimed before and that claim has not expired
// at now (a duplicate; the claim is not extended). A claim made at now
// expires at now+ttl.
//
// Memory is bounded: expired claims at the old end are dropped as new claims
// arrive, and at most the store's maximum (see [WithMaxDeliveries]) are
// remembered. When the maximum is reached and the oldest claim has not
// expired, the store by default ([RefuseNew]) refuses the delivery with an
// error wrapping [ErrDeliveriesFull] and itsm.ErrStore rather than forget a
// live claim (the callback Applier audits and logs it, and the sender
// retries); with [EvictOldest] it forgets the oldest claim and counts it
// ([Store.LiveEvictions]).
func (s *Store) ClaimDelivery(ctx context.Context, integrationID, deliveryID string, now time.Time, ttl time.Duration) (bool, error) {
	k := deliveryKey{integrationID, deliveryID}
	s.inboundMu.Lock()
	defer s.inboundMu.Unlock()
	s.pruneDeliveriesLocked(now)
	if e, ok := s.deliveries[k]; ok {
		d := e.Value.(*delivery)
		if d.expiresAt.After(now) {
			return false, nil
		}
		d.expiresAt = now.Add(ttl)
		s.claimOrder.MoveToBack(e)
		s.noteExpiryLocked(d.expiresAt)
		return true, nil
	}
	if s.claimOrder.Len() >= s.maxDeliveries && !now.Before(s.sweepAfter) {
		// Claims with a shorter ttl (another integration's) may have
		// expired behind the live front: use their room first.
		s.sweepDeliveriesLocked(now)
	}
	if s.claimOrder.Len() >= s.maxDeliveries {
		// Every claim is live: making room forgets a claim younger than
		// its ttl.
		oldest := s.claimOrder.Front().Value.(*delivery)
		if s.overflow != EvictOldest {
			return false, fmt.Errorf("memstore: claim delivery %q: %d live claims remembered, the oldest expires at %s (raise WithMaxDeliveries): %w: %w",
				deliveryID, s.claimOrder.Len(), oldest.expiresAt.UTC().Format(time.RFC3339), ErrDeliveriesFull, itsm.ErrStore)
		}
		for s.claimOrder.Len() >= s.maxDeliveries {
			s.removeDeliveryLocked(s.claimOrder.Front())
			s.liveEvictions.Add(1)
		}
	}
	s.deliveries[k] = s.claimOrder.PushBack(&delivery{key: k, expiresAt: now.Add(ttl)})
	s.noteExpiryLocked(now.Add(ttl))
	return true, nil
}

// LiveEvictions counts the claims [EvictOldest] forgot before they expired:
// each is a delivery whose duplicate would be accepted again. It is always 0
// under [RefuseNew].
func (s *Store) LiveEvictions() uint64 { return s.liveEvictions.Load() }

// pruneDeliveriesLocked drops expired claims from the old end of the list.
// Claims are in claim order, so this finds most expired ones when ttls are
// alike; any left behind are treated as free when claimed again, and a full
// store sweeps them all (sweepDeliveriesLocked) before refusing or evicting.
func (s *Store) pruneDeliveriesLocked(now time.Time) {
	for e := s.claimOrder.Front(); e != nil; e = s.claimOrder.Front() {
		if e.Value.(*delivery).expiresAt.After(now) {
			return
		}
		s.removeDeliveryLocked(e)
	}
}

// sweepDeliveriesLocked drops every expired claim, wherever it is in the
// list, and sets sweepAfter to the earliest expiry left; it runs only when
// the store is full and sweepAfter is reached.
func (s *Store) sweepDeliveriesLocked(now time.Time) {
	s.sweepAfter = time.Time{}
	for e := s.claimOrder.Front(); e != nil; {
		next := e.Next()
		if exp := e.Value.(*delivery).expiresAt; !exp.After(now) {
			s.removeDeliveryLocked(e)
		} else if s.sweepAfter.IsZero() || exp.Before(s.sweepAfter) {
			s.sweepAfter = exp
		}
		e = next
	}
}

// noteExpiryLocked keeps sweepAfter no later than a new claim's expiry.
func (s *Store) noteExpiryLocked(exp time.Time) {
	if exp.Before(s.sweepAfter) {
		s.sweepAfter = exp
	}
}

func (s *Store) removeDeliveryLocked(e *list.Element) {
	delete(s.deliveries, e.Value.(*delivery).key)
	s.claimOrder.Remove(e)
}

// ReleaseDelivery forgets a claim, so the delivery is accepted again;
// forgetting a missing claim is not an error.
func (s *Store) ReleaseDelivery(_ context.Context, integrationID, deliveryID string) error {
	s.inboundMu.Lock()
	defer s.inboundMu.Unlock()
	if e, ok := s.deliveries[deliveryKey{integrationID, deliveryID}]; ok {
		s.removeDeliveryLocked(e)
	}
	return nil
}

// GetInboundState returns the last applied state of a ticket, or an error
// wrapping itsm.ErrNotFound.
func (s *Store) GetInboundState(_ context.Context, integrationID, ticketID string) (itsm.InboundState, error) {
	s.inboundMu.Lock()
	defer s.inboundMu.Unlock()
	if st, ok := s.states[ticketKey{integrationID, ticketID}]; ok {
		return st, nil
	}
	return itsm.InboundState{}, errNotFound("get inbound state of ticket", ticketID)
}

// AdvanceInboundState stores st when no state is stored for its ticket or st
// is newer than the stored one ([itsm.InboundState.NewerThan]), and reports
// whether it did; the check and the write happen under one lock.
func (s *Store) AdvanceInboundState(_ context.Context, st itsm.InboundState) (bool, error) {
	k := ticketKey{st.IntegrationID, st.TicketID}
	s.inboundMu.Lock()
	defer s.inboundMu.Unlock()
	if cur, ok := s.states[k]; ok && !st.NewerThan(cur) {
		return false, nil
	}
	s.states[k] = st
	return true, nil
}
