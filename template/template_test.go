package template

import (
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// fixUTF8 is s as a JSON decoder reads it back: each invalid byte U+FFFD.
func fixUTF8(s string) string {
	var b strings.Builder
	for _, r := range s { // range yields RuneError for each invalid byte
		b.WriteRune(r)
	}
	return b.String()
}

func render(t *testing.T, src string, opts Options, vals Values) string {
	t.Helper()
	tpl, err := Parse(src, opts)
	require.NoError(t, err)
	out, err := tpl.Render(vals)
	require.NoError(t, err)
	return string(out)
}

func TestParseVariableSyntax(t *testing.T) {
	vals := Values{
		"name":            String("N"),
		"ticket_id":       String("T-1"),
		"fields.hostname": String("web-01"),
		"case_name":       String("C"),
		"a":               String("A"),
		"a_1":             String("B"),
	}
	tests := []struct {
		name, src, want string
		vars            []string
	}{
		{"empty", "", "", nil},
		{"no variables", "plain text", "plain text", nil},
		{"simple", "hi $name!", "hi N!", []string{"name"}},
		{"braces with text after", "${ticket_id}_v1", "T-1_v1", []string{"ticket_id"}},
		{"bare name eats underscores", "$ticket_id_v1", "", []string{"ticket_id_v1"}},
		{"dotted", "host=$fields.hostname;", "host=web-01;", []string{"fields.hostname"}},
		{"dotted in braces", "${fields.hostname}x", "web-01x", []string{"fields.hostname"}},
		{"trailing dot is text", "Case $case_name.", "Case C.", []string{"case_name"}},
		{"dot then digit is text", "$a.1", "A.1", []string{"a"}},
		{"double dollar", "cost $$5 and $$a", "cost $5 and $a", nil},
		{"currency", "US$ 5", "US$ 5", nil},
		{"dollar digit", "$5", "$5", nil},
		{"lone dollar at end", "total $", "total $", nil},
		{"dollar before space", "a $ b", "a $ b", nil},
		{"dollar before punctuation", "$-$!$}", "$-$!$}", nil},
		{"adjacent", "$a$a_1", "AB", []string{"a", "a_1"}},
		{"repeated in first-use order", "$name $a $name $a", "N A N A", []string{"name", "a"}},
		{"dollar dollar name", "$$$a", "$A", []string{"a"}},
		{"non-ASCII around", "é$aé", "éAé", []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src, Options{})
			require.NoError(t, err)
			assert.Equal(t, tt.vars, tpl.Variables())
			if tt.want == "" && len(tt.vars) > 0 {
				return // names only
			}
			out, err := tpl.Render(vals)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(out))
		})
	}
}

func TestTemplateAccessors(t *testing.T) {
	tpl, err := Parse("$a $b", Options{Name: "n", Syntax: Form})
	require.NoError(t, err)
	assert.Equal(t, "n", tpl.Name())
	assert.Equal(t, "$a $b", tpl.Source())
	assert.Equal(t, Form, tpl.Syntax())
	vars := tpl.Variables()
	vars[0] = "changed"
	assert.Equal(t, []string{"a", "b"}, tpl.Variables(), "Variables returns a copy")
}

