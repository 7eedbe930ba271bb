package jira

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/internal/clip"
)

// DeliveryIDHeader is the header carrying a Jira webhook delivery's id,
// stable across Jira's retries of one delivery
// (callback.HandlerConfig.DeliveryIDHeader). Jira's signature does not
// cover it, so the handler reports it (to the updater and the audit) but
// deduplicates by a digest of the signed body: a captured delivery re-sent
// under a fresh id is not applied again.
const DeliveryIDHeader = "X-Atlassian-Webhook-Identifier"

// Jira webhook event names (the "webhookEvent" field).
const (
	EventIssueCreated   = "jira:issue_created"
	EventIssueUpdated   = "jira:issue_updated"
	EventIssueDeleted   = "jira:issue_deleted"
	EventCommentCreated = "comment_created"
	EventCommentUpdated = "comment_updated"
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
//     (a string, or Atlassian Document Format flattened to text) and author
//     (the issue id from the comment's self URL when the payload, as Jira
//     Server's, has no issue);
//   - "comment_updated" → callback.EventComment for the edit: Comment.Edited
//     is the comment's "updated" time, the author its updateAuthor, EventID
//     "comment:<id>:edited:<unix ms>" (no time at all is
//     callback.ErrMalformedPayload);
//   - a "jira:issue_updated" whose changelog has a "Key" item (the issue
//     moved to another project) sets Event.PreviousTicketKey to its
//     fromString when its toString is issue.key;
//   - a "jira:issue_updated" carrying a top-level comment: for
//     issue_commented and issue_comment_edited the comment event alone (an
//     edit as for comment_updated), for any other type (a transition with a
//     comment) the update and then the comment; issue_comment_deleted adds
//     none;
//   - any other webhookEvent (worklog, sprint, comment_deleted ...) →
//     callback.ErrUnsupportedEvent (acknowledged, ignored); a JSON body
//     without webhookEvent nor issue_event_type_name (another provider's
//     payload) → callback.ErrUnsupportedEvent too. When webhookEvent is
//     absent, issue_event_type_name ("issue_created", "issue_deleted", any
//     other issue_* → updated) decides.
//
// TicketID is issue.id and TicketKey issue.key (links may hold either).
// OccurredAt is the payload's "timestamp" (Unix milliseconds). EventID is
// "changelog:<id>", "comment:<id>" or "deleted:<issue id>:<timestamp>",
// stable across Jira's retries; the handler deduplicates by the signed body
// itself (X-Atlassian-Webhook-Identifier, [DeliveryIDHeader], is not
// signed). Jira sends no
// record version. Invalid JSON, or an issue event without issue.id and
// issue.key, is callback.ErrMalformedPayload.
//
// The zero value is ready to use; a Parser is safe for concurrent use.
type Parser struct{}

var _ callback.Parser = Parser{}

// Parse implements callback.Parser.
func (Parser) Parse(_ *http.Request, body []byte) ([]callback.Event, error) {
	// One pass validates the body and finds every value the parser may
	// need; only those few values are then read (with gjson, on copies),
	// so no event retains the body.
	var sp [numPaths]callback.JSONSpan
	if !jiraPaths.Scan(body, sp[:]) {
		return nil, callback.Malformed("body is not valid json")
	}
	if i := firstByte(body); i < 0 || body[i] != '{' {
		return nil, callback.Unsupported("body is not a json object")
	}
	// Like the top level read member by member, the first "issue",
	// "changelog" ... wins; a nested value counts only when it lies in it.
	top := payload{
		webhookEvent:  value(body, sp[pWebhookEvent]),
		eventTypeName: value(body, sp[pEventTypeName]),
		timestamp:     value(body, sp[pTimestamp]),
	}
	comment := lazyValue{body: body, span: sp[pComment]}
	kind, err := eventKind(top, &comment)
	if err != nil {
		return nil, err
	}
	// Each nested value is looked for only inside its container as the
	// member-by-member reading found it: sp[pStatus] lies in sp[pIssue]
	// when found, so a status name inside it is inside the issue too.
	issue, changelogSpan := sp[pIssue], sp[pChangelog]
	if !sp[pStatus].Within(issue) {
		sp[pStatus] = callback.JSONSpan{}
	}
	if !sp[pPriority].Within(issue) {
		sp[pPriority] = callback.JSONSpan{}
	}
	in := func(p int, outer callback.JSONSpan) gjson.Result {
		if !sp[p].Within(outer) {
			return gjson.Result{}
		}
		return value(body, sp[p])
	}
	ev := callback.Event{
		Kind:      kind,
		TicketID:  idString(in(pIssueID, issue)),
		TicketKey: idString(in(pIssueKey, issue)),
	}
	if ev.TicketID == "" && ev.TicketKey == "" && kind == callback.EventComment {
		// Jira Server's comment_created carries no issue: its id is in
		// the comment's self URL (.../rest/api/2/issue/10013/comment/10082).
		ev.TicketID = issueIDFromSelf(str(comment.get().Get("self")))
	}
	if ev.TicketID == "" && ev.TicketKey == "" {
		return nil, callback.Malformed("event without issue.id or issue.key")
	}
	if ev.OccurredAt, err = timestamp(top.timestamp); err != nil {
		return nil, err
	}
	switch kind {
	case callback.EventCreated:
		st := sp[pStatus]
		ev.Status = str(in(pStatusName, st))
		ev.StatusCategory = str(in(pStatusCategory, st))
		ev.Priority = str(in(pPriorityName, sp[pPriority]))
		ev.EventID = prefixed("changelog:", idString(in(pChangelogID, changelogSpan)))
	case callback.EventUpdated:
		status, priority, key := changelog(in(pChangelogItems, changelogSpan))
		if key.ok && key.to != "" && strings.TrimSpace(key.to) == ev.TicketKey {
			// Moved to another project: the key changed, the id did not.
			ev.PreviousTicketKey = strings.TrimSpace(key.from)
		}
		if status.ok {
			ev.Status = status.to
			st := sp[pStatus]
			if strings.EqualFold(strings.TrimSpace(str(in(pStatusName, st))), strings.TrimSpace(status.to)) {
				ev.StatusCategory = str(in(pStatusCategory, st))
			}
		}
		if priority.ok {
			ev.Priority = priority.to
			if ev.Priority == "" {
				ev.Priority = str(in(pPriorityName, sp[pPriority]))
			}
		}
		ev.EventID = prefixed("changelog:", idString(in(pChangelogID, changelogSpan)))
	case callback.EventDeleted:
		if ev.TicketID != "" && !ev.OccurredAt.IsZero() {
			ev.EventID = "deleted:" + ev.TicketID + ":" + strconv.FormatInt(ev.OccurredAt.UnixMilli(), 10)
		}
	case callback.EventComment:
		cev, err := commentEvent(ev, comment.get(), commentEdited(top))
		if err != nil {
			return nil, err
		}
		return []callback.Event{cev}, nil
	}
	// A comment carried inside jira:issue_updated (issue_commented,
	// issue_comment_edited, or a transition with a comment) is a comment
	// event too, next to the update; the applier applies it once even
	// when comment_created brings it again.
	if kind == callback.EventUpdated && str(top.eventTypeName) != "issue_comment_deleted" {
		if c := comment.get(); c.IsObject() {
			cev, err := commentEvent(callback.Event{Kind: callback.EventComment, TicketID: ev.TicketID, TicketKey: ev.TicketKey, OccurredAt: ev.OccurredAt},
				c, str(top.eventTypeName) == "issue_comment_edited")
			if err != nil {
				return nil, err
			}
			if str(top.eventTypeName) == "issue_commented" || str(top.eventTypeName) == "issue_comment_edited" {
				// Nothing else changed: the comment is the event.
				return []callback.Event{cev}, nil
			}
			return []callback.Event{ev, cev}, nil
		}
	}
	return []callback.Event{ev}, nil
}

// commentEdited reports a comment_updated delivery.
func commentEdited(top payload) bool { return str(top.webhookEvent) == EventCommentUpdated }

// commentEvent fills ev (a comment event) from the comment object c. An
// edited comment carries its edit time (Comment.Edited, from "updated") and
// the EventID "comment:<id>:edited:<unix ms>", so each edit is applied once
// and apart from the comment's creation.
func commentEvent(ev callback.Event, c gjson.Result, edited bool) (callback.Event, error) {
	if !c.IsObject() {
		return ev, callback.Malformed("comment event without a comment")
	}
	ev.Comment = &callback.Comment{
		ID:       idString(c.Get("id")),
		Body:     commentBody(c.Get("body")),
		Author:   firstNonEmpty(c.Get("author.displayName"), c.Get("author.name"), c.Get("author.accountId")),
		AuthorID: firstNonEmpty(c.Get("author.accountId"), c.Get("author.key"), c.Get("author.name")),
	}
	ev.EventID = prefixed("comment:", ev.Comment.ID)
	if edited {
		t, err := callback.ParseTimestamp(str(c.Get("updated")))
		if err != nil || t.IsZero() {
			t = ev.OccurredAt
		}
		if t.IsZero() {
			return ev, callback.Malformed("edited comment without an updated time")
		}
		ev.Comment.Edited = t
		ev.Comment.Author = firstNonEmpty(c.Get("updateAuthor.displayName"), c.Get("updateAuthor.name"), c.Get("updateAuthor.accountId"), c.Get("author.displayName"))
		ev.Comment.AuthorID = firstNonEmpty(c.Get("updateAuthor.accountId"), c.Get("updateAuthor.key"), c.Get("updateAuthor.name"), c.Get("author.accountId"))
		if ev.EventID != "" {
			ev.EventID += ":edited:" + strconv.FormatInt(t.UnixMilli(), 10)
		}
	}
	if ev.OccurredAt.IsZero() {
		if t, err := callback.ParseTimestamp(str(c.Get("created"))); err == nil {
			ev.OccurredAt = t
		}
	}
	return ev, nil
}

// issueIDFromSelf reads the issue id from a comment's self URL
// (".../rest/api/2/issue/<id>/comment/<comment id>"), "" when it has none.
func issueIDFromSelf(self string) string {
	_, rest, ok := strings.Cut(self, "/issue/")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, "/comment/")
	if !ok || id == "" || len(id) > 32 || strings.Trim(id, "0123456789") != "" {
		return ""
	}
	return id
}

