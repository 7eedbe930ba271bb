package httpconn

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/stretchr/testify/assert"
)

func TestIDFromLocation(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                      "",
		"/api/tickets/42":                       "42",
		"/api/tickets/42/":                      "42",
		"https://x/api/now/table/inc/abc%2Fdef": "abc/def",
		"https://x/":                            "",
		"relative":                              "relative",
		"/a/..":                                 "",
		"%zz":                                   "",
		"/a/SR-9?view=full":                     "SR-9",
	} {
		assert.Equal(t, want, idFromLocation(in), in)
	}
}

func TestScalarAt(t *testing.T) {
	t.Parallel()
	body := []byte(`{"s":"x","n":12345678901234567890,"f":1.0e2,"b":true,"z":null,"e":"","o":{},"a":[1]}`)
	for path, want := range map[string]string{"s": "x", "n": "12345678901234567890", "f": "1.0e2", "b": "true", "z": "", "e": "", "o": "", "a": "", "missing": "", "a.0": "1"} {
		got, ok := scalarAt(body, path)
		assert.Equal(t, want, got, path)
		assert.Equal(t, want != "", ok, path)
	}
}

func TestRetryAfterParse(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	h := func(v string) http.Header { return http.Header{"Retry-After": []string{v}} }
	d, ok := retryAfter(h("120"), now)
	assert.True(t, ok)
	assert.Equal(t, 2*time.Minute, d)
	d, ok = retryAfter(h(now.Add(90*time.Second).Format(http.TimeFormat)), now)
	assert.True(t, ok)
	assert.Equal(t, 90*time.Second, d)
	d, ok = retryAfter(h(now.Add(-time.Hour).Format(http.TimeFormat)), now)
	assert.True(t, ok)
	assert.Zero(t, d)
	_, ok = retryAfter(h("-1"), now)
	assert.False(t, ok)
	_, ok = retryAfter(h("soon"), now)
	assert.False(t, ok)
	d, _ = retryAfter(h("99999999999"), now)
	assert.Equal(t, 24*time.Hour, d, "absurd values bounded")
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for attempt := 0; attempt < 10; attempt++ {
		d := backoff(100*time.Millisecond, time.Second, time.Minute, attempt, nil, now)
		assert.LessOrEqual(t, d, time.Second)
		assert.GreaterOrEqual(t, d, 50*time.Millisecond)
	}
	r := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": []string{"3600"}}}
	assert.Equal(t, 30*time.Second, backoff(time.Millisecond, time.Second, 30*time.Second, 0, r, now), "Retry-After capped")
	r.Header.Set("Retry-After", "3")
	assert.Equal(t, 3*time.Second, backoff(time.Millisecond, time.Second, 30*time.Second, 0, r, now))
	assert.Zero(t, backoff(0, 0, 0, 3, nil, now))
}

func TestBodySnippet(t *testing.T) {
	t.Parallel()
	r := redact.New("s3cret")
	assert.Equal(t, "<html> Service Unavailable", bodySnippet([]byte("<!DOCTYPE html><html><head><title>Service\nUnavailable</title></head><body>long</body></html>"), r))
	assert.Equal(t, "<html> Hello world", bodySnippet([]byte("<html><body><script>var x=1;</script><p>Hello</p> <b>world</b></body></html>"), r))
	assert.Equal(t, "<html …>", bodySnippet([]byte("<html><body></body></html>"), r))
	assert.Equal(t, `{"e":"[REDACTED]"}`, bodySnippet([]byte(`{"e":"s3cret"}`), r))
	long := bodySnippet([]byte(strings.Repeat("é", 2000)), r)
	assert.LessOrEqual(t, len(long), maxErrorBody+3)
	assert.True(t, utf8.ValidString(long))
	assert.Equal(t, "a b", bodySnippet([]byte("a\r\n\t\x00b"), r))
}

func FuzzScalarAt(f *testing.F) {
	f.Add([]byte(`{"id":12345678901234567890}`), "id")
	f.Add([]byte(`{"result":{"sys_id":"abc"}}`), "result.sys_id")
	f.Add([]byte(`[1,2`), "0")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		if !isJSON(body) {
			return
		}
		if s, ok := scalarAt(body, path); ok && s == "" {
			t.Fatal("ok with empty value")
		}
	})
}

func FuzzIDFromLocation(f *testing.F) {
	f.Add("/api/tickets/42")
	f.Add("https://x/a%2F/")
	f.Fuzz(func(t *testing.T, loc string) {
		id := idFromLocation(loc)
		if strings.TrimSpace(id) == "" && id != "" {
			t.Fatalf("blank id %q", id)
		}
	})
}

func FuzzBodySnippet(f *testing.F) {
	f.Add([]byte("<html><title>x</title></html>"), "pw")
	f.Add([]byte(`{"authorization":"Basic abc"}`), "abc")
	f.Fuzz(func(t *testing.T, body []byte, secret string) {
		s := bodySnippet(body, redact.New(secret))
		if len(s) > maxErrorBody+3 {
			t.Fatalf("snippet too long: %d", len(s))
		}
		if !utf8.ValidString(s) {
			t.Fatal("invalid utf-8")
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := retryAfter(http.Header{"Retry-After": []string{v}}, time.Now())
		if ok && (d < 0 || d > 24*time.Hour) {
			t.Fatalf("bad duration %v", d)
		}
	})
}
