package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var sampleCase = itsm.Case{
	ID:          "CASE-1042",
	Title:       `Brute force on "vpn-gw-01"`,
	Description: "Multiple failed logins.\nBlocked at the firewall.",
	Severity:    itsm.SeverityHigh,
	Status:      itsm.StatusInProgress,
	Tags:        []string{"vpn", "auth"},
	Assignee:    "alice@example.com",
	URL:         "https://siem.example.com/cases/1042",
	CreatedAt:   time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC),
	UpdatedAt:   time.Date(2026, 11, 28, 3, 10, 0, 0, time.UTC),
}

func TestPresetGolden(t *testing.T) {
	cfg, err := webhook.Preset(webhook.Options{
		BaseURL: "https://itsm.example.com/api/v1/", ViewURL: "https://itsm.example.com/ui/tickets/$ticket_id",
		Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok-SECRET"},
	})
	require.NoError(t, err)
	cfg.ID = "int-golden"
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	note := itsm.Note{ID: "n1", Text: "Blocked \"the\" IP.", Author: "bob", CreatedAt: time.Date(2026, 11, 28, 3, 5, 0, 0, time.UTC)}
	reqs, err := conn.Preview(sampleCase, &note, &itsm.Ticket{ID: "42"})
	require.NoError(t, err)
	type golden struct {
		Op     string          `json:"op"`
		Method string          `json:"method"`
		URL    string          `json:"url"`
		Auth   string          `json:"authorization"`
		Body   json.RawMessage `json:"body,omitempty"`
	}
	var got []golden
	for _, r := range reqs {
		assert.NotContains(t, r.String(), "SECRET")
		g := golden{Op: string(r.Op), Method: r.Method, URL: r.URL, Auth: r.Header.Get("Authorization")}
		if r.Body != "" {
			g.Body = json.RawMessage(r.Body)
		}
		got = append(got, g)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(got))
	path := filepath.Join("testdata", "preset.json")
	if *update {
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create the golden file")
	assert.JSONEq(t, string(want), buf.String())
}

func TestPresetErrors(t *testing.T) {
	for name, tt := range map[string]struct {
		opts  webhook.Options
		field string
	}{
		"no base url":      {webhook.Options{}, "base_url"},
		"relative":         {webhook.Options{BaseURL: "itsm.example.com"}, "base_url"},
		"query":            {webhook.Options{BaseURL: "https://x.example.com/api?x=1"}, "base_url"},
		"path with query":  {webhook.Options{BaseURL: "https://x.example.com", TicketsPath: "/t?x"}, "tickets_path"},
		"bad view url":     {webhook.Options{BaseURL: "https://x.example.com", ViewURL: "not a url"}, "view_url"},
		"bad auth":         {webhook.Options{BaseURL: "https://x.example.com", Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic}}, "auth."},
		"private disallow": {webhook.Options{BaseURL: "https://10.0.0.5"}, "create.url"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := webhook.Preset(tt.opts)
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			var ve *itsm.ValidationError
			require.True(t, errors.As(err, &ve))
			assert.True(t, strings.HasPrefix(ve.Errors[0].Field, tt.field), "fields: %v", ve.Errors)
		})
	}
}

// TestIntegrationJSONExample loads the documented example, checks that every
// key is one the types know (a marshal round trip keeps them all), and
// drives both halves.
func TestIntegrationJSONExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "integration.json"))
	require.NoError(t, err)
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		require.Contains(t, string(doc), "//\t"+line+"\n", "doc.go's example differs from testdata/integration.json")
	}

	var in webhook.Integration
	require.NoError(t, json.Unmarshal(raw, &in))
	require.NoError(t, in.Validate())
	back, err := in.MarshalSecrets()
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(back), "an unknown or misspelled key in the example")
	redacted, err := json.Marshal(in.Outbound)
	require.NoError(t, err)
	assert.NotContains(t, string(redacted), "ak_live_1234567890")

	in.Outbound.ID = "int-acme"
	conn, err := in.Connector()
	require.NoError(t, err)
	reqs, err := conn.Preview(sampleCase, nil, &itsm.Ticket{ID: "981", Key: "INC-981"})
	require.NoError(t, err)
	require.Len(t, reqs, 5)
	assert.JSONEq(t, `{"subject": "[SIEM] Brute force on \"vpn-gw-01\"", "body": "Multiple failed logins.\nBlocked at the firewall.\n\nCase: https://siem.example.com/cases/1042",
		"urgency": "P2", "labels": ["vpn", "auth"], "external_ref": "`+itsm.CorrelationKey("int-acme", sampleCase.ID)+`"}`, reqs[0].Body)
	assert.Equal(t, "PATCH", reqs[1].Method)
	assert.JSONEq(t, `{"subject": "[SIEM] Brute force on \"vpn-gw-01\"", "urgency": "P2", "state": "assigned"}`, reqs[1].Body)
	assert.Equal(t, httpconn.RedactedMarker, reqs[0].Header.Get("X-Api-Key"))
	assert.Equal(t, "siem", reqs[0].Header.Get("X-Source"))

	p, err := in.Parser()
	require.NoError(t, err)
	evs, err := p.Parse(httptest.NewRequest(http.MethodPost, "/hook", nil), []byte(`{"type": "incident.updated", "delivery_id": "d-1",
		"sent_at": "2026-11-28T04:00:00Z", "incident": {"id": 981, "number": "INC-981", "state": "solved", "urgency": "P1", "revision": 12}}`))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, callback.Event{Kind: callback.EventUpdated, TicketID: "981", TicketKey: "INC-981", Status: "solved", Priority: "P1",
		EventID: "d-1", OccurredAt: time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC), Version: 12}, evs[0])
	res, err := in.Outbound.StatusMap.ToCase(evs[0].Status, evs[0].StatusCategory)
	require.NoError(t, err)
	assert.Equal(t, string(itsm.StatusResolved), res.Value)
}

