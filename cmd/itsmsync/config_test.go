package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// testSecret is the password of the test configs: it must never appear in
// any output.
const testSecret = "hunter2-do-not-print"

// webhookConfig is the generic preset for base, with its lookup, basic
// auth and loopback allowed (tests use 127.0.0.1).
func webhookConfig(t *testing.T, base string) httpconn.Config {
	t.Helper()
	cfg, err := webhook.Preset(webhook.Options{
		Name:    "Acme ITSM",
		BaseURL: base,
		Lookup:  true,
		Auth:    httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "svc-siem", Password: testSecret},
		Network: httpconn.NetworkConfig{AllowLoopback: true},
	})
	require.NoError(t, err)
	return cfg
}

func assertNoSecret(t *testing.T, r result) {
	t.Helper()
	assert.NotContains(t, r.stdout, testSecret)
	assert.NotContains(t, r.stderr, testSecret)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	valid := writeConfig(t, dir, "valid.json", webhookConfig(t, "https://itsm.example.com/api"))

	bad := webhookConfig(t, "https://itsm.example.com/api")
	bad.TicketIDPath = ""
	bad.Comment.Payload = ""
	bad.Auth.Type = "kerberos"
	b, err := bad.MarshalSecrets()
	require.NoError(t, err)
	// Keys the SDK would silently ignore: a typo at the top and a nested one.
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	m["ticket_id_pth"] = "id"
	m["create"].(map[string]any)["methd"] = "POST"
	b, err = json.Marshal(m)
	require.NoError(t, err)
	invalid := writeFile(t, dir, "invalid.json", string(b))

	preset := writeFile(t, dir, "preset.json", `{"preset": "jira", "options": {
		"base_url": "https://acme.atlassian.net", "project_key": "SEC",
		"auth": {"type": "basic", "username": "jane@example.com", "password": "`+testSecret+`"}}}`)
	badPreset := writeFile(t, dir, "bad-preset.json", `{"preset": "jira", "options": {"base_url": "ftp://x", "projekt": "SEC",
		"auth": {"type": "basic", "username": "jane@example.com", "password": "`+testSecret+`"}}}`)
	unknownPreset := writeFile(t, dir, "unknown-preset.json", `{"preset": "remedy", "options": {}}`)
	integ, err := webhook.NewIntegration(webhook.Options{BaseURL: "https://itsm.example.com/api"})
	require.NoError(t, err)
	ib, err := integ.MarshalSecrets()
	require.NoError(t, err)
	integration := writeFile(t, dir, "integration.json", string(ib))
	kibanaConnector := writeFile(t, dir, "kibana.json", `{"id":"c1","name":"Jira","connector_type_id":".cases-webhook",
		"config":{"createIncidentUrl":"https://h.example.com/t","createIncidentJson":"{}","createIncidentResponseKey":"id"}}`)

	tests := []struct {
		name   string
		file   string
		code   int
		want   []string
		fields []string // of --json errors, in order
	}{
		{name: "valid config", file: valid, code: exitOK, want: []string{"valid.json: valid (\"Acme ITSM\", provider webhook)"}},
		{name: "valid preset", file: preset, code: exitOK, want: []string{"valid (\"Jira\", provider jira, from a jira preset)"}},
		{name: "valid integration", file: integration, code: exitOK, want: []string{"from an integration"}},
		{name: "kibana connector", file: kibanaConnector, code: exitFailed, want: []string{"config: this is a Kibana connector, not a config: convert it with itsmsync import-kibana"}},
		{
			name: "every problem at once", file: invalid, code: exitFailed,
			want: []string{
				"invalid.json: invalid, 5 problems:",
				"  create.methd: unknown field",
				"  ticket_id_pth: unknown field",
				"  ticket_id_path: ",
				"  comment.payload: ",
				"  auth.type: ",
			},
			fields: []string{"create.methd", "ticket_id_pth"},
		},
		{
			name: "invalid preset options", file: badPreset, code: exitFailed,
			want:   []string{"options.projekt: unknown field", "options.base_url"},
			fields: []string{"options.projekt"},
		},
		{name: "unknown preset", file: unknownPreset, code: exitFailed, want: []string{`preset: unknown preset "remedy"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := itsmsync(t, "validate", tt.file)
			assert.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, w := range tt.want {
				assert.Contains(t, r.stdout, w)
			}
			assertNoSecret(t, r)

			j := itsmsync(t, "validate", "--json", tt.file)
			assert.Equal(t, tt.code, j.code)
			assertNoSecret(t, j)
			var out struct {
				OK     bool             `json:"ok"`
				Errors []jsonFieldError `json:"errors"`
			}
			require.NoError(t, json.Unmarshal([]byte(j.stdout), &out), j.stdout)
			assert.Equal(t, tt.code == exitOK, out.OK)
			var got []string
			for _, fe := range out.Errors {
				got = append(got, fe.Field)
				assert.NotEmpty(t, fe.Message)
			}
			for i, f := range tt.fields {
				require.Greater(t, len(got), i, "errors: %v", got)
				assert.Equal(t, f, got[i])
			}
		})
	}
}

func TestValidateStdin(t *testing.T) {
	t.Parallel()
	b, err := webhookConfig(t, "https://itsm.example.com/api").MarshalSecrets()
	require.NoError(t, err)
	r := runCmd(t, invocation{args: []string{"validate", "-"}, stdin: string(b)})
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "standard input: valid")
}

func TestPreview(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := webhookConfig(t, "https://itsm.example.com/api")
	cfg.SecretHeaders = map[string]string{"X-Tenant-Key": testSecret}
	file := writeConfig(t, dir, "config.json", cfg)
	caseFile := writeFile(t, dir, "case.json", `{"id": "CASE-7", "title": "Ransomware on \"fs-01\"", "severity": "critical",
		"status": "in_progress", "tags": ["ransomware"], "description": "Encrypted shares."}`)

	t.Run("sample case", func(t *testing.T) {
		t.Parallel()
		r := itsmsync(t, "preview", file)
		require.Equal(t, exitOK, r.code, r.stderr)
		assertNoSecret(t, r)
		for _, w := range []string{
			"5 requests for case " + httpconn.SampleCase.ID,
			"### create\nPOST https://itsm.example.com/api/tickets\n",
			"### update\nPUT https://itsm.example.com/api/tickets/" + httpconn.SampleTicket.ID + "\n",
			"### comment\n", httpconn.SampleNote.Text,
			"### get\n", "### lookup\n",
			"Authorization: Basic " + httpconn.RedactedMarker,
			"X-Tenant-Key: " + httpconn.RedactedMarker,
			`Brute force on \"vpn-gw-01\"`,
		} {
			assert.Contains(t, r.stdout, w)
		}
	})
	t.Run("given case, note and ticket", func(t *testing.T) {
		t.Parallel()
		r := itsmsync(t, "preview", file, "--json", "--case", caseFile, "--note", `Isolated "fs-01" from the network`,
			"--ticket", "T 99/1", "--ticket-key", "INC-99")
		require.Equal(t, exitOK, r.code, r.stderr)
		assertNoSecret(t, r)
		var out struct {
			OK       bool                      `json:"ok"`
			CaseID   string                    `json:"case_id"`
			Requests []httpconn.PreviewRequest `json:"requests"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
		assert.True(t, out.OK)
		assert.Equal(t, "CASE-7", out.CaseID)
		var ops []itsm.Operation
		byOp := map[itsm.Operation]httpconn.PreviewRequest{}
		for _, p := range out.Requests {
			ops = append(ops, p.Op)
			byOp[p.Op] = p
		}
		assert.Equal(t, []itsm.Operation{itsm.OpCreate, itsm.OpUpdate, itsm.OpComment, itsm.OpGet, itsm.OpLookup}, ops)
		assert.Contains(t, byOp[itsm.OpCreate].Body, `Ransomware on \"fs-01\"`)
		assert.True(t, json.Valid([]byte(byOp[itsm.OpCreate].Body)))
		assert.Equal(t, "https://itsm.example.com/api/tickets/T%2099%2F1", byOp[itsm.OpUpdate].URL, "the ticket id is escaped as a path segment")
		assert.Contains(t, byOp[itsm.OpComment].Body, `Isolated \"fs-01\" from the network`)
		assert.Equal(t, []string{"Basic " + httpconn.RedactedMarker}, byOp[itsm.OpGet].Header["Authorization"])
	})
	t.Run("invalid config", func(t *testing.T) {
		t.Parallel()
		bad := cfg
		bad.Update.URL = ""
		r := itsmsync(t, "preview", writeConfig(t, t.TempDir(), "bad.json", bad))
		assert.Equal(t, exitFailed, r.code)
		assert.Contains(t, r.stdout, "update.url")
		assertNoSecret(t, r)
	})
	t.Run("invalid case", func(t *testing.T) {
		t.Parallel()
		c := writeFile(t, t.TempDir(), "case.json", `{"id": "", "title": "x", "severity": "apocalyptic", "titel": "y"}`)
		r := itsmsync(t, "preview", file, "--case", c)
		assert.Equal(t, exitFailed, r.code)
		oneErrorLine(t, r)
		for _, w := range []string{"titel: unknown field", "id: is required", "severity: unknown severity"} {
			assert.Contains(t, r.stderr, w)
		}
	})
}

// jiraConfigFile writes the Jira preset for the fake Jira at base.
func jiraConfigFile(t *testing.T, dir, name, base, password string) string {
	t.Helper()
	cfg, err := jira.Preset(jira.Options{
		BaseURL: base, ProjectKey: "SEC", APIVersion: "2",
		Auth:    jira.APIToken("jane@example.com", password),
		Network: httpconn.NetworkConfig{AllowLoopback: true},
	})
	require.NoError(t, err)
	cfg.Retry.MaxAttempts = 1
	return writeConfig(t, dir, name, cfg)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	fake := itsmtest.NewServer(itsmtest.WithBasicAuth("jane@example.com", testSecret))
	t.Cleanup(fake.Close)
	dir := t.TempDir()

	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // nothing listens there any more

	// Seed-shaped configs: only the drawer's fields (create and update, no
	// health URL, no get request). Check still has a read-only probe: Jira's
	// "myself" for a Jira REST URL, the origin for any other API.
	seedJira := webhookConfig(t, fake.URL())
	seedJira.Create.URL = fake.URL() + "/rest/api/2/issue"
	seedJira.Create.Payload = `{"fields":{"project":{"key":"SEC"},"summary":"$case_name","labels":["$correlation_key"]}}`
	seedJira.Update.URL = fake.URL() + "/rest/api/2/issue/$ticket_id"
	seedJira.Auth.Username = "jane@example.com"
	seedJira.Get, seedJira.HealthURL, seedJira.Lookup = httpconn.GetConfig{}, "", httpconn.LookupConfig{}
	generic := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "svc-siem" || p != testSecret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNotFound) // reachable and authenticated; nothing at "/"
	}))
	t.Cleanup(generic.Close)
	seedGeneric := webhookConfig(t, generic.URL+"/api")
	seedGeneric.Get, seedGeneric.HealthURL, seedGeneric.Lookup = httpconn.GetConfig{}, "", httpconn.LookupConfig{}
	seedGenericWrong := seedGeneric
	seedGenericWrong.Auth.Password = "not-the-password"

	tests := []struct {
		name   string
		file   string
		code   int
		status string
		want   string
	}{
		{"configured", jiraConfigFile(t, dir, "ok.json", fake.URL(), testSecret), exitOK, statusConfigured, ""},
		{"wrong credentials", jiraConfigFile(t, dir, "wrong.json", fake.URL(), "not-the-token"), exitFailed, statusFailing, "401"},
		{"unreachable", jiraConfigFile(t, dir, "down.json", downURL, testSecret), exitFailed, statusFailing, "no response"},
		{"seed-shaped jira", writeConfig(t, dir, "seed-jira.json", seedJira), exitOK, statusConfigured, ""},
		{"seed-shaped generic", writeConfig(t, dir, "seed-generic.json", seedGeneric), exitOK, statusConfigured, ""},
		{"seed-shaped generic, wrong password", writeConfig(t, dir, "seed-generic-wrong.json", seedGenericWrong), exitFailed, statusFailing, "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := itsmsync(t, "check", tt.file, "--timeout", "20s")
			assert.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout, ": "+tt.status)
			assert.Contains(t, r.stdout, tt.want)
			assert.Contains(t, r.stderr, "checking the connection")
			assertNoSecret(t, r)

			j := itsmsync(t, "check", "--json", tt.file)
			assert.Equal(t, tt.code, j.code)
			assertNoSecret(t, j)
			v := decodeJSON(t, j)
			assert.Equal(t, tt.status, v["status"])
			assert.Equal(t, tt.code == exitOK, v["ok"])
			assert.NotEmpty(t, v["checked_at"])
			if tt.want != "" {
				assert.Contains(t, v["error"], tt.want)
			}
			assert.Empty(t, j.stderr, "no progress lines with --json")
		})
	}
	// The probe is a read: nothing was created.
	assert.Zero(t, fake.CreateCount())
}

