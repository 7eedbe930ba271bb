package itsm_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// ExampleSyncer_RetireLinks switches an integration from one ITSM to
// another by editing it: the first sync afterwards is refused before
// anything is sent, the host decides that the new ITSM is another system,
// and the next sync creates a new ticket there and posts the notes again.
func ExampleSyncer_RetireLinks() {
	ctx := context.Background()
	store := memstore.New() // the host's store: the links survive the edit
	connect := func(base string) (*itsm.Syncer, func()) {
		conn, err := httpconn.New(httpconn.Config{
			Name:         "ITSM",
			Create:       httpconn.EndpointConfig{URL: base + "/rest/api/2/issue", Payload: `{"fields":{"project":{"key":"SEC"},"summary":"$case_name"}}`},
			TicketIDPath: "id", TicketKeyPath: "key",
			Update:  httpconn.EndpointConfig{URL: base + "/rest/api/2/issue/$ticket_id", Payload: `{"fields":{"summary":"$case_name"}}`},
			Comment: httpconn.CommentConfig{URL: base + "/rest/api/2/issue/$ticket_id/comment", Payload: `{"body":"$note_text"}`},
			Network: httpconn.NetworkConfig{AllowLoopback: true},
		})
		if err != nil {
			panic(err)
		}
		s, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: "int-1", CooldownPeriod: itsm.Off})
		if err != nil {
			panic(err)
		}
		return s, func() { _ = conn.Close() }
	}
	oldITSM, newITSM := itsmtest.NewServer(), itsmtest.NewServer()
	defer oldITSM.Close()
	defer newITSM.Close()
	c := itsm.Case{ID: "CASE-1042", Title: "Brute force on vpn-gw-01", Severity: itsm.SeverityHigh}
	ns := []itsm.Note{{ID: "note-1", Text: "Blocked the source IP."}}

	before, closeBefore := connect(oldITSM.URL())
	defer closeBefore()
	res, _ := before.Sync(ctx, c, ns)
	fmt.Println("old ITSM:", res.TicketKey, "created:", res.Created)

	after, closeAfter := connect(newITSM.URL()) // the integration, edited
	defer closeAfter()
	_, err := after.Sync(ctx, c, ns)
	fmt.Println("refused:", errors.Is(err, itsm.ErrTargetChanged), "requests to the new ITSM:", len(newITSM.Requests()))

	targets, _ := after.LinkTargets(ctx) // what an admin UI asks about
	for _, t := range targets {
		if t.Target != after.Target() {
			n, _ := after.RetireLinks(ctx, t.Target)
			fmt.Println("retired:", n)
		}
	}
	res, _ = after.Sync(ctx, c, ns)
	fmt.Println("new ITSM:", res.TicketKey, "created:", res.Created, "notes posted:", res.NotesPosted)
	old, _ := after.RetiredLinks(ctx, c.ID)
	fmt.Println("history:", old[0].TicketKey, "notes:", len(old[0].Notes))
	// Output:
	// old ITSM: SEC-1 created: true
	// refused: true requests to the new ITSM: 0
	// retired: 1
	// new ITSM: SEC-1 created: true notes posted: 1
	// history: SEC-1 notes: 1
}
