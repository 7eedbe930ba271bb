package servicenow_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParser(t *testing.T) {
	t.Parallel()
	p := servicenow.Parser{Table: servicenow.DefaultTable}
	tests := []struct {
		name    string
		body    string
		want    callback.Event
		errIs   error
		errText string
	}{
		{
			name: "state change from the business rule",
			body: `{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","table":"incident","operation":"update",
				"state":"6","previous_state":"2","sys_mod_count":"8","sys_updated_on":"2026-11-28 03:14:00","event_id":"c537bae64f411200adf9f8e18110c76e:8"}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "c537bae64f411200adf9f8e18110c76e", TicketKey: "INC0010002",
				Status: "6", Version: 8, OccurredAt: time.Date(2026, 11, 28, 3, 14, 0, 0, time.UTC), EventID: "c537bae64f411200adf9f8e18110c76e:8"},
		},
		{
			name: "numbers and default event id",
			body: `{"sys_id":"abc","state":2,"priority":"1","sys_mod_count":3,"sys_updated_on":"2026-11-28T03:14:00Z"}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "abc", Status: "2", Priority: "1", Version: 3,
				OccurredAt: time.Date(2026, 11, 28, 3, 14, 0, 0, time.UTC), EventID: "abc:3"},
		},
		{
			name: "priority only: no status",
			body: `{"sys_id":"abc","priority":"2","sys_mod_count":"4"}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "abc", Priority: "2", Version: 4, EventID: "abc:4"},
		},
		{
			name: "state equal to previous is not a change",
			body: `{"sys_id":"abc","state":"2","previous_state":"2"}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "abc"},
		},
		{
			name: "insert",
			body: `{"sys_id":"abc","number":"INC1","operation":"insert","state":"1"}`,
			want: callback.Event{Kind: callback.EventCreated, TicketID: "abc", TicketKey: "INC1", Status: "1"},
		},
		{
			name: "delete",
			body: `{"number":"INC1","operation":"delete"}`,
			want: callback.Event{Kind: callback.EventDeleted, TicketKey: "INC1"},
		},
		{
			name: "unknown state code passes through to the status map",
			body: `{"sys_id":"abc","state":"42"}`,
			want: callback.Event{Kind: callback.EventUpdated, TicketID: "abc", Status: "42"},
		},
		{name: "not json", body: `{"sys_id":`, errIs: callback.ErrMalformedPayload},
		{name: "array", body: `[{"sys_id":"abc"}]`, errIs: callback.ErrMalformedPayload},
		{name: "sys_id object", body: `{"sys_id":{"value":"abc"}}`, errIs: callback.ErrMalformedPayload},
		{name: "bad mod count", body: `{"sys_id":"abc","sys_mod_count":"-1"}`, errIs: callback.ErrMalformedPayload},
		{name: "bad timestamp", body: `{"sys_id":"abc","sys_updated_on":"yesterday"}`, errIs: callback.ErrMalformedPayload},
		{name: "jira payload", body: `{"webhookEvent":"jira:issue_updated","issue":{"id":"10042","key":"SEC-42"}}`,
			errIs: callback.ErrUnsupportedEvent, errText: "no sys_id"},
		{name: "sysaid payload", body: `{"eventName":"sr.updated","srId":148,"updates":[]}`, errIs: callback.ErrUnsupportedEvent},
		{name: "other table", body: `{"sys_id":"abc","table":"change_request"}`, errIs: callback.ErrUnsupportedEvent, errText: "change_request"},
		{name: "unknown operation", body: `{"sys_id":"abc","operation":"merge"}`, errIs: callback.ErrUnsupportedEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			evs, err := p.Parse(httptest.NewRequest(http.MethodPost, "/callback", nil), []byte(tc.body))
			if tc.errIs != nil {
				require.ErrorIs(t, err, tc.errIs)
				assert.Contains(t, err.Error(), tc.errText)
				assert.Empty(t, evs)
				return
			}
			require.NoError(t, err)
			require.Len(t, evs, 1)
			assert.Equal(t, tc.want, evs[0])
		})
	}
}

func TestParserZeroValueAcceptsAnyTable(t *testing.T) {
	t.Parallel()
	evs, err := servicenow.Parser{}.Parse(nil, []byte(`{"sys_id":"abc","table":"sn_si_incident","state":"3"}`))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "3", evs[0].Status)
}

func TestVerifierBearerToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tokens, err := callback.NewTokens(memstore.New(), callback.TokensConfig{})
	require.NoError(t, err)
	issued, err := tokens.Generate(ctx, callback.TokenRequest{IntegrationID: "sn-test", AppName: "ServiceNow"})
	require.NoError(t, err)
	v := servicenow.Verifier(tokens, "sn-test")

	ok := httptest.NewRequest(http.MethodPost, "/callback", strings.NewReader("{}"))
	ok.Header.Set("Authorization", "Bearer "+issued.Token)
	require.NoError(t, v.Verify(ok, []byte("{}")))

	bad := httptest.NewRequest(http.MethodPost, "/callback", nil)
	bad.Header.Set("Authorization", "Bearer "+issued.Token+"x")
	err = v.Verify(bad, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), issued.Token)

	other := servicenow.Verifier(tokens, "another-integration")
	require.Error(t, other.Verify(ok, []byte("{}")), "a token is scoped to its integration")
}

func TestBusinessRuleScriptMatchesParser(t *testing.T) {
	t.Parallel()
	for _, field := range []string{"sys_id", "number", "table", "operation", "state", "previous_state", "priority", "sys_mod_count", "sys_updated_on", "event_id"} {
		assert.Contains(t, servicenow.BusinessRuleScript, field, "the script sends %s", field)
	}
	assert.Contains(t, servicenow.BusinessRuleScript, "'Bearer ' + token")
	assert.Contains(t, servicenow.BusinessRuleScript, "executeAsync()")
}

func FuzzParser(f *testing.F) {
	f.Add([]byte(`{"sys_id":"c537bae64f411200adf9f8e18110c76e","number":"INC0010002","state":"6","sys_mod_count":"8","sys_updated_on":"2026-11-28 03:14:00"}`))
	f.Add([]byte(`{"sys_id":1,"state":[1],"sys_mod_count":1e400}`))
	f.Add([]byte(`{"number":"INC1","operation":"delete","table":"incident"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	p := servicenow.Parser{Table: servicenow.DefaultTable}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(nil, body)
		if err != nil {
			if !errors.Is(err, callback.ErrMalformedPayload) && !errors.Is(err, callback.ErrUnsupportedEvent) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for _, e := range evs {
			if verr := e.Validate(); verr != nil {
				t.Fatalf("invalid event %+v: %v", e, verr)
			}
		}
	})
}
