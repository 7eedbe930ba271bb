package template

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func TestFilters(t *testing.T) {
	t.Parallel()
	vals := Values{
		"multi":   String("  Brute force\r\non\tvpn-gw-01\x00\x1b  \u2028 (again)\n"),
		"clean":   String("plain title"),
		"long":    String("abcdefghij"),
		"utf":     String("héllo wörld"), // 11 characters, 13 bytes
		"emoji":   String("🚨🚨🚨🚨"),
		"bad":     String("ab\xff\xfecd"),
		"quotes":  String(`"a\b"c"`),
		"empty":   String(""),
		"blank":   String(" \n\t "),
		"null":    Null(),
		"tags":    Strings([]string{"a\nb", "long-tag-name"}),
		"notags":  Strings(nil),
		"n":       Int(1234567),
		"raw":     Raw(`{"id": "10001"}`),
		"nbsp":    String("a\u00a0\u00a0b\u0085c"),
		"control": String("x\u0080\u009fy\x7fz"),
	}
	tests := []struct {
		name, src string
		syn       Syntax
		want      string
	}{
		{"oneline", "${multi|oneline}", Text, "Brute force on vpn-gw-01 (again)"},
		{"oneline clean value unchanged", "${clean|oneline}", Text, "plain title"},
		{"oneline blank is empty", "[${blank|oneline}]", Text, "[]"},
		{"oneline unicode spaces and NEL", "${nbsp|oneline}", Text, "a b c"},
		{"oneline C1 and DEL", "${control|oneline}", Text, "x y z"},
		{"oneline keeps invalid utf-8 for the escaper", "${bad|oneline}", Text, "ab\xff\xfecd"},
		{"trunc longer", "${long|trunc:5}", Text, "abcd…"},
		{"trunc exact length", "${long|trunc:10}", Text, "abcdefghij"},
		{"trunc one under", "${long|trunc:9}", Text, "abcdefgh…"},
		{"trunc 1", "${long|trunc:1}", Text, "…"},
		{"trunc counts characters not bytes", "${utf|trunc:11}", Text, "héllo wörld"},
		{"trunc multibyte", "${utf|trunc:8}", Text, "héllo w…"},
		{"trunc never splits a rune", "${emoji|trunc:3}", Text, "🚨🚨…"},
		{"trunc invalid bytes count one each", "${bad|trunc:4}", Text, "ab\xff…"},
		{"trunc leading zeros", "${long|trunc:005}", Text, "abcd…"},
		{"default on null", "${null|default:n/a}", Text, "n/a"},
		{"default on empty", "${empty|default:n/a}", Text, "n/a"},
		{"default on empty list", "${notags|default:none}", Text, "none"},
		{"default keeps a value", "${clean|default:n/a}", Text, "plain title"},
		{"default keeps a blank", "[${blank|default:x}]", Text, "[ \n\t ]"},
		{"oneline then default catches blank", "${blank|oneline|default:(no title)}", Text, "(no title)"},
		{"default text may be empty", "[${null|default:}]", Text, "[]"},
		{"default text with colons, dollars, braces open, spaces", "${null|default: a:b $x {y ${z }", Text, " a:b $x {y ${z "},
		{"default then trunc", "${null|default:not given|trunc:4}", Text, "not…"},
		{"chain order: trunc then oneline", "${multi|trunc:4|oneline}", Text, "B…"},
		{"chain order: oneline then trunc", "${multi|oneline|trunc:10}", Text, "Brute for…"},
		{"filters on a list apply to each item", "${tags|oneline|trunc:5}", Text, "a b, long…"},
		{"number passes oneline and trunc", "${n|trunc:3|oneline}", Text, "1234567"},
		{"raw passes trunc", "${raw|trunc:2}", Text, `{"id": "10001"}`},
		{"same variable, different filters", "${long|trunc:3} $long ${long|trunc:2}", Text, "ab… abcdefghij a…"},
		{"bare name takes no filter", "$clean|oneline", Text, "plain title|oneline"},

		// Filters apply before the placement's escaping.
		{"json string: escaped after truncation", `{"s": "${quotes|trunc:4}"}`, JSON, `{"s": "\"a\\…"}`},
		{"json string: oneline", `{"s": "[SIEM] ${multi|oneline|trunc:12}"}`, JSON, `{"s": "[SIEM] Brute force…"}`},
		{"json value: string", `{"s": ${long|trunc:3}}`, JSON, `{"s": "ab…"}`},
		{"json value: each list item", `{"l": ${tags|trunc:4}}`, JSON, `{"l": ["a\nb","lon…"]}`},
		{"json value: null to default", `{"p": ${null|default:Medium}}`, JSON, `{"p": "Medium"}`},
		{"json value: null stays null", `{"p": ${null|oneline|trunc:3}}`, JSON, `{"p": null}`},
		{"json value: default text is escaped", `{"p": ${null|default:say "hi" \o/}}`, JSON, `{"p": "say \"hi\" \\o/"}`},
		{"json value: number stays a number", `{"n": ${n|trunc:2}}`, JSON, `{"n": 1234567}`},
		{"json value: raw stays raw", `{"r": ${raw|trunc:2}}`, JSON, `{"r": {"id": "10001"}}`},
		{"json string: empty list to default", `{"t": "${notags|default:none}"}`, JSON, `{"t": "none"}`},
		{"header: oneline makes a multi-line value safe", "X-Case: ${multi|oneline}", Header, "X-Case: Brute force on vpn-gw-01 (again)"},
		{"url path: escaped after truncation", "/issue/${utf|trunc:3}", URL, "/issue/h%C3%A9%E2%80%A6"},
		{"url query: default", "/search?q=${empty|default:a b}", URL, "/search?q=a+b"},
		{"form: oneline", "summary=${multi|oneline|trunc:6}", Form, "summary=Brute%E2%80%A6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, tt.src, Options{Syntax: tt.syn}, vals)
			assert.Equal(t, tt.want, got)
			if tt.syn == JSON {
				assert.True(t, json.Valid([]byte(got)), got)
			}
		})
	}
}

