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
		out := map[string]any{"ok": cerr == nil, "file": file, "status": status, "checked_at": at.Format(time.RFC3339)}
		if msg != "" {
			out["error"] = msg
		}
		c.writeJSON(out)
	} else if cerr == nil {
		fmt.Fprintf(c.stdout, "%s: %s (%s)\n", file, status, describe(lc))
	} else {
		fmt.Fprintf(c.stdout, "%s: %s: %s\n", file, status, msg)
	}
	if cerr != nil {
		return errReported
	}
	return nil
}
