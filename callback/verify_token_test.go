package callback

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

func TestTokenVerifier(t *testing.T) {
	tokens, store, _ := setupTokens(t, TokensConfig{})
	good := issue(t, tokens, "int-1")
	other := issue(t, tokens, "int-2")

	tests := []struct {
		name   string
		v      TokenVerifier
		header http.Header
		url    string
		want   error
	}{
		{name: "bearer", header: http.Header{"Authorization": {"Bearer " + good.Token}}},
		{name: "bearer lowercase scheme", header: http.Header{"Authorization": {"bearer  " + good.Token + " "}}},
		{name: "no header", want: ErrMissingToken},
		{name: "basic auth is no token", header: http.Header{"Authorization": {"Basic " + good.Token}}, want: ErrMissingToken},
		{name: "bare authorization is no token", header: http.Header{"Authorization": {good.Token}}, want: ErrMissingToken},
		{name: "other integration", header: http.Header{"Authorization": {"Bearer " + other.Token}}, want: ErrInvalidToken},
		{name: "wrong token", header: http.Header{"Authorization": {"Bearer " + TokenPrefix + strings.Repeat("x", 43)}}, want: ErrInvalidToken},
		{name: "named header", v: TokenVerifier{Header: "X-Callback-Token"}, header: http.Header{"X-Callback-Token": {good.Token}}},
		{name: "named header with bearer", v: TokenVerifier{Header: "x-callback-token"}, header: http.Header{"X-Callback-Token": {"Bearer " + good.Token}}},
		{name: "named header missing", v: TokenVerifier{Header: "X-Callback-Token"}, header: http.Header{"Authorization": {"Bearer " + good.Token}}, want: ErrMissingToken},
		{name: "query", v: TokenVerifier{QueryParam: "token"}, url: "/cb?token=" + good.Token},
		{name: "query not enabled", url: "/cb?token=" + good.Token, want: ErrMissingToken},
		{name: "header wins over query", v: TokenVerifier{QueryParam: "token"}, header: http.Header{"Authorization": {"Bearer " + other.Token}}, url: "/cb?token=" + good.Token, want: ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.v
			v.Tokens, v.IntegrationID = tokens, "int-1"
			u := tt.url
			if u == "" {
				u = "/cb"
			}
			r := httptest.NewRequest(http.MethodPost, u, strings.NewReader("{}"))
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			before := store.snapshot()
			err := v.Verify(r, []byte("{}"))
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.NotContains(t, err.Error(), good.Token)
			assert.NotContains(t, err.Error(), other.Token)
			assert.Equal(t, before, store.snapshot(), "no state change")
		})
	}
}

func TestTokenVerifierSign(t *testing.T) {
	tokens, _, _ := setupTokens(t, TokensConfig{})
	tok := issue(t, tokens, "int-1").Token
	for _, v := range []TokenVerifier{
		{},
		{Header: "Authorization"},
		{Header: "X-Token"},
	} {
		v.Tokens, v.IntegrationID = tokens, "int-1"
		r := httptest.NewRequest(http.MethodPost, "/cb", nil)
		v.Sign(r, tok)
		assert.NotContains(t, r.URL.String(), tok)
		require.NoError(t, v.Verify(r, nil), v.Header)
	}
	v := TokenVerifier{Tokens: tokens, IntegrationID: "int-1", QueryParam: "t"}
	r := httptest.NewRequest(http.MethodPost, "/cb?x=1", nil)
	v.SignQuery(r, tok)
	assert.Equal(t, "1", r.URL.Query().Get("x"))
	require.NoError(t, v.Verify(r, nil))
}

func TestTokenVerifierMisconfigured(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/cb", nil)
	var nilV *TokenVerifier
	requireInvalidConfig(t, nilV.Verify(r, nil), "token verifier configuration", "tokens", "integration_id")
	requireInvalidConfig(t, (&TokenVerifier{}).Verify(r, nil), "token verifier configuration", "tokens", "integration_id")
	tokens, _, _ := setupTokens(t, TokensConfig{})
	requireInvalidConfig(t, (&TokenVerifier{Tokens: tokens}).Verify(r, nil), "token verifier configuration", "integration_id")
	require.ErrorIs(t, (&TokenVerifier{Tokens: tokens, IntegrationID: "i"}).Verify(nil, nil), ErrMissingToken)
}

func TestTokenVerifierStoreDown(t *testing.T) {
	tokens, store, _ := setupTokens(t, TokensConfig{})
	tok := issue(t, tokens, "int-1").Token
	store.getErr = context.DeadlineExceeded
	v := &TokenVerifier{Tokens: tokens, IntegrationID: "int-1"}
	r := httptest.NewRequest(http.MethodPost, "/cb", nil)
	v.Sign(r, tok)
	err := v.Verify(r, nil)
	require.ErrorIs(t, err, ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func FuzzTokenVerifier(f *testing.F) {
	tokens, err := NewTokens(&fakeTokenStore{}, TokensConfig{}, itsm.WithClock(newVerifierTestClock()))
	require.NoError(f, err)
	it, err := tokens.Generate(context.Background(), TokenRequest{IntegrationID: "int-1", AppName: "a"})
	require.NoError(f, err)
	v := &TokenVerifier{Tokens: tokens, IntegrationID: "int-1", Header: "X-Token", QueryParam: "token"}
	f.Add("Bearer "+it.Token[:20], "token="+it.Token[1:])
	f.Add("", "token=%zz")
	f.Add("bearer ", "")
	f.Fuzz(func(t *testing.T, header, query string) {
		r := httptest.NewRequest(http.MethodPost, "/cb", nil)
		r.URL.RawQuery = query
		r.Header.Set("X-Token", header)
		err := v.Verify(r, nil)
		if err == nil && !strings.Contains(header, it.Token) && !strings.Contains(query, it.Token) {
			t.Fatalf("verified without the token: %q %q", header, query)
		}
	})
}
