package callback_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

func ExampleTokens() {
	ctx := context.Background()
	tokens, err := callback.NewTokens(memstore.New(), callback.TokensConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}

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
