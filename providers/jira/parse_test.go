package jira_test

import (
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/providers/jira"
)

// fixturesDir holds the real Jira captures (SOURCES.md there says where
// each came from).
var fixturesDir = filepath.Join("testdata", "captures")

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir, name))
	require.NoError(t, err)
	return b
}

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

// TestParseCaptures parses every real capture (Cloud and Server).
func TestParseCaptures(t *testing.T) {
	tests := []struct {
		file string
		want callback.Event
	}{
		{"mattermost-webhook-issue-created.json", callback.Event{
			Kind: callback.EventCreated, TicketID: "10040", TicketKey: "TES-41",
			Status: "To Do", StatusCategory: "new", Priority: "High",
			EventID: "changelog:10222", OccurredAt: ms(1550286113023),
		}},
		{"mattermost-webhook-issue-updated-resolved.json", callback.Event{
			Kind: callback.EventUpdated, TicketID: "10040", TicketKey: "TES-41",
			Status: "Done", StatusCategory: "done",
			EventID: "changelog:10228", OccurredAt: ms(1550286940507),
		}},
		{"mattermost-webhook-server-issue-updated-resolved.json", callback.Event{
			Kind: callback.EventUpdated, TicketID: "10300", TicketKey: "TES-4",
			Status: "Resolved", StatusCategory: "done",
			EventID: "changelog:10414", OccurredAt: ms(1565652182025),
		}},
		{"mattermost-webhook-issue-deleted.json", callback.Event{
			Kind: callback.EventDeleted, TicketID: "10303", TicketKey: "IDT-19",
			EventID: "deleted:10303:1562177136176", OccurredAt: ms(1562177136176),
		}},
		{"mattermost-webhook-cloud-comment-created.json", callback.Event{
			Kind: callback.EventComment, TicketID: "10040", TicketKey: "TES-41",
			EventID: "comment:10019", OccurredAt: ms(1550286678321),
			Comment: &callback.Comment{ID: "10019", Body: "Added a comment", Author: "Test User", AuthorID: "5c5f880629be9642ba529340"},
		}},
		// An issue moved from project TES to SEC: the id stays, the key
		// changes (derived from the resolved capture; see SOURCES.md).
		{"derived-webhook-issue-moved.json", callback.Event{
			Kind: callback.EventUpdated, TicketID: "10040", TicketKey: "SEC-7", PreviousTicketKey: "TES-41",
			EventID: "changelog:10301", OccurredAt: ms(1550287000000),
		}},
		// Jira Server's comment_created names no issue: the id comes from
		// the comment's self URL.
		{"mattermost-webhook-server-comment-created.json", callback.Event{
			Kind: callback.EventComment, TicketID: "10013",
			EventID: "comment:10082", OccurredAt: ms(1559607317234),
			Comment: &callback.Comment{ID: "10082", Body: "unik", Author: "Lev Brouk", AuthorID: "levbrouk"},
		}},
		// The same comment inside jira:issue_updated (issue_commented).
		{"mattermost-webhook-server-issue-updated-commented-1.json", callback.Event{
			Kind: callback.EventComment, TicketID: "10013", TicketKey: "PRJX-14",
			EventID: "comment:10082", OccurredAt: ms(1559607317244),
			Comment: &callback.Comment{ID: "10082", Body: "unik", Author: "Lev Brouk", AuthorID: "levbrouk"},
		}},
		// An edit, as comment_updated and inside jira:issue_updated
		// (issue_comment_edited): one EventID, the edit time.
		{"mattermost-webhook-server-comment-updated.json", callback.Event{
			Kind: callback.EventComment, TicketID: "10013",
			EventID: "comment:10084:edited:1559609613665", OccurredAt: ms(1559609613673),
			Comment: &callback.Comment{ID: "10084", Body: "and higher eeven higher", Author: "Lev Brouk", AuthorID: "levbrouk", Edited: ms(1559609613665)},
		}},
		{"mattermost-webhook-server-issue-updated-comment-edited.json", callback.Event{
			Kind: callback.EventComment, TicketID: "10013", TicketKey: "PRJX-14",
			EventID: "comment:10084:edited:1559609613665", OccurredAt: ms(1559609613673),
			Comment: &callback.Comment{ID: "10084", Body: "and higher eeven higher", Author: "Lev Brouk", AuthorID: "levbrouk", Edited: ms(1559609613665)},
		}},
		{"mattermost-webhook-cloud-comment-updated.json", callback.Event{
			Kind: callback.EventComment, TicketID: "10040", TicketKey: "TES-41",
			EventID: "comment:10019:edited:1550286728432", OccurredAt: ms(1550286728432),
			Comment: &callback.Comment{ID: "10019", Body: "Added a comment, then edited it", Author: "Test User", AuthorID: "5c5f880629be9642ba529340", Edited: ms(1550286728432)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readFixture(t, tt.file)
			r := httptest.NewRequest("POST", "/", nil)
			events, err := jira.Parser{}.Parse(r, body)
			require.NoError(t, err)
			require.Len(t, events, 1)
			got := events[0]
			got.OccurredAt = got.OccurredAt.UTC()
			if got.Comment != nil && !got.Comment.Edited.IsZero() {
				got.Comment.Edited = got.Comment.Edited.UTC()
			}
			assert.Equal(t, tt.want, got)
			assert.NoError(t, got.Validate())
		})
	}
}

func TestParseSynthetic(t *testing.T) {
	tests := []struct {
		name string
		body string
		want callback.Event
	}{
		{
			name: "server item without fieldId, capitalised field",
			body: `{"webhookEvent":"jira:issue_updated","timestamp":1,"issue":{"id":"1","key":"A-1","fields":{"status":{"name":"In Progress","statusCategory":{"key":"indeterminate"}}}},
				"changelog":{"id":"5","items":[{"field":"Status","toString":"In Progress"}]}}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "1", TicketKey: "A-1", Status: "In Progress", StatusCategory: "indeterminate", EventID: "changelog:5", OccurredAt: ms(1)},
		},
		{
			name: "cloud custom field named status is not the status",
			body: `{"webhookEvent":"jira:issue_updated","issue":{"id":"1","key":"A-1"},
				"changelog":{"items":[{"field":"status","fieldId":"customfield_10050","toString":"Green"}]}}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "1", TicketKey: "A-1"},
		},
		{
			name: "no status change: empty status, priority from the changelog",
			body: `{"webhookEvent":"jira:issue_updated","issue":{"id":"1","key":"A-1","fields":{"status":{"name":"To Do"},"priority":{"name":"Highest"}}},
				"changelog":{"items":[{"field":"priority","fieldId":"priority","toString":"Highest"}]}}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "1", TicketKey: "A-1", Priority: "Highest"},
		},
		{
			name: "status changed to another status than the snapshot: no category",
			body: `{"webhookEvent":"jira:issue_updated","issue":{"id":"1","fields":{"status":{"name":"Done","statusCategory":{"key":"done"}}}},
				"changelog":{"items":[{"fieldId":"status","toString":"Review"}]}}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "1", Status: "Review"},
		},
		{
			name: "no webhookEvent: issue_event_type_name decides",
			body: `{"issue_event_type_name":"issue_generic","issue":{"id":"7","key":"B-7"},"changelog":{"items":[{"fieldId":"status","toString":"Done"}]}}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "7", TicketKey: "B-7", Status: "Done"},
		},
		{
			name: "no webhookEvent, issue_deleted",
			body: `{"issue_event_type_name":"issue_deleted","issue":{"id":"7"}}`,
			want: callback.Event{Kind: callback.EventDeleted, TicketID: "7"},
		},
		{
			name: "numeric issue id keeps its digits",
			body: `{"webhookEvent":"jira:issue_deleted","issue":{"id":12345678901234567890}}`,
			want: callback.Event{Kind: callback.EventDeleted, TicketID: "12345678901234567890"},
		},
		{
			name: "adf comment body (REST v3)",
			body: `{"webhookEvent":"comment_created","timestamp":2,"issue":{"id":"1"},"comment":{"id":"9","author":{"accountId":"acc"},
				"body":{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Hello "},{"type":"mention","attrs":{"text":"@Ann"}}]},
				{"type":"paragraph","content":[{"type":"text","text":"line two"},{"type":"hardBreak"},{"type":"text","text":"three"}]}]}}}`,
			want: callback.Event{Kind: callback.EventComment, TicketID: "1", EventID: "comment:9", OccurredAt: ms(2),
				Comment: &callback.Comment{ID: "9", Body: "Hello @Ann\nline two\nthree", Author: "acc", AuthorID: "acc"}},
		},
		{
			name: "comment time from the comment when no timestamp",
			body: `{"webhookEvent":"comment_created","issue":{"key":"A-1"},"comment":{"id":"9","body":"x","created":"2019-02-15T19:11:18.321-0800"}}`,
			want: callback.Event{Kind: callback.EventComment, TicketKey: "A-1", EventID: "comment:9",
				OccurredAt: time.Date(2019, 2, 16, 3, 11, 18, 321e6, time.UTC), Comment: &callback.Comment{ID: "9", Body: "x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := jira.Parser{}.Parse(nil, []byte(tt.body))
			require.NoError(t, err)
			require.Len(t, events, 1)
			got := events[0]
			got.OccurredAt = got.OccurredAt.UTC()
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
		reason     string
	}{
		{"invalid json", `{"webhookEvent":`, callback.ErrMalformedPayload, "not valid json"},
		{"empty body", ``, callback.ErrMalformedPayload, "not valid json"},
		{"not an object", `[1,2]`, callback.ErrUnsupportedEvent, "not a json object"},
		{"unknown event", `{"webhookEvent":"worklog_created","issue":{"id":"1"}}`, callback.ErrUnsupportedEvent, `"worklog_created"`},
		// comment_updated is applied (an edit, once per edit time): one
		// without any time cannot be told from the next edit.
		{"comment updated without a time", `{"webhookEvent":"comment_updated","issue":{"id":"1"},"comment":{"id":"1"}}`, callback.ErrMalformedPayload, "edited comment without an updated time"},
		{"comment deleted", `{"webhookEvent":"comment_deleted","issue":{"id":"1"},"comment":{"id":"1"}}`, callback.ErrUnsupportedEvent, "comment_deleted"},
		{"sysaid payload (wrong provider)", `{"eventName":"sr.updated","srId":148,"updates":[]}`, callback.ErrUnsupportedEvent, "not a jira webhook"},
		{"servicenow-like payload", `{"sys_id":"abc","state":"6"}`, callback.ErrUnsupportedEvent, "not a jira webhook"},
		{"no issue id", `{"webhookEvent":"jira:issue_updated","issue":{"fields":{}}}`, callback.ErrMalformedPayload, "issue.id"},
		{"comment event without comment", `{"webhookEvent":"comment_created","issue":{"id":"1"}}`, callback.ErrMalformedPayload, "without a comment"},
		{"bad timestamp", `{"webhookEvent":"jira:issue_deleted","timestamp":"soon","issue":{"id":"1"}}`, callback.ErrMalformedPayload, "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := jira.Parser{}.Parse(nil, []byte(tt.body))
			require.ErrorIs(t, err, tt.want)
			assert.Empty(t, events)
			assert.Contains(t, err.Error(), tt.reason)
		})
	}
}

// FuzzParse: never panics; an error is always one of the two parse
// sentinels, and every event returned is valid.
func FuzzParse(f *testing.F) {
	for _, name := range []string{
		"mattermost-webhook-issue-created.json", "mattermost-webhook-issue-updated-resolved.json",
		"mattermost-webhook-server-issue-updated-resolved.json", "mattermost-webhook-issue-deleted.json",
		"mattermost-webhook-cloud-comment-created.json",
	} {
		if b, err := os.ReadFile(filepath.Join(fixturesDir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"webhookEvent":"comment_created","issue":{"id":"1"},"comment":{"body":{"type":"doc","content":[{"content":[{"content":[]}]}]}}}`))
	f.Add([]byte(`{"issue_event_type_name":"issue_commented","issue":{"key":"A-1"},"comment":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := jira.Parser{}.Parse(nil, body)
		if err != nil {
			if !errors.Is(err, callback.ErrMalformedPayload) && !errors.Is(err, callback.ErrUnsupportedEvent) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if len(events) != 0 {
				t.Fatalf("events with an error")
			}
			return
		}
		for _, ev := range events {
			if err := ev.Validate(); err != nil {
				t.Fatalf("invalid event %+v: %v", ev, err)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	body := readFixture(b, "mattermost-webhook-issue-updated-resolved.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := (jira.Parser{}).Parse(nil, body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseDeepADFBounded(t *testing.T) {
	// A hostile, deeply nested comment body is flattened without unbounded
	// recursion.
	body := `{"webhookEvent":"comment_created","issue":{"id":"1"},"comment":{"id":"1","body":` +
		strings.Repeat(`{"type":"doc","content":[`, 200) + `{"type":"text","text":"deep"}` + strings.Repeat(`]}`, 200) + `}}`
	events, err := jira.Parser{}.Parse(nil, []byte(body))
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Empty(t, events[0].Comment.Body, "text below the depth bound is dropped")
}

// TestParseTransitionWithComment: a jira:issue_updated that changes the
// status and carries a comment (a transition screen with a comment) is two
// events: the update, then the comment.
func TestParseTransitionWithComment(t *testing.T) {
	body := `{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_generic","timestamp":5,"issue":{"id":"3","key":"A-1"},` +
		`"changelog":{"id":"9","items":[{"field":"status","toString":"Done"}]},"comment":{"id":"7","body":"fixed"}}`
	events, err := jira.Parser{}.Parse(httptest.NewRequest("POST", "/", nil), []byte(body))
	require.NoError(t, err)
	require.Len(t, events, 2)
	assert.Equal(t, callback.EventUpdated, events[0].Kind)
	assert.Equal(t, "Done", events[0].Status)
	assert.Equal(t, callback.EventComment, events[1].Kind)
	assert.Equal(t, "comment:7", events[1].EventID)
	assert.Equal(t, "fixed", events[1].Comment.Body)

	// A deleted comment inside jira:issue_updated adds no comment event.
	body = `{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_comment_deleted","issue":{"id":"3"},"comment":{"id":"7"}}`
	events, err = jira.Parser{}.Parse(httptest.NewRequest("POST", "/", nil), []byte(body))
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, callback.EventUpdated, events[0].Kind)
}
