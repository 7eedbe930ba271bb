package chaostest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm/sqlstore/sqlstoretest"
)

// chaosPostgres is a PostgreSQL server of the chaos test's own, run by the
// repository's .ci/postgres.sh with a data directory and a port of its own.
// The test restarts it mid-run; restarting the shared server of
// ITSMSYNC_TEST_POSTGRES_DSN instead would break the PostgreSQL tests of
// other packages that `go test ./...` runs at the same time.
type chaosPostgres struct {
	script string
	env    []string
	dsn    string
}

// startChaosPostgres starts the server and destroys it when the test ends.
// It skips (fails under CI=true, like the other PostgreSQL tests) without
// ITSMSYNC_TEST_POSTGRES_DSN, the sign that PostgreSQL is meant to be
// tested here, or without the server binaries the script uses.
func startChaosPostgres(t *testing.T) *chaosPostgres {
	t.Helper()
	sqlstoretest.PostgresBaseDSN(t) // skips or fails without PostgreSQL
	skipOrFail := func(msg string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI=true requires the PostgreSQL tests to run")
		}
		t.Skip(msg)
	}
	if bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl"); len(bins) == 0 {
		skipOrFail("no PostgreSQL server binaries under /usr/lib/postgresql (the chaos test starts and restarts a server of its own)")
	}
	root, err := moduleRoot()
	if err != nil {
		skipOrFail(err.Error())
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("chaos postgres: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	// Under /tmp, not t.TempDir(): as root the script runs the server as
	// the postgres user, who cannot enter the test's private directory.
	dir := filepath.Join(os.TempDir(), "itsmsync-chaos-pg-"+hex.EncodeToString(b[:]))
	p := &chaosPostgres{
		script: filepath.Join(root, ".ci", "postgres.sh"),
		env: append(os.Environ(),
			"ITSMSYNC_PG_DIR="+dir,
			"ITSMSYNC_PG_PORT="+strconv.Itoa(port),
			"ITSMSYNC_PG_DB=itsmsync_chaos",
		),
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if _, err := p.run(ctx, "destroy"); err != nil {
			t.Errorf("chaos postgres: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := p.run(ctx, "start")
	if err != nil {
		t.Fatalf("chaos postgres: %v", err)
	}
	const prefix = "export " + sqlstoretest.EnvPostgresDSN + "='"
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			p.dsn = strings.TrimSuffix(rest, "'")
		}
	}
	if p.dsn == "" {
		t.Fatalf("chaos postgres: the script printed no %s line: %q", sqlstoretest.EnvPostgresDSN, out)
	}
	return p
}

// restart stops the server (fast shutdown: every connection is cut) and
// starts it again on the same port and data.
func (p *chaosPostgres) restart(ctx context.Context) error {
	if _, err := p.run(ctx, "stop"); err != nil {
		return err
	}
	_, err := p.run(ctx, "start")
	return err
}

// run runs the script with one command and returns its stdout.
func (p *chaosPostgres) run(ctx context.Context, cmd string) (string, error) {
	c := exec.CommandContext(ctx, "bash", p.script, cmd)
	c.Env = p.env
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("postgres.sh %s: %w: %s", cmd, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// moduleRoot is the directory of go.mod above the working directory (go
// test runs a package's tests in its directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, ".ci", "postgres.sh")); err != nil {
				return "", fmt.Errorf("no .ci/postgres.sh in the module root %s", dir)
			}
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