func TestFilterVariables(t *testing.T) {
	t.Parallel()
	tpl, err := Parse("${case_name|oneline|trunc:255} ${fields.host|default:-} $case_name",
		Options{Known: []string{"case_name", "fields."}})
	require.NoError(t, err)
	assert.Equal(t, []string{"case_name", "fields.host"}, tpl.Variables())
	_, err = Parse("${case_nme|oneline}", Options{Known: []string{"case_name"}})
	require.ErrorIs(t, err, ErrUnknownVariable)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "case_nme", e.Variable)
	assert.Equal(t, 0, e.Offset)
}

func TestFilterParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		syn       Syntax
		err       error
		offset    int
		variable  string
		detail    string
	}{
		{"unknown filter", "ab ${x|upper}", Text, ErrFilter, 7, "x", `unknown filter "upper" (known filters: default:<text>, oneline, trunc:<n>)`},
		{"typo suggests", "${x|onelin}", Text, ErrFilter, 4, "x", `did you mean "oneline"?`},
		{"typo in a chain points at it", "${x|oneline|trnc:5}", Text, ErrFilter, 12, "x", `did you mean "trunc"?`},
		{"filter names are case-sensitive", "${x|Oneline}", Text, ErrFilter, 4, "x", `unknown filter "Oneline"`},
		{"empty filter", "${x|}", Text, ErrFilter, 4, "x", "empty filter (known filters:"},
		{"empty filter in a chain", "${x|oneline||trunc:3}", Text, ErrFilter, 12, "x", "empty filter"},
		{"space before filter", "${x| oneline}", Text, ErrFilter, 4, "x", `unknown filter " oneline"`},
		{"space after name", "${x |oneline}", Text, ErrSyntax, 0, "", "one variable name"},
		{"no name", "${|oneline}", Text, ErrSyntax, 0, "", "one variable name"},
		{"oneline with argument", "${x|oneline:1}", Text, ErrFilter, 4, "x", `"oneline" takes no argument`},
		{"trunc without N", "${x|trunc}", Text, ErrFilter, 4, "x", `"trunc" needs the number of characters to keep, a whole number from 1 to 100000000`},
		{"trunc with empty N", "${x|trunc:}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"trunc 0", "${x|trunc:0}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"trunc negative", "${x|trunc:-5}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"trunc plus sign", "${x|trunc:+5}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"trunc not a number", "${x|trunc:ten}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"trunc with space", "${x|trunc: 5}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"trunc fraction", "${x|trunc:2.5}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"trunc too large", "${x|trunc:100000001}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"trunc overflow", "${x|trunc:99999999999999999999999}", Text, ErrFilter, 4, "x", `"trunc" needs`},
		{"default without colon", "${x|default}", Text, ErrFilter, 4, "x", `"default" needs a text: default:<text> (any characters but "}" and "|")`},
		{"a bar in default text starts a filter", "${x|default:a|b}", Text, ErrFilter, 14, "x", `unknown filter "b"`},
		{"a brace in default text ends the variable", `{"a": ${x|default:}}}`, JSON, ErrInvalidJSON, 20, "", "not valid json"},
		{"unclosed with filter", "${x|oneline", Text, ErrSyntax, 0, "", `without "}"`},
		{"default text with a line break in a header", "X: ${x|default:a\nb}", Header, ErrFilter, 7, "x", "the default text cannot be placed here: a header value cannot contain CR, LF"},
		{"default text oneline'd in a header is fine? no: default comes after", "X: ${x|oneline|default:a\rb}", Header, ErrFilter, 15, "x", "cannot be placed here"},
		{"default text not a host", "https://${host|default:a b}/x", URL, ErrFilter, 15, "host", "a value before the url path"},
		{"default text of dots in a path", "/a/${id|default:..}/b", URL, ErrFilter, 8, "id", "only of dots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tpl, err := Parse(tt.src, Options{Name: "create_payload", Syntax: tt.syn})
			require.Error(t, err)
			assert.Nil(t, tpl)
			assert.ErrorIs(t, err, tt.err)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "create_payload", e.Template)
			assert.Equal(t, tt.offset, e.Offset, err.Error())
			assert.Equal(t, tt.variable, e.Variable)
			assert.Contains(t, e.Detail, tt.detail)
			assert.True(t, strings.HasPrefix(err.Error(), "template: "), err.Error())
		})
	}
	// A default text that a later oneline makes placeable is accepted.
	_, err := Parse("X: ${x|default:a\nb|oneline}", Options{Syntax: Header})
	require.NoError(t, err)
}

