package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

const stDeliveryTTL = 10 * time.Minute

// stClaim requires ClaimDelivery to succeed and report want.
func stClaim(t *testing.T, s Store, integrationID, deliveryID string, now time.Time, want bool) {
	t.Helper()
	got, err := s.ClaimDelivery(t.Context(), integrationID, deliveryID, now, stDeliveryTTL)
	require.NoError(t, err)
	if want {
		assert.True(t, got, "ClaimDelivery(%s, %s) at %v: want a first claim", integrationID, deliveryID, now)
	} else {
		assert.False(t, got, "ClaimDelivery(%s, %s) at %v: want a duplicate", integrationID, deliveryID, now)
	}
}

var stDeliveryCases = []stCase{
	{"ClaimThenDuplicate", func(t *testing.T, s Store) {
		stClaim(t, s, "int-1", "d-1", stBase, true)
		stClaim(t, s, "int-1", "d-1", stBase, false)
		stClaim(t, s, "int-1", "d-1", stAt(time.Minute), false)
		stClaim(t, s, "int-1", "d-2", stBase, true)
		stClaim(t, s, "int-2", "d-1", stBase, true)
		stClaim(t, s, "int-2", "d-1", stBase, false)
	}},
	{"Expiry", func(t *testing.T, s Store) {
		stClaim(t, s, "int-1", "d-1", stBase, true)
		stClaim(t, s, "int-1", "d-1", stBase.Add(stDeliveryTTL-time.Microsecond), false)
		// Expired at claim+ttl exactly.
		stClaim(t, s, "int-1", "d-1", stBase.Add(stDeliveryTTL), true)
		// That was a new claim, lasting ttl from then.
		stClaim(t, s, "int-1", "d-1", stBase.Add(stDeliveryTTL+time.Minute), false)
		stClaim(t, s, "int-1", "d-1", stBase.Add(2*stDeliveryTTL-time.Microsecond), false)
		stClaim(t, s, "int-1", "d-1", stBase.Add(2*stDeliveryTTL), true)
	}},
	{"DuplicateDoesNotExtend", func(t *testing.T, s Store) {
		stClaim(t, s, "int-1", "d-1", stBase, true)
		stClaim(t, s, "int-1", "d-1", stBase.Add(stDeliveryTTL-time.Second), false)
		stClaim(t, s, "int-1", "d-1", stBase.Add(stDeliveryTTL), true)
	}},
	{"Release", func(t *testing.T, s Store) {
		ctx := t.Context()
		stClaim(t, s, "int-1", "d-1", stBase, true)
		stClaim(t, s, "int-2", "d-1", stBase, true)
		require.NoError(t, s.ReleaseDelivery(ctx, "int-1", "d-1"))
		stClaim(t, s, "int-1", "d-1", stAt(time.Second), true)
		stClaim(t, s, "int-1", "d-1", stAt(2*time.Second), false)
		stClaim(t, s, "int-2", "d-1", stAt(time.Second), false) // the other integration's claim is kept
		assert.NoError(t, s.ReleaseDelivery(ctx, "int-1", "d-404"), "releasing an unknown delivery")
	}},
	{"TimeZones", func(t *testing.T, s Store) {
		stClaim(t, s, "int-1", "d-1", stBase.In(stZoneWest), true)
		stClaim(t, s, "int-1", "d-1", stBase.Add(stDeliveryTTL-time.Second).In(stZoneEast), false)
		stClaim(t, s, "int-1", "d-1", stBase.Add(stDeliveryTTL).In(stZoneEast), true)
	}},
}

// stInboundFixture returns an inbound state with every field set.
func stInboundFixture(integrationID, ticketID string, version int64, occurred time.Time) itsm.InboundState {
	return itsm.InboundState{
		IntegrationID: integrationID,
		TicketID:      ticketID,
		Version:       version,
		OccurredAt:    occurred,
		Status:        "In Progress",
		UpdatedAt:     stAt(time.Hour),
	}
}

// stInboundIs requires the stored state of want's ticket to be want.
func stInboundIs(t *testing.T, s Store, want itsm.InboundState) {
	t.Helper()
	got, err := s.GetInboundState(t.Context(), want.IntegrationID, want.TicketID)
	require.NoError(t, err)
	assert.Equal(t, stInbound(want), stInbound(got))
}

