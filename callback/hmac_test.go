package callback

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

const testSecret = "s3cr3t-value-never-in-errors"

func TestHMACConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  HMACConfig
		want []string
	}{
		{"preset jira", JiraHMAC("k"), nil},
		{"preset github", GitHubHMAC("k"), nil},
		{"preset sysaid", SysAidHMAC("k"), nil},
		{"preset stripe", StripeHMAC("k"), nil},
		{"empty", HMACConfig{}, []string{"header", "secrets"}},
		{"bad algorithm", HMACConfig{Header: "X", Algorithm: "md5", Secrets: []string{"k"}}, []string{"algorithm"}},
		{"bad encoding", HMACConfig{Header: "X", Encoding: "base32", Secrets: []string{"k"}}, []string{"encoding"}},
		{"bad scheme", HMACConfig{Header: "X", Scheme: "svix", Secrets: []string{"k"}}, []string{"scheme"}},
		{"stripe with prefix", HMACConfig{Header: "X", Scheme: SchemeStripe, Prefix: "sha256=", TimestampHeader: "T", Secrets: []string{"k"}}, []string{"prefix", "timestamp_header"}},
		{"negative tolerance", HMACConfig{Header: "X", Tolerance: -time.Second, Secrets: []string{"k"}}, []string{"tolerance"}},
		{"empty secret", HMACConfig{Header: "X", Secrets: []string{"k", ""}}, []string{"secrets[1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHMACVerifier(tt.cfg)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			requireInvalidConfig(t, err, "HMAC verifier configuration", tt.want...)
		})
	}
}

func mustHMAC(t testing.TB, cfg HMACConfig, opts ...itsm.Option) *HMACVerifier {
	t.Helper()
	v, err := NewHMACVerifier(cfg, opts...)
	require.NoError(t, err)
	return v
}

func TestHMACVerify(t *testing.T) {
	body := []byte(`{"issue":{"key":"SEC-1"}}`)
	macHex := func(h func() []byte) string { return hex.EncodeToString(h()) }
	sha256Hex := macHex(func() []byte { return mustHMAC(t, JiraHMAC(testSecret)).mac(nil, 0, "", body) })
	sha1Mac := hmac.New(sha1.New, []byte(testSecret))
	sha1Mac.Write(body)
	sha512Mac := hmac.New(sha512.New, []byte(testSecret))
	sha512Mac.Write(body)

	tests := []struct {
		name   string
		cfg    HMACConfig
		header string
		want   error
	}{
		{"jira", JiraHMAC(testSecret), "sha256=" + sha256Hex, nil},
		{"uppercase hex and prefix", JiraHMAC(testSecret), "SHA256=" + strings.ToUpper(sha256Hex), nil},
		{"missing prefix", JiraHMAC(testSecret), sha256Hex, ErrMalformedSignature},
		{"wrong prefix", JiraHMAC(testSecret), "sha1=" + sha256Hex, ErrMalformedSignature},
		{"not hex", JiraHMAC(testSecret), "sha256=zz", ErrMalformedSignature},
		{"truncated", JiraHMAC(testSecret), "sha256=" + sha256Hex[:62], ErrMalformedSignature},
		{"wrong secret", JiraHMAC("other"), "sha256=" + sha256Hex, ErrInvalidSignature},
		{"rotation: second secret", JiraHMAC("new-secret", testSecret), "sha256=" + sha256Hex, nil},
		{"empty header", JiraHMAC(testSecret), "", ErrMissingSignature},
		{"sysaid bare", SysAidHMAC(testSecret), sha256Hex, nil},
		{"sysaid prefixed", SysAidHMAC(testSecret), "sha256=" + sha256Hex, nil},
		{"sha1 legacy", HMACConfig{Header: "X-Hub-Signature", Algorithm: SHA1, Prefix: "sha1=", Secrets: []string{testSecret}}, "sha1=" + hex.EncodeToString(sha1Mac.Sum(nil)), nil},
		{"sha1 given a sha256", HMACConfig{Header: "X-Hub-Signature", Algorithm: SHA1, Prefix: "sha1=", Secrets: []string{testSecret}}, "sha1=" + sha256Hex, ErrMalformedSignature},
		{"sha512 base64", HMACConfig{Header: "X-Hub-Signature", Algorithm: SHA512, Encoding: Base64, Secrets: []string{testSecret}}, base64.StdEncoding.EncodeToString(sha512Mac.Sum(nil)), nil},
		{"sha512 base64url unpadded", HMACConfig{Header: "X-Hub-Signature", Algorithm: SHA512, Encoding: Base64, Secrets: []string{testSecret}}, base64.RawURLEncoding.EncodeToString(sha512Mac.Sum(nil)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustHMAC(t, tt.cfg)
			h := http.Header{}
			if tt.header != "" {
				h.Set(tt.cfg.Header, tt.header)
			}
			err := v.Verify(signedRequest(h), body)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.NotContains(t, err.Error(), testSecret)
			assert.NotContains(t, strings.ToLower(err.Error()), sha256Hex)
		})
	}
}