func TestRenderJSONPlacement(t *testing.T) {
	vals := Values{
		"s":     String(`he said "hi"` + "\n"),
		"tags":  Strings([]string{"siem", `a"b`}),
		"empty": Strings(nil),
		"n":     Int(-42),
		"f":     Float(1.5),
		"big":   Float(1e6),
		"nan":   Float(math.NaN()),
		"inf":   Float(math.Inf(-1)),
		"t":     Bool(true),
		"null":  Null(),
		"raw":   Raw(`{"id": "10001"}`),
		"lt":    String("<b>&</b>"),
	}
	tests := []struct {
		name, src, want string
	}{
		{"string in value position", `{"a": $s}`, `{"a": "he said \"hi\"\n"}`},
		{"string inside literal", `{"a": "x $s y"}`, `{"a": "x he said \"hi\"\n y"}`},
		{"list as array", `{"labels": $tags}`, `{"labels": ["siem","a\"b"]}`},
		{"empty list", `{"labels": $empty}`, `{"labels": []}`},
		{"list inside literal", `{"a": "tags: $tags"}`, `{"a": "tags: siem, a\"b"}`},
		{"int", `{"a": $n}`, `{"a": -42}`},
		{"float", `{"a": $f}`, `{"a": 1.5}`},
		{"float not exponent", `{"a": $big}`, `{"a": 1000000}`},
		{"NaN is null", `{"a": $nan}`, `{"a": null}`},
		{"Inf is null", `{"a": $inf}`, `{"a": null}`},
		{"NaN in string", `{"a": "$nan"}`, `{"a": "NaN"}`},
		{"number in string", `{"a": "#$n"}`, `{"a": "#-42"}`},
		{"bool", `{"a": $t}`, `{"a": true}`},
		{"bool in string", `{"a": "$t"}`, `{"a": "true"}`},
		{"null", `{"a": $null}`, `{"a": null}`},
		{"null in string is empty", `{"a": "[$null]"}`, `{"a": "[]"}`},
		{"raw", `{"a": $raw}`, `{"a": {"id": "10001"}}`},
		{"raw in string is escaped", `{"a": "$raw"}`, `{"a": "{\"id\": \"10001\"}"}`},
		{"array of values", `[$n, $s, $t]`, `[-42, "he said \"hi\"\n", true]`},
		{"key from string", `{"$t": 1}`, `{"true": 1}`},
		{"after escaped quote", `{"a": "q\"$n"}`, `{"a": "q\"-42"}`},
		{"after escaped backslash", `{"a": "q\\$n"}`, `{"a": "q\\-42"}`},
		{"html kept", `{"a": "$lt"}`, `{"a": "<b>&</b>"}`},
		{"dollar literal", `{"a": "$$5 $s"}`, `{"a": "$5 he said \"hi\"\n"}`},
		{"whole document", `$raw`, `{"id": "10001"}`},
		{"string document", ` $s `, ` "he said \"hi\"\n" `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.src, Options{Syntax: JSON}, vals)
			assert.Equal(t, tt.want, got)
			assert.True(t, json.Valid([]byte(got)))
		})
	}
}