func TestInboundDefaults(t *testing.T) {
	p, err := callback.NewJSONParser(webhook.Inbound())
	require.NoError(t, err)
	at := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		body   string
		want   []callback.Event
		err    error
	}{
		{"created", "", `{"event_id":"e1","event":"ticket.created","occurred_at":"2026-11-28T04:00:00Z","ticket":{"id":"42","key":"INC-42","status":"open","priority":"high","version":1}}`,
			[]callback.Event{{Kind: callback.EventCreated, TicketID: "42", TicketKey: "INC-42", Status: "open", Priority: "high", EventID: "e1", OccurredAt: at, Version: 1}}, nil},
		{"updated with category, unix ms, id from header", "wh-7", `{"event":"TICKET.UPDATED","occurred_at":1795838400000,"ticket":{"id":42,"status":"Fixed","status_category":"done"}}`,
			[]callback.Event{{Kind: callback.EventUpdated, TicketID: "42", Status: "Fixed", StatusCategory: "done", EventID: "wh-7", OccurredAt: time.UnixMilli(1795838400000).UTC()}}, nil},
		{"deleted", "", `{"event":"ticket.deleted","ticket":{"id":"42"}}`, []callback.Event{{Kind: callback.EventDeleted, TicketID: "42"}}, nil},
		{"comment", "", `{"event":"comment.created","ticket":{"id":"42"},"comment":{"id":"c1","body":"Looks fixed","author":"bob"}}`,
			[]callback.Event{{Kind: callback.EventComment, TicketID: "42", Comment: &callback.Comment{ID: "c1", Body: "Looks fixed", Author: "bob"}}}, nil},
		{"unknown type", "", `{"event":"ticket.assigned","ticket":{"id":"42"}}`, nil, callback.ErrUnsupportedEvent},
		{"other provider", "", `{"webhookEvent":"jira:issue_updated","issue":{"id":"1"}}`, nil, callback.ErrUnsupportedEvent},
		{"no ticket", "", `{"event":"ticket.updated","ticket":{}}`, nil, callback.ErrMalformedPayload},
		{"not json", "", `{"event":`, nil, callback.ErrMalformedPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hook", nil)
			if tt.header != "" {
				r.Header.Set("Webhook-Id", tt.header)
			}
			evs, err := p.Parse(r, []byte(tt.body))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.NotContains(t, err.Error(), tt.body)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, evs)
		})
	}
}

// fakeITSM is a generic REST ticket API in memory, shaped like the preset's
// defaults.
type fakeITSM struct {
	mu       sync.Mutex
	tickets  map[string]map[string]any
	comments map[string][]string
	next     int
	token    string
}

func (f *fakeITSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/tickets"), "/"), "/")
	write := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == http.MethodPost && parts[0] == "":
		var t map[string]any
		if err := json.Unmarshal(body, &t); err != nil {
			write(http.StatusBadRequest, map[string]string{"error": "bad json"})
			return
		}
		f.next++
		id := strconv.Itoa(f.next)
		t["id"] = id
		f.tickets[id] = t
		write(http.StatusCreated, t)
	case r.Method == http.MethodGet && parts[0] == "":
		// The list ignores query parameters it does not know, as most
		// REST list endpoints do (the filter the preset sends is one): it
		// lists every ticket, oldest first. The lookup's match_path is
		// what keeps an unrelated ticket out.
		out := []any{}
		for i := 1; i <= f.next; i++ {
			if t, ok := f.tickets[strconv.Itoa(i)]; ok {
				out = append(out, t)
			}
		}
		write(http.StatusOK, out)
	case len(parts) == 1 && f.tickets[parts[0]] != nil && r.Method == http.MethodPut:
		var t map[string]any
		if err := json.Unmarshal(body, &t); err != nil {
			write(http.StatusBadRequest, map[string]string{"error": "bad json"})
			return
		}
		t["id"] = parts[0]
		f.tickets[parts[0]] = t
		w.WriteHeader(http.StatusNoContent)
	case len(parts) == 1 && f.tickets[parts[0]] != nil && r.Method == http.MethodGet:
		write(http.StatusOK, f.tickets[parts[0]])
	case len(parts) == 2 && parts[1] == "comments" && f.tickets[parts[0]] != nil && r.Method == http.MethodPost:
		var c struct{ Text string }
		_ = json.Unmarshal(body, &c)
		f.comments[parts[0]] = append(f.comments[parts[0]], c.Text)
		write(http.StatusCreated, map[string]any{"id": "c" + strconv.Itoa(len(f.comments[parts[0]]))})
	default:
		write(http.StatusNotFound, map[string]string{"error": "not found"})
	}
}

