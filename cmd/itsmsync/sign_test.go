package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/sysaid"
)

// signedAt is the --timestamp of the tests; verifiers run at that time.
const signedAt = 1764298800 // 2025-11-28T03:00:00Z

const (
	hmacSecret = "It's a Secret to Everybody"
	whsec      = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// signTestCase is one scheme: the flags that sign with it, and the SDK
// verifier its output must pass.
type signTestCase struct {
	scheme string
	flags  []string
	secret string // printed only by the token scheme
	verify func(t *testing.T) callback.Verifier
	header string // the header that carries the signature
}

func signTestCases(t *testing.T) []signTestCase {
	t.Helper()
	at := itsm.WithClock(itsmtest.NewClock(time.Unix(signedAt, 0)))
	hmacVerifier := func(cfg callback.HMACConfig) func(t *testing.T) callback.Verifier {
		return func(t *testing.T) callback.Verifier {
			v, err := callback.NewHMACVerifier(cfg, at)
			require.NoError(t, err)
			return v
		}
	}
	tokens, err := callback.NewTokens(memstore.New(), callback.TokensConfig{})
	require.NoError(t, err)
	issued, err := tokens.Generate(context.Background(), callback.TokenRequest{IntegrationID: "int-1", AppName: "cli test"})
	require.NoError(t, err)

	return []signTestCase{
		{scheme: "jira", secret: hmacSecret, header: "X-Hub-Signature", verify: func(t *testing.T) callback.Verifier {
			v, err := jira.Verifier(hmacSecret)
			require.NoError(t, err)
			return v
		}},
		{scheme: "github", secret: hmacSecret, header: "X-Hub-Signature-256", verify: hmacVerifier(callback.GitHubHMAC(hmacSecret))},
		{scheme: "sysaid", secret: hmacSecret, header: "X-Sysaid-Signature", verify: func(t *testing.T) callback.Verifier {
			v, err := sysaid.Verifier(hmacSecret)
			require.NoError(t, err)
			return v
		}},
		{scheme: "stripe", secret: hmacSecret, header: "Stripe-Signature", verify: hmacVerifier(callback.StripeHMAC(hmacSecret))},
		{scheme: "hmac-sha256", secret: hmacSecret, header: "X-Signature",
			verify: hmacVerifier(callback.HMACConfig{Header: "X-Signature", Secrets: []string{hmacSecret}})},
		{
			scheme: "hmac-sha256", secret: hmacSecret, header: "X-Acme-Signature",
			flags: []string{"--header", "X-Acme-Signature", "--prefix", "v1=", "--encoding", "base64", "--timestamp-header", "X-Acme-Timestamp"},
			verify: hmacVerifier(callback.HMACConfig{Header: "X-Acme-Signature", Prefix: "v1=", Encoding: callback.Base64,
				TimestampHeader: "X-Acme-Timestamp", Secrets: []string{hmacSecret}}),
		},
		{scheme: "standard-webhooks", secret: whsec, header: "Webhook-Signature", flags: []string{"--id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"},
			verify: func(t *testing.T) callback.Verifier {
				v, err := callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{Secrets: []string{whsec}}, at)
				require.NoError(t, err)
				return v
			}},
		{scheme: "token", secret: issued.Token, header: "Authorization", verify: func(*testing.T) callback.Verifier {
			return &callback.TokenVerifier{Tokens: tokens, IntegrationID: "int-1"}
		}},
		{scheme: "token", secret: issued.Token, header: "X-Callback-Token", flags: []string{"--header", "X-Callback-Token"},
			verify: func(*testing.T) callback.Verifier {
				return &callback.TokenVerifier{Tokens: tokens, IntegrationID: "int-1", Header: "X-Callback-Token"}
			}},
	}
}

// args is the sign command line of the case, with a fixed --timestamp for
// the schemes that sign one.
func (tc signTestCase) args(extra ...string) []string {
	args := []string{"sign", "--scheme", tc.scheme}
	if tc.scheme == "stripe" || tc.scheme == "standard-webhooks" || strings.Contains(strings.Join(tc.flags, " "), "--timestamp-header") {
		args = append(args, "--timestamp", strconv.Itoa(signedAt))
	}
	return append(append(args, tc.flags...), extra...)
}

// request rebuilds the delivery a sign --json output describes.
func request(t *testing.T, out jsonDelivery) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/callback", strings.NewReader(out.Body))
	for k, v := range out.Headers {
		r.Header.Set(k, v)
	}
	return r
}

