package itsmtest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

const adfHello = `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Hello "},{"type":"text","text":"world","marks":[{"type":"strong"}]}]},{"type":"paragraph","content":[{"type":"text","text":"line two"}]}]}`

func TestCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []Option
		path    string
		body    string
		wantKey string
		check   func(t *testing.T, tk Ticket)
	}{
		{
			name: "v2 plain description, project key", path: "/rest/api/2/issue",
			body:    `{"fields":{"project":{"key":"OPS"},"issuetype":{"name":"Bug"},"summary":"[SIEM] Brute force","description":"line one\nline two","labels":["siem","itsmsync-abc"],"priority":{"name":"high"}}}`,
			wantKey: "OPS-1",
			check: func(t *testing.T, tk Ticket) {
				assert.Equal(t, "OPS", tk.Project)
				assert.Equal(t, "Bug", tk.IssueType)
				assert.JSONEq(t, `"line one\nline two"`, string(tk.Description))
				assert.Equal(t, "line one\nline two", tk.DescriptionText())
				assert.Equal(t, []string{"siem", "itsmsync-abc"}, tk.Labels)
				assert.True(t, tk.HasLabel("itsmsync-abc"))
				assert.Equal(t, "High", tk.Priority, "priority name is canonicalised")
				assert.Equal(t, "To Do", tk.Status.Name)
				assert.Equal(t, "2", tk.APIVersion)
				assert.Equal(t, epoch, tk.Created)
			},
		},
		{
			name: "v3 ADF description kept raw", path: "/rest/api/3/issue",
			body:    `{"fields":{"summary":"adf","description":` + adfHello + `}}`,
			wantKey: "SEC-1",
			check: func(t *testing.T, tk Ticket) {
				assert.JSONEq(t, adfHello, string(tk.Description))
				assert.Equal(t, "Hello world\nline two", tk.DescriptionText())
				assert.Equal(t, "Task", tk.IssueType)
			},
		},
		{
			name: "custom and system fields kept raw", path: "/rest/api/latest/issue",
			body:    `{"fields":{"summary":"raw","customfield_10042":{"value":"P1"},"customfield_1":12345678901234567890,"assignee":{"accountId":"abc"},"duedate":null}}`,
			wantKey: "SEC-1",
			check: func(t *testing.T, tk Ticket) {
				assert.JSONEq(t, `{"value":"P1"}`, string(tk.Fields["customfield_10042"]))
				assert.Equal(t, "12345678901234567890", string(tk.Fields["customfield_1"]), "numbers kept exactly")
				assert.JSONEq(t, `{"accountId":"abc"}`, string(tk.Fields["assignee"]))
				assert.NotContains(t, tk.Fields, "duedate")
			},
		},
		{
			name: "key prefix option wins", opts: []Option{WithKeyPrefix("soc")}, path: "/rest/api/2/issue",
			body:    `{"fields":{"project":{"key":"OPS"},"summary":"prefixed"}}`,
			wantKey: "SOC-1",
			check:   func(t *testing.T, tk Ticket) { assert.Equal(t, "OPS", tk.Project) },
		},
		{
			name: "update block on create", path: "/rest/api/2/issue",
			body:    `{"fields":{"summary":"with update"},"update":{"labels":[{"add":"a"},{"add":"b"},{"remove":"a"}],"comment":[{"add":{"body":"first note"}}]}}`,
			wantKey: "SEC-1",
			check: func(t *testing.T, tk Ticket) {
				assert.Equal(t, []string{"b"}, tk.Labels)
				require.Len(t, tk.Comments, 1)
				assert.Equal(t, "first note", tk.Comments[0].Text())
			},
		},
		{
			name: "priority by id, allowed project", opts: []Option{WithProjects("sec"), WithPriorities("P1", "P2")}, path: "/rest/api/2/issue",
			body:    `{"fields":{"project":{"key":"SEC"},"summary":"p","priority":{"id":"2"}}}`,
			wantKey: "SEC-1",
			check:   func(t *testing.T, tk Ticket) { assert.Equal(t, "P2", tk.Priority) },
		},
		{
			name: "extra allowed field", opts: []Option{WithFields("components2")}, path: "/rest/api/2/issue",
			body:    `{"fields":{"summary":"x","components2":[1]}}`,
			wantKey: "SEC-1",
			check:   func(t *testing.T, tk Ticket) { assert.Equal(t, "[1]", string(tk.Fields["components2"])) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t, tc.opts...)
			r := call(t, s, "POST", tc.path, tc.body)
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			assert.Equal(t, "application/json;charset=UTF-8", r.header.Get("Content-Type"))
			assert.Equal(t, "10001", r.json().Get("id").String())
			assert.Equal(t, tc.wantKey, r.json().Get("key").String())
			version := strings.Split(strings.TrimPrefix(tc.path, "/rest/api/"), "/")[0]
			assert.Equal(t, s.URL()+"/rest/api/"+version+"/issue/10001", r.json().Get("self").String())
			tk, ok := s.Ticket(tc.wantKey)
			require.True(t, ok)
			tc.check(t, tk)
		})
	}
}

