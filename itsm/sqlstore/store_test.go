package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// backends runs fn against a fresh, migrated store on each engine.
func backends(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, sqlstoretest.NewSQLiteStore(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, sqlstoretest.NewPostgresStore(t))
	})
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// micro is t truncated to what the store keeps.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.OpenSQLite(t)
	tests := []struct {
		name    string
		db      *sql.DB
		dialect sqlstore.Dialect
		opts    []sqlstore.Option
	}{
		{"nil db", nil, sqlstore.SQLite, nil},
		{"unknown dialect", db, sqlstore.Dialect("mysql"), nil},
		{"prefix with quote", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithTablePrefix(`x"; DROP TABLE y; --`)}},
		{"prefix upper case", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithTablePrefix("Itsm_")}},
		{"schema on sqlite", db, sqlstore.SQLite, []sqlstore.Option{sqlstore.WithSchema("itsm")}},
		{"schema with dot", db, sqlstore.Postgres, []sqlstore.Option{sqlstore.WithSchema("a.b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlstore.New(tt.db, tt.dialect, tt.opts...)
			require.ErrorIs(t, err, sqlstore.ErrInvalidOption)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve, "the SDK's one validation error shape")
			assert.ErrorIs(t, err, itsm.ErrInvalidConfig)
			assert.NotEmpty(t, ve.Errors)
			assert.Equal(t, 1, strings.Count(err.Error(), "sqlstore:"), "one package prefix: %v", err)
			assert.Nil(t, s)
		})
	}
	s, err := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithTablePrefix(""), nil)
	require.NoError(t, err)
	assert.Equal(t, sqlstore.SQLite, s.Dialect())
}

func TestTimesRoundTrip(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		cases := map[string]time.Time{
			"zero":         {},
			"nanos":        t0,
			"other zone":   t0.In(time.FixedZone("X", 5*3600)),
			"before epoch": time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
			"epoch":        time.Unix(0, 0),
			"far future":   time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		}
		for name, tm := range cases {
			t.Run(name, func(t *testing.T) {
				l := itsm.Link{IntegrationID: "i", CaseID: name, TicketID: "T", CreatedAt: tm, UpdatedAt: tm, LastPushedAt: tm}
				require.NoError(t, s.PutLink(ctx, l))
				got, err := s.GetLink(ctx, "i", name)
				require.NoError(t, err)
				want := micro(tm).UTC()
				if tm.IsZero() {
					want = time.Time{}
				}
				assert.Equal(t, want, got.CreatedAt) // same struct: UTC, no monotonic reading
				assert.Equal(t, want, got.LastPushedAt)
				assert.Equal(t, tm.IsZero(), got.LastPushedAt.IsZero())
			})
		}
	})
}

func TestLinks(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		_, err := s.GetLink(ctx, "i", "c1")
		require.ErrorIs(t, err, itsm.ErrNotFound)

		l := itsm.Link{IntegrationID: "i", CaseID: "c1", TicketID: "10001", TicketKey: "SEC-1", URL: "https://x/SEC-1",
			CreatedAt: micro(t0), UpdatedAt: micro(t0), LastPushedStatus: "Open", LastPushedAt: micro(t0), Closed: true}
		require.NoError(t, s.PutLink(ctx, l))
		got, err := s.GetLink(ctx, "i", "c1")
		require.NoError(t, err)
		assert.Equal(t, l, got)

		for _, id := range []string{"10001", "SEC-1"} {
			got, err = s.GetLinkByTicket(ctx, "i", id)
			require.NoError(t, err, id)
			assert.Equal(t, "c1", got.CaseID)
		}
		_, err = s.GetLinkByTicket(ctx, "other", "10001")
		require.ErrorIs(t, err, itsm.ErrNotFound)
		_, err = s.GetLinkByTicket(ctx, "i", "")
		require.ErrorIs(t, err, itsm.ErrNotFound)

		// A ticket id match beats another link's key match.
		require.NoError(t, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: "c0", TicketID: "SEC-9", TicketKey: "10001"}))
		got, err = s.GetLinkByTicket(ctx, "i", "10001")
		require.NoError(t, err)
		assert.Equal(t, "c1", got.CaseID)

		l.TicketID, l.Closed = "10002", false
		require.NoError(t, s.PutLink(ctx, l))
		got, err = s.GetLink(ctx, "i", "c1")
		require.NoError(t, err)
		assert.Equal(t, "10002", got.TicketID)
		assert.False(t, got.Closed)

		require.NoError(t, s.DeleteLink(ctx, "i", "c1"))
		require.NoError(t, s.DeleteLink(ctx, "i", "c1"))
		_, err = s.GetLink(ctx, "i", "c1")
		require.ErrorIs(t, err, itsm.ErrNotFound)
	})
}

