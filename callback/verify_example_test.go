package callback_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
)

func ExampleHMACVerifier() {
	v, err := callback.NewHMACVerifier(callback.GitHubHMAC("It's a Secret to Everybody"))
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte("Hello, World!")

	// A host app signs a test delivery for its own endpoint...
	r := httptest.NewRequest(http.MethodPost, "/itsm/callback", strings.NewReader(string(body)))
	for k, vs := range v.Sign(body, time.Time{}) {
		r.Header[k] = vs
	}
	fmt.Println(r.Header.Get("X-Hub-Signature-256"))
	// ...and the verifier accepts it, but not a tampered body.
	fmt.Println(v.Verify(r, body))
	err = v.Verify(r, []byte("Hello, World?"))
	fmt.Println(errors.Is(err, callback.ErrInvalidSignature))
	// Output:
	// sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
	// <nil>
	// true
}

func ExampleStandardWebhooksVerifier() {
	now := time.Unix(1614265330, 0)
	clock := itsmtest.NewClock(now) // a host passes nothing: the system clock
	v, err := callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{
		Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
	}, itsm.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"test": 2432232314}`)
	r := httptest.NewRequest(http.MethodPost, "/itsm/callback", nil)
	for k, vs := range v.SignHeaders("msg_p5jXN8AQM9LWM0D4loKWxJek", now, body) {
		r.Header[k] = vs
	}
	fmt.Println(r.Header.Get("Webhook-Signature"))
	fmt.Println(v.Verify(r, body))

	// Ten minutes later the same delivery is a replay.
	clock.Advance(10 * time.Minute)
	fmt.Println(errors.Is(v.Verify(r, body), callback.ErrTimestampOutOfRange))
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// <nil>
	// true
}
