package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// sqliteReplicas returns two stores on two pools over one SQLite file, as
// two processes of one node would hold.
func sqliteReplicas(t *testing.T) (*sqlstore.Store, *sqlstore.Store) {
	t.Helper()
	dsn := sqlstoretest.SQLiteDSN(filepath.Join(t.TempDir(), "shared.db"))
	var stores [2]*sqlstore.Store
	for i := range stores {
		db := sqlstoretest.OpenSQLiteDSN(t, dsn)
		s, err := sqlstore.New(db, sqlstore.SQLite)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	return stores[0], stores[1]
}

// postgresReplicas returns two stores on two pools over one fresh schema.
func postgresReplicas(t *testing.T) (*sqlstore.Store, *sqlstore.Store) {
	t.Helper()
	dsn := sqlstoretest.PostgresDSN(t)
	return sqlstoretest.NewPostgresStoreDSN(t, dsn), sqlstoretest.NewPostgresStoreDSN(t, dsn)
}

// raceWorkers goroutines race on one key, split across the two replicas.
const raceWorkers = 40

// race runs op on raceWorkers goroutines released at once, worker i on
// replica i%2, and returns how many reported a win. Any error other than
// the losing sentinel fails the test.
func race(t *testing.T, a, b *sqlstore.Store, op func(s *sqlstore.Store, i int) (bool, error)) int {
	t.Helper()
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, raceWorkers)
	for i := range raceWorkers {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			<-start
			won, err := op(s, i)
			if err != nil {
				errs <- fmt.Errorf("worker %d: %w", i, err)
				return
			}
			if won {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return int(wins.Load())
}

// lost turns a losing sentinel into (false, nil).
func lost(err error, sentinel error) (bool, error) {
	if err == nil {
		return true, nil
	}
	if errors.Is(err, sentinel) {
		return false, nil
	}
	return false, err
}

func TestReplicasRace(t *testing.T) {
	type pair struct {
		name string
		new  func(t *testing.T) (*sqlstore.Store, *sqlstore.Store)
	}
	for _, p := range []pair{{"sqlite", sqliteReplicas}, {"postgres", postgresReplicas}} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			a, b := p.new(t)
			ctx := context.Background()
			const rounds = 3
			for r := range rounds {
				key := fmt.Sprintf("case-%d", r)
				now := t0.Add(time.Duration(r) * time.Hour)

				wins := race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					_, err := s.AcquireLease(ctx, "sync:"+key, fmt.Sprint("holder-", i), now, time.Minute)
					return lost(err, itsm.ErrLeaseHeld)
				})
				assert.Equal(t, 1, wins, "lease round %d", r)

				// The lease expired: exactly one new holder takes it over.
				wins = race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					_, err := s.AcquireLease(ctx, "sync:"+key, fmt.Sprint("late-", i), now.Add(time.Minute), time.Minute)
					return lost(err, itsm.ErrLeaseHeld)
				})
				assert.Equal(t, 1, wins, "lease takeover round %d", r)

				wins = race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					return lost(s.CreatePending(ctx, itsm.PendingCreate{IntegrationID: "i", CaseID: key,
						CorrelationKey: fmt.Sprint("k-", i), State: itsm.PendingInFlight, StartedAt: now}), itsm.ErrConflict)
				})
				assert.Equal(t, 1, wins, "pending round %d", r)

				wins = race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					return lost(s.MarkNotePosted(ctx, itsm.PostedNote{IntegrationID: "i", CaseID: key, NoteID: "n1",
						CommentID: fmt.Sprint(i), PostedAt: now}), itsm.ErrConflict)
				})
				assert.Equal(t, 1, wins, "note round %d", r)

				wins = race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					return s.ClaimDelivery(ctx, "i", "delivery-"+key, now, time.Hour)
				})
				assert.Equal(t, 1, wins, "delivery claim round %d", r)
				wins = race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					return s.ClaimDelivery(ctx, "i", "delivery-"+key, now.Add(time.Hour), time.Hour)
				})
				assert.Equal(t, 1, wins, "expired delivery claim round %d", r)

				wins = race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					ok, _, err := s.TryStartCooldown(ctx, "cool:"+key, now, now.Add(10*time.Minute))
					return ok, err
				})
				assert.Equal(t, 1, wins, "cooldown round %d", r)

				wins = race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					return lost(s.PutIntegration(ctx, itsm.Integration{ID: fmt.Sprint("int-", r, "-", i), Workspace: "ws-" + key}),
						itsm.ErrIntegrationExists)
				})
				assert.Equal(t, 1, wins, "integration round %d", r)

				// Every worker advances to the same version: one applies it.
				wins = race(t, a, b, func(s *sqlstore.Store, i int) (bool, error) {
					return s.AdvanceInboundState(ctx, itsm.InboundState{IntegrationID: "i", TicketID: key, Version: 7,
						OccurredAt: now, Status: fmt.Sprint("s", i)})
				})
				assert.Equal(t, 1, wins, "inbound state round %d", r)
			}
			// Each replica sees what the other wrote.
			p, err := b.GetPending(ctx, "i", "case-0")
			require.NoError(t, err)
			_, err = a.GetPending(ctx, "i", "case-0")
			require.NoError(t, err)
			assert.Equal(t, itsm.PendingInFlight, p.State)
		})
	}
}

func TestCompletePendingIsAtomicAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b := postgresReplicas(t)
	ctx := context.Background()
	for i := range 20 {
		c := fmt.Sprint("case-", i)
		require.NoError(t, a.CreatePending(ctx, itsm.PendingCreate{IntegrationID: "i", CaseID: c, State: itsm.PendingInFlight}))
		var wg sync.WaitGroup
		wg.Go(func() {
			assert.NoError(t, a.CompletePending(ctx, itsm.Link{IntegrationID: "i", CaseID: c, TicketID: "T-" + c}))
		})
		// The other replica never sees the pending create gone without the
		// link, nor the link missing once the pending create is gone.
		wg.Go(func() {
			for {
				_, perr := b.GetPending(ctx, "i", c)
				if errors.Is(perr, itsm.ErrNotFound) {
					_, lerr := b.GetLink(ctx, "i", c)
					assert.NoError(t, lerr, "pending gone, link missing")
					return
				}
				if !assert.NoError(t, perr) {
					return
				}
			}
		})
		wg.Wait()
	}
}

// Two replicas complete the same pending create at once (a zombie's late
// create answer racing the replica that took the case over): exactly one
// wins, and the link is the winner's.
func TestCompletePendingOneWinnerAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b := postgresReplicas(t)
	ctx := context.Background()
	for i := range 20 {
		c := fmt.Sprint("race-", i)
		require.NoError(t, a.CreatePending(ctx, itsm.PendingCreate{IntegrationID: "i", CaseID: c, State: itsm.PendingInFlight}))
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j, s := range []*sqlstore.Store{a, b} {
			wg.Go(func() {
				errs[j] = s.CompletePending(ctx, itsm.Link{IntegrationID: "i", CaseID: c, TicketID: fmt.Sprint("T-", j)})
			})
		}
		wg.Wait()
		winner := -1
		for j, err := range errs {
			if err == nil {
				assert.Equal(t, -1, winner, "case %s: two winners", c)
				winner = j
				continue
			}
			assert.ErrorIs(t, err, itsm.ErrConflict, "case %s: replica %d", c, j)
		}
		require.NotEqual(t, -1, winner, "case %s: no winner", c)
		l, err := b.GetLink(ctx, "i", c)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint("T-", winner), l.TicketID, "case %s: the loser overwrote the link", c)
	}
}