func TestListLinksPagesInByteOrder(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		// Mixed case and non-ASCII ids: the order must be Go's byte order
		// whatever the database's collation.
		ids := []string{"B", "a", "Z9", "ä", "a-1", "_x", "10", "9"}
		for i, id := range ids {
			require.NoError(t, s.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: id, TicketID: id, Closed: i%3 == 0}))
		}
		require.NoError(t, s.PutLink(ctx, itsm.Link{IntegrationID: "other", CaseID: "A", TicketID: "A"}))
		want := []string{"10", "9", "B", "Z9", "_x", "a", "a-1", "ä"}
		wantOpen := []string{"10", "9", "Z9", "a", "a-1", "ä"} // B, _x... see Closed pattern below
		closed := map[string]bool{}
		for i, id := range ids {
			closed[id] = i%3 == 0
		}
		wantOpen = wantOpen[:0]
		for _, id := range want {
			if !closed[id] {
				wantOpen = append(wantOpen, id)
			}
		}
		for _, tt := range []struct {
			name     string
			openOnly bool
			want     []string
		}{{"all", false, want}, {"open only", true, wantOpen}} {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				after := ""
				for {
					page, err := s.ListLinks(ctx, "i", after, 3, tt.openOnly)
					require.NoError(t, err)
					for _, l := range page {
						got = append(got, l.CaseID)
					}
					if len(page) < 3 {
						break
					}
					after = page[len(page)-1].CaseID
				}
				assert.Equal(t, tt.want, got)
			})
		}
		page, err := s.ListLinks(ctx, "i", "", 0, false)
		require.NoError(t, err)
		assert.Empty(t, page)
	})
}

func TestPendingCreates(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		p := itsm.PendingCreate{IntegrationID: "i", CaseID: "c", CorrelationKey: "k", State: itsm.PendingInFlight,
			Attempts: 1, StartedAt: micro(t0), UpdatedAt: micro(t0)}
		require.ErrorIs(t, s.UpdatePending(ctx, p), itsm.ErrNotFound)
		require.NoError(t, s.CreatePending(ctx, p))
		dup := p
		dup.CorrelationKey = "other"
		require.ErrorIs(t, s.CreatePending(ctx, dup), itsm.ErrConflict)
		got, err := s.GetPending(ctx, "i", "c")
		require.NoError(t, err)
		assert.Equal(t, p, got)

		p.State, p.Attempts, p.LastError = itsm.PendingUnknown, 2, "timeout"
		require.NoError(t, s.UpdatePending(ctx, p))
		got, err = s.GetPending(ctx, "i", "c")
		require.NoError(t, err)
		assert.Equal(t, p, got)

		l := itsm.Link{IntegrationID: "i", CaseID: "c", TicketID: "T-1", CreatedAt: micro(t0), UpdatedAt: micro(t0)}
		require.NoError(t, s.CompletePending(ctx, l))
		_, err = s.GetPending(ctx, "i", "c")
		require.ErrorIs(t, err, itsm.ErrNotFound)
		gotLink, err := s.GetLink(ctx, "i", "c")
		require.NoError(t, err)
		assert.Equal(t, l, gotLink)
		// Without a pending create it writes nothing: a conflict.
		l.CaseID = "c2"
		require.ErrorIs(t, s.CompletePending(ctx, l), itsm.ErrConflict)
		_, err = s.GetLink(ctx, "i", "c2")
		require.ErrorIs(t, err, itsm.ErrNotFound)

		require.NoError(t, s.CreatePending(ctx, p))
		require.NoError(t, s.DeletePending(ctx, "i", "c"))
		require.NoError(t, s.DeletePending(ctx, "i", "c"))
		_, err = s.GetPending(ctx, "i", "c")
		require.ErrorIs(t, err, itsm.ErrNotFound)
	})
}

