package acceptance

import (
	"database/sql"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/providers/webhook"
	"github.com/itsmsync/itsmsync/statusmap"
)

func openSQLite(t *testing.T) *sqlstore.Store {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "itsm.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	st, err := sqlstore.New(db, sqlstore.SQLite)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(testContext(t)))
	return st
}

// Replica A sends the create and "crashes" before the answer comes back: its
// pending create stays in_flight and its lease is held. Once the lease has
// expired, replica B syncs the same case: it must find the ticket by its
// correlation key and link it, never create a second one. When A's stalled
// request finally returns, nothing is duplicated either.
func TestExactlyOnceAcrossCrashSQLite(t *testing.T) {
	ctx := testContext(t)
	a := newAcmeDesk(t, acmeToken)
	arrived := make(chan struct{})
	release := make(chan struct{})
	a.onCreate = func(r *http.Request) {
		close(arrived)
		select { // the answer is held back until the test lets it go
		case <-release:
		case <-r.Context().Done():
		}
	}
	var once bool
	t.Cleanup(func() {
		if !once {
			close(release)
		}
	})

	cfg := withAcmeLookup(t, a, acmeConfig(t, a)) // B finds A's ticket by its correlation key
	store := openSQLite(t)
	clk := newClock()
	const ttl = 5 * time.Minute // above the connector's longest call (4 min with the defaults)
	newSyncer := func(holder string) *itsm.Syncer {
		conn, err := httpconn.New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		s, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: cfg.ID, StatusMapper: statusMapper{cfg.StatusMap}, Holder: holder, LeaseTTL: ttl, LookupGrace: itsm.Off}, itsm.WithClock(clk))
		require.NoError(t, err)
		return s
	}
	replicaA, replicaB := newSyncer("replica-a"), newSyncer("replica-b")
	c := itsm.Case{ID: "CASE-77", Title: "ransomware on fs-02", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}

	type outcome struct {
		res itsm.Result
		err error
	}
	doneA := make(chan outcome, 1)
	go func() {
		res, err := replicaA.Sync(ctx, c, nil)
		doneA <- outcome{res, err}
	}()
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("the create never reached AcmeDesk")
	}

	st, err := replicaB.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, itsm.PhaseInFlight, st.Phase)
	require.NotNil(t, st.Pending)
	assert.Equal(t, itsm.PendingInFlight, st.Pending.State)

	// While A's lease is live, B is told the case is in progress.
	_, err = replicaB.Sync(ctx, c, nil)
	assert.ErrorIs(t, err, itsm.ErrInProgress)

	// A is gone for good; its lease runs out. Meanwhile the case moved on.
	clk.Add(ttl + time.Second)
	c.Status = itsm.StatusResolved
	res, err := replicaB.Sync(ctx, c, []itsm.Note{{ID: "n1", Text: "isolated the host"}})
	require.NoError(t, err)
	assert.True(t, res.Recovered, "the ticket was found by its correlation key")
	assert.False(t, res.Created)
	assert.Equal(t, acmeFirstID, res.TicketID)
	assert.Equal(t, 1, res.NotesPosted)
	assert.Equal(t, 1, a.createCount(), "exactly one create")

	link, err := store.GetLink(ctx, cfg.ID, c.ID)
	require.NoError(t, err)
	assert.Equal(t, acmeFirstID, link.TicketID, "the link keeps the 20-digit id exactly")
	assert.True(t, link.Closed)
	assert.Equal(t, "resolved", link.LastPushedStatus)
	linkB := link
	_, err = store.GetPending(ctx, cfg.ID, c.ID)
	assert.ErrorIs(t, err, itsm.ErrNotFound, "the pending create is resolved")

	// The zombie wakes up: its create answer arrives late.
	once = true
	close(release)
	var za outcome
	select {
	case za = <-doneA:
	case <-ctx.Done():
		t.Fatal("replica A never returned")
	}
	t.Logf("zombie replica A: result %+v, err %v", za.res, za.err)
	// A's create answer names the ticket B already linked: A adopts B's link
	// and reports the ticket as recovered, not created.
	assert.NoError(t, za.err)
	assert.False(t, za.res.Created, "the zombie did not create the linked ticket's link")
	assert.True(t, za.res.Recovered)
	assert.Equal(t, acmeFirstID, za.res.TicketID)
	assert.Equal(t, 1, a.createCount(), "the zombie creates nothing more")
	zombieLink, err := store.GetLink(ctx, cfg.ID, c.ID)
	require.NoError(t, err)
	assert.Equal(t, acmeFirstID, zombieLink.TicketID)

	// And the next sync after the cooldown is a plain update.
	clk.Add(itsm.DefaultCooldownPeriod + time.Second)
	res, err = replicaB.Sync(ctx, c, []itsm.Note{{ID: "n1", Text: "isolated the host"}})
	require.NoError(t, err)
	assert.True(t, res.Updated)
	assert.Equal(t, 0, res.NotesPosted)
	assert.Equal(t, 1, a.createCount())
	assert.Len(t, a.snapshot(acmeFirstID).Comments, 1)

	// The late create answer of the replica whose lease had expired must not
	// overwrite B's link (CompletePending is conditional on the pending
	// create): Closed and LastPushedStatus stay what B pushed.
	assert.Equal(t, linkB, zombieLink, "the zombie's late create left B's link alone")
}

