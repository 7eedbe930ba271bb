package rt_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/rt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// realRT is the throwaway Request Tracker .ci/rt.sh starts, as the
// environment it prints describes it.
type realRT struct {
	URL, Token, Queue, Field string
	RootPassword             string
	URLFile, TokenFile       string
}

// needRT returns the real RT of the environment, skips the test when there
// is none, and fails it when CI=true (CI must run against a real RT).
func needRT(t testing.TB) realRT {
	t.Helper()
	r := realRT{
		URL:          os.Getenv("ITSMSYNC_TEST_RT_URL"),
		Token:        os.Getenv("ITSMSYNC_TEST_RT_TOKEN"),
		Queue:        os.Getenv("ITSMSYNC_TEST_RT_QUEUE"),
		Field:        os.Getenv("ITSMSYNC_TEST_RT_CF"),
		RootPassword: os.Getenv("ITSMSYNC_TEST_RT_ROOT_PASSWORD"),
		URLFile:      os.Getenv("ITSMSYNC_TEST_RT_CALLBACK_URL_FILE"),
		TokenFile:    os.Getenv("ITSMSYNC_TEST_RT_CALLBACK_TOKEN_FILE"),
	}
	if r.URL == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but ITSMSYNC_TEST_RT_URL is unset: .ci/run starts a Request Tracker with .ci/rt.sh")
		}
		t.Skip(`no Request Tracker: set ITSMSYNC_TEST_RT_URL etc. with eval "$(bash .ci/rt.sh)" (bash .ci/rt.sh destroy afterwards)`)
	}
	for name, v := range map[string]string{"ITSMSYNC_TEST_RT_TOKEN": r.Token, "ITSMSYNC_TEST_RT_QUEUE": r.Queue,
		"ITSMSYNC_TEST_RT_CF": r.Field, "ITSMSYNC_TEST_RT_CALLBACK_URL_FILE": r.URLFile,
		"ITSMSYNC_TEST_RT_CALLBACK_TOKEN_FILE": r.TokenFile, "ITSMSYNC_TEST_RT_ROOT_PASSWORD": r.RootPassword} {
		if v == "" {
			t.Fatalf("%s is unset (print the environment with bash .ci/rt.sh)", name)
		}
	}
	return r
}

// options are the preset options for this RT, through baseURL (RT itself
// or a proxy in front of it).
func (r realRT) options(baseURL string) rt.Options {
	return rt.Options{
		BaseURL:          baseURL,
		Queue:            r.Queue,
		CorrelationField: r.Field,
		Auth:             httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: r.Token},
		Network:          httpconn.NetworkConfig{AllowLoopback: true},
	}
}

// admin reads RT through REST2 as root, independently of the preset: the
// test counts in RT itself.
func (r realRT) get(t testing.TB, path string, query url.Values) gjson.Result {
	t.Helper()
	u := r.URL + "/REST/2.0" + path
	if query != nil {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	require.NoError(t, err)
	req.SetBasicAuth("root", r.RootPassword)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", path, body)
	require.True(t, gjson.ValidBytes(body), "GET %s: not JSON", path)
	return gjson.ParseBytes(body)
}

func (r realRT) send(t testing.TB, method, path, body string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, r.URL+"/REST/2.0"+path, strings.NewReader(body))
	require.NoError(t, err)
	req.SetBasicAuth("root", r.RootPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Less(t, resp.StatusCode, 300, "%s %s: %s", method, path, out)
	return string(out)
}

// ticketsWithKey returns the ids of the tickets whose correlation field is
// key, in any queue.
func (r realRT) ticketsWithKey(t testing.TB, key string) []string {
	t.Helper()
	res := r.get(t, "/tickets", url.Values{
		"query":    {fmt.Sprintf("CF.{%s} = '%s'", r.Field, key)},
		"per_page": {"100"},
	})
	var ids []string
	for _, it := range res.Get("items").Array() {
		ids = append(ids, it.Get("id").String())
	}
	return ids
}

// transactions returns the ticket's transactions of one type.
func (r realRT) transactions(t testing.TB, ticketID, typ string) []gjson.Result {
	t.Helper()
	res := r.get(t, "/ticket/"+ticketID+"/history", url.Values{"fields": {"Type,Field,NewValue"}, "per_page": {"100"}})
	var out []gjson.Result
	for _, it := range res.Get("items").Array() {
		if it.Get("Type").String() == typ {
			out = append(out, it)
		}
	}
	return out
}

// createContent returns the plain-text content of the ticket's Create
// transaction.
func (r realRT) createContent(t testing.TB, ticketID string) string {
	t.Helper()
	create := r.transactions(t, ticketID, "Create")
	require.Len(t, create, 1)
	res := r.get(t, "/ticket/"+ticketID+"/attachments", url.Values{"fields": {"Content,ContentType,TransactionId"}, "per_page": {"100"}})
	for _, it := range res.Get("items").Array() {
		if it.Get("TransactionId").String() == create[0].Get("id").String() && it.Get("ContentType").String() == "text/plain" {
			return it.Get("Content").String()
		}
	}
	t.Fatalf("ticket %s: no text/plain content on its Create transaction", ticketID)
	return ""
}

// realInbound is the callback side: RT's Scrip delivers to it.
type realInbound struct {
	mu      sync.Mutex
	changes []callback.TicketChange
	audit   []itsm.AuditEvent
}

func (in *realInbound) ApplyTicketChange(_ context.Context, c callback.TicketChange) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.changes = append(in.changes, c)
	return nil
}