// TestSignVerifies: for every scheme, what sign prints passes the SDK's own
// verifier, a changed body does not, and the secret is never printed (the
// token scheme's token is the credential of the delivery, so it is).
func TestSignVerifies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bodyFile := writeFile(t, dir, "body.json", `{"event_id":"evt-1","event":"ticket.updated","ticket":{"id":"42","status":"resolved"}}`)

	for _, tc := range signTestCases(t) {
		t.Run(tc.scheme+"/"+strings.Join(tc.flags, " "), func(t *testing.T) {
			secretFile := writeFile(t, t.TempDir(), "secret", tc.secret+"\n")
			ways := map[string]invocation{
				"flag":          {args: tc.args("--json", "--secret", tc.secret)},
				"secret file":   {args: tc.args("--json", "--secret-file", secretFile, "--body", bodyFile)},
				"env and stdin": {args: tc.args("--json", "--body", "-"), env: []string{secretEnv + "=" + tc.secret}, stdin: "plain text\n"},
			}
			for name, inv := range ways {
				r := runCmd(t, inv)
				require.Equal(t, exitOK, r.code, "%s: %s", name, r.stderr)
				var out jsonDelivery
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
				assert.True(t, out.OK)
				assert.NotEmpty(t, out.Headers[tc.header], name)
				if name == "secret file" {
					assert.Contains(t, out.Body, `"evt-1"`)
				}
				if name == "env and stdin" {
					assert.Equal(t, "plain text\n", out.Body)
				}
				if tc.scheme != "token" {
					assert.NotContains(t, r.stdout, tc.secret, name)
					assert.NotContains(t, r.stdout, strings.TrimPrefix(tc.secret, "whsec_"), name)
				}
				assert.NotContains(t, r.stderr, tc.secret, name)

				v := tc.verify(t)
				require.NoError(t, v.Verify(request(t, out), []byte(out.Body)), "%s: %s", name, r.stdout)
				if tc.scheme != "token" {
					tampered := out
					tampered.Body += " "
					assert.Error(t, v.Verify(request(t, tampered), []byte(tampered.Body)), name)
				}
			}

			// The human form is an HTTP message: headers, a blank line, the body.
			r := itsmsync(t, tc.args("--secret", tc.secret)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			head, body, ok := strings.Cut(r.stdout, "\n\n")
			require.True(t, ok, r.stdout)
			assert.Contains(t, head, tc.header+": ")
			assert.Contains(t, head, "Content-Type: application/json")
			assert.True(t, json.Valid([]byte(body)), body)
		})
	}
}

// TestSignDefaults: the sample body and id are stable for a given --id and
// --timestamp, and a Jira delivery carries its delivery id.
func TestSignDefaults(t *testing.T) {
	t.Parallel()
	args := []string{"sign", "--json", "--scheme", "standard-webhooks", "--secret", whsec, "--id", "msg_1", "--timestamp", "1764298800"}
	a, b := itsmsync(t, args...), itsmsync(t, args...)
	require.Equal(t, exitOK, a.code, a.stderr)
	assert.Equal(t, a.stdout, b.stdout)
	var out jsonDelivery
	require.NoError(t, json.Unmarshal([]byte(a.stdout), &out))
	assert.Equal(t, "msg_1", out.Headers["Webhook-Id"])
	assert.Equal(t, "1764298800", out.Headers["Webhook-Timestamp"])
	assert.Contains(t, out.Body, `"occurred_at":"2025-11-28T03:00:00Z"`)

	j := itsmsync(t, "sign", "--json", "--scheme", "jira", "--secret", hmacSecret, "--id", "d-7")
	require.Equal(t, exitOK, j.code, j.stderr)
	require.NoError(t, json.Unmarshal([]byte(j.stdout), &out))
	assert.Equal(t, "d-7", out.Headers[jira.DeliveryIDHeader])
	assert.Contains(t, out.Body, `"webhookEvent":"jira:issue_updated"`)
}

// TestSend posts signed deliveries to a handler that verifies them with the
// SDK's Jira verifier.
func TestSend(t *testing.T) {
	t.Parallel()
	v, err := jira.Verifier(hmacSecret)
	require.NoError(t, err)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := v.Verify(r, body); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"applied":true}`)
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	down := httptest.NewServer(handler)
	downURL := down.URL
	down.Close()

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"accepted", []string{srv.URL + "/callback", "--secret", hmacSecret}, exitOK, "HTTP 200 OK\n{\"applied\":true}\n", "sending a jira delivery"},
		{"wrong secret", []string{srv.URL + "/callback", "--secret", "not-the-secret"}, exitFailed, "HTTP 401 Unauthorized\nbad signature\n", "answered 401 Unauthorized"},
		{"redirect not followed", []string{redirect.URL, "--secret", hmacSecret}, exitFailed, "HTTP 307", "answered 307"},
		{"unreachable", []string{downURL, "--secret", hmacSecret}, exitIOError, "", "POST " + downURL},
		{"timeout", []string{slow.URL, "--secret", hmacSecret, "--timeout", "300ms"}, exitIOError, "", "no answer within --timeout 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := itsmsync(t, append([]string{"send", "--scheme", "jira"}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout, tt.stdout)
			assert.Contains(t, r.stderr, tt.stderr)
			assert.NotContains(t, r.stdout+r.stderr, hmacSecret)

			j := itsmsync(t, append([]string{"send", "--json", "--scheme", "jira"}, tt.args...)...)
			assert.Equal(t, tt.code, j.code)
			out := decodeJSON(t, j)
			assert.Equal(t, tt.code == exitOK, out["ok"])
			if tt.code != exitIOError {
				assert.NotZero(t, out["status"])
			}
		})
	}
}
