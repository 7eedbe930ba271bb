package httpconn_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfig_OmitEmptyAndRulesValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*httpconn.Config)
		want   []string
	}{
		{"plain paths", func(c *httpconn.Config) {
			c.Create.OmitEmpty = []string{"fields.priority.name", "fields.priority", "fields.labels"}
			c.Update.OmitEmpty = []string{"fields.summary"}
			c.Comment.OmitEmpty = []string{"body"}
		}, nil},
		{"array index", func(c *httpconn.Config) {
			c.Create.Payload = `{"a":[{"b":"$priority"}]}`
			c.Create.OmitEmpty = []string{"a.0.b", "a.0", "a"}
		}, nil},
		{"escaped dot", func(c *httpconn.Config) {
			c.Create.Payload = `{"a.b":"$priority"}`
			c.Create.OmitEmpty = []string{`a\.b`}
		}, nil},
		{"wildcard", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields.*"} }, []string{"create.omit_empty[0]"}},
		{"question mark", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields.pri?rity"} }, []string{"create.omit_empty[0]"}},
		{"query", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{`fields.labels.#(=="vpn")`} }, []string{"create.omit_empty[0]"}},
		{"count", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields.labels.#"} }, []string{"create.omit_empty[0]"}},
		{"modifier", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"@this"} }, []string{"create.omit_empty[0]"}},
		{"pipe", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields|priority"} }, []string{"create.omit_empty[0]"}},
		{"multipath", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"[fields.summary,fields.priority]"} }, []string{"create.omit_empty[0]"}},
		{"empty path", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{""} }, []string{"create.omit_empty[0]"}},
		{"empty segment", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields..priority"} }, []string{"create.omit_empty[0]"}},
		{"trailing dot", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields."} }, []string{"create.omit_empty[0]"}},
		{"trailing escape", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{`fields\`} }, []string{"create.omit_empty[0]"}},
		{"spaces around", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{" fields.priority"} }, []string{"create.omit_empty[0]"}},
		{"control character", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields.\npriority"} }, []string{"create.omit_empty[0]"}},
		{"too long", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{strings.Repeat("a", 257)} }, []string{"create.omit_empty[0]"}},
		{"duplicate", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields.priority", "fields.priority"} }, []string{"create.omit_empty[1]"}},
		{"typo: not in the payload", func(c *httpconn.Config) { c.Create.OmitEmpty = []string{"fields.priorty"} }, []string{"create.omit_empty[0]"}},
		{"too many", func(c *httpconn.Config) {
			for range 33 {
				c.Create.OmitEmpty = append(c.Create.OmitEmpty, "fields.priority")
			}
		}, []string{"create.omit_empty"}},
		{"form body", func(c *httpconn.Config) {
			c.BodyFormat = httpconn.BodyForm
			c.Create.Payload, c.Update.Payload, c.Comment.Payload = "a=$case_name", "b=$ticket_id", "c=$note_text"
			c.Create.OmitEmpty = []string{"a"}
		}, []string{"create.omit_empty"}},
		{"update without payload", func(c *httpconn.Config) {
			c.Update.Payload = ""
			c.Update.OmitEmpty = []string{"fields.summary"}
		}, []string{"update.omit_empty"}},
		{"lookup GET has no body", func(c *httpconn.Config) { c.Lookup.OmitEmpty = []string{"jql"} }, []string{"lookup.omit_empty"}},
		{"lookup POST", func(c *httpconn.Config) {
			c.Lookup.Method, c.Lookup.Payload = "POST", `{"jql":"labels=$correlation_key","fields":["$priority"]}`
			c.Lookup.OmitEmpty = []string{"fields.0"}
		}, nil},
		{"comment not configured", func(c *httpconn.Config) {
			c.Comment = httpconn.CommentConfig{OmitEmpty: []string{"body"}}
		}, []string{"comment.omit_empty"}},
		{"response rules", func(c *httpconn.Config) {
			c.Create.SuccessPath, c.Create.ErrorPath = "success", "errors"
			c.Update.SuccessPath, c.Comment.ErrorPath = "result.ok", "error.message"
		}, nil},
		{"response rules invalid", func(c *httpconn.Config) {
			c.Create.SuccessPath, c.Update.ErrorPath, c.Comment.SuccessPath = "a]", " x", "a."
		}, []string{"comment.success_path", "create.success_path", "update.error_path"}},
		{"bearer scheme", func(c *httpconn.Config) {
			c.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "t", Scheme: "token"}
		}, nil},
		{"bearer scheme with space", func(c *httpconn.Config) {
			c.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "t", Scheme: "my token"}
		}, []string{"auth.scheme"}},
		{"bearer scheme with colon", func(c *httpconn.Config) {
			c.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "t", Scheme: "Bearer:"}
		}, []string{"auth.scheme"}},
		{"bearer scheme with newline", func(c *httpconn.Config) {
			c.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "t", Scheme: "token\r\nX-Evil: 1"}
		}, []string{"auth.scheme"}},
		{"bearer scheme too long", func(c *httpconn.Config) {
			c.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "t", Scheme: strings.Repeat("s", 33)}
		}, []string{"auth.scheme"}},
		{"oauth2 scheme invalid", func(c *httpconn.Config) {
			c.Auth = httpconn.AuthConfig{Type: httpconn.AuthOAuth2, Scheme: "ü", OAuth2: &httpconn.OAuth2Config{
				TokenURL: "https://acme.atlassian.net/token", ClientID: "id", ClientSecret: "s"}}
		}, []string{"auth.scheme"}},
		{"scheme ignored by basic", func(c *httpconn.Config) { c.Auth.Scheme = "not a scheme" }, nil},
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

func TestConfig_OmitEmptyMessages(t *testing.T) {
	t.Parallel()
	cfg := jiraConfig("https://acme.atlassian.net")
	cfg.Create.OmitEmpty = []string{"fields.*", "fields.priorty"}
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"*" makes it a query, wildcard or modifier`)
	assert.Contains(t, err.Error(), `"fields.priorty" is not in the payload`)
}

func TestConnector_OmitEmpty(t *testing.T) {
	t.Parallel()
	omitted := []string{"fields.priority.name", "fields.priority", "fields.labels", "fields.description"}
	for _, tc := range []struct {
		name string
		cs   func(*itsm.Case)
		want string
	}{
		{"all set: nothing removed", func(*itsm.Case) {},
			`{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] t","description":"d","labels":["vpn"],"priority":{"name":"High"}}}`},
		{"no severity: priority left out", func(c *itsm.Case) { c.Severity = "" },
			`{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] t","description":"d","labels":["vpn"]}}`},
		{"unmapped severity: priority left out", func(c *itsm.Case) { c.Severity = itsm.SeverityLow },
			`{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] t","description":"d","labels":["vpn"]}}`},
		{"no tags: empty array left out", func(c *itsm.Case) { c.Tags = nil },
			`{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] t","description":"d","priority":{"name":"High"}}}`},
		{"blank description left out", func(c *itsm.Case) { c.Description = " \n\t " },
			`{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] t","labels":["vpn"],"priority":{"name":"High"}}}`},
		{"everything blank", func(c *itsm.Case) { c.Severity, c.Tags, c.Description = "", nil, "" },
			`{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] t"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(201)
				_, _ = w.Write([]byte(`{"id":"10001","key":"SEC-1"}`))
			})
			cfg := jiraConfig(srv.URL)
			cfg.Create.OmitEmpty = omitted
			c := newConnector(t, cfg)
			cs := itsm.Case{ID: "CASE-7", Title: "t", Description: "d", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen, Tags: []string{"vpn"}}
			tc.cs(&cs)
			prev, err := c.Preview(cs, nil, nil)
			require.NoError(t, err)
			require.Equal(t, itsm.OpCreate, prev[0].Op)
			assert.JSONEq(t, tc.want, prev[0].Body, "preview shows the body as sent")
			_, err = c.Create(t.Context(), itsm.SyncRequest{Case: &cs})
			require.NoError(t, err)
			reqs := srv.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, prev[0].Body, reqs[0].Body, "the body sent is the previewed one")
		})
	}
}

func TestConnector_OmitEmptyComment(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(201) })
	cfg := jiraConfig(srv.URL)
	cfg.Comment.Payload = `{"body":$note_text,"author":"$note_author"}`
	cfg.Comment.OmitEmpty = []string{"author"}
	c := newConnector(t, cfg)
	cs := sampleCase()
	_, err := c.Comment(t.Context(), itsm.Ticket{ID: "1"}, itsm.SyncRequest{Case: &cs}, itsm.Note{ID: "n", Text: "hi"})
	require.NoError(t, err)
	_, err = c.Comment(t.Context(), itsm.Ticket{ID: "1"}, itsm.SyncRequest{Case: &cs}, itsm.Note{ID: "n", Text: "hi", Author: "bob"})
	require.NoError(t, err)
	reqs := srv.requests()
	require.Len(t, reqs, 2)
	assert.JSONEq(t, `{"body":"hi"}`, reqs[0].Body)
	assert.JSONEq(t, `{"body":"hi","author":"bob"}`, reqs[1].Body)
}

func TestConnector_ResponseRules(t *testing.T) {
	t.Parallel()
	type rules struct{ success, errPath string }
	for _, tc := range []struct {
		name     string
		rules    rules
		status   int
		body     string
		refused  bool
		wantBody string // substring of HTTPError.Body
	}{
		{"success true", rules{"success", ""}, 200, `{"success":true,"id":"5"}`, false, ""},
		{"success false", rules{"success", ""}, 200, `{"success":false,"id":"5","message":"field refused"}`, true, "field refused"},
		{"success missing", rules{"success", ""}, 200, `{"id":"5"}`, true, `{"id":"5"}`},
		{"success null", rules{"success", ""}, 200, `{"success":null,"id":"5"}`, true, ""},
		{"success 0", rules{"success", ""}, 200, `{"success":0,"id":"5"}`, true, ""},
		{"success 1", rules{"success", ""}, 200, `{"success":1,"id":"5"}`, false, ""},
		{"success string no", rules{"success", ""}, 200, `{"success":"No","id":"5"}`, true, ""},
		{"success string ok", rules{"success", ""}, 200, `{"success":"ok","id":"5"}`, false, ""},
		{"success empty object", rules{"success", ""}, 200, `{"success":{},"id":"5"}`, true, ""},
		{"error empty array", rules{"", "errors"}, 200, `{"errors":[],"id":"5"}`, false, ""},
		{"error null", rules{"", "errors"}, 200, `{"errors":null,"id":"5"}`, false, ""},
		{"error missing", rules{"", "errors"}, 200, `{"id":"5"}`, false, ""},
		{"error blank string", rules{"", "error"}, 200, `{"error":"  ","id":"5"}`, false, ""},
		{"error false", rules{"", "error"}, 200, `{"error":false,"id":"5"}`, false, ""},
		{"error set", rules{"", "errors"}, 200, `{"errors":{"priority":"invalid value"},"id":"5"}`, true, `{"priority":"invalid value"}`},
		{"error string", rules{"", "error.message"}, 200, `{"error":{"message":"Ticket is locked"},"id":"5"}`, true, "Ticket is locked"},
		{"both: error wins", rules{"ok", "error"}, 200, `{"ok":true,"error":"nope","id":"5"}`, true, "nope"},
		{"not JSON: not judged", rules{"success", ""}, 200, `<html>ok</html>`, false, ""},
		{"empty 204 passes", rules{"success", "error"}, 204, ``, false, ""},
	} {
		for _, op := range []itsm.Operation{itsm.OpCreate, itsm.OpUpdate, itsm.OpComment} {
			t.Run(tc.name+"/"+string(op), func(t *testing.T) {
				t.Parallel()
				if op == itsm.OpCreate && (tc.status == 204 || strings.HasPrefix(tc.body, "<")) {
					t.Skip("a create without a JSON id is outcome-unknown, tested elsewhere")
				}
				srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(tc.body))
				})
				cfg := jiraConfig(srv.URL)
				cfg.Retry.MaxAttempts = 3
				cfg.Create.SuccessPath, cfg.Create.ErrorPath = tc.rules.success, tc.rules.errPath
				cfg.Update.SuccessPath, cfg.Update.ErrorPath = tc.rules.success, tc.rules.errPath
				cfg.Comment.SuccessPath, cfg.Comment.ErrorPath = tc.rules.success, tc.rules.errPath
				c := newConnector(t, cfg)
				cs := sampleCase()
				req := itsm.SyncRequest{Case: &cs}
				var err error
				switch op {
				case itsm.OpCreate:
					_, err = c.Create(t.Context(), req)
				case itsm.OpUpdate:
					_, err = c.Update(t.Context(), itsm.Ticket{ID: "5"}, req)
				case itsm.OpComment:
					_, err = c.Comment(t.Context(), itsm.Ticket{ID: "5"}, req, itsm.Note{ID: "n", Text: "x"})
				}
				if !tc.refused {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, itsm.ErrRefused)
				assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown, "a refusal is certain")
				var he *httpconn.HTTPError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, op, he.Op)
				assert.Equal(t, tc.status, he.StatusCode)
				assert.Equal(t, 1, he.Attempts, "a refusal is not retried")
				assert.Contains(t, he.Body, tc.wantBody)
				assert.Len(t, srv.requests(), 1)
				assert.True(t, strings.HasPrefix(err.Error(), "httpconn: "+string(op)+": "), err.Error())
				assert.Contains(t, err.Error(), "refused by the ITSM")
			})
		}
	}
}

func TestConnector_RefusalRedactsSecrets(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"error":"bad credentials pw-Sup3r-s3cret"}`))
	})
	cfg := jiraConfig(srv.URL)
	cfg.Comment.ErrorPath = "error"
	c := newConnector(t, cfg)
	cs := sampleCase()
	_, err := c.Comment(t.Context(), itsm.Ticket{ID: "5"}, itsm.SyncRequest{Case: &cs}, itsm.Note{ID: "n", Text: "x"})
	require.ErrorIs(t, err, itsm.ErrRefused)
	assert.NotContains(t, err.Error(), "pw-Sup3r-s3cret")
	assert.Contains(t, err.Error(), "bad credentials")
}

