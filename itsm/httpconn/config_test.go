package httpconn_test

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	var out []string
	for _, fe := range ve.Errors {
		out = append(out, fe.Field)
	}
	sort.Strings(out)
	return out
}

func TestConfig_ValidateOK(t *testing.T) {
	t.Parallel()
	require.NoError(t, jiraConfig("https://acme.atlassian.net").Validate())
}

func TestConfig_ValidateEveryErrorAtOnce(t *testing.T) {
	t.Parallel()
	cfg := httpconn.Config{
		Create:        httpconn.EndpointConfig{Method: "DELETE", URL: "ftp://x/$case_name", Payload: `{"a": $nope}`},
		TicketKeyPath: "a[",
		Update:        httpconn.EndpointConfig{Method: "GET", URL: "https://itsm/$note_text"},
		Get:           httpconn.GetConfig{Method: "GET", URL: "https://itsm/$ticket_id", Payload: `{}`, StatusPath: "x."},
		Comment:       httpconn.CommentConfig{URL: "https://itsm/$ticket_id/c"},
		Lookup:        httpconn.LookupConfig{URL: "https://itsm/s?q=$correlation_key"},
		ViewURL:       "/browse/$ticket_key",
		Headers:       map[string]string{"Bad Header": "x", "Authorization": "Basic abc", "Host": "h", "X-Ok": "line\nbreak $case_id"},
		SecretHeaders: map[string]string{"X-Token": httpconn.RedactedMarker},
		BodyFormat:    "xml",
		Auth:          httpconn.AuthConfig{Type: httpconn.AuthBasic},
		Timeouts:      httpconn.Timeouts{Request: httpconn.Duration(-time.Second)},
		Retry:         httpconn.RetryConfig{MaxAttempts: 99, WaitMin: httpconn.Duration(time.Second), WaitMax: httpconn.Duration(time.Millisecond)},
		StatusMap:     statusmap.Map{Entries: []statusmap.Entry{{ITSM: "Open", Case: "open"}, {ITSM: "open", Case: "open"}}},
		PriorityMap:   statusmap.Map{Entries: []statusmap.Entry{{ITSM: "", Case: "low"}}},
		ID:            "bad id!",
	}
	err := cfg.Validate()
	got := fieldsOf(t, err)
	for _, want := range []string{
		"name", "id", "body_format",
		"create.method", "create.url", "create.payload",
		"ticket_id_path", "ticket_key_path",
		"update.method", "update.url",
		"get.payload", "get.status_path",
		"comment.payload",
		"lookup.ticket_id_path",
		"view_url",
		"headers.Bad Header", "headers.Authorization", "headers.Host",
		"secret_headers.X-Token",
		"auth.username", "auth.password",
		"timeouts.request", "retry.max_attempts", "retry.wait_max",
		"status_map.entries[1].itsm", "priority_map.entries[0].itsm",
	} {
		assert.Contains(t, got, want)
	}
	msg := err.Error()
	assert.Contains(t, msg, "$nope")
	assert.Contains(t, msg, "$note_text", "update may not use note variables")
	assert.Contains(t, msg, "create.url: must be an absolute http or https URL")
}

// TestConfig_RefusedHostOnce: a host the network rules refuse is reported
// once, on the first field that uses it, with the setting that would allow
// it named once and the other fields that use it listed.
func TestConfig_RefusedHostOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		mutate  func(*httpconn.Config)
		want    map[string]string // field -> message
		setting string
	}{
		{"every URL outside the allow-list", func(c *httpconn.Config) { c.Network.AllowedHosts = []string{"other.example.com"} },
			map[string]string{"create.url": `host "acme.atlassian.net" is not allowed: not in the allowed hosts; add the host to network.allowed_hosts (also used by update.url, get.url, comment.url, lookup.url, view_url)`},
			"network.allowed_hosts"},
		{"one URL on a private address", func(c *httpconn.Config) { c.Comment.URL = "http://10.0.0.5/issue/$ticket_id/comment" },
			map[string]string{"comment.url": `host "10.0.0.5" is not allowed: private address; set network.allow_private_networks to allow it`},
			"network.allow_private_networks"},
		{"token URL on another refused host", func(c *httpconn.Config) {
			c.Network.AllowedHosts = []string{"acme.atlassian.net"}
			c.Auth = httpconn.AuthConfig{Type: httpconn.AuthOAuth2, OAuth2: &httpconn.OAuth2Config{TokenURL: "https://login.example.com/token", ClientID: "c", ClientSecret: "s"}}
		}, map[string]string{"auth.oauth2.token_url": `host "login.example.com" is not allowed: not in the allowed hosts; add the host to network.allowed_hosts`},
			"network.allowed_hosts"},
		{"loopback, no other field", func(c *httpconn.Config) {
			c.Network.AllowLoopback = false
			c.HealthURL = "http://localhost:8080/health"
		},
			map[string]string{"health_url": `host "localhost:8080" is not allowed: loopback host; set network.allow_loopback to allow it`},
			"network.allow_loopback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := withLookup(jiraConfig("https://acme.atlassian.net"), "https://acme.atlassian.net")
			tc.mutate(&cfg)
			err := cfg.Validate()
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			got := map[string]string{}
			for _, fe := range ve.Errors {
				got[fe.Field] = fe.Message
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, 1, strings.Count(err.Error(), tc.setting), "the setting is named once: %v", err)
			_, err = httpconn.New(cfg)
			require.ErrorAs(t, err, &ve, "the constructor reports the same")
			assert.Len(t, ve.Errors, 1)
		})
	}
}

