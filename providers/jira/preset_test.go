package jira_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenCase is the case the golden payloads are rendered from: a title with
// quotes and a backslash, a multi-paragraph description with emoji and
// markup-looking text.
var goldenCase = itsm.Case{
	ID:          "CASE-1042",
	Title:       `Brute force on "vpn-gw-01" \ admin`,
	Description: "Multiple failed logins from 203.0.113.7.\nBlocked at the firewall 🔥.\n\nNext: check <script> & \"quotes\".",
	Severity:    itsm.SeverityCritical,
	Status:      itsm.StatusInProgress,
	Tags:        []string{"vpn", "auth"},
	URL:         "https://siem.example.com/cases/1042",
	CreatedAt:   time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC),
	UpdatedAt:   time.Date(2026, 11, 28, 3, 10, 0, 0, time.UTC),
	Fields:      map[string]any{"hostname": "vpn-gw-01"},
}

var goldenNote = itsm.Note{ID: "note-7", Text: "Blocked the source IP.\nPassword reset for \"alice\".", Author: "alice@example.com"}

// goldenRequest is one previewed request as stored in a golden file.
type goldenRequest struct {
	Op     string          `json:"op"`
	Method string          `json:"method"`
	URL    string          `json:"url"`
	Header map[string]any  `json:"header"`
	Body   json.RawMessage `json:"body,omitempty"`
}

