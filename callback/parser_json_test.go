package callback_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
)

func TestJSONParserConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   callback.JSONParserConfig
		wants []string // "field: message"
	}{
		{"empty", callback.JSONParserConfig{}, []string{"ticket_id_path: is required"}},
		{"type without kinds", callback.JSONParserConfig{TicketIDPath: "id", EventTypePath: "t"}, []string{"event_kinds: is required"}},
		{"kinds without type", callback.JSONParserConfig{TicketIDPath: "id", EventKinds: map[string]callback.EventKind{"a": callback.EventUpdated}}, []string{"event_type_path: is required"}},
		{"bad kind", callback.JSONParserConfig{TicketIDPath: "id", EventTypePath: "t", EventKinds: map[string]callback.EventKind{"a": "exploded"}}, []string{`event_kinds.a: unknown kind "exploded"`}},
		{"comment without body path", callback.JSONParserConfig{TicketIDPath: "id", EventTypePath: "t", EventKinds: map[string]callback.EventKind{"c": callback.EventComment}}, []string{"comment_body_path: is required"}},
		{"bad default kind", callback.JSONParserConfig{TicketIDPath: "id", DefaultKind: "x"}, []string{"default_kind: unknown kind"}},
		{"all at once", callback.JSONParserConfig{EventTypePath: "t", DefaultKind: "x", EventKinds: map[string]callback.EventKind{"b": "y", "a": "z"}}, []string{
			"ticket_id_path: is required", `event_kinds.a: unknown kind "z"`, `event_kinds.b: unknown kind "y"`, "default_kind: unknown kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := callback.NewJSONParser(tt.cfg)
			fields := make([]string, 0, len(tt.wants))
			for _, w := range tt.wants {
				f, _, _ := strings.Cut(w, ":")
				fields = append(fields, f)
				assert.Contains(t, err.Error(), w)
			}
			fes := requireInvalidConfig(t, err, "parser configuration", fields...)
			assert.Len(t, fes, len(tt.wants), "every problem, each once")
			assert.Equal(t, err.Error(), tt.cfg.Validate().Error())
		})
	}
}

func TestJSONParserConfigJSON(t *testing.T) {
	// The configuration round-trips through JSON (it is the generic preset's
	// saved form).
	in := `{"ticket_id_path":"sys_id","ticket_key_path":"number","status_path":"state","event_type_path":"event",
		"event_kinds":{"incident.updated":"updated"},"timestamp_path":"sys_updated_on","version_path":"sys_mod_count","event_id_header":"X-Delivery"}`
	var cfg callback.JSONParserConfig
	require.NoError(t, json.Unmarshal([]byte(in), &cfg))
	_, err := callback.NewJSONParser(cfg)
	require.NoError(t, err)
	out, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
}