func TestConfig_ValidateFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*httpconn.Config)
		want   []string
	}{
		{"lowercase methods accepted", func(c *httpconn.Config) { c.Create.Method, c.Update.Method = "post", "patch" }, nil},
		{"create may not use ticket id", func(c *httpconn.Config) { c.Create.URL = "https://itsm/$ticket_id" }, []string{"create.url"}},
		{"invalid JSON payload", func(c *httpconn.Config) { c.Create.Payload = `{"a": "$case_name",}` }, []string{"create.payload"}},
		{"variables in JSON are checked in place", func(c *httpconn.Config) { c.Create.Payload = `{"a": $case_name $case_id}` }, []string{"create.payload"}},
		{"get has no case", func(c *httpconn.Config) { c.Get.URL = "https://acme.atlassian.net/x/$case_id" }, []string{"get.url"}},
		{"update URL required", func(c *httpconn.Config) { c.Update.URL = "" }, []string{"update.url"}},
		{"empty update payload allowed", func(c *httpconn.Config) { c.Update.Payload = "" }, nil},
		{"get by POST with a body", func(c *httpconn.Config) { c.Get.Method, c.Get.Payload = "POST", `{"key":"$ticket_id"}` }, nil},
		{"comment without note text", func(c *httpconn.Config) { c.Comment.Payload = `{"body":"synced"}` }, []string{"comment.payload"}},
		{"comment may use note variables", func(c *httpconn.Config) { c.Comment.Payload = `{"body":"$note_author: $note_text"}` }, nil},
		{"extra variable needs declaring", func(c *httpconn.Config) { c.Create.Payload = `{"d":$description_adf}` }, []string{"create.payload"}},
		{"extra variable declared", func(c *httpconn.Config) {
			c.ExtraVariables = []string{"description_adf"}
			c.Create.Payload = `{"d":$description_adf}`
		}, nil},
		{"custom fields allowed", func(c *httpconn.Config) { c.Create.Payload = `{"h":"$fields.hostname","n":$fields.count}` }, nil},
		{"host outside allow-list", func(c *httpconn.Config) { c.Network.AllowedHosts = []string{"other.example.com"} }, []string{"create.url"}},
		{"credentials in URL", func(c *httpconn.Config) { c.Update.URL = "https://u:p@acme.atlassian.net/$ticket_id" }, []string{"update.url"}},
		{"plain content type header allowed", func(c *httpconn.Config) { c.Headers = map[string]string{"content-type": "application/json"} }, nil},
		{"duplicate header names", func(c *httpconn.Config) { c.Headers = map[string]string{"X-A": "1", "x-a": "2"} }, []string{"headers.x-a"}},
		{"api key header clash", func(c *httpconn.Config) {
			c.Auth = httpconn.AuthConfig{Type: httpconn.AuthAPIKey, HeaderName: "X-Key", APIKey: "k"}
			c.SecretHeaders = map[string]string{"X-Key": "v"}
		}, []string{"secret_headers.X-Key"}},
		{"secret Authorization with basic auth", func(c *httpconn.Config) { c.SecretHeaders = map[string]string{"Authorization": "x"} }, []string{"secret_headers.Authorization"}},
		{"secret Authorization without auth", func(c *httpconn.Config) {
			c.Auth = httpconn.AuthConfig{}
			c.SecretHeaders = map[string]string{"Authorization": "SSWS token"}
		}, nil},
		{"form body", func(c *httpconn.Config) {
			c.BodyFormat = httpconn.BodyForm
			c.Create.Payload = "a=$case_name"
			c.Update.Payload = "b=$ticket_id"
			c.Comment.Payload = "c=$note_text"
		}, nil},
		{"lookup key path invalid", func(c *httpconn.Config) { c.Lookup.TicketKeyPath = "a]" }, []string{"lookup.ticket_key_path"}},
		{"bad extra variable name", func(c *httpconn.Config) { c.ExtraVariables = []string{"a b"} }, []string{"extra_variables[0]"}},
		{"max response bytes", func(c *httpconn.Config) { c.MaxResponseBytes = -1 }, []string{"max_response_bytes"}},
		{"health url", func(c *httpconn.Config) { c.HealthURL = "not a url" }, []string{"health_url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := withLookup(jiraConfig("https://acme.atlassian.net"), "https://acme.atlassian.net")
			tc.mutate(&cfg)
			got := fieldsOf(t, cfg.Validate())
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			assert.Equal(t, want, got)
		})
	}
}

