// Command custom-provider shows how to connect an ITSM that itsmsync does
// not ship a preset for. Its stand-in is "AcmeDesk", a made-up ITSM with two
// quirks that a plain configuration cannot express:
//
//   - a create answers 201 with an empty body and the new issue's URL in the
//     Location header (the configuration handles that: the ticket id is
//     read from the Location header when the body has none);
//   - the status of an issue cannot be set by the update request: it needs
//     a separate POST /api/issues/{id}/state. A small custom connector
//     embeds *itsm.Connector and overrides Update to send it, through
//     the connector's own Do, so it gets the same auth, network rules,
//     retries, redaction and audit as every configured request.
//
// Inbound, AcmeDesk signs its webhooks with an HMAC and sends its own JSON,
// which a custom callback.Parser turns into events; the stock handler does
// the rest (verification, dedup, ordering, status map, echo suppression). A
// reconciler repairs a webhook AcmeDesk failed to deliver.
//
//	go run ./examples/custom-provider
//
// Everything runs in-process on 127.0.0.1: the fake AcmeDesk, and the SIEM's
// callback endpoint.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/statusmap"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "custom-provider:", err)
		os.Exit(1)
	}
}

// ---------------------------------------------------------------------------
// The provider adapter: what you write for your own ITSM.

// acmeStatuses maps AcmeDesk issue states to case statuses, both ways
// (Preferred picks the label pushed for a case status).
func acmeStatuses() statusmap.Map {
	return statusmap.Map{
		Entries: []statusmap.Entry{
			{ITSM: "new", Case: string(itsm.StatusOpen), Preferred: true},
			{ITSM: "working", Case: string(itsm.StatusInProgress), Preferred: true},
			{ITSM: "waiting", Case: string(itsm.StatusOnHold), Preferred: true},
			{ITSM: "solved", Case: string(itsm.StatusResolved), Preferred: true},
			{ITSM: "done", Case: string(itsm.StatusClosed), Preferred: true},
		},
		Unmapped: statusmap.Ignore,
	}
}

// acmeConfig is the AcmeDesk integration as plain data, the same Config a
// UI saves for any ITSM.
func acmeConfig(baseURL, apiKey string) httpconn.Config {
	return httpconn.Config{
		Name:     "AcmeDesk",
		Provider: "acmedesk",
		ID:       "acmedesk-demo",
		Create: httpconn.EndpointConfig{
			Method:  "POST",
			URL:     baseURL + "/api/issues",
			Payload: `{"subject": "[SIEM] $case_name", "details": "$description", "ref": "$correlation_key"}`,
		},
		// AcmeDesk's create has no body: the id comes from the Location
		// header ("/api/issues/AD-1" → "AD-1").
		TicketIDPath: "id",
		Update: httpconn.EndpointConfig{
			Method:  "PUT",
			URL:     baseURL + "/api/issues/$ticket_id",
			Payload: `{"subject": "[SIEM] $case_name", "details": "$description"}`,
		},
		Get:     httpconn.GetConfig{URL: baseURL + "/api/issues/$ticket_id", TitlePath: "subject", StatusPath: "state"},
		Comment: httpconn.CommentConfig{URL: baseURL + "/api/issues/$ticket_id/notes", Payload: `{"text": "$note_author: $note_text"}`, CommentIDPath: "note.id"},
		ViewURL: baseURL + "/desk/$ticket_id",
		Auth:    httpconn.AuthConfig{Type: httpconn.AuthAPIKey, HeaderName: "X-Acme-Key", APIKey: apiKey},
		// The fake AcmeDesk listens on loopback, which is refused unless
		// allowed explicitly.
		Network:   httpconn.NetworkConfig{AllowLoopback: true},
		StatusMap: acmeStatuses(),
	}
}

// acmeConnector is the custom connector: the configured HTTP connector for
// create, comment and get, plus AcmeDesk's separate state change.
type acmeConnector struct {
	*httpconn.Connector
	baseURL  string
	statuses statusmap.Map
}

