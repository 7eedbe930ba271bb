package sysaid

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/tidwall/gjson"
)

// DefaultEventIDKeys are the top-level keys the parser reads the payload's
// unique id from, in order. SysAid says "each webhook includes a unique ID
// in the payload" without naming the field (its published sample has
// none), so the common names are tried; without any, the event id is
// "sha256:" and the hex SHA-256 of the body (a redelivery is byte-identical).
var DefaultEventIDKeys = []string{"id", "eventId", "event_id", "webhookId", "webhookEventId", "uuid", "deliveryId", "messageId"}

// Parser reads SysAid webhooks (sr.created, sr.updated):
//
//	{"eventName": "sr.updated", "srId": 148, "sr_version": 7,
//	 "updates": [{"fieldName": "status", "currentValue": "3", "previousValue": "2",
//	              "timestamp": 1751280965889}, ...]}
//
// One body is one [callback.Event] for record srId: Kind created or
// updated; Status and Priority are the currentValue of the latest (by
// timestamp, then position) update whose fieldName is "status" /
// "priority" (case-insensitive) — the numeric ids, mapped by the editable
// status and priority tables ([statusmap.SysAidStatuses]); an update whose
// currentValue equals its previousValue is not a change.
//
// Incremental and Full webhooks. While a user edits a record SysAid sends
// one webhook per field change, without sr_version; when the user leaves
// the record it sends a "Full" webhook with every change of the session and
// the latest sr_version. The version is read from a top-level "sr_version"
// (or "srVersion", "version"), else from an update whose fieldName is
// "sr_version", "srVersion" or "version" (SysAid's own sample carries
// fieldName "version"). Event.Version is that version (0 for an
// incremental webhook) and OccurredAt the latest update timestamp (ms since
// the epoch, or ISO 8601), plus one millisecond for a Full webhook so it is
// newer than the incremental webhooks of its own session. With the
// handler's ordering rule (a higher version when both events have one, else
// a later time) this gives:
//
//   - a Full webhook after the incrementals of its session applies (the
//     snapshot wins a timestamp tie);
//   - an incremental webhook of a later session applies after a Full one
//     (its timestamp is later);
//   - a late incremental of an earlier session, a redelivered or older Full
//     webhook, never overwrites a newer state (older timestamp, or a lower
//     or equal version).
//
// Other outcomes, never a panic: not JSON or not an object, srId missing or
// of a wrong type, updates not a list, a bad timestamp →
// [callback.ErrMalformedPayload] (400); valid JSON without eventName and
// srId (another sender's payload) or another eventName →
// [callback.ErrUnsupportedEvent] (acknowledged, ignored with the reason); an
// update list without status or priority change → no event (acknowledged,
// nothing to apply: an unrelated field change never re-applies an old
// status); an unknown status id → passed through, the status map decides
// (the preset's map ignores it).
//
// The zero value uses the defaults. A Parser is immutable and safe for
// concurrent use.
type Parser struct {
	// EventIDKeys are the top-level keys of the payload's unique id
	// (default [DefaultEventIDKeys]).
	EventIDKeys []string
	// StatusField and PriorityField are the fieldName of status and
	// priority updates (defaults "status", "priority").
	StatusField   string
	PriorityField string
}

var _ callback.Parser = Parser{}

// maxUpdates bounds the updates read from one payload.
const maxUpdates = 10000

type fieldChange struct {
	value string
	at    time.Time
	seen  bool
}

