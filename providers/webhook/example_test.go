package webhook_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// ExampleNewIntegration starts a generic integration from a base URL and a
// token, previews its create request and parses a webhook the ITSM sends.
func ExampleNewIntegration() {
	in, err := webhook.NewIntegration(webhook.Options{
		BaseURL: "https://itsm.example.com/api/v1",
		Auth:    httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "secret-token"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	in.Outbound.ID = "int-1"
	conn, err := in.Connector()
	if err != nil {
		fmt.Println(err)
		return
	}
	c := itsm.Case{ID: "CASE-7", Title: "Malware on laptop-12", Severity: itsm.SeverityCritical, Status: itsm.StatusOpen}
	reqs, err := conn.Preview(c, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(reqs[0].Method, reqs[0].URL, reqs[0].Header.Get("Authorization"))

	parser, err := in.Parser()
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"event_id": "evt-1", "event": "ticket.updated", "ticket": {"id": "42", "status": "resolved"}}`)
	events, err := parser.Parse(httptest.NewRequest("POST", "/hooks/itsm", nil), body)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, _ := in.Outbound.StatusMap.ToCase(events[0].Status, events[0].StatusCategory)
	fmt.Println(events[0].Kind, events[0].TicketID, events[0].Status, "→ case", res.Value)
	// Output:
	// POST https://itsm.example.com/api/v1/tickets Bearer ********
	// updated 42 resolved → case resolved
}
