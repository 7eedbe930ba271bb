package callback_test

import (
	"context"
	"fmt"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/statusmap"
)

// A webhook was missed: the ticket moved to "In Progress" in Jira (a fake
// one on 127.0.0.1 here) and the case did not follow. A reconcile pass reads
// the linked ticket and applies the change; the next pass finds nothing new.
func ExampleReconciler() {
	ctx := context.Background()
	jira := itsmtest.NewServer()
	defer jira.Close()
	conn, err := httpconn.New(httpconn.Config{
		Name: "JIRA ITSM",
		Create: httpconn.EndpointConfig{
			URL:     jira.URL() + "/rest/api/2/issue",
			Payload: `{"fields":{"project":{"key":"SEC"},"summary":"$case_name"}}`,
		},
		TicketIDPath:  "id",
		TicketKeyPath: "key",
		Update:        httpconn.EndpointConfig{URL: jira.URL() + "/rest/api/2/issue/$ticket_id", Payload: `{"fields":{"summary":"$case_name"}}`},
		Get:           httpconn.GetConfig{URL: jira.URL() + "/rest/api/2/issue/$ticket_id", StatusPath: "fields.status.name"},
		Network:       httpconn.NetworkConfig{AllowLoopback: true},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	// The case was synced earlier: its ticket exists and is linked.
	c := itsm.Case{ID: "CASE-7", Title: "Beaconing from host-12"}
	t, err := conn.Create(ctx, itsm.SyncRequest{Case: &c})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := memstore.New()
	_ = store.PutLink(ctx, itsm.Link{IntegrationID: "int-1", CaseID: c.ID, TicketID: t.ID, TicketKey: t.Key})
	_ = jira.SetStatus(t.Key, "In Progress") // someone works the ticket; the webhook never arrives

	sm := statusmap.JiraStatuses()
	applier, err := callback.NewApplier(callback.ApplierConfig{
		IntegrationID: "int-1", Store: store, StatusMap: &sm,
		Updater: callback.CaseUpdaterFunc(func(_ context.Context, ch callback.TicketChange) error {
			fmt.Printf("case %s -> %s (ticket says %q)\n", ch.CaseID, ch.Status, ch.ITSMStatus)
			return nil
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := callback.NewReconciler(callback.ReconcilerConfig{Applier: applier, Connector: conn})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		stats, err := rec.RunOnce(ctx)
		fmt.Printf("%+v %v\n", stats, err)
	}
	// Output:
	// case CASE-7 -> in_progress (ticket says "In Progress")
	// {Checked:1 Applied:1 Unchanged:0 Ignored:0 Failed:0 Closed:0} <nil>
	// {Checked:1 Applied:0 Unchanged:1 Ignored:0 Failed:0 Closed:0} <nil>
}
