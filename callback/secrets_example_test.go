package callback_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

func ExampleSecrets() {
	ctx := context.Background()

	// The sealing key comes from the host's secret store or KMS (32 bytes),
	// never from the database that holds the sealed secrets.
	key := make([]byte, callback.AESKeySize)
	_, _ = rand.Read(key)
	sealer, err := callback.NewAESGCMSealer(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	secrets, err := callback.NewSecrets(memstore.New(), sealer, callback.SecretsConfig{Overlap: itsm.Off})
	if err != nil {
		fmt.Println(err)
		return
	}

	// "Generate secret" in the integration drawer: shown once, to be pasted
	// into Jira's webhook "Secret" field.
	issued, err := secrets.Generate(ctx, "jira-prod")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(issued.Secret.Reveal(), callback.SecretPrefix), len(issued.Secret.Reveal()))
	fmt.Println(issued.Secret) // printing never shows it

	// The inbound endpoint's verifier reads the managed secrets.
	verifier, err := secrets.Verifier("jira-prod", callback.JiraHMAC())
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"webhookEvent":"jira:issue_updated"}`)
	jira, _ := callback.NewHMACVerifier(callback.JiraHMAC(issued.Secret.Reveal())) // what Jira does
	delivery := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/itsm/jira", nil)
		for k, v := range jira.Sign(body, issued.Info.CreatedAt) {
			r.Header[k] = v
		}
		return r
	}
	fmt.Println(verifier.Verify(delivery(), body))

	// Rotate (here without overlap): the old secret stops verifying.
	rotated, _ := secrets.Rotate(ctx, "jira-prod")
	fmt.Println(errors.Is(verifier.Verify(delivery(), body), callback.ErrInvalidSignature))
	infos, _ := secrets.List(ctx, "jira-prod")
	for _, in := range infos {
		fmt.Println(in.Seq, in.State, in.ID == rotated.Info.ID)
	}
	// Output:
	// true 73
	// [REDACTED]
	// <nil>
	// true
	// 1 retired false
	// 2 current true
}
