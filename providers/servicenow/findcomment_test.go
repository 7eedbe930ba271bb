package servicenow_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFindComment posts work notes through the fake Table API — one
// journaled and then answered with a 502 — and finds each by its marker in
// sys_journal_field; a note never posted and another case's note are not
// found, also when the journal endpoint ignores its query.
func TestFindComment(t *testing.T) {
	t.Parallel()
	for _, ignoreQuery := range []bool{false, true} {
		name := "query honoured"
		if ignoreQuery {
			name = "query ignored"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			c := testConnector(t, srv, func(cfg *httpconn.Config) { cfg.Retry.MaxAttempts = 1 })
			require.True(t, c.CanFindComments())
			ctx := context.Background()
			cs := sampleCase(itsm.StatusOpen)
			req := itsm.SyncRequest{Case: &cs}
			tk, err := c.Create(ctx, req)
			require.NoError(t, err)

			ok := itsm.Note{ID: "n-ok", Text: "posted"}
			lost := itsm.Note{ID: "n-502", Text: "journaled, then 502"}
			never := itsm.Note{ID: "n-never", Text: "not posted"}
			_, err = c.Comment(ctx, tk, req, ok)
			require.NoError(t, err)
			f.mu.Lock()
			f.failAfterApply = 1
			f.mu.Unlock()
			_, err = c.Comment(ctx, tk, req, lost)
			require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
			other := sampleCase(itsm.StatusOpen)
			other.ID = "CASE-2"
			_, err = c.Comment(ctx, tk, itsm.SyncRequest{Case: &other}, never) // same note id, another case
			require.NoError(t, err)

			f.mu.Lock()
			f.ignoreQuery = ignoreQuery
			require.Len(t, f.journal, 3)
			assert.True(t, strings.HasSuffix(f.journal[0]["value"].(string), "\n\n["+itsm.NoteMarker(itsm.CorrelationKey("sn-test", cs.ID), ok.ID)+"]"),
				"the marker is the work note's last line")
			ids := []string{f.journal[0]["sys_id"].(string), f.journal[1]["sys_id"].(string)}
			f.mu.Unlock()

			for _, tc := range []struct {
				n      itsm.Note
				found  bool
				wantID string
			}{{ok, true, ids[0]}, {lost, true, ids[1]}, {never, false, ""}} {
				cm, found, err := c.FindComment(ctx, tk, req, tc.n)
				require.NoError(t, err, tc.n.ID)
				assert.Equal(t, tc.found, found, tc.n.ID)
				assert.Equal(t, tc.wantID, cm.ID, tc.n.ID)
			}

			// An unknown incident: no entry of its own matches (with the
			// query ignored, the entries of the real incident carry the
			// marker but not its element_id).
			_, found, err := c.FindComment(ctx, itsm.Ticket{ID: "0000000000000000000000000000dead"}, req, ok)
			require.NoError(t, err)
			assert.False(t, found)
		})
	}
}

func TestFindComment_BadResponses(t *testing.T) {
	t.Parallel()
	cs := sampleCase(itsm.StatusOpen)
	n := itsm.Note{ID: "n-1", Text: "x"}
	marker := itsm.NoteMarker(itsm.CorrelationKey("sn-test", cs.ID), n.ID)
	tests := []struct {
		name    string
		status  int
		body    string
		found   bool
		wantErr bool
	}{
		{name: "found", status: 200, body: `{"result":[{"sys_id":"j1","element_id":"c537bae64f411200adf9f8e18110c76e","element":"work_notes","value":"x\n\n[` + marker + `]"}]}`, found: true},
		{name: "the marker on another incident", status: 200, body: `{"result":[{"sys_id":"j1","element_id":"0000000000000000000000000000beef","element":"work_notes","value":"x\n\n[` + marker + `]"}]}`},
		{name: "a comment without marker", status: 200, body: `{"result":[{"sys_id":"j1","value":"plain"}]}`},
		{name: "another note's marker", status: 200, body: `{"result":[{"sys_id":"j1","value":"[` + itsm.NoteMarker("k", "n-2") + `]"}]}`},
		{name: "a longer token", status: 200, body: `{"result":[{"sys_id":"j1","value":"[` + marker + `ff]"}]}`},
		{name: "ACL refused", status: 403, body: `{"error":{"message":"Insufficient rights"},"status":"failure"}`, wantErr: true},
		{name: "not found", status: 404, body: `{"error":{"message":"No Record found"},"status":"failure"}`, wantErr: true},
		{name: "unreadable body", status: 200, body: `{"result":[`, wantErr: true},
		{name: "no result array", status: 200, body: `{"error":{"message":"x"}}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			c := testConnector(t, srv, func(cfg *httpconn.Config) { cfg.Retry.MaxAttempts = 1 })
			cm, found, err := c.FindComment(context.Background(), itsm.Ticket{ID: "c537bae64f411200adf9f8e18110c76e"}, itsm.SyncRequest{Case: &cs}, n)
			if tc.wantErr {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), testPassword)
				assert.False(t, found)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.found, found)
			if tc.found {
				assert.Equal(t, "j1", cm.ID)
			}
		})
	}
}

func TestNoNoteMarker(t *testing.T) {
	t.Parallel()
	cfg, err := servicenow.Preset(servicenow.Options{InstanceURL: "https://acme.service-now.com", NoNoteMarker: true,
		Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: testUser, Password: testPassword}})
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	assert.Equal(t, `{"work_notes": "$note_text"}`, cfg.Comment.Payload)
	assert.Empty(t, cfg.CommentLookup.URL)
	c, err := servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	assert.False(t, c.CanFindComments())
}