func TestJSONParserParse(t *testing.T) {
	cfg := callback.JSONParserConfig{
		TicketIDPath: "record.id", TicketKeyPath: "record.number", StatusPath: "record.state",
		StatusCategoryPath: "record.category", PriorityPath: "record.priority", EventIDPath: "id",
		EventTypePath: "event", EventKinds: map[string]callback.EventKind{
			"Record.Created": callback.EventCreated, "record.updated": callback.EventUpdated, "note": callback.EventComment,
		},
		TimestampPath: "at", VersionPath: "version",
		CommentBodyPath: "note.text", CommentAuthorPath: "note.by", CommentIDPath: "note.id",
		EventIDHeader: "X-Delivery",
	}
	p, err := callback.NewJSONParser(cfg)
	require.NoError(t, err)
	tests := []struct {
		name string
		body string
		want callback.Event
	}{
		{"all fields, type case-insensitive, numeric id kept exact",
			`{"event":"RECORD.UPDATED","id":"e1","at":"2026-11-28T04:00:00+01:00","version":"12",
			  "record":{"id":12345678901234567890,"number":"INC1","state":"Resolved","category":"done","priority":"High"}}`,
			callback.Event{Kind: callback.EventUpdated, TicketID: "12345678901234567890", TicketKey: "INC1", Status: "Resolved",
				StatusCategory: "done", Priority: "High", EventID: "e1", OccurredAt: time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), Version: 12}},
		{"unix millis, header event id",
			`{"event":"record.created","at":1751280965889,"record":{"id":"148"}}`,
			callback.Event{Kind: callback.EventCreated, TicketID: "148", EventID: "hdr-1", OccurredAt: time.UnixMilli(1751280965889).UTC()}},
		{"comment",
			`{"event":"note","record":{"id":"1"},"note":{"id":7,"text":"hi","by":"ann"}}`,
			callback.Event{Kind: callback.EventComment, TicketID: "1", EventID: "hdr-1", Comment: &callback.Comment{ID: "7", Body: "hi", Author: "ann"}}},
		{"null fields are absent",
			`{"event":"record.updated","at":null,"version":null,"record":{"id":"1","state":null}}`,
			callback.Event{Kind: callback.EventUpdated, TicketID: "1", EventID: "hdr-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("X-Delivery", "hdr-1")
			events, err := p.Parse(r, []byte(tt.body))
			require.NoError(t, err)
			require.Len(t, events, 1)
			got := events[0]
			got.OccurredAt = got.OccurredAt.UTC()
			if tt.want.OccurredAt.IsZero() {
				got.OccurredAt = time.Time{}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestJSONParserErrors(t *testing.T) {
	p, err := callback.NewJSONParser(callback.JSONParserConfig{
		TicketIDPath: "ticket", TimestampPath: "at", VersionPath: "v",
		EventTypePath: "type", EventKinds: map[string]callback.EventKind{"u": callback.EventUpdated},
	})
	require.NoError(t, err)
	tests := []struct {
		name, body string
		want       error
	}{
		{"invalid json", `{"type":`, callback.ErrMalformedPayload},
		{"trailing garbage", `{"type":"u","ticket":"1"} x`, callback.ErrMalformedPayload},
		{"unknown type", `{"type":"x","ticket":"1"}`, callback.ErrUnsupportedEvent},
		{"no type", `{"ticket":"1"}`, callback.ErrUnsupportedEvent},
		{"object as type", `{"type":{},"ticket":"1"}`, callback.ErrUnsupportedEvent},
		{"no ticket", `{"type":"u"}`, callback.ErrMalformedPayload},
		{"object as ticket", `{"type":"u","ticket":{"a":1}}`, callback.ErrMalformedPayload},
		{"bad timestamp", `{"type":"u","ticket":"1","at":"later"}`, callback.ErrMalformedPayload},
		{"negative timestamp", `{"type":"u","ticket":"1","at":-5}`, callback.ErrMalformedPayload},
		{"fractional version", `{"type":"u","ticket":"1","v":1.5}`, callback.ErrMalformedPayload},
		{"negative version", `{"type":"u","ticket":"1","v":-1}`, callback.ErrMalformedPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := p.Parse(nil, []byte(tt.body))
			require.ErrorIs(t, err, tt.want)
			assert.Empty(t, events)
		})
	}
}

func TestJSONParserBatch(t *testing.T) {
	p, err := callback.NewJSONParser(callback.JSONParserConfig{
		EventsPath: "items", TicketIDPath: "id", StatusPath: "s",
		EventTypePath: "t", EventKinds: map[string]callback.EventKind{"u": callback.EventUpdated},
		EventIDHeader: "X-Delivery",
	})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Delivery", "d")
	events, err := p.Parse(r, []byte(`{"items":[{"t":"u","id":"1","s":"Open"},{"t":"zzz","id":"2"},{"t":"u","id":"3","s":"Done"}]}`))
	require.NoError(t, err)
	require.Len(t, events, 2, "unsupported elements are skipped")
	assert.Equal(t, "d#0", events[0].EventID)
	assert.Equal(t, "d#2", events[1].EventID)

	_, err = p.Parse(r, []byte(`{"items":[{"t":"zzz","id":"2"}]}`))
	require.ErrorIs(t, err, callback.ErrUnsupportedEvent)
	_, err = p.Parse(r, []byte(`{"items":{"t":"u"}}`))
	require.ErrorIs(t, err, callback.ErrMalformedPayload)
	_, err = p.Parse(r, []byte(`{"items":[{"t":"u"}]}`))
	require.ErrorIs(t, err, callback.ErrMalformedPayload)
	events, err = p.Parse(r, []byte(`{"items":[]}`))
	require.NoError(t, err)
	assert.Empty(t, events)
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"1764302400", time.Unix(1764302400, 0)},
		{"1764302400.25", time.Unix(1764302400, 250e6)},
		{"1764302400123", time.UnixMilli(1764302400123)},
		{"1764302400123456", time.UnixMicro(1764302400123456)},
		{"1764302400123456789", time.Unix(0, 1764302400123456789)},
		{"2026-11-28T04:00:00Z", time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)},
		{"2026-11-28T04:00:00.5+02:00", time.Date(2026, 11, 28, 2, 0, 0, 500e6, time.UTC)},
		{"2019-02-15T19:11:18.321-0800", time.Date(2019, 2, 16, 3, 11, 18, 321e6, time.UTC)},
		{"2026-11-28T04:00:00", time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)},
		{"2026-11-28 04:00:00", time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := callback.ParseTimestamp(tt.in)
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %v", got)
		})
	}
	for _, bad := range []string{"", "yesterday", "-1", "1e300", "NaN", "2026-13-01T00:00:00Z", strings.Repeat("9", 40)} {
		_, err := callback.ParseTimestamp(bad)
		assert.ErrorIs(t, err, callback.ErrMalformedPayload, bad)
	}
}

// FuzzJSONParser: never panics; errors are one of the two parse sentinels
// and events are valid.
func FuzzJSONParser(f *testing.F) {
	p, err := callback.NewJSONParser(callback.JSONParserConfig{
		EventsPath: "events", TicketIDPath: "id", TicketKeyPath: "key", StatusPath: "status",
		TimestampPath: "at", VersionPath: "v", EventTypePath: "type",
		EventKinds:      map[string]callback.EventKind{"u": callback.EventUpdated, "c": callback.EventComment},
		CommentBodyPath: "body",
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"events":[{"type":"u","id":"1","status":"Done","at":"2026-11-28T04:00:00Z","v":3}]}`))
	f.Add([]byte(`{"events":[{"type":"c","key":"A-1","body":{"x":1}}]}`))
	f.Add([]byte(`{"events":[{"type":"u","id":1e400,"at":1e400}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := p.Parse(nil, body)
		if err != nil {
			if !errors.Is(err, callback.ErrMalformedPayload) && !errors.Is(err, callback.ErrUnsupportedEvent) {
				t.Fatalf("unexpected error kind: %v", err)
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

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"1764302400", "2026-11-28T04:00:00Z", "1.5", "-0", "+1", ".5", "1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := callback.ParseTimestamp(s); err != nil && !errors.Is(err, callback.ErrMalformedPayload) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
