package kibana_test

import (
	"encoding/json"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/kibana"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kibanaRender renders a template as Kibana's Webhook - Case Management
// connector does (x-pack/plugins/stack_connectors, cases_webhook service):
// case values and the comment JSON-encoded (JSON.stringify) into the JSON
// objects, the external system id and title URI-component-encoded into the
// URLs; triple braces unescaped, double braces HTML-escaped; names are
// case-sensitive, an unknown one renders empty.
func kibanaRender(t *testing.T, src string, json bool) string {
	t.Helper()
	c, tk, n := httpconn.SampleCase, httpconn.SampleTicket, httpconn.SampleNote
	enc := func(v any) string {
		if !json {
			s, _ := v.(string)
			return url.PathEscape(s)
		}
		b, err := jsonMarshal(v)
		require.NoError(t, err)
		return string(b)
	}
	vals := map[string]string{
		"case.id": enc(c.ID), "case.title": enc(c.Title), "case.description": enc(c.Description),
		"case.tags": enc(c.Tags), "case.severity": enc(string(c.Severity)), "case.status": enc(string(c.Status)),
		"case.comment": enc(n.Text), "external.system.id": enc(tk.ID), "external.system.title": enc(tk.Key),
	}
	var b strings.Builder
	last := 0
	for _, tg := range httpconn.FindMustache(src) {
		b.WriteString(src[last:tg.Offset])
		last = tg.Offset + len(tg.Text)
		v := vals[tg.Name]
		if tg.Kind == httpconn.MustacheDouble {
			v = html.EscapeString(v)
		}
		b.WriteString(v)
	}
	b.WriteString(src[last:])
	return b.String()
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func loadConnector(t *testing.T, name string) (raw []byte, kc map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var top map[string]any
	require.NoError(t, json.Unmarshal(raw, &top))
	if c, ok := top["config"].(map[string]any); ok {
		return raw, c
	}
	return raw, top
}

// withSecrets fills the secrets an import reported missing, as a user
// would before saving.
func withSecrets(cfg httpconn.Config) httpconn.Config {
	if cfg.Auth.Username == httpconn.RedactedMarker {
		cfg.Auth.Username = "kibana"
	}
	if cfg.Auth.Password == httpconn.RedactedMarker {
		cfg.Auth.Password = "entered-later"
	}
	return cfg
}

func previewByOp(t *testing.T, cfg httpconn.Config) map[itsm.Operation]httpconn.PreviewRequest {
	t.Helper()
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	n := httpconn.SampleNote
	reqs, err := conn.Preview(httpconn.SampleCase, &n, nil)
	require.NoError(t, err)
	out := map[itsm.Operation]httpconn.PreviewRequest{}
	for _, r := range reqs {
		out[r.Op] = r
	}
	return out
}

func entriesFor(rep *kibana.Report, key string, kind kibana.Kind) []kibana.Entry {
	var out []kibana.Entry
	for _, e := range rep.Entries {
		if e.Key == key && e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestImport_DocumentedExamples(t *testing.T) {
	t.Parallel()
	type request struct {
		op                 itsm.Operation
		urlKey, methodKey  string
		defMethod, jsonKey string
	}
	requests := []request{
		{itsm.OpCreate, "createIncidentUrl", "createIncidentMethod", "POST", "createIncidentJson"},
		{itsm.OpUpdate, "updateIncidentUrl", "updateIncidentMethod", "PUT", "updateIncidentJson"},
		{itsm.OpComment, "createCommentUrl", "createCommentMethod", "PUT", "createCommentJson"},
		{itsm.OpGet, "getIncidentUrl", "", "GET", ""},
	}
	tests := []struct {
		file string
		// escapingFixes are the Kibana keys whose request differs from
		// Kibana's only by an escaping fix the report lists.
		escapingFixes map[string]int
		// renamed are the Kibana keys with a misspelled mustache name
		// that Kibana rendered empty.
		renamed        []string
		missingSecrets []string
		dropped        int
	}{
		{file: "jira.json", renamed: []string{"updateIncidentUrl"}, missingSecrets: []string{"auth.username", "auth.password"}},
		{file: "servicenow.json"},
		{file: "rest.json", dropped: 1, escapingFixes: map[string]int{"createIncidentJson": 3, "updateIncidentJson": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			raw, kc := loadConnector(t, tt.file)
			cfg, rep, err := kibana.Import(raw)
			require.NoError(t, err, "report:\n%s", rep)
			assert.Equal(t, tt.missingSecrets, rep.MissingSecrets)
			assert.Zero(t, rep.Count(kibana.KindNotConverted), "report:\n%s", rep)
			assert.Equal(t, tt.dropped, rep.Count(kibana.KindDropped), "report:\n%s", rep)
			cfg = withSecrets(cfg)
			require.NoError(t, cfg.Validate())
			got := previewByOp(t, cfg)

			for _, r := range requests {
				p, ok := got[r.op]
				require.True(t, ok, "no %s request", r.op)
				method := r.defMethod
				if m, _ := kc[r.methodKey].(string); m != "" {
					method = strings.ToUpper(m)
				}
				assert.Equal(t, method, p.Method, r.op)

				wantURL := kibanaRender(t, kc[r.urlKey].(string), false)
				if assertRenamed := contains(tt.renamed, r.urlKey); assertRenamed {
					// Kibana rendered the misspelled name empty; ours
					// names the ticket, and the report says so.
					assert.True(t, strings.HasSuffix(wantURL, "/"), wantURL)
					wantURL += httpconn.SampleTicket.ID
					assert.Len(t, entriesFor(rep, "config."+r.urlKey, kibana.KindChanged), 1)
				}
				assert.Equal(t, wantURL, p.URL, r.op)

				if r.jsonKey == "" {
					continue
				}
				kibanaBody := kibanaRender(t, kc[r.jsonKey].(string), true)
				fixes := entriesFor(rep, "config."+r.jsonKey, kibana.KindEscapingFix)
				require.Len(t, fixes, tt.escapingFixes[r.jsonKey], "escaping fixes of %s: %v", r.jsonKey, fixes)
				require.True(t, json.Valid([]byte(p.Body)), "%s body: %s", r.op, p.Body)
				if len(fixes) == 0 {
					assert.JSONEq(t, kibanaBody, p.Body, r.op)
					continue
				}
				// Kibana's request is invalid JSON (the sample title has
				// quotes); ours carries the value escaped in the string.
				assert.False(t, json.Valid([]byte(kibanaBody)), "Kibana's %s body: %s", r.op, kibanaBody)
			}
			assert.Equal(t, kibanaRender(t, kc["viewIncidentUrl"].(string), false),
				strings.NewReplacer("$ticket_key", httpconn.SampleTicket.Key, "$ticket_id", httpconn.SampleTicket.ID).Replace(cfg.ViewURL))
		})
	}
}

func TestImport_RESTEscapingFixes(t *testing.T) {
	t.Parallel()
	raw, _ := loadConnector(t, "rest.json")
	cfg, rep, err := kibana.Import(raw)
	require.NoError(t, err)
	got := previewByOp(t, cfg)
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(got[itsm.OpCreate].Body), &body))
	assert.Equal(t, `[SIEM] Brute force on "vpn-gw-01"`, body["title"])
	assert.Equal(t, `Brute force on "vpn-gw-01"`, body["summary"], "double braces: not HTML-escaped")
	assert.Equal(t, []any{"vpn", "auth"}, body["labels"])
	assert.Equal(t, "data.0.id", cfg.TicketIDPath)
	assert.Equal(t, "data.0.reference", cfg.TicketKeyPath)
	assert.Equal(t, "Bearer kbn-example-token", cfg.SecretHeaders["Authorization"])
	assert.NotContains(t, cfg.Headers, "Authorization")
	assert.Len(t, entriesFor(rep, "config.headers.Authorization", kibana.KindMoved), 1)
	assert.Equal(t, "PUT", cfg.Comment.Method, "Kibana's default comment method")
	assert.Len(t, entriesFor(rep, "config.createCommentJson", kibana.KindDropped), 1, "the mustache comment")
	assert.Equal(t, httpconn.AuthType(""), cfg.Auth.Type)
	assert.NotContains(t, rep.String(), "kbn-example-token")
}

func TestImport_ServiceNowSecretsAndPaths(t *testing.T) {
	t.Parallel()
	raw, _ := loadConnector(t, "servicenow.json")
	cfg, rep, err := kibana.Import(raw)
	require.NoError(t, err)
	assert.Equal(t, httpconn.AuthBasic, cfg.Auth.Type)
	assert.Equal(t, "kibana.integration", cfg.Auth.Username)
	assert.Equal(t, "s3cr3t-Passw0rd", cfg.Auth.Password)
	assert.Equal(t, "result.sys_id", cfg.TicketIDPath)
	assert.Equal(t, "result.number", cfg.TicketKeyPath)
	assert.Equal(t, "PATCH", cfg.Comment.Method)
	assert.Empty(t, rep.MissingSecrets)
	assert.NotContains(t, rep.String(), "s3cr3t")
}

// TestImport_MissingSecretsAreAsked: Validate of an imported config names
// every field listed in Report.MissingSecrets, so an admin who enters only
// what Validate asks for does not send the redaction marker as a user name.
func TestImport_MissingSecretsAreAsked(t *testing.T) {
	t.Parallel()
	raw, _ := loadConnector(t, "jira.json")
	cfg, rep, err := kibana.Import(raw)
	require.NoError(t, err)
	require.NotEmpty(t, rep.MissingSecrets)
	var ve *itsm.ValidationError
	require.ErrorAs(t, cfg.Validate(), &ve)
	var fields []string
	for _, fe := range ve.Errors {
		fields = append(fields, fe.Field)
	}
	for _, f := range rep.MissingSecrets {
		assert.Contains(t, fields, f)
	}
}

func TestImport_BadInput(t *testing.T) {
	t.Parallel()
	connector := `{"id":"x","name":"bad","connector_type_id":".cases-webhook","extra_top":1,
	  "config":{"createIncidentUrl":"https://h.example.com/t","createIncidentJson":"{\"a\": [{{#case.tags}}\"{{.}}\"{{/case.tags}}], \"b\": {{^case.id}}null{{/case.id}}, \"c\": {{>footer}}, \"d\": {{{alert.id}}}}",
	    "createIncidentResponseKey":"id","updateIncidentUrl":"https://h.example.com/t/{{{external.system.id}}}",
	    "updateIncidentJson":"{}","getIncidentUrl":"https://h.example.com/t/{{{external.system.id}}}","getIncidentResponseExternalTitleKey":"key",
	    "viewIncidentUrl":"https://h.example.com/v","hasAuth":true,"authType":"webhook-authentication-ssl","certType":"ssl-pfx","futureKey":true},
	  "secrets":{"password":"pfx-pass","tokenX":"zzz"}}`
	cfg, rep, err := kibana.Import([]byte(connector))
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	require.NotNil(t, rep)
	assert.Len(t, entriesFor(rep, "extra_top", kibana.KindDropped), 1)
	assert.Len(t, entriesFor(rep, "config.futureKey", kibana.KindDropped), 1)
	assert.Len(t, entriesFor(rep, "secrets.tokenX", kibana.KindDropped), 1)
	assert.Len(t, entriesFor(rep, "secrets.pfx", kibana.KindMissingSecret), 1)
	assert.Equal(t, []string{"tls.pfx_base64"}, rep.MissingSecrets)
	// Two sections opened and closed, an element, a partial, an unknown variable.
	assert.Len(t, entriesFor(rep, "config.createIncidentJson", kibana.KindNotConverted), 7, "report:\n%s", rep)
	assert.Equal(t, "pfx-pass", cfg.TLS.Passphrase)
	assert.NotContains(t, rep.String()+err.Error(), "pfx-pass")
	assert.NotContains(t, rep.String(), "zzz")
	assert.Contains(t, err.Error(), "create.payload")

	for _, in := range []string{`[]`, `nope`, `{"config":{"url":"x"}}`, `{"connector_type_id":".jira","config":{"createIncidentUrl":"x"}}`, `{"config":3}`} {
		_, rep, err := kibana.Import([]byte(in))
		require.ErrorIs(t, err, itsm.ErrInvalidInput, in)
		assert.Nil(t, rep)
		assert.True(t, strings.HasPrefix(err.Error(), "kibana: "), err.Error())
	}
}

func FuzzImport(f *testing.F) {
	for _, n := range []string{"jira.json", "servicenow.json", "rest.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = kibana.Import(b)
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