// The Kibana breakage: any case title inside a JSON string literal must give
// valid JSON whose field reads back as the title.
func TestRenderJSONStringRoundTrip(t *testing.T) {
	titles := []string{
		"",
		"plain",
		`quotes "double" and 'single'`,
		`back\slash \" \\ \n`,
		"new\nline\r\ncrlf\ttab",
		"controls \x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f",
		"non-ASCII: Ünïcödé — 日本語 — עברית",
		"emoji 🚨🔥👩‍💻",
		"invalid UTF-8 \xff\xfe \xc3 \xed\xa0\x80 end",
		"line sep \u2028 para sep \u2029",
		"html <script>alert(1)</script> & co",
		"json in title {\"a\": [1, 2]}",
		"$not_a_variable ${x}",
		strings.Repeat(`"\`, 500),
	}
	tpl, err := Parse(`{"fields": {"summary": "[SIEM] $case_name", "labels": $tags, "x": $case_name}}`,
		Options{Name: "create", Syntax: JSON})
	require.NoError(t, err)
	for _, title := range titles {
		t.Run(title[:min(len(title), 20)], func(t *testing.T) {
			out, err := tpl.Render(Values{"case_name": String(title), "tags": Strings([]string{title, "b"})})
			require.NoError(t, err)
			require.True(t, gjson.ValidBytes(out), "%s", out)
			var doc struct {
				Fields struct {
					Summary string   `json:"summary"`
					Labels  []string `json:"labels"`
					X       string   `json:"x"`
				} `json:"fields"`
			}
			require.NoError(t, json.Unmarshal(out, &doc))
			assert.Equal(t, "[SIEM] "+fixUTF8(title), doc.Fields.Summary)
			assert.Equal(t, []string{fixUTF8(title), "b"}, doc.Fields.Labels)
			assert.Equal(t, fixUTF8(title), doc.Fields.X)
		})
	}
}

func TestRenderURL(t *testing.T) {
	vals := Values{
		"id":    String("PROJ-123"),
		"evil":  String("../../admin"),
		"sp":    String("a b/c?d#e&f=g+h%"),
		"host":  String("jira.example.com"),
		"port":  Int(8443),
		"tags":  Strings([]string{"a", "b c"}),
		"one":   Strings([]string{"x"}),
		"utf":   String("é"),
		"null":  Null(),
		"empty": String(""),
	}
	tests := []struct {
		name, src, want string
	}{
		{"path segment", "https://jira/rest/api/2/issue/$id/comment", "https://jira/rest/api/2/issue/PROJ-123/comment"},
		{"path traversal escaped", "https://jira/rest/api/2/issue/$evil", "https://jira/rest/api/2/issue/..%2F..%2Fadmin"},
		{"path escapes reserved", "/x/$sp", "/x/a%20b%2Fc%3Fd%23e%26f%3Dg%2Bh%25"},
		{"query escaped", "/search?jql=$sp&id=$id", "/search?jql=a+b%2Fc%3Fd%23e%26f%3Dg%2Bh%25&id=PROJ-123"},
		{"fragment escaped", "/x#$sp", "/x#a+b%2Fc%3Fd%23e%26f%3Dg%2Bh%25"},
		{"host", "https://$host:$port/rest", "https://jira.example.com:8443/rest"},
		{"leading host variable", "$host/rest/$id", "jira.example.com/rest/PROJ-123"},
		{"protocol relative", "//$host/x", "//jira.example.com/x"},
		{"relative path", "issue/$id", "issue/PROJ-123"},
		{"list in path", "/x/$tags", "/x/a%2C%20b%20c"},
		{"list in query", "/x?l=$tags", "/x?l=a%2C+b+c"},
		{"single-item list host", "https://$one/", "https://x/"},
		{"non-ASCII path", "/x/$utf", "/x/%C3%A9"},
		{"null is empty", "/x/$null/y", "/x//y"},
		{"empty string", "/x/$empty/y", "/x//y"},
		{"question mark in query stays query", "/x?a=?$sp", "/x?a=?a+b%2Fc%3Fd%23e%26f%3Dg%2Bh%25"},
		{"dollar literal", "/x/$$/$id", "/x/$/PROJ-123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.src, Options{Syntax: URL}, vals)
			assert.Equal(t, tt.want, got)
			_, err := url.Parse(got)
			assert.NoError(t, err)
		})
	}
}

func TestQueryEscapeMatchesNetURL(t *testing.T) {
	for _, s := range []string{"", "abc", "a b", "ä/ö?&=#+%", "\x00\xff", "-_.~!*'()"} {
		assert.Equal(t, url.QueryEscape(s), string(appendQueryEscaped(nil, s)), "%q", s)
		got := string(appendPathEscaped(nil, s))
		back, err := url.PathUnescape(got)
		require.NoError(t, err)
		assert.Equal(t, s, back)
		assert.NotContains(t, got, "/")
	}
}

func TestRenderHeaderFormText(t *testing.T) {
	vals := Values{
		"key":  String("PROJ-1"),
		"s":    String("a b&c=d+é"),
		"tags": Strings([]string{"x y", "z"}),
		"n":    Float(2.5),
		"nl":   String("a\nb"),
	}
	tests := []struct {
		name, src string
		syntax    Syntax
		want      string
	}{
		{"header", "Bearer-$key", Header, "Bearer-PROJ-1"},
		{"header list", "$tags", Header, "x y, z"},
		{"form", "summary=$s&labels=$tags&n=$n", Form, "summary=a+b%26c%3Dd%2B%C3%A9&labels=x+y%2C+z&n=2.5"},
		{"text as is", "[$s] $nl $tags", Text, "[a b&c=d+é] a\nb x y, z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, render(t, tt.src, Options{Syntax: tt.syntax}, vals))
		})
	}
	q, err := url.ParseQuery(render(t, "summary=$s&labels=$tags", Options{Syntax: Form}, vals))
	require.NoError(t, err)
	assert.Equal(t, "a b&c=d+é", q.Get("summary"))
	assert.Equal(t, "x y, z", q.Get("labels"))
}

func TestParseErrors(t *testing.T) {
	known := []string{"case_name", "case_id", "tags", "fields."}
	tests := []struct {
		name, src string
		opts      Options
		err       error
		offset    int
		variable  string
		detail    string
	}{
		{"unclosed brace", "ab ${name", Options{}, ErrSyntax, 3, "", `without "}"`},
		{"empty braces", "x${}", Options{}, ErrSyntax, 1, "", "one variable name"},
		{"space in braces", "${bad name}", Options{}, ErrSyntax, 0, "", "one variable name"},
		{"digit start in braces", "${1a}", Options{}, ErrSyntax, 0, "", ""},
		{"trailing dot in braces", "${a.}", Options{}, ErrSyntax, 0, "", ""},
		{"unknown syntax", "x", Options{Syntax: Syntax(99)}, ErrSyntax, -1, "", "syntax(99)"},
		{"header literal newline", "a\r\nb: $x", Options{Syntax: Header}, ErrSyntax, 1, "", "CR, LF"},
		{"unknown variable", "[SIEM] $case_nme", Options{Known: known}, ErrUnknownVariable, 7, "case_nme",
			"did you mean $case_name? known variables: $case_id, $case_name, $fields.<name>, $tags"},
		{"unknown prefix", "$field.hostname", Options{Known: known}, ErrUnknownVariable, 0, "field.hostname",
			"did you mean $fields.hostname?"},
		{"prefix alone", "$fields", Options{Known: known}, ErrUnknownVariable, 0, "fields", "$fields.<name>"},
		{"no suggestion when far", "$zzzzzz", Options{Known: known}, ErrUnknownVariable, 0, "zzzzzz", "known variables:"},
		{"empty known allows none", "x $a", Options{Known: []string{}}, ErrUnknownVariable, 2, "a", "no variables are allowed"},
		{"json two values", `{"a": $x $y}`, Options{Syntax: JSON}, ErrInvalidJSON, 9, "y", ""},
		{"json missing comma", `{"a": 1 "b": 2}`, Options{Syntax: JSON}, ErrInvalidJSON, 8, "", "not valid json"},
		{"json trailing garbage", `{"a": $x} x`, Options{Syntax: JSON}, ErrInvalidJSON, 10, "", ""},
		{"json unterminated", `{"a": "$x`, Options{Syntax: JSON}, ErrInvalidJSON, 9, "", ""},
		{"json minus before value", `{"a": -$x}`, Options{Syntax: JSON}, ErrInvalidJSON, 7, "x", "string value"},
		{"json key position", `{$x: 1}`, Options{Syntax: JSON}, ErrInvalidJSON, 1, "x", ""},
		{"json variable after backslash", `{"a": "\$x"}`, Options{Syntax: JSON}, ErrInvalidJSON, 8, "x", `"\"`},
		{"json empty", ``, Options{Syntax: JSON}, ErrInvalidJSON, 0, "", ""},
		{"named", "${", Options{Name: "create_payload"}, ErrSyntax, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src, tt.opts)
			require.Error(t, err)
			assert.Nil(t, tpl)
			assert.ErrorIs(t, err, tt.err)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.opts.Name, e.Template)
			assert.Equal(t, tt.offset, e.Offset)
			assert.Equal(t, tt.variable, e.Variable)
			assert.Contains(t, e.Detail, tt.detail)
			assert.True(t, strings.HasPrefix(err.Error(), "template: "), err.Error())
			if tt.opts.Name != "" {
				assert.Contains(t, err.Error(), `"`+tt.opts.Name+`"`)
			}
		})
	}
}