func TestPostedNotes(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		notes, err := s.PostedNotes(ctx, "i", "c")
		require.NoError(t, err)
		assert.Empty(t, notes)
		n := itsm.PostedNote{IntegrationID: "i", CaseID: "c", NoteID: "n1", TicketID: "T", CommentID: "77", TextHash: "h1", PostedAt: micro(t0)}
		require.ErrorIs(t, s.UpdatePostedNote(ctx, n), itsm.ErrNotFound)
		require.NoError(t, s.MarkNotePosted(ctx, n))
		again := n
		again.TextHash = "h2"
		require.ErrorIs(t, s.MarkNotePosted(ctx, again), itsm.ErrConflict)
		require.NoError(t, s.MarkNotePosted(ctx, itsm.PostedNote{IntegrationID: "i", CaseID: "c", NoteID: "n2", TextHash: "x"}))
		require.NoError(t, s.MarkNotePosted(ctx, itsm.PostedNote{IntegrationID: "i", CaseID: "other", NoteID: "n1"}))
		notes, err = s.PostedNotes(ctx, "i", "c")
		require.NoError(t, err)
		require.Len(t, notes, 2)
		assert.Equal(t, n, notes["n1"])
		require.NoError(t, s.UpdatePostedNote(ctx, again))
		notes, err = s.PostedNotes(ctx, "i", "c")
		require.NoError(t, err)
		assert.Equal(t, "h2", notes["n1"].TextHash)
	})
}

func TestLeases(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		_, err := s.GetLease(ctx, "k")
		require.ErrorIs(t, err, itsm.ErrNotFound)
		l, err := s.AcquireLease(ctx, "k", "a", t0, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, itsm.Lease{Key: "k", Holder: "a", ExpiresAt: micro(t0.Add(time.Minute))}, l)

		cur, err := s.AcquireLease(ctx, "k", "b", t0.Add(30*time.Second), time.Minute)
		require.ErrorIs(t, err, itsm.ErrLeaseHeld)
		assert.Equal(t, l, cur)

		renewed, err := s.AcquireLease(ctx, "k", "a", t0.Add(30*time.Second), time.Minute)
		require.NoError(t, err)
		assert.Equal(t, micro(t0.Add(90*time.Second)), renewed.ExpiresAt)

		// Expired exactly at now: another holder takes it.
		taken, err := s.AcquireLease(ctx, "k", "b", renewed.ExpiresAt, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, "b", taken.Holder)

		require.NoError(t, s.ReleaseLease(ctx, "k", "a")) // not the holder: no-op
		got, err := s.GetLease(ctx, "k")
		require.NoError(t, err)
		assert.Equal(t, taken, got)
		require.NoError(t, s.ReleaseLease(ctx, "k", "b"))
		_, err = s.GetLease(ctx, "k")
		require.ErrorIs(t, err, itsm.ErrNotFound)
		_, err = s.AcquireLease(ctx, "k", "a", t0, time.Minute)
		require.NoError(t, err)
	})
}