var _ itsm.Connector = (*acmeConnector)(nil)

func newAcmeConnector(cfg httpconn.Config, baseURL string, opts ...itsm.Option) (*acmeConnector, error) {
	hc, err := httpconn.New(cfg, opts...)
	if err != nil {
		return nil, err
	}
	return &acmeConnector{Connector: hc, baseURL: baseURL, statuses: cfg.StatusMap}, nil
}

// Update sends the configured update, then the state change AcmeDesk needs
// as a request of its own. An error from either fails the update, so the
// next sync sends both again (both are idempotent on AcmeDesk).
func (c *acmeConnector) Update(ctx context.Context, t itsm.Ticket, req itsm.SyncRequest) (itsm.Ticket, error) {
	out, err := c.Connector.Update(ctx, t, req)
	if err != nil {
		return out, err
	}
	if err := c.setState(ctx, out, req.Case); err != nil {
		return out, err
	}
	return out, nil
}

// setState posts the AcmeDesk state mapped from the case status; a status
// without a mapping changes nothing.
func (c *acmeConnector) setState(ctx context.Context, t itsm.Ticket, cs *itsm.Case) error {
	if cs == nil || cs.Status == "" {
		return nil
	}
	state, ok := c.statuses.ToITSM(string(cs.Status))
	if !ok {
		return nil
	}
	body, err := json.Marshal(map[string]string{"state": state})
	if err != nil {
		return err
	}
	_, err = c.Do(ctx, httpconn.Request{
		Op: "set_state", Method: http.MethodPost, URL: c.baseURL + "/api/issues/$ticket_id/state",
		Body: body, Case: cs, Ticket: &t,
	})
	return err
}

// statusMapper lets the syncer record the AcmeDesk state each sync pushed
// (Link.LastPushedStatus), so the callback handler recognises the echo of
// our own change.
type statusMapper struct{ m statusmap.Map }

func (s statusMapper) ITSMStatus(st itsm.Status) string {
	label, _ := s.m.ToITSM(string(st))
	return label
}

func (statusMapper) ITSMPriority(itsm.Severity) string { return "" }