func TestPresetGolden(t *testing.T) {
	tests := []struct {
		name string
		opts jira.Options
	}{
		{"cloud", jira.Options{
			BaseURL: "https://example.atlassian.net", ProjectKey: "SEC",
			Labels: []string{"soc"}, Fields: map[string]string{"customfield_10010": `"$fields.hostname"`},
			Auth: jira.APIToken("bot@example.com", "cloud-api-token-SECRET"),
		}},
		{"cloud_v2", jira.Options{
			BaseURL: "https://example.atlassian.net", APIVersion: "2", ProjectKey: "SEC",
			Auth: jira.APIToken("bot@example.com", "cloud-api-token-SECRET"),
		}},
		{"cloud_oauth2_gateway", jira.Options{
			BaseURL: jira.GatewayURL("1a11d016-8984-4c3e-b9ab-142dd06acb1b"), SiteURL: "https://example.atlassian.net",
			ProjectKey: "SEC", IssueType: "Security Incident",
			Auth: jira.ServiceAccountOAuth2("client-id", "client-SECRET"),
		}},
		{"datacenter", jira.Options{
			BaseURL: "https://jira.example.com/jira", ProjectKey: "SOC", IssueType: "Incident", OmitPriority: true,
			Auth: jira.PersonalAccessToken("dc-pat-SECRET"), Network: httpconn.NetworkConfig{AllowPrivateNetworks: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := jira.Preset(tt.opts)
			require.NoError(t, err)
			cfg.ID = "int-golden"
			conn, err := jira.NewConnector(cfg)
			require.NoError(t, err)
			ticket := itsm.Ticket{ID: "10042", Key: "SEC-42"}
			reqs, err := conn.Preview(goldenCase, &goldenNote, &ticket)
			require.NoError(t, err)

			got := make([]goldenRequest, 0, len(reqs))
			for _, r := range reqs {
				assert.NotContains(t, r.String(), "SECRET", "a secret in the preview")
				g := goldenRequest{Op: string(r.Op), Method: r.Method, URL: r.URL, Header: map[string]any{}}
				for k, v := range r.Header {
					g.Header[k] = strings.Join(v, ", ")
				}
				if r.Body != "" {
					require.Truef(t, json.Valid([]byte(r.Body)), "%s body is not JSON: %s", r.Op, r.Body)
					g.Body = json.RawMessage(r.Body)
				}
				got = append(got, g)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep the golden files readable
			enc.SetIndent("", "  ")
			require.NoError(t, enc.Encode(got))
			gotJSON := buf.Bytes()
			path := filepath.Join("testdata", tt.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, gotJSON, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create the golden file")
			assert.JSONEq(t, string(want), string(gotJSON))
		})
	}
}

func TestPresetDefaults(t *testing.T) {
	cfg, err := jira.Preset(jira.Options{BaseURL: "https://example.atlassian.net/", ProjectKey: "SEC", Auth: jira.APIToken("a@b.c", "tok")})
	require.NoError(t, err)
	assert.Equal(t, "Jira", cfg.Name)
	assert.Equal(t, jira.Provider, cfg.Provider)
	assert.Equal(t, "id", cfg.TicketIDPath)
	assert.Equal(t, "key", cfg.TicketKeyPath)
	assert.Equal(t, "https://example.atlassian.net/rest/api/3/issue", cfg.Create.URL)
	assert.Contains(t, cfg.Lookup.URL, "/rest/api/3/search/jql?")
	assert.Equal(t, "https://example.atlassian.net/browse/$ticket_key", cfg.ViewURL)
	assert.Equal(t, "https://example.atlassian.net/rest/api/3/myself", cfg.HealthURL)
	assert.ElementsMatch(t, []string{"description_adf", "note_adf", "description_wiki", "note_wiki", "summary_text"}, cfg.ExtraVariables)
	assert.Contains(t, cfg.Create.Payload, `"issuetype": {"name": "Task"}`)
	prio, ok := cfg.PriorityMap.ToITSM(string(itsm.SeverityCritical))
	assert.True(t, ok)
	assert.Equal(t, "Highest", prio, "Jira's default scheme has no Critical")
	st, _ := cfg.StatusMap.ToITSM(string(itsm.StatusClosed))
	assert.Equal(t, "Done", st)

	// The config is plain data: it survives a JSON round trip and validates.
	b, err := cfg.MarshalSecrets()
	require.NoError(t, err)
	var back httpconn.Config
	require.NoError(t, json.Unmarshal(b, &back))
	require.NoError(t, back.Validate())
	assert.Equal(t, cfg.Create.Payload, back.Create.Payload)

	dc, err := jira.Preset(jira.Options{BaseURL: "https://jira.corp.example", ProjectKey: "SEC", Auth: jira.PersonalAccessToken("pat")})
	require.NoError(t, err)
	assert.Equal(t, "https://jira.corp.example/rest/api/2/issue", dc.Create.URL)
	assert.Contains(t, dc.Lookup.URL, "/rest/api/2/search?")
	assert.Contains(t, dc.Create.Payload, `"description": "$description_wiki"`, "Data Center gets escaped wiki text")
	assert.Contains(t, dc.Comment.Payload, `"body": "$note_wiki"`)
	assert.Contains(t, dc.Create.Payload, `"summary": "[SIEM] $summary_text"`)
}

func TestPresetLiteralDollar(t *testing.T) {
	// A "$" in a literal (issue type, label) is text, not a variable.
	cfg, err := jira.Preset(jira.Options{BaseURL: "https://example.atlassian.net", ProjectKey: "SEC",
		IssueType: "Cost $ave", Labels: []string{"us$"}, Auth: jira.APIToken("a@b.c", "tok")})
	require.NoError(t, err)
	cfg.ID = "x"
	conn, err := jira.NewConnector(cfg)
	require.NoError(t, err)
	reqs, err := conn.Preview(goldenCase, nil, nil)
	require.NoError(t, err)
	assert.Contains(t, reqs[0].Body, `"name": "Cost $ave"`)
	assert.Contains(t, reqs[0].Body, `"us$"`)
}

func TestPresetErrors(t *testing.T) {
	auth := jira.APIToken("a@b.c", "tok-SECRET")
	tests := []struct {
		name   string
		opts   jira.Options
		fields []string
	}{
		{"empty", jira.Options{}, []string{"base_url", "project_key", "auth.type"}},
		{"relative url", jira.Options{BaseURL: "example.atlassian.net", ProjectKey: "SEC", Auth: auth}, []string{"base_url"}},
		{"rest path", jira.Options{BaseURL: "https://x.atlassian.net/rest/api/3", ProjectKey: "SEC", Auth: auth}, []string{"base_url"}},
		{"credentials in url", jira.Options{BaseURL: "https://u:p@x.atlassian.net", ProjectKey: "SEC", Auth: auth}, []string{"base_url"}},
		{"bad project", jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "S EC", Auth: auth}, []string{"project_key"}},
		{"gateway without site", jira.Options{BaseURL: jira.GatewayURL("abc"), ProjectKey: "SEC", Auth: auth}, []string{"site_url"}},
		{"v3 on data center", jira.Options{BaseURL: "https://jira.corp", APIVersion: "3", ProjectKey: "SEC", Auth: auth}, []string{"api_version"}},
		{"unknown version", jira.Options{BaseURL: "https://x.atlassian.net", APIVersion: "4", ProjectKey: "SEC", Auth: auth}, []string{"api_version"}},
		{"unknown deployment", jira.Options{BaseURL: "https://x.atlassian.net", Deployment: "mainframe", ProjectKey: "SEC", Auth: auth}, []string{"deployment"}},
		{"label with space", jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "SEC", Labels: []string{"a b"}, Auth: auth}, []string{"labels[0]"}},
		{"preset field", jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "SEC", Fields: map[string]string{"summary": `"x"`}, Auth: auth}, []string{"fields.summary"}},
		{"bad field id", jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "SEC", Fields: map[string]string{"a\"b": `"x"`}, Auth: auth}, []string{"fields.a\"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jira.Preset(tt.opts)
			require.Error(t, err)
			assert.ErrorIs(t, err, itsm.ErrInvalidConfig)
			assert.NotContains(t, err.Error(), "SECRET")
			var ve *itsm.ValidationError
			require.True(t, errors.As(err, &ve), "got %T: %v", err, err)
			assert.True(t, strings.HasPrefix(err.Error(), "jira: invalid options: "), err.Error())
			var fields []string
			for _, fe := range ve.Errors {
				fields = append(fields, fe.Field)
			}
			assert.ElementsMatch(t, tt.fields, fields)
		})
	}

	// A fragment that is not JSON is the config's own validation error.
	_, err := jira.Preset(jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "SEC", Auth: auth,
		Fields: map[string]string{"components": `[{"name": SOC}]`}})
	var ve *itsm.ValidationError
	require.True(t, errors.As(err, &ve), "got %T: %v", err, err)
	assert.Equal(t, "create.payload", ve.Errors[0].Field)
}

