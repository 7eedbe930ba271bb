package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
)

// RaceWorkers is how many goroutines the concurrency subtests of
// [Run], [RunReplicas], [RunCooldown] and [RunCooldownReplicas]
// race on one key.
const RaceWorkers = 50

// Run runs the conformance suite of [Store] against the stores
// newStore returns: every method, every documented edge (not found,
// conflicts, lease expiry, one integration per workspace, token lookup by
// hash, delivery claims, the inbound ordering rule), copies not aliased, and
// concurrency (RaceWorkers goroutines racing on one key: exactly one
// wins).
//
// newStore is called inside each subtest and must return an empty store; it
// may use t.Cleanup to close it and t.Skip when its backend is missing. A
// store that needs a fresh database per subtest creates it there.
//
// Times are fixed (no clock is read) and have microsecond precision, as
// PostgreSQL keeps; the suite compares instants with time.Time.Equal, so a
// store may return them in any location. Some inputs are given in non-UTC
// locations: a store must compare instants, not their text.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	groups := []struct {
		name  string
		cases []stCase
	}{
		{"Links", stLinkCases},
		{"ListLinks", stListLinkCases},
		{"Pending", stPendingCases},
		{"Notes", stNoteCases},
		{"NoteStates", stNoteStateCases},
		{"Leases", stLeaseCases},
		{"Integrations", stIntegrationCases},
		{"Tokens", stTokenCases},
		{"Deliveries", stDeliveryCases},
		{"InboundState", stInboundStateCases},
		{"Targets", stTargetCases},
		{"Errors", stErrorCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					s := newStore(t)
					require.NotNil(t, s, "newStore returned nil")
					c.run(t, s)
				})
			}
		})
	}
	t.Run("Concurrency", func(t *testing.T) {
		for _, c := range stRaceCases {
			t.Run(c.name, func(t *testing.T) {
				s := newStore(t)
				require.NotNil(t, s, "newStore returned nil")
				c.run(t, []Store{s})
			})
		}
	})
}

// RunReplicas runs the cross-replica part of the suite: newReplicas
// returns two stores over one shared, empty storage (for sqlstore, two
// *sql.DB handles on one database), as two replicas of a SIEM would hold.
// Every write made through one must be seen through the other, and the
// concurrency subtests race RaceWorkers goroutines split across both.
// newReplicas is called inside each subtest.
func RunReplicas(t *testing.T, newReplicas func(t *testing.T) (a, b Store)) {
	t.Helper()
	t.Run("Visibility", func(t *testing.T) {
		a, b := newReplicas(t)
		require.NotNil(t, a)
		require.NotNil(t, b)
		stReplicaVisibility(t, a, b)
	})
	t.Run("Concurrency", func(t *testing.T) {
		for _, c := range stRaceCases {
			t.Run(c.name, func(t *testing.T) {
				a, b := newReplicas(t)
				require.NotNil(t, a)
				require.NotNil(t, b)
				c.run(t, []Store{a, b})
			})
		}
	})
}

// stCase is one subtest of the suite, run on a fresh store.
type stCase struct {
	name string
	run  func(t *testing.T, s Store)
}

// stRaceCase is one concurrency subtest; goroutine i uses
// stores[i%len(stores)].
type stRaceCase struct {
	name string
	run  func(t *testing.T, stores []Store)
}

// stBase is the suite's fixed "now": microsecond precision, not a round
// second, so a store that drops sub-second digits fails.
var stBase = time.Date(2026, time.November, 28, 9, 30, 15, 123456000, time.UTC)

// stAt returns stBase+d.
func stAt(d time.Duration) time.Time { return stBase.Add(d) }

// Zones the suite expresses some instants in, to catch stores that compare
// times as text or drop the offset.
var (
	stZoneEast = time.FixedZone("UTC+05:30", 5*3600+30*60)
	stZoneWest = time.FixedZone("UTC-08:00", -8*3600)
)

