package httpconn_test

import (
	"context"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnector_FakeITSMFaults runs the fake ITSM's fault menu against
// each operation of the connector: the error class, the number of requests
// and whether the ITSM applied the operation.
func TestConnector_FakeITSMFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		op        itsm.Operation
		fault     itsmtest.Fault
		refuse    bool
		wantErr   []error
		notErr    []error
		requests  int
		tickets   int // after a create
		waits     []time.Duration
		wantOK    bool
		wantTitle string
	}{
		{name: "create 500", op: itsm.OpCreate, fault: itsmtest.Status(500), wantErr: []error{itsm.ErrOutcomeUnknown}, requests: 1, tickets: 0},
		{name: "create 502 after apply", op: itsm.OpCreate, fault: itsmtest.StatusAfterApply(502), wantErr: []error{itsm.ErrOutcomeUnknown}, requests: 1, tickets: 1},
		{name: "create 503 retry-after", op: itsm.OpCreate, fault: itsmtest.RetryAfter(503, time.Second), wantOK: true, requests: 2, tickets: 1, waits: []time.Duration{time.Second}},
		{name: "create 429 retry-after", op: itsm.OpCreate, fault: itsmtest.RetryAfter(429, 2*time.Second), wantOK: true, requests: 2, tickets: 1, waits: []time.Duration{2 * time.Second}},
		{name: "create 503 without retry-after", op: itsm.OpCreate, fault: itsmtest.Status(503), wantErr: []error{itsm.ErrOutcomeUnknown}, requests: 1, tickets: 0},
		{name: "create 400", op: itsm.OpCreate, fault: itsmtest.Status(400), notErr: []error{itsm.ErrOutcomeUnknown}, requests: 1, tickets: 0},
		{name: "create timeout after send", op: itsm.OpCreate, fault: itsmtest.TimeoutAfterSend(), wantErr: []error{itsm.ErrOutcomeUnknown}, requests: 1, tickets: 1},
		{name: "create reset after send", op: itsm.OpCreate, fault: itsmtest.ResetAfterSend(), wantErr: []error{itsm.ErrOutcomeUnknown}, requests: 1, tickets: 1},
		{name: "create dropped", op: itsm.OpCreate, fault: itsmtest.DropBeforeProcessing(), wantErr: []error{itsm.ErrOutcomeUnknown}, requests: 1, tickets: 0},
		{name: "create malformed json", op: itsm.OpCreate, fault: itsmtest.MalformedJSON(), wantErr: []error{itsm.ErrInvalidResponse, itsm.ErrMissingTicketID, itsm.ErrOutcomeUnknown}, requests: 1, tickets: 1},
		{name: "create missing id", op: itsm.OpCreate, fault: itsmtest.MissingID(), wantErr: []error{itsm.ErrMissingTicketID, itsm.ErrOutcomeUnknown}, requests: 1, tickets: 1},
		{name: "create json as text/plain", op: itsm.OpCreate, fault: itsmtest.JSONAsTextPlain(), wantOK: true, requests: 1, tickets: 1},
		{name: "create refused", op: itsm.OpCreate, refuse: true, notErr: []error{itsm.ErrOutcomeUnknown}, requests: 0, tickets: 0, waits: []time.Duration{-1, -1}},
		{name: "update 502 retried", op: itsm.OpUpdate, fault: itsmtest.Status(502), wantOK: true, requests: 2, waits: []time.Duration{-1}},
		{name: "update 204 text/html", op: itsm.OpUpdate, fault: itsmtest.HTMLNoContent(), wantOK: true, requests: 1},
		{name: "update reset retried", op: itsm.OpUpdate, fault: itsmtest.ResetAfterSend(), wantOK: true, requests: 2, waits: []time.Duration{-1}},
		{name: "comment 500", op: itsm.OpComment, fault: itsmtest.Status(500), wantErr: []error{itsm.ErrOutcomeUnknown}, requests: 1},
		{name: "comment reset", op: itsm.OpComment, fault: itsmtest.ResetAfterSend(), wantErr: []error{itsm.ErrOutcomeUnknown}, requests: 1},
		{name: "comment malformed is still posted", op: itsm.OpComment, fault: itsmtest.MalformedJSON(), wantOK: true, requests: 1},
		{name: "get json as text/plain", op: itsm.OpGet, fault: itsmtest.JSONAsTextPlain(), wantOK: true, requests: 1, wantTitle: "[SIEM] Brute force on \"vpn-gw-01\""},
		{name: "get malformed", op: itsm.OpGet, fault: itsmtest.MalformedJSON(), wantErr: []error{itsm.ErrInvalidResponse}, requests: 1},
		{name: "get 504 retried", op: itsm.OpGet, fault: itsmtest.Status(504), wantOK: true, requests: 2, waits: []time.Duration{-1}, wantTitle: "[SIEM] Brute force on \"vpn-gw-01\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := itsmtest.NewServer(itsmtest.WithBasicAuth("bot@example.com", "pw-Sup3r-s3cret"))
			t.Cleanup(srv.Close)
			cfg := jiraConfig(srv.URL())
			cfg.Timeouts.Request = httpconn.Duration(300 * time.Millisecond)
			sl := &sleeps{}
			c := newConnector(t, cfg, itsm.WithClock(sl))
			ctx := context.Background()
			cs := sampleCase()
			req := itsm.SyncRequest{Case: &cs, CorrelationKey: "itsmsync-0011223344556677"}

			var tk itsm.Ticket
			if tc.op != itsm.OpCreate {
				var err error
				tk, err = c.Create(ctx, req)
				require.NoError(t, err)
			}
			before := len(srv.Requests())
			switch {
			case tc.refuse:
				require.NoError(t, srv.RefuseConnections())
			default:
				srv.Fault(itsmtest.On(fakeOp(tc.op)), tc.fault)
			}
			var err error
			var got itsm.Ticket
			switch tc.op {
			case itsm.OpCreate:
				_, err = c.Create(ctx, req)
			case itsm.OpUpdate:
				_, err = c.Update(ctx, tk, req)
			case itsm.OpComment:
				_, err = c.Comment(ctx, tk, req, itsm.Note{ID: "n1", Text: "note"})
			case itsm.OpGet:
				got, err = c.Get(ctx, tk)
			}
			if tc.wantOK {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "httpconn: "+string(tc.op)+":")
				assert.NotContains(t, err.Error(), "pw-Sup3r-s3cret")
			}
			for _, e := range tc.wantErr {
				assert.ErrorIs(t, err, e)
			}
			for _, e := range tc.notErr {
				assert.NotErrorIs(t, err, e)
			}
			if !tc.refuse {
				assert.Equal(t, tc.requests, len(srv.Requests())-before, "requests")
			}
			if tc.op == itsm.OpCreate {
				assert.Equal(t, tc.tickets, len(srv.Tickets()), "tickets")
			}
			w := sl.waits()
			require.Len(t, w, len(tc.waits))
			for i, want := range tc.waits {
				if want >= 0 {
					assert.Equal(t, want, w[i])
				}
			}
			if tc.wantTitle != "" {
				assert.Equal(t, tc.wantTitle, got.Title)
				assert.NotEmpty(t, got.Status)
			}
		})
	}
}

func fakeOp(op itsm.Operation) itsmtest.Op {
	switch op {
	case itsm.OpCreate:
		return itsmtest.OpCreate
	case itsm.OpUpdate:
		return itsmtest.OpUpdate
	case itsm.OpComment:
		return itsmtest.OpComment
	}
	return itsmtest.OpGet
}