func TestKnownAllows(t *testing.T) {
	known := []string{"case_name", "fields."}
	for _, src := range []string{"$case_name", "$fields.hostname", "$fields.a.b", "${fields.x}_y", "no vars"} {
		_, err := Parse(src, Options{Known: known})
		assert.NoError(t, err, src)
	}
	_, err := Parse("$anything", Options{Known: nil})
	assert.NoError(t, err, "nil Known allows every name")
}

func TestRenderErrors(t *testing.T) {
	const secret = "s3cr3t-\r\nInjected: yes"
	tests := []struct {
		name, src string
		syntax    Syntax
		vals      Values
		err       error
		offset    int
		variable  string
	}{
		{"missing", "a $b", Text, Values{}, ErrMissingValue, 2, "b"},
		{"nil values", "a $b", Text, nil, ErrMissingValue, 2, "b"},
		{"missing second", `{"a": $a, "b": "$b"}`, JSON, Values{"a": String(secret)}, ErrMissingValue, 16, "b"},
		{"header CRLF", "X-Case: $v", Header, Values{"v": String(secret)}, ErrUnsafeValue, 8, "v"},
		{"header NUL", "$v", Header, Values{"v": String("a\x00b")}, ErrUnsafeValue, 0, "v"},
		{"header LF in list", "$v", Header, Values{"v": Strings([]string{"ok", "a\nb"})}, ErrUnsafeValue, 0, "v"},
		{"path dot", "/issue/$v", URL, Values{"v": String(".")}, ErrUnsafeValue, 7, "v"},
		{"path dotdot", "/issue/$v/x", URL, Values{"v": String("..")}, ErrUnsafeValue, 7, "v"},
		{"path dotdot list", "/issue/$v/x", URL, Values{"v": Strings([]string{".."})}, ErrUnsafeValue, 7, "v"},
		{"host slash", "https://$v/x", URL, Values{"v": String("evil.com/x?")}, ErrUnsafeValue, 8, "v"},
		{"host at", "https://$v/x", URL, Values{"v": String("user@evil.com")}, ErrUnsafeValue, 8, "v"},
		{"host list", "https://$v/x", URL, Values{"v": Strings([]string{"a", "b"})}, ErrUnsafeValue, 8, "v"},
		{"leading host dotdot", "$v/admin", URL, Values{"v": String("..")}, ErrUnsafeValue, 0, "v"},
		{"raw invalid", `{"a": $v}`, JSON, Values{"v": Raw(`{"a":`)}, ErrUnsafeValue, 6, "v"},
		{"raw empty", `{"a": $v}`, JSON, Values{"v": Raw("")}, ErrUnsafeValue, 6, "v"},
		{"raw two values", `[$v]`, JSON, Values{"v": Raw(`1, 2`)}, ErrUnsafeValue, 1, "v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src, Options{Name: "tpl", Syntax: tt.syntax})
			require.NoError(t, err)
			out, err := tpl.Render(tt.vals)
			require.Error(t, err)
			assert.Nil(t, out)
			assert.ErrorIs(t, err, tt.err)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "tpl", e.Template)
			assert.Equal(t, tt.offset, e.Offset)
			assert.Equal(t, tt.variable, e.Variable)
			assert.NotContains(t, err.Error(), "s3cr3t")
			assert.NotContains(t, err.Error(), "evil")
			assert.NotContains(t, err.Error(), "..")

			// Append leaves the caller's bytes alone.
			dst := []byte("keep")
			dst2, err := tpl.Append(dst, tt.vals)
			require.Error(t, err)
			assert.Equal(t, "keep", string(dst2))
		})
	}
}

