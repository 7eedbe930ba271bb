package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// The upgrade tests start from the schema an older release left (migrations
// applied up to version v), fill it with rows written the way that release
// wrote them (raw SQL of that schema, not the Store, whose statements know
// the newest columns), run Migrate and check that every row reads back
// unchanged through the Store, with the documented defaults in the new
// fields, and that a Syncer carries on from it: it updates linked tickets,
// never posts a recorded note again and resolves a pending create by lookup.

// upgradeT0 is when the older release wrote its rows (microsecond
// precision, as the store keeps).
var upgradeT0 = time.Date(2026, 3, 1, 10, 0, 0, 123000, time.UTC)

const (
	upIntegration = "int-1"
	upTarget      = "fake|https://itsm.example:443|project=SEC"
	noteText      = "Blocked the sender at the mail gateway."
	failedText    = "<script>refused by the ITSM</script>"
	newNoteText   = "User confirmed the password reset."
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// upgradeEngine opens a fresh, empty database of one engine.
type upgradeEngine struct {
	name    string
	dialect sqlstore.Dialect
	open    func(t *testing.T) *sql.DB
}

var upgradeEngines = []upgradeEngine{
	{"sqlite", sqlstore.SQLite, func(t *testing.T) *sql.DB {
		return sqlstoretest.OpenSQLiteDSN(t, sqlstoretest.SQLiteDSN(t.TempDir()+"/up.db"))
	}},
	{"postgres", sqlstore.Postgres, func(t *testing.T) *sql.DB {
		return sqlstoretest.OpenPostgresDSN(t, sqlstoretest.PostgresDSN(t))
	}},
}

// rawExec runs one statement written with ? placeholders, numbered for
// PostgreSQL, as an older release's code would have run it.
func rawExec(t *testing.T, db *sql.DB, d sqlstore.Dialect, query string, args ...any) {
	t.Helper()
	_, err := db.ExecContext(context.Background(), rawBind(d, query), args...)
	require.NoError(t, err, query)
}

func rawBind(d sqlstore.Dialect, query string) string {
	if d != sqlstore.Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func us(tm time.Time) int64 { return tm.UnixMicro() }

// seed is what the older release stored, written with that release's
// columns only, and what the Store must read back after the upgrade.
type seed struct {
	links        []itsm.Link
	pending      []itsm.PendingCreate
	notes        map[string]itsm.PostedNote // of case-linked
	leases       []itsm.Lease
	cooldownKey  string
	cooldownEnd  time.Time
	integration  itsm.Integration
	token        itsm.CallbackToken
	inbound      itsm.InboundState
	secrets      []itsm.WebhookSecret
	deliveryID   string
	deliveryTill time.Time

	// Rows of the schemas 5 to 7 (not yet released when 1 to 4 were; a
	// database left at them by a pre-release build upgrades too).
	v5Link   *itsm.Link                 // v5: a link with a target
	v5Notes  map[string]itsm.PostedNote // v6: an unconfirmed note and a failed one with refused_hash
	v5Orphan *itsm.Orphan               // v7: an orphan of case-v5
}

// targetCounts is what LinkTargets must report for the seed: the seeded
// links without a target, plus the v5 link.
func (s seed) targetCounts() []itsm.TargetCount {
	out := []itsm.TargetCount{{Target: "", Links: len(s.links)}}
	if s.v5Link != nil {
		out = append(out, itsm.TargetCount{Target: s.v5Link.Target, Links: 1})
	}
	return out
}

// seedVersion writes the rows of schema version v with raw SQL.
func seedVersion(t *testing.T, db *sql.DB, d sqlstore.Dialect, v int) seed {
	t.Helper()
	t0 := upgradeT0
	var s seed

	// Links: one open case whose notes are recorded, one closed case.
	s.links = []itsm.Link{
		{IntegrationID: upIntegration, CaseID: "case-linked", TicketID: "10001", TicketKey: "SEC-1",
			URL: "https://itsm.example/browse/SEC-1", CreatedAt: t0, UpdatedAt: t0.Add(time.Minute),
			LastPushedStatus: "In Progress", LastPushedAt: t0.Add(time.Minute)},
		{IntegrationID: upIntegration, CaseID: "case-closed", TicketID: "10000", TicketKey: "SEC-0",
			URL: "https://itsm.example/browse/SEC-0", CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Hour),
			LastPushedStatus: "Done", LastPushedAt: t0.Add(-time.Hour), Closed: true},
	}
	for _, l := range s.links {
		rawExec(t, db, d, "INSERT INTO itsmsync_links (integration_id, case_id, ticket_id, ticket_key, url, created_at, updated_at,"+
			" last_pushed_status, last_pushed_at, closed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			l.IntegrationID, l.CaseID, l.TicketID, l.TicketKey, l.URL, us(l.CreatedAt), us(l.UpdatedAt),
			l.LastPushedStatus, us(l.LastPushedAt), l.Closed)
	}

	// A create whose outcome was unknown when the old release stopped, and
	// one in flight when an old replica was killed (its lease expired).
	s.pending = []itsm.PendingCreate{
		{IntegrationID: upIntegration, CaseID: "case-pending",
			CorrelationKey: itsm.CorrelationKey(upIntegration, "case-pending"), State: itsm.PendingUnknown,
			Attempts: 1, StartedAt: t0, UpdatedAt: t0, LastError: "itsm: create: timeout"},
		{IntegrationID: upIntegration, CaseID: "case-inflight",
			CorrelationKey: itsm.CorrelationKey(upIntegration, "case-inflight"), State: itsm.PendingInFlight,
			Attempts: 1, StartedAt: t0, UpdatedAt: t0},
	}
	for _, p := range s.pending {
		rawExec(t, db, d, "INSERT INTO itsmsync_pending_creates (integration_id, case_id, correlation_key, state, attempts,"+
			" started_at, updated_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			p.IntegrationID, p.CaseID, p.CorrelationKey, string(p.State), p.Attempts, us(p.StartedAt), us(p.UpdatedAt), p.LastError)
	}

	// Notes of case-linked: one posted; from v4 on one the ITSM refused,
	// recorded as that release did (text_hash: the refused text's hash).
	s.notes = map[string]itsm.PostedNote{
		"n1": {IntegrationID: upIntegration, CaseID: "case-linked", NoteID: "n1", TicketID: "10001",
			CommentID: "c-501", TextHash: sha(noteText), PostedAt: t0.Add(time.Minute)},
	}
	n1 := s.notes["n1"]
	rawExec(t, db, d, "INSERT INTO itsmsync_posted_notes (integration_id, case_id, note_id, ticket_id, comment_id, text_hash,"+
		" posted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		n1.IntegrationID, n1.CaseID, n1.NoteID, n1.TicketID, n1.CommentID, n1.TextHash, us(n1.PostedAt))
	if v >= 4 {
		nf := itsm.PostedNote{IntegrationID: upIntegration, CaseID: "case-linked", NoteID: "n-failed", TicketID: "10001",
			TextHash: sha(failedText), PostedAt: t0.Add(2 * time.Minute), Failed: true,
			Reason: "httpconn: comment: HTTP 400: Comment body is invalid"}
		// And one refused whose text the analyst has edited since.
		ne := nf
		ne.NoteID, ne.TextHash = "n-failed-edited", sha("refused draft")
		for _, n := range []itsm.PostedNote{nf, ne} {
			s.notes[n.NoteID] = n
			rawExec(t, db, d, "INSERT INTO itsmsync_posted_notes (integration_id, case_id, note_id, ticket_id, comment_id, text_hash,"+
				" posted_at, failed, fail_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
				n.IntegrationID, n.CaseID, n.NoteID, n.TicketID, n.CommentID, n.TextHash, us(n.PostedAt), n.Failed, n.Reason)
		}
	}

	// A lease and a cooldown of another case, still running at t0.
	s.leases = []itsm.Lease{
		{Key: "sync:5:int-1:case-busy", Holder: "old-replica-7", ExpiresAt: t0.Add(5 * time.Minute)},
		{Key: "sync:5:int-1:case-inflight", Holder: "old-replica-3", ExpiresAt: t0.Add(time.Minute)},
	}
	for _, l := range s.leases {
		rawExec(t, db, d, "INSERT INTO itsmsync_leases (lease_key, holder, expires_at) VALUES (?, ?, ?)",
			l.Key, l.Holder, us(l.ExpiresAt))
	}
	s.cooldownKey, s.cooldownEnd = "cooldown:5:int-1:case-cooling", t0.Add(30*time.Second)
	rawExec(t, db, d, "INSERT INTO itsmsync_cooldowns (cooldown_key, until_at) VALUES (?, ?)", s.cooldownKey, us(s.cooldownEnd))

	// The integration; its status columns exist from v3 on.
	s.integration = itsm.Integration{ID: upIntegration, Workspace: "ws-acme",
		Config:    []byte(`{"preset":"jira","base_url":"https://itsm.example","auth":{"type":"basic"}}`),
		CreatedAt: t0.Add(-24 * time.Hour), UpdatedAt: t0.Add(-time.Hour)}
	if v >= 3 {
		s.integration.Status = itsm.IntegrationStatus{State: itsm.StateFailing, CheckedAt: t0.Add(-time.Minute),
			LastError: "httpconn: check: HTTP 401"}
		rawExec(t, db, d, "INSERT INTO itsmsync_integrations (id, workspace, config, created_at, updated_at, status_state,"+
			" status_checked_at, status_last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			s.integration.ID, s.integration.Workspace, s.integration.Config, us(s.integration.CreatedAt),
			us(s.integration.UpdatedAt), string(s.integration.Status.State), us(s.integration.Status.CheckedAt),
			s.integration.Status.LastError)
	} else {
		rawExec(t, db, d, "INSERT INTO itsmsync_integrations (id, workspace, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
			s.integration.ID, s.integration.Workspace, s.integration.Config, us(s.integration.CreatedAt), us(s.integration.UpdatedAt))
	}

	// A callback token (never revoked: revoked_at NULL), a live delivery
	// claim, an inbound state.
	s.token = itsm.CallbackToken{ID: "tok-1", IntegrationID: upIntegration, AppName: "jira-automation",
		Description: "status callbacks", Hash: []byte(sha("token-secret"))[:32], CreatedAt: t0.Add(-48 * time.Hour),
		ExpiresAt: t0.Add(365 * 24 * time.Hour), LastUsedAt: t0.Add(-time.Minute)}
	rawExec(t, db, d, "INSERT INTO itsmsync_callback_tokens (id, integration_id, app_name, description, hash, created_at,"+
		" expires_at, revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
		s.token.ID, s.token.IntegrationID, s.token.AppName, s.token.Description, s.token.Hash,
		us(s.token.CreatedAt), us(s.token.ExpiresAt), us(s.token.LastUsedAt))
	s.deliveryID, s.deliveryTill = "dlv-42", t0.Add(time.Hour)
	rawExec(t, db, d, "INSERT INTO itsmsync_deliveries (integration_id, delivery_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)",
		upIntegration, s.deliveryID, us(t0), us(s.deliveryTill))
	s.inbound = itsm.InboundState{IntegrationID: upIntegration, TicketID: "10001", Version: 7,
		OccurredAt: t0.Add(-2 * time.Minute), Status: "In Progress", UpdatedAt: t0.Add(-time.Minute)}
	rawExec(t, db, d, "INSERT INTO itsmsync_inbound_states (integration_id, ticket_id, version, occurred_at, status, updated_at)"+
		" VALUES (?, ?, ?, ?, ?, ?)", s.inbound.IntegrationID, s.inbound.TicketID, s.inbound.Version,
		us(s.inbound.OccurredAt), s.inbound.Status, us(s.inbound.UpdatedAt))

	// Webhook secrets from v2 on: one rotated out, one current.
	if v >= 2 {
		s.secrets = []itsm.WebhookSecret{
			{ID: "whs_000000000000000000000001", IntegrationID: upIntegration, Seq: 1, Ciphertext: []byte{0, 1, 2, 0xff},
				CreatedAt: t0.Add(-72 * time.Hour), RetiresAt: t0.Add(time.Hour)},
			{ID: "whs_000000000000000000000002", IntegrationID: upIntegration, Seq: 2, Ciphertext: []byte{9, 8, 7},
				CreatedAt: t0},
		}
		for _, w := range s.secrets {
			var retires any
			if !w.RetiresAt.IsZero() {
				retires = us(w.RetiresAt)
			}
			rawExec(t, db, d, "INSERT INTO itsmsync_webhook_secrets (integration_id, seq, id, ciphertext, created_at, retires_at,"+
				" revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)", w.IntegrationID, w.Seq, w.ID, w.Ciphertext, us(w.CreatedAt), retires)
		}
	}
	if v >= 5 {
		l := itsm.Link{IntegrationID: upIntegration, CaseID: "case-v5", TicketID: "10005", TicketKey: "SEC-5",
			URL: "https://itsm.example/browse/SEC-5", CreatedAt: t0, UpdatedAt: t0, Target: upTarget}
		s.v5Link = &l
		rawExec(t, db, d, "INSERT INTO itsmsync_links (integration_id, case_id, ticket_id, ticket_key, url, created_at, updated_at,"+
			" last_pushed_status, last_pushed_at, closed, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
			l.IntegrationID, l.CaseID, l.TicketID, l.TicketKey, l.URL, us(l.CreatedAt), us(l.UpdatedAt), l.LastPushedStatus, l.Closed, l.Target)
	}
	if v >= 6 {
		s.v5Notes = map[string]itsm.PostedNote{
			"n-unconfirmed": {IntegrationID: upIntegration, CaseID: "case-v5", NoteID: "n-unconfirmed", TicketID: "10005",
				TextHash: sha("sent, no answer"), State: itsm.NoteUnconfirmed, PostedAt: t0},
			"n-refused": {IntegrationID: upIntegration, CaseID: "case-v5", NoteID: "n-refused", TicketID: "10005",
				CommentID: "c-9", TextHash: sha("posted first"), RefusedHash: sha("edit refused"), PostedAt: t0,
				Failed: true, Reason: "HTTP 400"},
		}
		for _, n := range s.v5Notes {
			rawExec(t, db, d, "INSERT INTO itsmsync_posted_notes (integration_id, case_id, note_id, ticket_id, comment_id, text_hash,"+
				" posted_at, failed, fail_reason, state, refused_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				n.IntegrationID, n.CaseID, n.NoteID, n.TicketID, n.CommentID, n.TextHash, us(n.PostedAt), n.Failed, n.Reason,
				string(n.State), n.RefusedHash)
		}
	}
	if v >= 7 {
		o := itsm.Orphan{IntegrationID: upIntegration, CaseID: "case-v5", CorrelationKey: itsm.CorrelationKey(upIntegration, "case-v5"),
			TicketID: "10004", TicketKey: "SEC-4", URL: "https://itsm.example/browse/SEC-4", FoundAt: t0, LinkedTicketID: "10005"}
		s.v5Orphan = &o
		rawExec(t, db, d, "INSERT INTO itsmsync_orphans (integration_id, case_id, ticket_id, correlation_key, ticket_key, url,"+
			" found_at, linked_ticket_id, dismissed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
			o.IntegrationID, o.CaseID, o.TicketID, o.CorrelationKey, o.TicketKey, o.URL, us(o.FoundAt), o.LinkedTicketID)
		// A dismissed one stays hidden.
		rawExec(t, db, d, "INSERT INTO itsmsync_orphans (integration_id, case_id, ticket_id, correlation_key, ticket_key, url,"+
			" found_at, linked_ticket_id, dismissed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			o.IntegrationID, o.CaseID, "10003", o.CorrelationKey, "SEC-3", "", us(t0), o.LinkedTicketID, us(t0))
	}
	return s
}

// checkSeed asserts that every seeded row reads back unchanged through the
// Store, with the new fields at their defaults.
func checkSeed(t *testing.T, st *sqlstore.Store, s seed) {
	t.Helper()
	ctx := context.Background()
	for _, want := range s.links {
		got, err := st.GetLink(ctx, want.IntegrationID, want.CaseID)
		require.NoError(t, err)
		assert.Equal(t, want, got, "link %s (Target stays \"\": made before targets were recorded)", want.CaseID)
	}
	links, err := st.ListLinks(ctx, upIntegration, "", 10, false)
	require.NoError(t, err)
	open, err := st.ListLinks(ctx, upIntegration, "", 10, true)
	require.NoError(t, err)
	if s.v5Link != nil {
		got, err := st.GetLink(ctx, upIntegration, s.v5Link.CaseID)
		require.NoError(t, err)
		assert.Equal(t, *s.v5Link, got)
		assert.Len(t, links, len(s.links)+1)
		assert.Len(t, open, 2, "the closed link stays closed")
	} else {
		assert.Len(t, links, len(s.links))
		assert.Len(t, open, 1, "the closed link stays closed")
	}
	targets, err := st.LinkTargets(ctx, upIntegration)
	require.NoError(t, err)
	assert.ElementsMatch(t, s.targetCounts(), targets)

	for _, want := range s.pending {
		p, err := st.GetPending(ctx, upIntegration, want.CaseID)
		require.NoError(t, err)
		assert.Equal(t, want, p)
	}

	notes, err := st.PostedNotes(ctx, upIntegration, "case-linked")
	require.NoError(t, err)
	assert.Equal(t, s.notes, notes, "State \"\" (posted), RefusedHash \"\"")
	for id, n := range notes {
		assert.False(t, n.Unsettled(), "note %s: a legacy record is settled", id)
		assert.Empty(t, n.RefusedHash, "note %s", id)
	}

	for _, want := range s.leases {
		l, err := st.GetLease(ctx, want.Key)
		require.NoError(t, err)
		assert.Equal(t, want, l)
	}
	until, err := st.CooldownUntil(ctx, s.cooldownKey, upgradeT0)
	require.NoError(t, err)
	assert.True(t, until.Equal(s.cooldownEnd), "cooldown ends %v, want %v", until, s.cooldownEnd)

	in, err := st.GetIntegration(ctx, upIntegration)
	require.NoError(t, err)
	assert.Equal(t, s.integration, in)
	in, err = st.GetIntegrationByWorkspace(ctx, s.integration.Workspace)
	require.NoError(t, err)
	assert.Equal(t, s.integration.ID, in.ID)

	tok, err := st.GetTokenByHash(ctx, s.token.Hash)
	require.NoError(t, err)
	assert.Equal(t, s.token, tok)

	claimed, err := st.ClaimDelivery(ctx, upIntegration, s.deliveryID, upgradeT0, time.Hour)
	require.NoError(t, err)
	assert.False(t, claimed, "the old release's live delivery claim still holds")

	ib, err := st.GetInboundState(ctx, upIntegration, s.inbound.TicketID)
	require.NoError(t, err)
	assert.Equal(t, s.inbound, ib)

	secrets, err := st.ListWebhookSecrets(ctx, upIntegration)
	require.NoError(t, err)
	if len(s.secrets) == 0 {
		assert.Empty(t, secrets)
	} else {
		assert.Equal(t, s.secrets, secrets)
	}

	v5Notes, err := st.PostedNotes(ctx, upIntegration, "case-v5")
	require.NoError(t, err)
	if s.v5Notes != nil {
		assert.Equal(t, s.v5Notes, v5Notes)
	} else {
		assert.Empty(t, v5Notes)
	}

	for _, c := range []string{"case-linked", "case-closed", "case-pending", "case-inflight", "case-v5"} {
		orphans, err := st.Orphans(ctx, upIntegration, c)
		require.NoError(t, err)
		if c == "case-v5" && s.v5Orphan != nil {
			assert.Equal(t, []itsm.Orphan{*s.v5Orphan}, orphans, "the orphan recorded before is kept, the dismissed one stays hidden")
			continue
		}
		assert.Empty(t, orphans, "no orphans after an upgrade")
		retired, err := st.RetiredLinks(ctx, upIntegration, c)
		require.NoError(t, err)
		assert.Empty(t, retired, "no retired links after an upgrade")
	}
}

func TestUpgradeFromPopulatedDatabase(t *testing.T) {
	t.Parallel()
	for _, e := range upgradeEngines {
		for v := 1; v < latestVersion; v++ {
			t.Run(fmt.Sprintf("%s/from-v%d", e.name, v), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				db := e.open(t)
				st, err := sqlstore.New(db, e.dialect)
				require.NoError(t, err)
				require.NoError(t, st.MigrateTo(ctx, v))
				got, err := st.SchemaVersion(ctx)
				require.NoError(t, err)
				require.Equal(t, v, got)

				s := seedVersion(t, db, e.dialect, v)
				require.NoError(t, st.Migrate(ctx))
				got, err = st.SchemaVersion(ctx)
				require.NoError(t, err)
				assert.Equal(t, latestVersion, got)
				checkSeed(t, st, s)

				// Migrate again, from a new pool too (another replica
				// starting): a no-op.
				require.NoError(t, st.Migrate(ctx))
				st2, err := sqlstore.New(db, e.dialect)
				require.NoError(t, err)
				require.NoError(t, st2.Migrate(ctx))
				var rows int
				require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM itsmsync_schema_migrations").Scan(&rows))
				assert.Equal(t, migrationCount, rows, "each migration recorded once")
				checkSeed(t, st2, s)

				syncAfterUpgrade(t, st, v, s)
			})
		}
	}
}

// TestUpgradeThenRetireLegacyLinks: a host that switched ticket systems
// around the upgrade retires the links made before targets were recorded
// (target ""), with their legacy note records, from the last released
// schema.
func TestUpgradeThenRetireLegacyLinks(t *testing.T) {
	t.Parallel()
	for _, e := range upgradeEngines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := e.open(t)
			st, err := sqlstore.New(db, e.dialect)
			require.NoError(t, err)
			require.NoError(t, st.MigrateTo(ctx, 4))
			s := seedVersion(t, db, e.dialect, 4)
			require.NoError(t, st.Migrate(ctx))

			at := upgradeT0.Add(time.Hour)
			n, err := st.RetireLinks(ctx, upIntegration, "", at)
			require.NoError(t, err)
			assert.Equal(t, len(s.links), n)
			_, err = st.GetLink(ctx, upIntegration, "case-linked")
			require.ErrorIs(t, err, itsm.ErrNotFound)
			retired, err := st.RetiredLinks(ctx, upIntegration, "case-linked")
			require.NoError(t, err)
			require.Len(t, retired, 1)
			assert.Equal(t, s.links[0], retired[0].Link)
			assert.True(t, retired[0].RetiredAt.Equal(at))
			want := []itsm.PostedNote{s.notes["n-failed"], s.notes["n-failed-edited"], s.notes["n1"]} // by note id
			assert.Equal(t, want, retired[0].Notes)
			_, err = st.GetInboundState(ctx, upIntegration, s.inbound.TicketID)
			require.ErrorIs(t, err, itsm.ErrNotFound, "the retired ticket's inbound state goes with it")
		})
	}
}

