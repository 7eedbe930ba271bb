package sysaid_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, body string) ([]callback.Event, error) {
	t.Helper()
	return sysaid.Parser{}.Parse(httptest.NewRequest(http.MethodPost, "/hooks/sysaid", nil), []byte(body))
}

func TestParserPublishedSample(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("testdata", "sr_created_sample.json"))
	require.NoError(t, err)
	evs, err := sysaid.Parser{}.Parse(nil, body)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	e := evs[0]
	sum := sha256.Sum256(body)
	assert.Equal(t, callback.Event{
		Kind:     callback.EventCreated,
		TicketID: "148",
		Status:   "1",
		Priority: "1",
		Version:  1, // the sample's update fieldName "version"
		// the update timestamp (ms) plus the millisecond a versioned snapshot gets
		OccurredAt: time.UnixMilli(1751280965889 + 1).UTC(),
		EventID:    "sha256:" + hex.EncodeToString(sum[:16]), // the sample has no id field
	}, e)

	m := statusmap.SysAidStatuses()
	r, err := m.ToCase(e.Status, "")
	require.NoError(t, err)
	assert.Equal(t, string(itsm.StatusOpen), r.Value)
}

func upd(field, cur, prev string, ts int64) string {
	return fmt.Sprintf(`{"fieldName":%q,"currentValue":%q,"previousValue":%q,"timestamp":%d}`, field, cur, prev, ts)
}

func body(event string, extra string, updates ...string) string {
	b := `{"eventName":"` + event + `","srId":148`
	if extra != "" {
		b += "," + extra
	}
	return b + `,"updates":[` + strings.Join(updates, ",") + `]}`
}

func TestParser(t *testing.T) {
	t.Parallel()
	const ts = 1751280965889
	at := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	tests := []struct {
		name  string
		body  string
		want  []callback.Event
		errIs error
		msg   string
	}{
		{
			name: "incremental status change",
			body: body("sr.updated", `"id":"evt-1"`, upd("status", "2", "1", ts)),
			want: []callback.Event{{Kind: callback.EventUpdated, TicketID: "148", Status: "2", OccurredAt: at(ts), EventID: "evt-1"}},
		},
		{
			name: "full webhook with top-level sr_version: latest status wins",
			body: body("sr.updated", `"sr_version":7,"eventId":"e-9"`,
				upd("status", "2", "1", ts), upd("title", "x", "y", ts+5), upd("status", "3", "2", ts+10), upd("priority", "4", "2", ts+3)),
			want: []callback.Event{{Kind: callback.EventUpdated, TicketID: "148", Status: "3", Priority: "4", Version: 7,
				OccurredAt: at(ts + 10 + 1), EventID: "e-9"}},
		},
		{
			name: "full webhook with sr_version as an update",
			body: body("sr.updated", `"id":1234`, upd("status", "5", "2", ts), upd("sr_version", "12", "11", ts)),
			want: []callback.Event{{Kind: callback.EventUpdated, TicketID: "148", Status: "5", Version: 12, OccurredAt: at(ts + 1), EventID: "1234"}},
		},
		{
			name: "iso 8601 timestamps",
			body: `{"eventName":"sr.updated","srId":"148","id":"a","updates":[{"fieldName":"Status","currentValue":3,"previousValue":2,"timestamp":"2026-11-28T03:14:00Z"}]}`,
			want: []callback.Event{{Kind: callback.EventUpdated, TicketID: "148", Status: "3", OccurredAt: time.Date(2026, 11, 28, 3, 14, 0, 0, time.UTC), EventID: "a"}},
		},
		{
			name: "update list without status or priority: nothing to apply",
			body: body("sr.updated", `"id":"e"`, upd("title", "new", "old", ts), upd("assignee", "bob", "adm", ts)),
			want: []callback.Event{},
		},
		{
			name: "status equal to previous is not a change",
			body: body("sr.updated", `"id":"e"`, upd("status", "2", "2", ts)),
			want: []callback.Event{},
		},
		{
			name: "no updates at all",
			body: `{"eventName":"sr.updated","srId":148,"id":"e"}`,
			want: []callback.Event{},
		},
		{
			name: "unknown status id passes through",
			body: body("sr.updated", `"id":"e"`, upd("status", "42", "1", ts)),
			want: []callback.Event{{Kind: callback.EventUpdated, TicketID: "148", Status: "42", OccurredAt: at(ts), EventID: "e"}},
		},
		{name: "not json", body: `{"eventName":`, errIs: callback.ErrMalformedPayload},
		{name: "array", body: `[]`, errIs: callback.ErrMalformedPayload},
		{name: "no srId", body: `{"eventName":"sr.updated","updates":[]}`, errIs: callback.ErrMalformedPayload, msg: "srId"},
		{name: "srId object", body: `{"eventName":"sr.updated","srId":{"id":1}}`, errIs: callback.ErrMalformedPayload},
		{name: "updates not a list", body: `{"eventName":"sr.updated","srId":1,"updates":{}}`, errIs: callback.ErrMalformedPayload},
		{name: "update not an object", body: `{"eventName":"sr.updated","srId":1,"updates":[1]}`, errIs: callback.ErrMalformedPayload},
		{name: "bad timestamp", body: body("sr.updated", "", `{"fieldName":"status","currentValue":"1","timestamp":"soon"}`), errIs: callback.ErrMalformedPayload},
		{name: "bad version", body: body("sr.updated", `"sr_version":"v7"`, upd("status", "1", "2", ts)), errIs: callback.ErrMalformedPayload},
		{name: "jira payload", body: `{"webhookEvent":"jira:issue_updated","issue":{"id":"10042"}}`, errIs: callback.ErrUnsupportedEvent, msg: "not a SysAid webhook"},
		{name: "servicenow payload", body: `{"sys_id":"abc","state":"6"}`, errIs: callback.ErrUnsupportedEvent},
		{name: "other event", body: `{"eventName":"asset.updated","srId":1}`, errIs: callback.ErrUnsupportedEvent, msg: "asset.updated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			evs, err := parse(t, tc.body)
			if tc.errIs != nil {
				require.ErrorIs(t, err, tc.errIs)
				assert.Contains(t, err.Error(), tc.msg)
				assert.Empty(t, evs)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, evs)
		})
	}
}

