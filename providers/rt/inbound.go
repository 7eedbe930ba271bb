package rt

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/tidwall/gjson"
)

// WebhookVersion is the body version [Parser] reads.
const WebhookVersion = 1

// Parser reads the body the RT-side Scrip sends (RT has no built-in
// webhooks; testdata/rt/README.md in this package is the contract, the
// Scrip ships beside it):
//
//	{
//	  "version": 1,
//	  "event": "status",                 // "status" | "comment"
//	  "ticket_id": "42",                 // required (string or number)
//	  "queue": "General",
//	  "status": "resolved",              // status events: the new status
//	  "old_status": "open",
//	  "transaction_id": "1234",          // required: event id, version, comment id
//	  "transaction_type": "Status",      // Status | Comment | Correspond
//	  "time": "2025-01-02T03:04:05Z",    // RFC 3339, UTC
//	  "comment": null,                   // comment events: the plain text
//	  "actor": "root"
//	}
//
// One body is one [callback.Event]: "status" → EventUpdated with Status
// (empty when equal to old_status: not a change), "comment" →
// EventComment with Comment{ID: transaction_id, Body: comment, Author:
// actor}; TicketID ticket_id, EventID "rt:<transaction_id>", Version
// transaction_id (RT's transaction ids grow), OccurredAt time. The
// "status" key of a comment event is the ticket's current status, not a
// change, and is ignored. Outcomes:
//
//   - not JSON, not an object, a key of the wrong type, a ticket or
//     transaction id that is not a positive integer, a bad time, a comment
//     event without a comment: [callback.ErrMalformedPayload] (400);
//   - valid JSON without ticket_id (another sender), another version, an
//     unknown event, a queue other than the parser's:
//     [callback.ErrUnsupportedEvent] (acknowledged, ignored with the
//     reason).
//
// Parser is immutable and safe for concurrent use; the zero value accepts
// every queue.
type Parser struct {
	// Queue, when set, is the only queue accepted (compared without case);
	// a delivery about another queue is an unsupported event.
	Queue string
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
	ticket, err := scalar(doc, "ticket_id")
	if err != nil {
		return nil, err
	}
	if ticket == "" {
		return nil, callback.Unsupported("not an RT webhook: no ticket_id")
	}
	if !positive(ticket) {
		return nil, callback.Malformed("ticket_id is not a positive integer")
	}
	if v, err := scalar(doc, "version"); err != nil {
		return nil, err
	} else if v != "" && v != strconv.Itoa(WebhookVersion) {
		return nil, callback.Unsupported("webhook body version " + strconv.Quote(clip.Bytes(v, 16)))
	}
	if q, err := scalar(doc, "queue"); err != nil {
		return nil, err
	} else if q != "" && p.Queue != "" && !strings.EqualFold(q, p.Queue) {
		return nil, callback.Unsupported("queue " + strconv.Quote(clip.Bytes(q, 40)) + " is not " + strconv.Quote(p.Queue))
	}
	txn, err := scalar(doc, "transaction_id")
	if err != nil {
		return nil, err
	}
	if !positive(txn) {
		return nil, callback.Malformed("transaction_id is not a positive integer")
	}
	version, _ := strconv.ParseInt(txn, 10, 64)
	e := callback.Event{TicketID: ticket, EventID: "rt:" + txn, Version: version}
	if ts, err := scalar(doc, "time"); err != nil {
		return nil, err
	} else if ts != "" {
		t, perr := callback.ParseTimestamp(ts)
		if perr != nil {
			return nil, callback.Malformed("time is not a timestamp")
		}
		e.OccurredAt = t.UTC()
	}
	event, err := scalar(doc, "event")
	if err != nil {
		return nil, err
	}
	actor, err := scalar(doc, "actor")
	if err != nil {
		return nil, err
	}
	switch event {
	case "status":
		e.Kind = callback.EventUpdated
		if e.Status, err = scalar(doc, "status"); err != nil {
			return nil, err
		}
		old, err := scalar(doc, "old_status")
		if err != nil {
			return nil, err
		}
		if old != "" && strings.EqualFold(old, e.Status) {
			e.Status = ""
		}
	case "comment":
		e.Kind = callback.EventComment
		c := doc.Get("comment")
		if c.Type != gjson.String {
			return nil, callback.Malformed("comment event without a comment string")
		}
		e.Comment = &callback.Comment{ID: txn, Body: c.Str, Author: actor, AuthorID: actor}
	default:
		return nil, callback.Unsupported("event " + strconv.Quote(clip.Bytes(event, 32)))
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return []callback.Event{e}, nil
}

// positive reports whether s is a positive decimal integer that fits an
// int64.
func positive(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == s
}

// scalar reads a top-level string or number ("" when absent or null); any
// other type is malformed.
func scalar(doc gjson.Result, key string) (string, error) {
	r := doc.Get(key)
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

// Verifier returns the verifier for the Scrip's deliveries: the
// integration's callback token as "Authorization: Bearer <token>" (the
// Scrip reads it from RT's configuration). A delivery without it, or with
// a token that is not the integration's, is refused (401) before anything
// is parsed. tokens must not be nil.
func Verifier(tokens *callback.Tokens, integrationID string) *callback.TokenVerifier {
	return &callback.TokenVerifier{Tokens: tokens, IntegrationID: integrationID}
}