// upgradeConn is a connector of the ITSM the old release synced with: the
// tickets of the seed exist, the pending create's ticket was made (its
// answer was lost) and is found by its correlation key. Creates are
// recorded so the test can fail on any.
type upgradeConn struct {
	mu       sync.Mutex
	creates  []string
	updates  []string
	comments []string // note ids
	finds    []string // correlation keys
	nextID   int
}

var _ itsm.Finder = (*upgradeConn)(nil)
var _ itsm.Targeter = (*upgradeConn)(nil)

func (c *upgradeConn) Target() string { return upTarget }

func (c *upgradeConn) Create(_ context.Context, req itsm.SyncRequest) (itsm.Ticket, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.creates = append(c.creates, req.Case.ID)
	c.nextID++
	return itsm.Ticket{ID: fmt.Sprintf("2000%d", c.nextID)}, nil
}

func (c *upgradeConn) Update(_ context.Context, t itsm.Ticket, req itsm.SyncRequest) (itsm.Ticket, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.updates = append(c.updates, req.Case.ID+"->"+t.ID)
	return t, nil
}

func (c *upgradeConn) Comment(_ context.Context, _ itsm.Ticket, _ itsm.SyncRequest, n itsm.Note) (itsm.Comment, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.HasPrefix(n.Text, "REFUSE") {
		return itsm.Comment{}, fmt.Errorf("fake: comment: %w", itsm.ErrRefused)
	}
	c.comments = append(c.comments, n.ID)
	return itsm.Comment{ID: "c-" + n.ID}, nil
}

