// Command quickstart runs the main job of itsmsync against an embedded fake
// Jira (package itsmtest): no server to install, nothing to configure.
//
//	go run ./examples/quickstart
//
// It configures an integration, syncs a case (a ticket is created), adds a
// note (posted once), tries a second sync inside the cooldown (refused with
// the time left), moves past the cooldown on an injected clock and syncs
// again (the ticket is updated), and prints what happened at each step.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// clock is a settable clock, so the quickstart can step over the cooldown
// without waiting ten minutes.
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

func run(ctx context.Context) error {
	// 1. An embedded fake Jira on 127.0.0.1 that checks basic auth.
	jira := itsmtest.NewServer(itsmtest.WithBasicAuth("siem@example.com", "api-token-123"))
	defer jira.Close()
	fmt.Println("fake Jira listening on", jira.URL())

	// 2. The integration: the "ITSM Webhook" drawer as data.
	cfg := itsm.Config{
		Name:     "JIRA ITSM",
		Provider: "jira",
		Create: itsm.EndpointConfig{
			Method: "POST",
			URL:    jira.URL() + "/rest/api/2/issue",
			Payload: `{"fields": {
				"project": {"key": "SEC"},
				"issuetype": {"name": "Task"},
				"summary": "[SIEM] $case_name",
				"description": "$description\n\nCase: $case_url",
				"labels": ["siem", "$correlation_key"]}}`,
		},
		TicketIDPath: "key",
		Update: itsm.EndpointConfig{
			Method:  "PUT",
			URL:     jira.URL() + "/rest/api/2/issue/$ticket_id",
			Payload: `{"fields": {"summary": "[SIEM] $case_name", "description": "$description\n\nCase: $case_url"}}`,
		},
		Comment: itsm.CommentConfig{
			URL:     jira.URL() + "/rest/api/2/issue/$ticket_id/comment",
			Payload: `{"body": "$note_author: $note_text"}`,
		},
		ViewURL: jira.URL() + "/browse/$ticket_key",
		Auth:    itsm.AuthConfig{Type: itsm.AuthBasic, Username: "siem@example.com", Password: "api-token-123"},
		// The fake ITSM listens on loopback; real on-prem ITSMs live on
		// loopback is refused unless the config allows it: an explicit opt-in.
		Network: itsm.NetworkConfig{AllowLoopback: true},
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	conn, err := itsm.NewHTTPConnector(cfg)
	if err != nil {
		return err
	}
	defer conn.Close()

	clk := &clock{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	store := memstore.New()
	syncer, err := itsm.NewSyncer(conn, store,
		itsm.WithIntegrationID("quickstart"),
		itsm.WithSyncClock(clk),
	)
	if err != nil {
		return err
	}

	// 3. A case, synced for the first time: the ticket is created.
	c := itsm.Case{
		ID:          "CASE-1042",
		Title:       `Brute force on "vpn-gw-01"`,
		Description: "Multiple failed logins from 203.0.113.7 within 5 minutes.",
		Severity:    itsm.SeverityHigh,
		Status:      itsm.StatusOpen,
		Tags:        []string{"vpn", "auth"},
		URL:         "https://siem.example.com/cases/1042",
	}
	res, err := syncer.Sync(ctx, c, nil)
	if err != nil {
		return err
	}
	fmt.Printf("sync 1: created ticket %s (%s)\n", res.TicketID, res.URL)

	// 4. A second click inside the cooldown is refused with the time left.
	note := itsm.Note{ID: "note-1", Author: "alice", Text: "Blocked 203.0.113.7 at the firewall."}
	_, err = syncer.Sync(ctx, c, []itsm.Note{note})
	var cd *itsm.CooldownError
	if !errors.As(err, &cd) {
		return fmt.Errorf("expected a cooldown error, got %v", err)
	}
	fmt.Printf("sync 2: refused, %v\n", err)

	// 5. After the cooldown: the ticket is updated and the note posted once.
	clk.Add(syncer.CooldownPeriod() + time.Second)
	c.Title = `Brute force on "vpn-gw-01" (contained)`
	res, err = syncer.Sync(ctx, c, []itsm.Note{note})
	if err != nil {
		return err
	}
	fmt.Printf("sync 3: updated ticket %s, %d note posted\n", res.TicketID, res.NotesPosted)

	clk.Add(syncer.CooldownPeriod() + time.Second)
	res, err = syncer.Sync(ctx, c, []itsm.Note{note})
	if err != nil {
		return err
	}
	fmt.Printf("sync 4: updated ticket %s, %d notes posted (already posted notes are not posted again)\n", res.TicketID, res.NotesPosted)

	t, _ := jira.Ticket(res.TicketID)
	fmt.Printf("on the ITSM: %s %q with %d comment(s)\n", t.Key, t.Summary, len(t.Comments))
	return nil
}