// Parse implements [callback.Parser].
func (p Parser) Parse(_ *http.Request, body []byte) ([]callback.Event, error) {
	if !gjson.ValidBytes(body) {
		return nil, callback.Malformed("body is not valid JSON")
	}
	doc := gjson.ParseBytes(body)
	if !doc.IsObject() {
		return nil, callback.Malformed("body is not a JSON object")
	}
	name := doc.Get("eventName")
	sr := doc.Get("srId")
	if !name.Exists() && !sr.Exists() {
		return nil, callback.Unsupported("not a SysAid webhook: no eventName or srId")
	}
	if name.Type != gjson.String {
		return nil, callback.Malformed("eventName is not a string")
	}
	var kind callback.EventKind
	switch strings.ToLower(strings.TrimSpace(name.Str)) {
	case EventSRCreated:
		kind = callback.EventCreated
	case EventSRUpdated:
		kind = callback.EventUpdated
	default:
		return nil, callback.Unsupported("event " + strconv.Quote(clip.Bytes(name.Str, 40)))
	}
	srID, ok := scalar(sr)
	if !ok || srID == "" {
		return nil, callback.Malformed("sr event without a srId")
	}

	statusField, prioField := orDefault(p.StatusField, "status"), orDefault(p.PriorityField, "priority")
	var status, prio, version fieldChange
	var latest time.Time
	updates := doc.Get("updates")
	switch {
	case !updates.Exists() || updates.Type == gjson.Null:
	case !updates.IsArray():
		return nil, callback.Malformed("updates is not a list")
	default:
		var perr error
		i := 0
		updates.ForEach(func(_, u gjson.Result) bool {
			if i++; i > maxUpdates {
				perr = callback.Malformed("too many updates")
				return false
			}
			if !u.IsObject() {
				perr = callback.Malformed("an update is not an object")
				return false
			}
			field, ok := scalar(u.Get("fieldName"))
			if !ok {
				perr = callback.Malformed("an update's fieldName is not a string")
				return false
			}
			cur, ok1 := scalar(u.Get("currentValue"))
			prev, ok2 := scalar(u.Get("previousValue"))
			if !ok1 || !ok2 {
				perr = callback.Malformed("an update's value is not a scalar")
				return false
			}
			var at time.Time
			if ts := u.Get("timestamp"); ts.Exists() && ts.Type != gjson.Null {
				raw, ok := scalar(ts)
				if !ok {
					perr = callback.Malformed("an update's timestamp is not a number or string")
					return false
				}
				t, err := callback.ParseTimestamp(raw)
				if err != nil {
					perr = callback.Malformed("an update's timestamp is not a timestamp")
					return false
				}
				at = t.UTC()
				if at.After(latest) {
					latest = at
				}
			}
			switch {
			case strings.EqualFold(field, statusField):
				take(&status, cur, prev, at, kind)
			case strings.EqualFold(field, prioField):
				take(&prio, cur, prev, at, kind)
			case strings.EqualFold(field, "sr_version"), strings.EqualFold(field, "srVersion"), strings.EqualFold(field, "version"):
				take(&version, cur, "", at, callback.EventCreated)
			}
			return true
		})
		if perr != nil {
			return nil, perr
		}
	}

	e := callback.Event{Kind: kind, TicketID: srID, Status: status.value, Priority: prio.value, OccurredAt: latest}
	v, found, err := topVersion(doc)
	if err != nil {
		return nil, err
	}
	if !found && version.seen && version.value != "" {
		n, perr := strconv.ParseInt(version.value, 10, 64)
		if perr != nil || n < 0 {
			return nil, callback.Malformed("the version update is not a non-negative integer")
		}
		v, found = n, true
	}
	if found {
		e.Version = v
		if !e.OccurredAt.IsZero() {
			e.OccurredAt = e.OccurredAt.Add(time.Millisecond) // a Full snapshot wins ties with its incrementals
		}
	}
	e.EventID = p.eventID(doc, body)
	if e.Status == "" && e.Priority == "" {
		return []callback.Event{}, nil
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return []callback.Event{e}, nil
}

// take records a field change when it is the latest so far. For an updated
// record, a currentValue equal to previousValue is not a change.
func take(f *fieldChange, cur, prev string, at time.Time, kind callback.EventKind) {
	if cur == "" || (kind == callback.EventUpdated && cur == prev) {
		return
	}
	if f.seen && at.Before(f.at) {
		return
	}
	*f = fieldChange{value: cur, at: at, seen: true}
}

func topVersion(doc gjson.Result) (int64, bool, error) {
	for _, k := range []string{"sr_version", "srVersion", "version"} {
		r := doc.Get(k)
		if !r.Exists() || r.Type == gjson.Null {
			continue
		}
		s, ok := scalar(r)
		if !ok {
			return 0, false, callback.Malformed(k + " is not a number")
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, false, callback.Malformed(k + " is not a non-negative integer")
		}
		return n, true, nil
	}
	return 0, false, nil
}

func (p Parser) eventID(doc gjson.Result, body []byte) string {
	keys := p.EventIDKeys
	if keys == nil {
		keys = DefaultEventIDKeys
	}
	// One pass over the top-level keys; the earliest key in keys wins.
	best, bestRank := "", len(keys)
	doc.ForEach(func(k, v gjson.Result) bool {
		for i := 0; i < bestRank; i++ {
			if k.Str == keys[i] {
				if s, ok := scalar(v); ok && s != "" {
					best, bestRank = s, i
				}
				break
			}
		}
		return bestRank > 0
	})
	if best != "" {
		return clip.Bytes(best, 200)
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// scalar returns a string, number or boolean as text ("" for absent or
// null); objects and arrays are not scalars.
func scalar(r gjson.Result) (string, bool) {
	switch r.Type {
	case gjson.Null:
		return "", true
	case gjson.String:
		return strings.TrimSpace(r.Str), true
	case gjson.Number:
		return r.Raw, true
	case gjson.True:
		return "true", true
	case gjson.False:
		return "false", true
	}
	return "", false
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