func (c *upgradeConn) Get(_ context.Context, t itsm.Ticket) (itsm.Ticket, error) { return t, nil }

func (c *upgradeConn) Find(_ context.Context, req itsm.SyncRequest) ([]itsm.Ticket, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.finds = append(c.finds, req.CorrelationKey)
	switch req.CorrelationKey {
	case itsm.CorrelationKey(upIntegration, "case-pending"):
		return []itsm.Ticket{{ID: "10002", Key: "SEC-2", URL: "https://itsm.example/browse/SEC-2"}}, nil
	case itsm.CorrelationKey(upIntegration, "case-inflight"):
		return []itsm.Ticket{{ID: "10006", Key: "SEC-6", URL: "https://itsm.example/browse/SEC-6"}}, nil
	}
	return []itsm.Ticket{}, nil
}

// syncAfterUpgrade runs the new release's Syncer on the upgraded store.
func syncAfterUpgrade(t *testing.T, st *sqlstore.Store, v int, s seed) {
	t.Helper()
	ctx := context.Background()
	clock := itsmtest.NewClock(upgradeT0.Add(time.Hour))
	conn := &upgradeConn{}
	syncer, err := itsm.NewSyncer(conn, st, itsm.SyncerConfig{IntegrationID: upIntegration, CooldownPeriod: itsm.Off,
		Holder: "new-replica"}, itsm.WithClock(clock))
	require.NoError(t, err)

	c := itsm.Case{ID: "case-linked", Title: "Phishing mail reported", Status: itsm.StatusInProgress}
	notes := []itsm.Note{{ID: "n1", Text: noteText}}
	wantComments := []string{"n-new"}
	if v >= 4 {
		notes = append(notes, itsm.Note{ID: "n-failed", Text: failedText},
			itsm.Note{ID: "n-failed-edited", Text: "edited after the refusal"})
		wantComments = []string{"n-failed-edited", "n-new"}
	}
	notes = append(notes, itsm.Note{ID: "n-new", Text: newNoteText})
	for round := range 2 {
		res, err := syncer.Sync(ctx, c, notes)
		require.NoError(t, err, "round %d", round)
		assert.False(t, res.Created, "the linked case is updated, not created again")
		assert.True(t, res.Updated)
		assert.Equal(t, "10001", res.TicketID)
		if v >= 4 {
			require.Len(t, res.NotesFailed, 1, "the failed note stays failed")
			assert.Equal(t, "n-failed", res.NotesFailed[0].NoteID)
		} else {
			assert.Empty(t, res.NotesFailed)
		}
	}
	assert.Equal(t, wantComments, conn.comments,
		"n1 was posted before the upgrade, n-failed stays refused; the edited refused note and n-new are posted once")

	l, err := st.GetLink(ctx, upIntegration, "case-linked")
	require.NoError(t, err)
	assert.Equal(t, upTarget, l.Target, "the legacy link adopted the connector's target")
	assert.Equal(t, "10001", l.TicketID)
	recs, err := st.PostedNotes(ctx, upIntegration, "case-linked")
	require.NoError(t, err)
	assert.Equal(t, "c-501", recs["n1"].CommentID, "the legacy record of n1 is kept")
	assert.Equal(t, itsm.NotePosted, recs["n-new"].State)
	if v >= 4 {
		nf := recs["n-failed"]
		assert.True(t, nf.Failed)
		assert.Equal(t, sha(failedText), nf.TextHash, "the legacy failed record is left as it was")
		ne := recs["n-failed-edited"]
		assert.False(t, ne.Failed, "a legacy failed note whose text changed is tried again, as new")
		assert.Equal(t, itsm.NotePosted, ne.State)
		assert.Equal(t, sha("edited after the refusal"), ne.TextHash)
		assert.Empty(t, ne.RefusedHash)
	}

	// The creates the old release left open (unknown outcome; in flight
	// when its replica died) are resolved by the lookup, never by a second
	// create.
	for _, tc := range []struct{ caseID, ticket string }{{"case-pending", "10002"}, {"case-inflight", "10006"}} {
		res, err := syncer.Sync(ctx, itsm.Case{ID: tc.caseID, Title: "Malware on host-17"}, nil)
		require.NoError(t, err, tc.caseID)
		assert.True(t, res.Recovered, tc.caseID)
		assert.False(t, res.Created, tc.caseID)
		assert.Equal(t, tc.ticket, res.TicketID)
		_, err = st.GetPending(ctx, upIntegration, tc.caseID)
		require.ErrorIs(t, err, itsm.ErrNotFound)
		l, err = st.GetLink(ctx, upIntegration, tc.caseID)
		require.NoError(t, err)
		assert.Equal(t, upTarget, l.Target)
		assert.Equal(t, tc.ticket, l.TicketID)
	}
	assert.Empty(t, conn.creates, "no second create")
	assert.Equal(t, []string{itsm.CorrelationKey(upIntegration, "case-pending"), itsm.CorrelationKey(upIntegration, "case-inflight")}, conn.finds)

	// A case the old release never saw is created once, in the target.
	res, err := syncer.Sync(ctx, itsm.Case{ID: "case-new", Title: "Brute force on VPN"}, nil)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, []string{"case-new"}, conn.creates)
	targets, err := st.LinkTargets(ctx, upIntegration)
	require.NoError(t, err)
	want := []itsm.TargetCount{{Target: "", Links: 1}, {Target: upTarget, Links: 4}}
	if s.v5Link != nil {
		want[1].Links++
	}
	assert.ElementsMatch(t, want, targets, "only the closed, unsynced link keeps no target")
}

