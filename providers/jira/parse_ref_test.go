package jira

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tidwall/gjson"

	"github.com/itsmsync/itsmsync/callback"
)

// refParse is the parser as it was before the one-pass scan
// (callback.JSONPaths): gjson over the whole body after a validation pass.
// It is kept as the reference the one-pass parser must agree with.
func refParse(body []byte) ([]callback.Event, error) {
	if !callback.ValidJSON(body) {
		return nil, callback.Malformed("body is not valid json")
	}
	doc := gjson.ParseBytes(body)
	if !doc.IsObject() {
		return nil, callback.Unsupported("body is not a json object")
	}
	// One pass over the top level and one over the issue: the issue is
	// most of a 6 KB body, and every gjson Get rescans what it skips.
	var top refPayload
	doc.ForEach(func(k, v gjson.Result) bool {
		top.set(k.Str, v)
		return true
	})
	kind, err := eventKind(payload{webhookEvent: top.webhookEvent, eventTypeName: top.eventTypeName, timestamp: top.timestamp}, &lazyValue{done: true, v: top.comment})
	if err != nil {
		return nil, err
	}
	// id and key come first in Jira's issue object, so these Gets stop
	// early; fields.status and fields.priority are read only when needed,
	// each a partial scan of the fields.
	issue := refIssue{id: top.issue.Get("id"), key: top.issue.Get("key"), issue: top.issue}
	ev := callback.Event{
		Kind:      kind,
		TicketID:  idString(issue.id),
		TicketKey: idString(issue.key),
	}
	if ev.TicketID == "" && ev.TicketKey == "" && kind == callback.EventComment {
		ev.TicketID = issueIDFromSelf(str(top.comment.Get("self")))
	}
	if ev.TicketID == "" && ev.TicketKey == "" {
		return nil, callback.Malformed("event without issue.id or issue.key")
	}
	if ev.OccurredAt, err = timestamp(top.timestamp); err != nil {
		return nil, err
	}
	switch kind {
	case callback.EventCreated:
		st := issue.get("status")
		ev.Status = str(st.Get("name"))
		ev.StatusCategory = str(st.Get("statusCategory.key"))
		ev.Priority = str(issue.get("priority").Get("name"))
		ev.EventID = prefixed("changelog:", idString(top.changelog.Get("id")))
	case callback.EventUpdated:
		status, priority, key := refChangelog(top.changelog.Get("items"))
		if key.ok && key.to != "" && strings.TrimSpace(key.to) == ev.TicketKey {
			ev.PreviousTicketKey = strings.TrimSpace(key.from)
		}
		if status.ok {
			ev.Status = status.to
			st := issue.get("status")
			if strings.EqualFold(strings.TrimSpace(str(st.Get("name"))), strings.TrimSpace(status.to)) {
				ev.StatusCategory = str(st.Get("statusCategory.key"))
			}
		}
		if priority.ok {
			ev.Priority = priority.to
			if ev.Priority == "" {
				ev.Priority = str(issue.get("priority").Get("name"))
			}
		}
		ev.EventID = prefixed("changelog:", idString(top.changelog.Get("id")))
	case callback.EventDeleted:
		if ev.TicketID != "" && !ev.OccurredAt.IsZero() {
			ev.EventID = fmt.Sprintf("deleted:%s:%d", ev.TicketID, ev.OccurredAt.UnixMilli())
		}
	case callback.EventComment:
		cev, err := commentEvent(ev, top.comment, str(top.webhookEvent) == EventCommentUpdated)
		if err != nil {
			return nil, err
		}
		return []callback.Event{cev}, nil
	}
	typ := str(top.eventTypeName)
	if kind == callback.EventUpdated && typ != "issue_comment_deleted" && top.comment.IsObject() {
		cev, err := commentEvent(callback.Event{Kind: callback.EventComment, TicketID: ev.TicketID, TicketKey: ev.TicketKey, OccurredAt: ev.OccurredAt},
			top.comment, typ == "issue_comment_edited")
		if err != nil {
			return nil, err
		}
		if typ == "issue_commented" || typ == "issue_comment_edited" {
			return []callback.Event{cev}, nil
		}
		return []callback.Event{ev, cev}, nil
	}
	return []callback.Event{ev}, nil
}

