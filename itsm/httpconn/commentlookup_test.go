package httpconn_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// commentLookupConfig is jiraConfig with the marker written as a comment
// property and a comment lookup reading it back.
func commentLookupConfig(base string) httpconn.Config {
	cfg := jiraConfig(base)
	cfg.Comment.Payload = `{"body":$note_text,"properties":[{"key":"itsmsync","value":{"marker":"$note_marker"}}]}`
	cfg.CommentLookup = httpconn.CommentLookupConfig{
		URL:        base + "/rest/api/2/issue/$ticket_id/comment?expand=properties&orderBy=-created&maxResults=100",
		ItemsPath:  "comments",
		MatchPath:  `properties.#(key=="itsmsync").value.marker`,
		IDPath:     "id",
		ExpectPath: "properties",
	}
	return cfg
}

func lookupReq() (itsm.SyncRequest, itsm.Ticket, itsm.Note) {
	cs := sampleCase()
	return itsm.SyncRequest{Case: &cs, CorrelationKey: "itsmsync-key-1"}, itsm.Ticket{ID: "10042", Key: "SEC-42"}, itsm.Note{ID: "note-1", Text: "Blocked."}
}

func jiraComment(id, marker string) map[string]any {
	c := map[string]any{"id": id, "body": "text", "properties": []any{}}
	if marker != "" {
		c["properties"] = []any{map[string]any{"key": "itsmsync", "value": map[string]any{"marker": marker}}}
	}
	return c
}

func commentsBody(cs ...map[string]any) string {
	if cs == nil {
		cs = []map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{"startAt": 0, "maxResults": 100, "total": len(cs), "comments": cs})
	return string(b)
}

func TestFindComment(t *testing.T) {
	t.Parallel()
	req, _, n := lookupReq()
	mine := itsm.NoteMarker(req.CorrelationKey, n.ID)
	other := itsm.NoteMarker(req.CorrelationKey, "note-2")
	otherCase := itsm.NoteMarker("itsmsync-key-2", n.ID)
	tests := []struct {
		name      string
		status    int
		body      string
		maxBytes  int64
		wantFound bool
		wantID    string
		wantErr   error
		wantCode  int
	}{
		{name: "found among others", status: 200, body: commentsBody(jiraComment("1", other), jiraComment("2", mine), jiraComment("3", "")), wantFound: true, wantID: "2"},
		{name: "numeric id kept as sent", status: 200, body: `{"comments":[{"id":100000000000000001,"properties":[{"key":"itsmsync","value":{"marker":"` + mine + `"}}]}]}`, wantFound: true, wantID: "100000000000000001"},
		{name: "another note's marker", status: 200, body: commentsBody(jiraComment("1", other))},
		{name: "another case's marker", status: 200, body: commentsBody(jiraComment("1", otherCase))},
		{name: "comment without marker", status: 200, body: commentsBody(jiraComment("1", ""))},
		{name: "no comments", status: 200, body: commentsBody()},
		{name: "marker in the text only, not at match_path", status: 200, body: `{"comments":[{"id":"1","body":"` + mine + `","properties":[]}]}`},
		{name: "filter ignored: unrelated comments and a longer token", status: 200,
			body: `{"comments":[{"id":"1","properties":[{"key":"itsmsync","value":{"marker":"` + mine + `0"}}]},{"id":"2","properties":[{"key":"other","value":{"marker":"` + mine + `"}}]},{"id":"3","properties":[{"key":"itsmsync","value":{"marker":"x` + mine + `"}}]}]}`},
		{name: "ticket not found", status: 404, body: `{"errorMessages":["Issue does not exist"]}`, wantCode: 404},
		{name: "not JSON", status: 200, body: `<html>login</html>`, wantErr: itsm.ErrInvalidResponse, wantCode: 200},
		{name: "no array at items_path", status: 200, body: `{"errorMessages":[]}`, wantErr: itsm.ErrInvalidResponse, wantCode: 200},
		{name: "properties not expanded", status: 200, body: `{"comments":[{"id":"1","body":"x"}]}`, wantErr: itsm.ErrInvalidResponse, wantCode: 200},
		{name: "body cut by max_response_bytes", status: 200, body: commentsBody(jiraComment("1", mine)), maxBytes: 16, wantErr: itsm.ErrInvalidResponse, wantCode: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			cfg := commentLookupConfig(srv.URL)
			cfg.MaxResponseBytes = tc.maxBytes
			cfg.Retry.MaxAttempts = 1
			c := newConnector(t, cfg)
			req, tk, n := lookupReq()
			cm, found, err := c.FindComment(context.Background(), tk, req, n)
			if tc.wantCode != 0 {
				require.Error(t, err)
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr)
				}
				var he *httpconn.HTTPError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, tc.wantCode, he.StatusCode)
				assert.Equal(t, httpconn.OpFindComment, he.Op)
				assert.False(t, found)
				assert.NotContains(t, err.Error(), "pw-Sup3r-s3cret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantFound, found)
			assert.Equal(t, tc.wantID, cm.ID)
			got := srv.requests()
			require.Len(t, got, 1)
			assert.Equal(t, "GET", got[0].Method)
			assert.Equal(t, "/rest/api/2/issue/10042/comment", got[0].Path)
			assert.Contains(t, got[0].Query, "expand=properties")
		})
	}
}