// v4 is the SQL of the last release before this one (schema version 4)
// for the tables changed since, copied from that release's queries.go with
// the default table prefix: what an old replica still running during a
// rolling upgrade sends to the upgraded database.
const (
	v4LinkCols = "integration_id, case_id, ticket_id, ticket_key, url, created_at, updated_at, last_pushed_status, last_pushed_at, closed"
	v4NoteCols = "integration_id, case_id, note_id, ticket_id, comment_id, text_hash, posted_at, failed, fail_reason"

	v4PutLink = "INSERT INTO itsmsync_links (" + v4LinkCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
		" ON CONFLICT (integration_id, case_id) DO UPDATE SET ticket_id = excluded.ticket_id," +
		" ticket_key = excluded.ticket_key, url = excluded.url, created_at = excluded.created_at," +
		" updated_at = excluded.updated_at, last_pushed_status = excluded.last_pushed_status," +
		" last_pushed_at = excluded.last_pushed_at, closed = excluded.closed"
	v4GetLink        = "SELECT " + v4LinkCols + " FROM itsmsync_links WHERE integration_id = ? AND case_id = ?"
	v4CreatePending  = "INSERT INTO itsmsync_pending_creates (integration_id, case_id, correlation_key, state, attempts, started_at, updated_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (integration_id, case_id) DO NOTHING"
	v4PGCompletePend = "WITH done AS (DELETE FROM itsmsync_pending_creates WHERE integration_id = ? AND case_id = ? RETURNING case_id)" +
		" INSERT INTO itsmsync_links (" + v4LinkCols + ") SELECT ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::text, ?::bigint, ?::boolean FROM done" +
		" ON CONFLICT (integration_id, case_id) DO UPDATE SET ticket_id = excluded.ticket_id," +
		" ticket_key = excluded.ticket_key, url = excluded.url, created_at = excluded.created_at," +
		" updated_at = excluded.updated_at, last_pushed_status = excluded.last_pushed_status," +
		" last_pushed_at = excluded.last_pushed_at, closed = excluded.closed"
	v4DeletePending   = "DELETE FROM itsmsync_pending_creates WHERE integration_id = ? AND case_id = ?"
	v4PostedNotes     = "SELECT " + v4NoteCols + " FROM itsmsync_posted_notes WHERE integration_id = ? AND case_id = ?"
	v4MarkNotePosted  = "INSERT INTO itsmsync_posted_notes (" + v4NoteCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (integration_id, case_id, note_id) DO NOTHING"
	v4UpdatePosted    = "UPDATE itsmsync_posted_notes SET ticket_id = ?, comment_id = ?, text_hash = ?, posted_at = ?, failed = ?, fail_reason = ? WHERE integration_id = ? AND case_id = ? AND note_id = ?"
	v4ClearFailedNote = "DELETE FROM itsmsync_posted_notes WHERE integration_id = ? AND case_id = ? AND note_id = ? AND failed"
	v4AcquireLease    = "INSERT INTO itsmsync_leases AS cur (lease_key, holder, expires_at) VALUES (?, ?, ?)" +
		" ON CONFLICT (lease_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at" +
		" WHERE COALESCE(cur.expires_at, -9223372036854775807) <= ? OR cur.holder = excluded.holder" +
		" RETURNING lease_key, holder, expires_at"
	v4StartCooldown = "INSERT INTO itsmsync_cooldowns AS cur (cooldown_key, until_at) VALUES (?, ?)" +
		" ON CONFLICT (cooldown_key) DO UPDATE SET until_at = excluded.until_at"
)

