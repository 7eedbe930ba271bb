package callback_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// TestHandlerReadTimeout: a sender that announces a body and then stalls is
// answered 408 once ReadTimeout passed, even behind an http.Server without
// timeouts of its own (httptest.NewServer sets none).
func TestHandlerReadTimeout(t *testing.T) {
	env := setupHandler(t, func(c *callback.HandlerConfig) { c.ReadTimeout = 100 * time.Millisecond })
	srv := httptest.NewServer(env.h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// The bound of the test, not a timing assertion: without the
	// handler's deadline the response never comes.
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = fmt.Fprintf(conn, "POST /itsm/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"type\":")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the handler must answer a stalled body by itself")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	a := env.lastAudit(t)
	assert.Equal(t, itsm.OutcomeRejected, a.Outcome)
	assert.Equal(t, "body read timed out", a.Reason)
	env.assertNoStateChange(t)
}

// deadlineWriter is a ResponseWriter with read deadlines (as
// http.ResponseController finds them): it records the calls, in order with
// the updater's, through log.
type deadlineWriter struct {
	*httptest.ResponseRecorder
	mu  *sync.Mutex
	log *[]string
	set []time.Time
}

func (d *deadlineWriter) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set = append(d.set, t)
	if t.IsZero() {
		*d.log = append(*d.log, "deadline lifted")
	} else {
		*d.log = append(*d.log, "deadline set")
	}
	return nil
}

// TestHandlerReadDeadlineLifecycle: the read deadline is set before the body
// is read and lifted before the events are applied (a deadline left in
// place would cancel the request's context while the updater runs); Off
// sets none.
func TestHandlerReadDeadlineLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		want    time.Duration // 0: no deadline
	}{
		{"default", 0, callback.DefaultReadTimeout},
		{"configured", 3 * time.Second, 3 * time.Second},
		{"off", itsm.Off, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var log []string
			env := setupHandler(t, func(c *callback.HandlerConfig) {
				c.ReadTimeout = tc.timeout
				u := c.Updater
				c.Updater = callback.CaseUpdaterFunc(func(ctx context.Context, ch callback.TicketChange) error {
					mu.Lock()
					log = append(log, "apply")
					mu.Unlock()
					return u.ApplyTicketChange(ctx, ch)
				})
			})
			w := &deadlineWriter{ResponseRecorder: httptest.NewRecorder(), mu: &mu, log: &log}
			r := signedReq(doneBody)(env)
			before := time.Now()
			env.h.ServeHTTP(w, r)
			after := time.Now()
			require.Equal(t, http.StatusOK, w.Code)
			if tc.want == 0 {
				assert.Equal(t, []string{"apply"}, log)
				return
			}
			assert.Equal(t, []string{"deadline set", "deadline lifted", "apply"}, log)
			require.Len(t, w.set, 2)
			assert.False(t, w.set[0].Before(before.Add(tc.want)), "deadline %v", w.set[0])
			assert.False(t, w.set[0].After(after.Add(tc.want)), "deadline %v", w.set[0])
		})
	}
}

// TestVerifiersTryEverySignatureEntry: a sender may list one signature per
// secret; the genuine one is found wherever it stands up to
// MaxSignatureEntries (it used to be ignored after the eighth entry), and a
// header with more entries is malformed.
func TestVerifiersTryEverySignatureEntry(t *testing.T) {
	now := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	clock := itsm.WithClock(&hClock{t: now})
	body := []byte(doneBody)
	junk := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%032d", i)))
		}
		return out
	}

	sw, err := callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, clock)
	require.NoError(t, err)
	good := sw.Sign("msg_1", now, body)
	swReq := func(entries []string) error {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set(callback.HeaderWebhookID, "msg_1")
		r.Header.Set(callback.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
		r.Header.Set(callback.HeaderWebhookSignature, strings.Join(entries, " "))
		return sw.Verify(r, body)
	}
	stripe, err := callback.NewHMACVerifier(callback.StripeHMAC("whsec_stripe"), clock)
	require.NoError(t, err)
	stripeGood := stripe.Sign(body, now).Get("Stripe-Signature")
	_, stripeV1, _ := strings.Cut(stripeGood, ",v1=")
	stripeReq := func(entries []string) error {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Stripe-Signature", "t="+strconv.FormatInt(now.Unix(), 10)+","+strings.Join(entries, ","))
		return stripe.Verify(r, body)
	}
	for _, n := range []int{8, 20, callback.MaxSignatureEntries - 2} {
		var swEntries, stEntries []string
		for _, j := range junk(n) {
			swEntries = append(swEntries, "v1,"+j)
			stEntries = append(stEntries, "v1="+hex.EncodeToString([]byte(j))[:64])
		}
		assert.NoError(t, swReq(append(swEntries, good)), "standard webhooks, genuine after %d others", n)
		assert.NoError(t, stripeReq(append(stEntries, "v1="+stripeV1)), "stripe, genuine after %d others", n)
	}
	var swEntries, stEntries []string
	for _, j := range junk(callback.MaxSignatureEntries) {
		swEntries = append(swEntries, "v1,"+j)
		stEntries = append(stEntries, "v1="+hex.EncodeToString([]byte(j))[:64])
	}
	assert.ErrorIs(t, swReq(append(swEntries, good)), callback.ErrMalformedSignature)
	assert.ErrorIs(t, stripeReq(append(stEntries, "v1="+stripeV1)), callback.ErrMalformedSignature)
}

