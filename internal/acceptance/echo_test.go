package acceptance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// ITSMs written in other languages echo a refused password in their JSON
// error bodies with their own escaping. Every form must be redacted from
// the error a host logs.
func TestEchoedPasswordEncodings(t *testing.T) {
	const pw = `pa<s>s"w&rd/é+=`
	htmlJSON, err := json.Marshal(pw) // Go: <, >, & as \u003c ...
	require.NoError(t, err)
	var plain strings.Builder
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(pw))
	tests := []struct {
		name, echo string
	}{
		{"raw", pw},
		{"json without html escaping", strings.TrimSpace(plain.String())},
		{"url query escaping", url.QueryEscape(pw)},
		{"base64", base64.StdEncoding.EncodeToString([]byte(pw))},
		{"go json.Marshal (html escaping)", string(htmlJSON)},
		{"php json_encode (escaped slashes, \\u unicode)", `"pa<s>s\"w&rd\/\u00e9+="`},
		{"python json.dumps (ensure_ascii)", `"pa<s>s\"w&rd/\u00e9+="`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"detail": "user u with ` + strings.Trim(tt.echo, `"`) + ` is locked"}`))
			}))
			t.Cleanup(srv.Close)
			cfg, err := webhook.Preset(webhook.Options{BaseURL: srv.URL, Network: httpconn.NetworkConfig{AllowLoopback: true},
				Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "u", Password: pw}})
			require.NoError(t, err)
			cfg = cfg.Merge(httpconn.Config{})
			conn, err := httpconn.New(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			s, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: cfg.ID})
			require.NoError(t, err)
			_, err = s.Sync(ctx, itsm.Case{ID: "c", Title: "t"}, nil)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), strings.Trim(tt.echo, `"`))
			assert.Contains(t, err.Error(), "is locked", "the rest of the body is kept")
		})
	}
}

// echoCases records the ticket changes the inbound handler applies.
type echoCases struct {
	mu      sync.Mutex
	changes []callback.TicketChange
}

func (c *echoCases) ApplyTicketChange(_ context.Context, ch callback.TicketChange) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes = append(c.changes, ch)
	return nil
}

func (c *echoCases) all() []callback.TicketChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]callback.TicketChange(nil), c.changes...)
}

// The quickstart flow with no host glue: the Syncer gets the Jira preset's
// status map from the connector, records the status it pushed, and Jira's
// webhook about that very transition is suppressed as an echo; a person's
// later change in Jira is applied.
func TestJiraWebhookOfOurTransitionIsEcho(t *testing.T) {
	ctx := testContext(t)
	const (
		user, token, secret = "siem@example.com", "demo-api-token", "demo-webhook-secret"
	)
	clk := newClock()
	var (
		mu     sync.Mutex
		events []itsmtest.Event
	)
	fake := itsmtest.NewServer(itsmtest.WithBasicAuth(user, token), itsmtest.WithClock(clk),
		itsmtest.WithEventHook(func(e itsmtest.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }))
	t.Cleanup(fake.Close)
	take := func() []itsmtest.Event {
		mu.Lock()
		defer mu.Unlock()
		out := events
		events = nil
		return out
	}

	cfg, err := jira.Preset(jira.Options{BaseURL: fake.URL(), Deployment: jira.Cloud, ProjectKey: "SEC",
		Auth: jira.APIToken(user, token), Network: httpconn.NetworkConfig{AllowLoopback: true}})
	require.NoError(t, err)
	cfg.ID = "jira-echo"
	conn, err := jira.NewConnector(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NotNil(t, conn.StatusMapper(), "the preset's status map is exposed")

	store := memstore.New()
	// No SyncerConfig.StatusMapper: the default comes from the connector.
	syncer, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: cfg.ID}, itsm.WithClock(clk))
	require.NoError(t, err)

	cases := &echoCases{}
	verifier, err := jira.Verifier(secret)
	require.NoError(t, err)
	handler, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{IntegrationID: cfg.ID, Store: store, StatusMap: &cfg.StatusMap, Updater: cases},
		Verifier:      verifier, Parser: jira.Parser{}, DeliveryIDHeader: jira.DeliveryIDHeader,
	}, itsm.WithClock(clk))
	require.NoError(t, err)
	inbound := httptest.NewServer(handler)
	t.Cleanup(inbound.Close)
	deliver := func(e itsmtest.Event) string {
		t.Helper()
		req, err := e.Request(ctx, inbound.URL, secret)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		return string(body)
	}
	statusEvent := func(evs []itsmtest.Event) itsmtest.Event {
		t.Helper()
		for _, e := range evs {
			if e.Name == itsmtest.EventIssueUpdated && strings.Contains(string(e.Body), `"status"`) {
				return e
			}
		}
		require.FailNow(t, "no status change webhook", "%d events", len(evs))
		return itsmtest.Event{}
	}

	c := itsm.Case{ID: "CASE-1042", Title: "brute force on vpn-gw-01", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
	res, err := syncer.Sync(ctx, c, nil)
	require.NoError(t, err)
	require.True(t, res.Created)
	take()

	// The analyst starts work; the sync moves the Jira issue to In Progress.
	clk.Add(syncer.CooldownPeriod())
	c.Status = itsm.StatusInProgress
	res, err = syncer.Sync(ctx, c, nil)
	require.NoError(t, err)
	require.True(t, res.Updated)
	tk, ok := fake.Ticket(res.TicketKey)
	require.True(t, ok)
	require.Equal(t, "In Progress", tk.Status.Name)
	link, err := store.GetLink(ctx, cfg.ID, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "In Progress", link.LastPushedStatus, "recorded without host glue")
	assert.Equal(t, clk.Now(), link.LastPushedAt)

	// Jira's webhook about our own transition comes back: an echo.
	clk.Add(2 * time.Second)
	body := deliver(statusEvent(take()))
	assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":0,"ignored":1}`, body)
	assert.Empty(t, cases.all(), "our own change is not applied back to the case")

	// A person then moves the issue to Done in Jira: applied.
	clk.Add(time.Hour)
	require.NoError(t, fake.SetStatus(res.TicketKey, "Done"))
	body = deliver(statusEvent(take()))
	assert.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, body)
	got := cases.all()
	require.Len(t, got, 1)
	assert.Equal(t, itsm.StatusClosed, got[0].Status)
	assert.Equal(t, "Done", got[0].ITSMStatus)
}
