package itsm_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// ExampleSyncer shows the button's life against a fake Jira on 127.0.0.1: a
// first click creates the ticket and posts the note, a click inside the
// cooldown is refused with the time left, and a click after it updates the
// ticket and posts only the new note.
func ExampleSyncer() {
	ctx := context.Background()
	jira := itsmtest.NewServer() // a fake Jira; in production, your ITSM's URL
	defer jira.Close()

	conn, err := httpconn.New(httpconn.Config{
		Name: "JIRA ITSM",
		Create: httpconn.EndpointConfig{
			URL:     jira.URL() + "/rest/api/2/issue",
			Payload: `{"fields":{"project":{"key":"SEC"},"summary":"[SIEM] $case_name","labels":["$correlation_key"]}}`,
		},
		TicketIDPath:  "id",
		TicketKeyPath: "key",
		Update: httpconn.EndpointConfig{
			URL:     jira.URL() + "/rest/api/2/issue/$ticket_id",
			Payload: `{"fields":{"summary":"[SIEM] $case_name"}}`,
		},
		Comment: httpconn.CommentConfig{
			URL:     jira.URL() + "/rest/api/2/issue/$ticket_id/comment",
			Payload: `{"body":"$note_text"}`,
		},
		Network: httpconn.NetworkConfig{AllowLoopback: true}, // the fake listens on 127.0.0.1
	})
	if err != nil {
		panic(err)
	}
	defer conn.Close()

	clock := itsmtest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)) // the system clock by default
	syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: "int-1"}, itsm.WithClock(clock))
	if err != nil {
		panic(err)
	}
	c := itsm.Case{ID: "CASE-1042", Title: "Brute force on vpn-gw-01", Severity: itsm.SeverityHigh}
	ns := []itsm.Note{{ID: "note-1", Text: "Blocked the source IP."}}

	res, err := syncer.Sync(ctx, c, ns)
	fmt.Println(res.TicketKey, "created:", res.Created, "notes posted:", res.NotesPosted, err)

	clock.Advance(4 * time.Minute)
	_, err = syncer.Sync(ctx, c, ns)
	var cooling *itsm.CooldownError
	if errors.As(err, &cooling) {
		fmt.Println("cooling down, next sync in", cooling.Remaining)
	}

	clock.Advance(6 * time.Minute)
	ns = append(ns, itsm.Note{ID: "note-2", Text: "Reset the user's password."})
	res, err = syncer.Sync(ctx, c, ns)
	fmt.Println(res.TicketKey, "updated:", res.Updated, "notes posted:", res.NotesPosted, err)

	st, _ := syncer.State(ctx, c.ID)
	fmt.Println(st.Phase, st.TicketKey, st.Remaining)
	fmt.Println("tickets in Jira:", len(jira.Tickets()), "comments:", len(jira.Tickets()[0].Comments))
	// Output:
	// SEC-1 created: true notes posted: 1 <nil>
	// cooling down, next sync in 6m0s
	// SEC-1 updated: true notes posted: 1 <nil>
	// cooling_down SEC-1 10m0s
	// tickets in Jira: 1 comments: 2
}

// ExampleRegistry shows the one-integration-per-workspace rule.
func ExampleRegistry() {
	ctx := context.Background()
	reg, err := itsm.NewRegistry(memstore.New())
	if err != nil {
		panic(err)
	}
	in, err := reg.Create(ctx, "acme", []byte(`{"id":"cfg-acme","name":"JIRA ITSM"}`))
	fmt.Println(in.ID, err)

	_, err = reg.Create(ctx, "acme", []byte(`{"name":"ServiceNow"}`))
	fmt.Println(errors.Is(err, itsm.ErrIntegrationExists), err)

	in, err = reg.Update(ctx, in.ID, []byte(`{"name":"ServiceNow"}`))
	fmt.Println(string(in.Config), err)
	// Output:
	// cfg-acme <nil>
	// true itsm: workspace "acme" already has an integration (cfg-acme); edit it instead
	// {"name":"ServiceNow","id":"cfg-acme"} <nil>
}
