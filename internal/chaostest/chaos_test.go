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

// commentLookupSupported says whether chaosConfig configures a comment
// lookup (the notes request writes $note_marker and a comment lookup finds
// it), so the engine resolves a note whose outcome is unknown before
// resending it. On: every note has exactly one comment after the final
// pass. Off: no note may be lost except for the documented exception (a
// comment cut before the ITSM stored it is recorded as posted,
// Result.NotesUnconfirmed), and duplicates are reported, not asserted.
const commentLookupSupported = true

// listIgnoresFilter makes the fake's GET /tickets answer every ticket
// whatever its correlation_key query, like most real list endpoints given a
// parameter they do not know. Off, the fake filters honestly, which a lookup
// that trusts the first item of the answer needs. See the package
// documentation for which behaviour is documented and which assumed.
const listIgnoresFilter = true

// Size of a run: the workers, the cases they share and the notes per case.
const (
	chaosWorkers = 3
	chaosCases   = 20
	chaosNotes   = 3
	// defaultChaosPhase is how long workers run under faults and kills;
	// ITSMSYNC_CHAOS_PHASE (a Go duration) overrides it for longer soaks.
	defaultChaosPhase = 20 * time.Second
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
// lookup finds again; the ticket lookup proves each listed ticket by its
// correlation_key field, because the fake's list ignores its filter
// (listIgnoresFilter) as most real list endpoints do.
func chaosConfig(baseURL string) httpconn.Config {
	return httpconn.Config{
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
		CommentLookup: httpconn.CommentLookupConfig{
			Method:    "GET",
			URL:       baseURL + "/tickets/$ticket_id/comments",
			ItemsPath: "@this",
			MatchPath: "marker",
			IDPath:    "id",
		},
		Lookup: httpconn.LookupConfig{
			Method:       "GET",
			URL:          baseURL + "/tickets?correlation_key=$correlation_key",
			ItemsPath:    "@this",
			TicketIDPath: "id",
			MatchPath:    "correlation_key",
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
}

// newChaosSyncer builds the Syncer of one worker (or of the final pass):
// the lease just outlasts the connector's longest call, the lookup grace is
// short (the fake lists a ticket as soon as it is stored) and cooldowns are
// off so every worker may sync every case at any time.
func newChaosSyncer(t testing.TB, spec workerSpec, store itsm.SyncStore, holder string, logger *slog.Logger, opts ...itsm.Option) *itsm.Syncer {
	t.Helper()
	opts = append([]itsm.Option{itsm.WithLogger(logger)}, opts...)
	cfg := chaosConfig(spec.ITSMURL)
	cfg.ID = spec.IntegrationID
	if spec.Name != "" {
		cfg.Headers = map[string]string{workerHeader: spec.Name}
	}
	conn, err := httpconn.New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	s, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{
		IntegrationID:  spec.IntegrationID,
		Holder:         holder,
		LeaseTTL:       conn.MaxCallDuration() + time.Second,
		LookupGrace:    300 * time.Millisecond,
		CooldownPeriod: itsm.Off,
	}, opts...)
	require.NoError(t, err)
	return s
}

// workerSpec tells a worker process what to do.
type workerSpec struct {
	Name          string `json:"name"`
	Store         string `json:"store"` // "sqlite" or "postgres"
	DSN           string `json:"dsn"`
	ITSMURL       string `json:"itsm_url"`
	IntegrationID string `json:"integration_id"`
	FirstCase     int    `json:"first_case"` // the cases it syncs: [FirstCase, LastCase]
	LastCase      int    `json:"last_case"`
	Seed          uint64 `json:"seed"`
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

// syncLine is what a worker prints for each sync it finished.
type syncLine struct {
	Class string `json:"class"`
	Err   string `json:"err,omitempty"`
}

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
		// No timeout of its own: the engine records a note whose context
		// ended before its comment was sent as posted (see
		// TestCommentCanceledBeforeSending); every call is bounded anyway.
		res, err := s.Sync(ctx, c, notes)
		line := syncLine{Class: classify(res, err)}
		if err != nil {
			line.Err = err.Error()
		}
		b, _ := json.Marshal(line)
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

// TestChaosSQLite runs the chaos scenario over one SQLite file; its
// "database restart" kills every worker at once and starts them again.
func TestChaosSQLite(t *testing.T) {
	skipUnlessLinux(t)
	path := filepath.Join(t.TempDir(), "chaos.db")
	runChaos(t, "sqlite", sqlstoretest.SQLiteDSN(path), nil)
}

// TestChaosPostgres runs the chaos scenario over a PostgreSQL server of its
// own (started with .ci/postgres.sh), which it restarts once mid-run.
// Without ITSMSYNC_TEST_POSTGRES_DSN it skips, and fails when CI is "true".
func TestChaosPostgres(t *testing.T) {
	skipUnlessLinux(t)
	pg := startChaosPostgres(t)
	runChaos(t, "postgres", pg.dsn, pg.restart)
}

func skipUnlessLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the chaos test kills worker processes with SIGKILL and ties them to the test with Pdeathsig: Linux only")
	}
	if testing.Short() {
		t.Skip("the chaos test runs for about a minute: not with -short")
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
// test's deadline is near (the final pass needs about a minute under -race).
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
	cmd  *exec.Cmd
	done chan struct{}
}

func runChaos(t *testing.T, storeKind, dsn string, restartDB func(context.Context) error) {
	start := time.Now()
	seed := chaosSeed(t)
	phase := chaosPhase(t)
	t.Logf("seed %d (replay the random choices with %s=%d), chaos phase %s, %d workers × %d cases × %d notes, list ignores filter: %v, comment lookup: %v",
		seed, envSeed, seed, phase, chaosWorkers, chaosCases, chaosNotes, listIgnoresFilter, commentLookupSupported)
	rng := mrand.New(mrand.NewPCG(seed, 1))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	kills := make(chan killRequest)
	fake := newFakeITSM(t, seed, listIgnoresFilter, kills)
	var idb [6]byte
	_, _ = rand.Read(idb[:])
	r := &chaosRun{
		t: t,
		spec: workerSpec{
			Store: storeKind, DSN: dsn, ITSMURL: fake.URL(), IntegrationID: "chaos-" + hex.EncodeToString(idb[:]),
			FirstCase: 0, LastCase: chaosCases - 1, Seed: seed,
			Start: time.Now(), Phase: phase, Deadline: time.Now().Add(phase + 2*time.Minute),
		},
		logDir:  t.TempDir(),
		procs:   map[string]*workerProc{},
		killed:  map[string]int{},
		syncs:   map[string]int{},
		example: map[string]string{},
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
	for i := range chaosCases {
		c, notes := chaosCase(i)
		finalSync(t, fctx, final, c, notes)
	}
	// A second pass has nothing left to do.
	before := fake.snapshot()
	for i := range chaosCases {
		c, notes := chaosCase(i)
		res, err := final.Sync(fctx, c, notes)
		require.NoError(t, err, "second pass, case %s", c.ID)
		assert.False(t, res.Created || res.Recovered, "second pass, case %s: %+v", c.ID, res)
		assert.Zero(t, res.NotesPosted, "second pass, case %s", c.ID)
	}
	snap := fake.snapshot()
	assert.Equal(t, before.tickets, snap.tickets, "the second pass created nothing")
	assert.Equal(t, before.comments, snap.comments, "the second pass posted nothing")

	r.checkWorkerLogs()
	r.assertOutcome(fctx, store, snap, restarts)
	t.Logf("wall time %s (chaos phase %s, final passes %s)", time.Since(start).Round(100*time.Millisecond),
		chaosEnd.Sub(start).Round(100*time.Millisecond), time.Since(chaosEnd).Round(100*time.Millisecond))
}

// finalSync syncs one case until it succeeds: it waits out the leases of
// killed workers and the lookup grace of an unknown create.
func finalSync(t *testing.T, ctx context.Context, s *itsm.Syncer, c itsm.Case, notes []itsm.Note) {
	t.Helper()
	var last error
	for attempt := 0; attempt < 20 && ctx.Err() == nil; attempt++ {
		_, err := s.Sync(ctx, c, notes)
		if err == nil {
			return
		}
		last = err
		var (
			ip *itsm.InProgressError
			ou *itsm.OutcomeUnknownError
		)
		switch {
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
	cmd.Stdout = &lineWriter{onLine: r.onLine}
	cmd.Stderr = logf
	cmd.SysProcAttr = workerProcAttr()
	if err := cmd.Start(); err != nil {
		r.t.Errorf("worker %s: %v", name, err)
		return
	}
	r.spawned++
	p := &workerProc{cmd: cmd, done: make(chan struct{})}
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

// stop kills one process and waits for it; r.mu is held.
func (r *chaosRun) stop(name string, p *workerProc) {
	_ = p.cmd.Process.Signal(os.Kill) // SIGKILL
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		r.t.Errorf("worker %s (pid %d) did not die after SIGKILL", name, p.cmd.Process.Pid)
	}
	delete(r.procs, name)
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

// onLine counts one line of a worker's stdout.
func (r *chaosRun) onLine(line []byte) {
	var l syncLine
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	if json.Unmarshal(line, &l) != nil || l.Class == "" {
		// The test binary's own output (a failed require in the worker
		// prints "--- FAIL" here), or a line cut by SIGKILL.
		if s := string(line); len(r.failures) < 10 && (strings.Contains(s, "FAIL") || strings.Contains(s, "Error") || strings.Contains(s, "panic")) {
			r.failures = append(r.failures, s)
		}
		return
	}
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

// assertOutcome checks the ITSM and the store after the final pass and logs
// the summary.
func (r *chaosRun) assertOutcome(ctx context.Context, store *sqlstore.Store, snap fakeSnapshot, restarts int) {
	t := r.t
	var lost, documentedLost, duplicates, dupNotes, notes int
	keys := map[string]bool{}
	for i := range chaosCases {
		c, caseNotes := chaosCase(i)
		key := itsm.CorrelationKey(r.spec.IntegrationID, c.ID)
		keys[key] = true
		tickets := snap.byKey[key]
		if !assert.Len(t, tickets, 1, "case %s: exactly one ticket", c.ID) {
			continue
		}
		tk := tickets[0]
		link, err := store.GetLink(ctx, r.spec.IntegrationID, c.ID)
		if assert.NoError(t, err, "case %s: link", c.ID) {
			assert.Equal(t, tk.ID, link.TicketID, "case %s: the link names its ticket", c.ID)
		}
		_, err = store.GetPending(ctx, r.spec.IntegrationID, c.ID)
		assert.ErrorIs(t, err, itsm.ErrNotFound, "case %s: no pending create left", c.ID)
		count := map[string]int{}
		for _, cm := range tk.Comments {
			count[cm.NoteID]++
		}
		for _, n := range caseNotes {
			notes++
			switch k := count[n.ID]; {
			case k == 0:
				lost++
				if snap.cutBeforeCommit[noteKey{tk.ID, n.ID}] > 0 {
					documentedLost++
				} else {
					t.Errorf("case %s: note %s has no comment on ticket %s, and no comment request of it was cut before the ITSM stored it", c.ID, n.ID, tk.ID)
				}
			case k > 1:
				dupNotes++
				duplicates += k - 1
			}
			delete(count, n.ID)
		}
		assert.Empty(t, count, "case %s: comments of unknown notes", c.ID)
	}
	for key, tks := range snap.byKey {
		assert.True(t, keys[key], "%d ticket(s) with an unknown correlation key %q", len(tks), key)
	}
	if commentLookupSupported {
		assert.Zero(t, lost, "notes without a comment")
		assert.Zero(t, duplicates, "duplicate comments")
	} else {
		// Documented: a comment with no answer is recorded as posted
		// (Result.NotesUnconfirmed), so one cut before the ITSM stored it
		// is lost; one answered 5xx after it was stored, or whose worker
		// died before recording it, is posted again.
		assert.Equal(t, documentedLost, lost, "every lost note is a documented exception")
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	t.Logf("%s: %d workers spawned, kills %s, %d database restart(s)", r.spec.Store, r.spawned, sortedCounts(r.killed), restarts)
	t.Logf("worker syncs: %s", sortedCounts(r.syncs))
	t.Logf("ITSM calls: %s; %s", sortedCounts(snap.calls), snap.faultSummary())
	t.Logf("tickets %d for %d cases; comments %d for %d notes: %d duplicate comment(s) on %d note(s), %d note(s) lost (%d documented: cut before commit, recorded as unconfirmed)",
		snap.tickets, chaosCases, snap.comments, notes, duplicates, dupNotes, lost, documentedLost)
	assert.Empty(t, r.failures, "worker output telling of a failure")
	assert.NotZero(t, r.syncs["created"]+r.syncs["recovered"]+r.syncs["updated"], "workers synced cases")
	assert.NotZero(t, r.killed["random"]+r.killed["mid-request"], "workers were killed")
	assert.NotEmpty(t, snap.faults, "the ITSM failed calls")
	classes := make([]string, 0, len(r.example))
	for class := range r.example {
		classes = append(classes, class)
	}
	sort.Strings(classes)
	for _, class := range classes {
		t.Logf("first %q: %s", class, r.example[class])
	}
	// A finder is configured and every ticket carries its key: a case
	// needing a person, or linked to another ticket, is a defect.
	for _, class := range []string{"needs attention", "link conflict", "ticket gone", "other error"} {
		assert.Zero(t, r.syncs[class], "worker syncs ending with %s (first: %s)", class, r.example[class])
	}
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
