package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// fakeKibana stands in for the Kibana importer in the re-executed command
// (kibanaEnv=fake): it checks the verb's plumbing — report, validation,
// redaction, the --out file — not the import itself. A connector whose
// "name" is "broken" imports to an invalid config; "fail" is an error.
func fakeKibana(connector []byte) (kibanaResult, error) {
	var in struct {
		Name   string `json:"name"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(connector, &in); err != nil {
		return kibanaResult{}, err
	}
	if in.Name == "fail" {
		return kibanaResult{}, errors.New("kibana: not a .cases-webhook connector")
	}
	cfg, err := webhook.Preset(webhook.Options{Name: in.Name, BaseURL: "https://itsm.example.com/api",
		Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: in.Secret}})
	if err != nil {
		return kibanaResult{}, err
	}
	if in.Name == "broken" {
		cfg.Update.URL = ""
	}
	return kibanaResult{Config: cfg, Report: []string{"config.hasAuth: carried over as bearer auth", "{{#case.tags}} section: not supported"}}, nil
}

func TestImportKibana(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conn := writeFile(t, dir, "connector.json", `{"name": "Kibana Jira", "secret": "`+testSecret+`"}`)
	broken := writeFile(t, dir, "broken.json", `{"name": "broken", "secret": "`+testSecret+`"}`)
	failing := writeFile(t, dir, "fail.json", `{"name": "fail"}`)
	env := []string{kibanaEnv + "=fake"}

	t.Run("imported", func(t *testing.T) {
		t.Parallel()
		out := dir + "/imported.json"
		r := runCmd(t, invocation{args: []string{"import-kibana", conn, "--out", out}, env: env})
		require.Equal(t, exitOK, r.code, r.stderr)
		assertNoSecret(t, r)
		for _, w := range []string{`imported "Kibana Jira"`, "not carried over as it was (2):", "  - {{#case.tags}} section: not supported",
			"wrote " + out, `"token": "` + httpconn.RedactedMarker + `"`} {
			assert.Contains(t, r.stdout, w)
		}
		st, err := os.Stat(out)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		var cfg httpconn.Config
		require.NoError(t, json.Unmarshal(b, &cfg))
		assert.Equal(t, testSecret, cfg.Auth.Token, "the --out file keeps the secret")

		// The written file is a config the other verbs take.
		v := itsmsync(t, "validate", out)
		assert.Equal(t, exitOK, v.code, v.stdout)

		again := runCmd(t, invocation{args: []string{"import-kibana", conn, "--out", out}, env: env})
		assert.Equal(t, exitIOError, again.code)
		assert.Contains(t, again.stderr, "exists (add --force")
		forced := runCmd(t, invocation{args: []string{"import-kibana", conn, "--out", out, "--force"}, env: env})
		assert.Equal(t, exitOK, forced.code, forced.stderr)
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		r := runCmd(t, invocation{args: []string{"import-kibana", "--json", conn}, env: env})
		require.Equal(t, exitOK, r.code, r.stderr)
		assertNoSecret(t, r)
		v := decodeJSON(t, r)
		assert.Equal(t, true, v["ok"])
		assert.Len(t, v["report"], 2)
		assert.Empty(t, v["errors"])
		assert.Equal(t, "Kibana Jira", v["config"].(map[string]any)["name"])
	})
	t.Run("invalid result", func(t *testing.T) {
		t.Parallel()
		out := dir + "/never.json"
		r := runCmd(t, invocation{args: []string{"import-kibana", broken, "--out", out}, env: env})
		assert.Equal(t, exitFailed, r.code)
		assert.Contains(t, r.stdout, "update.url")
		assertNoSecret(t, r)
		assert.NoFileExists(t, out, "an invalid config is not written")
	})
	t.Run("importer error", func(t *testing.T) {
		t.Parallel()
		r := runCmd(t, invocation{args: []string{"import-kibana", failing}, env: env})
		assert.Equal(t, exitFailed, r.code)
		oneErrorLine(t, r)
		assert.Contains(t, r.stderr, "not a .cases-webhook connector")
	})
}

// TestImportKibanaDocumentedExamples runs the verb with the real importer
// on the Kibana documentation's examples (providers/kibana/testdata), with
// the secrets an admin supplies: each becomes a config that validates, and
// preview renders its create request.
func TestImportKibanaDocumentedExamples(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"jira", "servicenow", "rest"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("..", "..", "providers", "kibana", "testdata", name+".json"))
			require.NoError(t, err)
			var conn map[string]any
			require.NoError(t, json.Unmarshal(raw, &conn))
			conn["secrets"] = map[string]any{"user": "siem-bot", "password": testSecret}
			withSecrets, err := json.Marshal(conn)
			require.NoError(t, err)
			dir := t.TempDir()
			in := writeFile(t, dir, "connector.json", string(withSecrets))
			out := filepath.Join(dir, "config.json")

			r := runCmd(t, invocation{args: []string{"import-kibana", in, "--out", out}})
			require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.NotContains(t, r.stdout+r.stderr, testSecret)

			v := runCmd(t, invocation{args: []string{"validate", out}})
			assert.Equal(t, 0, v.code, "stdout: %s\nstderr: %s", v.stdout, v.stderr)
			p := runCmd(t, invocation{args: []string{"preview", out}})
			require.Equal(t, 0, p.code, "stdout: %s\nstderr: %s", p.stdout, p.stderr)
			assert.Contains(t, p.stdout, "POST ")
			assert.NotContains(t, p.stdout, testSecret)
			assert.NotContains(t, p.stdout, "{{")
		})
	}
}
