package servicenow_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHandlerBusinessRule sends what the Business Rule sends through the
// callback handler: the bearer token, a resolve, a redelivery and a stale
// (lower sys_mod_count) change.
func TestHandlerBusinessRule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New()
	require.NoError(t, store.PutLink(ctx, itsm.Link{IntegrationID: "sn-test", CaseID: "case-9",
		TicketID: "c537bae64f411200adf9f8e18110c76e", TicketKey: "INC0010002"}))
	tokens, err := callback.NewTokens(store, callback.TokensConfig{})
	require.NoError(t, err)
	issued, err := tokens.Generate(ctx, callback.TokenRequest{IntegrationID: "sn-test", AppName: "ServiceNow business rule"})
	require.NoError(t, err)
	states := statusmap.ServiceNowStates()
	sm, err := states.Compile()
	require.NoError(t, err)

	var mu sync.Mutex
	status := itsm.StatusInProgress
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{IntegrationID: "sn-test", Store: store, StatusMap: sm,
			Updater: callback.CaseUpdaterFunc(func(_ context.Context, c callback.TicketChange) error {
				mu.Lock()
				defer mu.Unlock()
				if c.Status != "" {
					status = c.Status
				}
				return nil
			})},
		Verifier: servicenow.Verifier(tokens, "sn-test"),
		Parser:   servicenow.Parser{Table: servicenow.DefaultTable},
	})
	require.NoError(t, err)
	current := func() itsm.Status {
		mu.Lock()
		defer mu.Unlock()
		return status
	}
	send := func(body, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/itsm/callback/servicenow", strings.NewReader(body))
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	resolve := `{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","table":"incident","operation":"update",
		"state":"6","previous_state":"2","sys_mod_count":"9","sys_updated_on":"2026-11-28 03:20:00"}`
	older := `{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","table":"incident","operation":"update",
		"state":"3","previous_state":"2","sys_mod_count":"8","sys_updated_on":"2026-11-28 03:19:00"}`

	assert.Equal(t, http.StatusUnauthorized, send(resolve, "").Code)
	assert.Equal(t, http.StatusUnauthorized, send(resolve, issued.Token+"x").Code)
	assert.Equal(t, itsm.StatusInProgress, current())

	w := send(resolve, issued.Token)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, itsm.StatusResolved, current())
	w = send(resolve, issued.Token)
	assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String())
	w = send(older, issued.Token)
	assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":1,"ignored":0}`, w.Body.String())
	assert.Equal(t, itsm.StatusResolved, current())
}
