package itsm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// FuzzSyncInput feeds arbitrary case and note input (the host's data) to
// Sync: it never panics, rejects bad input with a *ValidationError before
// any call to the ITSM, and otherwise creates exactly one ticket and posts
// each distinct note once, however often it is synced.
func FuzzSyncInput(f *testing.F) {
	f.Add("CASE-1", "title", "high", "open", "n1", "n2", "text")
	f.Add("", "", "urgent", "weird", "", "", "")
	f.Add("c/1:2", "t", "", "", "a", "a", "\x00\xff")
	f.Fuzz(func(t *testing.T, id, title, sev, status, n1, n2, text string) {
		conn := newFakeConn()
		s, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: "fuzz", CooldownPeriod: itsm.Off})
		if err != nil {
			t.Fatal(err)
		}
		c := itsm.Case{ID: id, Title: title, Severity: itsm.Severity(sev), Status: itsm.Status(status)}
		ns := []itsm.Note{{ID: n1, Text: text}, {ID: n2, Text: text}}
		for range 2 {
			_, err = s.Sync(context.Background(), c, ns)
			var ve *itsm.ValidationError
			if errors.As(err, &ve) {
				if conn.count(itsm.OpCreate) != 0 {
					t.Fatal("invalid input reached the ITSM")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if conn.ticketCount() != 1 || len(conn.comments()) != 2 {
			t.Fatalf("tickets %d comments %d", conn.ticketCount(), len(conn.comments()))
		}
	})
}
