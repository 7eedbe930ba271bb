// Command quickstart runs the whole itsmsync loop against an embedded fake
// Jira Cloud (package itsmtest): no server to install, nothing to configure.
//
//	go run ./examples/quickstart
//
// It configures an integration from the Jira preset, syncs a case (the
// ticket is created), adds a note (posted once), clicks "Sync With ITSM"
// again inside the cooldown (refused with the time left), syncs after the
// cooldown (the ticket is updated), then moves the ticket to Done on the
// Jira side: Jira's signed webhook reaches the inbound handler and the case
// is closed. A repeated delivery is recognised as a duplicate.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// clock is a settable clock, so the quickstart can step over the ten-minute
// cooldown without waiting for it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// caseDB stands for the SIEM's own case storage: the inbound handler applies
// ticket changes to it through callback.CaseUpdater.
type caseDB struct {
	mu    sync.Mutex
	cases map[string]*itsm.Case
	out   io.Writer
}

func (db *caseDB) ApplyTicketChange(_ context.Context, ch callback.TicketChange) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	c, ok := db.cases[ch.CaseID]
	if !ok {
		return fmt.Errorf("case %s not found", ch.CaseID)
	}
	if ch.Status != "" && ch.Status != c.Status {
		fmt.Fprintf(db.out, "   case %s: status %s -> %s (Jira %s is now %q)\n", c.ID, c.Status, ch.Status, ch.TicketKey, ch.ITSMStatus)
		c.Status = ch.Status
	}
	return nil
}

const (
	jiraUser      = "siem@example.com"
	jiraToken     = "demo-api-token"
	webhookSecret = "demo-webhook-secret"
)

func run(ctx context.Context, out io.Writer) error {
	// Deliveries the fake Jira would send to a webhook (Jira → SIEM).
	var (
		mu         sync.Mutex
		deliveries []itsmtest.Event
	)
	fake := itsmtest.NewServer(
		itsmtest.WithBasicAuth(jiraUser, jiraToken),
		itsmtest.WithEventHook(func(e itsmtest.Event) { mu.Lock(); deliveries = append(deliveries, e); mu.Unlock() }),
	)
	defer fake.Close()
	fmt.Fprintln(out, "1. A fake Jira Cloud is listening on", fake.URL())

	// The integration: the Jira preset fills in every request, path and map.
	cfg, err := jira.Preset(jira.Options{
		BaseURL:    fake.URL(),
		Deployment: jira.Cloud,
		ProjectKey: "SEC",
		Auth:       jira.APIToken(jiraUser, jiraToken),
		// Requests to loopback are refused unless the config opts in.
		Network: httpconn.NetworkConfig{AllowLoopback: true},
	})
	if err != nil {
		return err
	}
	if cfg.ID == "" {
		cfg.ID = itsm.NewID()
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	conn, err := jira.NewConnector(cfg)
	if err != nil {
		return err
	}
	defer conn.Close()

	clk := &clock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	store := memstore.New()
	syncer, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: cfg.ID}, itsm.WithClock(clk))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "2. Integration %q configured from the Jira preset (create %s %s)\n", cfg.Name, cfg.Create.Method, "/rest/api/3/issue")

	// A case in the SIEM.
	db := &caseDB{out: out, cases: map[string]*itsm.Case{}}
	c := &itsm.Case{
		ID:          "CASE-1042",
		Title:       `Brute force on "vpn-gw-01"`,
		Description: "Multiple failed logins from 203.0.113.7 within 5 minutes.\nSource: VPN gateway logs.",
		Severity:    itsm.SeverityHigh,
		Status:      itsm.StatusOpen,
		Tags:        []string{"vpn", "auth"},
		URL:         "https://siem.example.com/cases/1042",
	}
	db.cases[c.ID] = c

	// Click 1: the ticket is created.
	res, err := syncer.Sync(ctx, *c, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "3. Sync With ITSM: created ticket %s (%s)\n", res.TicketKey, res.URL)

	// Click 2, with a new note, inside the cooldown: refused with the time left.
	notes := []itsm.Note{{ID: "note-1", Author: "alice", Text: "Blocked 203.0.113.7 at the firewall."}}
	_, err = syncer.Sync(ctx, *c, notes)
	var cd *itsm.CooldownError
	if !errors.As(err, &cd) {
		return fmt.Errorf("expected a cooldown refusal, got %v", err)
	}
	fmt.Fprintf(out, "4. Sync again at once: refused, next sync allowed in %s\n", cd.Remaining)

	// Ten minutes later (on the injected clock): updated, the note posted.
	clk.Add(syncer.CooldownPeriod())
	c.Status = itsm.StatusInProgress
	res, err = syncer.Sync(ctx, *c, notes)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "5. After the cooldown: updated %s, %d note posted as a comment\n", res.TicketKey, res.NotesPosted)

	clk.Add(syncer.CooldownPeriod())
	res, err = syncer.Sync(ctx, *c, notes)
	if err != nil {
		return err
	}
	t, _ := fake.Ticket(res.TicketKey)
	fmt.Fprintf(out, "6. Synced once more: %d notes posted (already posted); Jira has %d comment(s), status %q\n", res.NotesPosted, len(t.Comments), t.Status.Name)

	// The way back: Jira calls the SIEM's inbound handler with signed webhooks.
	verifier, err := jira.Verifier(webhookSecret)
	if err != nil {
		return err
	}
	handler, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: cfg.ID,
			Store:         store,
			StatusMap:     &cfg.StatusMap, // the preset's map: Done, Closed, Resolved -> closed
			Updater:       db,
			Target:        conn.Target(), // events touch only links made in this Jira project
		},
		Verifier:         verifier,
		Parser:           jira.Parser{},
		DeliveryIDHeader: jira.DeliveryIDHeader,
	}, itsm.WithClock(clk))
	if err != nil {
		return err
	}
	inbound := httptest.NewServer(handler)
	defer inbound.Close()

	// A person moves the ticket to Done in Jira.
	mu.Lock()
	deliveries = nil
	mu.Unlock()
	clk.Add(time.Hour)
	if err := fake.SetStatus(res.TicketKey, "Done"); err != nil {
		return err
	}
	mu.Lock()
	sent := append([]itsmtest.Event(nil), deliveries...)
	mu.Unlock()
	if len(sent) == 0 {
		return errors.New("the fake Jira sent no webhook")
	}
	fmt.Fprintf(out, "7. In Jira, %s moved to Done: Jira sends a signed %s webhook\n", res.TicketKey, sent[0].Name)
	code, err := deliver(ctx, sent[0], inbound.URL, webhookSecret)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   inbound handler answered %d; case %s is now %s\n", code, c.ID, db.status(c.ID))

	// Jira retries deliveries: the same one again is applied only once.
	code, err = deliver(ctx, sent[0], inbound.URL, webhookSecret)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "8. The same delivery again: answered %d, recognised as a duplicate (nothing applied)\n", code)

	// A forged delivery (wrong secret) is refused without detail.
	code, err = deliver(ctx, sent[0], inbound.URL, "not-the-secret")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "9. A delivery signed with the wrong secret: answered %d\n", code)
	if s := db.status(c.ID); s != itsm.StatusClosed {
		return fmt.Errorf("case status %s, want closed", s)
	}
	return nil
}

func (db *caseDB) status(id string) itsm.Status {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.cases[id].Status
}

// deliver posts a webhook event to the inbound handler as Jira would.
func deliver(ctx context.Context, e itsmtest.Event, url, secret string) (int, error) {
	req, err := e.Request(ctx, url, secret)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
