package sqlstore

import "strings"

// queries holds every statement of a Store, built once by New with the
// table names and the dialect's placeholders filled in.
type queries struct {
	getLink, getLinkByTicket, putLink, deleteLink, listLinks, listOpenLinks string

	createPending, getPending, updatePending, deletePending string

	// completePending deletes the pending create and upserts the link in
	// one statement (PostgreSQL only: a data-modifying CTE); "" on SQLite,
	// where CompletePending uses a transaction of two statements.
	completePending string

	postedNotes, markNotePosted, updatePostedNote, clearFailedNote string

	acquireLease, releaseLease, getLease string

	// beginSync takes the lease unless the case cools down, records the
	// pushed status and reads what a sync needs, by [beginVariant]: on
	// PostgreSQL one statement (data-modifying CTEs); on SQLite the
	// conditional lease write (beginAcquire), the pushed status
	// (beginPush) and then one read (beginRead, by [withNotes]).
	beginSync               [4]string
	beginRead               [2]string
	beginAcquire, beginPush string
	endSync                 [4]string // PostgreSQL, by [cooldown, link] bits

	cooldownUntil, startCooldown, tryStartCooldown, clearCooldown string

	putIntegration, integrationOwner, getIntegration, getIntegrationByWorkspace, deleteIntegration, setIntegrationStatus string

	putToken, getTokenByHash, listTokens, revokeToken, touchToken string

	claimDelivery, releaseDelivery, pruneDeliveries string

	getInboundState, advanceInboundState string
}

const (
	linkCols    = "integration_id, case_id, ticket_id, ticket_key, url, created_at, updated_at, last_pushed_status, last_pushed_at, closed, target"
	pendingCols = "integration_id, case_id, correlation_key, state, attempts, started_at, updated_at, last_error"
	noteCols    = "integration_id, case_id, note_id, ticket_id, comment_id, text_hash, posted_at, failed, fail_reason, state, refused_hash, lookup_failures"
	integCols   = "id, workspace, config, created_at, updated_at, status_state, status_checked_at, status_last_error"
	tokenCols   = "id, integration_id, app_name, description, hash, created_at, expires_at, revoked_at, last_used_at"
	inboundCols = "integration_id, ticket_id, version, occurred_at, status, updated_at"
	// minMicrosSQL is minMicros as an SQL literal: NULL (zero) times sort
	// first in comparisons.
	minMicrosSQL = "-9223372036854775807"
)

