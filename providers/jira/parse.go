package jira

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/itsmsync/itsmsync/callback"
)

// DeliveryIDHeader is the header carrying a Jira webhook delivery's id; it is
// stable across Jira's retries of one delivery, so it is the dedup key
// (callback.HandlerConfig.DeliveryIDHeader).
const DeliveryIDHeader = "X-Atlassian-Webhook-Identifier"

// Jira webhook event names (the "webhookEvent" field).
const (
	EventIssueCreated   = "jira:issue_created"
	EventIssueUpdated   = "jira:issue_updated"
	EventIssueDeleted   = "jira:issue_deleted"
	EventCommentCreated = "comment_created"
)

// Parser is the callback.Parser of Jira Cloud and Jira Data Center/Server
// webhooks. It reads one event per delivery:
//
//   - "jira:issue_created" → callback.EventCreated, with the issue's
//     status (fields.status.name and its statusCategory key) and priority
//     (fields.priority.name);
//   - "jira:issue_updated" → callback.EventUpdated. The status is taken
//     from the changelog item whose fieldId is "status" (Cloud), or, for
//     items without a fieldId (Server), whose field is "status" — both
//     case-insensitively — using its toString; the category comes from
//     fields.status.statusCategory.key when fields.status.name is that same
//     status. An update without a status item has an empty Status (it is
//     still an event: it may change the priority, taken from the changelog's
//     priority item); the applier ignores it as "no change" when nothing
//     else maps, so an unrelated edit never re-applies an old status;
//   - "jira:issue_deleted" → callback.EventDeleted (no status: the
//     integration's DeletedStatus decides what the case does);
//   - "comment_created" → callback.EventComment with the comment's id, body
//     (a string, or Atlassian Document Format flattened to text) and author;
//   - any other webhookEvent (worklog, sprint, comment_updated ...) →
//     callback.ErrUnsupportedEvent (acknowledged, ignored); a JSON body
//     without webhookEvent nor issue_event_type_name (another provider's
//     payload) → callback.ErrUnsupportedEvent too. When webhookEvent is
//     absent, issue_event_type_name ("issue_created", "issue_deleted", any
//     other issue_* → updated) decides.
//
// TicketID is issue.id and TicketKey issue.key (links may hold either).
// OccurredAt is the payload's "timestamp" (Unix milliseconds). EventID is
// "changelog:<id>", "comment:<id>" or "deleted:<issue id>:<timestamp>",
// stable across Jira's retries; the handler prefers the
// X-Atlassian-Webhook-Identifier header ([DeliveryIDHeader]). Jira sends no
// record version. Invalid JSON, or an issue event without issue.id and
// issue.key, is callback.ErrMalformedPayload.
//
// The zero value is ready to use; a Parser is safe for concurrent use.
type Parser struct{}

var _ callback.Parser = Parser{}

// Parse implements callback.Parser.
func (Parser) Parse(_ *http.Request, body []byte) ([]callback.Event, error) {
	if !callback.ValidJSON(body) {
		return nil, callback.Malformed("jira: body is not valid json")
	}
	doc := gjson.ParseBytes(body)
	if !doc.IsObject() {
		return nil, callback.Unsupported("jira: body is not a json object")
	}
	// One pass over the top level and one over the issue: the issue is
	// most of a 6 KB body, and every gjson Get rescans what it skips.
	var top payload
	doc.ForEach(func(k, v gjson.Result) bool {
		top.set(k.Str, v)
		return true
	})
	kind, err := eventKind(top)
	if err != nil {
		return nil, err
	}
	// id and key come first in Jira's issue object, so these Gets stop
	// early; fields.status and fields.priority are read only when needed,
	// each a partial scan of the fields.
	issue := issueFields{id: top.issue.Get("id"), key: top.issue.Get("key"), issue: top.issue}
	ev := callback.Event{
		Kind:      kind,
		TicketID:  idString(issue.id),
		TicketKey: idString(issue.key),
	}
	if ev.TicketID == "" && ev.TicketKey == "" {
		return nil, callback.Malformed("jira: event without issue.id or issue.key")
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
		status, priority := changelog(top.changelog.Get("items"))
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
		c := top.comment
		if !c.IsObject() {
			return nil, callback.Malformed("jira: comment event without a comment")
		}
		ev.Comment = &callback.Comment{
			ID:       idString(c.Get("id")),
			Body:     commentBody(c.Get("body")),
			Author:   firstNonEmpty(c.Get("author.displayName"), c.Get("author.name"), c.Get("author.accountId")),
			AuthorID: firstNonEmpty(c.Get("author.accountId"), c.Get("author.key"), c.Get("author.name")),
		}
		ev.EventID = prefixed("comment:", ev.Comment.ID)
		if ev.OccurredAt.IsZero() {
			if t, err := callback.ParseTimestamp(str(c.Get("created"))); err == nil {
				ev.OccurredAt = t
			}
		}
	}
	return []callback.Event{ev}, nil
}