// TestFindComment_RoundTrip posts notes through Comment to a server that
// stores what it receives (the comment stored, then a 502 for the second
// one: an unknown outcome), and finds each by its marker.
func TestFindComment_RoundTrip(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		comments []map[string]any
	)
	var srv *itsmServer
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			seen := srv.requests() // the body was read and recorded
			var in map[string]any
			if err := json.Unmarshal([]byte(seen[len(seen)-1].Body), &in); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			in["id"] = string(rune('0' + len(comments) + 1))
			comments = append([]map[string]any{in}, comments...) // newest first
			if len(comments) == 2 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			_ = json.NewEncoder(w).Encode(in)
			return
		}
		_, _ = w.Write([]byte(commentsBody(comments...)))
	})
	cfg := commentLookupConfig(srv.URL)
	cfg.Retry.MaxAttempts = 1
	c := newConnector(t, cfg)
	require.True(t, c.CanFindComments())
	req, tk, n1 := lookupReq()
	n2 := itsm.Note{ID: "note-2", Text: "Second."}
	n3 := itsm.Note{ID: "note-3", Text: "Never posted."}
	ctx := context.Background()

	cm, err := c.Comment(ctx, tk, req, n1)
	require.NoError(t, err)
	assert.Equal(t, "1", cm.ID)
	_, err = c.Comment(ctx, tk, req, n2)
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)

	for _, tc := range []struct {
		n      itsm.Note
		found  bool
		wantID string
	}{{n1, true, "1"}, {n2, true, "2"}, {n3, false, ""}} {
		got, found, err := c.FindComment(ctx, tk, req, tc.n)
		require.NoError(t, err, tc.n.ID)
		assert.Equal(t, tc.found, found, tc.n.ID)
		assert.Equal(t, tc.wantID, got.ID, tc.n.ID)
	}
	// The marker went out in the comment body, as the property.
	for _, r := range srv.requests() {
		if r.Method == http.MethodPost {
			assert.True(t, strings.HasPrefix(gjson.Get(r.Body, `properties.0.value.marker`).Str, "itsmsync-note-"), r.Body)
		}
	}
}

func TestFindComment_NotConfiguredAndBadInput(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	c := newConnector(t, jiraConfig(srv.URL))
	assert.False(t, c.CanFindComments())
	req, tk, n := lookupReq()
	_, _, err := c.FindComment(context.Background(), tk, req, n)
	require.ErrorIs(t, err, itsm.ErrNotConfigured)

	c = newConnector(t, commentLookupConfig(srv.URL))
	_, _, err = c.FindComment(context.Background(), tk, req, itsm.Note{Text: "no id"})
	require.ErrorIs(t, err, itsm.ErrInvalidInput)
	_, _, err = c.FindComment(context.Background(), itsm.Ticket{}, req, n)
	require.ErrorIs(t, err, itsm.ErrMissingTicketID)
	assert.Empty(t, srv.requests(), "nothing is sent for bad input")
}