// acmeWebhook is AcmeDesk's webhook body.
type acmeWebhook struct {
	Type  string `json:"type"`
	Issue struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"issue"`
	Note *struct {
		ID     string `json:"id"`
		Text   string `json:"text"`
		Author string `json:"author"`
	} `json:"note"`
	OccurredAt time.Time `json:"occurred_at"`
	Revision   int64     `json:"revision"`
}

// acmeParser is the custom callback.Parser. It is called only after the
// handler's Verifier accepted the delivery, must never panic, and follows
// the error contract: Malformed for a body it cannot read (400),
// Unsupported for an event it does not handle (acknowledged, ignored).
type acmeParser struct{}

func (acmeParser) Parse(_ *http.Request, body []byte) ([]callback.Event, error) {
	var w acmeWebhook
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, callback.Malformed("body is not an AcmeDesk webhook")
	}
	if w.Issue.ID == "" {
		return nil, callback.Malformed("no issue id")
	}
	if w.Revision < 0 {
		return nil, callback.Malformed("negative revision")
	}
	ev := callback.Event{TicketID: w.Issue.ID, OccurredAt: w.OccurredAt, Version: w.Revision}
	switch w.Type {
	case "issue.state_changed":
		ev.Kind, ev.Status = callback.EventUpdated, w.Issue.State
	case "issue.deleted":
		ev.Kind = callback.EventDeleted
	case "note.added":
		if w.Note == nil {
			return nil, callback.Malformed("note event without a note")
		}
		ev.Kind = callback.EventComment
		ev.Comment = &callback.Comment{ID: w.Note.ID, Body: w.Note.Text, Author: w.Note.Author}
	default:
		return nil, callback.Unsupported("event type " + strconv.Quote(w.Type))
	}
	return []callback.Event{ev}, nil
}

// ---------------------------------------------------------------------------
// The demo: a fake AcmeDesk, a SIEM with one case, and the whole loop.

// clock is a settable clock shared by every part, so event times are
// ordered the same way in each.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// siem is the host's side: its cases' statuses, changed by the callback
// handler and the reconciler.
type siem struct {
	mu    sync.Mutex
	cases map[string]itsm.Status
	out   io.Writer
}

func (s *siem) ApplyTicketChange(_ context.Context, c callback.TicketChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Status != "" {
		s.cases[c.CaseID] = c.Status
		fmt.Fprintf(s.out, "  SIEM: case %s is now %s (AcmeDesk %s is %q)\n", c.CaseID, c.Status, c.TicketID, c.ITSMStatus)
	}
	return nil
}

func (s *siem) status(id string) itsm.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cases[id]
}

func run(ctx context.Context, out io.Writer) error {
	const (
		apiKey        = "acme-demo-key"
		webhookSecret = "acme-webhook-secret"
	)
	clk := &clock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	desk := newAcmeDesk(apiKey, webhookSecret, clk)
	defer desk.Close()
	fmt.Fprintln(out, "AcmeDesk (fake) is listening on 127.0.0.1")

	cfg := acmeConfig(desk.URL(), apiKey)
	conn, err := newAcmeConnector(cfg, desk.URL(), itsm.WithClock(clk))
	if err != nil {
		return err
	}
	defer conn.Close()

	store := memstore.New()
	syncer, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{
		IntegrationID:  cfg.ID,
		StatusMapper:   statusMapper{cfg.StatusMap},
		CooldownPeriod: itsm.Off, // no cooldown, to keep the demo short
	}, itsm.WithClock(clk))
	if err != nil {
		return err
	}

	// The SIEM's callback endpoint for AcmeDesk: the stock handler with the
	// custom parser and AcmeDesk's signature scheme.
	host := &siem{cases: map[string]itsm.Status{}, out: out}
	inStatuses := acmeStatuses()
	verifier, err := callback.NewHMACVerifier(callback.HMACConfig{
		Header: "X-Acme-Signature", Prefix: "sha256=", Secrets: []string{webhookSecret},
	})
	if err != nil {
		return err
	}
	handler, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: cfg.ID, Store: store, StatusMap: &inStatuses, Updater: host,
			Target: conn.Target(), // events touch only links made through this connector's URL
		},
		Verifier:         verifier,
		Parser:           acmeParser{},
		DeliveryIDHeader: "X-Acme-Delivery",
	}, itsm.WithClock(clk))
	if err != nil {
		return err
	}
	inbound := httptest.NewServer(handler)
	defer inbound.Close()
	desk.SetWebhookURL(inbound.URL)

	reconciler, err := callback.NewReconciler(callback.ReconcilerConfig{Applier: handler.Applier(), Connector: conn})
	if err != nil {
		return err
	}

	// 1. First sync: the issue is created; its id comes from Location.
	c := itsm.Case{ID: "CASE-7", Title: "Malware beacon from ws-042", Description: "C2 traffic to 198.51.100.9.",
		Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
	host.cases[c.ID] = c.Status
	res, err := syncer.Sync(ctx, c, nil)
	if err != nil {
		return err
	}
	issue := res.TicketID
	fmt.Fprintf(out, "1. sync created AcmeDesk issue %s (id from the Location header); state %q\n", issue, desk.State(issue))

	// 2. The analyst starts working: the update sends the state separately.
	clk.Add(time.Minute)
	c.Status = itsm.StatusInProgress
	host.cases[c.ID] = c.Status
	if _, err := syncer.Sync(ctx, c, []itsm.Note{{ID: "n-1", Author: "alice", Text: "Isolated ws-042."}}); err != nil {
		return err
	}
	fmt.Fprintf(out, "2. sync updated %s and posted its state: %q, %d note(s)\n", issue, desk.State(issue), desk.Notes(issue))

	// 3. AcmeDesk echoes our own change back: recognised, not applied.
	clk.Add(time.Second)
	rep, err := desk.ChangeState(ctx, issue, "working", true)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "3. AcmeDesk webhook %q (our own change): %s\n", "working", rep)

	// 4. An AcmeDesk agent puts the issue on hold, but the webhook is lost;
	// the reconciler's next pass finds the change.
	clk.Add(time.Hour)
	if _, err := desk.ChangeState(ctx, issue, "waiting", false); err != nil {
		return err
	}
	fmt.Fprintln(out, "4. an agent set the issue to \"waiting\"; the webhook was lost")
	clk.Add(time.Minute)
	stats, err := reconciler.RunOnce(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   reconciler pass: checked %d, applied %d\n", stats.Checked, stats.Applied)

	// 5. The agent closes the issue: a signed webhook closes the case.
	clk.Add(time.Minute)
	rep, err = desk.ChangeState(ctx, issue, "done", true)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "5. AcmeDesk webhook %q: %s\n", "done", rep)

	// 6. AcmeDesk retries that delivery: a duplicate, nothing applied twice.
	rep, err = desk.Redeliver(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "6. AcmeDesk retried the delivery: %s\n", rep)

	fmt.Fprintf(out, "case %s ends %s\n", c.ID, host.status(c.ID))
	if got := host.status(c.ID); got != itsm.StatusClosed {
		return fmt.Errorf("case ended %s, want closed", got)
	}
	return nil
}

// ---------------------------------------------------------------------------
// The fake AcmeDesk.

type acmeIssue struct {
	ID, Subject, Details, Ref, State string
	Notes                            []string
	Revision                         int64
}

// acmeDesk is an in-process AcmeDesk on 127.0.0.1: an API checked by the
// X-Acme-Key header, and signed webhooks to the URL set by SetWebhookURL.
type acmeDesk struct {
	srv    *httptest.Server
	apiKey string
	secret []byte
	clock  *clock

	mu         sync.Mutex
	issues     map[string]*acmeIssue
	next       int
	deliveries int
	webhookURL string
	last       []byte // the last webhook body, for Redeliver
	lastID     string
}

func newAcmeDesk(apiKey, secret string, clk *clock) *acmeDesk {
	d := &acmeDesk{apiKey: apiKey, secret: []byte(secret), clock: clk, issues: map[string]*acmeIssue{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/issues", d.create)
	mux.HandleFunc("PUT /api/issues/{id}", d.update)
	mux.HandleFunc("GET /api/issues/{id}", d.get)
	mux.HandleFunc("POST /api/issues/{id}/state", d.setState)
	mux.HandleFunc("POST /api/issues/{id}/notes", d.addNote)
	d.srv = httptest.NewServer(d.auth(mux))
	return d
}

func (d *acmeDesk) URL() string { return d.srv.URL }
func (d *acmeDesk) Close()      { d.srv.Close() }

func (d *acmeDesk) SetWebhookURL(u string) { d.mu.Lock(); d.webhookURL = u; d.mu.Unlock() }

func (d *acmeDesk) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hmac.Equal([]byte(r.Header.Get("X-Acme-Key")), []byte(d.apiKey)) {
			http.Error(w, `{"error":"bad api key"}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return false
	}
	return true
}

