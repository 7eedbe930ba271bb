package itsmtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
)

// budgetConn is a connector that does nothing and reports a call budget.
type budgetConn struct{ budget time.Duration }

func (budgetConn) Create(context.Context, itsm.SyncRequest) (itsm.Ticket, error) {
	return itsm.Ticket{}, nil
}
func (budgetConn) Update(context.Context, itsm.Ticket, itsm.SyncRequest) (itsm.Ticket, error) {
	return itsm.Ticket{}, nil
}
func (budgetConn) Comment(context.Context, itsm.Ticket, itsm.SyncRequest, itsm.Note) (itsm.Comment, error) {
	return itsm.Comment{}, nil
}
func (budgetConn) Get(context.Context, itsm.Ticket) (itsm.Ticket, error) { return itsm.Ticket{}, nil }
func (c budgetConn) MaxCallDuration() time.Duration                      { return c.budget }

// fatalTB records a Fatalf and stops the checked function there.
type fatalTB struct {
	testing.TB
	msg string
}

type stopped struct{}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(stopped{})
}

func checkLease(tb *fatalTB, conn itsm.CallBudgeter) (lease time.Duration) {
	defer func() {
		if r := recover(); r != nil && r != (stopped{}) {
			panic(r)
		}
	}()
	return itsmtest.CheckLease(tb, conn)
}

func TestCheckLease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		budget time.Duration
		want   time.Duration
		fail   string
	}{
		{"short budget keeps the default lease", time.Minute, itsm.DefaultLeaseTTL, ""},
		{"long budget raises the lease", 3 * time.Minute, 4 * time.Minute, ""},
		{"no budget", 0, 0, "needs more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tb := &fatalTB{TB: t}
			got := checkLease(tb, budgetConn{tt.budget})
			if tt.fail == "" {
				assert.Empty(t, tb.msg)
				assert.Equal(t, tt.want, got)
			} else {
				assert.Contains(t, tb.msg, tt.fail)
			}
		})
	}
}
