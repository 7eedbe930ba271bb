package callback

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/itsmsync/itsmsync/internal/clip"
)

// JSONParserConfig configures a [JSONParser]: where in a JSON body each
// [Event] field is, as gjson paths (https://github.com/tidwall/gjson, e.g.
// "issue.fields.status.name", "data.0.id"). It is plain data, serializable
// as JSON: the inbound half of the generic webhook preset. Empty paths mean
// "the payload does not carry this".
type JSONParserConfig struct {
	// EventsPath, when set, is the path of an array of events in the body
	// (a batch); every other path is then relative to one element. When
	// empty the body is one event.
	EventsPath string `json:"events_path,omitempty"`
	// TicketIDPath is the ticket's id. Required (unless TicketKeyPath is
	// set).
	TicketIDPath string `json:"ticket_id_path,omitempty"`
	// TicketKeyPath is the ticket's human key, when it has one.
	TicketKeyPath string `json:"ticket_key_path,omitempty"`
	// StatusPath is the ITSM status label; StatusCategoryPath its category.
	StatusPath         string `json:"status_path,omitempty"`
	StatusCategoryPath string `json:"status_category_path,omitempty"`
	// PriorityPath is the ITSM priority label.
	PriorityPath string `json:"priority_path,omitempty"`
	// EventIDPath is the payload's unique event id (for dedup).
	EventIDPath string `json:"event_id_path,omitempty"`
	// EventTypePath is the event type; with it, EventKinds maps its values
	// (compared case-insensitively) to kinds, and a type not in EventKinds is
	// an unsupported event (acknowledged and ignored). Without it every
	// event has DefaultKind.
	EventTypePath string               `json:"event_type_path,omitempty"`
	EventKinds    map[string]EventKind `json:"event_kinds,omitempty"`
	// DefaultKind is the kind when EventTypePath is empty; "" means
	// [EventUpdated].
	DefaultKind EventKind `json:"default_kind,omitempty"`
	// TimestampPath is when the change happened: an RFC 3339 / ISO 8601
	// string, or Unix seconds, milliseconds, microseconds or nanoseconds
	// (number or numeric string; the unit is detected from the magnitude).
	// See [ParseTimestamp].
	TimestampPath string `json:"timestamp_path,omitempty"`
	// VersionPath is the record version (an integer, or a numeric string).
	VersionPath string `json:"version_path,omitempty"`
	// CommentBodyPath, CommentAuthorPath and CommentIDPath read the comment
	// of comment events. CommentBodyPath is required when EventKinds maps a
	// type to [EventComment].
	CommentBodyPath   string `json:"comment_body_path,omitempty"`
	CommentAuthorPath string `json:"comment_author_path,omitempty"`
	CommentIDPath     string `json:"comment_id_path,omitempty"`
	// EventIDHeader, when set, names a request header whose value is the
	// EventID of events whose payload has none (EventIDPath empty or
	// missing). With a batch, the header's value is suffixed "#<index>".
	EventIDHeader string `json:"event_id_header,omitempty"`
}

// Validate reports every problem of the configuration at once: an error
// holding an *itsm.ValidationError (errors.As) that matches
// itsm.ErrInvalidConfig.
func (c JSONParserConfig) Validate() error {
	var p fieldErrors
	if strings.TrimSpace(c.TicketIDPath) == "" && strings.TrimSpace(c.TicketKeyPath) == "" {
		p.add("ticket_id_path", "is required (or ticket_key_path)")
	}
	if c.EventTypePath != "" && len(c.EventKinds) == 0 {
		p.add("event_kinds", "is required with event_type_path")
	}
	if c.EventTypePath == "" && len(c.EventKinds) > 0 {
		p.add("event_type_path", "is required with event_kinds")
	}
	comments := c.DefaultKind == EventComment
	for _, k := range slices.Sorted(maps.Keys(c.EventKinds)) {
		v := c.EventKinds[k]
		if !v.Valid() {
			p.add("event_kinds."+clip.Bytes(k, 64), "unknown kind %q", clip.Bytes(string(v), 32))
		}
		comments = comments || v == EventComment
	}
	if c.DefaultKind != "" && !c.DefaultKind.Valid() {
		p.add("default_kind", "unknown kind %q", clip.Bytes(string(c.DefaultKind), 32))
	}
	if comments && strings.TrimSpace(c.CommentBodyPath) == "" {
		p.add("comment_body_path", "is required when an event type maps to comment")
	}
	return p.err("parser configuration", false)
}