func TestHMACSignRoundTrip(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte("payload ü \x00")
	cfgs := map[string]HMACConfig{
		"jira": JiraHMAC(testSecret), "github": GitHubHMAC(testSecret), "sysaid": SysAidHMAC(testSecret),
		"stripe":   StripeHMAC(testSecret),
		"sha1 b64": {Header: "X-Sig", Algorithm: SHA1, Encoding: Base64, Secrets: []string{testSecret}},
		"ts":       {Header: "X-Sig", TimestampHeader: "X-Sig-Timestamp", Prefix: "v1=", Secrets: []string{testSecret}},
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			v := mustHMAC(t, cfg, itsm.WithClock(&verifierTestClock{t: now}))
			h := v.Sign(body, now)
			require.NoError(t, v.Verify(signedRequest(h), body))
			assert.ErrorIs(t, v.Verify(signedRequest(h), append(body, '!')), ErrInvalidSignature)
			assert.NotContains(t, h.Get(cfg.Header), testSecret)
		})
	}
}

func TestHMACTimestamped(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"evt_1"}`)
	signer := mustHMAC(t, StripeHMAC(testSecret))
	tests := []struct {
		name   string
		signed time.Time
		header func(h http.Header) string
		want   error
	}{
		{name: "fresh", signed: now},
		{name: "at the edge (past)", signed: now.Add(-DefaultTolerance)},
		{name: "at the edge (future)", signed: now.Add(DefaultTolerance)},
		{name: "stale", signed: now.Add(-DefaultTolerance - time.Second), want: ErrTimestampOutOfRange},
		{name: "future", signed: now.Add(DefaultTolerance + time.Second), want: ErrTimestampOutOfRange},
		{name: "several v1, one good", signed: now, header: func(h http.Header) string {
			return "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + strings.Repeat("00", 32) + "," + strings.Split(h.Get("Stripe-Signature"), ",")[1] + ",v0=abc"
		}},
		{name: "timestamp swapped", signed: now, header: func(h http.Header) string {
			return strings.Replace(h.Get("Stripe-Signature"), "t="+strconv.FormatInt(now.Unix(), 10), "t="+strconv.FormatInt(now.Unix()+1, 10), 1)
		}, want: ErrInvalidSignature},
		{name: "no t", signed: now, header: func(h http.Header) string { return strings.Split(h.Get("Stripe-Signature"), ",")[1] }, want: ErrMissingTimestamp},
		{name: "bad t", signed: now, header: func(h http.Header) string {
			return "t=abc," + strings.Split(h.Get("Stripe-Signature"), ",")[1]
		}, want: ErrInvalidTimestamp},
		{name: "no v1", signed: now, header: func(h http.Header) string { return "t=1" }, want: ErrMalformedSignature},
		{name: "stale and forged", signed: now.Add(-time.Hour), header: func(h http.Header) string {
			return "t=" + strconv.FormatInt(now.Add(-time.Hour).Unix(), 10) + ",v1=" + strings.Repeat("ab", 32)
		}, want: ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustHMAC(t, StripeHMAC(testSecret), itsm.WithClock(&verifierTestClock{t: now}))
			h := signer.Sign(body, tt.signed)
			if tt.header != nil {
				h.Set("Stripe-Signature", tt.header(h))
			}
			err := v.Verify(signedRequest(h), body)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}

	t.Run("timestamp header", func(t *testing.T) {
		cfg := HMACConfig{Header: "X-Signature", TimestampHeader: "X-Timestamp", Tolerance: time.Minute, Secrets: []string{testSecret}}
		v := mustHMAC(t, cfg, itsm.WithClock(&verifierTestClock{t: now}))
		h := v.Sign(body, now.Add(-30*time.Second))
		require.NoError(t, v.Verify(signedRequest(h), body))
		h = v.Sign(body, now.Add(-2*time.Minute))
		require.ErrorIs(t, v.Verify(signedRequest(h), body), ErrTimestampOutOfRange)
		h = v.Sign(body, now)
		h.Del("X-Timestamp")
		require.ErrorIs(t, v.Verify(signedRequest(h), body), ErrMissingTimestamp)
		// The timestamp is signed: a body-only MAC does not verify.
		bodyOnly := mustHMAC(t, HMACConfig{Header: "X-Signature", Secrets: []string{testSecret}}).Sign(body, now)
		bodyOnly.Set("X-Timestamp", strconv.FormatInt(now.Unix(), 10))
		require.ErrorIs(t, v.Verify(signedRequest(bodyOnly), body), ErrInvalidSignature)
	})
}

func TestHMACZeroValue(t *testing.T) {
	var v HMACVerifier
	requireInvalidConfig(t, v.Verify(signedRequest(nil), nil), "HMAC verifier configuration", "header", "secrets")
	var nilV *HMACVerifier
	requireInvalidConfig(t, nilV.Verify(signedRequest(nil), nil), "HMAC verifier configuration", "header", "secrets")
	assert.Empty(t, nilV.Sign(nil, time.Time{}))
	require.ErrorIs(t, mustHMAC(t, JiraHMAC("k")).Verify(nil, nil), ErrMissingSignature)
}

func FuzzHMACVerify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	verifiers := []*HMACVerifier{
		mustHMAC(f, JiraHMAC(testSecret)),
		mustHMAC(f, SysAidHMAC(testSecret)),
		mustHMAC(f, HMACConfig{Header: "X-Hub-Signature", Encoding: Base64, Algorithm: SHA1, Secrets: []string{testSecret}}),
		mustHMAC(f, HMACConfig{Header: "X-Hub-Signature", Scheme: SchemeStripe, Secrets: []string{testSecret}}, itsm.WithClock(&verifierTestClock{t: now})),
		mustHMAC(f, HMACConfig{Header: "X-Hub-Signature", TimestampHeader: "X-Ts", Secrets: []string{testSecret}}, itsm.WithClock(&verifierTestClock{t: now})),
	}
	f.Add([]byte("{}"), "sha256=00", "1700000000", uint8(0))
	f.Add([]byte("body"), "t=1700000000,v1=abcd,v1=", "x", uint8(3))
	f.Add([]byte(""), "AAAA====", "-1", uint8(2))
	f.Fuzz(func(t *testing.T, body []byte, sig, ts string, which uint8) {
		v := verifiers[int(which)%len(verifiers)]
		r := signedRequest(nil)
		r.Header["X-Hub-Signature"] = []string{sig}
		r.Header["X-Ts"] = []string{ts}
		if err := v.Verify(r, body); err == nil {
			// Finding an HMAC without the key is infeasible: a pass is a bug.
			t.Fatalf("verified a signature not made with the secret: %q", sig)
		}
		// And what Sign makes for this body always verifies.
		if err := v.Verify(signedRequest(v.Sign(body, now)), body); err != nil {
			t.Fatalf("signed body does not verify: %v", err)
		}
	})
}

func BenchmarkHMACVerify(b *testing.B) {
	body := []byte(strings.Repeat(`{"field":"value with some text"},`, 190)) // ~6 KB
	v := mustHMAC(b, JiraHMAC(testSecret))
	r := signedRequest(v.Sign(body, time.Time{}))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}