func (d *acmeDesk) issue(w http.ResponseWriter, r *http.Request) *acmeIssue {
	is := d.issues[r.PathValue("id")]
	if is == nil {
		http.Error(w, `{"error":"no such issue"}`, http.StatusNotFound)
	}
	return is
}

func (d *acmeDesk) create(w http.ResponseWriter, r *http.Request) {
	var in struct{ Subject, Details, Ref string }
	if !decodeBody(w, r, &in) {
		return
	}
	d.mu.Lock()
	d.next++
	id := fmt.Sprintf("AD-%d", d.next)
	d.issues[id] = &acmeIssue{ID: id, Subject: in.Subject, Details: in.Details, Ref: in.Ref, State: "new", Revision: 1}
	d.mu.Unlock()
	w.Header().Set("Location", "/api/issues/"+id)
	w.WriteHeader(http.StatusCreated)
}

func (d *acmeDesk) update(w http.ResponseWriter, r *http.Request) {
	var in struct{ Subject, Details string }
	if !decodeBody(w, r, &in) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if is := d.issue(w, r); is != nil {
		is.Subject, is.Details = in.Subject, in.Details
		is.Revision++
		w.WriteHeader(http.StatusNoContent)
	}
}

func (d *acmeDesk) get(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if is := d.issue(w, r); is != nil {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": is.ID, "subject": is.Subject, "state": is.State})
	}
}

