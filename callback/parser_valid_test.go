package callback_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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
