// Package sqlstore implements every store interface of the SDK ([itsm.SyncStore], [itsm.IntegrationStore], callback.InboundStore, callback.TokenStore) and [itsm.Cooldown] on database/sql,
// for SQLite (one node) and PostgreSQL (any number of replicas sharing one
// database).
//
// # Drivers
//
// The package speaks plain database/sql and imports no driver: the host
// picks one and passes the *sql.DB with the matching [Dialect]. Tested with
// modernc.org/sqlite (pure Go, driver name "sqlite") for [SQLite] and
// github.com/jackc/pgx/v5/stdlib ("pgx") for [Postgres]; any driver that
// accepts int64, string, bool, []byte and nil arguments and supports
// RowsAffected should do. SQLite must be 3.35 or later (RETURNING),
// PostgreSQL 11 or later.
//
// For SQLite, open the file with a busy timeout and WAL, e.g.
//
//	file:/var/lib/siem/itsm.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)
//
// (URI-escape the path: a raw "#" or "?" in it ends the file name early;
// add _pragma=synchronous(NORMAL) to trade the last commits before a power
// loss for about 10x faster writes), and call db.SetMaxOpenConns(1): SQLite has one writer at a time, and a
// single connection serializes the pool's writers in Go instead of having
// them wait on the file lock (an in-memory database needs it anyway, since
// each connection would get its own). Several processes on one SQLite file
// work too (the busy timeout makes them wait their turn), but for several
// machines use PostgreSQL. For PostgreSQL, raise db.SetMaxIdleConns to the
// expected concurrency: database/sql keeps only 2 idle connections by
// default, and reconnecting on every burst is slow.
//
// # Migrations
//
// [New] never touches the database; [Store.Migrate] creates or upgrades the
// tables from versioned SQL files embedded in the binary
// (migrations/<dialect>/NNNN_name.sql). Applied versions are recorded in
// <prefix>schema_migrations (version, name, applied_at); each migration runs
// in one transaction with its record, so it is applied entirely or not at
// all, and Migrate is idempotent: call it on every start. Replicas starting
// together are safe: on PostgreSQL every step holds pg_advisory_xact_lock
// (keyed by schema and table prefix), on SQLite it runs in BEGIN IMMEDIATE.
// [Store.SchemaVersion] reports the applied version. Versions unknown to
// this release (written by a newer one) are left alone, so a rolling
// upgrade keeps old replicas running on additive migrations.
//
// # Upgrading a populated database
//
// Migrate brings a database of any earlier release up to date with its data
// in place (tested from every earlier schema version, on both engines, with
// a sync afterwards). Every migration so far only adds: tables, indexes, and
// columns with a constant default, so no row is rewritten or backfilled (on
// PostgreSQL 11 and later adding such a column is a catalog change). Rows
// keep their values, and what a row could not hold before reads as:
//
//   - [itsm.Link].Target "": the link was made before targets were recorded.
//     The link's next successful sync adopts the connector's target; a host
//     that switched ticket systems around the upgrade retires target ""
//     first (RetireLinks with target "").
//   - [itsm.PostedNote].State "" (posted) and RefusedHash "": a failed
//     record then holds the refused text's hash in TextHash, as it did, and
//     stays failed until its text changes.
//   - [itsm.PostedNote].LookupFailures 0: no failed comment lookup counted.
//   - [itsm.Integration].Status zero (unverified); no webhook secrets, no orphans,
//     no retired links.
//
// A pending create left by the older release is resolved like any other:
// by a lookup before any second create.
//
// Each migration is one transaction. On PostgreSQL adding a column takes a
// brief exclusive lock on its table (it waits for the transactions using
// the table, and holds up new ones meanwhile), and migration 0008 builds an
// index on links (integration_id, target) inside its transaction: writes to
// links wait for the build (1.6 s for a million links on a small test
// machine), so upgrade a large installation at a quiet time.
//
// # Rolling upgrades
//
// Replicas of the release before this one (schema version 4) may keep
// running on the upgraded database while they are replaced:
//
//   - Run Migrate first (a new replica's start or a deploy step). An old
//     replica that restarts runs its own Migrate, which finds its versions
//     applied and leaves the newer ones alone.
//   - Their statements keep working: no table or column they use is
//     dropped, renamed or narrowed, and every column added since has a
//     default (the package's tests run that release's statements on the
//     newest schema). Their writes read as legacy rows: a link with Target
//     "" (adopted by a new replica's next sync of the case), a note record
//     with State "" (posted). Their link upserts keep a link's Target.
//   - Old and new replicas exclude each other as before: the lease and
//     cooldown keys, pending creates, delivery claims and inbound states
//     did not change.
//
// Until the last old replica is gone:
//
//   - An old replica does not know pending or unconfirmed notes: it reads
//     such a record as a posted note, so it never sends that note, nor
//     resolves it; a new replica's next sync of the case does. Its own
//     notes are recorded after sending, as in its release (a crash between
//     the two may post a note twice).
//   - Keep EditedNotes at its default (ignore) on the old replicas: an old
//     replica reposting an edited note updates the record's text but not
//     its State, so a record pending or unconfirmed stays so, and a new
//     replica may then send the note once more.
//   - An old replica tries again, once, a note a new replica recorded as
//     refused: the new release keeps the text posted before in TextHash
//     (the refused text's hash is in RefusedHash), which the old release
//     takes for an edited text. An ITSM that refused the text for good
//     refuses it again, and the record is failed again.
//   - Do not change an integration's ticket system, project or queue, and do
//     not call KeepLinks or RetireLinks: an old replica knows no targets, so
//     it would send the old tickets' ids to the new system, and the links
//     it makes carry no target (a new replica adopts them into its current
//     target).
//   - Orphans are found and recorded by new replicas only.
//
// # Schema
//
// Every table name starts with the prefix ([DefaultTablePrefix] "itsmsync_",
// see [WithTablePrefix]); on PostgreSQL the tables live in the connection's
// search_path or in the schema named by [WithSchema]:
//
//	links            (integration_id, case_id) -> ticket id/key, URL, times,
//	                 last pushed status, closed, target; indexed by ticket
//	                 id, by ticket key and by target
//	pending_creates  (integration_id, case_id) -> correlation key, state, attempts
//	posted_notes     (integration_id, case_id, note_id) -> comment id, text hash,
//	                 failed, fail_reason, state, refused_hash,
//	                 lookup_failures
//	leases           lease_key -> holder, expires_at
//	cooldowns        cooldown_key -> until_at
//	integrations     id -> workspace (unique index: one per workspace), config
//	callback_tokens  id -> integration, hash (indexed), times
//	deliveries       (integration_id, delivery_id) -> claimed_at, expires_at
//	inbound_states   (integration_id, ticket_id) -> version, occurred_at, status
//	webhook_secrets  (integration_id, seq) -> id (unique per integration),
//	                 sealed secret, created/retires/revoked times
//	orphans          (integration_id, case_id, ticket_id) -> correlation key,
//	                 ticket key, URL, found_at, linked ticket, dismissed_at
//	retired_links    (integration_id, case_id, seq) -> the link's columns,
//	                 retired_at, its note records (JSON)
//
// On SQLite, links, pending_creates, posted_notes, leases and cooldowns are
// WITHOUT ROWID tables (rows kept in their primary key's b-tree), since
// every sync writes them: each write changes one b-tree fewer.
//
// Identifier columns use byte-order collation ("C" on PostgreSQL, BINARY on
// SQLite), so [Store.ListLinks] pages in the same order as Go's string
// comparison whatever the database's default collation. Integration configs
// are stored as given (they hold the integration's secrets): protect the
// database and its backups accordingly. Callback tokens are stored as hashes
// only; webhook secrets only sealed, under the host's key (callback.Sealer).
//
// # Time
//
// Every time is stored as a BIGINT of microseconds since the Unix epoch, UTC:
// identical on both engines, compared as integers in SQL, free of time-zone
// and driver conversions. Times read back are in UTC with microsecond
// precision (nanoseconds are truncated); the zero time is stored as NULL and
// reads back as the zero time; in comparisons NULL counts as earlier than any
// real time, as time.Time{} does in Go.
//
// # Replicas
//
// Every decision that must have one winner is one conditional SQL statement,
// never a read followed by a write, so replicas need nothing but the shared
// database:
//
//   - AcquireLease: INSERT ... ON CONFLICT (lease_key) DO UPDATE SET holder,
//     expires_at WHERE the lease expired at now OR the holder renews,
//     RETURNING the row; no row means the lease is held, and the current one
//     is read and returned with [itsm.ErrLeaseHeld]. A crashed holder stops
//     renewing and its lease expires.
//   - TryStartCooldown: the same shape on cooldowns, WHERE the cooldown ended
//     at now.
//   - CreatePending and MarkNotePosted: INSERT ... ON CONFLICT DO NOTHING;
//     zero rows affected is [itsm.ErrConflict]. No driver error is parsed.
//   - CompletePending: deletes the pending create and, only when a row was
//     deleted, upserts the link — one statement on PostgreSQL (a DELETE ...
//     RETURNING in a WITH feeding the INSERT), one transaction on SQLite;
//     otherwise nothing is written and the error wraps [itsm.ErrConflict]
//     (another replica, or a person, completed or cleared it first).
//   - BeginSync: the AcquireLease upsert, fed by a SELECT that yields no
//     row while the case cools down, so the cooldown check and the lease
//     are one decision. On PostgreSQL the same statement reads the case
//     (a WITH); its snapshot predates a sync ending concurrently, which is
//     detected (the lease it saw was live) and answered by running it again.
//   - ClaimDelivery: insert, or overwrite a claim that expired at now; a live
//     duplicate is neither overwritten nor extended.
//   - AdvanceInboundState: an upsert whose WHERE clause is the ordering rule
//     (a higher version when both have one, else a later occurred_at).
//   - PutIntegration: an upsert by id conditional on no other id owning the
//     workspace, with a unique index on workspace settling a race between
//     two inserts; the loser gets [itsm.ErrIntegrationExists].
//
// # Bounded tables
//
// Expired delivery claims are overwritten in place, and every
// [DefaultPruneEvery] claims (see [WithPruneEvery]) ClaimDelivery deletes up
// to [DefaultPruneBatch] claims expired at its now (see [WithPruneBatch]) in
// one statement; hosts may instead call [Store.PruneDeliveries] on a timer,
// which deletes in batches of the same size until none are left. With the
// defaults the table holds the claims of one dedup ttl plus at most the
// claims that expired since the last prune. Leases are deleted when
// released; cooldown rows stay, one per case.
//
// # Cost per operation
//
// Every store method on the sync and inbound paths is one statement (one
// round trip on PostgreSQL), except CompletePending and EndSync on SQLite
// (transactions). A sync begins and ends with one call each
// ([Store.BeginSync]: cooldown check, lease, link, pending create and notes;
// [Store.EndSync]: cooldown, link, lease release), each one statement on
// PostgreSQL. On SQLite the Store prepares each statement once and reuses
// it; on PostgreSQL pgx prepares and caches statements per connection. With
// the engine of this module a first sync costs 4 round trips on PostgreSQL,
// a repeat sync with one new note 4 (the note is recorded pending before it
// is sent and posted after) and an inbound apply 4 (TestStoreRoundTrips
// guards them).
//
// # Errors
//
// Documented outcomes wrap their [itsm] sentinel (ErrNotFound, ErrConflict,
// ErrLeaseHeld, ErrIntegrationExists); every other failure wraps
// [itsm.ErrStore] and the driver's error, prefixed "sqlstore: <operation>".
// Errors never carry arguments' secrets; driver errors name at most the host,
// user and database, never the password.
//
// The sub-package sqlstoretest opens throwaway SQLite files and PostgreSQL
// schemas for tests (PostgreSQL from ITSMSYNC_TEST_POSTGRES_DSN, which
// .ci/postgres.sh prints).
package sqlstore