func TestCooldown(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		until, err := s.CooldownUntil(ctx, "c", t0)
		require.NoError(t, err)
		assert.True(t, until.IsZero())

		ok, end, err := s.TryStartCooldown(ctx, "c", t0, t0.Add(10*time.Minute))
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, micro(t0.Add(10*time.Minute)), end)

		ok, end, err = s.TryStartCooldown(ctx, "c", t0.Add(time.Minute), t0.Add(11*time.Minute))
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Equal(t, micro(t0.Add(10*time.Minute)), end)

		// Ended exactly at now: a new one starts.
		ok, _, err = s.TryStartCooldown(ctx, "c", t0.Add(10*time.Minute), t0.Add(20*time.Minute))
		require.NoError(t, err)
		assert.True(t, ok)

		require.NoError(t, s.StartCooldown(ctx, "c", t0.Add(5*time.Minute))) // shorter: replaces
		until, err = s.CooldownUntil(ctx, "c", t0)
		require.NoError(t, err)
		assert.Equal(t, micro(t0.Add(5*time.Minute)), until)

		require.NoError(t, s.ClearCooldown(ctx, "c"))
		until, err = s.CooldownUntil(ctx, "c", t0)
		require.NoError(t, err)
		assert.False(t, until.After(t0))
		ok, _, err = s.TryStartCooldown(ctx, "c", t0, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.True(t, ok)
	})
}

func TestIntegrations(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		a := itsm.Integration{ID: "a", Workspace: "w1", Config: []byte(`{"name":"jira"}`), CreatedAt: micro(t0), UpdatedAt: micro(t0)}
		require.NoError(t, s.PutIntegration(ctx, a))
		got, err := s.GetIntegration(ctx, "a")
		require.NoError(t, err)
		assert.Equal(t, a, got)

		b := itsm.Integration{ID: "b", Workspace: "w1"}
		require.ErrorIs(t, s.PutIntegration(ctx, b), itsm.ErrIntegrationExists)
		_, err = s.GetIntegration(ctx, "b")
		require.ErrorIs(t, err, itsm.ErrNotFound)

		a.Config = []byte(`{"name":"jira2"}`)
		require.NoError(t, s.PutIntegration(ctx, a)) // replace the same id
		b.Workspace = "w2"
		require.NoError(t, s.PutIntegration(ctx, b))
		// Moving a into b's workspace is refused; moving it to a free one
		// frees w1.
		a.Workspace = "w2"
		require.ErrorIs(t, s.PutIntegration(ctx, a), itsm.ErrIntegrationExists)
		a.Workspace = "w3"
		require.NoError(t, s.PutIntegration(ctx, a))
		_, err = s.GetIntegrationByWorkspace(ctx, "w1")
		require.ErrorIs(t, err, itsm.ErrNotFound)
		got, err = s.GetIntegrationByWorkspace(ctx, "w3")
		require.NoError(t, err)
		assert.Equal(t, "a", got.ID)
		assert.JSONEq(t, `{"name":"jira2"}`, string(got.Config))
		require.NoError(t, s.PutIntegration(ctx, itsm.Integration{ID: "c", Workspace: "w1"}))

		require.NoError(t, s.DeleteIntegration(ctx, "a"))
		require.NoError(t, s.DeleteIntegration(ctx, "a"))
		require.NoError(t, s.PutIntegration(ctx, itsm.Integration{ID: "d", Workspace: "w3"}))
	})
}

func TestTokens(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		tok := func(id string, created time.Time, hash string) itsm.CallbackToken {
			return itsm.CallbackToken{ID: id, IntegrationID: "i", AppName: "siem", Hash: []byte(hash), CreatedAt: micro(created)}
		}
		t2, t1, t3 := tok("t2", t0, "h2"), tok("t1", t0, "h1"), tok("t0", t0.Add(-time.Hour), "h0")
		for _, x := range []itsm.CallbackToken{t2, t1, t3, {ID: "x", IntegrationID: "other", Hash: []byte("hx")}} {
			require.NoError(t, s.PutToken(ctx, x))
		}
		got, err := s.GetTokenByHash(ctx, []byte("h1"))
		require.NoError(t, err)
		assert.Equal(t, t1, got)
		_, err = s.GetTokenByHash(ctx, []byte("nope"))
		require.ErrorIs(t, err, itsm.ErrNotFound)
		_, err = s.GetTokenByHash(ctx, nil)
		require.ErrorIs(t, err, itsm.ErrNotFound)

		list, err := s.ListTokens(ctx, "i")
		require.NoError(t, err)
		var ids []string
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		assert.Equal(t, []string{"t0", "t1", "t2"}, ids)

		require.NoError(t, s.RevokeToken(ctx, "t1", t0.Add(time.Hour)))
		require.NoError(t, s.TouchToken(ctx, "t1", t0.Add(2*time.Hour)))
		require.ErrorIs(t, s.RevokeToken(ctx, "missing", t0), itsm.ErrNotFound)
		require.ErrorIs(t, s.TouchToken(ctx, "missing", t0), itsm.ErrNotFound)
		got, err = s.GetTokenByHash(ctx, []byte("h1"))
		require.NoError(t, err)
		assert.Equal(t, micro(t0.Add(time.Hour)), got.RevokedAt)
		assert.Equal(t, micro(t0.Add(2*time.Hour)), got.LastUsedAt)
		assert.True(t, got.ExpiresAt.IsZero())

		t1.Description = "rotated"
		require.NoError(t, s.PutToken(ctx, t1))
		got, err = s.GetTokenByHash(ctx, []byte("h1"))
		require.NoError(t, err)
		assert.Equal(t, "rotated", got.Description)
		assert.True(t, got.RevokedAt.IsZero())
	})
}

