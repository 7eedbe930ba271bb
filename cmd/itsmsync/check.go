package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// Connection states reported by check.
const (
	statusConfigured = "configured" // the probe passed
	statusUnverified = "unverified" // the config has no probe
	statusFailing    = "failing"    // the probe failed
)

func runCheck(c *cli, args []string) error {
	fs := c.flags("<config.json> [--timeout 60s]")
	timeout := fs.Duration("timeout", 60*time.Second, "bound on the whole check, retries included (at most 10m)")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *timeout <= 0 || *timeout > 10*time.Minute {
		return usageErr("--timeout must be between 0 and 10m (see itsmsync check --help)")
	}
	lc, conn, err := c.connectorFor(pos[0])
	if err != nil {
		return err
	}
	defer conn.Close()
	file := displayPath(pos[0])
	if !c.json {
		fmt.Fprintf(c.stderr, "checking the connection of %s (%s)...\n", file, describe(lc))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	at := time.Now().UTC()
	cerr := conn.Check(ctx)

	status, msg := statusConfigured, ""
	switch {
	case cerr == nil:
	case errors.Is(cerr, itsm.ErrNotConfigured):
		status = statusUnverified
		msg = oneLine(cerr.Error()) + " (set health_url, or a get request, to let check probe the connection)"
	default:
		status = statusFailing
		msg = oneLine(cerr.Error())
		if errors.Is(cerr, context.DeadlineExceeded) && ctx.Err() != nil {
			msg += fmt.Sprintf(" (gave up after --timeout %s)", *timeout)
		}
	}
	if c.json {
		out := map[string]any{"ok": cerr == nil, "file": file, "status": status, "checked_at": at.Format(time.RFC3339),
			"exactly_once": guaranteesOf(conn)}
		if msg != "" {
			out["error"] = msg
		}
		c.writeJSON(out)
	} else if cerr == nil {
		fmt.Fprintf(c.stdout, "%s: %s (%s)\n", file, status, describe(lc))
	} else {
		fmt.Fprintf(c.stdout, "%s: %s: %s\n", file, status, msg)
	}
	if !c.json {
		for _, l := range guaranteesOf(conn).lines() {
			fmt.Fprintf(c.stdout, "  %s\n", l)
		}
	}
	if cerr != nil {
		return errReported
	}
	return nil
}

// guarantees is what a config's connector does with an unknown outcome,
// as check reports it: the ticket space its links are bound to, and whether
// creates and comments are looked up before anything is sent again.
type guarantees struct {
	Target        string `json:"target,omitempty"`
	TicketLookup  bool   `json:"ticket_lookup"`
	CommentLookup bool   `json:"comment_lookup"`
}

func guaranteesOf(conn connector) guarantees {
	var g guarantees
	if t, ok := conn.(itsm.Targeter); ok {
		g.Target = t.Target()
	}
	if f, ok := conn.(itsm.FindCapable); ok {
		g.TicketLookup = f.CanFind()
	}
	if f, ok := conn.(itsm.CommentFindCapable); ok {
		g.CommentLookup = f.CanFindComments()
	}
	return g
}

// lines describes g for a person, one line each.
func (g guarantees) lines() []string {
	out := []string{"target:  " + showTarget(g.Target) + " (links are bound to it; see itsmsync links)"}
	if g.TicketLookup {
		out = append(out, "tickets: exactly once: a create with an unknown outcome is looked up by its correlation key (lookup)")
	} else {
		out = append(out, "tickets: a create with an unknown outcome needs a person (Syncer.Resolve or ClearPending): no lookup configured")
	}
	if g.CommentLookup {
		out = append(out, "notes:   exactly once: a comment with an unknown outcome is looked up by its marker (comment_lookup)")
	} else {
		out = append(out, "notes:   at least once (resent: a duplicate rather than a lost note), or at most once with itsm.NotesAtMostOnce: no comment_lookup configured")
	}
	return out
}
