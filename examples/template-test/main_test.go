package main

// Copy this file next to your integration's configuration and replace
// ticketConfig with your own: every change to a payload template is then
// checked by `go test`, without an ITSM.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

func TestCreatePayload(t *testing.T) {
	t.Parallel()
	key := itsm.CorrelationKey(ticketConfig().ID, "CASE-1")
	tests := []struct {
		name string
		edit func(c *itsm.Case)
		want string // the JSON body, compared with assert.JSONEq
	}{
		{
			name: "quotes and backslashes in the title",
			edit: func(c *itsm.Case) { c.Title = `Login "burst" from C:\Users\svc` },
			want: `{"title": "[SIEM] Login \"burst\" from C:\\Users\\svc", "body": "\n\nCase: ",
				"priority": "", "labels": [], "external_id": "` + key + `",
				"custom": {"hostname": "", "hits": null}}`,
		},
		{
			name: "line breaks and tabs in the description",
			edit: func(c *itsm.Case) { c.Description = "line 1\nline 2\r\n\tindented" },
			want: `{"title": "[SIEM] Phishing", "body": "line 1\nline 2\r\n\tindented\n\nCase: ",
				"priority": "", "labels": [], "external_id": "` + key + `",
				"custom": {"hostname": "", "hits": null}}`,
		},
		{
			name: "non-ASCII title, severity mapped to a priority",
			edit: func(c *itsm.Case) {
				c.Title = "Connexion suspecte — utilisateur «Zoë» 🚨 日本"
				c.Severity = itsm.SeverityCritical
			},
			want: `{"title": "[SIEM] Connexion suspecte — utilisateur «Zoë» 🚨 日本", "body": "\n\nCase: ",
				"priority": "Critical", "labels": [], "external_id": "` + key + `",
				"custom": {"hostname": "", "hits": null}}`,
		},
		{
			name: "a title that tries to inject JSON stays a string",
			edit: func(c *itsm.Case) { c.Title = `x", "priority": "Lowest` },
			want: `{"title": "[SIEM] x\", \"priority\": \"Lowest", "body": "\n\nCase: ",
				"priority": "", "labels": [], "external_id": "` + key + `",
				"custom": {"hostname": "", "hits": null}}`,
		},
		{
			name: "tags become an array, custom fields keep their JSON type",
			edit: func(c *itsm.Case) {
				c.Tags = []string{"vpn", `a"b`}
				c.URL = "https://siem.example.com/cases/1?tab=notes&x=1"
				c.Fields = map[string]any{"hostname": "vpn-gw-01", "hits": 42}
			},
			want: `{"title": "[SIEM] Phishing", "body": "\n\nCase: https://siem.example.com/cases/1?tab=notes&x=1",
				"priority": "", "labels": ["vpn", "a\"b"], "external_id": "` + key + `",
				"custom": {"hostname": "vpn-gw-01", "hits": 42}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := itsm.Case{ID: "CASE-1", Title: "Phishing"}
			tt.edit(&c)
			req, err := renderCreate(ticketConfig(), c)
			require.NoError(t, err)
			assert.Equal(t, "POST", req.Method)
			assert.Equal(t, "https://itsm.example.com/api/v1/tickets", req.URL)
			assert.JSONEq(t, tt.want, req.Body)
			// The preview never shows the credential.
			assert.NotContains(t, req.String(), "not-a-real-token")
		})
	}
}

func TestEveryRequestRenders(t *testing.T) {
	t.Parallel()
	conn, err := httpconn.New(ticketConfig())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	ticket := itsm.Ticket{ID: "../42", Key: "ACME-42"} // a hostile id cannot walk the URL path
	note := itsm.Note{ID: "n-1", Text: "Blocked \"203.0.113.7\".\nDone.", Author: "alice"}
	c := sampleCase()
	c.Status = itsm.StatusInProgress
	reqs, err := conn.Preview(c, &note, &ticket)
	require.NoError(t, err)
	byOp := map[itsm.Operation]httpconn.PreviewRequest{}
	for _, r := range reqs {
		byOp[r.Op] = r
	}
	require.Contains(t, byOp, itsm.OpUpdate)
	require.Contains(t, byOp, itsm.OpComment)
	assert.Equal(t, "https://itsm.example.com/api/v1/tickets/..%2F42", byOp[itsm.OpUpdate].URL)
	assert.JSONEq(t, `{"title": "[SIEM] Brute force on \"vpn-gw-01\"", "status": "In Progress"}`, byOp[itsm.OpUpdate].Body)
	assert.Equal(t, "https://itsm.example.com/api/v1/tickets/..%2F42/comments", byOp[itsm.OpComment].URL)
	assert.JSONEq(t, `{"text": "Blocked \"203.0.113.7\".\nDone.", "author": "alice"}`, byOp[itsm.OpComment].Body)
}

func TestMisspelledVariableRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		edit      func(cfg *httpconn.Config)
		wantField string
		wantText  string
	}{
		{"create payload", func(cfg *httpconn.Config) {
			cfg.Create.Payload = `{"title": "[SIEM] $case_nmae"}`
		}, "create.payload", "case_nmae"},
		{"update url", func(cfg *httpconn.Config) {
			cfg.Update.URL = "https://itsm.example.com/api/v1/tickets/$ticket"
		}, "update.url", "ticket"},
		{"note variable in a create payload", func(cfg *httpconn.Config) {
			cfg.Create.Payload = `{"title": "$note_text"}`
		}, "create.payload", "note_text"},
		{"payload that is not JSON", func(cfg *httpconn.Config) {
			cfg.Create.Payload = `{"title": "$case_name",}`
		}, "create.payload", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := ticketConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			var ve *itsm.ValidationError
			require.True(t, errors.As(err, &ve))
			var fields []string
			for _, fe := range ve.Errors {
				fields = append(fields, fe.Field)
				if fe.Field == tt.wantField {
					assert.Contains(t, fe.Message, tt.wantText)
				}
			}
			assert.Contains(t, fields, tt.wantField)
		})
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	assert.True(t, strings.HasPrefix(out.String(), "The create request"))
	assert.Contains(t, out.String(), "POST https://itsm.example.com/api/v1/tickets\n")
	assert.Contains(t, out.String(), "Authorization: Bearer "+httpconn.RedactedMarker)
	assert.Contains(t, out.String(), `"title": "[SIEM] Brute force on \"vpn-gw-01\""`)
	assert.NotContains(t, out.String(), "not-a-real-token")
}
