package rt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/rt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The two bodies of testdata/rt/README.md.
const (
	statusBody = `{"version":1,"event":"status","ticket_id":"42","queue":"General","status":"resolved","old_status":"open",
		"transaction_id":"1234","transaction_type":"Status","time":"2025-01-02T03:04:05Z","comment":null,"actor":"root"}`
	commentBody = `{"version":1,"event":"comment","ticket_id":"42","queue":"General","status":"open","old_status":null,
		"transaction_id":"1240","transaction_type":"Comment","time":"2025-01-02T03:05:00Z","comment":"plain text of the comment\nsecond line","actor":"root"}`
)

func TestParser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		parser  rt.Parser
		body    string
		want    callback.Event
		wantErr error
	}{
		{name: "status", body: statusBody, want: callback.Event{Kind: callback.EventUpdated, TicketID: "42", Status: "resolved",
			EventID: "rt:1234", Version: 1234, OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}},
		{name: "comment", body: commentBody, want: callback.Event{Kind: callback.EventComment, TicketID: "42", EventID: "rt:1240", Version: 1240,
			OccurredAt: time.Date(2025, 1, 2, 3, 5, 0, 0, time.UTC),
			Comment:    &callback.Comment{ID: "1240", Body: "plain text of the comment\nsecond line", Author: "root", AuthorID: "root"}}},
		{name: "numbers and no change", body: `{"event":"status","ticket_id":7,"transaction_id":9,"status":"open","old_status":"open"}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "7", EventID: "rt:9", Version: 9}},
		{name: "deleted", body: `{"event":"status","ticket_id":"7","transaction_id":"10","status":"deleted","old_status":"open"}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "7", Status: "deleted", EventID: "rt:10", Version: 10}},
		{name: "queue matches", parser: rt.Parser{Queue: "general"}, body: statusBody, want: callback.Event{Kind: callback.EventUpdated,
			TicketID: "42", Status: "resolved", EventID: "rt:1234", Version: 1234, OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}},
		{name: "other queue", parser: rt.Parser{Queue: "Security"}, body: statusBody, wantErr: callback.ErrUnsupportedEvent},
		{name: "other sender", body: `{"hello":"world"}`, wantErr: callback.ErrUnsupportedEvent},
		{name: "other version", body: `{"version":2,"event":"status","ticket_id":"1","transaction_id":"2"}`, wantErr: callback.ErrUnsupportedEvent},
		{name: "unknown event", body: `{"event":"merge","ticket_id":"1","transaction_id":"2"}`, wantErr: callback.ErrUnsupportedEvent},
		{name: "not json", body: `{"event":`, wantErr: callback.ErrMalformedPayload},
		{name: "array", body: `[1]`, wantErr: callback.ErrMalformedPayload},
		{name: "bad ticket", body: `{"event":"status","ticket_id":"4x","transaction_id":"2"}`, wantErr: callback.ErrMalformedPayload},
		{name: "negative ticket", body: `{"event":"status","ticket_id":-1,"transaction_id":"2"}`, wantErr: callback.ErrMalformedPayload},
		{name: "no transaction", body: `{"event":"status","ticket_id":"1"}`, wantErr: callback.ErrMalformedPayload},
		{name: "object status", body: `{"event":"status","ticket_id":"1","transaction_id":"2","status":{}}`, wantErr: callback.ErrMalformedPayload},
		{name: "bad time", body: `{"event":"status","ticket_id":"1","transaction_id":"2","time":"yesterday"}`, wantErr: callback.ErrMalformedPayload},
		{name: "comment without text", body: `{"event":"comment","ticket_id":"1","transaction_id":"2","comment":null}`, wantErr: callback.ErrMalformedPayload},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			evs, err := tc.parser.Parse(nil, []byte(tc.body))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, evs, 1)
			assert.Equal(t, tc.want, evs[0])
		})
	}
}

func FuzzParser(f *testing.F) {
	for _, s := range []string{statusBody, commentBody, `{}`, `{"ticket_id":"1"}`, `{"event":"comment","ticket_id":1,"transaction_id":1,"comment":""}`, "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := rt.Parser{}.Parse(nil, body)
		if err != nil {
			assert.Empty(t, evs)
			return
		}
		require.Len(t, evs, 1)
		require.NoError(t, evs[0].Validate())
		assert.True(t, strings.HasPrefix(evs[0].EventID, "rt:"))
		assert.Positive(t, evs[0].Version)
	})
}

// TestHandlerWebhook sends what the Scrip sends through the callback
// handler: a forged or token-less delivery is 401 and changes nothing, a
// status change applies once, the comment comes through.
func TestHandlerWebhook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New()
	require.NoError(t, store.PutLink(ctx, itsm.Link{IntegrationID: "rt-test", CaseID: "case-9", TicketID: "42"}))
	tokens, err := callback.NewTokens(store, callback.TokensConfig{})
	require.NoError(t, err)
	issued, err := tokens.Generate(ctx, callback.TokenRequest{IntegrationID: "rt-test", AppName: "RT Scrip"})
	require.NoError(t, err)
	statuses := rt.Statuses()
	sm, err := statuses.Compile()
	require.NoError(t, err)

	var mu sync.Mutex
	status := itsm.StatusInProgress
	var notes []string
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{IntegrationID: "rt-test", Store: store, StatusMap: sm, Comments: true,
			Updater: callback.CaseUpdaterFunc(func(_ context.Context, c callback.TicketChange) error {
				mu.Lock()
				defer mu.Unlock()
				if c.Status != "" {
					status = c.Status
				}
				if c.Comment != nil {
					notes = append(notes, c.Comment.Body)
				}
				return nil
			})},
		Verifier: rt.Verifier(tokens, "rt-test"),
		Parser:   rt.Parser{},
	})
	require.NoError(t, err)
	send := func(body, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/itsm/callback/rt", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	current := func() itsm.Status {
		mu.Lock()
		defer mu.Unlock()
		return status
	}

	assert.Equal(t, http.StatusUnauthorized, send(statusBody, "").Code)
	assert.Equal(t, http.StatusUnauthorized, send(statusBody, "Bearer "+issued.Token+"x").Code)
	assert.Equal(t, http.StatusUnauthorized, send(statusBody, "token "+issued.Token).Code, "RT's own token scheme is not the callback's")
	assert.Equal(t, itsm.StatusInProgress, current())

	w := send(statusBody, "Bearer "+issued.Token)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, itsm.StatusResolved, current())
	w = send(statusBody, "Bearer "+issued.Token)
	assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String())

	w = send(commentBody, "Bearer "+issued.Token)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"plain text of the comment\nsecond line"}, notes)
}
