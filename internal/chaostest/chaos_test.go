package chaostest

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// capabilities is what one run's integration can do: whether its
// configuration has a ticket lookup (the connector is an itsm.Finder) and a
// comment lookup (an itsm.CommentFinder, with the notes request writing
// $note_marker), and the Syncer's policy for a note whose outcome is
// unknown. Each variant of the chaos test proves the guarantee of one
// combination (see the package documentation).
type capabilities struct {
	TicketLookup  bool            `json:"ticket_lookup"`
	CommentLookup bool            `json:"comment_lookup"`
	Notes         itsm.NotePolicy `json:"notes"`
}

func (c capabilities) String() string {
	return fmt.Sprintf("ticket lookup %v, comment lookup %v, notes %s", c.TicketLookup, c.CommentLookup, c.Notes)
}

// The capability combinations the chaos test proves a guarantee for.
var (
	// capsBoth: a ticket lookup and a comment lookup.
	capsBoth = capabilities{TicketLookup: true, CommentLookup: true, Notes: itsm.NotesAtLeastOnce}
	// capsAtLeastOnce: a ticket lookup, no comment lookup, the default note
	// policy.
	capsAtLeastOnce = capabilities{TicketLookup: true, Notes: itsm.NotesAtLeastOnce}
	// capsAtMostOnce: a ticket lookup, no comment lookup, NotesAtMostOnce.
	capsAtMostOnce = capabilities{TicketLookup: true, Notes: itsm.NotesAtMostOnce}
	// capsNone: neither lookup, the default note policy.
	capsNone = capabilities{Notes: itsm.NotesAtLeastOnce}
)

// chaosVariants are the capability combinations every store is tested with.
var chaosVariants = []struct {
	name string
	caps capabilities
}{
	{"lookup+comment_lookup", capsBoth},
	{"lookup/at_least_once", capsAtLeastOnce},
	{"lookup/at_most_once", capsAtMostOnce},
	{"no_lookup", capsNone},
}

// Size of a run: the workers, the cases they share and the notes per case.
const (
	chaosWorkers = 3
	chaosCases   = 20
	chaosNotes   = 3
	// defaultChaosPhase is how long workers run under faults and kills;
	// ITSMSYNC_CHAOS_PHASE (a Go duration) overrides it for longer soaks.
	defaultChaosPhase = 12 * time.Second
	// envWorker carries a worker's spec (JSON) to the re-executed test
	// binary; envSeed replays a run's random choices.
	envWorker = "ITSMSYNC_CHAOS_WORKER"
	envSeed   = "ITSMSYNC_CHAOS_SEED"
	envPhase  = "ITSMSYNC_CHAOS_PHASE"
)

// chaosConfig is the integration every worker and the final pass use: the
// generic HTTP connector pointed at the fake ITSM, with timeouts and retries
// small enough that a lease (which must outlast the longest call) expires
// within the run. The notes request writes the note id (for the fake's
// accounting) and the note's marker ($note_marker), which the comment
// lookup (when caps has one) finds again; the ticket lookup (when caps has
// one) proves each listed ticket by its correlation_key field, because the
// fake's list ignores its filter as most real list endpoints do.
func chaosConfig(baseURL string, caps capabilities) httpconn.Config {
	cfg := httpconn.Config{
		Name:     "Chaos ITSM",
		Provider: "webhook",
		Create: httpconn.EndpointConfig{
			Method:  "POST",
			URL:     baseURL + "/tickets",
			Payload: `{"title":"$case_name","status":"$status","correlation_key":"$correlation_key"}`,
		},
		TicketIDPath: "id",
		Update: httpconn.EndpointConfig{
			Method:  "PUT",
			URL:     baseURL + "/tickets/$ticket_id",
			Payload: `{"title":"$case_name","status":"$status"}`,
		},
		Comment: httpconn.CommentConfig{
			Method:        "POST",
			URL:           baseURL + "/tickets/$ticket_id/comments",
			Payload:       `{"body":"$note_text","note_id":"$note_id","marker":"$note_marker"}`,
			CommentIDPath: "id",
		},
		Network:  httpconn.NetworkConfig{AllowLoopback: true},
		Timeouts: httpconn.Timeouts{Request: httpconn.Duration(time.Second)},
		Retry: httpconn.RetryConfig{
			MaxAttempts:   2,
			WaitMin:       httpconn.Duration(20 * time.Millisecond),
			WaitMax:       httpconn.Duration(200 * time.Millisecond),
			MaxRetryAfter: httpconn.Duration(200 * time.Millisecond),
		},
	}
	if caps.CommentLookup {
		cfg.CommentLookup = httpconn.CommentLookupConfig{
			Method:    "GET",
			URL:       baseURL + "/tickets/$ticket_id/comments",
			ItemsPath: "@this",
			MatchPath: "marker",
			IDPath:    "id",
		}
	}
	if caps.TicketLookup {
		cfg.Lookup = httpconn.LookupConfig{
			Method:       "GET",
			URL:          baseURL + "/tickets?correlation_key=$correlation_key",
			ItemsPath:    "@this",
			TicketIDPath: "id",
			MatchPath:    "correlation_key",
		}
	}
	return cfg
}