func TestDeliveries(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		ttl := time.Hour
		ok, err := s.ClaimDelivery(ctx, "i", "d1", t0, ttl)
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.ClaimDelivery(ctx, "i", "d1", t0.Add(59*time.Minute), ttl)
		require.NoError(t, err)
		assert.False(t, ok, "duplicate")
		ok, err = s.ClaimDelivery(ctx, "j", "d1", t0, ttl)
		require.NoError(t, err)
		assert.True(t, ok, "another integration")
		// The duplicate did not extend the claim: it expires at t0+ttl.
		ok, err = s.ClaimDelivery(ctx, "i", "d1", t0.Add(ttl), ttl)
		require.NoError(t, err)
		assert.True(t, ok, "expired claim taken over")

		require.NoError(t, s.ReleaseDelivery(ctx, "i", "d1"))
		require.NoError(t, s.ReleaseDelivery(ctx, "i", "d1"))
		ok, err = s.ClaimDelivery(ctx, "i", "d1", t0.Add(ttl), ttl)
		require.NoError(t, err)
		assert.True(t, ok, "released claim")

		// Prune: claims expired at the cut-off go, live ones stay.
		n, err := s.PruneDeliveries(ctx, t0.Add(ttl))
		require.NoError(t, err)
		assert.Equal(t, int64(1), n) // j/d1, expired at t0+ttl
		ok, err = s.ClaimDelivery(ctx, "i", "d1", t0.Add(ttl+time.Minute), ttl)
		require.NoError(t, err)
		assert.False(t, ok, "live claim survives prune")
	})
}

func TestClaimDeliveryPrunesAutomatically(t *testing.T) {
	t.Parallel()
	db := sqlstoretest.OpenSQLite(t)
	s, err := sqlstore.New(db, sqlstore.SQLite, sqlstore.WithPruneEvery(3))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Migrate(ctx))
	count := func() int {
		var n int
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM itsmsync_deliveries").Scan(&n))
		return n
	}
	for i := range 2 {
		ok, err := s.ClaimDelivery(ctx, "i", fmt.Sprint("old", i), t0, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
	}
	assert.Equal(t, 2, count())
	ok, err := s.ClaimDelivery(ctx, "i", "new", t0.Add(time.Hour), time.Minute) // third claim prunes
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 1, count())
}