func buildQueries(d Dialect, t tableNames) queries {
	r := func(s string) string { return rebind(d, s) }
	// INSERT ... SELECT does not infer parameter types from the target
	// columns on PostgreSQL, so that statement casts them.
	blob := "BLOB"
	if d == Postgres {
		blob = "BYTEA"
	}
	ph := func(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
	// The target row of an upsert is referred to as "cur" (INSERT INTO t AS
	// cur), which both PostgreSQL and SQLite accept.
	return queries{
		getLink: r("SELECT " + linkCols + " FROM " + t.links + " WHERE integration_id = ? AND case_id = ?"),
		// A ticket is found by id or key; an id match wins over a key match.
		// (Two index searches joined by UNION ALL: SQLite does not use both
		// indexes for an OR with an ORDER BY.)
		getLinkByTicket: r("SELECT " + linkCols + " FROM (" +
			"SELECT " + linkCols + ", 0 AS pri FROM " + t.links + " WHERE integration_id = ? AND ticket_id = ?" +
			" UNION ALL SELECT " + linkCols + ", 1 AS pri FROM " + t.links + " WHERE integration_id = ? AND ticket_key = ?" +
			") AS found ORDER BY pri, case_id LIMIT 1"),
		putLink: r("INSERT INTO " + t.links + " (" + linkCols + ") VALUES (" + ph(11) + ")" +
			" ON CONFLICT (integration_id, case_id) DO UPDATE SET ticket_id = excluded.ticket_id," +
			" ticket_key = excluded.ticket_key, url = excluded.url, created_at = excluded.created_at," +
			" updated_at = excluded.updated_at, last_pushed_status = excluded.last_pushed_status," +
			" last_pushed_at = excluded.last_pushed_at, closed = excluded.closed, target = excluded.target"),
		deleteLink:    r("DELETE FROM " + t.links + " WHERE integration_id = ? AND case_id = ?"),
		listLinks:     r("SELECT " + linkCols + " FROM " + t.links + " WHERE integration_id = ? AND case_id > ? ORDER BY case_id LIMIT ?"),
		listOpenLinks: r("SELECT " + linkCols + " FROM " + t.links + " WHERE integration_id = ? AND case_id > ? AND NOT closed ORDER BY case_id LIMIT ?"),

		createPending: r("INSERT INTO " + t.pending + " (" + pendingCols + ") VALUES (" + ph(8) + ")" +
			" ON CONFLICT (integration_id, case_id) DO NOTHING"),
		getPending: r("SELECT " + pendingCols + " FROM " + t.pending + " WHERE integration_id = ? AND case_id = ?"),
		updatePending: r("UPDATE " + t.pending + " SET correlation_key = ?, state = ?, attempts = ?, started_at = ?," +
			" updated_at = ?, last_error = ? WHERE integration_id = ? AND case_id = ?"),
		deletePending: r("DELETE FROM " + t.pending + " WHERE integration_id = ? AND case_id = ?"),
		completePending: pgOnly(d, r("WITH done AS (DELETE FROM "+t.pending+" WHERE integration_id = ? AND case_id = ? RETURNING case_id)"+
			" INSERT INTO "+t.links+" ("+linkCols+") SELECT ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::text, ?::bigint, ?::boolean, ?::text FROM done"+
			" ON CONFLICT (integration_id, case_id) DO UPDATE SET ticket_id = excluded.ticket_id,"+
			" ticket_key = excluded.ticket_key, url = excluded.url, created_at = excluded.created_at,"+
			" updated_at = excluded.updated_at, last_pushed_status = excluded.last_pushed_status,"+
			" last_pushed_at = excluded.last_pushed_at, closed = excluded.closed, target = excluded.target")),

		postedNotes: r("SELECT " + noteCols + " FROM " + t.notes + " WHERE integration_id = ? AND case_id = ?"),
		markNotePosted: r("INSERT INTO " + t.notes + " (" + noteCols + ") VALUES (" + ph(12) + ")" +
			" ON CONFLICT (integration_id, case_id, note_id) DO NOTHING"),
		updatePostedNote: r("UPDATE " + t.notes + " SET ticket_id = ?, comment_id = ?, text_hash = ?, posted_at = ?," +
			" failed = ?, fail_reason = ?, state = ?, refused_hash = ?, lookup_failures = ? WHERE integration_id = ? AND case_id = ? AND note_id = ?"),
		clearFailedNote: r("DELETE FROM " + t.notes + " WHERE integration_id = ? AND case_id = ? AND note_id = ? AND (failed OR state IN ('pending', 'unconfirmed'))"),

		// Take the lease when there is none, when it expired at now, or
		// when the holder renews; RETURNING yields no row otherwise.
		acquireLease: r("INSERT INTO " + t.leases + " AS cur (lease_key, holder, expires_at) VALUES (?, ?, ?)" +
			" ON CONFLICT (lease_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at" +
			" WHERE COALESCE(cur.expires_at, " + minMicrosSQL + ") <= ? OR cur.holder = excluded.holder" +
			" RETURNING lease_key, holder, expires_at"),
		beginAcquire: r(beginAcquireSQL(t)),
		beginPush:    r(beginPushSQL(t)),
		beginRead:    [2]string{r(beginReadSQL(t, false, "", false)), r(beginReadSQL(t, true, "", false))},
		beginSync: [4]string{pgOnly(d, r(beginSyncSQL(t, false, false))), pgOnly(d, r(beginSyncSQL(t, true, false))),
			pgOnly(d, r(beginSyncSQL(t, false, true))), pgOnly(d, r(beginSyncSQL(t, true, true)))},
		endSync:      [4]string{pgOnly(d, r(endSyncSQL(t, 0))), pgOnly(d, r(endSyncSQL(t, 1))), pgOnly(d, r(endSyncSQL(t, 2))), pgOnly(d, r(endSyncSQL(t, 3)))},
		releaseLease: r("DELETE FROM " + t.leases + " WHERE lease_key = ? AND holder = ?"),
		getLease:     r("SELECT lease_key, holder, expires_at FROM " + t.leases + " WHERE lease_key = ?"),

		cooldownUntil: r("SELECT until_at FROM " + t.cooldowns + " WHERE cooldown_key = ?"),
		startCooldown: r("INSERT INTO " + t.cooldowns + " AS cur (cooldown_key, until_at) VALUES (?, ?)" +
			" ON CONFLICT (cooldown_key) DO UPDATE SET until_at = excluded.until_at"),
		tryStartCooldown: r("INSERT INTO " + t.cooldowns + " AS cur (cooldown_key, until_at) VALUES (?, ?)" +
			" ON CONFLICT (cooldown_key) DO UPDATE SET until_at = excluded.until_at" +
			" WHERE COALESCE(cur.until_at, " + minMicrosSQL + ") <= ?" +
			" RETURNING until_at"),
		clearCooldown: r("DELETE FROM " + t.cooldowns + " WHERE cooldown_key = ?"),

		// Insert or replace by id unless another id owns the workspace; the
		// unique index on workspace is the final guard against a race.
		putIntegration: r("INSERT INTO " + t.integrations + " AS cur (" + integCols + ")" +
			" SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS " + blob + "), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT)" +
			" WHERE NOT EXISTS (SELECT 1 FROM " + t.integrations + " o WHERE o.workspace = ? AND o.id <> ?)" +
			" ON CONFLICT (id) DO UPDATE SET workspace = excluded.workspace, config = excluded.config," +
			" created_at = excluded.created_at, updated_at = excluded.updated_at, status_state = excluded.status_state," +
			" status_checked_at = excluded.status_checked_at, status_last_error = excluded.status_last_error"),
		setIntegrationStatus:      r("UPDATE " + t.integrations + " SET status_state = ?, status_checked_at = ?, status_last_error = ? WHERE id = ?"),
		integrationOwner:          r("SELECT id FROM " + t.integrations + " WHERE workspace = ?"),
		getIntegration:            r("SELECT " + integCols + " FROM " + t.integrations + " WHERE id = ?"),
		getIntegrationByWorkspace: r("SELECT " + integCols + " FROM " + t.integrations + " WHERE workspace = ?"),
		deleteIntegration:         r("DELETE FROM " + t.integrations + " WHERE id = ?"),

		putToken: r("INSERT INTO " + t.tokens + " (" + tokenCols + ") VALUES (" + ph(9) + ")" +
			" ON CONFLICT (id) DO UPDATE SET integration_id = excluded.integration_id, app_name = excluded.app_name," +
			" description = excluded.description, hash = excluded.hash, created_at = excluded.created_at," +
			" expires_at = excluded.expires_at, revoked_at = excluded.revoked_at, last_used_at = excluded.last_used_at"),
		getTokenByHash: r("SELECT " + tokenCols + " FROM " + t.tokens + " WHERE hash = ? ORDER BY id LIMIT 1"),
		listTokens: r("SELECT " + tokenCols + " FROM " + t.tokens + " WHERE integration_id = ?" +
			" ORDER BY COALESCE(created_at, " + minMicrosSQL + "), id"),
		revokeToken: r("UPDATE " + t.tokens + " SET revoked_at = ? WHERE id = ?"),
		touchToken:  r("UPDATE " + t.tokens + " SET last_used_at = ? WHERE id = ?"),

		// A claim is new when there is none or the old one expired at now;
		// a live duplicate is left untouched (not extended).
		claimDelivery: r("INSERT INTO " + t.deliveries + " AS cur (integration_id, delivery_id, claimed_at, expires_at) VALUES (?, ?, ?, ?)" +
			" ON CONFLICT (integration_id, delivery_id) DO UPDATE SET claimed_at = excluded.claimed_at, expires_at = excluded.expires_at" +
			" WHERE COALESCE(cur.expires_at, " + minMicrosSQL + ") <= ?" +
			" RETURNING delivery_id"),
		releaseDelivery: r("DELETE FROM " + t.deliveries + " WHERE integration_id = ? AND delivery_id = ?"),
		// At most a batch (the LIMIT) per statement, so one prune never
		// holds locks on, or writes, an unbounded number of rows. No COALESCE
		// here, so the expires_at index serves the search.
		pruneDeliveries: r("DELETE FROM " + t.deliveries + " WHERE (integration_id, delivery_id) IN (SELECT integration_id, delivery_id FROM " +
			t.deliveries + " WHERE expires_at IS NULL OR expires_at <= ? LIMIT ?)"),

		getInboundState: r("SELECT " + inboundCols + " FROM " + t.inbound + " WHERE integration_id = ? AND ticket_id = ?"),
		// Newer: a higher version when both have one (non-zero), else a
		// later occurred_at; equal is not newer.
		advanceInboundState: r("INSERT INTO " + t.inbound + " AS cur (" + inboundCols + ") VALUES (" + ph(6) + ")" +
			" ON CONFLICT (integration_id, ticket_id) DO UPDATE SET version = excluded.version," +
			" occurred_at = excluded.occurred_at, status = excluded.status, updated_at = excluded.updated_at" +
			" WHERE CASE WHEN excluded.version <> 0 AND cur.version <> 0 THEN excluded.version > cur.version" +
			" ELSE COALESCE(excluded.occurred_at, " + minMicrosSQL + ") > COALESCE(cur.occurred_at, " + minMicrosSQL + ") END" +
			" RETURNING ticket_id"),
	}
}

// pgOnly returns q for PostgreSQL and "" for other dialects.
func pgOnly(d Dialect, q string) string {
	if d != Postgres {
		return ""
	}
	return q
}