func secretConfig() httpconn.Config {
	cfg := jiraConfig("https://acme.atlassian.net")
	cfg.SecretHeaders = map[string]string{"X-Secret": "hdr-Secret-Value-42"}
	cfg.Network.ProxyURL = "http://proxyuser:proxy-Pass-1@proxy.example.com:3128"
	return cfg
}

func TestConfig_RedactedJSON(t *testing.T) {
	t.Parallel()
	cfg := secretConfig()
	cfg.Auth.Token = "" // empty stays empty
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	for _, s := range []string{"pw-Sup3r-s3cret", "hdr-Secret-Value-42", "proxy-Pass-1"} {
		assert.NotContains(t, string(js), s)
	}
	assert.Contains(t, string(js), `"password":"********"`)
	assert.Contains(t, string(js), `"X-Secret":"********"`)
	assert.NotContains(t, string(js), `"token"`)

	// The original is untouched.
	assert.Equal(t, "hdr-Secret-Value-42", cfg.SecretHeaders["X-Secret"])
	assert.Equal(t, "pw-Sup3r-s3cret", cfg.Auth.Password)
}

func TestConfig_MarshalSecretsRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := secretConfig().WithDefaults()
	full, err := cfg.MarshalSecrets()
	require.NoError(t, err)
	assert.Contains(t, string(full), "pw-Sup3r-s3cret")
	var back httpconn.Config
	require.NoError(t, json.Unmarshal(full, &back))
	assert.Equal(t, cfg, back)
	require.NoError(t, back.Validate())

	// A redacted copy read back does not validate until merged.
	red, err := json.Marshal(cfg)
	require.NoError(t, err)
	var edited httpconn.Config
	require.NoError(t, json.Unmarshal(red, &edited))
	assert.Contains(t, fieldsOf(t, edited.Validate()), "auth.password")
	merged := edited.Merge(cfg)
	require.NoError(t, merged.Validate())
	assert.Equal(t, cfg, merged)
}

func TestConfig_Merge(t *testing.T) {
	t.Parallel()
	saved := secretConfig()
	saved.ID = "saved-id"
	edit := saved.Redacted()
	edit.ID = "attempted-change"
	edit.Auth.Password = ""            // blank: keep
	edit.SecretHeaders["X-New"] = "n1" // new header
	edit.Name = "Renamed"
	m := edit.Merge(saved)
	assert.Equal(t, "saved-id", m.ID, "the ID is read-only")
	assert.Equal(t, "pw-Sup3r-s3cret", m.Auth.Password)
	assert.Equal(t, "hdr-Secret-Value-42", m.SecretHeaders["X-Secret"])
	assert.Equal(t, "n1", m.SecretHeaders["X-New"])
	assert.Equal(t, "Renamed", m.Name)
	assert.Contains(t, m.Network.ProxyURL, "proxy-Pass-1")
	assert.Equal(t, httpconn.RedactedMarker, edit.SecretHeaders["X-Secret"], "arguments not modified")

	// A new value replaces the saved one; a removed header is gone.
	edit2 := saved.Redacted()
	edit2.Auth.Password = "new-password"
	delete(edit2.SecretHeaders, "X-Secret")
	m2 := edit2.Merge(saved)
	assert.Equal(t, "new-password", m2.Auth.Password)
	assert.NotContains(t, m2.SecretHeaders, "X-Secret")

	// First save: an ID is generated.
	first := jiraConfig("https://acme.atlassian.net")
	first.ID = ""
	m3 := first.Merge(httpconn.Config{})
	assert.Len(t, m3.ID, 32)
	require.NoError(t, m3.Validate())
}

