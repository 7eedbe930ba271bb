package itsmtest

import (
	"errors"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// CheckLease checks that a connector which reports how long one call may take
// ([itsm.CallBudgeter], as every connector that wraps an HTTP connector
// should) gets a lease the Syncer can trust: the default lease outlasts the
// budget, a LeaseTTL one second shorter than the budget is refused as the
// single field error "lease_ttl", and a LeaseTTL equal to it is accepted. It
// returns the default lease for further comparison. It reports through t
// and stops the test on a failure.
func CheckLease(t testing.TB, conn itsm.CallBudgeter) time.Duration {
	t.Helper()
	c, ok := conn.(itsm.Connector)
	if !ok {
		t.Fatalf("%T is not an itsm.Connector", conn)
	}
	budget := conn.MaxCallDuration()
	if budget <= time.Second {
		t.Fatalf("MaxCallDuration() = %s: a connector that sends requests needs more", budget)
	}
	cfg := itsm.SyncerConfig{IntegrationID: "lease-check"}
	s, err := itsm.NewSyncer(c, memstore.New(), cfg)
	if err != nil {
		t.Fatalf("NewSyncer with the default lease: %v", err)
	}
	if s.LeaseTTL() <= budget {
		t.Fatalf("default lease %s does not outlast the connector's longest call %s", s.LeaseTTL(), budget)
	}
	cfg.LeaseTTL = budget - time.Second
	_, err = itsm.NewSyncer(c, memstore.New(), cfg)
	var ve *itsm.ValidationError
	if !errors.Is(err, itsm.ErrInvalidConfig) || !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Field != "lease_ttl" {
		t.Fatalf("NewSyncer with a lease of %s (budget %s): want one lease_ttl error, got %v", cfg.LeaseTTL, budget, err)
	}
	cfg.LeaseTTL = budget
	if _, err := itsm.NewSyncer(c, memstore.New(), cfg); err != nil {
		t.Fatalf("NewSyncer with a lease equal to the budget %s: %v", budget, err)
	}
	return s.LeaseTTL()
}
