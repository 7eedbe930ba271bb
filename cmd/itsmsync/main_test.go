package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// The tests run the command as a process: the test binary re-executes
// itself with mainEnv set, and then runs the command's main instead of the
// tests. With kibanaEnv=fake the re-executed command uses fakeKibana as its
// Kibana importer (the real one is connected elsewhere).
const (
	mainEnv   = "ITSMSYNC_CLI_TEST_MAIN"
	kibanaEnv = "ITSMSYNC_CLI_TEST_KIBANA"
)

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		if os.Getenv(kibanaEnv) == "fake" {
			importKibana = fakeKibana
		}
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// result is one finished run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// invocation is how a test runs the command.
type invocation struct {
	args  []string
	stdin string
	env   []string
}

// cmdTimeout bounds every run of the command.
const cmdTimeout = 60 * time.Second

// itsmsync runs the command with args.
func itsmsync(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, invocation{args: args})
}

func runCmd(t *testing.T, inv invocation) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], inv.args...)
	env := []string{mainEnv + "=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, secretEnv+"=") && !strings.HasPrefix(kv, mainEnv+"=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, inv.env...)
	cmd.Stdin = strings.NewReader(inv.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "itsmsync %v did not finish in time", inv.args)
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return res
}

// writeFile writes content to name in a new temporary directory and
// returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// writeConfig writes cfg with its secrets, as a host stores it.
func writeConfig(t *testing.T, dir, name string, cfg httpconn.Config) string {
	t.Helper()
	b, err := cfg.MarshalSecrets()
	require.NoError(t, err)
	return writeFile(t, dir, name, string(b))
}

// decodeJSON decodes the --json output of a run.
func decodeJSON(t *testing.T, r result) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), "stdout: %s", r.stdout)
	return v
}

// oneErrorLine asserts that stderr is a single line from the command.
func oneErrorLine(t *testing.T, r result) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	assert.Len(t, lines, 1, "stderr: %q", r.stderr)
	assert.True(t, strings.HasPrefix(r.stderr, "itsmsync"), "stderr: %q", r.stderr)
}

func TestHelp(t *testing.T) {
	t.Parallel()
	r := itsmsync(t, "--help")
	assert.Equal(t, exitOK, r.code)
	for _, v := range []string{"validate", "preview", "check", "import-kibana", "sign", "send", "Exit codes"} {
		assert.Contains(t, r.stdout, v)
	}
	for _, v := range verbs {
		r := itsmsync(t, v.name, "--help")
		assert.Equal(t, exitOK, r.code, v.name)
		assert.Contains(t, r.stdout, "Usage: itsmsync "+v.name, v.name)
		assert.Contains(t, r.stdout, "-json", v.name)
		assert.Contains(t, r.stdout, "Exit codes", v.name)
	}
}