var acmeStates = map[string]bool{"new": true, "working": true, "waiting": true, "solved": true, "done": true}

func (d *acmeDesk) setState(w http.ResponseWriter, r *http.Request) {
	var in struct{ State string }
	if !decodeBody(w, r, &in) {
		return
	}
	if !acmeStates[in.State] {
		http.Error(w, `{"error":"unknown state"}`, http.StatusUnprocessableEntity)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if is := d.issue(w, r); is != nil {
		is.State = in.State
		is.Revision++
		w.WriteHeader(http.StatusNoContent)
	}
}

func (d *acmeDesk) addNote(w http.ResponseWriter, r *http.Request) {
	var in struct{ Text string }
	if !decodeBody(w, r, &in) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if is := d.issue(w, r); is != nil {
		is.Notes = append(is.Notes, in.Text)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"note": {"id": "N-%d"}}`, len(is.Notes))
	}
}

// State and Notes read an issue (for printing).
func (d *acmeDesk) State(id string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if is := d.issues[id]; is != nil {
		return is.State
	}
	return ""
}

func (d *acmeDesk) Notes(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if is := d.issues[id]; is != nil {
		return len(is.Notes)
	}
	return 0
}

// ChangeState is an AcmeDesk agent changing an issue's state. With notify,
// AcmeDesk sends its signed webhook and the summary the SIEM answered is
// returned; without, the webhook is lost.
func (d *acmeDesk) ChangeState(ctx context.Context, id, state string, notify bool) (string, error) {
	d.mu.Lock()
	is := d.issues[id]
	if is == nil {
		d.mu.Unlock()
		return "", fmt.Errorf("acmedesk: no issue %s", id)
	}
	is.State = state
	is.Revision++
	var w acmeWebhook
	w.Type, w.Issue.ID, w.Issue.State = "issue.state_changed", id, state
	w.OccurredAt, w.Revision = d.clock.Now(), is.Revision
	d.deliveries++
	deliveryID := fmt.Sprintf("dlv-%d", d.deliveries)
	d.mu.Unlock()
	if !notify {
		return "", nil
	}
	body, err := json.Marshal(w)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.last, d.lastID = body, deliveryID
	d.mu.Unlock()
	return d.deliver(ctx, deliveryID, body)
}

// Redeliver sends the last webhook again, as a sender does after a timeout.
func (d *acmeDesk) Redeliver(ctx context.Context) (string, error) {
	d.mu.Lock()
	body, id := d.last, d.lastID
	d.mu.Unlock()
	if body == nil {
		return "", errors.New("acmedesk: nothing delivered yet")
	}
	return d.deliver(ctx, id, body)
}

// deliver POSTs a webhook signed "X-Acme-Signature: sha256=<hex HMAC>".
func (d *acmeDesk) deliver(ctx context.Context, deliveryID string, body []byte) (string, error) {
	d.mu.Lock()
	u := d.webhookURL
	d.mu.Unlock()
	mac := hmac.New(sha256.New, d.secret)
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Acme-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	req.Header.Set("X-Acme-Delivery", deliveryID)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("acmedesk: webhook answered %d", resp.StatusCode)
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(b)), nil
}