// JSONParser is a [Parser] configured by gjson paths ([JSONParserConfig]):
// it handles any ITSM whose webhook body is JSON, without code. It is
// immutable and safe for concurrent use.
type JSONParser struct {
	cfg   JSONParserConfig
	kinds map[string]EventKind // lower-cased event type -> kind
}

// NewJSONParser validates cfg (see [JSONParserConfig.Validate]) and
// returns the parser. It keeps no reference to cfg.EventKinds.
func NewJSONParser(cfg JSONParserConfig) (*JSONParser, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &JSONParser{cfg: cfg, kinds: make(map[string]EventKind, len(cfg.EventKinds))}
	p.cfg.EventKinds = nil
	for k, v := range cfg.EventKinds {
		p.kinds[strings.ToLower(strings.TrimSpace(k))] = v
	}
	if p.cfg.DefaultKind == "" {
		p.cfg.DefaultKind = EventUpdated
	}
	return p, nil
}

// Parse implements [Parser]. An invalid JSON body, an EventsPath that is not
// an array, a missing ticket id, or a timestamp or version that does not
// parse is [ErrMalformedPayload]; an event type not in EventKinds (or a
// missing one) is [ErrUnsupportedEvent]. In a batch, unsupported elements
// are skipped (the others are returned); when every element is unsupported
// the first reason is returned.
func (p *JSONParser) Parse(r *http.Request, body []byte) ([]Event, error) {
	if !ValidJSON(body) {
		return nil, Malformed("body is not valid json")
	}
	header := ""
	if p.cfg.EventIDHeader != "" && r != nil {
		header = r.Header.Get(p.cfg.EventIDHeader)
	}
	if p.cfg.EventsPath == "" {
		ev, err := p.parseOne(gjson.ParseBytes(body), header)
		if err != nil {
			return nil, err
		}
		return []Event{ev}, nil
	}
	arr := gjson.GetBytes(body, p.cfg.EventsPath)
	if !arr.IsArray() {
		return nil, Malformed("events_path is not an array")
	}
	var (
		events      []Event
		unsupported error
		i           int
	)
	var perr error
	arr.ForEach(func(_, elem gjson.Result) bool {
		h := header
		if h != "" {
			h += "#" + strconv.Itoa(i)
		}
		i++
		ev, err := p.parseOne(elem, h)
		switch {
		case errors.Is(err, ErrUnsupportedEvent):
			if unsupported == nil {
				unsupported = err
			}
		case err != nil:
			perr = err
			return false
		default:
			events = append(events, ev)
		}
		return true
	})
	if perr != nil {
		return nil, perr
	}
	if len(events) == 0 && unsupported != nil {
		return nil, unsupported
	}
	return events, nil
}

func (p *JSONParser) get(doc gjson.Result, path string) gjson.Result {
	if path == "" {
		return gjson.Result{}
	}
	return doc.Get(path)
}

// scalar reads a string or number at path ("" when missing or null); an
// object or array there is malformed.
func (p *JSONParser) scalar(doc gjson.Result, path, field string) (string, error) {
	v := p.get(doc, path)
	switch v.Type {
	case gjson.Null:
		return "", nil
	case gjson.JSON:
		return "", Malformed(field + " is not a scalar")
	case gjson.Number:
		return v.Raw, nil // ids as written: floats would lose digits
	}
	return v.String(), nil
}

