package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// ClaimDelivery records a delivery id for an integration in one conditional
// upsert and reports true; it reports false when the id is already claimed
// and the claim has not expired at now (a duplicate, whose claim is not
// extended). A claim made at now expires at now+ttl; an expired claim is
// overwritten in place, and every WithPruneEvery claims (default
// [DefaultPruneEvery]) the Store deletes up to [WithPruneBatch] claims
// expired at now (default [DefaultPruneBatch]) in one statement, so the
// table stays bounded by the deliveries of one ttl as long as the batch is
// at least the prune interval. A failed automatic prune is not reported (the
// claim itself succeeded); the next one retries.
func (s *Store) ClaimDelivery(ctx context.Context, integrationID, deliveryID string, now time.Time, ttl time.Duration) (bool, error) {
	var id string
	err := s.queryRow(ctx, s.q.claimDelivery, integrationID, deliveryID, timeArg(now), timeArg(now.Add(ttl)), cmpArg(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("claim delivery", err)
	}
	if s.pruneEvery > 0 && s.claims.Add(1)%uint64(s.pruneEvery) == 0 {
		_, _ = s.pruneBatchOnce(ctx, now)
	}
	return true, nil
}

// ReleaseDelivery forgets a claim, so a delivery that could not be applied is
// accepted again when the sender retries. A missing claim is not an error.
func (s *Store) ReleaseDelivery(ctx context.Context, integrationID, deliveryID string) error {
	return s.exec(ctx, "release delivery", s.q.releaseDelivery, integrationID, deliveryID)
}

// PruneDeliveries deletes every delivery claim (of every integration) that
// expired at before, that is whose expiry is not after before, and returns
// how many it deleted. It deletes in statements of at most [WithPruneBatch]
// rows each (each its own short transaction), until one deletes fewer. Expired claims no longer count as duplicates anyway,
// so pruning never changes what ClaimDelivery reports; it only bounds the
// table. Hosts that turn automatic pruning off ([WithPruneEvery](0)) call it
// periodically, e.g. with time.Now().
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		n, err := s.pruneBatchOnce(ctx, before)
		total += n
		if err != nil || n < int64(s.pruneBatch) {
			return total, err
		}
	}
}

// pruneBatchOnce deletes up to one batch of claims expired at before.
func (s *Store) pruneBatchOnce(ctx context.Context, before time.Time) (int64, error) {
	return s.execAffected(ctx, "prune deliveries", s.q.pruneDeliveries, cmpArg(before), s.pruneBatch)
}

// GetInboundState returns the last applied state of a ticket, or an error
// wrapping itsm.ErrNotFound.
func (s *Store) GetInboundState(ctx context.Context, integrationID, ticketID string) (itsm.InboundState, error) {
	var st itsm.InboundState
	var occurred, updated sql.NullInt64
	err := s.queryRow(ctx, s.q.getInboundState, integrationID, ticketID).
		Scan(&st.IntegrationID, &st.TicketID, &st.Version, &occurred, &st.Status, &updated)
	if err != nil {
		return itsm.InboundState{}, notFound("get inbound state", err)
	}
	st.OccurredAt, st.UpdatedAt = fromMicros(occurred), fromMicros(updated)
	return st, nil
}

// AdvanceInboundState stores st when none is stored or st is newer than the
// stored state (a higher Version when both are non-zero, else a later
// OccurredAt; equal is not newer), and reports whether it did. The rule is
// the WHERE clause of one conditional upsert, so the check and the write are
// atomic across replicas.
func (s *Store) AdvanceInboundState(ctx context.Context, st itsm.InboundState) (bool, error) {
	var id string
	err := s.queryRow(ctx, s.q.advanceInboundState, st.IntegrationID, st.TicketID, st.Version,
		timeArg(st.OccurredAt), st.Status, timeArg(st.UpdatedAt)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("advance inbound state", err)
	}
	return true, nil
}