func TestFilterErrorString(t *testing.T) {
	t.Parallel()
	_, err := Parse(`{"summary": "${case_name|trunc:0}"}`, Options{Name: "create_payload", Syntax: JSON})
	require.Error(t, err)
	assert.Equal(t, `template: invalid filter in "create_payload": $case_name at offset 25 ("trunc" needs the number of characters to keep, a whole number from 1 to 100000000: trunc:<n>)`, err.Error())
}

// Filters never write the caller's values, and a filter that changes
// nothing allocates nothing.
func TestFilterAllocs(t *testing.T) {
	tags := []string{"a\nb", "c"}
	vals := Values{"s": String("Brute force — 20 failures on vpn-gw-01 (zürich)"), "tags": Strings(tags), "d": String("x")}
	tpl, err := Parse(`{"s": "${s|oneline|trunc:255}", "d": "${d|default:none}", "t": ${tags|oneline}}`, Options{Syntax: JSON})
	require.NoError(t, err)
	out, err := tpl.Render(vals)
	require.NoError(t, err)
	assert.JSONEq(t, `{"s": "Brute force — 20 failures on vpn-gw-01 (zürich)", "d": "x", "t": ["a b", "c"]}`, string(out))
	assert.Equal(t, []string{"a\nb", "c"}, tags, "the list is copied, not written")

	clean, err := Parse(`{"s": "${s|oneline|trunc:255}", "d": "${d|default:none}"}`, Options{Syntax: JSON})
	require.NoError(t, err)
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() { buf, err = clean.Append(buf[:0], vals) })
	require.NoError(t, err)
	assert.Zero(t, allocs, "filters that change nothing")
}

// trunc and oneline keep their promises for any input.
func FuzzFilters(f *testing.F) {
	for _, s := range []string{"", " ", "a\r\nb", "héllo wörld", "🚨🚨🚨", "\xff\xfe", "a\u2028b\u00a0 c", strings.Repeat("é", 300)} {
		f.Add(s, uint16(3))
	}
	f.Fuzz(func(t *testing.T, s string, n16 uint16) {
		n := int(n16%400) + 1
		tr := trunc(s, n)
		if c := utf8.RuneCountInString(tr); c > n {
			t.Fatalf("trunc(%q, %d) has %d characters", s, n, c)
		}
		if utf8.RuneCountInString(s) <= n {
			if tr != s {
				t.Fatalf("trunc changed a short value: %q -> %q", s, tr)
			}
		} else {
			body, ok := strings.CutSuffix(tr, TruncMarker)
			if !ok || !strings.HasPrefix(s, body) || utf8.RuneCountInString(tr) != n {
				t.Fatalf("trunc(%q, %d) = %q", s, n, tr)
			}
			if utf8.ValidString(s) && !utf8.ValidString(tr) {
				t.Fatalf("trunc split a rune: %q", tr)
			}
		}
		ol := oneline(s)
		if strings.HasPrefix(ol, " ") || strings.HasSuffix(ol, " ") || strings.Contains(ol, "  ") {
			t.Fatalf("oneline(%q) = %q: spaces", s, ol)
		}
		for _, r := range ol {
			if r != utf8.RuneError && r != ' ' && (r < 0x20 || r >= 0x7f && r <= 0x9f || r == '\u2028' || r == '\u2029') {
				t.Fatalf("oneline(%q) = %q keeps %U", s, ol, r)
			}
		}
		if oneline(ol) != ol {
			t.Fatalf("oneline is not idempotent on %q", s)
		}
		if onelineClean(s) && ol != s {
			t.Fatalf("onelineClean wrong on %q", s)
		}
		// Filtered values in a JSON document render valid JSON that reads back.
		tpl, err := Parse(`{"k": "[${v|oneline|trunc:`+itoa(n)+`}]", "w": ${v|trunc:`+itoa(n)+`|default:none}, "h": "${v|default:x}"}`, Options{Syntax: JSON})
		if err != nil {
			t.Fatal(err)
		}
		out, err := tpl.Render(Values{"v": String(s)})
		if err != nil || !gjson.ValidBytes(out) {
			t.Fatalf("render %q: %v %q", s, err, out)
		}
		var doc struct{ K, W, H string }
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		wantW := fixUTF8(tr)
		if s == "" {
			wantW = "none"
		}
		if doc.K != "["+fixUTF8(trunc(ol, n))+"]" || doc.W != wantW {
			t.Fatalf("k, w = %q, %q", doc.K, doc.W)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
