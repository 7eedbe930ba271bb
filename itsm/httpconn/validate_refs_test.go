package httpconn_test

import (
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// messagesOf returns the messages of err's field errors, by field.
func messagesOf(t *testing.T, err error) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	if err == nil {
		return out
	}
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	for _, fe := range ve.Errors {
		out[fe.Field] = append(out[fe.Field], fe.Message)
	}
	return out
}

func TestConfig_ValidateCatchesRealMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*httpconn.Config)
		want   map[string][]string // field → substrings, one per expected message
	}{
		{"update URL without the ticket", func(c *httpconn.Config) { c.Update.URL = "https://acme.atlassian.net/rest/api/2/issue" },
			map[string][]string{"update.url": {"must reference the ticket with $ticket_id"}}},
		{"update URL with the ticket key", func(c *httpconn.Config) { c.Update.URL = "https://acme.atlassian.net/rest/api/2/issue/$ticket_key" }, nil},
		{"update URL with the ticket only in the fragment", func(c *httpconn.Config) { c.Update.URL = "https://acme.atlassian.net/rest/api/2/issue#$ticket_id" },
			map[string][]string{"update.url": {"only in the URL fragment"}}},
		{"comment URL with the ticket in the path and the fragment", func(c *httpconn.Config) {
			c.Comment.URL = "https://acme.atlassian.net/rest/api/2/issue/$ticket_id/comment#$ticket_key"
		}, nil},
		{"update with the ticket in the body", func(c *httpconn.Config) {
			c.Update.Method, c.Update.URL, c.Update.Payload = "POST", "https://acme.atlassian.net/api/update", `{"id":$ticket_id}`
		}, nil},
		{"get URL without the ticket", func(c *httpconn.Config) { c.Get.URL = "https://acme.atlassian.net/rest/api/2/issue" },
			map[string][]string{"get.url": {"must reference the ticket"}}},
		{"comment URL without the ticket", func(c *httpconn.Config) { c.Comment.URL = "https://acme.atlassian.net/rest/api/2/comment" },
			map[string][]string{"comment.url": {"must reference the ticket"}}},
		{"comment payload without the note", func(c *httpconn.Config) { c.Comment.Payload = `{"body":"synced by $assignee"}` },
			map[string][]string{"comment.payload": {"must carry the note with $note_text"}}},
		{"every unknown variable of a field", func(c *httpconn.Config) { c.Create.Payload = `{"a":$nope,"b":"$also_nope","c":$case_nme}` },
			map[string][]string{"create.payload": {"unknown variable: $nope at offset 5", "unknown variable: $also_nope at offset 16", "did you mean $case_name?"}}},
		{"note variable outside comments", func(c *httpconn.Config) { c.Update.Payload = `{"a":$note_text}` },
			map[string][]string{"update.payload": {"unknown variable: $note_text"}}},
		{"mustache in a JSON payload", func(c *httpconn.Config) {
			c.Create.Payload = `{"fields":{"summary":{{{case.title}}},"description":"{{case.description}}","x":{{{foo}}}}}`
		}, map[string][]string{"create.payload": {
			"mustache template {{{case.title}}} at offset 21 is not supported: write $case_name instead",
			"{{case.description}} at offset 53 is not supported: write $description instead",
			"{{{foo}}} at offset 79 is not supported: write a $variable instead",
		}}},
		{"mustache in a URL", func(c *httpconn.Config) {
			c.Update.URL = "https://acme.atlassian.net/rest/api/2/issue/{{{external.system.id}}}"
		}, map[string][]string{"update.url": {"{{{external.system.id}}} at offset 44 is not supported: write $ticket_id instead"}}},
		{"mustache in a header", func(c *httpconn.Config) { c.Headers = map[string]string{"X-Case": "{{{case.id}}}"} },
			map[string][]string{"headers.X-Case": {"write $case_id instead"}}},
		{"mustache sections and partials", func(c *httpconn.Config) {
			c.Create.Payload = `{"labels":[{{#case.tags}}"{{.}}",{{/case.tags}}],"x":"{{^case.id}}none{{/case.id}}{{> footer}}"}`
		}, map[string][]string{"create.payload": {
			"mustache section {{#case.tags}}", "{{.}} at offset", "mustache section {{/case.tags}}",
			"mustache section {{^case.id}}", "mustache section {{/case.id}}", "mustache partial {{> footer}}",
		}}},
		{"JSON braces are not mustache", func(c *httpconn.Config) { c.Create.Payload = `{"a":{"b":{"c":$case_name}}}` }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := jiraConfig("https://acme.atlassian.net")
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			got := messagesOf(t, err)
			for field, subs := range tt.want {
				require.Len(t, got[field], len(subs), "messages of %s: %q", field, got[field])
				for i, sub := range subs {
					assert.Contains(t, got[field][i], sub)
				}
			}
			assert.Len(t, got, len(tt.want), "fields with errors: %v", got)
		})
	}
}

func TestFindMustache(t *testing.T) {
	t.Parallel()
	tags := httpconn.FindMustache(`a {{{ case.title }}} b {{x-y}} {{&z}} {{! note }} {{=<% %>=}} {"j":{"k":1}} {{ }} {{a b}}`)
	require.Len(t, tags, 5)
	assert.Equal(t, httpconn.MustacheTag{Offset: 2, Text: "{{{ case.title }}}", Kind: httpconn.MustacheTriple, Name: "case.title"}, tags[0])
	assert.Equal(t, httpconn.MustacheDouble, tags[1].Kind)
	assert.Equal(t, "x-y", tags[1].Name)
	assert.Equal(t, httpconn.MustacheAmpersand, tags[2].Kind)
	assert.Equal(t, httpconn.MustacheComment, tags[3].Kind)
	assert.Equal(t, httpconn.MustacheDelimiter, tags[4].Kind)

	v, ok := httpconn.MustacheVariable("external.system.ID")
	assert.True(t, ok)
	assert.Equal(t, "ticket_id", v)
	assert.False(t, httpconn.MustacheVariableExact("external.system.ID"))
}

func FuzzFindMustache(f *testing.F) {
	f.Add(`{{{case.title}}} {{#a}}{{/a}} {{`)
	f.Add(`{"a":{"b":{{c}}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, tg := range httpconn.FindMustache(s) {
			if tg.Offset < 0 || tg.Offset+len(tg.Text) > len(s) || s[tg.Offset:tg.Offset+len(tg.Text)] != tg.Text {
				t.Fatalf("tag %+v does not match its source", tg)
			}
		}
	})
}

// TestVarOffsetWithFilters: an unknown variable written with filters is
// reported at its position, like one without.
func TestVarOffsetWithFilters(t *testing.T) {
	t.Parallel()
	cfg := httpconn.Config{Name: "f",
		Create:       httpconn.EndpointConfig{URL: "https://itsm.example.com/api/tickets", Payload: `{"t":"${case_nme|oneline|trunc:10}"}`},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{URL: "https://itsm.example.com/api/tickets/$ticket_id", Payload: `{"t":"$case_name"}`},
	}
	msgs := messagesOf(t, cfg.Validate())["create.payload"]
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "unknown variable: $case_nme at offset 6")
}