// hostSecretError is what a host's component might answer: a DSN with its
// password, a credential, a token hash, a forged log line and a terminal
// escape around the words that matter.
const hostSecretError = "host database down: dial postgres://app:hunter2@db:5432/cases failed; password=hunter2\n" +
	"level=INFO msg=forged \x1b[31mred\x1b[0m hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 \u202eevil"

func assertSanitized(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, secret := range append([]string{"hunter2", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "\n", "\x1b", "\u202e"}, secrets...) {
		assert.NotContains(t, s, secret)
	}
	assert.LessOrEqual(t, len(s), 256+len("..."))
}

// TestHandlerAuditSanitizesHostErrors: the error text of the host's updater
// and store reaches audit events and logs only sanitized: clipped, without
// credentials, opaque keys or hashes, control characters.
func TestHandlerAuditSanitizesHostErrors(t *testing.T) {
	var logs strings.Builder
	env := setupHandlerEnv(t, func(env *hEnv, c *callback.HandlerConfig) {
		env.opts = append(env.opts, itsm.WithLogger(newTestLogger(&logs)))
		c.Updater = callback.CaseUpdaterFunc(func(context.Context, callback.TicketChange) error {
			return errors.New(hostSecretError)
		})
	})
	w := env.post(t, doneBody, "X-Atlassian-Webhook-Identifier", "d-1")
	require.Equal(t, http.StatusInternalServerError, w.Code)
	a := env.lastAudit(t)
	assert.Equal(t, itsm.OutcomeFailure, a.Outcome)
	assert.Contains(t, a.Error, "host database down")
	assert.Contains(t, a.Error, "postgres://app:[REDACTED]@db:5432/cases")
	assertSanitized(t, a.Error)
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		assert.NotContains(t, line, "hunter2")
		assert.True(t, strings.HasPrefix(line, "time="), "no forged log line: %q", line)
	}

	// A store failure: the same.
	env2 := setupHandlerEnv(t, func(env *hEnv, c *callback.HandlerConfig) {
		c.Store = secretFailingStore{env.store}
	})
	w = env2.post(t, doneBody)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	a = env2.lastAudit(t)
	assert.Contains(t, a.Error, "host database down")
	assertSanitized(t, a.Error)
}

type secretFailingStore struct{ *countingStore }

func (secretFailingStore) GetLinkByTicket(context.Context, string, string) (itsm.Link, error) {
	return itsm.Link{}, fmt.Errorf("%s: %w", hostSecretError, itsm.ErrStore)
}

// leakyTokenStore fails lookups with an error quoting the hash it was asked
// for and its own credentials.
type leakyTokenStore struct{ *memstore.Store }

func (leakyTokenStore) GetTokenByHash(_ context.Context, hash []byte) (itsm.CallbackToken, error) {
	return itsm.CallbackToken{}, fmt.Errorf("select * from tokens where hash = '%x': %s", hash, hostSecretError)
}

// TestHandlerTokenStoreErrorSanitized: the token store's error text (here
// quoting the presented token's hash and the store's password) does not go
// verbatim into the audit event; the delivery is answered 503.
func TestHandlerTokenStoreErrorSanitized(t *testing.T) {
	var tokens *callback.Tokens
	env := setupHandlerEnv(t, func(env *hEnv, c *callback.HandlerConfig) {
		var err error
		tokens, err = callback.NewTokens(leakyTokenStore{memstore.New()}, callback.TokensConfig{}, itsm.WithClock(env.clock))
		require.NoError(t, err)
		c.Verifier = &callback.TokenVerifier{Tokens: tokens, IntegrationID: hIntegration}
	})
	token := callback.TokenPrefix + strings.Repeat("A1b2", 10) + "xyz"
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(doneBody))
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	env.h.ServeHTTP(w, r)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	a := env.lastAudit(t)
	assert.Equal(t, "verification unavailable", a.Reason)
	assert.Contains(t, a.Error, "callback: verification unavailable")
	assert.Contains(t, a.Error, "host database down")
	sum := hexSHA256(token)
	assertSanitized(t, a.Error, sum, token)
	// The error Verify returns reads sanitized too, and still matches
	// what it wraps.
	_, err := tokens.Verify(context.Background(), hIntegration, token)
	require.ErrorIs(t, err, callback.ErrUnavailable)
	assertSanitized(t, err.Error(), sum, token)
}

func hexSHA256(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