// A JSON template whose output is invalid (impossible through Parse, which
// proves every slot) is still caught by the render-time check.
func TestRenderInvalidJSONOutput(t *testing.T) {
	tpl := &Template{
		opts:      Options{Name: "broken", Syntax: JSON},
		slots:     []slot{{lit: `{"a": 1 `, name: "v", off: 8, mode: modeJSONValue}},
		tail:      `}`,
		checkJSON: true,
	}
	_, err := tpl.Render(Values{"v": Raw("2")})
	require.ErrorIs(t, err, ErrInvalidJSON)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "broken", e.Template)
	assert.Equal(t, 8, e.Offset, "offset in the rendered output")
}

func TestAppendIntoBuffer(t *testing.T) {
	tpl, err := Parse(`{"s": "$a", "n": $b}`, Options{Syntax: JSON})
	require.NoError(t, err)
	vals := Values{"a": String("x"), "b": Int(1)}
	dst := []byte("prefix:")
	out, err := tpl.Append(dst, vals)
	require.NoError(t, err)
	assert.Equal(t, `prefix:{"s": "x", "n": 1}`, string(out))

	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf, err = tpl.Append(buf[:0], vals)
	})
	require.NoError(t, err)
	assert.Zero(t, allocs, "Append into a buffer with room")
	allocs = testing.AllocsPerRun(100, func() {
		_, err = tpl.Render(vals)
	})
	require.NoError(t, err)
	assert.Equal(t, 1.0, allocs, "Render allocates only the result")
}