// payload holds the top-level members the parser reads. Like gjson.Get, the
// first occurrence of a duplicated key wins.
type payload struct {
	webhookEvent, eventTypeName, timestamp, issue, changelog, comment gjson.Result
}

func (p *payload) set(k string, v gjson.Result) {
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
type issueFields struct {
	id, key, issue gjson.Result
}

// get reads issue.fields.<name>.
func (f issueFields) get(name string) gjson.Result {
	return f.issue.Get("fields." + name)
}

// timestamp reads the payload's "timestamp": Unix milliseconds (Jira always
// sends milliseconds, so the unit is not guessed), or a date string.
func timestamp(ts gjson.Result) (time.Time, error) {
	switch ts.Type {
	case gjson.Null:
		return time.Time{}, nil
	case gjson.Number:
		n, err := strconv.ParseInt(ts.Raw, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, callback.Malformed("jira: timestamp is not unix milliseconds")
		}
		return time.UnixMilli(n), nil
	case gjson.String:
		if n, err := strconv.ParseInt(strings.TrimSpace(ts.Str), 10, 64); err == nil && n >= 0 {
			return time.UnixMilli(n), nil
		}
		t, err := callback.ParseTimestamp(ts.Str)
		if err != nil {
			return time.Time{}, fmt.Errorf("jira: timestamp: %w", err)
		}
		return t, nil
	}
	return time.Time{}, callback.Malformed("jira: timestamp is not unix milliseconds")
}

func eventKind(doc payload) (callback.EventKind, error) {
	if we := doc.webhookEvent; we.Exists() {
		switch name := str(we); name {
		case EventIssueCreated:
			return callback.EventCreated, nil
		case EventIssueUpdated:
			return callback.EventUpdated, nil
		case EventIssueDeleted:
			return callback.EventDeleted, nil
		case EventCommentCreated:
			return callback.EventComment, nil
		default:
			return "", callback.Unsupported(fmt.Sprintf("jira: event type %q", truncate(name, 64)))
		}
	}
	it := doc.eventTypeName
	if !it.Exists() {
		return "", callback.Unsupported("jira: not a jira webhook (no webhookEvent)")
	}
	switch name := str(it); {
	case name == "issue_created":
		return callback.EventCreated, nil
	case name == "issue_deleted":
		return callback.EventDeleted, nil
	case name == "issue_commented":
		if doc.comment.IsObject() {
			return callback.EventComment, nil
		}
		return callback.EventUpdated, nil
	case strings.HasPrefix(name, "issue_"):
		return callback.EventUpdated, nil
	default:
		return "", callback.Unsupported(fmt.Sprintf("jira: event type %q", truncate(name, 64)))
	}
}

type item struct {
	to string
	ok bool
}

// changelog finds the status and priority items: by fieldId when the item
// has one (Cloud), else by field (Server), case-insensitively. The last
// matching item wins.
func changelog(items gjson.Result) (status, priority item) {
	if !items.IsArray() {
		return
	}
	items.ForEach(func(_, it gjson.Result) bool {
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

// commentBody returns a comment body: a string as is, Atlassian Document
// Format (REST v3) flattened to text, one line per block.
func commentBody(b gjson.Result) string {
	switch {
	case b.Type == gjson.String:
		return b.Str
	case b.IsObject():
		var sb strings.Builder
		adfText(&sb, b, 0)
		return strings.TrimSpace(sb.String())
	}
	return ""
}

// maxADFDepth bounds recursion on hostile documents.
const maxADFDepth = 32

func adfText(sb *strings.Builder, n gjson.Result, depth int) {
	if depth > maxADFDepth {
		return
	}
	switch str(n.Get("type")) {
	case "text":
		sb.WriteString(str(n.Get("text")))
		return
	case "hardBreak":
		sb.WriteByte('\n')
		return
	case "mention":
		sb.WriteString(str(n.Get("attrs.text")))
		return
	}
	n.Get("content").ForEach(func(_, c gjson.Result) bool {
		adfText(sb, c, depth+1)
		return true
	})
	switch str(n.Get("type")) {
	case "paragraph", "heading", "listItem", "codeBlock", "blockquote":
		sb.WriteByte('\n')
	}
}

// str is a result's string value when it is a string or number, else "".
func str(r gjson.Result) string {
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Number:
		return r.Raw
	}
	return ""
}

// idString reads an id as written (numbers keep every digit).
func idString(r gjson.Result) string { return strings.TrimSpace(str(r)) }

func firstNonEmpty(rs ...gjson.Result) string {
	for _, r := range rs {
		if s := str(r); s != "" {
			return s
		}
	}
	return ""
}

func prefixed(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}
