package sqlstore

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// TestMigrateWithoutRowidKeepsRows: migration 0009 rebuilds the SQLite
// tables every sync writes as WITHOUT ROWID tables; a database at 0008 with
// rows in them keeps every row (every column) and the links indexes.
func TestMigrateWithoutRowidKeepsRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := "file:" + (&url.URL{Path: filepath.Join(t.TempDir(), "itsm.db")}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	s, err := New(db, SQLite)
	require.NoError(t, err)

	ms, err := loadMigrations(SQLite, s.tables)
	require.NoError(t, err)
	for _, m := range ms {
		if m.version < 9 {
			require.NoError(t, s.migrateOne(ctx, m))
		}
	}
	t0 := time.Unix(1_700_000_000, 0).UTC()
	link := itsm.Link{IntegrationID: "i", CaseID: "c1", TicketID: "10001", TicketKey: "SEC-1", URL: "https://itsm.example/SEC-1",
		CreatedAt: t0, UpdatedAt: t0, LastPushedStatus: "Open", LastPushedAt: t0, Closed: true, Target: "jira:SEC"}
	pending := itsm.PendingCreate{IntegrationID: "i", CaseID: "c2", CorrelationKey: "ck", State: itsm.PendingUnknown, Attempts: 2,
		StartedAt: t0, UpdatedAt: t0, LastError: "timeout"}
	require.NoError(t, s.PutLink(ctx, link))
	require.NoError(t, s.CreatePending(ctx, pending))
	_, err = s.AcquireLease(ctx, "sync:c3", "h", t0, time.Minute)
	require.NoError(t, err)
	require.NoError(t, s.StartCooldown(ctx, "cool:c1", t0.Add(time.Hour)))
	note := itsm.PostedNote{IntegrationID: "i", CaseID: "c1", NoteID: "n1", TicketID: "10001", CommentID: "77", TextHash: "h1",
		PostedAt: t0, Failed: true, Reason: "refused", State: itsm.NotePosted, RefusedHash: "h2"}
	// Written with the columns a 0008 database has (the store's own
	// statements write the columns of later migrations too).
	_, err = db.ExecContext(ctx, "INSERT INTO "+s.tables.notes+" (integration_id, case_id, note_id, ticket_id, comment_id, text_hash,"+
		" posted_at, failed, fail_reason, state, refused_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		note.IntegrationID, note.CaseID, note.NoteID, note.TicketID, note.CommentID, note.TextHash, timeArg(note.PostedAt),
		note.Failed, note.Reason, string(note.State), note.RefusedHash)
	require.NoError(t, err)

	require.NoError(t, s.Migrate(ctx))
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, v, 9)

	for _, table := range []string{s.tables.leases, s.tables.cooldowns, s.tables.pending, s.tables.links, s.tables.notes} {
		var ddl string
		require.NoError(t, db.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&ddl))
		assert.Contains(t, ddl, "WITHOUT ROWID", table)
	}
	var idx int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
		s.tables.links).Scan(&idx))
	assert.Equal(t, 3, idx, "links indexes by ticket id, ticket key and target")

	gotLink, err := s.GetLink(ctx, "i", "c1")
	require.NoError(t, err)
	assert.Equal(t, link, gotLink)
	byKey, err := s.GetLinkByTicket(ctx, "i", "SEC-1")
	require.NoError(t, err)
	assert.Equal(t, link, byKey)
	gotPending, err := s.GetPending(ctx, "i", "c2")
	require.NoError(t, err)
	assert.Equal(t, pending, gotPending)
	lease, err := s.GetLease(ctx, "sync:c3")
	require.NoError(t, err)
	assert.Equal(t, "h", lease.Holder)
	until, err := s.CooldownUntil(ctx, "cool:c1", t0)
	require.NoError(t, err)
	assert.True(t, until.Equal(t0.Add(time.Hour)))
	notes, err := s.PostedNotes(ctx, "i", "c1")
	require.NoError(t, err)
	assert.Equal(t, map[string]itsm.PostedNote{"n1": note}, notes)
}
