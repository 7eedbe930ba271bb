package sysaid_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type caseStatuses struct {
	mu sync.Mutex
	m  map[string]itsm.Status
}

func (c *caseStatuses) ApplyTicketChange(_ context.Context, ch callback.TicketChange) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch.Status != "" {
		c.m[ch.CaseID] = ch.Status
	}
	return nil
}

func (c *caseStatuses) get(id string) itsm.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

// TestHandlerSysAidWebhooks drives signed SysAid webhooks through the
// callback handler: incremental changes, the Full webhook, a redelivery and
// an older Full one, a foreign payload and an update without status.
func TestHandlerSysAidWebhooks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New()
	require.NoError(t, store.PutLink(ctx, itsm.Link{IntegrationID: "sysaid-test", CaseID: "case-1", TicketID: "148"}))
	statuses := statusmap.SysAidStatuses()
	sm, err := statuses.Compile()
	require.NoError(t, err)
	verifier, err := sysaid.Verifier("subscription-secret")
	require.NoError(t, err)
	cases := &caseStatuses{m: map[string]itsm.Status{"case-1": itsm.StatusOpen}}
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{IntegrationID: "sysaid-test", Store: store, StatusMap: sm, Updater: cases},
		Verifier:      verifier,
		Parser:        sysaid.Parser{},
	})
	require.NoError(t, err)

	send := func(body string, signed bool) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/hooks/sysaid", bytes.NewReader([]byte(body)))
		if signed {
			for k, vs := range verifier.Sign([]byte(body), time.Time{}) {
				r.Header[k] = vs
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const t0 = 1751280000000
	incr1 := body("sr.updated", `"id":"e1"`, upd("status", "2", "1", t0))
	incr2 := body("sr.updated", `"id":"e2"`, upd("status", "5", "2", t0+1000))
	full4 := body("sr.updated", `"id":"e3","sr_version":4`, upd("status", "2", "1", t0), upd("status", "5", "2", t0+1000))
	incr3 := body("sr.updated", `"id":"e4"`, upd("status", "3", "5", t0+60000))
	older := body("sr.updated", `"id":"e0","sr_version":3`, upd("status", "2", "1", t0-60000))

	w := send(incr1, false)
	assert.Equal(t, http.StatusUnauthorized, w.Code, "unsigned deliveries are refused")
	assert.Equal(t, itsm.StatusOpen, cases.get("case-1"))

	require.Equal(t, http.StatusOK, send(incr1, true).Code)
	assert.Equal(t, itsm.StatusInProgress, cases.get("case-1"))
	require.Equal(t, http.StatusOK, send(incr2, true).Code)
	assert.Equal(t, itsm.StatusOnHold, cases.get("case-1"))
	w = send(full4, true)
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, w.Body.String(), "the Full snapshot applies")
	assert.Equal(t, itsm.StatusOnHold, cases.get("case-1"))

	w = send(incr3, true)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, itsm.StatusClosed, cases.get("case-1"), "a later incremental applies after the Full one")

	w = send(full4, true)
	assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String(), "redelivery")
	w = send(older, true)
	assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":1,"ignored":0}`, w.Body.String(), "an older Full webhook")
	assert.Equal(t, itsm.StatusClosed, cases.get("case-1"))

	w = send(body("sr.updated", `"id":"e5"`, upd("title", "x", "y", t0+90000)), true)
	assert.Equal(t, http.StatusOK, w.Code, "an update without status is acknowledged")
	assert.Equal(t, itsm.StatusClosed, cases.get("case-1"))

	w = send(`{"webhookEvent":"jira:issue_updated"}`, true)
	assert.Equal(t, http.StatusOK, w.Code, "a foreign payload is acknowledged and ignored")
	w = send(`{"eventName":"sr.updated"`, true)
	assert.Equal(t, http.StatusBadRequest, w.Code)
}
