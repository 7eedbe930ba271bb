package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// Dialect is the SQL flavour of the database behind a [Store].
type Dialect string

// Supported dialects.
const (
	// SQLite is SQLite 3.35 or later (RETURNING and upserts), e.g. through
	// the pure-Go driver modernc.org/sqlite. Meant for a single node.
	SQLite Dialect = "sqlite"
	// Postgres is PostgreSQL 11 or later, e.g. through
	// github.com/jackc/pgx/v5/stdlib. Several replicas may share one database.
	Postgres Dialect = "postgres"
)

// DefaultTablePrefix is the prefix of every table name when no
// [WithTablePrefix] option is given.
const DefaultTablePrefix = "itsmsync_"

// DefaultPruneEvery is how many delivery claims a [Store] makes between two
// automatic prunes of expired claims when no [WithPruneEvery] option is given.
const DefaultPruneEvery = 1000

// DefaultPruneBatch is the most expired delivery claims one DELETE removes
// when no [WithPruneBatch] option is given.
const DefaultPruneBatch = 1000

// Sentinel errors of this package. Store failures wrap [itsm.ErrStore] instead.
var (
	// ErrInvalidOption is a bad argument to [New]: a nil *sql.DB, an unknown
	// dialect, or a table prefix or schema name that is not a plain SQL
	// identifier. The error of New is also an *itsm.ValidationError listing
	// every problem (errors.As), wrapping itsm.ErrInvalidConfig.
	ErrInvalidOption = errors.New("sqlstore: invalid option")
)

// optionError is the error of [New]: an *itsm.ValidationError that is also
// [ErrInvalidOption].
type optionError struct{ *itsm.ValidationError }

func (e optionError) Unwrap() []error { return []error{e.ValidationError, ErrInvalidOption} }

// Option configures a [Store].
type Option func(*options)

type options struct {
	prefix     string
	schema     string
	pruneEvery int
	pruneBatch int
}

// WithTablePrefix sets the prefix of every table name (default
// [DefaultTablePrefix]). It must match [a-z_][a-z0-9_]* and be at most 40
// characters; "" means no prefix. Use it to keep two stores in one database
// or schema apart.
func WithTablePrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

// WithSchema puts the tables into a PostgreSQL schema (default: none, so the
// connection's search_path decides). [Store.Migrate] creates the schema when
// it is missing. The name must match [a-z_][a-z0-9_]*. SQLite has no schemas:
// New rejects a non-empty schema with the SQLite dialect.
func WithSchema(schema string) Option {
	return func(o *options) { o.schema = schema }
}

// WithPruneBatch bounds how many expired delivery claims one DELETE removes
// (default [DefaultPruneBatch]; n of zero or less means the default). The
// automatic prune of [WithPruneEvery] runs one such batch, so a claim never
// waits on a large delete; [Store.PruneDeliveries] runs batches until one
// comes back short.
func WithPruneBatch(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.pruneBatch = n
		}
	}
}

// WithPruneEvery makes [Store.ClaimDelivery] delete expired delivery claims
// (see [Store.PruneDeliveries]) after every n claims made through this Store
// (default [DefaultPruneEvery]); n of zero or less turns automatic pruning off,
// leaving it to the host to call PruneDeliveries.
func WithPruneEvery(n int) Option {
	return func(o *options) { o.pruneEvery = n }
}

// Store implements every store interface of the SDK ([itsm.SyncStore], [itsm.IntegrationStore], callback.InboundStore, callback.TokenStore, callback.SecretStore), [itsm.Cooldown] and [itsm.SyncSessionStore] on a database/sql database.
// Every method is safe for concurrent use by many goroutines, and by many
// processes sharing one PostgreSQL database: each decision that must be
// exclusive (a lease, a cooldown, a pending create, a posted note, a delivery
// claim, an inbound state advance) is a single conditional SQL statement,
// never a read followed by a write. Call [Store.Migrate] once before use.
type Store struct {
	db         *sql.DB
	dialect    Dialect
	tables     tableNames
	q          queries
	sq         secretQueries
	pruneEvery int
	pruneBatch int
	claims     atomic.Uint64
	// stmts caches prepared statements by query text (SQLite only: pgx
	// already prepares and caches each statement per connection).
	stmts sync.Map // string -> *sql.Stmt
}