func (p *JSONParser) parseOne(doc gjson.Result, header string) (Event, error) {
	ev := Event{Kind: p.cfg.DefaultKind}
	if p.cfg.EventTypePath != "" {
		t := p.get(doc, p.cfg.EventTypePath)
		if !t.Exists() || t.Type == gjson.JSON {
			return Event{}, Unsupported("no event type")
		}
		k, ok := p.kinds[strings.ToLower(strings.TrimSpace(t.String()))]
		if !ok {
			return Event{}, Unsupported(fmt.Sprintf("event type %q", clip.Bytes(t.String(), 64)))
		}
		ev.Kind = k
	}
	var err error
	fields := []struct {
		dst   *string
		path  string
		field string
	}{
		{&ev.TicketID, p.cfg.TicketIDPath, "ticket id"},
		{&ev.TicketKey, p.cfg.TicketKeyPath, "ticket key"},
		{&ev.Status, p.cfg.StatusPath, "status"},
		{&ev.StatusCategory, p.cfg.StatusCategoryPath, "status category"},
		{&ev.Priority, p.cfg.PriorityPath, "priority"},
		{&ev.EventID, p.cfg.EventIDPath, "event id"},
	}
	for _, f := range fields {
		if *f.dst, err = p.scalar(doc, f.path, f.field); err != nil {
			return Event{}, err
		}
	}
	if ev.TicketID == "" && ev.TicketKey == "" {
		return Event{}, Malformed("no ticket id")
	}
	if ev.EventID == "" {
		ev.EventID = header
	}
	if ts := p.get(doc, p.cfg.TimestampPath); ts.Exists() && ts.Type != gjson.Null {
		s := ts.Raw
		if ts.Type == gjson.String {
			s = ts.Str
		}
		if ev.OccurredAt, err = ParseTimestamp(s); err != nil {
			return Event{}, err
		}
	}
	if v := p.get(doc, p.cfg.VersionPath); v.Exists() && v.Type != gjson.Null {
		s := v.Raw
		if v.Type == gjson.String {
			s = strings.TrimSpace(v.Str)
		}
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || n < 0 {
			return Event{}, Malformed("version is not a non-negative integer")
		}
		ev.Version = n
	}
	if ev.Kind == EventComment {
		c := &Comment{}
		if c.Body, err = p.scalar(doc, p.cfg.CommentBodyPath, "comment body"); err != nil {
			return Event{}, err
		}
		if c.Author, err = p.scalar(doc, p.cfg.CommentAuthorPath, "comment author"); err != nil {
			return Event{}, err
		}
		if c.ID, err = p.scalar(doc, p.cfg.CommentIDPath, "comment id"); err != nil {
			return Event{}, err
		}
		ev.Comment = c
	}
	return ev, nil
}

// timeLayouts are the string forms ParseTimestamp accepts besides numbers.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700", // Jira: 2019-02-15T19:11:18.321-0800
	"2006-01-02T15:04:05.999999999",      // no zone: UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// ParseTimestamp parses a timestamp as webhooks send them: RFC 3339 / ISO
// 8601 ("2019-02-15T19:11:18.321-08:00", "...-0800", "...Z", without a zone
// meaning UTC, a space instead of the T), or a Unix time as a decimal number
// whose unit is detected from its magnitude: below 1e11 seconds (fractions
// allowed), below 1e14 milliseconds, below 1e17 microseconds, else
// nanoseconds. Errors wrap [ErrMalformedPayload] and do not quote s.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, Malformed("empty timestamp")
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return unixAuto(n)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			if f < 0 || f >= 1e11 || math.IsNaN(f) {
				return time.Time{}, Malformed("timestamp out of range")
			}
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, Malformed("timestamp is neither rfc 3339 nor unix time")
}

func unixAuto(n int64) (time.Time, error) {
	switch {
	case n < 0:
		return time.Time{}, Malformed("timestamp out of range")
	case n < 1e11:
		return time.Unix(n, 0).UTC(), nil
	case n < 1e14:
		return time.UnixMilli(n).UTC(), nil
	case n < 1e17:
		return time.UnixMicro(n).UTC(), nil
	}
	return time.Unix(0, n).UTC(), nil
}
