package callback_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/itsmsync/itsmsync/callback"
)

var validJSONCases = []string{
	`{}`, `[]`, ` {"a" : [1, -2.5e+3, 0, 0.0, 1E9, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9"]} `,
	`"plain"`, `0`, `-0`, `1.5`, `null`, `{"a":{"b":{"c":[[[]]]}}}`, "\"caf\xc3\xa9 \xff\"",
	`"` + strings.Repeat("abcdefgh", 20) + `"`, `"` + strings.Repeat("abcdefg\\n", 9) + `"`,
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `[1 2]`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`,
	`+1`, `tru`, `nul`, `True`, `"abc`, `"\x"`, `"\u12g4"`, `"\u12"`, "\"a\x01b\"", "\"a\tb\"", `{"a":1}}`, `[1]x`,
	`"` + strings.Repeat("a", 15) + "\x1f" + `"`, `"` + strings.Repeat("a", 13) + `\`,
}

func TestValidJSON(t *testing.T) {
	for _, c := range validJSONCases {
		assert.Equal(t, json.Valid([]byte(c)), callback.ValidJSON([]byte(c)), "%q", c)
	}
	deep := strings.Repeat("[", callback.MaxJSONDepth) + strings.Repeat("]", callback.MaxJSONDepth)
	assert.True(t, callback.ValidJSON([]byte(deep)))
	deeper := "[" + deep + "]"
	assert.False(t, callback.ValidJSON([]byte(deeper)), "nesting beyond MaxJSONDepth")
	b := readJiraFixture(t, "mattermost-webhook-server-issue-updated-resolved.json")
	assert.True(t, callback.ValidJSON(b))
	assert.False(t, callback.ValidJSON(b[:len(b)-2]))
}

// FuzzValidJSON checks ValidJSON against encoding/json.Valid.
func FuzzValidJSON(f *testing.F) {
	for _, c := range validJSONCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) > callback.MaxJSONDepth {
			t.Skip()
		}
		if got, want := callback.ValidJSON(b), json.Valid(b); got != want {
			t.Fatalf("ValidJSON(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	body := readJiraFixture(b, "mattermost-webhook-issue-updated-resolved.json")
	for _, bc := range []struct {
		name string
		f    func([]byte) bool
	}{{"callback", callback.ValidJSON}, {"gjson", gjson.ValidBytes}, {"encoding_json", json.Valid}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if !bc.f(body) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

var scanPaths = []string{"a", "a.b", "a.b.c", "b", "a.c", "a\\.b", "", "x..y"}

// checkScan compares JSONPaths.Scan with ValidJSON (validity) and
// gjson.GetBytes (the value of each path).
func checkScan(t *testing.T, b []byte) {
	t.Helper()
	p := callback.NewJSONPaths(scanPaths...)
	dst := make([]callback.JSONSpan, p.Len())
	ok := p.Scan(b, dst)
	require.Equal(t, callback.ValidJSON(b), ok, "%q", b)
	if !ok {
		return
	}
	for i, path := range scanPaths {
		want := gjson.GetBytes(b, path)
		if path == "" || strings.Contains(path, "..") || strings.Contains(path, `\`) {
			assert.False(t, dst[i].Found(), "%q in %q never matches", path, b)
			continue
		}
		if !want.Exists() {
			assert.False(t, dst[i].Found(), "%q in %q", path, b)
			continue
		}
		if assert.True(t, dst[i].Found(), "%q in %q", path, b) {
			assert.Equal(t, want.Raw, string(b[dst[i].Start:dst[i].End]), "%q in %q", path, b)
		}
	}
}

func TestJSONPathsScan(t *testing.T) {
	cases := append([]string{
		`{"a":{"b":{"c":1}}}`, `{"a":1,"a":{"b":2}}`, `{"a":{"x":1},"a":{"b":{"c":"s"}}}`,
		`{"a":{"b":1,"b":2}}`, `{"a":[{"b":1}],"b":null}`, `{"\u0061":{"b\u0000":1,"\u0062":true}}`,
		`{"a":{"b":{"d":1},"b":{"c":[1]}}}`, `{"a" : { "b" : { "c" : {} } } , "b" : "x"}`,
		`[{"a":1}]`, `"a"`, `{"a":}`, `{"a":{"b":1}`, `{"a.b":1}`,
	}, validJSONCases...)
	for _, c := range cases {
		checkScan(t, []byte(c))
	}
	p := callback.NewJSONPaths("a", "a")
	dst := make([]callback.JSONSpan, 1)
	assert.False(t, p.Scan([]byte(`{"a":1}`), dst), "dst shorter than Len")
	dst = make([]callback.JSONSpan, 2)
	require.True(t, p.Scan([]byte(`{"a":1}`), dst))
	assert.True(t, dst[0].Found())
	assert.False(t, dst[1].Found(), "a repeated path gets no value")
}

// FuzzJSONPaths checks JSONPaths.Scan against ValidJSON and gjson.GetBytes.
func FuzzJSONPaths(f *testing.F) {
	for _, c := range validJSONCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"a":{"x":1},"a":{"b":{"c":"s"}},"b":[1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) > callback.MaxJSONDepth {
			t.Skip()
		}
		checkScan(t, b)
	})
}

func BenchmarkJSONPathsScan(b *testing.B) {
	body := readJiraFixture(b, "mattermost-webhook-issue-updated-resolved.json")
	p := callback.NewJSONPaths("webhookEvent", "timestamp", "issue.id", "issue.key", "issue.fields.status.name", "changelog.items")
	dst := make([]callback.JSONSpan, p.Len())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !p.Scan(body, dst) {
			b.Fatal("invalid")
		}
	}
}