// The paths the parser reads, in the order of jiraPaths.
const (
	pWebhookEvent = iota
	pEventTypeName
	pTimestamp
	pIssue
	pChangelog
	pComment
	pIssueID
	pIssueKey
	pStatus
	pPriority
	pStatusName
	pStatusCategory
	pPriorityName
	pChangelogID
	pChangelogItems
	numPaths
)

var jiraPaths = callback.NewJSONPaths(
	"webhookEvent", "issue_event_type_name", "timestamp", "issue", "changelog", "comment",
	"issue.id", "issue.key", "issue.fields.status", "issue.fields.priority",
	"issue.fields.status.name", "issue.fields.status.statusCategory.key", "issue.fields.priority.name",
	"changelog.id", "changelog.items",
)

// value reads the value at s (a copy: it does not retain body); the zero
// Result when s is not found.
func value(body []byte, s callback.JSONSpan) gjson.Result {
	if !s.Found() {
		return gjson.Result{}
	}
	return gjson.ParseBytes(body[s.Start:s.End])
}

// lazyValue reads a value only when asked (the comment is read only by
// comment events).
type lazyValue struct {
	body []byte
	span callback.JSONSpan
	v    gjson.Result
	done bool
}

func (l *lazyValue) get() gjson.Result {
	if !l.done {
		l.v, l.done = value(l.body, l.span), true
	}
	return l.v
}