// newChaosSyncer builds the Syncer of one worker (or of the final pass):
// the lease just outlasts the connector's longest call, the lookup grace is
// short (the fake lists a ticket as soon as it is stored) and cooldowns are
// off so every worker may sync every case at any time. Its connector and
// note policy have the capabilities of spec.Caps.
func newChaosSyncer(t testing.TB, spec workerSpec, store itsm.SyncStore, holder string, logger *slog.Logger, opts ...itsm.Option) *itsm.Syncer {
	t.Helper()
	opts = append([]itsm.Option{itsm.WithLogger(logger)}, opts...)
	cfg := chaosConfig(spec.ITSMURL, spec.Caps)
	cfg.ID = spec.IntegrationID
	if spec.Name != "" {
		cfg.Headers = map[string]string{workerHeader: spec.Name, senderHeader: spec.Sender}
	}
	conn, err := httpconn.New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.Equal(t, spec.Caps.TicketLookup, conn.CanFind(), "ticket lookup configured")
	require.Equal(t, spec.Caps.CommentLookup, conn.CanFindComments(), "comment lookup configured")
	s, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{
		IntegrationID:    spec.IntegrationID,
		Holder:           holder,
		LeaseTTL:         conn.MaxCallDuration() + time.Second,
		LookupGrace:      300 * time.Millisecond,
		CooldownPeriod:   itsm.Off,
		UnconfirmedNotes: spec.Caps.Notes,
	}, opts...)
	require.NoError(t, err)
	return s
}

// workerSpec tells a worker process what to do.
type workerSpec struct {
	Name          string       `json:"name"`   // w1, w2 ...
	Sender        string       `json:"sender"` // this process: w1#7 (the run's 7th spawn)
	Caps          capabilities `json:"caps"`
	Store         string       `json:"store"` // "sqlite" or "postgres"
	DSN           string       `json:"dsn"`
	ITSMURL       string       `json:"itsm_url"`
	IntegrationID string       `json:"integration_id"`
	FirstCase     int          `json:"first_case"` // the cases it syncs: [FirstCase, LastCase]
	LastCase      int          `json:"last_case"`
	Seed          uint64       `json:"seed"`
	// Notes arrive over the chaos phase: note j of every case from
	// Start + Phase×(j-1)/chaosNotes on, so comments meet faults, kills and
	// the restart throughout.
	Start    time.Time     `json:"start"`
	Phase    time.Duration `json:"phase"`
	Deadline time.Time     `json:"deadline"` // it exits then, whatever happens
}

