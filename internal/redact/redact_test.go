package redact_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/stretchr/testify/assert"
)

func TestRedactor_Secrets(t *testing.T) {
	t.Parallel()
	const pw = `p@ss w"rd/+1`
	basic := base64.StdEncoding.EncodeToString([]byte("bot:" + pw))
	r := redact.New(pw, "", "bot:"+pw, "tok")
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"raw", "password is " + pw + "!"},
		{"query escaped", "?p=" + url.QueryEscape(pw)},
		{"path escaped", "/x/" + url.PathEscape(pw)},
		{"base64", "Basic " + basic},
		{"raw url base64", base64.RawURLEncoding.EncodeToString([]byte(pw))},
		{"json escaped", `{"p":"p@ss w\"rd/+1"}`},
		{"short secret", "a tok here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := r.String(tc.in)
			assert.NotContains(t, out, pw)
			assert.NotContains(t, out, basic)
			assert.NotContains(t, out, "tok")
			assert.Contains(t, out, redact.Marker)
		})
	}
}

func TestRedactor_LongestFirst(t *testing.T) {
	t.Parallel()
	r := redact.New("abc", "abcdef")
	assert.Equal(t, "x "+redact.Marker+" y", r.Secrets("x abcdef y"))
}

func TestNilAndEmpty(t *testing.T) {
	t.Parallel()
	var r *redact.Redactor
	assert.Equal(t, "plain text", r.String("plain text"))
	assert.Equal(t, "plain", redact.New().String("plain"))
	assert.Equal(t, "", redact.New("x").String(""))
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, secret string
	}{
		{`Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc`, "eyJhbGciOiJIUzI1NiJ9"},
		{`{"authorization":"Basic Ym90OnB3"}`, "Ym90OnB3"},
		{`map[Authorization:[Bearer oauth-token-123]]`, "oauth-token-123"},
		{`https://api/x?access_token=abc123&x=1`, "abc123"},
		{`{"password": "hunter22"}`, "hunter22"},
		{`x-api-key: k-1234567`, "k-1234567"},
		{`proxy http://user:pa55word@proxy:3128`, "pa55word"},
		{`Set-Cookie: JSESSIONID=abcdef0123`, "abcdef0123"},
		{`token xyz bearer 0123456789abcdef`, "0123456789abcdef"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			out := redact.Credentials(tc.in)
			assert.NotContains(t, out, tc.secret)
			assert.Contains(t, out, redact.Marker)
			assert.False(t, strings.Contains(out, redact.Marker+"]]]"), "no doubled markers: %s", out)
		})
	}
	assert.Equal(t, "status 404: issue does not exist", redact.Credentials("status 404: issue does not exist"))
}

func TestRedactorJSONForms(t *testing.T) {
	tests := []struct {
		name, secret, echo string
	}{
		{"go html escaping", `pa<s>s&rd`, `pa\u003cs\u003es\u0026rd`},
		{"go line terminators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"go no html escaping", `p"w\d<`, `p\"w\\d<`},
		{"php escaped slash and unicode", `pa/sé`, `pa\/s\u00e9`},
		{"php upper-case hex", `pa/sé`, `pa\/s\u00E9`},
		{"php unescaped slashes", `pa/sé`, `pa/s\u00e9`},
		{"python ensure_ascii", `pw-é-ü`, `pw-\u00e9-\u00fc`},
		{"python surrogate pair", "k😀y", `k\ud83d\ude00y`},
		{"control characters", "a\x01b\tc", `a\u0001b\tc`},
		{"url query escaping", "a b&c=é", "a+b%26c%3D%C3%A9"},
		{"url path escaping", "a b/c", "a%20b%2Fc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := redact.New(tt.secret)
			out := r.Secrets(`{"detail":"user with ` + tt.echo + ` is locked"}`)
			assert.NotContains(t, out, tt.echo)
			assert.Equal(t, `{"detail":"user with `+redact.Marker+` is locked"}`, out)
		})
	}
}

func FuzzRedactor(f *testing.F) {
	f.Add("s3cret", "the s3cret is here")
	f.Add("a", "authorization: basic abc")
	f.Fuzz(func(t *testing.T, secret, text string) {
		r := redact.New(secret)
		out := r.String(text)
		if secret != "" && strings.Contains(out, secret) && !strings.Contains(redact.Marker, secret) {
			t.Fatalf("secret %q left in %q", secret, out)
		}
	})
}

func BenchmarkRedactor(b *testing.B) {
	r := redact.New("pw-Sup3r-s3cret", "tok-Bearer-Secret-9", "key-Api-Secret-7")
	s := strings.Repeat(`{"error":"bad request","field":"summary"} `, 10)
	b.ReportAllocs()
	for b.Loop() {
		_ = r.String(s)
	}
}