// statusMapper adapts a statusmap.Map to itsm.StatusMapper, which the
// Syncer needs to record the pushed status (the SDK exports no adapter).
type statusMapper struct{ m statusmap.Map }

func (s statusMapper) ITSMStatus(st itsm.Status) string {
	label, _ := s.m.ToITSM(string(st))
	return label
}

func (s statusMapper) ITSMPriority(sev itsm.Severity) string { return "" }

// Eight replicas click "Sync With ITSM" on the same new case at once, over
// one SQLite database: one ticket is created, every other click is refused
// as in progress or cooling down, and nothing is left pending.
func TestConcurrentClicksSQLite(t *testing.T) {
	ctx := testContext(t)
	a := newAcmeDesk(t, acmeToken)
	cfg := acmeConfig(t, a)
	store := openSQLite(t)
	clk := newClock()
	const replicas = 8
	syncers := make([]*itsm.Syncer, replicas)
	for i := range syncers {
		conn, err := httpconn.New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		syncers[i], err = itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: cfg.ID}, itsm.WithClock(clk))
		require.NoError(t, err)
	}
	c := itsm.Case{ID: "CASE-1", Title: "click storm"}
	notes := []itsm.Note{{ID: "n1", Text: "first"}, {ID: "n2", Text: "second"}}
	errs := make(chan error, replicas)
	start := make(chan struct{})
	for _, s := range syncers {
		go func() {
			<-start
			_, err := s.Sync(ctx, c, notes)
			errs <- err
		}()
	}
	close(start)
	var ok int
	for range replicas {
		err := <-errs
		switch {
		case err == nil:
			ok++
		case errors.Is(err, itsm.ErrInProgress), errors.Is(err, itsm.ErrCoolingDown):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	assert.GreaterOrEqual(t, ok, 1)
	assert.Equal(t, 1, a.createCount(), "exactly one ticket")
	tk := a.snapshot(acmeFirstID)
	require.NotNil(t, tk)
	assert.Len(t, tk.Comments, 2, "each note posted once")
	_, err := store.GetPending(ctx, cfg.ID, c.ID)
	assert.ErrorIs(t, err, itsm.ErrNotFound)
}

// withAcmeLookup turns on the generic preset's lookup (opt-in: what
// webhook.Options.Lookup adds) in cfg.
func withAcmeLookup(t *testing.T, a *acmeDesk, cfg httpconn.Config) httpconn.Config {
	t.Helper()
	lookup, err := webhook.Preset(webhook.Options{BaseURL: a.URL(), Lookup: true, Network: httpconn.NetworkConfig{AllowLoopback: true}})
	require.NoError(t, err)
	cfg.Lookup = lookup.Lookup
	require.NoError(t, cfg.Validate())
	return cfg
}