func TestCommentLookup_Validate(t *testing.T) {
	t.Parallel()
	base := "https://jira.example.com"
	tests := []struct {
		name   string
		edit   func(*httpconn.Config)
		fields []string
	}{
		{name: "valid", edit: func(*httpconn.Config) {}},
		{name: "marker in the comment URL is enough", edit: func(c *httpconn.Config) {
			c.Comment.URL += "?marker=$note_marker"
			c.Comment.Payload = `{"body":$note_text}`
		}},
		{name: "comment does not write the marker", edit: func(c *httpconn.Config) { c.Comment.Payload = `{"body":$note_text}` }, fields: []string{"comment.payload"}},
		{name: "no comment request", edit: func(c *httpconn.Config) { c.Comment = httpconn.CommentConfig{} }, fields: []string{"comment_lookup"}},
		{name: "paths required", edit: func(c *httpconn.Config) { c.CommentLookup.ItemsPath, c.CommentLookup.MatchPath = "", "" },
			fields: []string{"comment_lookup.items_path", "comment_lookup.match_path"}},
		{name: "bad paths", edit: func(c *httpconn.Config) {
			c.CommentLookup.ItemsPath, c.CommentLookup.MatchPath, c.CommentLookup.IDPath, c.CommentLookup.ExpectPath = "comments[", " value", "id.", "a\nb"
			c.CommentLookup.TicketPath = "x)"
		}, fields: []string{"comment_lookup.items_path", "comment_lookup.match_path", "comment_lookup.id_path", "comment_lookup.expect_path", "comment_lookup.ticket_path"}},
		{name: "URL without ticket", edit: func(c *httpconn.Config) { c.CommentLookup.URL = base + "/rest/api/2/comment/list" }, fields: []string{"comment_lookup.url"}},
		{name: "URL missing", edit: func(c *httpconn.Config) { c.CommentLookup.URL = "" }, fields: []string{"comment_lookup.url"}},
		{name: "payload with GET", edit: func(c *httpconn.Config) { c.CommentLookup.Payload = `{"q":"$note_marker"}` }, fields: []string{"comment_lookup.payload"}},
		{name: "POST search", edit: func(c *httpconn.Config) {
			c.CommentLookup.Method = "post"
			c.CommentLookup.Payload = `{"ticket":"$ticket_id","q":"$note_marker"}`
		}},
		{name: "bad method", edit: func(c *httpconn.Config) { c.CommentLookup.Method = "DELETE" }, fields: []string{"comment_lookup.method"}},
		{name: "unknown variable", edit: func(c *httpconn.Config) { c.CommentLookup.URL += "&x=$nope" }, fields: []string{"comment_lookup.url"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := commentLookupConfig(base)
			cfg.Network = httpconn.NetworkConfig{}
			tc.edit(&cfg)
			err := cfg.Validate()
			if len(tc.fields) == 0 {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Field)
			}
			for _, f := range tc.fields {
				assert.Contains(t, got, f)
			}
		})
	}
}

func TestCommentLookup_PreviewAndMerge(t *testing.T) {
	t.Parallel()
	cfg := commentLookupConfig("https://jira.example.com")
	cfg.Network = httpconn.NetworkConfig{}
	c := newConnector(t, cfg)
	cs := sampleCase()
	reqs, err := c.Preview(cs, nil, nil)
	require.NoError(t, err)
	last := reqs[len(reqs)-1]
	assert.Equal(t, httpconn.OpFindComment, last.Op)
	assert.Equal(t, "GET", last.Method)
	assert.Equal(t, "https://jira.example.com/rest/api/2/issue/10042/comment?expand=properties&orderBy=-created&maxResults=100", last.URL)
	assert.Equal(t, "Basic "+httpconn.RedactedMarker, last.Header.Get("Authorization"))
	marker := itsm.NoteMarker(itsm.CorrelationKey(cfg.ID, cs.ID), httpconn.SampleNote.ID)
	for _, r := range reqs {
		if r.Op == itsm.OpComment {
			assert.Contains(t, r.Body, marker, "the comment carries the note's marker")
		}
	}

	// The lookup receives credentials: moving it to a new host asks for
	// the secrets again.
	edited := cfg
	edited.Auth.Password = ""
	edited.CommentLookup.URL = "https://evil.example.net/rest/api/2/issue/$ticket_id/comment"
	merged := edited.Merge(cfg)
	assert.Equal(t, httpconn.RedactedMarker, merged.Auth.Password)
}

