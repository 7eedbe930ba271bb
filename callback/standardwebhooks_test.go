package callback

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

var swSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("a 32 byte key for standard hooks"))

func mustSW(t testing.TB, now time.Time, secrets ...string) *StandardWebhooksVerifier {
	t.Helper()
	v, err := NewStandardWebhooksVerifier(StandardWebhooksConfig{Secrets: secrets}, itsm.WithClock(&verifierTestClock{t: now}))
	require.NoError(t, err)
	return v
}

func TestStandardWebhooksConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  StandardWebhooksConfig
		want []string
	}{
		{"ok", StandardWebhooksConfig{Secrets: []string{swSecret}}, nil},
		{"no prefix", StandardWebhooksConfig{Secrets: []string{strings.TrimPrefix(swSecret, "whsec_")}}, nil},
		{"none", StandardWebhooksConfig{}, []string{"secrets"}},
		{"not base64", StandardWebhooksConfig{Secrets: []string{swSecret, "whsec_!!not-base64!!"}}, []string{"secrets[1]"}},
		{"empty key", StandardWebhooksConfig{Secrets: []string{"whsec_"}}, []string{"secrets[0]"}},
		{"negative tolerance", StandardWebhooksConfig{Secrets: []string{swSecret}, Tolerance: -1}, []string{"tolerance"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewStandardWebhooksVerifier(tt.cfg)
			if tt.want == nil {
				require.NoError(t, err)
				require.NoError(t, tt.cfg.Validate())
				return
			}
			requireInvalidConfig(t, err, "Standard Webhooks verifier configuration", tt.want...)
			assert.NotContains(t, err.Error(), "not-base64")
			assert.Equal(t, err.Error(), tt.cfg.Validate().Error(), "Validate reports what the constructor does")
		})
	}
}

func TestStandardWebhooksVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"ticket.updated"}`)
	v := mustSW(t, now, swSecret)
	other := mustSW(t, now, "whsec_"+base64.StdEncoding.EncodeToString([]byte("another key")))
	good := v.Sign("msg_1", now, body)
	ts := strconv.FormatInt(now.Unix(), 10)

	tests := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{name: "good", h: v.SignHeaders("msg_1", now, body)},
		{name: "svix headers", h: http.Header{"Svix-Id": {"msg_1"}, "Svix-Timestamp": {ts}, "Svix-Signature": {good}}},
		{name: "several signatures", h: http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {"v1a,xyz v1,AAAA " + other.Sign("msg_1", now, body) + "  " + good}}},
		{name: "edge past", h: v.SignHeaders("msg_1", now.Add(-DefaultTolerance), body)},
		{name: "edge future", h: v.SignHeaders("msg_1", now.Add(DefaultTolerance), body)},
		{name: "stale", h: v.SignHeaders("msg_1", now.Add(-DefaultTolerance-time.Second), body), want: ErrTimestampOutOfRange},
		{name: "future", h: v.SignHeaders("msg_1", now.Add(DefaultTolerance+time.Second), body), want: ErrTimestampOutOfRange},
		{name: "other secret", h: other.SignHeaders("msg_1", now, body), want: ErrInvalidSignature},
		{name: "id swapped", h: http.Header{"Webhook-Id": {"msg_2"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {good}}, want: ErrInvalidSignature},
		{name: "timestamp swapped", h: http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {strconv.FormatInt(now.Unix()+1, 10)}, "Webhook-Signature": {good}}, want: ErrInvalidSignature},
		{name: "body changed", h: v.SignHeaders("msg_1", now, body), body: []byte(`{"type":"ticket.deleted"}`), want: ErrInvalidSignature},
		{name: "no id", h: http.Header{"Webhook-Timestamp": {ts}, "Webhook-Signature": {good}}, want: ErrMissingSignature},
		{name: "no signature", h: http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {ts}}, want: ErrMissingSignature},
		{name: "no timestamp", h: http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Signature": {good}}, want: ErrMissingTimestamp},
		{name: "bad timestamp", h: http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {"soon"}, "Webhook-Signature": {good}}, want: ErrInvalidTimestamp},
		{name: "only v2", h: http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {strings.Replace(good, "v1,", "v2,", 1)}}, want: ErrMalformedSignature},
		{name: "bad base64", h: http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {"v1,@@@"}}, want: ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.body
			if b == nil {
				b = body
			}
			err := v.Verify(signedRequest(tt.h), b)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.NotContains(t, err.Error(), strings.TrimPrefix(swSecret, "whsec_"))
			assert.NotContains(t, err.Error(), strings.TrimPrefix(good, "v1,"))
		})
	}

	t.Run("rotation", func(t *testing.T) {
		both := mustSW(t, now, "whsec_"+base64.StdEncoding.EncodeToString([]byte("new key")), swSecret)
		require.NoError(t, both.Verify(signedRequest(v.SignHeaders("m", now, body)), body))
	})
	t.Run("zero value", func(t *testing.T) {
		var z StandardWebhooksVerifier
		requireInvalidConfig(t, z.Verify(signedRequest(nil), body), "Standard Webhooks verifier configuration", "secrets")
		require.ErrorIs(t, v.Verify(nil, body), ErrMissingSignature)
		var n *StandardWebhooksVerifier
		assert.Empty(t, n.Sign("m", now, body))
	})
}

func FuzzStandardWebhooksVerify(f *testing.F) {
	now := time.Unix(1_614_265_330, 0)
	v := mustSW(f, now, swSecret)
	f.Add("msg_1", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", []byte(`{"test": 2432232314}`))
	f.Add("", "", "", []byte(nil))
	f.Add("id", "99999999999999999999", "v1, v1,,, v1a,x", []byte("x"))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
		if err := v.Verify(signedRequest(h), body); err == nil {
			t.Fatalf("verified without the key: %q %q %q", id, ts, sig)
		}
		if strings.TrimSpace(id) != id || id == "" {
			return
		}
		if err := v.Verify(signedRequest(v.SignHeaders(id, now, body)), body); err != nil {
			t.Fatalf("signed delivery does not verify: %v", err)
		}
	})
}

func BenchmarkStandardWebhooksVerify(b *testing.B) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(strings.Repeat(`{"field":"value with some text"},`, 190))
	v := mustSW(b, now, swSecret)
	r := signedRequest(v.SignHeaders("msg_1", now, body))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}
