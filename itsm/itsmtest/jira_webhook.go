package itsmtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Jira webhook event names (the payload's "webhookEvent").
const (
	EventIssueCreated   = "jira:issue_created"
	EventIssueUpdated   = "jira:issue_updated"
	EventIssueDeleted   = "jira:issue_deleted"
	EventCommentCreated = "comment_created"
)

// Event is a webhook delivery the fake would send for a change, shaped like
// Jira Cloud's: {"timestamp", "webhookEvent", "issue_event_type_name",
// "user", "issue": {"id", "self", "key", "fields"}, "changelog": {"id",
// "items": [{"field", "fieldtype", "fieldId", "from", "fromString", "to",
// "toString"}]}} for issue events, and {"timestamp", "webhookEvent",
// "comment", "issue"} for comment_created. The issue is rendered as API v2
// renders it. See WithEventHook.
type Event struct {
	// Name is the webhookEvent, one of the Event* constants.
	Name string
	// Identifier is unique per delivery ("1", "2", ... since the last Reset),
	// sent as the X-Atlassian-Webhook-Identifier header by Request.
	Identifier string
	IssueID    string
	Key        string
	Time       time.Time
	// Body is the JSON payload.
	Body []byte
}

// Request builds the POST Jira would make to deliver the event to url:
// Content-Type application/json, X-Atlassian-Webhook-Identifier, and, when
// secret is not empty, X-Hub-Signature "sha256=<hex HMAC-SHA256 of the body
// keyed with secret>" as Jira Cloud signs webhooks that have a secret.
func (e Event) Request(ctx context.Context, url, secret string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(e.Body))
	if err != nil {
		return nil, fmt.Errorf("itsmtest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	req.Header.Set("X-Atlassian-Webhook-Identifier", e.Identifier)
	if secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(e.Body)
		req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	return req, nil
}

func (s *Server) eventBase() string {
	if u := s.URL(); u != "" {
		return u
	}
	return "http://itsmtest.invalid"
}

// newEventLocked builds an event with the common envelope.
func (s *Server) newEventLocked(name string, t *Ticket, extra map[string]any) Event {
	s.eventSeq++
	if s.cfg.hook == nil {
		return Event{} // nobody listens: skip rendering the payload
	}
	now := s.cfg.clock.Now()
	base := s.eventBase()
	payload := map[string]any{
		"timestamp":    now.UnixMilli(),
		"webhookEvent": name,
		"issue": map[string]any{
			"id": t.ID, "self": issueSelf(base, "2", t.ID), "key": t.Key,
			"fields": s.issueFieldsLocked(t, base, "2"),
		},
	}
	if name != EventCommentCreated {
		payload["user"] = s.user(base)
	}
	for k, v := range extra {
		payload[k] = v
	}
	body, err := json.Marshal(payload)
	if err != nil {
		body = []byte(`{}`)
	}
	return Event{
		Name: name, Identifier: strconv.Itoa(s.eventSeq), IssueID: t.ID, Key: t.Key,
		Time: now, Body: body,
	}
}

func (s *Server) createdEventLocked(t *Ticket) Event {
	return s.newEventLocked(EventIssueCreated, t, map[string]any{"issue_event_type_name": "issue_created"})
}

func (s *Server) deletedEventLocked(t *Ticket) Event {
	return s.newEventLocked(EventIssueDeleted, t, map[string]any{"issue_event_type_name": "issue_deleted"})
}

func (s *Server) commentEventLocked(t *Ticket, c Comment) Event {
	return s.newEventLocked(EventCommentCreated, t, map[string]any{
		"comment": s.commentJSON(t, c, s.eventBase(), "2"),
	})
}

// updatedEventLocked builds the jira:issue_updated event for the fields that
// changed between before and t; false when nothing did.
func (s *Server) updatedEventLocked(before Ticket, t *Ticket, eventType string) (Event, bool) {
	var items []any
	item := func(field, fieldType string, from, fromString, to, toString any) {
		items = append(items, map[string]any{
			"field": field, "fieldtype": fieldType, "fieldId": field,
			"from": from, "fromString": fromString, "to": to, "toString": toString,
		})
	}
	if before.Summary != t.Summary {
		item("summary", "jira", nil, before.Summary, nil, t.Summary)
	}
	if !bytes.Equal(before.Description, t.Description) {
		item("description", "jira", nil, nullable(richText(before.Description)), nil, nullable(richText(t.Description)))
	}
	if !slices.Equal(before.Labels, t.Labels) {
		item("labels", "jira", nil, strings.Join(before.Labels, " "), nil, strings.Join(t.Labels, " "))
	}
	if before.Priority != t.Priority {
		item("priority", "jira", nullable(before.Priority), nullable(before.Priority), nullable(t.Priority), nullable(t.Priority))
	}
	if before.IssueType != t.IssueType {
		item("issuetype", "jira", nil, before.IssueType, nil, t.IssueType)
	}
	if before.Status != t.Status {
		wasDone, isDone := before.Status.Category == "done", t.Status.Category == "done"
		if isDone && !wasDone {
			item("resolution", "jira", nil, nil, "10000", "Done")
		} else if wasDone && !isDone {
			item("resolution", "jira", "10000", "Done", nil, nil)
		}
		item("status", "jira", before.Status.ID, before.Status.Name, t.Status.ID, t.Status.Name)
	}
	keys := make([]string, 0, len(t.Fields)+len(before.Fields))
	for k := range t.Fields {
		keys = append(keys, k)
	}
	for k := range before.Fields {
		if _, ok := t.Fields[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if bytes.Equal(before.Fields[k], t.Fields[k]) {
			continue
		}
		ft := "jira"
		if customField.MatchString(k) {
			ft = "custom"
		}
		item(k, ft, nil, rawText(before.Fields[k]), nil, rawText(t.Fields[k]))
	}
	if len(items) == 0 {
		return Event{}, false
	}
	return s.newEventLocked(EventIssueUpdated, t, map[string]any{
		"issue_event_type_name": eventType,
		"changelog":             map[string]any{"id": strconv.Itoa(10000 + s.eventSeq + 1), "items": items},
	}), true
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func rawText(raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	v := gjson.ParseBytes(raw)
	switch {
	case v.Type == gjson.String:
		return v.String()
	case v.IsObject() && v.Get("value").Exists():
		return v.Get("value").String()
	case v.IsObject() && v.Get("name").Exists():
		return v.Get("name").String()
	}
	return v.Raw
}