func TestCreateSequences(t *testing.T) {
	t.Parallel()
	s := setup(t)
	var keys []string
	for _, p := range []string{"SEC", "OPS", "SEC", "ops"} {
		r := call(t, s, "POST", "/rest/api/2/issue", `{"fields":{"project":{"key":"`+p+`"},"summary":"s"}}`)
		keys = append(keys, r.json().Get("id").String()+" "+r.json().Get("key").String())
	}
	assert.Equal(t, []string{"10001 SEC-1", "10002 OPS-1", "10003 SEC-2", "10004 OPS-2"}, keys)
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []Option
		path, body string
		wantStatus int
		wantErrors map[string]string // errors.<field> contains
		wantMsg    string            // errorMessages.0 contains
	}{
		{name: "invalid json", path: "/rest/api/2/issue", body: `{"fields":`, wantMsg: "not valid JSON"},
		{name: "not an object", path: "/rest/api/2/issue", body: `[1]`, wantMsg: "JSON object"},
		{name: "empty body", path: "/rest/api/2/issue", body: ``, wantMsg: "not valid JSON"},
		{name: "missing summary", path: "/rest/api/2/issue", body: `{"fields":{"labels":[]}}`, wantErrors: map[string]string{"summary": msgNoSummary}},
		{name: "no fields", path: "/rest/api/2/issue", body: `{}`, wantErrors: map[string]string{"summary": msgNoSummary}},
		{name: "blank summary", path: "/rest/api/2/issue", body: `{"fields":{"summary":"  "}}`, wantErrors: map[string]string{"summary": msgNoSummary}},
		{name: "summary too long", path: "/rest/api/2/issue", body: `{"fields":{"summary":"` + strings.Repeat("x", 256) + `"}}`, wantErrors: map[string]string{"summary": msgSummaryLong}},
		{name: "summary of 255 emoji is 510 UTF-16 units", path: "/rest/api/2/issue", body: `{"fields":{"summary":"` + strings.Repeat("😀", 255) + `"}}`, wantErrors: map[string]string{"summary": msgSummaryLong}},
		{name: "summary with a line break", path: "/rest/api/2/issue", body: `{"fields":{"summary":"a\nb"}}`, wantErrors: map[string]string{"summary": msgSummaryNewline}},
		{name: "summary with a carriage return", path: "/rest/api/2/issue", body: `{"fields":{"summary":"a\rb"}}`, wantErrors: map[string]string{"summary": msgSummaryNewline}},
		{name: "blank priority name", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","priority":{"name":""}}}`, wantErrors: map[string]string{"priority": "'' is not valid"}},
		{name: "v2 description too long", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","description":"` + strings.Repeat("x", 32768) + `"}}`, wantErrors: map[string]string{"description": msgTextTooLong}},
		{name: "v3 description too long", path: "/rest/api/3/issue", body: `{"fields":{"summary":"s","description":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"` + strings.Repeat("x", 32767) + `"}]}]}}}`, wantErrors: map[string]string{"description": msgTextTooLong}},
		{name: "v3 empty text node", path: "/rest/api/3/issue", body: `{"fields":{"summary":"s","description":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":""}]}]}}}`, wantErrors: map[string]string{"description": "Atlassian Document"}},
		{name: "v3 link without href", path: "/rest/api/3/issue", body: `{"fields":{"summary":"s","description":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"link"}]}]}]}}}`, wantErrors: map[string]string{"description": "Atlassian Document"}},
		{name: "v3 plain description", path: "/rest/api/3/issue", body: `{"fields":{"summary":"s","description":"plain"}}`, wantErrors: map[string]string{"description": "Atlassian Document"}},
		{name: "v2 ADF description", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","description":` + adfHello + `}}`, wantErrors: map[string]string{"description": "must be a string"}},
		{name: "label with space", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","labels":["has space"]}}`, wantErrors: map[string]string{"labels": "contains spaces"}},
		{name: "labels not strings", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","labels":[1]}}`, wantErrors: map[string]string{"labels": "array of strings"}},
		{name: "unknown priority", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","priority":{"name":"Urgent"}}}`, wantErrors: map[string]string{"priority": "'Urgent' is not valid"}},
		{name: "priority as string", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","priority":"High"}}`, wantErrors: map[string]string{"priority": "string format"}},
		{name: "status cannot be set", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","status":{"name":"Done"}}}`, wantErrors: map[string]string{"status": "cannot be set"}},
		{name: "unknown field", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","sumary":"typo"}}`, wantErrors: map[string]string{"sumary": "cannot be set"}},
		{name: "project without key", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","project":{"id":"10000"}}}`, wantErrors: map[string]string{"project": "project is required"}},
		{name: "project not allowed", opts: []Option{WithProjects("SEC")}, path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","project":{"key":"OPS"}}}`, wantErrors: map[string]string{"project": "valid project is required"}},
		{name: "default project not allowed", opts: []Option{WithProjects("OPS")}, path: "/rest/api/2/issue", body: `{"fields":{"summary":"s"}}`, wantErrors: map[string]string{"project": "valid project is required"}},
		{name: "bad issuetype", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","issuetype":"Bug"}}`, wantErrors: map[string]string{"issuetype": "invalid"}},
		{name: "resolution outside a transition", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","resolution":{"name":"Done"}}}`, wantErrors: map[string]string{"resolution": "cannot be set"}},
		{name: "fields not an object", path: "/rest/api/2/issue", body: `{"fields":[]}`, wantErrors: map[string]string{"fields": "JSON object"}},
		{name: "update not an object", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s"},"update":1}`, wantErrors: map[string]string{"update": "JSON object"}},
		{name: "field in fields and update", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s","labels":[]},"update":{"labels":[{"add":"x"}]}}`, wantErrors: map[string]string{"labels": "both"}},
		{name: "update ops not array", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s"},"update":{"labels":{"add":"x"}}}`, wantErrors: map[string]string{"labels": "JSON array"}},
		{name: "update op not object", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s"},"update":{"labels":["x"]}}`, wantErrors: map[string]string{"labels": "JSON object"}},
		{name: "unsupported verb", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s"},"update":{"priority":[{"add":{"name":"High"}}]}}`, wantErrors: map[string]string{"priority": "does not support operation 'add'"}},
		{name: "label add not string", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s"},"update":{"labels":[{"add":1}]}}`, wantErrors: map[string]string{"labels": "must be a string"}},
		{name: "label add empty", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s"},"update":{"labels":[{"add":""}]}}`, wantErrors: map[string]string{"labels": "can not be empty"}},
		{name: "comment add empty", path: "/rest/api/2/issue", body: `{"fields":{"summary":"s"},"update":{"comment":[{"add":{"body":" "}}]}}`, wantErrors: map[string]string{"comment": "can not be empty"}},
		{name: "several errors at once", path: "/rest/api/3/issue", body: `{"fields":{"description":"x","labels":["a b"]}}`, wantErrors: map[string]string{"summary": msgNoSummary, "description": "Atlassian", "labels": "spaces"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := setup(t, tc.opts...)
			r := call(t, s, "POST", tc.path, tc.body)
			want := tc.wantStatus
			if want == 0 {
				want = http.StatusBadRequest
			}
			require.Equal(t, want, r.status, string(r.body))
			j := r.json()
			require.True(t, j.Get("errorMessages").IsArray(), string(r.body))
			require.True(t, j.Get("errors").IsObject(), string(r.body))
			if tc.wantMsg != "" {
				assert.Contains(t, j.Get("errorMessages.0").String(), tc.wantMsg)
			}
			for field, msg := range tc.wantErrors {
				assert.Contains(t, j.Get("errors."+gjsonEscape(field)).String(), msg, field)
			}
			assert.Len(t, j.Get("errors").Map(), len(tc.wantErrors))
			assert.Empty(t, s.Tickets(), "a rejected create makes no ticket")
		})
	}
}

func gjsonEscape(s string) string { return strings.ReplaceAll(s, ".", `\.`) }

func TestUpdate(t *testing.T) {
	t.Parallel()
	s := setup(t)
	key := create(t, s, "before", "keep", "drop")

	r := call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"fields":{"summary":"after","description":"new text","priority":{"name":"Low"},"customfield_10042":"x"},"update":{"labels":[{"remove":"drop"},{"add":"new"},{"add":"keep"}],"comment":[{"add":{"body":"via update"}}]}}`)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)
	tk, _ := s.Ticket(key)
	assert.Equal(t, "after", tk.Summary)
	assert.Equal(t, "new text", tk.DescriptionText())
	assert.Equal(t, "Low", tk.Priority)
	assert.Equal(t, []string{"keep", "new"}, tk.Labels)
	assert.JSONEq(t, `"x"`, string(tk.Fields["customfield_10042"]))
	require.Len(t, tk.Comments, 1)
	assert.Equal(t, "via update", tk.Comments[0].Text())

	t.Run("labels set, description cleared, custom field cleared", func(t *testing.T) {
		r := call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"fields":{"labels":["only"],"description":null,"customfield_10042":null}}`)
		require.Equal(t, http.StatusNoContent, r.status)
		tk, _ := s.Ticket(key)
		assert.Equal(t, []string{"only"}, tk.Labels)
		assert.Nil(t, tk.Description)
		assert.NotContains(t, tk.Fields, "customfield_10042")
		r = call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"update":{"labels":[{"set":["a","a","b"]}],"summary":[{"set":"set via update"}]}}`)
		require.Equal(t, http.StatusNoContent, r.status, string(r.body))
		tk, _ = s.Ticket(key)
		assert.Equal(t, []string{"a", "b"}, tk.Labels)
		assert.Equal(t, "set via update", tk.Summary)
		r = call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"fields":{"labels":null}}`)
		require.Equal(t, http.StatusNoContent, r.status)
		tk, _ = s.Ticket(key)
		assert.Empty(t, tk.Labels)
	})
	t.Run("returnIssue", func(t *testing.T) {
		r := call(t, s, "PUT", "/rest/api/3/issue/"+key+"?returnIssue=true", `{"fields":{"summary":"returned"}}`)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "returned", r.json().Get("fields.summary").String())
	})
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, path, body string
			status           int
			field, msg       string
		}{
			{"unknown issue", "/rest/api/2/issue/SEC-999", `{"fields":{"summary":"x"}}`, 404, "", msgIssueNotFound},
			{"unknown issue, bad body", "/rest/api/2/issue/SEC-999", `{"fields":{"status":"x"}}`, 404, "", msgIssueNotFound},
			{"status by PUT", "/rest/api/2/issue/" + key, `{"fields":{"status":{"name":"Done"}}}`, 400, "status", "cannot be set"},
			{"project by PUT", "/rest/api/2/issue/" + key, `{"fields":{"project":{"key":"OPS"}}}`, 400, "project", "cannot be set"},
			{"empty summary", "/rest/api/2/issue/" + key, `{"fields":{"summary":""}}`, 400, "summary", msgNoSummary},
			{"v3 plain description", "/rest/api/3/issue/" + key, `{"fields":{"description":"plain"}}`, 400, "description", "Atlassian"},
			{"invalid json", "/rest/api/2/issue/" + key, `{`, 400, "", "not valid JSON"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := call(t, s, "PUT", tc.path, tc.body)
				require.Equal(t, tc.status, r.status, string(r.body))
				if tc.field != "" {
					assert.Contains(t, r.json().Get("errors."+tc.field).String(), tc.msg)
				} else {
					assert.Contains(t, r.json().Get("errorMessages.0").String(), tc.msg)
				}
			})
		}
		tk, _ := s.Ticket(key)
		assert.Equal(t, "returned", tk.Summary, "rejected updates change nothing")
	})
	assert.Equal(t, 12, s.UpdateCount())
}

func TestGet(t *testing.T) {
	t.Parallel()
	s := setup(t)
	r := call(t, s, "POST", "/rest/api/3/issue", `{"fields":{"project":{"key":"SEC"},"summary":"get me","description":`+adfHello+`,"labels":["x"],"priority":{"name":"Medium"},"customfield_10010":{"value":"A"}}}`)
	require.Equal(t, http.StatusCreated, r.status)

	t.Run("v3", func(t *testing.T) {
		r := call(t, s, "GET", "/rest/api/3/issue/SEC-1", "")
		require.Equal(t, http.StatusOK, r.status)
		j := r.json()
		assert.Equal(t, "10001", j.Get("id").String())
		assert.Equal(t, "SEC-1", j.Get("key").String())
		assert.Equal(t, s.URL()+"/rest/api/3/issue/10001", j.Get("self").String())
		assert.Equal(t, "get me", j.Get("fields.summary").String())
		assert.JSONEq(t, adfHello, j.Get("fields.description").Raw)
		assert.Equal(t, `["x"]`, j.Get("fields.labels").Raw)
		assert.Equal(t, "Medium", j.Get("fields.priority.name").String())
		assert.Equal(t, "3", j.Get("fields.priority.id").String())
		assert.Equal(t, "SEC", j.Get("fields.project.key").String())
		assert.Equal(t, "To Do", j.Get("fields.status.name").String())
		assert.Equal(t, "new", j.Get("fields.status.statusCategory.key").String())
		assert.Equal(t, "To Do", j.Get("fields.status.statusCategory.name").String())
		assert.Equal(t, "2026-11-28T09:30:00.000+0000", j.Get("fields.created").String())
		assert.Equal(t, `{"value":"A"}`, j.Get("fields.customfield_10010").Raw)
		assert.True(t, j.Get("fields.resolution").Type == gjson.Null)
		assert.Equal(t, int64(0), j.Get("fields.comment.total").Int())
	})
	t.Run("v2 flattens ADF, lower-case key, by id", func(t *testing.T) {
		for _, ref := range []string{"sec-1", "10001"} {
			r := call(t, s, "GET", "/rest/api/2/issue/"+ref, "")
			require.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, "Hello world\nline two", r.json().Get("fields.description").String())
		}
	})
	t.Run("v3 wraps a v2 string in ADF", func(t *testing.T) {
		key := create(t, s, "plain")
		call(t, s, "PUT", "/rest/api/2/issue/"+key, `{"fields":{"description":"a\n\nb"}}`)
		r := call(t, s, "GET", "/rest/api/3/issue/"+key, "")
		d := r.json().Get("fields.description")
		assert.Equal(t, "doc", d.Get("type").String())
		assert.Equal(t, "a", d.Get("content.0.content.0.text").String())
		assert.Equal(t, "b", d.Get("content.2.content.0.text").String())
		tk, _ := s.Ticket(key)
		assert.Equal(t, "a\n\nb", richText([]byte(mustRaw(d))))
		assert.Equal(t, "a\n\nb", tk.DescriptionText())
	})
	t.Run("fields filter", func(t *testing.T) {
		r := call(t, s, "GET", "/rest/api/3/issue/SEC-1?fields=summary,status,-labels,nosuch", "")
		f := r.json().Get("fields").Map()
		assert.Len(t, f, 2)
		assert.Contains(t, f, "summary")
		assert.Contains(t, f, "status")
		r = call(t, s, "GET", "/rest/api/3/issue/SEC-1?fields=*all", "")
		assert.True(t, r.json().Get("fields.labels").Exists())
	})
	t.Run("done status has a resolution", func(t *testing.T) {
		require.NoError(t, s.SetStatus("SEC-1", "Done"))
		r := call(t, s, "GET", "/rest/api/3/issue/SEC-1", "")
		assert.Equal(t, "Done", r.json().Get("fields.resolution.name").String())
		assert.Equal(t, "done", r.json().Get("fields.status.statusCategory.key").String())
	})
	t.Run("not found", func(t *testing.T) {
		r := call(t, s, "GET", "/rest/api/3/issue/NOPE-1", "")
		assert.Equal(t, http.StatusNotFound, r.status)
		assert.JSONEq(t, `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`, string(r.body))
	})
}

func mustRaw(r gjson.Result) string { return r.Raw }

func TestDelete(t *testing.T) {
	t.Parallel()
	s := setup(t)
	key := create(t, s, "delete me")
	r := call(t, s, "DELETE", "/rest/api/2/issue/"+key, "")
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, s.Tickets())
	r = call(t, s, "DELETE", "/rest/api/2/issue/"+key, "")
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestComments(t *testing.T) {
	t.Parallel()
	s := setup(t)
	key := create(t, s, "commented")

	r := call(t, s, "POST", "/rest/api/2/issue/"+key+"/comment", `{"body":"first note"}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	assert.Equal(t, "10100", r.json().Get("id").String())
	assert.Equal(t, "first note", r.json().Get("body").String())
	assert.Equal(t, s.URL()+"/rest/api/2/issue/10001/comment/10100", r.json().Get("self").String())

	r = call(t, s, "POST", "/rest/api/3/issue/"+strings.ToLower(key)+"/comment", `{"body":`+adfHello+`}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	assert.Equal(t, "10101", r.json().Get("id").String())
	assert.JSONEq(t, adfHello, r.json().Get("body").Raw)

	tk, _ := s.Ticket(key)
	require.Len(t, tk.Comments, 2)
	assert.Equal(t, "first note", tk.Comments[0].Text())
	assert.Equal(t, "2", tk.Comments[0].APIVersion)
	assert.Equal(t, "Hello world\nline two", tk.Comments[1].Text())
	assert.JSONEq(t, adfHello, string(tk.Comments[1].Body))

	r = call(t, s, "GET", "/rest/api/2/issue/"+key+"/comment", "")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, int64(2), r.json().Get("total").Int())
	assert.Equal(t, "first note", r.json().Get("comments.0.body").String())
	assert.Equal(t, "Hello world\nline two", r.json().Get("comments.1.body").String(), "v2 flattens ADF")
	r = call(t, s, "GET", "/rest/api/3/issue/"+key+"/comment", "")
	assert.Equal(t, "doc", r.json().Get("comments.0.body.type").String(), "v3 wraps strings in ADF")
	assert.Equal(t, "itsmtest", r.json().Get("comments.0.author.displayName").String())

	tests := []struct {
		name, path, body string
		status           int
		msg              string
	}{
		{"empty body", "/rest/api/2/issue/" + key + "/comment", `{"body":""}`, 400, "can not be empty"},
		{"missing body", "/rest/api/2/issue/" + key + "/comment", `{}`, 400, "can not be empty"},
		{"v3 plain string", "/rest/api/3/issue/" + key + "/comment", `{"body":"plain"}`, 400, "Atlassian"},
		{"v3 empty ADF", "/rest/api/3/issue/" + key + "/comment", `{"body":{"type":"doc","version":1,"content":[]}}`, 400, "can not be empty"},
		{"v3 whitespace ADF", "/rest/api/3/issue/" + key + "/comment", `{"body":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"  "}]}]}}`, 400, msgEmptyComment},
		{"v2 comment too long", "/rest/api/2/issue/" + key + "/comment", `{"body":"` + strings.Repeat("y", 32768) + `"}`, 400, msgTextTooLong},
		{"unknown issue", "/rest/api/2/issue/SEC-404/comment", `{"body":"x"}`, 404, ""},
		{"invalid json", "/rest/api/2/issue/" + key + "/comment", `{"body":`, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", tc.path, tc.body)
			require.Equal(t, tc.status, r.status, string(r.body))
			if tc.msg != "" {
				assert.Contains(t, r.json().Get("errors.comment").String(), tc.msg)
			}
		})
	}
	r = call(t, s, "GET", "/rest/api/2/issue/SEC-404/comment", "")
	assert.Equal(t, http.StatusNotFound, r.status)
	tk, _ = s.Ticket(key)
	assert.Len(t, tk.Comments, 2)
	assert.Equal(t, 10, s.CommentCount())
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	s := setup(t)
	key := create(t, s, "move me")

	r := call(t, s, "GET", "/rest/api/3/issue/"+key+"/transitions", "")
	require.Equal(t, http.StatusOK, r.status)
	ts := r.json().Get("transitions").Array()
	require.Len(t, ts, 3)
	want := [][3]string{{"11", "To Do", "new"}, {"21", "In Progress", "indeterminate"}, {"31", "Done", "done"}}
	for i, w := range want {
		assert.Equal(t, w[0], ts[i].Get("id").String())
		assert.Equal(t, w[1], ts[i].Get("name").String())
		assert.Equal(t, w[1], ts[i].Get("to.name").String())
		assert.Equal(t, w[2], ts[i].Get("to.statusCategory.key").String())
	}

	r = call(t, s, "POST", "/rest/api/3/issue/"+key+"/transitions", `{"transition":{"id":"31"},"fields":{"resolution":{"name":"Done"}},"update":{"comment":[{"add":{"body":`+adfHello+`}}]}}`)
	require.Equal(t, http.StatusNoContent, r.status, string(r.body))
	tk, _ := s.Ticket(key)
	assert.Equal(t, "Done", tk.Status.Name)
	assert.Equal(t, "done", tk.Status.Category)
	assert.Len(t, tk.Comments, 1)
	assert.JSONEq(t, `{"name":"Done"}`, string(tk.Fields["resolution"]))

	tests := []struct{ name, path, body, msg string }{
		{"unknown id", "/rest/api/2/issue/" + key + "/transitions", `{"transition":{"id":"99"}}`, "Transition id '99' is not valid"},
		{"missing id", "/rest/api/2/issue/" + key + "/transitions", `{"transition":{}}`, "Missing 'transition' identifier"},
		{"no transition", "/rest/api/2/issue/" + key + "/transitions", `{}`, "Missing 'transition' identifier"},
		{"invalid json", "/rest/api/2/issue/" + key + "/transitions", `nope`, "not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", tc.path, tc.body)
			require.Equal(t, http.StatusBadRequest, r.status)
			assert.Contains(t, r.json().Get("errorMessages.0").String(), tc.msg)
		})
	}
	r = call(t, s, "POST", "/rest/api/2/issue/"+key+"/transitions", `{"transition":{"id":"21"},"fields":{"status":"x"}}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.json().Get("errors.status").String(), "cannot be set")
	r = call(t, s, "POST", "/rest/api/2/issue/SEC-404/transitions", `{"transition":{"id":"21"}}`)
	assert.Equal(t, http.StatusNotFound, r.status)
	r = call(t, s, "GET", "/rest/api/2/issue/SEC-404/transitions", "")
	assert.Equal(t, http.StatusNotFound, r.status)

	r = call(t, s, "POST", "/rest/api/2/issue/"+key+"/transitions", `{"transition":{"id":"21"}}`)
	require.Equal(t, http.StatusNoContent, r.status)
	tk, _ = s.Ticket(key)
	assert.Equal(t, "In Progress", tk.Status.Name)
	assert.Equal(t, 8, s.TransitionCount())
}

func TestSearch(t *testing.T) {
	t.Parallel()
	s := setup(t)
	for _, c := range []struct{ project, summary, labels string }{
		{"SEC", "Brute force on vpn", `["itsmsync-aaa","siem"]`},
		{"SEC", "Malware on host", `["itsmsync-bbb"]`},
		{"OPS", "Disk full", `["itsmsync-aaa"]`},
		{"OPS", "No labels", `[]`},
	} {
		r := call(t, s, "POST", "/rest/api/2/issue", `{"fields":{"project":{"key":"`+c.project+`"},"summary":"`+c.summary+`","labels":`+c.labels+`}}`)
		require.Equal(t, http.StatusCreated, r.status)
	}
	require.NoError(t, s.SetStatus("SEC-2", "Done"))
	call(t, s, "PUT", "/rest/api/2/issue/OPS-1", `{"fields":{"priority":{"name":"High"}}}`)

	tests := []struct {
		jql  string
		want []string
	}{
		{`labels = "itsmsync-aaa"`, []string{"SEC-1", "OPS-1"}},
		{`labels = itsmsync-aaa`, []string{"SEC-1", "OPS-1"}},
		{`labels=itsmsync-bbb`, []string{"SEC-2"}},
		{`labels in (itsmsync-bbb, "siem")`, []string{"SEC-1", "SEC-2"}},
		{`labels not in (itsmsync-aaa)`, []string{"SEC-2", "OPS-2"}},
		{`labels != siem`, []string{"SEC-2", "OPS-1", "OPS-2"}},
		{`project = SEC AND labels = "itsmsync-aaa"`, []string{"SEC-1"}},
		{`PROJECT = "ops" and LABELS = 'itsmsync-aaa'`, []string{"OPS-1"}},
		{`project = SEC OR project = OPS AND labels IS EMPTY`, []string{"SEC-1", "SEC-2", "OPS-2"}},
		{`(project = SEC OR project = OPS) AND labels IS NOT EMPTY`, []string{"SEC-1", "SEC-2", "OPS-1"}},
		{`NOT project = SEC`, []string{"OPS-1", "OPS-2"}},
		{`key = sec-2`, []string{"SEC-2"}},
		{`issuekey in (SEC-1, 10004)`, []string{"SEC-1", "OPS-2"}},
		{`status = Done`, []string{"SEC-2"}},
		{`statusCategory = done`, []string{"SEC-2"}},
		{`statusCategory != Done`, []string{"SEC-1", "OPS-1", "OPS-2"}},
		{`priority = high`, []string{"OPS-1"}},
		{`issuetype = Task`, []string{"SEC-1", "SEC-2", "OPS-1", "OPS-2"}},
		{`summary ~ "brute"`, []string{"SEC-1"}},
		{`text ~ disk`, []string{"OPS-1"}},
		{`summary !~ "on"`, []string{"OPS-1", "OPS-2"}},
		{`labels = "nothing-here"`, nil},
		{`project = SEC ORDER BY created DESC`, []string{"SEC-2", "SEC-1"}},
		{`order by key asc, created desc`, []string{"SEC-1", "SEC-2", "OPS-1", "OPS-2"}},
		{`labels = "quoted \"escape\""`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.jql, func(t *testing.T) {
			// legacy GET on both versions
			for _, v := range []string{"2", "3"} {
				r := call(t, s, "GET", "/rest/api/"+v+"/search?jql="+url.QueryEscape(tc.jql), "")
				require.Equal(t, http.StatusOK, r.status, string(r.body))
				assert.Equal(t, tc.want, keysOf(r.json()), "v%s GET /search", v)
				assert.Equal(t, int64(len(tc.want)), r.json().Get("total").Int())
			}
			// legacy POST
			r := call(t, s, "POST", "/rest/api/2/search", `{"jql":`+quoteJSON(tc.jql)+`,"fields":["summary"]}`)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			assert.Equal(t, tc.want, keysOf(r.json()), "POST /search")
			// enhanced POST with fields, GET without (ids only)
			r = call(t, s, "POST", "/rest/api/3/search/jql", `{"jql":`+quoteJSON(tc.jql)+`,"fields":["key","labels"]}`)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			assert.Equal(t, tc.want, keysOf(r.json()), "POST /search/jql")
			assert.False(t, r.json().Get("total").Exists(), "enhanced search has no total")
			assert.True(t, r.json().Get("isLast").Bool())
			r = call(t, s, "GET", "/rest/api/3/search/jql?jql="+url.QueryEscape(tc.jql), "")
			require.Equal(t, http.StatusOK, r.status)
			for _, is := range r.json().Get("issues").Array() {
				assert.Equal(t, []string{"id"}, mapKeys(is), "only ids without fields")
			}
			assert.Len(t, r.json().Get("issues").Array(), len(tc.want))
		})
	}

	t.Run("legacy fields and total", func(t *testing.T) {
		r := call(t, s, "GET", "/rest/api/2/search?jql="+url.QueryEscape(`labels = itsmsync-bbb`)+"&fields=summary,status", "")
		j := r.json()
		assert.Equal(t, int64(1), j.Get("total").Int())
		assert.Equal(t, "10002", j.Get("issues.0.id").String())
		assert.Equal(t, "Malware on host", j.Get("issues.0.fields.summary").String())
		assert.Equal(t, "Done", j.Get("issues.0.fields.status.name").String())
		assert.False(t, j.Get("issues.0.fields.labels").Exists())
	})
	t.Run("empty jql", func(t *testing.T) {
		r := call(t, s, "GET", "/rest/api/2/search", "")
		assert.Equal(t, int64(4), r.json().Get("total").Int(), "legacy: every issue")
		r = call(t, s, "GET", "/rest/api/3/search/jql?jql=", "")
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, msgUnbounded, r.json().Get("errorMessages.0").String())
	})
	t.Run("paging", func(t *testing.T) {
		r := call(t, s, "GET", "/rest/api/2/search?jql=&startAt=1&maxResults=2", "")
		assert.Equal(t, []string{"SEC-2", "OPS-1"}, keysOf(r.json()))
		assert.Equal(t, int64(4), r.json().Get("total").Int())
		assert.Equal(t, int64(1), r.json().Get("startAt").Int())
		r = call(t, s, "POST", "/rest/api/2/search", `{"jql":"","startAt":3,"maxResults":10}`)
		assert.Equal(t, []string{"OPS-2"}, keysOf(r.json()))

		var got []string
		token := ""
		for range 3 {
			body := `{"jql":"project in (SEC, OPS)","maxResults":3,"fields":["key"]`
			if token != "" {
				body += `,"nextPageToken":"` + token + `"`
			}
			r := call(t, s, "POST", "/rest/api/3/search/jql", body+`}`)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			got = append(got, keysOf(r.json())...)
			token = r.json().Get("nextPageToken").String()
			if r.json().Get("isLast").Bool() {
				assert.Empty(t, token)
				break
			}
		}
		assert.Equal(t, []string{"SEC-1", "SEC-2", "OPS-1", "OPS-2"}, got)
		r = call(t, s, "GET", "/rest/api/3/search/jql?jql=project%3DSEC&nextPageToken=garbage", "")
		assert.Equal(t, http.StatusBadRequest, r.status)
	})
	t.Run("errors", func(t *testing.T) {
		for _, jql := range []string{
			`assignee = currentUser()`,
			`labels = `,
			`labels`,
			`labels ~ x`,
			`summary = x`,
			`labels in x`,
			`labels in (x`,
			`labels in (x,)`,
			`labels = "unterminated`,
			`labels = x AND`,
			`labels = x extra`,
			`(labels = x`,
			`labels # x`,
			`labels ! x`,
			`project IS EMPTY`,
			`labels IS x`,
			`labels NOT x`,
			`summary in (x)`,
			`labels = and`,
			`ORDER created`,
			`order by`,
			`labels = x ORDER BY (`,
			`= x`,
		} {
			r := call(t, s, "GET", "/rest/api/3/search?jql="+url.QueryEscape(jql), "")
			assert.Equal(t, http.StatusBadRequest, r.status, jql)
			assert.Contains(t, r.json().Get("errorMessages.0").String(), "Error in the JQL Query", jql)
		}
		r := call(t, s, "GET", "/rest/api/2/search?jql=x&maxResults=abc", "")
		assert.Equal(t, http.StatusBadRequest, r.status)
		r = call(t, s, "GET", "/rest/api/2/search?jql=x&startAt=abc", "")
		assert.Equal(t, http.StatusBadRequest, r.status)
		r = call(t, s, "POST", "/rest/api/3/search/jql", `{"jql":`)
		assert.Equal(t, http.StatusBadRequest, r.status)
	})
}

func keysOf(j gjson.Result) []string {
	var out []string
	for _, is := range j.Get("issues").Array() {
		out = append(out, is.Get("key").String())
	}
	return out
}

func mapKeys(j gjson.Result) []string {
	var out []string
	j.ForEach(func(k, _ gjson.Result) bool {
		out = append(out, k.String())
		return true
	})
	return out
}

func quoteJSON(s string) string {
	b := strings.Builder{}
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestRouting(t *testing.T) {
	t.Parallel()
	s := setup(t)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/rest/api/2/issue", 405, "POST"},
		{"POST", "/rest/api/2/issue/SEC-1", 405, "GET, PUT, DELETE"},
		{"PUT", "/rest/api/2/issue/SEC-1/comment", 405, "GET, POST"},
		{"DELETE", "/rest/api/3/search", 405, "GET, POST"},
		{"POST", "/rest/api/3/myself", 405, "GET"},
		{"GET", "/rest/api/4/issue/SEC-1", 404, ""},
		{"GET", "/rest/api/3/unknown", 404, ""},
		{"GET", "/", 404, ""},
		{"GET", "/rest/api/2/issue/SEC-1/watchers", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := call(t, s, tc.method, tc.path, "")
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.allow, r.header.Get("Allow"))
			assert.True(t, r.json().Get("errorMessages").IsArray())
		})
	}
	r := call(t, s, "GET", "/rest/api/3/myself", "")
	assert.Equal(t, accountID, r.json().Get("accountId").String())
	r = call(t, s, "GET", "/rest/api/2/serverInfo", "")
	assert.Equal(t, s.URL(), r.json().Get("baseUrl").String())
	assert.Equal(t, 2, s.Count(OpMyself))
}

func TestRichText(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, raw, want string }{
		{"empty", ``, ""},
		{"string", `"a\nb"`, "a\nb"},
		{"number", `12`, ""},
		{"adf", adfHello, "Hello world\nline two"},
		{"hard break, mention, lists", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"a"},{"type":"hardBreak"},{"type":"mention","attrs":{"text":"@jane"}}]},{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"item"}]}]}]},{"type":"heading","content":[{"type":"text","text":"H"}]}]}`, "a\n@jane\nitem\nH"},
		{"inline only", `{"type":"doc","version":1,"content":[{"type":"text","text":"loose"}]}`, "loose"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, richText([]byte(tc.raw)))
		})
	}
}

// FuzzJQL checks that no query makes the parser panic, and that what parses
// can be evaluated.
func FuzzJQL(f *testing.F) {
	for _, q := range []string{`labels = "x"`, `project = SEC AND labels in (a, "b")`, `(a`, `labels IS NOT EMPTY ORDER BY created DESC`, `summary ~ 'x\'y'`, `NOT NOT key != 1 OR status = Done`, "labels = \"\xff\""} {
		f.Add(q)
	}
	tk := &Ticket{ID: "10001", Key: "SEC-1", Project: "SEC", Summary: "s", Labels: []string{"x"}, Status: DefaultTransitions()[0].To}
	f.Fuzz(func(t *testing.T, q string) {
		expr, _, err := parseJQL(q)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "jql: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if expr != nil {
			expr(tk)
		}
	})
}

// FuzzCreate checks that any create body is answered 201 or a Jira-shaped
// 400, never a panic or a 5xx, and that a 201 always made a ticket.
func FuzzCreate(f *testing.F) {
	for _, b := range []string{`{"fields":{"summary":"x"}}`, `{"fields":{"summary":"x","labels":["a"],"description":` + adfHello + `}}`, `{"update":{"labels":[{"add":"x"}]}}`, `[]`, `{"fields":{"summary":"x","priority":{"id":"9"}}}`, `{`} {
		f.Add(b, true)
	}
	s := New()
	f.Cleanup(s.Close)
	f.Fuzz(func(t *testing.T, body string, v3 bool) {
		path := "/rest/api/2/issue"
		if v3 {
			path = "/rest/api/3/issue"
		}
		s.Reset()
		rec := httptestRecorder(s, "POST", path, body)
		switch rec.Code {
		case http.StatusCreated:
			if len(s.Tickets()) != 1 {
				t.Fatalf("201 without a ticket")
			}
		case http.StatusBadRequest:
			j := gjson.Parse(rec.Body.String())
			if !j.Get("errorMessages").IsArray() || !j.Get("errors").IsObject() {
				t.Fatalf("400 not Jira-shaped: %s", rec.Body.String())
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	})
}