// chaosCase is case i and its notes, the same in every process.
func chaosCase(i int) (itsm.Case, []itsm.Note) {
	c := itsm.Case{ID: fmt.Sprintf("CHAOS-%02d", i), Title: fmt.Sprintf("chaos case %d", i), Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	notes := make([]itsm.Note, chaosNotes)
	for j := range notes {
		notes[j] = itsm.Note{ID: fmt.Sprintf("%s-n%d", c.ID, j+1), Text: fmt.Sprintf("note %d of case %d", j+1, i), CreatedAt: base.Add(time.Duration(j) * time.Minute)}
	}
	return c, notes
}

// syncLine is what a worker prints before each sync (Begin: the case id)
// and after it (Class, Err), so the driver knows which case a worker it
// kills was syncing.
type syncLine struct {
	Begin string `json:"begin,omitempty"`
	Class string `json:"class,omitempty"`
	Err   string `json:"err,omitempty"`
}

// classLookupFailed is a sync ended by a *NeedsAttentionError because the
// ticket lookup failed more than itsm.MaxLookupFailures times: documented
// as transient (later syncs look the ticket up again and the case recovers
// once the ITSM answers), unlike a needs attention without a lookup.
const classLookupFailed = "needs attention: lookup failed"

// classify names how a sync ended, for the summary.
func classify(res itsm.Result, err error) string {
	var (
		ip *itsm.InProgressError
		ou *itsm.OutcomeUnknownError
		lc *itsm.LinkConflictError
		na *itsm.NeedsAttentionError
		tg *itsm.TicketGoneError
	)
	switch {
	case err == nil && res.Created:
		return "created"
	case err == nil && res.Recovered:
		return "recovered"
	case err == nil:
		return "updated"
	case errors.As(err, &ip):
		return "in progress"
	case errors.As(err, &ou):
		return "outcome unknown"
	case errors.As(err, &lc):
		return "link conflict"
	case errors.As(err, &na) && na.LookupFailed:
		return classLookupFailed
	case errors.As(err, &na):
		return "needs attention"
	case errors.As(err, &tg):
		return "ticket gone"
	case errors.Is(err, itsm.ErrStore):
		return "store error"
	case errors.Is(err, itsm.ErrLeaseHeld):
		return "lease lost"
	}
	var (
		sc itsm.StatusCoder
		ne *httpconn.NetworkError
	)
	switch {
	case errors.As(err, &sc) && sc.HTTPStatus() != 0:
		return "ITSM answered " + strconv.Itoa(sc.HTTPStatus())
	case errors.As(err, &ne):
		return "ITSM no answer"
	}
	return "other error"
}

// TestChaosWorker is the worker process of TestChaosSQLite and
// TestChaosPostgres, which re-execute the test binary with envWorker set; run
// directly it skips. It syncs random cases of its range until it is killed or
// its deadline passes, printing one syncLine per sync on stdout.
func TestChaosWorker(t *testing.T) {
	raw := os.Getenv(envWorker)
	if raw == "" {
		t.Skip("the worker process of TestChaosSQLite and TestChaosPostgres: they start it")
	}
	var spec workerSpec
	require.NoError(t, json.Unmarshal([]byte(raw), &spec))
	ctx, cancel := context.WithDeadline(context.Background(), spec.Deadline)
	defer cancel()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := sql.Open(driverOf(spec.Store), spec.DSN)
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(4)
	dialect := sqlstore.Postgres
	if spec.Store == "sqlite" {
		dialect = sqlstore.SQLite
		db.SetMaxOpenConns(1)
	}
	store, err := sqlstore.New(db, dialect)
	require.NoError(t, err)
	pid := os.Getpid()
	s := newChaosSyncer(t, spec, store, spec.Name+"-"+strconv.Itoa(pid), logger)

	rng := mrand.New(mrand.NewPCG(spec.Seed, uint64(pid)))
	out := bufio.NewWriter(os.Stdout)
	statuses := []itsm.Status{itsm.StatusOpen, itsm.StatusInProgress, itsm.StatusOnHold}
	for ctx.Err() == nil {
		c, notes := chaosCase(spec.FirstCase + rng.IntN(spec.LastCase-spec.FirstCase+1))
		c.Status = statuses[rng.IntN(len(statuses))]
		arrived := 1 + int(time.Since(spec.Start)*time.Duration(len(notes))/max(spec.Phase, 1))
		notes = notes[:min(arrived, len(notes))]
		b, _ := json.Marshal(syncLine{Begin: c.ID})
		_, _ = out.Write(append(b, '\n'))
		_ = out.Flush()
		// No timeout of its own: every call is bounded, and a note whose
		// context ended before its comment was sent is not sent (see
		// TestCommentCanceledBeforeSending).
		res, err := s.Sync(ctx, c, notes)
		line := syncLine{Class: classify(res, err)}
		if err != nil {
			line.Err = err.Error()
		}
		b, _ = json.Marshal(line)
		_, _ = out.Write(append(b, '\n'))
		_ = out.Flush()
		pause(ctx, time.Duration(5+rng.IntN(40))*time.Millisecond)
	}
}

func driverOf(store string) string {
	if store == "sqlite" {
		return "sqlite"
	}
	return "pgx"
}

// pause waits d or until ctx ends. These are real processes racing over a
// real database and server: their waits are real time.
func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}