// payload holds the top-level members the parser reads. Like gjson.Get, the
// first occurrence of a duplicated key wins.
type refPayload struct {
	webhookEvent, eventTypeName, timestamp, issue, changelog, comment gjson.Result
}

func (p *refPayload) set(k string, v gjson.Result) {
	var dst *gjson.Result
	switch k {
	case "webhookEvent":
		dst = &p.webhookEvent
	case "issue_event_type_name":
		dst = &p.eventTypeName
	case "timestamp":
		dst = &p.timestamp
	case "issue":
		dst = &p.issue
	case "changelog":
		dst = &p.changelog
	case "comment":
		dst = &p.comment
	default:
		return
	}
	if !dst.Exists() {
		*dst = v
	}
}

// issueFields holds what the parser reads of the issue.
type refIssue struct {
	id, key, issue gjson.Result
}

// get reads issue.fields.<name>.
func (f refIssue) get(name string) gjson.Result {
	return f.issue.Get("fields." + name)
}

var refCases = []string{
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"1","fields":{"status":{"name":"Done","statusCategory":{"key":"done"}}}},"changelog":{"id":"7","items":[{"field":"status","toString":"Done"}]}}`,
	// Duplicated members: the first top-level one wins, nested values count
	// only inside it, and gjson's first-match rule applies below.
	`{"issue":"x","webhookEvent":"jira:issue_created","issue":{"id":"2"}}`,
	`{"webhookEvent":"jira:issue_created","issue":{"key":"A-1"},"issue":{"id":"2"}}`,
	`{"webhookEvent":"jira:issue_created","issue":{"id":"3","fields":{"x":1},"fields":{"status":{"name":"Open"}}}}`,
	`{"webhookEvent":"jira:issue_created","issue":{"id":"3","fields":{"status":1,"status":{"name":"Open"}}}}`,
	`{"webhookEvent":"jira:issue_created","issue":{"id":"3","fields":[{"status":{"name":"Open"}}]}}`,
	`{"webhookEvent":"jira:issue_updated","changelog":{"id":1},"issue":{"id":"3"},"changelog":{"items":[{"field":"status","toString":"Done"}]}}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"3"},"changelog":{"items":5,"items":[{"field":"status","toString":"Done"}]}}`,
	`{"web\u0068ookEvent":"jira:issue_deleted","\u0069ssue":{"i\u0064":"4","key":"K-4"},"timestamp":12}`,
	`{"issue_event_type_name":"issue_commented","issue":{"key":"A-1"},"comment":{"id":"5","body":"hi","author":{"name":"n"}}}`,
	`{"issue_event_type_name":"issue_commented","issue":{"key":"A-1"},"comment":"no"}`,
	`{"webhookEvent":"comment_created","issue":{"id":"1"},"comment":[1]}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":1e3},"timestamp":"2024-01-02T03:04:05Z"}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"1"},"timestamp":true}`,
	`{"webhookEvent":"jira:issue_created","issue":{"id":"3","fields":{"status":{"x":1},"status":{"name":"Open"}}}}`,
	`{"webhookEvent":"jira:issue_created","issue":{"id":"3","fields":{"status":{"statusCategory":{"x":1},"statusCategory":{"key":"new"},"name":"A"}}}}`,
	`{"webhookEvent":"jira:issue_created","issue":{"id":"3","fields":{"x":{"status":{"name":"B"}},"status":{"name":"A","name":"C"}}}}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"3","fields":{"priority":{"id":1},"priority":{"name":"High"}}},"changelog":{"items":[{"field":"priority","toString":""}]}}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"3","fields":{"priority":{"name":"Low"}}},"changelog":{"items":[{"fieldId":null,"field":"Priority","toString":""},{"fieldId":"status","toString":"Done"}]}}`,
	`{"webhookEvent":"jira:issue_created","issue":{"id":"3"},"issue":{"fields":{"status":{"name":"Open"}}}}`,
	`{"webhookEvent":"jira:issue_created","issue":{"id":"3","fields":{"status":{"n\u0061me":"Esc\u00e9"}}}}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"3"},"changelog":{"items":[1,"x",[{"field":"status"}],{"fieldId":"status","fieldId":"x","toString":"A","toString":"B"},{"fieldI\u0064":"Priority","toString":null},{"field":"status","fieldId":null,"toString":""}]}}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"3"},"changelog":{"items":[{"field":" STATUS ","toString":7}]}}`,
	`{"webhookEvent":"worklog_created"}`, `{"a":1}`, `[]`, `"x"`, ` {} `, `{`, ``,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"3","key":"B-2"},"changelog":{"items":[{"field":"Key","fromString":"A-1","toString":"B-2"}]}}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"3","key":"B-2"},"changelog":{"items":[{"field":"Key","fromString":"A-1","toString":"C-9"}]}}`,
	`{"webhookEvent":"jira:issue_updated","issue":{"id":"3","key":"B-2"},"changelog":{"items":[{"fieldId":"issuekey","field":"x","fromString":"A-1","toString":"B-2"},{"field":"status","toString":"Done"}]}}`,
	`{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_commented","issue":{"id":"3"},"comment":{"id":"7","body":"hi"}}`,
	`{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_generic","issue":{"id":"3"},"changelog":{"items":[{"field":"status","toString":"Done"}]},"comment":{"id":"7","body":"done"}}`,
	`{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_comment_edited","issue":{"id":"3"},"comment":{"id":"7","body":"b","updated":"2024-01-02T03:04:05.000+0000"}}`,
	`{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_comment_edited","issue":{"id":"3"},"comment":{"id":"7","body":"b"}}`,
	`{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_comment_deleted","issue":{"id":"3"},"comment":{"id":"7"}}`,
	`{"webhookEvent":"comment_updated","timestamp":5,"issue":{"id":"3"},"comment":{"id":"7","body":"b"}}`,
	`{"webhookEvent":"comment_created","comment":{"id":"7","self":"https://j/rest/api/2/issue/10013/comment/7"}}`,
	`{"webhookEvent":"comment_created","comment":{"id":"7","self":"https://j/rest/api/2/issue/x1/comment/7"}}`,
}