// TestBadInput: every malformed command line or input ends with one line on
// stderr, nothing on stdout, and the documented exit code; with --json,
// one JSON object on stdout says the same.
func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.json", "{\"name\": \"x\",\n  \"create\": {\"url\": }\n}")
	array := writeFile(t, dir, "array.json", `[1, 2]`)
	typed := writeFile(t, dir, "typed.json", `{"name": 7}`)
	valid := writeConfig(t, dir, "valid.json", webhookConfig(t, "https://itsm.example.com/api"))
	badCase := writeFile(t, dir, "case.json", `{"id": "C-1", "title": }`)
	missing := filepath.Join(dir, "missing.json")

	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no verb", nil, exitUsage, "Usage"},
		{"unknown verb", []string{"frobnicate", valid}, exitUsage, `unknown verb "frobnicate"`},
		{"missing argument", []string{"validate"}, exitUsage, "missing argument"},
		{"extra argument", []string{"validate", valid, valid}, exitUsage, "unexpected argument"},
		{"unknown flag validate", []string{"validate", "--frob", valid}, exitUsage, "flag provided but not defined: -frob"},
		{"unknown flag preview", []string{"preview", valid, "--frob"}, exitUsage, "-frob"},
		{"unknown flag check", []string{"check", "--frob", valid}, exitUsage, "-frob"},
		{"unknown flag import", []string{"import-kibana", "--frob", valid}, exitUsage, "-frob"},
		{"unknown flag sign", []string{"sign", "--frob"}, exitUsage, "-frob"},
		{"unknown flag send", []string{"send", "--frob", "http://127.0.0.1:1"}, exitUsage, "-frob"},
		{"bad duration", []string{"check", valid, "--timeout", "soon"}, exitUsage, "invalid value"},
		{"timeout out of range", []string{"check", valid, "--timeout", "0s"}, exitUsage, "--timeout"},
		{"unreadable file", []string{"validate", missing}, exitIOError, "missing.json: no such file"},
		{"directory as file", []string{"preview", dir}, exitIOError, dir},
		{"invalid JSON", []string{"validate", broken}, exitFailed, "invalid JSON at line 2, column 21"},
		{"not an object", []string{"check", array}, exitFailed, "must be a JSON object"},
		{"wrong type", []string{"validate", typed}, exitFailed, "name: expected string"},
		{"invalid case JSON", []string{"preview", valid, "--case", badCase}, exitFailed, "invalid JSON"},
		{"unreadable case", []string{"preview", valid, "--case", missing}, exitIOError, "missing.json"},
		{"ticket key alone", []string{"preview", valid, "--ticket-key", "K-1"}, exitUsage, "--ticket-key needs --ticket"},
		{"kibana invalid JSON", []string{"import-kibana", broken}, exitFailed, "invalid JSON"},
		{"kibana unreadable", []string{"import-kibana", missing}, exitIOError, "missing.json"},
		{"kibana: not a Kibana connector", []string{"import-kibana", valid}, exitFailed, "not a Webhook - Case Management connector"},
		{"sign without scheme", []string{"sign", "--secret", "s"}, exitUsage, "--scheme is required"},
		{"sign unknown scheme", []string{"sign", "--scheme", "md5", "--secret", "s"}, exitUsage, `unknown --scheme "md5"`},
		{"sign without secret", []string{"sign", "--scheme", "jira"}, exitUsage, "a secret is required"},
		{"sign two secrets", []string{"sign", "--scheme", "jira", "--secret", "s", "--secret-file", valid}, exitUsage, "not both"},
		{"sign unused flag", []string{"sign", "--scheme", "jira", "--secret", "s", "--prefix", "x="}, exitUsage, "--prefix is not used by the jira scheme"},
		{"sign bad encoding", []string{"sign", "--scheme", "hmac-sha256", "--secret", "s", "--encoding", "rot13"}, exitUsage, "--encoding"},
		{"sign bad whsec", []string{"sign", "--scheme", "standard-webhooks", "--secret", "whsec_!!"}, exitUsage, "secrets[0]"},
		{"sign unreadable body", []string{"sign", "--scheme", "jira", "--secret", "s", "--body", missing}, exitIOError, "missing.json"},
		{"sign stdin twice", []string{"sign", "--scheme", "jira", "--secret-file", "-", "--body", "-"}, exitUsage, "both read standard input"},
		{"sign positional", []string{"sign", "--scheme", "jira", "--secret", "s", "extra"}, exitUsage, "unexpected argument"},
		{"send ftp", []string{"send", "ftp://127.0.0.1/x", "--scheme", "jira", "--secret", "s"}, exitUsage, "http or https"},
		{"send relative", []string{"send", "/callback", "--scheme", "jira", "--secret", "s"}, exitUsage, "http or https"},
		{"send credentials in URL", []string{"send", "http://u:p@127.0.0.1:1/x", "--scheme", "jira", "--secret", "s"}, exitUsage, "credentials"},
		{"send timeout", []string{"send", "http://127.0.0.1:1/x", "--scheme", "jira", "--secret", "s", "--timeout", "1h"}, exitUsage, "--timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := itsmsync(t, tt.args...)
			assert.Equal(t, tt.code, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			if tt.args == nil {
				return // the overview of the verbs
			}
			oneErrorLine(t, r)
			assert.Empty(t, r.stdout)

			if len(tt.args) == 0 {
				return
			}
			j := itsmsync(t, append(tt.args, "--json")...)
			assert.Equal(t, tt.code, j.code)
			oneErrorLine(t, j)
			v := decodeJSON(t, j)
			assert.Equal(t, false, v["ok"])
			assert.EqualValues(t, tt.code, v["exit_code"])
			assert.Contains(t, v["error"], tt.want)
		})
	}
}