func TestDeploymentInference(t *testing.T) {
	for base, wantVersion := range map[string]string{
		"https://acme.atlassian.net":             "3",
		"https://ACME.Atlassian.NET.":            "3",
		"https://acme.jira.com":                  "3",
		"https://jira.acme.com":                  "2",
		"https://acme.atlassian.net.evil.com":    "2",
		"https://api.atlassian.com/ex/jira/abcd": "3",
	} {
		opts := jira.Options{BaseURL: base, SiteURL: "https://acme.atlassian.net", ProjectKey: "SEC", Auth: jira.APIToken("a@b.c", "t")}
		cfg, err := jira.Preset(opts)
		require.NoError(t, err, base)
		assert.Contains(t, cfg.Create.URL, "/rest/api/"+wantVersion+"/", base)
	}
}

func TestOptionsMarshalRedacts(t *testing.T) {
	for _, auth := range []httpconn.AuthConfig{
		jira.APIToken("a@b.c", "tok-SECRET"),
		jira.PersonalAccessToken("pat-SECRET"),
		jira.ServiceAccountOAuth2("id", "client-SECRET"),
	} {
		opts := jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "SEC", Auth: auth,
			Network: httpconn.NetworkConfig{ProxyURL: "http://u:proxy-SECRET@proxy.example.com:3128"}}
		b, err := json.Marshal(opts)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "SECRET")
		assert.Contains(t, string(b), httpconn.RedactedMarker)
		assert.Contains(t, string(b), `"project_key":"SEC"`)
		secret := opts.Auth.Password + opts.Auth.Token
		if opts.Auth.OAuth2 != nil {
			secret += opts.Auth.OAuth2.ClientSecret
		}
		assert.Contains(t, secret, "SECRET", "the original is untouched")
		assert.Contains(t, opts.Network.ProxyURL, "proxy-SECRET")
	}
}

func TestPresetLeavesBlankPriorityOut(t *testing.T) {
	t.Parallel()
	for _, d := range []jira.Deployment{jira.Cloud, jira.DataCenter} {
		cfg, err := jira.Preset(jira.Options{BaseURL: "https://example.atlassian.net", Deployment: d, ProjectKey: "SEC", Auth: jira.APIToken("a@example.com", "t")})
		require.NoError(t, err)
		conn, err := jira.NewConnector(cfg)
		require.NoError(t, err)
		c := goldenCase
		c.Severity = ""
		reqs, err := conn.Preview(c, nil, &itsm.Ticket{ID: "10001", Key: "SEC-1"})
		require.NoError(t, err)
		for _, r := range reqs {
			assert.NotContains(t, string(r.Body), "priority", "%s %s", d, r.Op)
		}
		c.Severity = itsm.SeverityHigh
		reqs, err = conn.Preview(c, nil, nil)
		require.NoError(t, err)
		assert.Contains(t, string(reqs[0].Body), `"priority"`)
		_ = conn.Close()
	}
}