// firstByte is the index of b's first non-whitespace byte, -1 when none.
func firstByte(b []byte) int {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return -1
}

// payload holds the top-level members the parser reads first.
type payload struct {
	webhookEvent, eventTypeName, timestamp gjson.Result
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
			return time.Time{}, callback.Malformed("timestamp is not unix milliseconds")
		}
		return time.UnixMilli(n), nil
	case gjson.String:
		if n, err := strconv.ParseInt(strings.TrimSpace(ts.Str), 10, 64); err == nil && n >= 0 {
			return time.UnixMilli(n), nil
		}
		return callback.ParseTimestamp(ts.Str)
	}
	return time.Time{}, callback.Malformed("timestamp is not unix milliseconds")
}

func eventKind(doc payload, comment *lazyValue) (callback.EventKind, error) {
	if we := doc.webhookEvent; we.Exists() {
		switch name := str(we); name {
		case EventIssueCreated:
			return callback.EventCreated, nil
		case EventIssueUpdated:
			return callback.EventUpdated, nil
		case EventIssueDeleted:
			return callback.EventDeleted, nil
		case EventCommentCreated, EventCommentUpdated:
			return callback.EventComment, nil
		default:
			return "", callback.Unsupported(fmt.Sprintf("event type %q", clip.Bytes(name, 64)))
		}
	}
	it := doc.eventTypeName
	if !it.Exists() {
		return "", callback.Unsupported("not a jira webhook (no webhookEvent)")
	}
	switch name := str(it); {
	case name == "issue_created":
		return callback.EventCreated, nil
	case name == "issue_deleted":
		return callback.EventDeleted, nil
	case name == "issue_commented":
		if comment.get().IsObject() {
			return callback.EventComment, nil
		}
		return callback.EventUpdated, nil
	case strings.HasPrefix(name, "issue_"):
		return callback.EventUpdated, nil
	default:
		return "", callback.Unsupported(fmt.Sprintf("event type %q", clip.Bytes(name, 64)))
	}
}