// TestRollingUpgradeOldStatements runs the statements of the schema-4
// release against the newest schema, as an old replica still running
// during a rolling upgrade does, and checks what doc.go promises: its
// writes read back with the new fields at their defaults (a link with no
// target, a note record in the legacy posted state), its reads of rows the
// new release wrote still work, and it never sends a note the new release
// recorded (pending or posted) again.
func TestRollingUpgradeOldStatements(t *testing.T) {
	t.Parallel()
	for _, e := range upgradeEngines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := e.open(t)
			st, err := sqlstore.New(db, e.dialect)
			require.NoError(t, err)
			require.NoError(t, st.Migrate(ctx))
			// An old replica restarting runs its own Migrate (up to 4):
			// a no-op on the newer schema.
			require.NoError(t, st.MigrateTo(ctx, 4))
			v, err := st.SchemaVersion(ctx)
			require.NoError(t, err)
			require.Equal(t, latestVersion, v)
			t0 := upgradeT0
			x := func(q string, args ...any) { t.Helper(); rawExec(t, db, e.dialect, q, args...) }

			// Old writes: a link made and updated, a create completed
			// (pending then link), a posted and a refused note.
			x(v4PutLink, "i", "c1", "T1", "K-1", "https://itsm.example/K-1", us(t0), us(t0), "Open", us(t0), false)
			x(v4PutLink, "i", "c1", "T1", "K-1", "https://itsm.example/K-1", us(t0), us(t0.Add(time.Second)), "Open", us(t0), false)
			x(v4CreatePending, "i", "c2", "key-2", "in_flight", 1, us(t0), us(t0), "")
			if e.dialect == sqlstore.Postgres {
				x(v4PGCompletePend, "i", "c2", "i", "c2", "T2", "K-2", "", us(t0), us(t0), "", nil, false)
			} else {
				x(v4DeletePending, "i", "c2")
				x(v4PutLink, "i", "c2", "T2", "K-2", "", us(t0), us(t0), "", nil, false)
			}
			x(v4MarkNotePosted, "i", "c1", "n1", "T1", "C1", sha("a"), us(t0), false, "")
			x(v4MarkNotePosted, "i", "c1", "n2", "T1", "", sha("b"), us(t0), true, "HTTP 400")

			// The new release reads them with the documented defaults.
			l, err := st.GetLink(ctx, "i", "c1")
			require.NoError(t, err)
			assert.Equal(t, itsm.Link{IntegrationID: "i", CaseID: "c1", TicketID: "T1", TicketKey: "K-1",
				URL: "https://itsm.example/K-1", CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
				LastPushedStatus: "Open", LastPushedAt: t0}, l, "Target \"\": adopted by the next sync")
			l, err = st.GetLink(ctx, "i", "c2")
			require.NoError(t, err)
			assert.Equal(t, itsm.Link{IntegrationID: "i", CaseID: "c2", TicketID: "T2", TicketKey: "K-2", CreatedAt: t0, UpdatedAt: t0}, l)
			_, err = st.GetPending(ctx, "i", "c2")
			require.ErrorIs(t, err, itsm.ErrNotFound)
			notes, err := st.PostedNotes(ctx, "i", "c1")
			require.NoError(t, err)
			assert.Equal(t, map[string]itsm.PostedNote{
				"n1": {IntegrationID: "i", CaseID: "c1", NoteID: "n1", TicketID: "T1", CommentID: "C1", TextHash: sha("a"), PostedAt: t0},
				"n2": {IntegrationID: "i", CaseID: "c1", NoteID: "n2", TicketID: "T1", TextHash: sha("b"), PostedAt: t0,
					Failed: true, Reason: "HTTP 400"},
			}, notes, "State \"\" reads as posted; the failed record in the legacy form")

			// Rows of the new release, read and updated by an old replica:
			// its link upsert keeps the target; a note recorded pending
			// (sent or about to be) reads to it as posted (failed false,
			// same hash), so it does not send it.
			require.NoError(t, st.PutLink(ctx, itsm.Link{IntegrationID: "i", CaseID: "c3", TicketID: "T3", Target: upTarget, CreatedAt: t0}))
			x(v4PutLink, "i", "c3", "T3", "", "", us(t0), us(t0.Add(time.Minute)), "Done", us(t0), true)
			l, err = st.GetLink(ctx, "i", "c3")
			require.NoError(t, err)
			assert.Equal(t, upTarget, l.Target, "an old replica's link upsert keeps the link's target")
			assert.True(t, l.Closed)
			var got [10]any
			ptrs := make([]any, len(got))
			for i := range got {
				ptrs[i] = &got[i]
			}
			require.NoError(t, db.QueryRowContext(ctx, rawBind(e.dialect, v4GetLink), "i", "c3").Scan(ptrs...))
			assert.Equal(t, "T3", fmt.Sprint(got[2]), "an old replica reads the new release's link")
			require.NoError(t, st.MarkNotePosted(ctx, itsm.PostedNote{IntegrationID: "i", CaseID: "c3", NoteID: "n3", TicketID: "T3",
				TextHash: sha("c"), State: itsm.NotePending, PostedAt: t0}))
			rows, err := db.QueryContext(ctx, rawBind(e.dialect, v4PostedNotes), "i", "c3")
			require.NoError(t, err)
			var seen int
			for rows.Next() {
				var integ, cs, note, ticket, comment, hash, reason string
				var posted sql.NullInt64
				var failed bool
				require.NoError(t, rows.Scan(&integ, &cs, &note, &ticket, &comment, &hash, &posted, &failed, &reason))
				assert.Equal(t, "n3", note)
				assert.Equal(t, sha("c"), hash)
				assert.False(t, failed, "a pending record is, to an old replica, a posted note: never sent by it")
				seen++
			}
			require.NoError(t, rows.Err())
			require.NoError(t, rows.Close())
			assert.Equal(t, 1, seen)

			// An old replica's "retry a failed note" removes failed records
			// only: never a posted or a pending one.
			for _, id := range []string{"n1", "n2"} {
				x(v4ClearFailedNote, "i", "c1", id)
			}
			x(v4ClearFailedNote, "i", "c3", "n3")
			notes, err = st.PostedNotes(ctx, "i", "c1")
			require.NoError(t, err)
			assert.Contains(t, notes, "n1")
			assert.NotContains(t, notes, "n2")
			notes, err = st.PostedNotes(ctx, "i", "c3")
			require.NoError(t, err)
			assert.Equal(t, itsm.NotePending, notes["n3"].State)

			// The documented limit: an old replica's update of a record
			// (its repost of an edited note) sets what it knows and keeps
			// State and RefusedHash as they were.
			x(v4UpdatePosted, "T3", "C3b", sha("c edited"), us(t0.Add(time.Minute)), false, "", "i", "c3", "n3")
			notes, err = st.PostedNotes(ctx, "i", "c3")
			require.NoError(t, err)
			assert.Equal(t, itsm.NotePending, notes["n3"].State, "see doc.go: rolling upgrades and edited notes")
			assert.Equal(t, sha("c edited"), notes["n3"].TextHash)

			// A link the old replica wrote is adopted by a new replica's
			// next sync, like any link made before targets, and its posted
			// note is not sent again.
			conn := &upgradeConn{}
			syncer, err := itsm.NewSyncer(conn, st, itsm.SyncerConfig{IntegrationID: "i", CooldownPeriod: itsm.Off},
				itsm.WithClock(itsmtest.NewClock(t0.Add(time.Hour))))
			require.NoError(t, err)
			res, err := syncer.Sync(ctx, itsm.Case{ID: "c1", Title: "t"}, []itsm.Note{{ID: "n1", Text: "a"}})
			require.NoError(t, err)
			assert.True(t, res.Updated)
			assert.Empty(t, conn.comments)
			assert.Empty(t, conn.creates)
			l, err = st.GetLink(ctx, "i", "c1")
			require.NoError(t, err)
			assert.Equal(t, upTarget, l.Target)

			// Old and new replicas exclude each other: the lease an old
			// replica holds on a case (same key format: "sync:" and the
			// length-prefixed integration id and case id) refuses a new
			// replica's sync, and so does the cooldown it started.
			now := t0.Add(time.Hour)
			var key, holder string
			var until int64
			require.NoError(t, db.QueryRowContext(ctx, rawBind(e.dialect, v4AcquireLease), "sync:1:i:c1", "old-replica",
				us(now.Add(time.Minute)), us(now)).Scan(&key, &holder, &until))
			_, err = syncer.Sync(ctx, itsm.Case{ID: "c1", Title: "t"}, nil)
			require.ErrorIs(t, err, itsm.ErrLeaseHeld, "the old replica's lease holds")
			x("DELETE FROM itsmsync_leases WHERE lease_key = ? AND holder = ?", "sync:1:i:c1", "old-replica")
			coolSyncer, err := itsm.NewSyncer(conn, st, itsm.SyncerConfig{IntegrationID: "i"},
				itsm.WithClock(itsmtest.NewClock(now)))
			require.NoError(t, err)
			x(v4StartCooldown, "cooldown:1:i:c1", us(now.Add(time.Minute)))
			_, err = coolSyncer.Sync(ctx, itsm.Case{ID: "c1", Title: "t"}, nil)
			require.ErrorIs(t, err, itsm.ErrCoolingDown, "the old replica's cooldown holds")
			require.Equal(t, 1, len(conn.updates), "nothing sent while the old replica holds the case")

			// The documented limit of refused notes: the new release keeps
			// in text_hash the text on the ticket before ("" when none),
			// not the refused text's hash as the schema-4 release did, so
			// an old replica (which skips a failed note only when text_hash
			// is its text's hash) tries a refused note once more.
			const refused = "REFUSE: attachment too large"
			res, err = syncer.Sync(ctx, itsm.Case{ID: "c1", Title: "t"}, []itsm.Note{{ID: "n1", Text: "a"}, {ID: "n4", Text: refused}})
			require.NoError(t, err)
			require.Len(t, res.NotesFailed, 1)
			var hash string
			var failed bool
			rows, err = db.QueryContext(ctx, rawBind(e.dialect, v4PostedNotes), "i", "c1")
			require.NoError(t, err)
			for rows.Next() {
				var integ, cs, note, ticket, comment, reason string
				var posted sql.NullInt64
				var f bool
				require.NoError(t, rows.Scan(&integ, &cs, &note, &ticket, &comment, &hash, &posted, &f, &reason))
				if note == "n4" {
					failed = f
					break
				}
			}
			require.NoError(t, rows.Close())
			assert.True(t, failed)
			assert.NotEqual(t, sha(refused), hash, "see doc.go: rolling upgrades and refused notes")
		})
	}
}