func TestMatchComment_WholeWord(t *testing.T) {
	t.Parallel()
	m := itsm.NoteMarker("k", "n")
	cl := httpconn.CommentLookupConfig{ItemsPath: "result", MatchPath: "value", IDPath: "sys_id"}
	for text, want := range map[string]bool{
		m:                             true,
		"Blocked.\n\n[" + m + "]":     true,
		"Blocked. (" + m + ")":        true,
		m + "0":                       false,
		"x" + m:                       false,
		m + "-2":                      false,
		m[:len(m)-1]:                  false,
		strings.ToUpper(m):            false,
		"a " + m + "x and later " + m: true,
	} {
		body, _ := json.Marshal(map[string]any{"result": []any{map[string]any{"sys_id": "j1", "value": text}}})
		id, found, err := httpconn.MatchComment(body, cl, m, itsm.Ticket{ID: "t1"})
		require.NoError(t, err)
		assert.Equal(t, want, found, "%q", text)
		if want {
			assert.Equal(t, "j1", id)
		}
	}
	// An array value matches when one of its strings does.
	id, found, err := httpconn.MatchComment([]byte(`{"result":[{"sys_id":7,"value":["a",1,"`+m+`"]}]}`), cl, m, itsm.Ticket{ID: "t1"})
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "7", id)
	_, found, err = httpconn.MatchComment([]byte(`{"result":[{"value":"`+m+`"}]}`), cl, "", itsm.Ticket{ID: "t1"})
	require.NoError(t, err)
	assert.False(t, found, "an empty marker matches nothing")
}

// TestMatchComment_TicketPath: with a ticket path, the same marker on
// another ticket's comment (a list that ignored its filter) is no match.
func TestMatchComment_TicketPath(t *testing.T) {
	t.Parallel()
	m := itsm.NoteMarker("k", "n")
	cl := httpconn.CommentLookupConfig{ItemsPath: "result", MatchPath: "value", IDPath: "sys_id", TicketPath: "element_id"}
	body := []byte(`{"result":[{"sys_id":"j1","element_id":"other","value":"[` + m + `]"},{"sys_id":"j2","element_id":42,"value":"[` + m + `]"}]}`)
	for _, tc := range []struct {
		tk     itsm.Ticket
		found  bool
		wantID string
	}{
		{itsm.Ticket{ID: "mine"}, false, ""},
		{itsm.Ticket{ID: "other"}, true, "j1"},
		{itsm.Ticket{ID: "42"}, true, "j2"},
		{itsm.Ticket{ID: "7", Key: "other"}, true, "j1"},
	} {
		id, found, err := httpconn.MatchComment(body, cl, m, tc.tk)
		require.NoError(t, err)
		assert.Equal(t, tc.found, found, tc.tk)
		assert.Equal(t, tc.wantID, id, tc.tk)
	}
}

func FuzzMatchComment(f *testing.F) {
	m := itsm.NoteMarker("k", "n")
	f.Add([]byte(`{"comments":[{"id":"1","properties":[{"key":"itsmsync","value":{"marker":"`+m+`"}}]}]}`), m)
	f.Add([]byte(`{"comments":[{"id":1}]}`), m)
	f.Add([]byte(`{"comments":{}}`), m)
	f.Add([]byte(`[`), "")
	f.Add([]byte(`{"comments":[{"properties":[{"key":"itsmsync","value":{"marker":["x","`+m+`"]}}]}]}`), m)
	cl := httpconn.CommentLookupConfig{ItemsPath: "comments", MatchPath: `properties.#(key=="itsmsync").value.marker`, IDPath: "id", ExpectPath: "id"}
	f.Fuzz(func(t *testing.T, body []byte, marker string) {
		id, found, err := httpconn.MatchComment(body, cl, marker, itsm.Ticket{ID: "1"})
		if err != nil {
			require.ErrorIs(t, err, itsm.ErrInvalidResponse)
			require.False(t, found)
			require.Empty(t, id)
			return
		}
		if found {
			require.NotEmpty(t, marker)
			require.True(t, gjson.ValidBytes(body))
		}
	})
}