var stInboundStateCases = []stCase{
	{"GetMissing", func(t *testing.T, s Store) {
		_, err := s.GetInboundState(t.Context(), "int-1", "10001")
		stIs(t, err, itsm.ErrNotFound)
	}},
	{"FirstIsStored", func(t *testing.T, s Store) {
		for _, st := range []itsm.InboundState{
			stInboundFixture("int-1", "10001", 7, stBase.In(stZoneEast)),
			stInboundFixture("int-1", "10002", 0, stBase), // no version
			{IntegrationID: "int-1", TicketID: "10003"},   // nothing known at all
		} {
			ok, err := s.AdvanceInboundState(t.Context(), st)
			require.NoError(t, err)
			assert.True(t, ok, "the first state of ticket %s is stored", st.TicketID)
			stInboundIs(t, s, st)
		}
	}},
	{"Ordering", func(t *testing.T, s Store) {
		sec := func(n int) time.Time { return stAt(time.Duration(n) * time.Second) }
		rows := []struct {
			name          string
			storedVersion int64
			storedAt      time.Time
			version       int64
			at            time.Time
			want          bool
		}{
			{"HigherVersionEarlierTime", 3, sec(10), 4, sec(5), true},
			{"HigherVersionLaterTime", 3, sec(10), 4, sec(11), true},
			{"LowerVersionLaterTime", 3, sec(10), 2, sec(20), false},
			{"EqualVersionLaterTime", 3, sec(10), 3, sec(20), false},
			{"EqualVersionEqualTime", 3, sec(10), 3, sec(10), false},
			{"NoVersionLaterTime", 0, sec(10), 0, sec(11), true},
			{"NoVersionOneMicrosecondLater", 0, sec(10), 0, sec(10).Add(time.Microsecond), true},
			{"NoVersionEqualTime", 0, sec(10), 0, sec(10).In(stZoneWest), false},
			{"NoVersionEarlierTime", 0, sec(10), 0, sec(9), false},
			{"IncomingHasNoVersionLaterTime", 5, sec(10), 0, sec(11), true},
			{"IncomingHasNoVersionEarlierTime", 5, sec(10), 0, sec(9), false},
			{"StoredHasNoVersionEarlierTime", 0, sec(10), 9, sec(9), false},
			{"StoredHasNoVersionLaterTime", 0, sec(10), 9, sec(11), true},
			{"StoredHasNoVersionEqualTime", 0, sec(10), 9, sec(10), false},
		}
		for i, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				ticket := stCaseID(i) // one ticket per row
				old := stInboundFixture("int-1", ticket, r.storedVersion, r.storedAt)
				old.Status = "Open"
				ok, err := s.AdvanceInboundState(t.Context(), old)
				require.NoError(t, err)
				require.True(t, ok)
				next := stInboundFixture("int-1", ticket, r.version, r.at)
				next.Status = "Done"
				next.UpdatedAt = stAt(2 * time.Hour)
				assert.Equal(t, r.want, next.NewerThan(old), "itsm.InboundState.NewerThan agrees with the table")
				ok, err = s.AdvanceInboundState(t.Context(), next)
				require.NoError(t, err)
				assert.Equal(t, r.want, ok, "AdvanceInboundState reports whether it stored")
				if r.want {
					stInboundIs(t, s, next)
				} else {
					stInboundIs(t, s, old)
				}
			})
		}
	}},
	{"Sequence", func(t *testing.T, s Store) {
		ctx := t.Context()
		steps := []struct {
			version int64
			at      time.Duration
			want    bool
		}{
			{1, 0, true},
			{3, time.Second, true},
			{2, 2 * time.Second, false}, // late delivery of an older version
			{3, 3 * time.Second, false}, // a redelivery
			{4, -time.Hour, true},       // the ITSM's clock went back: the version decides
		}
		last := itsm.InboundState{}
		for i, st := range steps {
			in := stInboundFixture("int-1", "10001", st.version, stBase.Add(st.at))
			ok, err := s.AdvanceInboundState(ctx, in)
			require.NoError(t, err)
			assert.Equal(t, st.want, ok, "step %d", i)
			if st.want {
				last = in
			}
			stInboundIs(t, s, last)
		}
	}},
	{"ScopedByIntegrationAndTicket", func(t *testing.T, s Store) {
		ctx := t.Context()
		a := stInboundFixture("int-1", "10001", 10, stBase)
		for _, st := range []itsm.InboundState{
			a,
			stInboundFixture("int-2", "10001", 1, stBase),
			stInboundFixture("int-1", "10002", 1, stBase),
		} {
			ok, err := s.AdvanceInboundState(ctx, st)
			require.NoError(t, err)
			assert.True(t, ok, "%s/%s is a first state", st.IntegrationID, st.TicketID)
		}
		stInboundIs(t, s, a)
		_, err := s.GetInboundState(ctx, "int-3", "10001")
		stIs(t, err, itsm.ErrNotFound)
	}},
}