// Compile-time checks.
var (
	_ itsm.SyncStore        = (*Store)(nil)
	_ itsm.IntegrationStore = (*Store)(nil)
	_ itsm.Cooldown         = (*Store)(nil)
)

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// New returns a Store on db, which the caller owns (New never closes it or
// changes its pool settings). The driver is the host's choice; dialect says
// which SQL to speak. New does not touch the database: call [Store.Migrate]
// to create or upgrade the tables.
//
// For SQLite, open the database with a busy timeout and WAL, e.g. the DSN
// "file:/path/itsm.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
// with modernc.org/sqlite, and call db.SetMaxOpenConns(1): SQLite allows one
// writer at a time, and one connection serializes writers in the pool instead
// of making them wait on file locks (an in-memory database needs it anyway,
// since each connection would get its own).
func New(db *sql.DB, dialect Dialect, opts ...Option) (*Store, error) {
	var errs []itsm.FieldError
	add := func(field, msg string) { errs = append(errs, itsm.FieldError{Field: field, Message: msg}) }
	if db == nil {
		add("db", "is nil")
	}
	if dialect != SQLite && dialect != Postgres {
		add("dialect", fmt.Sprintf("unknown dialect %q (want %q or %q)", string(dialect), string(SQLite), string(Postgres)))
	}
	o := options{prefix: DefaultTablePrefix, pruneEvery: DefaultPruneEvery, pruneBatch: DefaultPruneBatch}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.prefix != "" && (len(o.prefix) > 40 || !identRE.MatchString(o.prefix)) {
		add("table_prefix", fmt.Sprintf("%q must match [a-z_][a-z0-9_]* (at most 40 characters)", o.prefix))
	}
	if o.schema != "" {
		switch {
		case dialect == SQLite:
			add("schema", "schemas are not supported with SQLite")
		case len(o.schema) > 63 || !identRE.MatchString(o.schema):
			add("schema", fmt.Sprintf("%q must match [a-z_][a-z0-9_]* (at most 63 characters)", o.schema))
		}
	}
	if len(errs) > 0 {
		return nil, optionError{&itsm.ValidationError{Errors: errs, Component: "sqlstore", Subject: "options"}}
	}
	s := &Store{db: db, dialect: dialect, pruneEvery: o.pruneEvery, pruneBatch: o.pruneBatch}
	s.tables = newTableNames(o.schema, o.prefix)
	s.q = buildQueries(dialect, s.tables)
	s.sq = buildSecretQueries(dialect, s.tables)
	return s, nil
}

// Dialect returns the dialect the Store was created with.
func (s *Store) Dialect() Dialect { return s.dialect }

// tableNames are the qualified table names of one Store.
type tableNames struct {
	schema, prefix string
	migrations     string
	links          string
	pending        string
	notes          string
	leases         string
	cooldowns      string
	integrations   string
	tokens         string
	deliveries     string
	inbound        string
	retired        string
}

// qualified is the prefix with the schema, as table names start.
func (t tableNames) qualified() string {
	if t.schema != "" {
		return t.schema + "." + t.prefix
	}
	return t.prefix
}

func newTableNames(schema, prefix string) tableNames {
	q := func(name string) string {
		if schema != "" {
			return schema + "." + prefix + name
		}
		return prefix + name
	}
	return tableNames{
		schema:       schema,
		prefix:       prefix,
		migrations:   q("schema_migrations"),
		links:        q("links"),
		pending:      q("pending_creates"),
		notes:        q("posted_notes"),
		leases:       q("leases"),
		cooldowns:    q("cooldowns"),
		integrations: q("integrations"),
		tokens:       q("callback_tokens"),
		deliveries:   q("deliveries"),
		inbound:      q("inbound_states"),
		retired:      q("retired_links"),
	}
}

// rebind turns ? placeholders into $1, $2 ... for PostgreSQL. The queries of
// this package contain no ? other than placeholders.
func rebind(d Dialect, query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Times are stored as BIGINT microseconds since the Unix epoch (UTC); the
// zero time is stored as NULL. Comparisons in SQL use COALESCE(col, minMicros)
// so NULL (zero) sorts before every real time, like time.Time{} does in Go.
// minMicros is one above math.MinInt64 so it is a plain BIGINT literal in
// PostgreSQL; no real time is that early.
const minMicros = math.MinInt64 + 1

// timeArg is the value to store for t: NULL for the zero time, else its unix
// microseconds.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// cmpArg is the value to compare with for t: like timeArg, but the zero time
// is minMicros rather than NULL (NULL compares as unknown).
func cmpArg(t time.Time) int64 {
	if t.IsZero() {
		return minMicros
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of timeArg: the UTC time, or the zero time for
// NULL.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// storedTime is t as the store reads it back: UTC, microseconds.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// storeErr wraps a database error: the result wraps both itsm.ErrStore and
// err. Driver errors do not carry DSNs or passwords (pgx and modernc report
// host, user and database names at most).
func storeErr(op string, err error) error {
	return fmt.Errorf("sqlstore: %s: %w: %w", op, itsm.ErrStore, err)
}

// prepared returns the cached prepared statement of query on SQLite, where
// preparing once saves parsing and planning the statement on every call; nil
// on PostgreSQL (pgx prepares and caches statements per connection itself)
// or when preparing fails (the caller then runs the query unprepared, and
// the next call tries again).
func (s *Store) prepared(ctx context.Context, query string) *sql.Stmt {
	if s.dialect != SQLite {
		return nil
	}
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		_ = st.Close()
		return prev.(*sql.Stmt)
	}
	return st
}

// queryRow is QueryRowContext through the statement cache.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, query, args...)
}

// query is QueryContext through the statement cache.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, query, args...)
}

// execQuery is ExecContext through the statement cache.
func (s *Store) execQuery(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := s.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return s.db.ExecContext(ctx, query, args...)
}

// execAffected runs an Exec and returns the affected row count.
func (s *Store) execAffected(ctx context.Context, op, query string, args ...any) (int64, error) {
	res, err := s.execQuery(ctx, query, args...)
	if err != nil {
		return 0, storeErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, storeErr(op, err)
	}
	return n, nil
}

// exec runs an Exec and ignores the affected row count.
func (s *Store) exec(ctx context.Context, op, query string, args ...any) error {
	if _, err := s.execQuery(ctx, query, args...); err != nil {
		return storeErr(op, err)
	}
	return nil
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return storeErr(op, err)
	}
	return nil
}
