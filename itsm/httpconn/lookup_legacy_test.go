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
