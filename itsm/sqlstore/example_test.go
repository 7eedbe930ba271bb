package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
)

// A single-node store on an SQLite file: open, migrate, and use it as the
// engine would (a lease per sync, a pending create, the link).
func Example() {
	dir, err := os.MkdirTemp("", "itsmsync-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	dsn := "file:" + filepath.Join(dir, "itsm.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // SQLite: one writer at a time

	ctx := context.Background()
	store, err := sqlstore.New(db, sqlstore.SQLite)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Migrate(ctx); err != nil { // idempotent: run it on every start
		fmt.Println(err)
		return
	}

	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	lease, err := store.AcquireLease(ctx, "sync:case-42", "replica-a", now, time.Minute)
	fmt.Println("lease:", lease.Holder, err)
	_, err = store.AcquireLease(ctx, "sync:case-42", "replica-b", now, time.Minute)
	fmt.Println("second holder gets ErrLeaseHeld:", errors.Is(err, itsm.ErrLeaseHeld))

	p := itsm.PendingCreate{IntegrationID: "jira", CaseID: "case-42", CorrelationKey: "siem-case-42", State: itsm.PendingInFlight, StartedAt: now}
	fmt.Println("pending:", store.CreatePending(ctx, p))
	fmt.Println("again is a conflict:", errors.Is(store.CreatePending(ctx, p), itsm.ErrConflict))

	link := itsm.Link{IntegrationID: "jira", CaseID: "case-42", TicketID: "10001", TicketKey: "SEC-7", CreatedAt: now, UpdatedAt: now}
	fmt.Println("complete:", store.CompletePending(ctx, link))
	got, err := store.GetLinkByTicket(ctx, "jira", "SEC-7")
	fmt.Println("ticket SEC-7 is", got.CaseID, err)
	fmt.Println("released:", store.ReleaseLease(ctx, "sync:case-42", "replica-a"))
	// Output:
	// lease: replica-a <nil>
	// second holder gets ErrLeaseHeld: true
	// pending: <nil>
	// again is a conflict: true
	// complete: <nil>
	// ticket SEC-7 is case-42 <nil>
	// released: <nil>
}