func TestDuration_JSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{`"30s"`, 30 * time.Second, false},
		{`"1m30s"`, 90 * time.Second, false},
		{`""`, 0, false},
		{`45`, 45 * time.Second, false},
		{`0.5`, 500 * time.Millisecond, false},
		{`"soon"`, 0, true},
		{`true`, 0, true},
		{`1e300`, 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			var d httpconn.Duration
			err := json.Unmarshal([]byte(tc.in), &d)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, d.D())
		})
	}
	b, err := json.Marshal(httpconn.Timeouts{Request: httpconn.Duration(30 * time.Second)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"request":"30s"}`, string(b))
}

func TestConfig_WithDefaults(t *testing.T) {
	t.Parallel()
	d := httpconn.Config{}.WithDefaults()
	assert.Equal(t, "POST", d.Create.Method)
	assert.Equal(t, "PUT", d.Update.Method)
	assert.Equal(t, "GET", d.Get.Method)
	assert.Equal(t, "POST", d.Comment.Method)
	assert.Equal(t, httpconn.BodyJSON, d.BodyFormat)
	assert.Equal(t, 30*time.Second, d.Timeouts.Request.D())
	assert.Equal(t, httpconn.DefaultMaxAttempts, d.Retry.MaxAttempts)
	assert.Equal(t, time.Minute, d.Retry.MaxRetryAfter.D())
	assert.Equal(t, int64(1<<20), d.MaxResponseBytes)
	assert.Empty(t, d.ID)
}

func FuzzConfigValidate(f *testing.F) {
	seed, _ := jiraConfig("https://acme.atlassian.net").MarshalSecrets()
	f.Add(seed)
	f.Add([]byte(`{"create":{"url":"https://x/$case_name","payload":"{\"a\":$tags}"},"ticket_id_path":"id","update":{"url":"https://x/$ticket_id"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c httpconn.Config
		if json.Unmarshal(data, &c) != nil {
			return
		}
		err := c.Validate()
		if err != nil && !errors.Is(err, itsm.ErrInvalidConfig) {
			t.Fatalf("untyped error: %v", err)
		}
		if err == nil {
			if _, err := httpconn.New(c); err != nil && !strings.Contains(err.Error(), "itsm:") {
				t.Fatalf("connector: %v", err)
			}
		}
	})
}

// A saved secret must not follow an edited URL to a host the saved
// configuration never sent credentials to.
func TestConfig_MergeSecretsBoundToHosts(t *testing.T) {
	t.Parallel()
	const base = "https://acme.atlassian.net"
	tests := []struct {
		name string
		edit func(c *httpconn.Config)
		keep bool
	}{
		{"same host, path and payload change", func(c *httpconn.Config) {
			c.Create.URL = base + "/rest/api/3/issue"
			c.Create.Payload = `{"fields":{"summary":"$case_name"}}`
		}, true},
		{"same host, explicit default port", func(c *httpconn.Config) { c.Create.URL = "https://ACME.atlassian.net:443/rest/api/2/issue" }, true},
		{"host change on create URL", func(c *httpconn.Config) { c.Create.URL = "https://collector.example/api" }, false},
		{"host change on update URL only", func(c *httpconn.Config) { c.Update.URL = "https://collector.example/$ticket_id" }, false},
		{"scheme downgrade https to http", func(c *httpconn.Config) { c.Create.URL = "http://acme.atlassian.net/rest/api/2/issue" }, false},
		{"port change", func(c *httpconn.Config) { c.Get.URL = base + ":8443/rest/api/2/issue/$ticket_key" }, false},
		{"health URL change", func(c *httpconn.Config) { c.HealthURL = "https://collector.example/health" }, false},
		{"template host variable", func(c *httpconn.Config) { c.Comment.URL = "https://$case_name/rest/api/2/issue/$ticket_id/comment" }, false},
		{"host variable in saved host too", func(c *httpconn.Config) { c.Create.URL = "https://acme.atlassian.net.$case_name/x" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			saved := secretConfig()
			require.NoError(t, saved.Validate())
			edit := saved.Redacted()
			edit.Auth.Password = "" // blank: keep if allowed
			tt.edit(&edit)
			m := edit.Merge(saved)
			if tt.keep {
				assert.Equal(t, "pw-Sup3r-s3cret", m.Auth.Password)
				assert.Equal(t, "hdr-Secret-Value-42", m.SecretHeaders["X-Secret"])
				require.NoError(t, m.Validate())
				return
			}
			assert.Equal(t, httpconn.RedactedMarker, m.Auth.Password)
			assert.Equal(t, httpconn.RedactedMarker, m.SecretHeaders["X-Secret"])
			err := m.Validate()
			fields := fieldsOf(t, err)
			assert.Contains(t, fields, "auth.password")
			assert.Contains(t, fields, "secret_headers.X-Secret")
			assert.Contains(t, err.Error(), "host changes")
			for _, s := range []string{"pw-Sup3r-s3cret", "hdr-Secret-Value-42"} {
				assert.NotContains(t, err.Error(), s)
			}
			// The proxy is unchanged, so its password is kept.
			assert.Contains(t, m.Network.ProxyURL, "proxy-Pass-1")
			// Typing the secrets again makes the configuration valid.
			m.Auth.Password = "typed-again"
			m.SecretHeaders["X-Secret"] = "typed-again"
			if strings.Contains(tt.name, "variable") {
				return // a host variable may be rejected for other reasons
			}
			assert.NoError(t, m.Validate())
		})
	}
}
