package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

func Example() {
	ctx := context.Background()
	s := memstore.New()
	now := time.Date(2026, time.November, 28, 9, 0, 0, 0, time.UTC)

	// One sync per case: the first replica takes the lease...
	if _, err := s.AcquireLease(ctx, "sync/case-7", "replica-a", now, time.Minute); err != nil {
		fmt.Println(err)
	}
	// ...a second one is refused and told who holds it.
	l, err := s.AcquireLease(ctx, "sync/case-7", "replica-b", now, time.Minute)
	fmt.Println(errors.Is(err, itsm.ErrLeaseHeld), l.Holder)

	// The create succeeded: link the case and clear its pending create.
	_ = s.CreatePending(ctx, itsm.PendingCreate{IntegrationID: "jira", CaseID: "case-7", State: itsm.PendingInFlight})
	_ = s.CompletePending(ctx, itsm.Link{IntegrationID: "jira", CaseID: "case-7", TicketID: "10042", TicketKey: "SEC-42"})

	// An inbound webhook names the ticket by key.
	link, _ := s.GetLinkByTicket(ctx, "jira", "SEC-42")
	fmt.Println(link.CaseID)
	_, err = s.GetPending(ctx, "jira", "case-7")
	fmt.Println(errors.Is(err, itsm.ErrNotFound))

	// The same delivery twice: applied once.
	first, _ := s.ClaimDelivery(ctx, "jira", "delivery-1", now, time.Hour)
	again, _ := s.ClaimDelivery(ctx, "jira", "delivery-1", now.Add(time.Second), time.Hour)
	fmt.Println(first, again)
	// Output:
	// true replica-a
	// case-7
	// true
	// true false
}