// TestChaosSQLite runs the chaos scenario of every variant over a SQLite
// file of its own; its "database restart" kills every worker at once and
// starts them again.
func TestChaosSQLite(t *testing.T) {
	skipUnlessLinux(t)
	for _, v := range chaosVariants {
		t.Run(v.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chaos.db")
			runChaos(t, v.caps, "sqlite", sqlstoretest.SQLiteDSN(path), nil)
		})
	}
}

// TestChaosPostgres runs the chaos scenario of every variant over one
// PostgreSQL server of its own (started with .ci/postgres.sh; each variant
// has an integration id of its own), which each variant restarts once
// mid-run. Without ITSMSYNC_TEST_POSTGRES_DSN it skips, and fails when CI
// is "true".
func TestChaosPostgres(t *testing.T) {
	skipUnlessLinux(t)
	pg := startChaosPostgres(t)
	for _, v := range chaosVariants {
		t.Run(v.name, func(t *testing.T) {
			runChaos(t, v.caps, "postgres", pg.dsn, pg.restart)
		})
	}
}

func skipUnlessLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the chaos test kills worker processes with SIGKILL and ties them to the test with Pdeathsig: Linux only")
	}
	if testing.Short() {
		t.Skip("the chaos test runs for over a minute per store: not with -short")
	}
}

// chaosSeed is the run's seed: ITSMSYNC_CHAOS_SEED when set, else random.
func chaosSeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv(envSeed); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, envSeed)
		return seed
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// chaosPhase is how long the faults and kills last, shortened when the
// test's deadline is near (a variant's final passes need up to a minute
// under -race).
func chaosPhase(t *testing.T) time.Duration {
	t.Helper()
	phase := defaultChaosPhase
	if v := os.Getenv(envPhase); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, envPhase)
		phase = d
	}
	if dl, ok := t.Deadline(); ok {
		if left := time.Until(dl) - 90*time.Second; left < phase {
			phase = left
		}
	}
	if phase < 5*time.Second {
		t.Skipf("the chaos test needs at least 95 s before the test deadline (-timeout)")
	}
	return phase
}

// chaosRun is one run of the scenario: the worker processes and what they
// reported.
type chaosRun struct {
	t      *testing.T
	spec   workerSpec // the template of every worker's spec
	logDir string

	mu       sync.Mutex // guards the processes; held while one is killed
	procs    map[string]*workerProc
	stopping bool
	spawned  int
	killed   map[string]int // kills by reason

	// statsMu guards what the workers printed. It is not mu: a worker's
	// output is read until it dies, while mu is held waiting for that.
	statsMu sync.Mutex
	syncs   map[string]int    // finished syncs by class
	example map[string]string // the first error of each class
	// restarted is set once the database restart is over; okAfter counts
	// the successful syncs since.
	restarted bool
	okAfter   int
	failures  []string // worker output lines that tell of a failure
	// killedMid names, per worker process (workerSpec.Sender) killed
	// during a sync, the case it was syncing: a comment it had stored may
	// not be recorded, a create it sent (or was about to send) may have an
	// unknown outcome.
	killedMid map[string]string
}

func (r *chaosRun) markRestarted() {
	r.statsMu.Lock()
	r.restarted = true
	r.statsMu.Unlock()
}

func (r *chaosRun) syncedAfterRestart() int {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	return r.okAfter
}

type workerProc struct {
	cmd    *exec.Cmd
	sender string
	done   chan struct{}
	// current is the case of the sync it began and did not finish
	// (guarded by chaosRun.statsMu).
	current string
}

