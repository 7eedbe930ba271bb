package template_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasttemplate"

	"github.com/itsmsync/itsmsync/template"
)

// A realistic Jira Cloud create payload: 11 variables, one in value
// position (labels), the others inside JSON string literals.
const jiraCreate = `{
  "fields": {
    "project": {"key": "$project_key"},
    "issuetype": {"name": "Task"},
    "summary": "[SIEM] $case_name",
    "description": "$description\n\nCase: $case_url\nCreated: $created_at\nHost: $fields.hostname",
    "priority": {"name": "$priority"},
    "labels": $tags,
    "customfield_10010": "$correlation_key",
    "customfield_10020": "$severity",
    "customfield_10030": "$case_id",
    "environment": "$fields.hostname"
  }
}`

// benchDescription is a 2 KB case description with quotes, newlines,
// backslashes, tabs and non-ASCII text.
var benchDescription = func() string {
	para := "Alert \"Suspicious login\" fired for user jürgen@example.com from 203.0.113.7 (Zürich, CH).\n" +
		"\tRule: brute_force > 20 failures in 5m; path C:\\Users\\jürgen\\AppData — see «details» ✓\n"
	var b strings.Builder
	for b.Len() < 2048 {
		b.WriteString(para)
	}
	return b.String()[:2048]
}()

func benchValues() template.Values {
	return template.Values{
		"project_key":     template.String("SEC"),
		"case_name":       template.String(`Brute force on "vpn-gw-01" — 20 failures`),
		"description":     template.String(benchDescription),
		"case_url":        template.String("https://siem.example.com/app/security/cases/7f3c2a10-9b1e-4c55-a0b2-3d1f6e9a8c44"),
		"created_at":      template.String("2026-11-28T03:12:45Z"),
		"fields.hostname": template.String("vpn-gw-01.corp.example.com"),
		"priority":        template.String("High"),
		"tags":            template.Strings([]string{"siem", "brute-force", "vpn", "tier-2"}),
		"correlation_key": template.String("siem:case:7f3c2a10-9b1e-4c55-a0b2-3d1f6e9a8c44"),
		"severity":        template.String("high"),
		"case_id":         template.String("7f3c2a10-9b1e-4c55-a0b2-3d1f6e9a8c44"),
	}
}

// floorPlan is jiraCreate pre-split into literal pieces and values: the
// unavoidable work is to escape each value once and append it between them.
type floorPiece struct {
	lit      string
	val      template.Value
	inString bool // JSON-escape without quotes; else a whole JSON value
}

// splitForFloor splits jiraCreate on "$name" (it has no "$$" or "${").
func splitForFloor(vals template.Values) ([]floorPiece, string) {
	var pieces []floorPiece
	src := jiraCreate
	inStr := false
	lit := 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\' && inStr:
			i++
		case c == '"':
			inStr = !inStr
		case c == '$':
			n := 1
			for i+n < len(src) && (src[i+n] == '_' || src[i+n] == '.' || src[i+n] >= 'a' && src[i+n] <= 'z') {
				n++
			}
			name := strings.TrimSuffix(src[i+1:i+n], ".")
			pieces = append(pieces, floorPiece{lit: src[lit:i], val: vals[name], inString: inStr})
			i += len(name)
			lit = i + 1
		}
	}
	return pieces, src[lit:]
}

