package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/providers/rt"
)

// dbEnv holds the database DSN when --db is not given (a DSN may hold a
// password, which --db would show in the process list).
const dbEnv = "ITSMSYNC_DB"

const linksUsage = `targets|keep|retire <config.json> (--db dsn | $ITSMSYNC_DB) [--from target | --legacy] [--integration id] [--table-prefix p] [--schema s]

  targets  list the targets (ticket spaces) the integration's links point into,
           and the one the config writes into now
  keep     the links of --from point into the same tickets as the config
           (a renamed host): record the config's target on them
  retire   the links of --from point into another ticket system: move them
           to history; the next sync of each case creates a new ticket and
           posts its notes again`

// runLinks is the links verb: the keep-or-retire decision an integration
// needs after its config was edited to point at another target.
func runLinks(c *cli, args []string) error {
	fs := c.flags(linksUsage)
	dsn := fs.String("db", "", "the store's database: a postgres:// URL, or a SQLite file path or DSN (default $"+dbEnv+")")
	from := fs.String("from", "", "keep, retire: the target whose links to keep or retire (as targets lists it)")
	legacy := fs.Bool("legacy", false, "keep, retire: select the links made before targets were recorded (no target)")
	integration := fs.String("integration", "", "the integration id (default: the config's id)")
	prefix := fs.String("table-prefix", "", "the store's table prefix (default the store's default)")
	schema := fs.String("schema", "", "the store's PostgreSQL schema")
	pos, err := c.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	action := pos[0]
	switch action {
	case "targets":
		if *from != "" || *legacy {
			return usageErr("targets takes no --from or --legacy (see itsmsync links --help)")
		}
	case "keep", "retire":
		if (*from == "") == !*legacy {
			return usageErr("%s needs exactly one of --from <target> and --legacy (see itsmsync links --help)", action)
		}
	default:
		return usageErr("unknown links action %q (want targets, keep or retire)", clipArg(action))
	}
	if *dsn == "" {
		*dsn = os.Getenv(dbEnv)
	}
	if *dsn == "" {
		return usageErr("missing --db (or $%s) (see itsmsync links --help)", dbEnv)
	}

	lc, conn, err := c.connectorFor(pos[1])
	if err != nil {
		return err
	}
	defer conn.Close()
	if lc.Config.Provider == rt.Provider {
		// The CLI previews RT configs with the HTTP connector; the target
		// is RT's own.
		rc, err := rt.NewConnector(lc.Config, rt.ConnectorConfig{})
		if err != nil {
			return failed("%s", err.Error())
		}
		defer rc.Close()
		conn = rc
	}
	id := *integration
	if id == "" {
		id = lc.Config.ID
	}
	if id == "" {
		return usageErr("the config has no id: give --integration (see itsmsync links --help)")
	}
	ic, ok := conn.(itsm.Connector)
	if !ok {
		return failed("the config's connector cannot sync")
	}

	store, closeDB, err := openStore(*dsn, *prefix, *schema)
	if err != nil {
		return err
	}
	defer closeDB()
	s, err := itsm.NewSyncer(ic, store, itsm.SyncerConfig{IntegrationID: id, CooldownPeriod: itsm.Off})
	if err != nil {
		return failed("%s", err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	current := s.Target()
	switch action {
	case "targets":
		return c.listTargets(ctx, s, id, current)
	case "keep":
		n, err := s.KeepLinks(ctx, *from)
		if err != nil {
			return linksFailure(err)
		}
		return c.reportDecision(action, id, *from, current, n)
	default:
		n, err := s.RetireLinks(ctx, *from)
		if err != nil {
			return linksFailure(err)
		}
		return c.reportDecision(action, id, *from, current, n)
	}
}

// openStore opens the sqlstore at dsn: PostgreSQL for a postgres:// or
// postgresql:// URL, SQLite otherwise. It never migrates: the host's
// process owns the schema.
func openStore(dsn, prefix, schema string) (*sqlstore.Store, func(), error) {
	driver, dialect := "sqlite", sqlstore.SQLite
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, dialect = "pgx", sqlstore.Postgres
	} else if !strings.HasPrefix(dsn, "file:") {
		if _, err := os.Stat(dsn); err != nil {
			return nil, nil, ioErr("cannot open the SQLite database %s: %s", clipArg(dsn), pathError(err))
		}
		dsn = "file:" + dsn + "?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, ioErr("cannot open the database: %s", oneLine(err.Error()))
	}
	var opts []sqlstore.Option
	if prefix != "" {
		opts = append(opts, sqlstore.WithTablePrefix(prefix))
	}
	if schema != "" {
		opts = append(opts, sqlstore.WithSchema(schema))
	}
	s, err := sqlstore.New(db, dialect, opts...)
	if err != nil {
		_ = db.Close()
		return nil, nil, usageErr("%s", err.Error())
	}
	return s, func() { _ = db.Close() }, nil
}

// linksFailure maps an error of a keep or retire.
func linksFailure(err error) error {
	if errors.Is(err, itsm.ErrStore) {
		return ioErr("%s", err.Error())
	}
	return failed("%s", err.Error())
}

// jsonTarget is one target in --json output.
type jsonTarget struct {
	Target  string `json:"target"`
	Links   int    `json:"links"`
	Current bool   `json:"current"`
}

func (c *cli) listTargets(ctx context.Context, s *itsm.Syncer, id, current string) error {
	ts, err := s.LinkTargets(ctx)
	if err != nil {
		return linksFailure(err)
	}
	out := make([]jsonTarget, 0, len(ts))
	for _, t := range ts {
		out = append(out, jsonTarget{Target: t.Target, Links: t.Links, Current: t.Target == current})
	}
	if c.json {
		c.writeJSON(map[string]any{"ok": true, "integration_id": id, "current": current, "targets": out})
		return nil
	}
	fmt.Fprintf(c.stdout, "integration %s writes into %s\n", id, showTarget(current))
	if len(out) == 0 {
		fmt.Fprintln(c.stdout, "  no links")
	}
	for _, t := range out {
		note := "current"
		switch {
		case t.Target == "":
			note = "no target: adopted by its next sync (or keep/retire --legacy)"
		case !t.Current:
			note = "another target: syncs refused until you keep or retire it"
		}
		fmt.Fprintf(c.stdout, "  %6d links  %s  (%s)\n", t.Links, showTarget(t.Target), note)
	}
	return nil
}

func (c *cli) reportDecision(action, id, from, current string, n int) error {
	if c.json {
		out := map[string]any{"ok": true, "action": action, "integration_id": id, "from": from, "links": n}
		if action == "keep" {
			out["to"] = current
		}
		c.writeJSON(out)
		return nil
	}
	switch action {
	case "keep":
		fmt.Fprintf(c.stdout, "kept %d links of %s as %s\n", n, showTarget(from), showTarget(current))
	default:
		fmt.Fprintf(c.stdout, "retired %d links of %s: the next sync of each case creates a new ticket in %s\n", n, showTarget(from), showTarget(current))
	}
	return nil
}

// showTarget quotes a target for a person ("" reads "(no target)").
func showTarget(t string) string {
	if t == "" {
		return "(no target)"
	}
	return fmt.Sprintf("%q", t)
}