func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	fake := &fakeITSM{tickets: map[string]map[string]any{}, comments: map[string][]string{}, token: "tok-SECRET"}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	cfg, err := webhook.Preset(webhook.Options{BaseURL: srv.URL + "/api", ViewURL: srv.URL + "/ui/$ticket_id", Lookup: true,
		Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok-SECRET"}, Network: httpconn.NetworkConfig{AllowLoopback: true}})
	require.NoError(t, err)
	cfg.ID = "int-generic"
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: cfg.ID, CooldownPeriod: itsm.Off})
	require.NoError(t, err)

	c := sampleCase
	res, err := syncer.Sync(ctx, c, []itsm.Note{{ID: "n1", Text: "first"}})
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, "1", res.TicketID)
	assert.Equal(t, srv.URL+"/ui/1", res.URL)

	c.Status = itsm.StatusResolved
	res, err = syncer.Sync(ctx, c, []itsm.Note{{ID: "n1", Text: "first"}, {ID: "n2", Text: "second"}})
	require.NoError(t, err)
	assert.True(t, res.Updated)
	assert.Equal(t, 1, res.NotesPosted)

	fake.mu.Lock()
	assert.Equal(t, "resolved", fake.tickets["1"]["status"])
	assert.Equal(t, "high", fake.tickets["1"]["priority"])
	assert.Equal(t, []string{"first", "second"}, fake.comments["1"])
	fake.mu.Unlock()

	found, err := conn.Find(ctx, itsm.SyncRequest{Case: &c, CorrelationKey: itsm.CorrelationKey(cfg.ID, c.ID)})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, "1", found[0].ID)
	got, err := conn.Get(ctx, itsm.Ticket{ID: "1"})
	require.NoError(t, err)
	assert.Equal(t, "resolved", got.Status)

	// A wrong token: a typed error without the secret.
	bad := cfg
	bad.Auth.Token = "wrong-tok-SECRET"
	bconn, err := httpconn.New(bad)
	require.NoError(t, err)
	_, err = bconn.Get(ctx, itsm.Ticket{ID: "1"})
	var he *httpconn.HTTPError
	require.True(t, errors.As(err, &he))
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	assert.NotContains(t, err.Error(), "SECRET")
}

// FuzzInbound: the preset's parser never panics, and what it returns is a
// valid event (or a parse error of the documented kinds).
func FuzzInbound(f *testing.F) {
	p, err := callback.NewJSONParser(webhook.Inbound())
	require.NoError(f, err)
	f.Add([]byte(`{"event_id":"e1","event":"ticket.updated","occurred_at":"2026-11-28T04:00:00Z","ticket":{"id":"42","status":"open","version":3}}`))
	f.Add([]byte(`{"event":"comment.created","ticket":{"id":1},"comment":{"body":"x"}}`))
	f.Add([]byte(`{"event":"ticket.deleted","ticket":{"id":[1]}}`))
	f.Add([]byte(`{"event":"ticket.created","occurred_at":-1,"ticket":{"key":"K","version":"x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/hook", nil)
		evs, err := p.Parse(r, body)
		if err != nil {
			if !errors.Is(err, callback.ErrMalformedPayload) && !errors.Is(err, callback.ErrUnsupportedEvent) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		for _, ev := range evs {
			if verr := ev.Validate(); verr != nil {
				t.Fatalf("invalid event %+v: %v", ev, verr)
			}
		}
	})
}

func TestOptionsMarshalRedacts(t *testing.T) {
	opts := webhook.Options{BaseURL: "https://x.example.com", Auth: httpconn.AuthConfig{Type: httpconn.AuthAPIKey, HeaderName: "X-Key", APIKey: "key-SECRET"}}
	b, err := json.Marshal(opts)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "SECRET")
	assert.Equal(t, "key-SECRET", opts.Auth.APIKey)
}