func TestConcurrentRender(t *testing.T) {
	tpl, err := Parse(`{"summary": "[SIEM] $case_name", "n": $n}`, Options{Syntax: JSON})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			buf := make([]byte, 0, 64)
			for i := range 200 {
				var err error
				buf, err = tpl.Append(buf[:0], Values{"case_name": String("c\"" + string(rune('a'+g))), "n": Int(int64(i))})
				if err != nil {
					errs <- err
					return
				}
				if gjson.GetBytes(buf, "n").Int() != int64(i) || gjson.GetBytes(buf, "summary").String() != "[SIEM] c\""+string(rune('a'+g)) {
					errs <- errors.New("wrong output: " + string(buf))
					return
				}
				_ = tpl.Variables()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		kind Kind
		text string
	}{
		{"zero", Value{}, KindNull, ""},
		{"null", Null(), KindNull, ""},
		{"string", String("a"), KindString, "a"},
		{"strings", Strings([]string{"a", "b"}), KindStrings, "a, b"},
		{"int", Int(-7), KindNumber, "-7"},
		{"float", Float(0.25), KindNumber, "0.25"},
		{"float large", Float(123456789), KindNumber, "123456789"},
		{"float huge", Float(1e21), KindNumber, "1e+21"},
		{"float tiny", Float(1e-7), KindNumber, "1e-07"},
		{"float NaN", Float(math.NaN()), KindNumber, "NaN"},
		{"float +Inf", Float(math.Inf(1)), KindNumber, "+Inf"},
		{"bool", Bool(false), KindBool, "false"},
		{"raw", Raw(`{"a":1}`), KindRaw, `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.kind, tt.v.Kind())
			assert.Equal(t, tt.text, tt.v.Text())
		})
	}
	assert.Equal(t, []string{"a", "b"}, Strings([]string{"a", "b"}).List())
	assert.Nil(t, String("a").List())
}

func TestSyntaxString(t *testing.T) {
	for s, want := range map[Syntax]string{Text: "text", JSON: "json", URL: "url", Header: "header", Form: "form", 9: "syntax(9)"} {
		assert.Equal(t, want, s.String())
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Template: "create", Offset: 12, Variable: "case_nme", Detail: "did you mean $case_name?", Err: ErrUnknownVariable}
	assert.Equal(t, `template: unknown variable in "create": $case_nme at offset 12 (did you mean $case_name?)`, e.Error())
	e = &Error{Offset: -1, Err: ErrSyntax}
	assert.Equal(t, "template: syntax error", e.Error())
}

func TestInvalidJSONOffset(t *testing.T) {
	tests := []struct {
		in  string
		off int
	}{
		{`{}`, -1},
		{` [1, -2.5e+3, "a\u00e9\n", true, false, null, {"k": []}] `, -1},
		{``, 0},
		{`{`, 1},
		{`{"a" 1}`, 5},
		{`[1,]`, 3},
		{`[01]`, 2},
		{`"a\x"`, 3},
		{"\"a\x01\"", 2},
		{`{} {}`, 3},
		{`tru`, 3},
		{`-`, 1},
		{`1.`, 2},
		{`1e`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.off, invalidJSONOffset([]byte(tt.in)))
			assert.Equal(t, tt.off < 0, gjson.Valid(tt.in), "agrees with gjson")
		})
	}
}

func TestJSONEscapeAllBytes(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	out := append([]byte{'"'}, appendJSONEscaped(nil, string(all))...)
	out = append(out, '"')
	require.True(t, json.Valid(out))
	var back string
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, fixUTF8(string(all)), back)
	assert.True(t, utf8.Valid(out))
}

// A large template parses in linear time (no quadratic string building);
// this would take minutes if it were quadratic.
func TestParseLargeTemplate(t *testing.T) {
	for _, syntax := range []Syntax{Text, URL, Header, Form} {
		src := strings.Repeat("$$", 200_000) + "/$a"
		tpl, err := Parse(src, Options{Syntax: syntax})
		require.NoError(t, err)
		out, err := tpl.Render(Values{"a": String("x")})
		require.NoError(t, err)
		assert.Len(t, out, 200_000+2)
	}
}
