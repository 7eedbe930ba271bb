package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
)

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	got := out.String()
	for _, want := range []string{
		`1. sync created AcmeDesk issue AD-1 (id from the Location header); state "new"`,
		`2. sync updated AD-1 and posted its state: "working", 1 note(s)`,
		`3. AcmeDesk webhook "working" (our own change): 200 {"applied":0,"duplicate":0,"stale":0,"ignored":1}`,
		`SIEM: case CASE-7 is now on_hold (AcmeDesk AD-1 is "waiting")`,
		`reconciler pass: checked 1, applied 1`,
		`5. AcmeDesk webhook "done": 200 {"applied":1,"duplicate":0,"stale":0,"ignored":0}`,
		`6. AcmeDesk retried the delivery: 200 {"applied":0,"duplicate":1,"stale":0,"ignored":0}`,
		`case CASE-7 ends closed`,
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "acme-demo-key")
	assert.NotContains(t, got, "acme-webhook-secret")
}

func TestAcmeParser(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		body    string
		want    []callback.Event
		wantErr error
	}{
		{"state change", `{"type":"issue.state_changed","issue":{"id":"AD-1","state":"done"},"occurred_at":"2026-11-28T09:00:00Z","revision":4}`,
			[]callback.Event{{Kind: callback.EventUpdated, TicketID: "AD-1", Status: "done", OccurredAt: at, Version: 4}}, nil},
		{"deleted", `{"type":"issue.deleted","issue":{"id":"AD-1"}}`,
			[]callback.Event{{Kind: callback.EventDeleted, TicketID: "AD-1"}}, nil},
		{"note", `{"type":"note.added","issue":{"id":"AD-1"},"note":{"id":"N-3","text":"hi","author":"bob"}}`,
			[]callback.Event{{Kind: callback.EventComment, TicketID: "AD-1", Comment: &callback.Comment{ID: "N-3", Body: "hi", Author: "bob"}}}, nil},
		{"note without a note", `{"type":"note.added","issue":{"id":"AD-1"}}`, nil, callback.ErrMalformedPayload},
		{"unknown event type", `{"type":"issue.assigned","issue":{"id":"AD-1"}}`, nil, callback.ErrUnsupportedEvent},
		{"no issue id", `{"type":"issue.state_changed","issue":{"state":"done"}}`, nil, callback.ErrMalformedPayload},
		{"not json", `state=done`, nil, callback.ErrMalformedPayload},
		{"wrong types", `{"type":1,"issue":"AD-1"}`, nil, callback.ErrMalformedPayload},
		{"empty", ``, nil, callback.ErrMalformedPayload},
		{"negative revision", `{"type":"issue.state_changed","issue":{"id":"AD-1","state":"done"},"revision":-1}`, nil, callback.ErrMalformedPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/callback", nil)
			got, err := acmeParser{}.Parse(r, []byte(tt.body))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			for _, ev := range got {
				assert.NoError(t, ev.Validate())
			}
		})
	}
}

func FuzzAcmeParser(f *testing.F) {
	f.Add([]byte(`{"type":"issue.state_changed","issue":{"id":"AD-1","state":"done"},"revision":4}`))
	f.Add([]byte(`{"type":"note.added","issue":{"id":"AD-1"},"note":{"id":"N-3","text":"hi"}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/callback", nil)
		events, err := acmeParser{}.Parse(r, body)
		if err != nil {
			if !errors.Is(err, callback.ErrMalformedPayload) && !errors.Is(err, callback.ErrUnsupportedEvent) {
				t.Fatalf("error outside the parser contract: %v", err)
			}
			if strings.Contains(err.Error(), string(body)) && len(body) > 16 {
				t.Fatalf("error quotes the body: %v", err)
			}
			return
		}
		for _, ev := range events {
			if err := ev.Validate(); err != nil {
				t.Fatalf("parser returned an invalid event: %v", err)
			}
		}
	})
}