// stTime normalizes a time for comparison: UTC, microseconds, no monotonic
// reading; the zero time stays zero.
func stTime(tm time.Time) time.Time {
	if tm.IsZero() {
		return time.Time{}
	}
	return tm.UTC().Truncate(time.Microsecond)
}

// stBytes normalizes an empty byte slice to nil.
func stBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func stLink(l itsm.Link) itsm.Link {
	l.CreatedAt = stTime(l.CreatedAt)
	l.UpdatedAt = stTime(l.UpdatedAt)
	l.LastPushedAt = stTime(l.LastPushedAt)
	return l
}

func stLinks(ls []itsm.Link) []itsm.Link {
	out := make([]itsm.Link, 0, len(ls))
	for _, l := range ls {
		out = append(out, stLink(l))
	}
	return out
}

func stPending(p itsm.PendingCreate) itsm.PendingCreate {
	p.StartedAt = stTime(p.StartedAt)
	p.UpdatedAt = stTime(p.UpdatedAt)
	return p
}

func stNote(n itsm.PostedNote) itsm.PostedNote {
	n.PostedAt = stTime(n.PostedAt)
	return n
}

func stNotes(m map[string]itsm.PostedNote) map[string]itsm.PostedNote {
	out := make(map[string]itsm.PostedNote, len(m))
	for k, n := range m {
		out[k] = stNote(n)
	}
	return out
}

func stLease(l itsm.Lease) itsm.Lease {
	l.ExpiresAt = stTime(l.ExpiresAt)
	return l
}

func stIntegration(in itsm.Integration) itsm.Integration {
	in.Config = stBytes(in.Config)
	in.CreatedAt = stTime(in.CreatedAt)
	in.UpdatedAt = stTime(in.UpdatedAt)
	in.Status.CheckedAt = stTime(in.Status.CheckedAt)
	return in
}

func stToken(tk itsm.CallbackToken) itsm.CallbackToken {
	tk.Hash = stBytes(tk.Hash)
	tk.CreatedAt = stTime(tk.CreatedAt)
	tk.ExpiresAt = stTime(tk.ExpiresAt)
	tk.RevokedAt = stTime(tk.RevokedAt)
	tk.LastUsedAt = stTime(tk.LastUsedAt)
	return tk
}

func stInbound(s itsm.InboundState) itsm.InboundState {
	s.OccurredAt = stTime(s.OccurredAt)
	s.UpdatedAt = stTime(s.UpdatedAt)
	return s
}

// stListedTokens checks a ListTokens result against want, in order. Listed
// tokens may omit Hash; when one carries it, it must be the stored hash.
func stListedTokens(t *testing.T, want, got []itsm.CallbackToken) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if len(got[i].Hash) > 0 {
			assert.True(t, bytes.Equal(want[i].Hash, got[i].Hash), "token %d: listed Hash is not the stored hash", i)
		}
		w, g := stToken(want[i]), stToken(got[i])
		w.Hash, g.Hash = nil, nil
		assert.Equal(t, w, g, "token %d", i)
	}
}

// stIs asserts that err wraps target.
func stIs(t *testing.T, err, target error, msgAndArgs ...any) bool {
	t.Helper()
	return assert.ErrorIs(t, err, target, msgAndArgs...)
}

// stCanceled returns a context that is already canceled.
func stCanceled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