// TestCheckRefusesLoopbackByDefault: the network rules of the config hold
// in the command too.
func TestCheckRefusesLoopbackByDefault(t *testing.T) {
	t.Parallel()
	fake := itsmtest.NewServer(itsmtest.WithBasicAuth("jane@example.com", testSecret))
	t.Cleanup(fake.Close)
	cfg, err := jira.Preset(jira.Options{BaseURL: fake.URL(), ProjectKey: "SEC", APIVersion: "2",
		Auth: jira.APIToken("jane@example.com", testSecret), Network: httpconn.NetworkConfig{AllowLoopback: true}})
	require.NoError(t, err)
	cfg.Network.AllowLoopback = false // as a stored config that never allowed it
	r := itsmsync(t, "check", writeConfig(t, t.TempDir(), "c.json", cfg))
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stdout, "network.allow_loopback")
	assert.False(t, strings.Contains(r.stdout, testSecret))
}

// TestCheckShowsExactlyOnce: check tells an admin what the config does with
// an unknown outcome (is there a ticket lookup, a comment lookup) and the
// target its links are bound to, as text and in --json.
func TestCheckShowsExactlyOnce(t *testing.T) {
	t.Parallel()
	fake := itsmtest.NewServer(itsmtest.WithBasicAuth("jane@example.com", testSecret))
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	bare := webhookConfig(t, fake.URL()+"/api")
	bare.Lookup = httpconn.LookupConfig{}
	tests := []struct {
		name                   string
		file                   string
		ticketLookup, comments bool
		target, want, notWant  string
	}{
		{name: "jira preset", file: jiraConfigFile(t, dir, "jira.json", fake.URL(), testSecret), ticketLookup: true, comments: true,
			target: "|project=SEC", want: "notes:   exactly once", notWant: "no lookup configured"},
		{name: "generic without lookups", file: writeConfig(t, dir, "bare.json", bare),
			target: "http|", want: "no comment_lookup configured", notWant: "tickets: exactly once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := itsmsync(t, "check", tt.file, "--timeout", "20s")
			assert.Contains(t, r.stdout, "target:  ")
			assert.Contains(t, r.stdout, tt.target)
			assert.Contains(t, r.stdout, tt.want)
			assert.NotContains(t, r.stdout, tt.notWant)
			assertNoSecret(t, r)

			j := itsmsync(t, "check", "--json", tt.file)
			v := decodeJSON(t, j)
			eo, ok := v["exactly_once"].(map[string]any)
			require.True(t, ok, "exactly_once in %v", v)
			assert.Equal(t, tt.ticketLookup, eo["ticket_lookup"])
			assert.Equal(t, tt.comments, eo["comment_lookup"])
			assert.Contains(t, eo["target"], tt.target)
		})
	}
}
