package httpconn

import (
	"errors"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func TestOmitPathProblem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"a", true}, {"a.b.c", true}, {"a.0.b", true}, {`a\.b`, true}, {`a\*`, true}, {"a-b_c", true}, {"ü.é", true},
		{"", false}, {".a", false}, {"a.", false}, {"a..b", false}, {`a\`, false}, {" a", false}, {"a\tb", false},
		{"a.*", false}, {"a?", false}, {"a.#", false}, {"a.#(b==1)", false}, {"@this", false}, {"a|b", false},
		{"[a,b]", false}, {"{a}", false}, {"a!", false}, {`a"b`, false}, {"a:b", false}, {"a%b", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.ok, omitPathProblem(tc.path) == "", omitPathProblem(tc.path))
		})
	}
}

func TestEmptyTruthyNoError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw                      string // value at "v"; "" means missing
		empty, truthy, noErrorOK bool
	}{
		{"", false, false, true},
		{`null`, true, false, true},
		{`""`, true, false, true},
		{`" \n\t"`, true, false, true},
		{`"x"`, false, true, false},
		{`"0"`, false, false, false},
		{`"FALSE"`, false, false, false},
		{`"no"`, false, false, false},
		{`{}`, true, false, true},
		{`{ }`, true, false, true},
		{`[]`, true, false, true},
		{`[ ]`, true, false, true},
		{`[null]`, false, true, false},
		{`{"a":1}`, false, true, false},
		{`0`, false, false, true},
		{`0.0`, false, false, true},
		{`-1`, false, true, false},
		{`true`, false, true, false},
		{`false`, false, false, true},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			t.Parallel()
			body := `{}`
			if tc.raw != "" {
				body = `{"v":` + tc.raw + `}`
			}
			r := gjson.Get(body, "v")
			assert.Equal(t, tc.empty, emptyValue(r), "empty")
			assert.Equal(t, tc.truthy, truthy(r), "truthy")
			assert.Equal(t, tc.noErrorOK, noError(r), "noError")
		})
	}
}

func TestOmitEmpty(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		paths      []string
		want       string
	}{
		{"nothing to do", `{"a":"x"}`, []string{"a", "b"}, `{"a":"x"}`},
		{"child then parent", `{"p":{"name":""},"s":"x"}`, []string{"p.name", "p"}, `{"s":"x"}`},
		{"parent first keeps the parent", `{"p":{"name":""},"s":"x"}`, []string{"p", "p.name"}, `{"p":{},"s":"x"}`},
		{"array element", `{"a":["",1]}`, []string{"a.0"}, `{"a":[1]}`},
		{"numeric key of an object", `{"o":{"0":null}}`, []string{"o.0", "o"}, `{}`},
		{"escaped dot", `{"a.b":"","c":1}`, []string{`a\.b`}, `{"c":1}`},
		{"zero and false stay", `{"n":0,"f":false}`, []string{"n", "f"}, `{"n":0,"f":false}`},
		{"unicode blank", "{\"a\":\"\u00a0\u2003\"}", []string{"a"}, `{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := omitEmpty([]byte(tc.body), tc.paths)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(out))
		})
	}
}

// FuzzOmitEmpty: for any JSON document and any path the config accepts,
// omitEmpty never panics, keeps the document valid, and either removes an
// empty value or reports an error (never sends the blank).
func FuzzOmitEmpty(f *testing.F) {
	f.Add(`{"fields":{"priority":{"name":""}}}`, "fields.priority.name")
	f.Add(`{"a":[null,{"b":""}]}`, "a.1.b")
	f.Add(`{"a.b":""}`, `a\.b`)
	f.Add(`{"0":{"1":[]}}`, "0.1")
	f.Add(`[{"a":""}]`, "0.a")
	f.Fuzz(func(t *testing.T, body, path string) {
		if !gjson.Valid(body) || omitPathProblem(path) != "" {
			return
		}
		before := gjson.Get(body, path)
		out, err := omitEmpty([]byte(body), []string{path})
		if err != nil {
			if !errors.Is(err, itsm.ErrInvalidConfig) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		if !gjson.ValidBytes(out) {
			t.Fatalf("invalid JSON out of %q minus %q: %q", body, path, out)
		}
		if emptyValue(before) && len(out) >= len(body) {
			t.Fatalf("blank kept at %q in %q", path, out)
		}
		if !emptyValue(before) && string(out) != body {
			t.Fatalf("non-empty value changed the body: %q -> %q", body, out)
		}
	})
}

// FuzzResponseRules: any response body is judged without panicking; a
// refusal always says which rule failed, and a body that is not JSON is
// never a refusal.
func FuzzResponseRules(f *testing.F) {
	f.Add(`{"success":false,"error":"x"}`, "success", "error")
	f.Add(`{"result":{"ok":"yes"},"errors":[]}`, "result.ok", "errors")
	f.Add(`not json`, "a", "")
	f.Add(`{"e":{"m":"\u0000\ud800"}}`, "", "e.m")
	f.Fuzz(func(t *testing.T, body, success, errPath string) {
		if (success != "" && !validPath(success)) || (errPath != "" && !validPath(errPath)) {
			return
		}
		r := responseRules{successPath: success, errorPath: errPath}
		detail, _, refused := r.refusal([]byte(body))
		if refused && detail == "" {
			t.Fatal("a refusal without a reason")
		}
		if refused && !gjson.Valid(body) {
			t.Fatal("a body that is not JSON was judged")
		}
		if !r.set() && refused {
			t.Fatal("no rules, yet refused")
		}
	})
}