// stErrorCases check the error contract: a store error wraps ErrStore; a
// documented outcome is its sentinel. A canceled context is the one fault
// the suite can cause in every store: a store that ignores the context
// answers normally, one that honors it must wrap ErrStore.
var stErrorCases = []stCase{
	{"CanceledContext", func(t *testing.T, s Store) {
		ctx := stCanceled(t)
		now := stBase
		check := func(name string, err error, allowed ...error) {
			t.Helper()
			if err == nil {
				return
			}
			for _, a := range allowed {
				if errors.Is(err, a) {
					return
				}
			}
			assert.ErrorIs(t, err, itsm.ErrStore, "%s with a canceled context: %v", name, err)
		}
		_, err := s.GetLink(ctx, "int-1", "case-01")
		check("GetLink", err, itsm.ErrNotFound)
		_, err = s.GetLinkByTicket(ctx, "int-1", "T-1")
		check("GetLinkByTicket", err, itsm.ErrNotFound)
		check("PutLink", s.PutLink(ctx, stLinkFixture("int-1", "case-01", "T-1")))
		check("DeleteLink", s.DeleteLink(ctx, "int-1", "case-01"))
		_, err = s.ListLinks(ctx, "int-1", "", 10, false)
		check("ListLinks", err)
		check("CreatePending", s.CreatePending(ctx, stPendingFixture("int-1", "case-02")), itsm.ErrConflict)
		_, err = s.GetPending(ctx, "int-1", "case-02")
		check("GetPending", err, itsm.ErrNotFound)
		check("UpdatePending", s.UpdatePending(ctx, stPendingFixture("int-1", "case-02")), itsm.ErrNotFound)
		check("CompletePending", s.CompletePending(ctx, stLinkFixture("int-1", "case-02", "T-2")), itsm.ErrConflict)
		check("DeletePending", s.DeletePending(ctx, "int-1", "case-02"))
		_, err = s.PostedNotes(ctx, "int-1", "case-01")
		check("PostedNotes", err)
		check("MarkNotePosted", s.MarkNotePosted(ctx, stNoteFixture("int-1", "case-01", "note-1")), itsm.ErrConflict)
		check("UpdatePostedNote", s.UpdatePostedNote(ctx, stNoteFixture("int-1", "case-01", "note-1")), itsm.ErrNotFound)
		_, err = s.AcquireLease(ctx, "sync:case-01", "replica-a", now, time.Minute)
		check("AcquireLease", err, itsm.ErrLeaseHeld)
		check("ReleaseLease", s.ReleaseLease(ctx, "sync:case-01", "replica-a"))
		_, err = s.GetLease(ctx, "sync:case-01")
		check("GetLease", err, itsm.ErrNotFound)
		check("PutIntegration", s.PutIntegration(ctx, stIntegrationFixture("int-1", "ws-1")), itsm.ErrIntegrationExists)
		_, err = s.GetIntegration(ctx, "int-1")
		check("GetIntegration", err, itsm.ErrNotFound)
		_, err = s.GetIntegrationByWorkspace(ctx, "ws-1")
		check("GetIntegrationByWorkspace", err, itsm.ErrNotFound)
		check("DeleteIntegration", s.DeleteIntegration(ctx, "int-1"))
		check("SetIntegrationStatus", s.SetIntegrationStatus(ctx, "int-1", itsm.IntegrationStatus{State: itsm.StateConfigured}), itsm.ErrNotFound)
		check("PutToken", s.PutToken(ctx, stTokenFixture("tok-1", "int-1", 1, now)))
		_, err = s.GetTokenByHash(ctx, stHash(1))
		check("GetTokenByHash", err, itsm.ErrNotFound)
		_, err = s.ListTokens(ctx, "int-1")
		check("ListTokens", err)
		check("RevokeToken", s.RevokeToken(ctx, "tok-1", now), itsm.ErrNotFound)
		check("TouchToken", s.TouchToken(ctx, "tok-1", now), itsm.ErrNotFound)
		_, err = s.ClaimDelivery(ctx, "int-1", "d-1", now, time.Hour)
		check("ClaimDelivery", err)
		check("ReleaseDelivery", s.ReleaseDelivery(ctx, "int-1", "d-1"))
		_, err = s.GetInboundState(ctx, "int-1", "T-1")
		check("GetInboundState", err, itsm.ErrNotFound)
		_, err = s.AdvanceInboundState(ctx, stInboundFixture("int-1", "T-1", 1, now))
		check("AdvanceInboundState", err)
	}},
}

// Store is everything the SDK keeps, as memstore and sqlstore implement it:
// what the Syncer, the Registry and the inbound side each consume.
type Store interface {
	itsm.SyncStore
	itsm.IntegrationStore
	callback.InboundStore
	callback.TokenStore
}