// TestParseMatchesReference checks the one-pass parser against refParse.
func TestParseMatchesReference(t *testing.T) {
	cases := append([]string(nil), refCases...)
	dir := filepath.Join("testdata", "captures")
	names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(names) != 11 {
		t.Fatalf("want the 11 captures in %s, found %d", dir, len(names))
	}
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil {
			cases = append(cases, string(b))
		}
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) { sameAsReference(t, []byte(c)) })
	}
}

func sameAsReference(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr := refParse(bytes.Clone(body))
	got, gotErr := Parser{}.Parse(nil, body)
	if wantErr != nil || gotErr != nil {
		if assert.Error(t, gotErr) && assert.Error(t, wantErr) {
			assert.Equal(t, wantErr.Error(), gotErr.Error())
			assert.Equal(t, errors.Is(wantErr, callback.ErrMalformedPayload), errors.Is(gotErr, callback.ErrMalformedPayload))
		}
		return
	}
	assert.Equal(t, want, got, "%q", body)
}

// FuzzParseReference checks the one-pass parser against refParse on any
// body.
func FuzzParseReference(f *testing.F) {
	for _, c := range refCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if bytes.Count(body, []byte("["))+bytes.Count(body, []byte("{")) > callback.MaxJSONDepth {
			t.Skip()
		}
		sameAsReference(t, body)
	})
}

// refChangelog is the changelog reader before the one-pass item read: it
// finds the status and priority items: by fieldId when the item
// has one (Cloud), else by field (Server), case-insensitively. The last
// matching item wins.
func refChangelog(items gjson.Result) (status, priority, key item) {
	if !items.IsArray() {
		return
	}
	items.ForEach(func(_, it gjson.Result) bool {
		if strings.EqualFold(strings.TrimSpace(str(it.Get("field"))), "key") || strings.EqualFold(strings.TrimSpace(str(it.Get("fieldId"))), "issuekey") {
			key = item{from: str(it.Get("fromString")), to: str(it.Get("toString")), ok: true}
			return true
		}
		name := it.Get("fieldId")
		if !name.Exists() || name.Type == gjson.Null {
			name = it.Get("field")
		}
		switch n := strings.TrimSpace(str(name)); {
		case strings.EqualFold(n, "status"):
			if to := str(it.Get("toString")); to != "" {
				status = item{to: to, ok: true}
			}
		case strings.EqualFold(n, "priority"):
			priority = item{to: str(it.Get("toString")), ok: true}
		}
		return true
	})
	return
}
