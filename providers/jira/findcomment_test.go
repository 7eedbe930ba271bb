package jira_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFindComment posts notes through the fake Jira — one stored and then
// answered with a 502, one stored and then cut off — and finds each by its
// marker, while a note never posted, a person's comment and another case's
// note are not found.
func TestFindComment(t *testing.T) {
	for _, d := range deployments() {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srv, conn, cfg := setup(t, d)
			require.True(t, conn.CanFindComments())
			c := itsm.Case{ID: "CASE-9", Title: "Malware", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
			req := syncReq(cfg, &c)
			tk, err := conn.Create(ctx, req)
			require.NoError(t, err)

			ok := itsm.Note{ID: "n-ok", Text: "posted"}
			lost502 := itsm.Note{ID: "n-502", Text: "stored, then 502"}
			lostReset := itsm.Note{ID: "n-reset", Text: "stored, then reset"}
			never := itsm.Note{ID: "n-never", Text: "not posted"}

			posted, err := conn.Comment(ctx, tk, req, ok)
			require.NoError(t, err)
			srv.Fault(itsmtest.On(itsmtest.OpComment), itsmtest.StatusAfterApply(http.StatusBadGateway))
			_, err = conn.Comment(ctx, tk, req, lost502)
			require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
			srv.Fault(itsmtest.On(itsmtest.OpComment), itsmtest.ResetAfterSend())
			_, err = conn.Comment(ctx, tk, req, lostReset)
			require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
			_, err = srv.AddComment(tk.ID, "a person's comment, mentioning "+itsm.NoteMarker(req.CorrelationKey, never.ID))
			require.NoError(t, err)
			other := itsm.Case{ID: "CASE-10", Title: "Other", Severity: itsm.SeverityLow, Status: itsm.StatusOpen}
			_, err = conn.Comment(ctx, tk, syncReq(cfg, &other), never) // same note id, another case
			require.NoError(t, err)

			stored, _ := srv.Ticket(tk.ID)
			require.Len(t, stored.Comments, 5)
			tests := []struct {
				name   string
				n      itsm.Note
				found  bool
				wantID string
			}{
				{"answered", ok, true, posted.ID},
				{"stored then 502", lost502, true, stored.Comments[1].ID},
				{"stored then reset", lostReset, true, stored.Comments[2].ID},
				{"never posted (marker only in a person's text, and on another case's note)", never, false, ""},
			}
			for _, tc := range tests {
				cm, found, err := conn.FindComment(ctx, tk, req, tc.n)
				require.NoError(t, err, tc.name)
				assert.Equal(t, tc.found, found, tc.name)
				assert.Equal(t, tc.wantID, cm.ID, tc.name)
			}

			_, _, err = conn.FindComment(ctx, itsm.Ticket{ID: "99999"}, req, ok)
			var he *httpconn.HTTPError
			require.ErrorAs(t, err, &he, "an unknown ticket is an error, not \"not found\"")
			assert.Equal(t, http.StatusNotFound, he.StatusCode)
		})
	}
}

// TestFindComment_BadResponses: a Jira that ignores expand=properties, an
// unreadable body and a list that ignores the issue (unrelated comments)
// never read as a match, and the first two are errors.
func TestFindComment_BadResponses(t *testing.T) {
	c := itsm.Case{ID: "CASE-9", Title: "Malware", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
	n := itsm.Note{ID: "n-1", Text: "x"}
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"properties not expanded", `{"comments":[{"id":"1","body":"x"}]}`, itsm.ErrInvalidResponse},
		{"unreadable body", `{"comments":[{"id":"1",`, itsm.ErrInvalidResponse},
		{"HTML login page", `<html>log in</html>`, itsm.ErrInvalidResponse},
		{"unrelated comments", `{"comments":[{"id":"1","properties":[]},{"id":"2","properties":[{"key":"itsmsync","value":{"marker":"itsmsync-note-00000000000000000000000000000000"}}]}]}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			cfg, err := jira.Preset(jira.Options{BaseURL: srv.URL, Deployment: jira.Cloud, ProjectKey: "SEC",
				Auth: jira.APIToken(testEmail, testSecret), Network: httpconn.NetworkConfig{AllowLoopback: true}})
			require.NoError(t, err)
			cfg.Retry = httpconn.RetryConfig{MaxAttempts: 1}
			conn, err := jira.NewConnector(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			_, found, err := conn.FindComment(context.Background(), itsm.Ticket{ID: "10001"}, syncReq(cfg, &c), n)
			assert.False(t, found)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestNoNoteMarker(t *testing.T) {
	t.Parallel()
	for _, d := range deployments() {
		o := d.opts("https://jira.example.com")
		o.Network = httpconn.NetworkConfig{}
		o.NoNoteMarker = true
		cfg, err := jira.Preset(o)
		require.NoError(t, err, d.name)
		assert.NotContains(t, cfg.Comment.Payload, "properties", d.name)
		assert.Empty(t, cfg.CommentLookup.URL, d.name)
		conn, err := jira.NewConnector(cfg)
		require.NoError(t, err, d.name)
		assert.False(t, conn.CanFindComments(), d.name)
		_ = conn.Close()
	}
}
