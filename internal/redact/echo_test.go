package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodings returns s and what a reader gets by decoding it the ways a
// server may have encoded an echoed secret: HTML entities, percent-encoding
// (either case), hex runs and base64 runs (both alphabets, every offset).
func decodings(s string) [][]byte {
	out := [][]byte{[]byte(s), []byte(html.UnescapeString(s))}
	if u, err := url.QueryUnescape(s); err == nil {
		out = append(out, []byte(u))
	}
	if u, err := url.PathUnescape(s); err == nil {
		out = append(out, []byte(u))
	}
	runs := func(alphabet string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return !strings.ContainsRune(alphabet, r) })
	}
	for _, run := range runs("0123456789abcdefABCDEF") {
		for off := 0; off < 2 && off < len(run); off++ {
			b, _ := hex.DecodeString(run[off : off+(len(run)-off)/2*2])
			out = append(out, b)
		}
	}
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for _, enc := range []struct {
		alpha string
		e     *base64.Encoding
	}{{b64 + "+/", base64.RawStdEncoding}, {b64 + "-_", base64.RawURLEncoding}} {
		for _, run := range runs(enc.alpha) {
			for off := 0; off < 4 && off < len(run); off++ {
				chunk := run[off:]
				if len(chunk)%4 == 1 {
					chunk = chunk[:len(chunk)-1]
				}
				b, _ := enc.e.DecodeString(chunk)
				out = append(out, b)
			}
		}
	}
	return out
}

func assertNoLeak(t *testing.T, out, secret string) {
	t.Helper()
	for _, d := range decodings(out) {
		if bytes.Contains(d, []byte(secret)) {
			t.Errorf("secret %q recoverable from %q", secret, out)
			return
		}
	}
}

// TestRedactorEchoForms: every form a server may echo a secret in is
// redacted: HTML entities (the escapers of Go, html/template, Python, PHP,
// Java), percent-encoding in either case and by the common encoders, hex,
// and base64 — standard and URL, padded or not, alone or inside a larger
// blob at every alignment (a Basic header carries the password at an
// offset).
func TestRedactorEchoForms(t *testing.T) {
	t.Parallel()
	secrets := []string{
		`p@ss<w"rd>/+1&'x é`,
		"tok_3xAmPl3-ACCESS.t0ken~",
		"ABCDEFGHIJKL",
	}
	for _, pw := range secrets {
		r := redact.New(pw)
		b := []byte(pw)
		forms := map[string]string{
			"raw":             pw,
			"html go":         html.EscapeString(pw),
			"html python":     strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;").Replace(pw),
			"html php":        strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#039;").Replace(pw),
			"html apos":       strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(pw),
			"html template":   strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(pw),
			"html noquotes":   strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(pw),
			"query upper":     url.QueryEscape(pw),
			"query lower":     lowerPct(url.QueryEscape(pw)),
			"path lower":      lowerPct(url.PathEscape(pw)),
			"strict %20":      strictPct(pw, "%20", false),
			"strict lower":    strictPct(pw, "%20", true),
			"hex lower":       hex.EncodeToString(b),
			"hex upper":       strings.ToUpper(hex.EncodeToString(b)),
			"base64":          base64.StdEncoding.EncodeToString(b),
			"base64 raw url":  base64.RawURLEncoding.EncodeToString(b),
			"basic header":    "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("bot:"+pw)),
			"basic user long": base64.StdEncoding.EncodeToString([]byte("user@example.com:" + pw)),
		}
		for off := 0; off < 3; off++ {
			for _, suffix := range []string{"", "z", "zz", "zzz"} {
				blob := append(append([]byte(strings.Repeat("\x00", 5+off)), b...), suffix...)
				forms[fmt.Sprintf("std blob %d%s", off, suffix)] = base64.StdEncoding.EncodeToString(blob)
				forms[fmt.Sprintf("url blob %d%s", off, suffix)] = base64.RawURLEncoding.EncodeToString(blob)
			}
		}
		for name, f := range forms {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				require.True(t, func() bool {
					for _, d := range decodings(f) {
						if bytes.Contains(d, b) {
							return true
						}
					}
					return false
				}(), "the test form %q must carry the secret", f)
				in := `{"error":"denied","echo":"` + f + `"}`
				out := r.Secrets(in)
				assert.Contains(t, out, redact.Marker)
				assertNoLeak(t, out, pw)
			})
		}
	}
}