// TestOrdering runs webhook sequences through the handler's ordering rule
// (itsm.InboundState.NewerThan) and checks the status the case ends with.
func TestOrdering(t *testing.T) {
	t.Parallel()
	const t0 = 1751280000000
	incr := func(status string, ms int64) string {
		return body("sr.updated", "", upd("status", status, "x", ms))
	}
	full := func(version int, ms int64, statuses ...string) string {
		var us []string
		for i, s := range statuses {
			us = append(us, upd("status", s, "x", ms-int64(len(statuses)-1-i)*1000))
		}
		return body("sr.updated", fmt.Sprintf(`"sr_version":%d`, version), us...)
	}
	tests := []struct {
		name    string
		bodies  []string
		want    string
		applied int
	}{
		{"incrementals then their full", []string{incr("2", t0), incr("5", t0+1000), full(4, t0+1000, "2", "5")}, "5", 3},
		{"full then a later incremental applies", []string{full(4, t0, "2"), incr("3", t0+60000)}, "3", 2},
		{"redelivered older full never overwrites", []string{full(4, t0, "2"), incr("3", t0+60000), full(4, t0, "2")}, "3", 2},
		{"older full after newer full", []string{full(5, t0+5000, "3"), full(4, t0, "2")}, "3", 1},
		{"late incremental of an earlier session", []string{full(4, t0+2000, "5"), incr("2", t0+1000)}, "5", 1},
		{"lost incremental repaired by the full", []string{incr("2", t0), full(4, t0+1000, "2", "6")}, "6", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var state itsm.InboundState
			have, status, applied := false, "", 0
			for _, b := range tc.bodies {
				evs, err := parse(t, b)
				require.NoError(t, err)
				for _, e := range evs {
					next := itsm.InboundState{Version: e.Version, OccurredAt: e.OccurredAt, Status: e.Status}
					if have && !next.NewerThan(state) {
						continue // stale
					}
					state, have, status = next, true, e.Status
					applied++
				}
			}
			assert.Equal(t, tc.want, status)
			assert.Equal(t, tc.applied, applied)
		})
	}
}

func TestVerifier(t *testing.T) {
	t.Parallel()
	v, err := sysaid.Verifier("subscription-secret")
	require.NoError(t, err)
	payload := []byte(body("sr.updated", "", upd("status", "3", "2", 1751280965889)))
	h := v.Sign(payload, time.Now())
	r := httptest.NewRequest(http.MethodPost, "/hooks/sysaid", nil)
	r.Header.Set("X-Sysaid-Signature", h.Get("X-Sysaid-Signature"))
	require.NoError(t, v.Verify(r, payload))

	r.Header.Set("X-Sysaid-Signature", strings.TrimPrefix(h.Get("X-Sysaid-Signature"), "sha256="))
	require.NoError(t, v.Verify(r, payload), "the bare hex form is accepted too")

	tampered := append([]byte(nil), payload...)
	tampered[len(tampered)-3] = '9'
	err = v.Verify(r, tampered)
	require.ErrorIs(t, err, callback.ErrInvalidSignature)
	assert.NotContains(t, err.Error(), "subscription-secret")

	_, err = sysaid.Verifier()
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "secrets", ve.Errors[0].Field)
	assert.Equal(t, "X-Sysaid-Signature", sysaid.VerifierConfig("s").Header)
}

func FuzzParser(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "sr_created_sample.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(body("sr.updated", `"sr_version":7`, upd("status", "3", "2", 1751280965889))))
	f.Add([]byte(`{"eventName":"sr.updated","srId":1,"updates":[{"fieldName":"status","currentValue":{},"timestamp":-1}]}`))
	f.Add([]byte(`{"eventName":"sr.updated","srId":1e999,"sr_version":-3}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := sysaid.Parser{}.Parse(nil, b)
		if err != nil {
			if !errors.Is(err, callback.ErrMalformedPayload) && !errors.Is(err, callback.ErrUnsupportedEvent) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for _, e := range evs {
			if verr := e.Validate(); verr != nil {
				t.Fatalf("invalid event %+v: %v", e, verr)
			}
			if e.Status == "" && e.Priority == "" {
				t.Fatalf("event without a change: %+v", e)
			}
		}
	})
}
