package servicenow

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/tidwall/gjson"
)

// UpdatedOnLayout is the layout of sys_updated_on as the Business Rule sends
// it (GlideRecord.getValue returns the internal value, in UTC).
const UpdatedOnLayout = "2006-01-02 15:04:05"

// Parser reads the callback body the Business Rule of this package's
// documentation sends (ServiceNow has no standard signed webhook, so the
// body is ours):
//
//	{
//	  "sys_id": "c537bae64f411200adf9f8e18110c76e",  // required (or "number")
//	  "number": "INC0010002",
//	  "table": "incident",                            // optional; checked when set
//	  "operation": "update",                          // insert | update | delete; default update
//	  "state": "6",                                   // the new state code, only when it changed
//	  "previous_state": "2",                          // optional
//	  "priority": "2",                                // the new priority, only when it changed
//	  "sys_mod_count": "8",                           // version (string or number)
//	  "sys_updated_on": "2026-11-28 03:14:00",        // UTC, "2006-01-02 15:04:05" (RFC 3339 accepted)
//	  "event_id": "c537...:8"                         // optional; default "<sys_id>:<sys_mod_count>"
//	}
//
// One body is one [callback.Event]: Kind from operation (insert → created,
// delete → deleted, else updated), TicketID sys_id, TicketKey number,
// Status state (empty when absent, or equal to previous_state: not a
// change), Priority priority, Version sys_mod_count, OccurredAt
// sys_updated_on, EventID event_id. Outcomes:
//
//   - not JSON, not an object, sys_id or number of the wrong type, a bad
//     sys_mod_count or sys_updated_on: [callback.ErrMalformedPayload] (400);
//   - valid JSON without sys_id and number (another sender's payload), a
//     table other than the parser's, an unknown operation:
//     [callback.ErrUnsupportedEvent] (acknowledged, ignored with the reason).
//
// An unknown state code is passed through: the status map decides (the
// preset's map ignores unmapped states). The zero value accepts every table;
// Parser is immutable and safe for concurrent use.
type Parser struct {
	// Table, when set, is the only table accepted ("incident"); a body
	// naming another table is an unsupported event.
	Table string
}

var _ callback.Parser = Parser{}

// Parse implements [callback.Parser].
func (p Parser) Parse(_ *http.Request, body []byte) ([]callback.Event, error) {
	if !gjson.ValidBytes(body) {
		return nil, callback.Malformed("body is not valid JSON")
	}
	doc := gjson.ParseBytes(body)
	if !doc.IsObject() {
		return nil, callback.Malformed("body is not a JSON object")
	}
	sysID, err := scalar(doc, "sys_id")
	if err != nil {
		return nil, err
	}
	number, err := scalar(doc, "number")
	if err != nil {
		return nil, err
	}
	if sysID == "" && number == "" {
		return nil, callback.Unsupported("not a ServiceNow callback: no sys_id or number")
	}
	if t, err := scalar(doc, "table"); err != nil {
		return nil, err
	} else if t != "" && p.Table != "" && !strings.EqualFold(t, p.Table) {
		return nil, callback.Unsupported("table " + strconv.Quote(clip.Bytes(t, 40)) + " is not " + strconv.Quote(p.Table))
	}
	e := callback.Event{Kind: callback.EventUpdated, TicketID: sysID, TicketKey: number}
	op, err := scalar(doc, "operation")
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(op) {
	case "", "update":
	case "insert":
		e.Kind = callback.EventCreated
	case "delete":
		e.Kind = callback.EventDeleted
	default:
		return nil, callback.Unsupported("operation " + strconv.Quote(clip.Bytes(op, 32)))
	}
	if e.Status, err = scalar(doc, "state"); err != nil {
		return nil, err
	}
	if prev, err := scalar(doc, "previous_state"); err != nil {
		return nil, err
	} else if prev != "" && prev == e.Status && e.Kind == callback.EventUpdated {
		e.Status = "" // not a change
	}
	if e.Priority, err = scalar(doc, "priority"); err != nil {
		return nil, err
	}
	count, err := scalar(doc, "sys_mod_count")
	if err != nil {
		return nil, err
	}
	if count != "" {
		n, perr := strconv.ParseInt(count, 10, 64)
		if perr != nil || n < 0 {
			return nil, callback.Malformed("sys_mod_count is not a non-negative integer")
		}
		e.Version = n
	}
	updated, err := scalar(doc, "sys_updated_on")
	if err != nil {
		return nil, err
	}
	if updated != "" {
		if e.OccurredAt, err = parseUpdatedOn(updated); err != nil {
			return nil, err
		}
	}
	if e.EventID, err = scalar(doc, "event_id"); err != nil {
		return nil, err
	}
	if e.EventID == "" && sysID != "" && count != "" {
		e.EventID = sysID + ":" + count
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return []callback.Event{e}, nil
}

// parseUpdatedOn reads ServiceNow's "2006-01-02 15:04:05" (UTC), or any
// form [callback.ParseTimestamp] accepts.
func parseUpdatedOn(s string) (time.Time, error) {
	if t, err := time.Parse(UpdatedOnLayout, s); err == nil {
		return t.UTC(), nil
	}
	t, err := callback.ParseTimestamp(s)
	if err != nil {
		return time.Time{}, callback.Malformed("sys_updated_on is not a timestamp")
	}
	return t.UTC(), nil
}

// scalar reads a top-level string or number ("" when absent or null); any
// other type is malformed.
func scalar(doc gjson.Result, key string) (string, error) {
	r := doc.Get(gjsonEscape(key))
	switch r.Type {
	case gjson.Null:
		return "", nil
	case gjson.String:
		return strings.TrimSpace(r.Str), nil
	case gjson.Number:
		return r.Raw, nil
	}
	return "", callback.Malformed(key + " is not a string or number")
}

// gjsonEscape escapes gjson path syntax in a plain key.
func gjsonEscape(k string) string {
	var b strings.Builder
	for _, r := range k {
		switch r {
		case '.', '*', '?', '|', '#', '@', '\\', '!', '=', '<', '>', '%':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Verifier returns the verifier for the Business Rule's deliveries: the
// integration's callback token as "Authorization: Bearer <token>" (the
// script reads it from a system property). tokens must not be nil.
func Verifier(tokens *callback.Tokens, integrationID string) *callback.TokenVerifier {
	return &callback.TokenVerifier{Tokens: tokens, IntegrationID: integrationID}
}