func TestInboundState(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		st := func(v int64, at time.Time, status string) itsm.InboundState {
			return itsm.InboundState{IntegrationID: "i", TicketID: "T", Version: v, OccurredAt: at, Status: status, UpdatedAt: t0}
		}
		steps := []struct {
			name string
			in   itsm.InboundState
			want bool
		}{
			{"first", st(0, t0, "Open"), true},
			{"same time", st(0, t0, "X"), false},
			{"older", st(0, t0.Add(-time.Second), "X"), false},
			{"later", st(0, t0.Add(time.Second), "In Progress"), true},
			{"version vs none: by time, older", st(5, t0, "X"), false},
			{"version vs none: by time, later", st(5, t0.Add(2*time.Second), "Review"), true},
			{"lower version, later time", st(4, t0.Add(time.Hour), "X"), false},
			{"same version", st(5, t0.Add(time.Hour), "X"), false},
			{"higher version, earlier time", st(6, t0.Add(-time.Hour), "Done"), true},
			{"no version, later time", st(0, t0.Add(time.Minute), "Reopened"), true},
			{"zero time, no version", st(0, time.Time{}, "X"), false},
		}
		for _, step := range steps {
			ok, err := s.AdvanceInboundState(ctx, step.in)
			require.NoError(t, err, step.name)
			assert.Equal(t, step.want, ok, step.name)
		}
		got, err := s.GetInboundState(ctx, "i", "T")
		require.NoError(t, err)
		assert.Equal(t, "Reopened", got.Status)
		assert.Equal(t, micro(t0.Add(time.Minute)), got.OccurredAt)
		_, err = s.GetInboundState(ctx, "i", "other")
		require.ErrorIs(t, err, itsm.ErrNotFound)
		// A zero time is not newer than nothing... but nothing stored means
		// any state is stored.
		ok, err := s.AdvanceInboundState(ctx, itsm.InboundState{IntegrationID: "i", TicketID: "U"})
		require.NoError(t, err)
		assert.True(t, ok)
	})
}

func TestErrorsWrapErrStore(t *testing.T) {
	backends(t, func(t *testing.T, s *sqlstore.Store) {
		// A store on a pool with no tables: every call fails with ErrStore,
		// never ErrNotFound.
		db := sqlstoretest.OpenSQLite(t)
		d := sqlstore.SQLite
		if s.Dialect() == sqlstore.Postgres {
			db = sqlstoretest.OpenPostgres(t)
			d = sqlstore.Postgres
		}
		bare, err := sqlstore.New(db, d)
		require.NoError(t, err)
		ctx := context.Background()
		calls := map[string]error{}
		_, calls["GetLink"] = bare.GetLink(ctx, "i", "c")
		calls["PutLink"] = bare.PutLink(ctx, itsm.Link{})
		calls["CreatePending"] = bare.CreatePending(ctx, itsm.PendingCreate{})
		_, calls["AcquireLease"] = bare.AcquireLease(ctx, "k", "h", t0, time.Second)
		_, _, calls["TryStartCooldown"] = bare.TryStartCooldown(ctx, "k", t0, t0)
		calls["PutIntegration"] = bare.PutIntegration(ctx, itsm.Integration{ID: "a", Workspace: "w"})
		_, calls["ClaimDelivery"] = bare.ClaimDelivery(ctx, "i", "d", t0, time.Second)
		_, calls["AdvanceInboundState"] = bare.AdvanceInboundState(ctx, itsm.InboundState{})
		calls["CompletePending"] = bare.CompletePending(ctx, itsm.Link{})
		for name, err := range calls {
			require.Error(t, err, name)
			assert.ErrorIs(t, err, itsm.ErrStore, name)
			assert.NotErrorIs(t, err, itsm.ErrNotFound, name)
			assert.Regexp(t, `^sqlstore: `, err.Error(), name)
		}
	})
}

func TestErrorsDoNotLeakPassword(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1: the connect error must not carry the
	// password of the DSN.
	const secret = "s3cr3t-P4ss"
	for _, dsn := range []string{
		"postgres://itsm:" + secret + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"host=127.0.0.1 port=1 user=itsm password=" + secret + " dbname=db sslmode=disable connect_timeout=2",
	} {
		db := sqlstoretest.OpenPostgresDSN(t, dsn)
		s, err := sqlstore.New(db, sqlstore.Postgres)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = s.Migrate(ctx)
		cancel()
		require.ErrorIs(t, err, itsm.ErrStore)
		assert.NotContains(t, err.Error(), secret)
		_, err = s.GetLink(context.Background(), "i", "c")
		require.ErrorIs(t, err, itsm.ErrStore)
		assert.NotContains(t, err.Error(), secret)
		assert.False(t, errors.Is(err, itsm.ErrNotFound))
	}
}
