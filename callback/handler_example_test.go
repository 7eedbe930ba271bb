package callback_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/statusmap"
)

// ExampleHandler receives a signed Jira webhook: the issue moved to Done, so
// the linked case is closed through the host's updater.
func ExampleHandler() {
	ctx := context.Background()
	store := memstore.New()
	// The sync engine stored this link when it created the ticket.
	_ = store.PutLink(ctx, itsm.Link{IntegrationID: "jira-prod", CaseID: "case-42", TicketID: "10040", TicketKey: "TES-41"})

	verifier, _ := callback.NewHMACVerifier(callback.JiraHMAC("webhook secret"))
	statuses := statusmap.JiraStatuses()
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: "jira-prod",
			Store:         store,
			StatusMap:     &statuses,
			Updater: callback.CaseUpdaterFunc(func(_ context.Context, c callback.TicketChange) error {
				fmt.Printf("case %s -> %s (Jira %s %q)\n", c.CaseID, c.Status, c.TicketKey, c.ITSMStatus)
				return nil
			}),
		},
		Verifier:         verifier,
		Parser:           jira.Parser{},
		DeliveryIDHeader: jira.DeliveryIDHeader,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	body := `{"timestamp":1550286940507,"webhookEvent":"jira:issue_updated",
	  "issue":{"id":"10040","key":"TES-41","fields":{"status":{"name":"Done","statusCategory":{"key":"done"}}}},
	  "changelog":{"id":"10228","items":[{"field":"status","fieldId":"status","fromString":"In Progress","toString":"Done"}]}}`
	send := func() {
		r := httptest.NewRequest(http.MethodPost, "/itsm/callback", strings.NewReader(body))
		for k, vs := range verifier.Sign([]byte(body), time.Time{}) {
			r.Header[k] = vs // X-Hub-Signature: sha256=...
		}
		r.Header.Set(jira.DeliveryIDHeader, "b1f5c3e2-0001")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	send()
	send() // Jira retries: a duplicate, not applied again
	// Output:
	// case case-42 -> closed (Jira TES-41 "Done")
	// 200 {"applied":1,"duplicate":0,"stale":0,"ignored":0}
	// 200 {"applied":0,"duplicate":1,"stale":0,"ignored":0}
}