func lowerPct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b.WriteString(strings.ToLower(s[i : i+3]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// strictPct escapes every byte but RFC 3986's unreserved ones.
func strictPct(s, space string, lower bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~", c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteString(space)
		default:
			f := "%%%02X"
			if lower {
				f = "%%%02x"
			}
			fmt.Fprintf(&b, f, c)
		}
	}
	return b.String()
}

// TestRedactorAdd: secrets learned at run time (a fetched token, a session
// id) are redacted from then on, with their encodings, next to the static
// ones; the most recent ones are kept.
func TestRedactorAdd(t *testing.T) {
	t.Parallel()
	r := redact.New("static-password")
	const tok = "eyJ-fetched-access-token-1"
	assert.Contains(t, r.Secrets("got "+tok), tok)
	r.Add(tok)
	r.Add("")
	out := r.Secrets("got " + tok + " and static-password and " + base64.StdEncoding.EncodeToString([]byte(tok)))
	assert.NotContains(t, out, tok)
	assert.NotContains(t, out, "static-password")
	assertNoLeak(t, out, tok)

	for i := range redact.MaxAdded {
		r.Add(fmt.Sprintf("later-token-%03d", i))
	}
	assert.NotContains(t, r.Secrets("later-token-000"), "later-token-000", "the most recent are kept")
	assert.Contains(t, r.Secrets(tok), tok, "the oldest is forgotten past MaxAdded")
	assert.NotContains(t, r.Secrets("static-password"), "static-password", "static secrets are never forgotten")

	var nilR *redact.Redactor
	nilR.Add("x") // no panic
}

func TestRedactorAddConcurrent(t *testing.T) {
	t.Parallel()
	r := redact.New("static-password")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r.Add(fmt.Sprintf("session-id-%d", i))
		}()
		go func() {
			defer wg.Done()
			assert.NotContains(t, r.String("static-password"), "static-password")
		}()
	}
	wg.Wait()
	for i := range 4 {
		assert.NotContains(t, r.Secrets(fmt.Sprintf("session-id-%d", i)), "session-id")
	}
}

// BenchmarkRedact measures the error path: one 4 KiB error body through a
// redactor holding the secrets of a typical config plus fetched tokens.
func BenchmarkRedact(b *testing.B) {
	r := redact.New(`p@ss<w"rd>/+1&'x`, "api-key-0123456789abcdef", "bot@example.com:p@ss<w\"rd>/+1&'x", "client-secret-xyz")
	r.Add("eyJhbGciOiJSUzI1NiJ9.access-token-fetched")
	r.Add("JSESSIONID-value-ABCDEF0123")
	body := strings.Repeat(`{"errorMessages":["Field 'summary' is required"],"errors":{}} `, 70)[:4096]
	b.Run("Secrets", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			_ = r.Secrets(body)
		}
	})
	b.Run("String", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			_ = r.String(body)
		}
	})
	b.Run("New", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = redact.New(`p@ss<w"rd>/+1&'x`, "api-key-0123456789abcdef", "client-secret-xyz")
		}
	})
}

// TestCredentialsFilterFolds: the keyword filter in front of the patterns
// folds case as the patterns do, non-ASCII folds included.
func TestCredentialsFilterFolds(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"PASSWORD=hunter2x", "pa\u017f\u017fword=hunter2x", "to\u212aen=hunter2x", "AUTHORIZATION: Basic hunter2x"} {
		assert.NotContains(t, redact.Credentials(in), "hunter2x", in)
	}
}
