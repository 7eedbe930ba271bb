package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

const linksIntegration = "int-links"

// linksWorld is a host's SQLite store with links of three targets, and the
// integration's config edited to point at ITSM B.
type linksWorld struct {
	db, config string
	store      *sqlstore.Store
	targetA    string
	targetB    string
}

func newLinksWorld(t *testing.T) linksWorld {
	t.Helper()
	dir := t.TempDir()
	w := linksWorld{db: filepath.Join(dir, "itsmsync.db")}
	db := sqlstoretest.OpenSQLiteDSN(t, sqlstoretest.SQLiteDSN(w.db))
	s, err := sqlstore.New(db, sqlstore.SQLite)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(context.Background()))
	w.store = s
	cfgB := webhookConfig(t, "https://itsm-b.example.com/api")
	cfgB.ID = linksIntegration
	w.config = writeConfig(t, dir, "config.json", cfgB)
	w.targetB = httpconn.ConfigTarget(cfgB)
	w.targetA = httpconn.ConfigTarget(webhookConfig(t, "https://itsm-a.example.com/api"))
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	for _, l := range []itsm.Link{
		{CaseID: "c1", TicketID: "7", Target: w.targetA},
		{CaseID: "c2", TicketID: "8", Target: w.targetA},
		{CaseID: "c3", TicketID: "9"},
		{CaseID: "c4", TicketID: "7", Target: w.targetB},
	} {
		l.IntegrationID, l.CreatedAt, l.UpdatedAt = linksIntegration, at, at
		require.NoError(t, s.PutLink(context.Background(), l))
	}
	require.NoError(t, s.MarkNotePosted(context.Background(), itsm.PostedNote{IntegrationID: linksIntegration, CaseID: "c1", NoteID: "n1", TicketID: "7", TextHash: "h", PostedAt: at}))
	return w
}

func TestLinksTargets(t *testing.T) {
	t.Parallel()
	w := newLinksWorld(t)
	r := itsmsync(t, "links", "targets", w.config, "--db", w.db, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	v := decodeJSON(t, r)
	assert.Equal(t, true, v["ok"])
	assert.Equal(t, w.targetB, v["current"])
	assert.Equal(t, []any{
		map[string]any{"target": "", "links": 1.0, "current": false},
		map[string]any{"target": w.targetA, "links": 2.0, "current": false},
		map[string]any{"target": w.targetB, "links": 1.0, "current": true},
	}, v["targets"])
	assertNoSecret(t, r)

	r = runCmd(t, invocation{args: []string{"links", "targets", w.config}, env: []string{dbEnv + "=" + w.db}})
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "writes into \""+w.targetB+"\"")
	assert.Contains(t, r.stdout, "another target: syncs refused until you keep or retire it")
	assert.Contains(t, r.stdout, "(no target)")
}

func TestLinksKeepAndRetire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newLinksWorld(t)

	r := itsmsync(t, "links", "retire", w.config, "--db", w.db, "--from", w.targetA, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	v := decodeJSON(t, r)
	assert.Equal(t, 2.0, v["links"])
	retired, err := w.store.RetiredLinks(ctx, linksIntegration, "c1")
	require.NoError(t, err)
	require.Len(t, retired, 1, "the old link is history, still readable")
	assert.Equal(t, "7", retired[0].TicketID)
	require.Len(t, retired[0].Notes, 1)
	_, err = w.store.GetLink(ctx, linksIntegration, "c1")
	require.ErrorIs(t, err, itsm.ErrNotFound)

	r = itsmsync(t, "links", "keep", w.config, "--db", w.db, "--legacy")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "kept 1 links of (no target)")
	l, err := w.store.GetLink(ctx, linksIntegration, "c3")
	require.NoError(t, err)
	assert.Equal(t, w.targetB, l.Target)

	ts, err := w.store.LinkTargets(ctx, linksIntegration)
	require.NoError(t, err)
	assert.Equal(t, []itsm.TargetCount{{Target: w.targetB, Links: 2}}, ts)
}

func TestLinksBadInput(t *testing.T) {
	t.Parallel()
	w := newLinksWorld(t)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no action", []string{"links"}, exitUsage},
		{"unknown action", []string{"links", "prune", w.config, "--db", w.db}, exitUsage},
		{"no db", []string{"links", "targets", w.config}, exitUsage},
		{"keep without from", []string{"links", "keep", w.config, "--db", w.db}, exitUsage},
		{"from and legacy", []string{"links", "retire", w.config, "--db", w.db, "--from", w.targetA, "--legacy"}, exitUsage},
		{"targets with from", []string{"links", "targets", w.config, "--db", w.db, "--from", w.targetA}, exitUsage},
		{"missing database file", []string{"links", "targets", w.config, "--db", filepath.Join(t.TempDir(), "none.db")}, exitIOError},
		{"retire the current target", []string{"links", "retire", w.config, "--db", w.db, "--from", w.targetB}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := itsmsync(t, tt.args...)
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			assert.Empty(t, r.stdout)
			oneErrorLine(t, r)
		})
	}
	// Nothing was changed by the refusals.
	ts, err := w.store.LinkTargets(context.Background(), linksIntegration)
	require.NoError(t, err)
	assert.Len(t, ts, 3)
}
