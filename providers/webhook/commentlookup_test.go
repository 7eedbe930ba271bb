package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCommentLookupOptIn: the generic preset has no comment lookup; one
// added as the package documentation describes is validated against the
// comment request and finds a note by its marker on an ITSM that stores
// and lists it.
func TestCommentLookupOptIn(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		comments = map[string][]map[string]any{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/api/tickets/"), "/comments")
		if !ok || id != "T-1" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if r.Method == http.MethodPost {
			var in map[string]any
			b, _ := io.ReadAll(r.Body)
			if json.Unmarshal(b, &in) != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			in["id"] = len(comments[id]) + 1
			comments[id] = append([]map[string]any{in}, comments[id]...)
			_ = json.NewEncoder(w).Encode(in)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"comments": comments[id]})
	}))
	t.Cleanup(srv.Close)

	cfg, err := webhook.Preset(webhook.Options{BaseURL: srv.URL + "/api", Network: httpconn.NetworkConfig{AllowLoopback: true}})
	require.NoError(t, err)
	cfg.ID = "int-generic"
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	assert.False(t, conn.CanFindComments(), "the preset has no comment lookup")

	cfg.CommentLookup = httpconn.CommentLookupConfig{URL: srv.URL + "/api/tickets/$ticket_id/comments?order=desc&limit=100",
		ItemsPath: "comments", MatchPath: "marker", IDPath: "id"}
	err = cfg.Validate()
	require.ErrorIs(t, err, itsm.ErrInvalidConfig, "the comment request must carry $note_marker first")
	assert.Contains(t, err.Error(), "comment.payload")

	cfg.Comment.Payload = strings.Replace(cfg.Comment.Payload, "{\n", "{\n  \"marker\": \"$note_marker\",\n", 1)
	conn, err = httpconn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.True(t, conn.CanFindComments())

	ctx := context.Background()
	cs := httpconn.SampleCase
	req := itsm.SyncRequest{Case: &cs}
	tk := itsm.Ticket{ID: "T-1"}
	n1, n2 := itsm.Note{ID: "n1", Text: "one"}, itsm.Note{ID: "n2", Text: "two"}
	_, err = conn.Comment(ctx, tk, req, n1)
	require.NoError(t, err)
	cm, found, err := conn.FindComment(ctx, tk, req, n1)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "1", cm.ID)
	_, found, err = conn.FindComment(ctx, tk, req, n2)
	require.NoError(t, err)
	assert.False(t, found)
	_, _, err = conn.FindComment(ctx, itsm.Ticket{ID: "T-404"}, req, n1)
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusNotFound, he.StatusCode)
}
