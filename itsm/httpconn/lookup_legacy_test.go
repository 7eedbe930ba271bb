package httpconn_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// A lookup saved before lookups had to prove their match reads one result
// by an index ("issues.0.id"). Its validation error says how to rewrite it:
// which items_path and ticket_id_path the old path splits into, and that
// match_path names the field holding $correlation_key.
func TestValidateSavedLookupSaysHowToRewriteIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ticketIDPath string
		want               []string
	}{
		{"array response", "0.id", []string{`items_path "@this"`, `ticket_id_path "id"`, "$correlation_key"}},
		{"object response", "issues.0.id", []string{`items_path "issues"`, `ticket_id_path "id"`, "$correlation_key"}},
		{"nested object", "result.0.sys_id", []string{`items_path "result"`, `ticket_id_path "sys_id"`}},
		{"no index", "id", []string{"$correlation_key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := jiraConfig("https://itsm.example.com")
			cfg.Create.URL += "?ref=$correlation_key"
			cfg.Lookup = httpconn.LookupConfig{URL: "https://itsm.example.com/search?ref=$correlation_key", TicketIDPath: tt.ticketIDPath}
			err := cfg.Validate()
			var ve *itsm.ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			var msg string
			for _, fe := range ve.Errors {
				if fe.Field == "lookup.match_path" {
					msg = fe.Message
				}
			}
			require.NotEmpty(t, msg, "%v", err)
			for _, w := range tt.want {
				assert.Contains(t, msg, w)
			}
			if tt.ticketIDPath == "id" {
				assert.NotContains(t, msg, "items_path \"")
			}
		})
	}
}

// A create that writes the correlation key through a filter that changes
// it (${correlation_key|trunc:8} writes "itsmsyn…") carries no key a lookup
// can prove: a create with an unknown outcome would never be found, and be
// created again. Likewise a comment that writes a cut $note_marker is never
// found by the comment lookup. Validate refuses both; filters that keep the
// value whole are fine.
func TestValidateRefusesAKeyOrMarkerAFilterChanges(t *testing.T) {
	t.Parallel()
	lookupCfg := func(ref string) httpconn.Config {
		cfg := jiraConfig("https://itsm.example.com")
		cfg.Create.Payload = `{"fields":{"project":{"key":"SEC"},"summary":"$case_name","ref":"` + ref + `"}}`
		cfg.Lookup = httpconn.LookupConfig{URL: "https://itsm.example.com/search?ref=$correlation_key", ItemsPath: "issues", TicketIDPath: "id", MatchPath: "fields.ref"}
		return cfg
	}
	commentCfg := func(marker string) httpconn.Config {
		cfg := jiraConfig("https://itsm.example.com")
		cfg.Comment.Payload = `{"body":$note_text,"marker":"` + marker + `"}`
		cfg.CommentLookup = httpconn.CommentLookupConfig{URL: "https://itsm.example.com/rest/api/2/issue/$ticket_id/comment",
			ItemsPath: "comments", MatchPath: "marker"}
		return cfg
	}
	tests := []struct {
		name  string
		cfg   httpconn.Config
		field string // "" when valid
	}{
		{"key whole", lookupCfg("$correlation_key"), ""},
		{"key with braces and oneline", lookupCfg("${correlation_key|oneline}"), ""},
		{"key with a long enough trunc", lookupCfg("${correlation_key|trunc:64}"), ""},
		{"key cut", lookupCfg("${correlation_key|trunc:8}"), "create.payload"},
		{"marker whole", commentCfg("$note_marker"), ""},
		{"marker cut", commentCfg("${note_marker|trunc:12}"), "comment.payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			var ve *itsm.ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			var fields []string
			for _, fe := range ve.Errors {
				fields = append(fields, fe.Field)
			}
			assert.Contains(t, fields, tt.field)
		})
	}
}

// A config a provider preset made before lookups proved their match (the
// Jira preset's old lookup read "issues.0.id" and asked only for summary
// and status) is told to take the preset's current lookup block.
func TestValidateSavedPresetLookupSaysTakeThePresets(t *testing.T) {
	t.Parallel()
	cfg := jiraConfig("https://acme.atlassian.net")
	cfg.Create.Payload = `{"fields":{"project":{"key":"SEC"},"summary":"$case_name","labels":["$correlation_key"]}}`
	cfg.Lookup = httpconn.LookupConfig{Method: "GET",
		URL:          "https://acme.atlassian.net/rest/api/3/search/jql?jql=labels%20%3D%20%22$correlation_key%22&fields=summary,status&maxResults=1",
		TicketIDPath: "issues.0.id", TicketKeyPath: "issues.0.key"}
	err := cfg.Validate()
	var ve *itsm.ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	require.Len(t, ve.Errors, 1, "%v", err)
	assert.Equal(t, "lookup.match_path", ve.Errors[0].Field)
	assert.Contains(t, ve.Errors[0].Message, "jira preset")
	assert.Contains(t, ve.Errors[0].Message, `items_path "issues"`)
}