// appendFloor is the floor: every value escaped once with
// appendRunEscaped (a normal run-copying escaper) between the literal
// pieces, with no map lookup and no per-slot mode.
func appendFloor(dst []byte, pieces []floorPiece, tail string) []byte {
	for i := range pieces {
		p := &pieces[i]
		dst = append(dst, p.lit...)
		if p.inString {
			dst = appendRunEscaped(dst, p.val.Text())
			continue
		}
		dst = append(dst, '[')
		for k, it := range p.val.List() {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = appendRunEscaped(dst, it)
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	}
	return append(dst, tail...)
}

// floorSafe marks the ASCII bytes copied as they are inside a JSON string.
var floorSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendRunEscaped JSON-escapes s (no quotes) the way encoding/json's
// string encoder does: unescaped runs are copied with one append, escapes
// written in between, non-ASCII decoded (invalid UTF-8 becomes U+FFFD). It
// is the baseline "escape each value once" a template cannot beat by
// construction — unlike gjson.AppendJSONString, which appends byte by byte.
func appendRunEscaped(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if floorSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// textTemplateSource is jiraCreate for text/template with escape funcs.
func textTemplateSource() string {
	r := strings.NewReplacer(
		"$tags", "{{jsonv .tags}}",
		"$fields.hostname", `{{jsons (index . "fields.hostname")}}`,
	)
	s := r.Replace(jiraCreate)
	for _, n := range []string{"project_key", "case_name", "description", "case_url", "created_at", "priority", "correlation_key", "severity", "case_id"} {
		s = strings.ReplaceAll(s, "$"+n, "{{jsons ."+n+"}}")
	}
	return s
}

// The baselines escape with appendRunEscaped too, so the ratios compare the
// template engines, not the escapers.
func jsonEscapeNoQuotes(s string) string {
	return string(appendRunEscaped(nil, s))
}

func jsonArray(items []string) string {
	b := []byte{'['}
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = appendRunEscaped(b, it)
		b = append(b, '"')
	}
	return string(append(b, ']'))
}

func BenchmarkRenderJiraCreate(b *testing.B) {
	vals := benchValues()
	tpl, err := template.Parse(jiraCreate, template.Options{Name: "jira_create", Syntax: template.JSON})
	if err != nil {
		b.Fatal(err)
	}
	want, err := tpl.Render(vals)
	if err != nil {
		b.Fatal(err)
	}
	if !gjson.ValidBytes(want) || gjson.GetBytes(want, "fields.description").String()[:2048] != benchDescription {
		b.Fatal("bad render")
	}

	b.Run("ours_append", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		buf := make([]byte, 0, 2*len(want))
		for b.Loop() {
			buf, err = tpl.Append(buf[:0], vals)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours_append_filters", func(b *testing.B) {
		// The Jira preset's limits: summary one line of at most 255
		// characters, description at most 32,767; neither changes these
		// values, so this is the cost of checking.
		src := strings.Replace(jiraCreate, "$case_name", "${case_name|oneline|trunc:255}", 1)
		src = strings.Replace(src, "$description", "${description|trunc:32767}", 1)
		src = strings.Replace(src, `"$priority"`, `"${priority|default:Medium}"`, 1)
		ftpl, err := template.Parse(src, template.Options{Name: "jira_create", Syntax: template.JSON})
		if err != nil {
			b.Fatal(err)
		}
		if got, err := ftpl.Render(vals); err != nil || string(got) != string(want) {
			b.Fatalf("filters changed the render: %v", err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		buf := make([]byte, 0, 2*len(want))
		for b.Loop() {
			buf, err = ftpl.Append(buf[:0], vals)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours_render", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		for b.Loop() {
			if _, err := tpl.Render(vals); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		pieces, tail := splitForFloor(vals)
		out := appendFloor(nil, pieces, tail)
		if !gjson.ValidBytes(out) || gjson.GetBytes(out, "fields.description").String() != gjson.GetBytes(want, "fields.description").String() {
			b.Fatalf("floor renders differently: %s", out)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		buf := make([]byte, 0, 2*len(want))
		for b.Loop() {
			buf = appendFloor(buf[:0], pieces, tail)
		}
	})
	b.Run("text_template", func(b *testing.B) {
		tt, err := texttemplate.New("jira").Funcs(texttemplate.FuncMap{
			"jsons": func(v template.Value) string { return jsonEscapeNoQuotes(v.Text()) },
			"jsonv": func(v template.Value) string { return jsonArray(v.List()) },
		}).Parse(textTemplateSource())
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := tt.Execute(&buf, map[string]template.Value(vals)); err != nil {
			b.Fatal(err)
		}
		if !gjson.ValidBytes(buf.Bytes()) {
			b.Fatalf("text/template output invalid: %s", buf.Bytes())
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		for b.Loop() {
			buf.Reset()
			if err := tt.Execute(&buf, map[string]template.Value(vals)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fasttemplate", func(b *testing.B) {
		// fasttemplate needs start and end tags: "$name" normalized to "${name}".
		src := textTemplateSource()
		src = strings.NewReplacer(`{{jsonv .tags}}`, "${tags}", `{{jsons (index . "fields.hostname")}}`, "${fields.hostname}").Replace(src)
		src = strings.ReplaceAll(strings.ReplaceAll(src, "{{jsons .", "${"), "}}", "}")
		ft, err := fasttemplate.NewTemplate(src, "${", "}")
		if err != nil {
			b.Fatal(err)
		}
		scratch := make([]byte, 0, 4096)
		tag := func(w io.Writer, name string) (int, error) {
			v := vals[name]
			if v.Kind() == template.KindStrings {
				return w.Write(append(scratch[:0], jsonArray(v.List())...))
			}
			return w.Write(appendRunEscaped(scratch[:0], v.Text()))
		}
		var buf bytes.Buffer
		if _, err := ft.ExecuteFunc(&buf, tag); err != nil || !gjson.ValidBytes(buf.Bytes()) {
			b.Fatalf("fasttemplate output invalid: %v %s", err, buf.Bytes())
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		for b.Loop() {
			buf.Reset()
			if _, err := ft.ExecuteFunc(&buf, tag); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRenderVsTextTemplate alternates short batches of Template.Render,
// Template.Append (into a reused buffer), text/template (the same template
// and run-copying escape funcs as in BenchmarkRenderJiraCreate, into a reused
// bytes.Buffer) and the floor, swapping the order every op, so load from
// other processes hits all alike; it reports tt/render = text/template time
// ÷ Render time (target ≥ 5), tt/append, render/floor and append/floor, all
// from the same batches. One op is one batch of each.
func BenchmarkRenderVsTextTemplate(b *testing.B) {
	const batch = 20
	vals := benchValues()
	tpl, err := template.Parse(jiraCreate, template.Options{Name: "jira_create", Syntax: template.JSON})
	if err != nil {
		b.Fatal(err)
	}
	tt, err := texttemplate.New("jira").Funcs(texttemplate.FuncMap{
		"jsons": func(v template.Value) string { return jsonEscapeNoQuotes(v.Text()) },
		"jsonv": func(v template.Value) string { return jsonArray(v.List()) },
	}).Parse(textTemplateSource())
	if err != nil {
		b.Fatal(err)
	}
	pieces, tail := splitForFloor(vals)
	var ttBuf bytes.Buffer
	appendBuf := make([]byte, 0, 8192)
	floorBuf := make([]byte, 0, 8192)
	var sink int
	legs := [4]func(){
		func() {
			for range batch {
				out, err := tpl.Render(vals)
				if err != nil {
					b.Fatal(err)
				}
				sink += len(out)
			}
		},
		func() {
			for range batch {
				ttBuf.Reset()
				if err := tt.Execute(&ttBuf, map[string]template.Value(vals)); err != nil {
					b.Fatal(err)
				}
			}
		},
		func() {
			for range batch {
				appendBuf, err = tpl.Append(appendBuf[:0], vals)
				if err != nil {
					b.Fatal(err)
				}
			}
		},
		func() {
			for range batch {
				floorBuf = appendFloor(floorBuf[:0], pieces, tail)
			}
		},
	}
	var spent [4]time.Duration
	b.ReportAllocs()
	for op := 0; b.Loop(); op++ {
		for k := range legs {
			i := (k + op) % len(legs)
			t0 := time.Now()
			legs[i]()
			spent[i] += time.Since(t0)
		}
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "tt/render")
	b.ReportMetric(float64(spent[1])/float64(spent[2]), "tt/append")
	b.ReportMetric(float64(spent[0])/float64(spent[3]), "render/floor")
	b.ReportMetric(float64(spent[2])/float64(spent[3]), "append/floor")
	if sink == 0 {
		b.Fatal("nothing rendered")
	}
}