type item struct {
	from, to string
	ok       bool
}

// changelog finds the status, priority and key items: by fieldId when the
// item has one (Cloud), else by field (Server), case-insensitively; the key
// item (an issue moved to another project) is the one whose field is "Key"
// (its fieldId, when present, is "issuekey"). The last matching item wins.
// Each item is read in one pass over its members (the first of a repeated
// member counts, as with gjson.Get).
func changelog(items gjson.Result) (status, priority, key item) {
	if !items.IsArray() {
		return
	}
	items.ForEach(func(_, it gjson.Result) bool {
		if !it.IsObject() {
			return true
		}
		var m struct {
			fieldID, field, to, from        gjson.Result
			hasID, hasField, hasTo, hasFrom bool
		}
		it.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "fieldId":
				if !m.hasID {
					m.fieldID, m.hasID = v, true
				}
			case "field":
				if !m.hasField {
					m.field, m.hasField = v, true
				}
			case "toString":
				if !m.hasTo {
					m.to, m.hasTo = v, true
				}
			case "fromString":
				if !m.hasFrom {
					m.from, m.hasFrom = v, true
				}
			}
			return true
		})
		if f := strings.TrimSpace(str(m.field)); strings.EqualFold(f, "key") || strings.EqualFold(strings.TrimSpace(str(m.fieldID)), "issuekey") {
			key = item{from: str(m.from), to: str(m.to), ok: true}
			return true
		}
		name := m.fieldID
		if !name.Exists() || name.Type == gjson.Null {
			name = m.field
		}
		switch n := strings.TrimSpace(str(name)); {
		case strings.EqualFold(n, "status"):
			if to := str(m.to); to != "" {
				status = item{to: to, ok: true}
			}
		case strings.EqualFold(n, "priority"):
			priority = item{to: str(m.to), ok: true}
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