func TestConnector_CommentID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		path     string
		location string
		body     string
		want     string
	}{
		{"from body", "id", "", `{"id":"77"}`, "77"},
		{"number kept exactly", "id", "", `{"id":12345678901234567890}`, "12345678901234567890"},
		{"from Location", "", "https://itsm/api/tickets/5/comments/88", ``, "88"},
		{"body path missing: Location", "id", "/api/comments/99/", `{}`, "99"},
		{"body wins over Location", "id", "/api/comments/99", `{"id":"77"}`, "77"},
		{"neither", "id", "", `{}`, ""},
		{"Location without id", "", "/", ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
				if tc.location != "" {
					w.Header().Set("Location", tc.location)
				}
				w.WriteHeader(201)
				_, _ = w.Write([]byte(tc.body))
			})
			cfg := jiraConfig(srv.URL)
			cfg.Comment.CommentIDPath = tc.path
			c := newConnector(t, cfg)
			cs := sampleCase()
			cm, err := c.Comment(t.Context(), itsm.Ticket{ID: "5"}, itsm.SyncRequest{Case: &cs}, itsm.Note{ID: "n", Text: "x"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, cm.ID)
		})
	}
}

func TestConnector_AuthScheme(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, scheme, want string
	}{
		{"default Bearer", "", "Bearer tok-s3cret-123"},
		{"Request Tracker token", "token", "token tok-s3cret-123"},
		{"custom", "SSWS", "SSWS tok-s3cret-123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(401)
				_, _ = w.Write([]byte(`{"error":"token tok-s3cret-123 rejected"}`))
			})
			cfg := jiraConfig(srv.URL)
			cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok-s3cret-123", Scheme: tc.scheme}
			c := newConnector(t, cfg)
			cs := sampleCase()
			_, err := c.Update(t.Context(), itsm.Ticket{ID: "5"}, itsm.SyncRequest{Case: &cs})
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "tok-s3cret-123")
			reqs := srv.requests()
			require.NotEmpty(t, reqs)
			assert.Equal(t, tc.want, reqs[0].Header.Get("Authorization"))
			prev, err := c.Preview(cs, nil, nil)
			require.NoError(t, err)
			wantScheme, _, _ := strings.Cut(tc.want, " ")
			assert.Equal(t, wantScheme+" "+httpconn.RedactedMarker, prev[0].Header.Get("Authorization"))
			js, err := c.Config().MarshalSecrets()
			require.NoError(t, err)
			assert.NotContains(t, string(js), "tok-s3cret-123", "Config() is redacted")
		})
	}
}

