package callback_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
)

// exampleTokenStore is a tiny itsm.TokenStore for the example; real programs use
// memstore or sqlstore.
type exampleTokenStore struct {
	mu     sync.Mutex
	tokens []itsm.CallbackToken
}

func (s *exampleTokenStore) PutToken(_ context.Context, t itsm.CallbackToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = append(s.tokens, t)
	return nil
}

func (s *exampleTokenStore) GetTokenByHash(_ context.Context, h []byte) (itsm.CallbackToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if bytes.Equal(t.Hash, h) {
			return t, nil
		}
	}
	return itsm.CallbackToken{}, itsm.ErrNotFound
}

func (s *exampleTokenStore) ListTokens(_ context.Context, id string) ([]itsm.CallbackToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []itsm.CallbackToken
	for _, t := range s.tokens {
		if t.IntegrationID == id {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *exampleTokenStore) set(id string, f func(*itsm.CallbackToken)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.tokens {
		if s.tokens[i].ID == id {
			f(&s.tokens[i])
			return nil
		}
	}
	return itsm.ErrNotFound
}

func (s *exampleTokenStore) RevokeToken(_ context.Context, id string, at time.Time) error {
	return s.set(id, func(t *itsm.CallbackToken) { t.RevokedAt = at })
}

func (s *exampleTokenStore) TouchToken(_ context.Context, id string, at time.Time) error {
	return s.set(id, func(t *itsm.CallbackToken) { t.LastUsedAt = at })
}

func ExampleTokens() {
	ctx := context.Background()
	tokens, _ := callback.NewTokens(&exampleTokenStore{})

	// "Generate Token" in the integration drawer: the plaintext is shown once.
	issued, err := tokens.Generate(ctx, callback.TokenRequest{
		IntegrationID: "itsm_webhook",
		AppName:       "Jira Production — inbound",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(issued.Token, callback.TokenPrefix), len(issued.Token))

	// The inbound endpoint checks it on every delivery.
	v := &callback.TokenVerifier{Tokens: tokens, IntegrationID: "itsm_webhook"}
	r := httptest.NewRequest(http.MethodPost, "/itsm/callback", nil)
	v.Sign(r, issued.Token)
	fmt.Println(v.Verify(r, nil))

	// Another integration's endpoint refuses it; after revocation, so does this one.
	other := &callback.TokenVerifier{Tokens: tokens, IntegrationID: "another"}
	fmt.Println(errors.Is(other.Verify(r, nil), callback.ErrInvalidToken))
	_ = tokens.Revoke(ctx, "itsm_webhook", issued.Record.ID)
	fmt.Println(errors.Is(v.Verify(r, nil), callback.ErrTokenRevoked))
	// Output:
	// true 51
	// <nil>
	// true
	// true
}