// TestUpgradeWhileOldReplicaWrites: new replicas start together (each
// running Migrate from the last released schema) while an old replica keeps
// writing links and notes with its own statements; every migration is
// applied once, no write is lost or refused, and every row reads back.
func TestUpgradeWhileOldReplicaWrites(t *testing.T) {
	t.Parallel()
	for _, e := range upgradeEngines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var dsn string
			var open func() *sql.DB
			if e.dialect == sqlstore.SQLite {
				dsn = sqlstoretest.SQLiteDSN(t.TempDir() + "/roll.db")
				open = func() *sql.DB { return sqlstoretest.OpenSQLiteDSN(t, dsn) }
			} else {
				dsn = sqlstoretest.PostgresDSN(t)
				open = func() *sql.DB { return sqlstoretest.OpenPostgresDSN(t, dsn) }
			}
			old := open()
			oldStore, err := sqlstore.New(old, e.dialect)
			require.NoError(t, err)
			require.NoError(t, oldStore.MigrateTo(ctx, 4))
			s := seedVersion(t, old, e.dialect, 4)

			const replicas, writes = 4, 60
			stores := make([]*sqlstore.Store, replicas)
			for i := range stores {
				st, err := sqlstore.New(open(), e.dialect)
				require.NoError(t, err)
				stores[i] = st
			}
			start := make(chan struct{})
			errs := make([]error, replicas+1)
			var wg sync.WaitGroup
			for i, st := range stores {
				wg.Go(func() {
					<-start
					errs[i] = st.Migrate(ctx)
				})
			}
			wg.Go(func() {
				<-start
				for i := range writes {
					c := fmt.Sprintf("old-%03d", i)
					if _, err := old.ExecContext(ctx, rawBind(e.dialect, v4PutLink), "i", c, "T"+c, "", "", us(upgradeT0), us(upgradeT0), "", nil, false); err != nil {
						errs[replicas] = fmt.Errorf("put link %s: %w", c, err)
						return
					}
					if _, err := old.ExecContext(ctx, rawBind(e.dialect, v4MarkNotePosted), "i", c, "n", "T"+c, "", sha(c), us(upgradeT0), false, ""); err != nil {
						errs[replicas] = fmt.Errorf("mark note %s: %w", c, err)
						return
					}
				}
			})
			close(start)
			wg.Wait()
			for i, err := range errs {
				require.NoError(t, err, "replica %d (the last is the old one)", i)
			}

			st := stores[0]
			v, err := st.SchemaVersion(ctx)
			require.NoError(t, err)
			assert.Equal(t, latestVersion, v)
			var rows int
			require.NoError(t, old.QueryRowContext(ctx, "SELECT COUNT(*) FROM itsmsync_schema_migrations").Scan(&rows))
			assert.Equal(t, migrationCount, rows, "each migration recorded once")
			links, err := st.ListLinks(ctx, "i", "", 2*writes, false)
			require.NoError(t, err)
			assert.Len(t, links, writes)
			for _, l := range links {
				assert.Empty(t, l.Target)
				notes, err := st.PostedNotes(ctx, "i", l.CaseID)
				require.NoError(t, err)
				require.Contains(t, notes, "n")
				assert.Equal(t, sha(l.CaseID), notes["n"].TextHash)
				assert.False(t, notes["n"].Unsettled())
			}
			checkSeed(t, st, s)
		})
	}
}

// TestPostgresKeyColumnsByteOrder: every text column of a primary key uses
// the "C" collation on PostgreSQL, as doc.go promises for identifier
// columns (byte order, like Go's string comparison, whatever the database's
// default collation), in the tables of every migration.
func TestPostgresKeyColumnsByteOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := sqlstoretest.OpenPostgres(t)
	st, err := sqlstore.New(db, sqlstore.Postgres)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	rows, err := db.QueryContext(ctx, `SELECT c.relname, a.attname, COALESCE(co.collname, '')
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
		LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace
		AND a.atttypid = 'text'::regtype
		ORDER BY 1, 2`)
	require.NoError(t, err)
	defer rows.Close()
	tables := map[string]bool{}
	for rows.Next() {
		var table, column, coll string
		require.NoError(t, rows.Scan(&table, &column, &coll))
		tables[table] = true
		assert.Equal(t, "C", coll, "%s.%s", table, column)
	}
	require.NoError(t, rows.Err())
	assert.Contains(t, tables, "itsmsync_links")
	assert.Contains(t, tables, "itsmsync_retired_links")
}