func TestConnector_OAuth2Scheme(t *testing.T) {
	t.Parallel()
	var tokenURL string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"at-s3cret","token_type":"bearer","expires_in":3600}`))
			return
		}
		w.WriteHeader(204)
	})
	tokenURL = srv.URL + "/token"
	cfg := jiraConfig(srv.URL)
	cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthOAuth2, Scheme: "token",
		OAuth2: &httpconn.OAuth2Config{TokenURL: tokenURL, ClientID: "id", ClientSecret: "cs"}}
	c := newConnector(t, cfg)
	cs := sampleCase()
	_, err := c.Update(t.Context(), itsm.Ticket{ID: "5"}, itsm.SyncRequest{Case: &cs})
	require.NoError(t, err)
	var got []string
	for _, r := range srv.requests() {
		if r.Path != "/token" {
			got = append(got, r.Header.Get("Authorization"))
		}
	}
	assert.Equal(t, []string{"token at-s3cret"}, got)
}

func TestConfig_RedactedCopiesOmitEmpty(t *testing.T) {
	t.Parallel()
	cfg := jiraConfig("https://acme.atlassian.net")
	cfg.Create.OmitEmpty = []string{"fields.priority"}
	cfg.Comment.OmitEmpty = []string{"body"}
	r := cfg.Redacted()
	r.Create.OmitEmpty[0] = "changed"
	r.Comment.OmitEmpty[0] = "changed"
	assert.Equal(t, []string{"fields.priority"}, cfg.Create.OmitEmpty)
	assert.Equal(t, []string{"body"}, cfg.Comment.OmitEmpty)

	cfg.Create.SuccessPath, cfg.Comment.ErrorPath = "ok", "error"
	cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok-s3cret", Scheme: "token"}
	js, err := cfg.MarshalSecrets()
	require.NoError(t, err)
	var back httpconn.Config
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, cfg, back, "the new fields survive a round trip")
	assert.Contains(t, string(js), `"omit_empty":["fields.priority"]`)
	assert.Contains(t, string(js), `"success_path":"ok"`)
	assert.Contains(t, string(js), `"scheme":"token"`)
}

// A token pasted into the scheme by mistake ("Bearer <token>") is not
// echoed by the validation error: no secret in an error.
func TestConfig_SchemeErrorNoEcho(t *testing.T) {
	t.Parallel()
	cfg := jiraConfig("https://acme.atlassian.net")
	cfg.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "t", Scheme: "Bearer eyJs3cr3tT0ken"}
	err := cfg.Validate()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cr3t")
	assert.Contains(t, err.Error(), "auth.scheme")
}
