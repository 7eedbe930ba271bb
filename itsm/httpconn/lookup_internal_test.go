package httpconn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tidwall/gjson"
)

func TestCarriesKey(t *testing.T) {
	t.Parallel()
	const key = "itsmsync-0123456789abcdef"
	for _, tc := range []struct {
		name     string
		json     string
		contains bool
		want     bool
	}{
		{"equal string", `"` + key + `"`, false, true},
		{"other string", `"itsmsync-ffffffffffffffff"`, false, false},
		{"case differs", `"ITSMSYNC-0123456789ABCDEF"`, false, false},
		{"label among labels", `["siem", "` + key + `"]`, false, true},
		{"labels without it", `["siem", "soc"]`, false, false},
		{"empty array", `[]`, false, false},
		{"array of objects", `[{"v": "` + key + `"}]`, false, false},
		{"number", `42`, false, false},
		{"null", `null`, false, false},
		{"missing", ``, false, false},
		{"object", `{"k": "` + key + `"}`, false, false},
		{"text holding it, equal mode", `"itsmsync: ` + key + `"`, false, false},
		{"text holding it as a word", `"desc\n\nitsmsync: ` + key + `"`, true, true},
		{"text at start and end", `"` + key + `."`, true, true},
		{"longer key", `"itsmsync: ` + key + `00"`, true, false},
		{"key inside a longer word", `"x` + key + `"`, true, false},
		{"second occurrence is the word", `"` + key + `0 and ` + key + `"`, true, true},
		{"word in an array", `["a ` + key + ` b"]`, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := gjson.Parse(tc.json)
			assert.Equal(t, tc.want, carriesKey(v, key, tc.contains))
		})
	}
	assert.False(t, carriesKey(gjson.Parse(`""`), "", false), "an empty key proves nothing")
	assert.False(t, carriesKey(gjson.Parse(`[""]`), "", true))
}

func TestLookupItems(t *testing.T) {
	t.Parallel()
	many := `[` + `{"id":1}` + repeatJSON(`,{"id":1}`, MaxLookupItems+5) + `]`
	for _, tc := range []struct {
		name, body, path string
		want             int
	}{
		{"whole response without items path", `{"issues":[{"id":1},{"id":2}]}`, "", 1},
		{"array at path", `{"issues":[{"id":1},{"id":2}]}`, "issues", 2},
		{"top-level array", `[{"id":1},{"id":2},{"id":3}]`, "@this", 3},
		{"object at path", `{"result":{"id":1}}`, "result", 1},
		{"missing path", `{"x":1}`, "issues", 0},
		{"scalar at path", `{"issues":3}`, "issues", 0},
		{"bounded", many, "@this", MaxLookupItems},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Len(t, lookupItems([]byte(tc.body), tc.path), tc.want)
		})
	}
}

func repeatJSON(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// FuzzLookupMatch: ITSM search responses are outside input; reading items
// and proving the key never panics, and a match always holds the key.
func FuzzLookupMatch(f *testing.F) {
	f.Add([]byte(`{"issues":[{"id":"1","fields":{"labels":["itsmsync-0123456789abcdef"]}}]}`), "issues", "fields.labels", false)
	f.Add([]byte(`[{"id":1,"info":[{"key":"description","value":"itsmsync: itsmsync-0123456789abcdef"}]}]`), "@this", `info.#(key=="description").value`, true)
	f.Add([]byte(`{"result":[{"sys_id":"a","correlation_id":"itsmsync-0123456789abcdef"}]}`), "result", "correlation_id", false)
	f.Fuzz(func(t *testing.T, body []byte, items, match string, contains bool) {
		if !gjson.ValidBytes(body) || !validPath(match) || (items != "" && !validPath(items)) {
			return
		}
		const key = "itsmsync-0123456789abcdef"
		for _, it := range lookupItems(body, items) {
			v := it.Get(match)
			if carriesKey(v, key, contains) && !holdsKey(v, key) {
				t.Fatalf("a match without the key: %s", v.Raw)
			}
		}
	})
}

// holdsKey reports whether v is a string holding key, or an array with
// such a string.
func holdsKey(v gjson.Result, key string) bool {
	if v.IsArray() {
		for _, e := range v.Array() {
			if e.Type == gjson.String && strings.Contains(e.Str, key) {
				return true
			}
		}
		return false
	}
	return v.Type == gjson.String && strings.Contains(v.Str, key)
}