func (in *realInbound) Record(_ context.Context, e itsm.AuditEvent) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.audit = append(in.audit, e)
}

// reasons returns the inbound audit reasons recorded for a ticket, and the
// changes the host was asked to apply to it.
func (in *realInbound) forTicket(ticketID string) (reasons []string, changes []callback.TicketChange) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, e := range in.audit {
		if e.TicketID == ticketID {
			reasons = append(reasons, string(e.Outcome)+": "+e.Reason)
		}
	}
	for _, c := range in.changes {
		if c.TicketID == ticketID {
			changes = append(changes, c)
		}
	}
	return reasons, changes
}

func realRandomID(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// TestRealRequestTracker drives the whole loop through the preset against
// the real Request Tracker .ci/rt.sh starts: create, update after the
// cooldown, notes posted once, a create whose answer is lost recovered by
// the lookup, RT's own webhook (the itsmsync Scrip) bringing a status
// change back, echo suppression of our own pushes, and concurrent syncs of
// one new case. Everything is counted in RT through REST2.
func TestRealRequestTracker(t *testing.T) {
	r := needRT(t)
	ctx := context.Background()
	integrationID := "rt-it-" + realRandomID(t) // a fresh correlation space per run: RT keeps its tickets

	// The syncer's clock is injected (cooldowns pass without sleeping); it
	// starts in the past so that "after the cooldown" can be the real time,
	// which RT's webhook times are compared with for echo detection.
	clock := itsmtest.NewClock(time.Now().Add(-3 * time.Hour).Truncate(time.Second))
	store := memstore.New()

	cfg, err := rt.Preset(r.options(r.URL))
	require.NoError(t, err)
	cfg.ID = integrationID
	conn, err := rt.NewConnector(cfg, rt.ConnectorConfig{}, itsm.WithClock(clock))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, rt.EnsureCorrelationField(ctx, conn), "the correlation field rt.sh applied to the queue")
	syncer, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: integrationID}, itsm.WithClock(clock))
	require.NoError(t, err)

	// The callback handler RT's Scrip posts to, with a fresh token written
	// where the Scrip reads it at every delivery.
	tokens, err := callback.NewTokens(store, callback.TokensConfig{})
	require.NoError(t, err)
	issued, err := tokens.Generate(ctx, callback.TokenRequest{IntegrationID: integrationID, AppName: "RT webhook Scrip"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(r.TokenFile, []byte(issued.Token+"\n"), 0o600))
	statuses := rt.Statuses()
	statusMap, err := statuses.Compile()
	require.NoError(t, err)
	in := &realInbound{}
	handler, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{IntegrationID: integrationID, Store: store, StatusMap: statusMap, Updater: in, Comments: true},
		Verifier:      rt.Verifier(tokens, integrationID),
		Parser:        rt.Parser{Queue: r.Queue},
	}, itsm.WithAudit(in))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/rt", handler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	callbackURL := "http://" + ln.Addr().String() + "/rt"
	require.NoError(t, os.WriteFile(r.URLFile, []byte(callbackURL+"\n"), 0o600))

	// 1. Create: the text reaches RT as RT stores it (Subject on one line,
	// at most 200 bytes; the description verbatim).
	title := "Brute force \"admin\" from 10.0.0.7 \\ C:\\Temp $HOME ${x} — ünïcødé 日本語 🚨 <b>bold</b> &amp;\nsecond line\r\n\tthird"
	description := "Line 1 with \"quotes\" and \\backslashes\\ and $dollar ${var} $$\n<script>alert('x')</script> &lt;b&gt;\nünïcødé 日本語 🚨\n\n  indented line"
	cs := itsm.Case{ID: "case-" + realRandomID(t), Title: title, Description: description, Severity: itsm.SeverityHigh,
		Status: itsm.StatusOpen, URL: "https://siem.example.com/cases/1?a=b&c=d"}
	res, err := syncer.Sync(ctx, cs, nil)
	require.NoError(t, err)
	require.True(t, res.Created)
	key := itsm.CorrelationKey(integrationID, cs.ID)
	require.Equal(t, []string{res.TicketID}, r.ticketsWithKey(t, key), "one ticket with the case's key")
	ticket := r.get(t, "/ticket/"+res.TicketID, nil)
	assert.Equal(t, rt.Subject(title), ticket.Get("Subject").String())
	assert.NotContains(t, ticket.Get("Subject").String(), "\n")
	assert.Equal(t, r.Queue, r.get(t, "/queue/"+ticket.Get("Queue.id").String(), nil).Get("Name").String())
	assert.Equal(t, description+"\n\nSIEM case: "+cs.URL, r.createContent(t, res.TicketID))

	// A second sync inside the cooldown changes nothing in RT.
	_, err = syncer.Sync(ctx, cs, nil)
	require.ErrorIs(t, err, itsm.ErrCoolingDown)

	// 2. Update after the cooldown: the new status and title reach RT, and
	// our own status change does not come back. The Scrip runs inside RT's
	// answer to our PUT, before the Syncer records what it pushed, so the
	// echo is stopped at the source: rt.sh lists the API user in
	// @ITSMSyncWebhookSkipActors.
	clock.Set(time.Now())
	cs.Title = "Updated: " + title
	cs.Status = itsm.StatusInProgress
	res2, err := syncer.Sync(ctx, cs, nil)
	require.NoError(t, err)
	require.True(t, res2.Updated)
	require.Equal(t, res.TicketID, res2.TicketID)
	ticket = r.get(t, "/ticket/"+res.TicketID, nil)
	assert.Equal(t, rt.Subject(cs.Title), ticket.Get("Subject").String())
	pushed := ticket.Get("Status").String()
	assert.Equal(t, "open", pushed)
	require.Len(t, r.transactions(t, res.TicketID, "Status"), 1)
	reasons, changes := in.forTicket(res.TicketID)
	assert.Empty(t, reasons, "no delivery for our own push")
	assert.Empty(t, changes, "our own push is not applied back to the case")

	// 3. Two notes, posted once each even when the sync repeats.
	notes := []itsm.Note{
		{ID: "note-1", Text: "First note: \"quoted\" \\ $x ünï 🚨\n<i>not html</i>", Author: "analyst"},
		{ID: "note-2", Text: "Second note\nwith two lines", Author: "analyst"},
	}
	clock.Advance(itsm.DefaultCooldownPeriod + time.Second)
	res3, err := syncer.Sync(ctx, cs, notes)
	require.NoError(t, err)
	assert.Equal(t, 2, res3.NotesPosted)
	clock.Advance(itsm.DefaultCooldownPeriod + time.Second)
	res4, err := syncer.Sync(ctx, cs, notes)
	require.NoError(t, err)
	assert.Equal(t, 0, res4.NotesPosted)
	comments := r.transactions(t, res.TicketID, "Comment")
	require.Len(t, comments, 2, "each note once in RT")
	reasons, changes = in.forTicket(res.TicketID)
	assert.Empty(t, reasons, "no delivery for our own notes")
	assert.Empty(t, changes)

	// 4. A status changed in RT comes back through RT's own webhook.
	r.send(t, http.MethodPut, "/ticket/"+res.TicketID, `{"Status":"resolved"}`)
	_, changes = in.forTicket(res.TicketID)
	require.Len(t, changes, 1, "RT's Scrip delivered the change while RT answered the PUT")
	assert.Equal(t, cs.ID, changes[0].CaseID)
	assert.Equal(t, itsm.StatusResolved, changes[0].Status)
	assert.Equal(t, "resolved", changes[0].ITSMStatus)
	// A comment written in RT comes back too, as a comment (not ours).
	r.send(t, http.MethodPost, "/ticket/"+res.TicketID+"/comment", `{"Content":"Fixed in RT \"by hand\"\nünï","ContentType":"text/plain"}`)
	_, changes = in.forTicket(res.TicketID)
	require.Len(t, changes, 2)
	require.NotNil(t, changes[1].Comment)
	assert.Equal(t, "Fixed in RT \"by hand\"\nünï", changes[1].Comment.Body)

	// A forged delivery (no token, a wrong token) is refused and changes
	// nothing.
	forged := fmt.Sprintf(`{"version":1,"event":"status","ticket_id":%q,"queue":%q,"status":"open","old_status":"resolved","transaction_id":"999999999","transaction_type":"Status","time":%q,"comment":null,"actor":"root"}`,
		res.TicketID, r.Queue, time.Now().UTC().Format(time.RFC3339))
	for _, auth := range []string{"", "Bearer forged-token", "token " + r.Token} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, strings.NewReader(forged))
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "authorization %q", strings.Fields(auth + " x")[0])
	}
	_, changes = in.forTicket(res.TicketID)
	assert.Len(t, changes, 2, "nothing applied from forged deliveries")

	// 5. A create whose answer is lost (a proxy forwards it to RT and drops
	// the response) is recovered by the lookup: one ticket in RT.
	proxy := newDroppingProxyRT(t, r.URL)
	pcfg, err := rt.Preset(r.options(proxy.URL))
	require.NoError(t, err)
	pcfg.ID = integrationID
	pconn, err := rt.NewConnector(pcfg, rt.ConnectorConfig{}, itsm.WithClock(clock))
	require.NoError(t, err)
	t.Cleanup(func() { _ = pconn.Close() })
	psyncer, err := itsm.NewSyncer(pconn, store, itsm.SyncerConfig{IntegrationID: integrationID}, itsm.WithClock(clock))
	require.NoError(t, err)
	lost := itsm.Case{ID: "case-lost-" + realRandomID(t), Title: "Create whose answer is lost", Status: itsm.StatusOpen, Severity: itsm.SeverityLow}
	_, err = psyncer.Sync(ctx, lost, nil)
	require.Error(t, err, "the create's answer was dropped")
	require.EqualValues(t, 1, proxy.dropped.Load())
	lostKey := itsm.CorrelationKey(integrationID, lost.ID)
	require.Len(t, r.ticketsWithKey(t, lostKey), 1, "RT created the ticket whose answer was lost")
	res5, err := psyncer.Sync(ctx, lost, nil)
	require.NoError(t, err)
	assert.True(t, res5.Recovered, "the lookup found the ticket")
	assert.False(t, res5.Created)
	assert.Equal(t, r.ticketsWithKey(t, lostKey), []string{res5.TicketID}, "still exactly one ticket in RT")

	// 6. Twenty concurrent syncs of one new case: one ticket in RT.
	racy := itsm.Case{ID: "case-racy-" + realRandomID(t), Title: "Twenty syncs at once", Status: itsm.StatusOpen, Severity: itsm.SeverityMedium}
	var wg sync.WaitGroup
	var created, busy atomic.Int32
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := syncer.Sync(ctx, racy, nil)
			switch {
			case err == nil:
				if res.Created {
					created.Add(1)
				}
			case errors.Is(err, itsm.ErrInProgress), errors.Is(err, itsm.ErrCoolingDown):
				busy.Add(1)
			default:
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent sync: %v", err)
	}
	assert.EqualValues(t, 1, created.Load())
	assert.EqualValues(t, 19, busy.Load())
	assert.Len(t, r.ticketsWithKey(t, itsm.CorrelationKey(integrationID, racy.ID)), 1, "one RT ticket for the case")
}

// realDroppingProxy forwards everything to RT, but the first ticket create's
// answer is dropped after RT handled the request: the client sees the
// connection close without a response.
type realDroppingProxy struct {
	URL     string
	dropped atomic.Int32
}

func newDroppingProxyRT(t *testing.T, target string) *realDroppingProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &realDroppingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	director := rp.Director
	rp.Director = func(r *http.Request) { director(r); r.Host = u.Host }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/REST/2.0/ticket" && p.dropped.CompareAndSwap(0, 1) {
			out := r.Clone(r.Context())
			out.RequestURI = ""
			out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
			resp, err := http.DefaultTransport.RoundTrip(out)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}
