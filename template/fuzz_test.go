package template

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

var fuzzSeeds = []string{
	"",
	"$",
	"$$",
	"US$ 5 $5",
	"${ticket_id}_v1",
	"${",
	"${}",
	"${a b}",
	"$fields.hostname.",
	`{"summary": "[SIEM] $case_name", "labels": $tags, "n": $n}`,
	`{"a": $x $y}`,
	`{"a": "\$x"}`,
	`[$a, "$b", {"$c": $d}]`,
	"https://$host:$port/rest/$id?q=$q#$f",
	"/issue/$id/comment",
	"summary=$s&labels=$l",
	"X-Case: $id\r\n",
	`{"summary": "[SIEM] ${case_name|oneline|trunc:255}", "p": ${priority|default:Medium}, "l": ${tags|trunc:3}}`,
	`{"a": "${x|default:say "hi" \o/}", "b": ${y|default:}}`,
	"${x|trunc:0}",
	"${x|upper}",
	"${x|oneline||trunc:1}",
	"X: ${x|default:a\nb|oneline}",
	"/issue/${id|trunc:5|default:..}",
}

// FuzzParse: any template in any syntax parses or fails with an *Error, and
// never panics; a parsed template renders with any string values without
// panicking.
func FuzzParse(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, uint8(i), "value")
	}
	f.Fuzz(func(t *testing.T, src string, syn uint8, val string) {
		opts := Options{Name: "fuzz", Syntax: Syntax(syn % 6)}
		if syn&0x80 != 0 {
			opts.Known = []string{"case_name", "tags", "fields."}
		}
		tpl, err := Parse(src, opts)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Err == nil || e.Template != "fuzz" || e.Offset > len(src) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		vals := Values{}
		for _, name := range tpl.Variables() {
			if !validName(name) {
				t.Fatalf("bad variable name %q", name)
			}
			vals[name] = String(val)
		}
		out, err := tpl.Render(vals)
		if err == nil && opts.Syntax == JSON && !gjson.ValidBytes(out) {
			t.Fatalf("invalid json %q", out)
		}
		if err == nil && opts.Syntax == Header && strings.ContainsAny(string(out), "\r\n\x00") {
			t.Fatalf("header with a line break %q", out)
		}
	})
}

// FuzzRenderJSON: any JSON template with any values never panics, every
// successful render is valid JSON, and a value placed in a string literal or
// in value position reads back as itself (invalid UTF-8 as U+FFFD).
func FuzzRenderJSON(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, "[SIEM] ", " (case)", "title \"x\"\n\xff é 🚨", uint8(i))
	}
	f.Fuzz(func(t *testing.T, src, prefix, suffix, val string, kind uint8) {
		// 1. Any template, any values.
		var v Value
		switch kind % 7 {
		case 0:
			v = String(val)
		case 1:
			v = Strings([]string{val, prefix, suffix})
		case 2:
			v = Int(int64(len(val)) - 5)
		case 3:
			v = Float(float64(len(val)) / 3)
		case 4:
			v = Bool(len(val)%2 == 0)
		case 5:
			v = Null()
		case 6:
			v = Raw(val)
		}
		if tpl, err := Parse(src, Options{Syntax: JSON}); err == nil {
			vals := Values{}
			for _, name := range tpl.Variables() {
				vals[name] = v
			}
			out, err := tpl.Render(vals)
			if err == nil && (!gjson.ValidBytes(out) || invalidJSONOffset(out) != -1) {
				t.Fatalf("invalid json %q from %q", out, src)
			}
		}

		// 2. Round trip through a string literal and value positions.
		lit := func(s string) string {
			b, _ := json.Marshal(s)
			return strings.ReplaceAll(string(b[1:len(b)-1]), "$", "$$")
		}
		rt := `{"k": "` + lit(prefix) + `${v}` + lit(suffix) + `", "w": $v, "l": $l}`
		tpl, err := Parse(rt, Options{Syntax: JSON})
		if err != nil {
			t.Fatalf("parse %q: %v", rt, err)
		}
		out, err := tpl.Render(Values{"v": String(val), "l": Strings([]string{prefix, val})})
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		var doc struct {
			K, W string
			L    []string
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("unmarshal %q: %v", out, err)
		}
		if want := fixUTF8(prefix) + fixUTF8(val) + fixUTF8(suffix); doc.K != want {
			t.Fatalf("k = %q, want %q", doc.K, want)
		}
		if doc.W != fixUTF8(val) || len(doc.L) != 2 || doc.L[0] != fixUTF8(prefix) || doc.L[1] != fixUTF8(val) {
			t.Fatalf("w, l = %q, %q", doc.W, doc.L)
		}
	})
}

// FuzzEscapers: the URL escapers agree with net/url and never let a "/"
// through a path segment; the JSON escaper round-trips.
func FuzzEscapers(f *testing.F) {
	for _, s := range []string{"", "a b", "../../admin", "\x00\xff/?#&=+%", "é🚨"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQueryEscaped(nil, s)), url.QueryEscape(s); got != want {
			t.Fatalf("query %q != %q", got, want)
		}
		p := string(appendPathEscaped(nil, s))
		if strings.Contains(p, "/") {
			t.Fatalf("path %q has a slash", p)
		}
		if back, err := url.PathUnescape(p); err != nil || back != s {
			t.Fatalf("path %q -> %q, %v", p, back, err)
		}
		j := `"` + string(appendJSONEscaped(nil, s)) + `"`
		var back string
		if err := json.Unmarshal([]byte(j), &back); err != nil || back != fixUTF8(s) {
			t.Fatalf("json %q -> %q, %v", j, back, err)
		}
		if got := invalidJSONOffset([]byte(s)) == -1; got != gjson.Valid(s) {
			t.Fatalf("validators disagree on %q: ours %v", s, got)
		}
	})
}