func runChaos(t *testing.T, caps capabilities, storeKind, dsn string, restartDB func(context.Context) error) {
	start := time.Now()
	seed := chaosSeed(t)
	phase := chaosPhase(t)
	t.Logf("seed %d (replay the random choices with %s=%d), chaos phase %s, %d workers × %d cases × %d notes, %s",
		seed, envSeed, seed, phase, chaosWorkers, chaosCases, chaosNotes, caps)
	rng := mrand.New(mrand.NewPCG(seed, 1))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	kills := make(chan killRequest)
	fake := newFakeITSM(t, seed, kills)
	var idb [6]byte
	_, _ = rand.Read(idb[:])
	r := &chaosRun{
		t: t,
		spec: workerSpec{
			Caps:  caps,
			Store: storeKind, DSN: dsn, ITSMURL: fake.URL(), IntegrationID: "chaos-" + hex.EncodeToString(idb[:]),
			FirstCase: 0, LastCase: chaosCases - 1, Seed: seed,
			Start: time.Now(), Phase: phase, Deadline: time.Now().Add(phase + 2*time.Minute),
		},
		logDir:    t.TempDir(),
		procs:     map[string]*workerProc{},
		killed:    map[string]int{},
		syncs:     map[string]int{},
		example:   map[string]string{},
		killedMid: map[string]string{},
	}

	store := openChaosStore(t, storeKind, dsn)
	mctx, mcancel := context.WithTimeout(ctx, time.Minute)
	require.NoError(t, store.Migrate(mctx))
	mcancel()

	// Kill requests from the fake (a worker killed while the fake holds its
	// request) are served for the whole test.
	go func() {
		for {
			select {
			case kr := <-kills:
				r.kill(kr.worker, "mid-request", true)
				close(kr.done)
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(r.killAll) // whatever happens, no worker outlives the test

	fake.setFaulting(true)
	r.mu.Lock()
	for i := range chaosWorkers {
		r.spawn("w" + strconv.Itoa(i+1))
	}
	r.mu.Unlock()

	// The chaos phase: random kills, and one database restart at 40 %. It
	// lasts until workers have synced after the restart (at most a minute
	// more), so the test shows they survive it.
	end := time.Now().Add(phase)
	hardEnd := end.Add(time.Minute)
	restartAt := time.After(phase * 2 / 5)
	restarted := make(chan error, 1)
	var restartTook time.Duration
	restarts := 0
	for now := time.Now(); now.Before(end) || (now.Before(hardEnd) && r.syncedAfterRestart() == 0); now = time.Now() {
		next := time.Duration(500+rng.IntN(2000)) * time.Millisecond
		tm := time.NewTimer(next)
		select {
		case <-tm.C:
			r.kill("w"+strconv.Itoa(1+rng.IntN(chaosWorkers)), "random", true)
		case <-restartAt:
			tm.Stop()
			restarts++
			if restartDB == nil {
				r.restartAll()
				r.markRestarted()
				restarted <- nil
				break
			}
			go func() {
				rctx, rcancel := context.WithTimeout(ctx, 2*time.Minute)
				defer rcancel()
				began := time.Now()
				err := restartDB(rctx)
				restartTook = time.Since(began)
				if err == nil {
					r.markRestarted()
				}
				restarted <- err
			}()
		}
	}
	r.mu.Lock()
	r.stopping = true
	r.mu.Unlock()
	r.killAll()
	fake.setFaulting(false)
	require.Equal(t, 1, restarts, "the database restart happened")
	require.NoError(t, <-restarted, "database restart")
	assert.NotZero(t, r.syncedAfterRestart(), "workers synced cases again after the database restart")
	if restartTook > 0 {
		t.Logf("PostgreSQL stopped and started again in %s", restartTook.Round(100*time.Millisecond))
	}
	chaosEnd := time.Now()
	defer func() {
		t.Logf("wall time %s (chaos phase %s, final passes %s)", time.Since(start).Round(100*time.Millisecond),
			chaosEnd.Sub(start).Round(100*time.Millisecond), time.Since(chaosEnd).Round(100*time.Millisecond))
	}()

	// The final clean pass, in this process: no faults, no kills. It waits
	// out the leases of killed workers; bounded by the test's deadline.
	fdl := time.Now().Add(3 * time.Minute)
	if dl, ok := t.Deadline(); ok && dl.Add(-10*time.Second).Before(fdl) {
		fdl = dl.Add(-10 * time.Second)
	}
	fctx, fcancel := context.WithDeadline(ctx, fdl)
	defer fcancel()
	spec := r.spec
	spec.Name = ""
	final := newChaosSyncer(t, spec, store, "final-pass", slog.New(slog.DiscardHandler))
	attention := map[string]bool{} // cases the final pass found needing a person
	for i := range chaosCases {
		c, notes := chaosCase(i)
		if finalSync(t, fctx, final, caps, c, notes) != nil {
			attention[c.ID] = true
		}
	}
	// A second pass has nothing left to do.
	before := fake.snapshot()
	for i := range chaosCases {
		c, notes := chaosCase(i)
		res, err := final.Sync(fctx, c, notes)
		if attention[c.ID] {
			require.ErrorIs(t, err, itsm.ErrNeedsAttention, "second pass, case %s", c.ID)
		} else {
			require.NoError(t, err, "second pass, case %s", c.ID)
		}
		assert.False(t, res.Created || res.Recovered, "second pass, case %s: %+v", c.ID, res)
		assert.Zero(t, res.NotesPosted, "second pass, case %s", c.ID)
	}
	snap := fake.snapshot()
	assert.Equal(t, before.tickets, snap.tickets, "the second pass created nothing")
	assert.Equal(t, before.comments, snap.comments, "the second pass posted nothing")

	r.checkWorkerLogs()
	r.assertWorkers(snap, restarts)
	j := r.judge(fctx, final, store, snap, attention, false)
	t.Logf("%s", j.summary(r, snap))
	if caps.TicketLookup && (caps.CommentLookup || caps.Notes == itsm.NotesAtLeastOnce) {
		return // nothing is left for a person
	}
	// What a person does with what the state shows: link the ticket of a
	// case needing attention (or allow a new create when the ITSM has none),
	// confirm an unconfirmed note that is on the ticket, retry one that is
	// not. Then every case has one ticket, and (at most once) one comment
	// per note.
	st := r.settle(fctx, final, fake, attention)
	for i := range chaosCases {
		c, notes := chaosCase(i)
		require.NoError(t, finalSync(t, fctx, final, caps, c, notes), "case %s after a person settled it", c.ID)
	}
	snap = fake.snapshot()
	j2 := r.judge(fctx, final, store, snap, nil, true)
	t.Logf("settled by a person: %s; then %s", st, j2.counts(snap))
}

// finalSync syncs one case until it succeeds: it waits out the leases of
// killed workers and the lookup grace of an unknown create. Without a
// ticket lookup, a case needing attention is an answer too: it returns its
// *NeedsAttentionError.
func finalSync(t *testing.T, ctx context.Context, s *itsm.Syncer, caps capabilities, c itsm.Case, notes []itsm.Note) error {
	t.Helper()
	var last error
	for attempt := 0; attempt < 20 && ctx.Err() == nil; attempt++ {
		_, err := s.Sync(ctx, c, notes)
		if err == nil {
			return nil
		}
		last = err
		var (
			ip *itsm.InProgressError
			ou *itsm.OutcomeUnknownError
			na *itsm.NeedsAttentionError
		)
		switch {
		case !caps.TicketLookup && errors.As(err, &na):
			return err
		case errors.As(err, &ip):
			pause(ctx, time.Until(ip.Until)+50*time.Millisecond)
		case errors.As(err, &ou):
			pause(ctx, time.Until(ou.RetryAt)+50*time.Millisecond)
		default:
			t.Logf("final pass, case %s, attempt %d: %v", c.ID, attempt+1, err)
			pause(ctx, 200*time.Millisecond)
		}
	}
	t.Fatalf("final pass: case %s never synced cleanly: %v", c.ID, last)
	return last
}

func openChaosStore(t *testing.T, kind, dsn string) *sqlstore.Store {
	t.Helper()
	var (
		db      *sql.DB
		dialect = sqlstore.Postgres
	)
	if kind == "sqlite" {
		db, dialect = sqlstoretest.OpenSQLiteDSN(t, dsn), sqlstore.SQLite
	} else {
		db = sqlstoretest.OpenPostgresDSN(t, dsn)
	}
	s, err := sqlstore.New(db, dialect)
	require.NoError(t, err)
	return s
}

// spawn starts worker name; r.mu is held. It may run on the goroutine
// serving the fake's kill requests, so it reports failures with Errorf.
func (r *chaosRun) spawn(name string) {
	spec := r.spec
	spec.Name = name
	spec.Sender = name + "#" + strconv.Itoa(r.spawned+1)
	spec.Seed = r.spec.Seed + uint64(r.spawned)
	raw, err := json.Marshal(spec)
	if err != nil {
		r.t.Errorf("worker %s: %v", name, err)
		return
	}
	logf, err := os.OpenFile(filepath.Join(r.logDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		r.t.Errorf("worker %s: %v", name, err)
		return
	}
	defer logf.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChaosWorker$", "-test.count=1")
	cmd.Env = append(os.Environ(), envWorker+"="+string(raw))
	p := &workerProc{cmd: cmd, sender: spec.Sender, done: make(chan struct{})}
	cmd.Stdout = &lineWriter{onLine: func(line []byte) { r.onLine(p, line) }}
	cmd.Stderr = logf
	cmd.SysProcAttr = workerProcAttr()
	if err := cmd.Start(); err != nil {
		r.t.Errorf("worker %s: %v", name, err)
		return
	}
	r.spawned++
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	r.procs[name] = p
}

// kill SIGKILLs worker name and waits for it, then starts it again unless
// the run is stopping or respawn is false.
func (r *chaosRun) kill(name, reason string, respawn bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.procs[name]
	if p == nil {
		return
	}
	r.stop(name, p)
	r.killed[reason]++
	if respawn && !r.stopping {
		r.spawn(name)
	}
}

// stop kills one process and waits for it (and for its output to be read);
// r.mu is held. A sync it began and did not finish is noted in killedMid.
func (r *chaosRun) stop(name string, p *workerProc) {
	_ = p.cmd.Process.Signal(os.Kill) // SIGKILL
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		r.t.Errorf("worker %s (pid %d) did not die after SIGKILL", name, p.cmd.Process.Pid)
	}
	delete(r.procs, name)
	r.statsMu.Lock()
	if p.current != "" {
		r.killedMid[p.sender] = p.current
	}
	r.statsMu.Unlock()
}

// restartAll kills every worker at once and starts them again (the SQLite
// "restart": every process holding the file dies together).
func (r *chaosRun) restartAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.procs {
		_ = p.cmd.Process.Signal(os.Kill) // SIGKILL, all before waiting for any
	}
	names := make([]string, 0, len(r.procs))
	for name, p := range r.procs {
		r.stop(name, p)
		names = append(names, name)
		r.killed["all at once"]++
	}
	if r.stopping {
		return
	}
	for _, name := range names {
		r.spawn(name)
	}
}

// killAll kills every worker for good.
func (r *chaosRun) killAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopping = true
	for name, p := range r.procs {
		r.stop(name, p)
	}
}

// onLine counts one line of worker p's stdout.
func (r *chaosRun) onLine(p *workerProc, line []byte) {
	var l syncLine
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	err := json.Unmarshal(line, &l)
	if err == nil && l.Begin != "" {
		p.current = l.Begin
		return
	}
	if err != nil || l.Class == "" {
		// The test binary's own output (a failed require in the worker
		// prints "--- FAIL" here), or a line cut by SIGKILL.
		if s := string(line); len(r.failures) < 10 && (strings.Contains(s, "FAIL") || strings.Contains(s, "Error") || strings.Contains(s, "panic")) {
			r.failures = append(r.failures, s)
		}
		return
	}
	p.current = ""
	r.syncs[l.Class]++
	if r.restarted && l.Err == "" {
		r.okAfter++
	}
	if _, seen := r.example[l.Class]; !seen && l.Err != "" {
		r.example[l.Class] = l.Err
	}
}

// checkWorkerLogs fails on a data race or a panic in any worker.
func (r *chaosRun) checkWorkerLogs() {
	entries, err := os.ReadDir(r.logDir)
	require.NoError(r.t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(r.logDir, e.Name()))
		require.NoError(r.t, err)
		for _, bad := range []string{"WARNING: DATA RACE", "panic:", "--- FAIL"} {
			if i := strings.Index(string(b), bad); i >= 0 {
				r.t.Errorf("worker log %s: %s", e.Name(), clipAround(string(b), i))
			}
		}
	}
}

func clipAround(s string, i int) string {
	end := min(len(s), i+3000)
	return s[i:end]
}

func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	total := 0
	for k, v := range m {
		keys = append(keys, k)
		total += v
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// lineWriter calls onLine for every complete line written to it.
type lineWriter struct {
	buf    []byte
	onLine func([]byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			break
		}
		w.onLine(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

var _ io.Writer = (*lineWriter)(nil)
