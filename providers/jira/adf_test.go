package jira_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/template"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTextToADF(t *testing.T) {
	const empty = `{"type":"doc","version":1,"content":[]}`
	para := func(nodes ...string) string {
		return `{"type":"paragraph","content":[` + strings.Join(nodes, ",") + `]}`
	}
	text := func(s string) string { b, _ := json.Marshal(s); return `{"type":"text","text":` + string(b) + `}` }
	br := `{"type":"hardBreak"}`
	doc := func(paras ...string) string {
		return `{"type":"doc","version":1,"content":[` + strings.Join(paras, ",") + `]}`
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", empty},
		{"blank lines only", "\n \n\t\n", empty},
		{"one line", "hello", doc(para(text("hello")))},
		{"quotes and backslashes", `say "hi" \ bye`, doc(para(text(`say "hi" \ bye`)))},
		{"json breakout attempt", `"}]},{"type":"x`, doc(para(text(`"}]},{"type":"x`)))},
		{"html", "<b>&amp;</b>", doc(para(text("<b>&amp;</b>")))},
		{"single newline is a hard break", "a\nb", doc(para(text("a"), br, text("b")))},
		{"blank line splits paragraphs", "a\n\nb", doc(para(text("a")), para(text("b")))},
		{"many blank lines are one split", "a\n\n \n\n\nb", doc(para(text("a")), para(text("b")))},
		{"crlf and cr", "a\r\nb\r\rc", doc(para(text("a"), br, text("b")), para(text("c")))},
		{"leading and trailing blank lines", "\n\na\n\n", doc(para(text("a")))},
		{"indentation kept", "  - item\n\tnext", doc(para(text("  - item"), br, text("\tnext")))},
		{"emoji", "fire 🔥 and 👩‍💻", doc(para(text("fire 🔥 and 👩‍💻")))},
		{"control characters dropped", "a\x00b\x07c\x1b[0m", doc(para(text("abc[0m")))},
		{"invalid utf-8", "a\xffb", doc(para(text("a\uFFFDb")))},
		{"u2028 kept", "a\u2028b", doc(para(text("a\u2028b")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := jira.TextToADF(tt.in)
			require.True(t, json.Valid(got), "invalid JSON: %s", got)
			assert.JSONEq(t, tt.want, string(got))
			back, err := jira.ADFToText(got)
			require.NoError(t, err)
			assert.Equal(t, jira.NormalizeText(tt.in), back)
		})
	}
}

func TestADFToText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		err  bool
	}{
		{"v2 string", `"plain text\nhere"`, "plain text\nhere", false},
		{"mention emoji status", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[
			{"type":"mention","attrs":{"id":"1","text":"@Alice"}},{"type":"text","text":" "},
			{"type":"emoji","attrs":{"shortName":":fire:"}},{"type":"text","text":" "},
			{"type":"inlineCard","attrs":{"url":"https://x"}}]}]}`, "@Alice :fire: https://x", false},
		{"lists and headings", `{"type":"doc","version":1,"content":[
			{"type":"heading","attrs":{"level":1},"content":[{"type":"text","text":"Title"}]},
			{"type":"bulletList","content":[
				{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"one"}]}]},
				{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"two"}]}]}]},
			{"type":"rule"}]}`, "Title\n\none\ntwo\n\n---", false},
		{"marks dropped", `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"bold","marks":[{"type":"strong"}]}]}]}`, "bold", false},
		{"not json", `{"type":`, "", true},
		{"not a doc", `{"type":"paragraph","content":[]}`, "", true},
		{"number", `42`, "", true},
		{"deep nesting", strings.Repeat(`{"type":"doc","content":[`, 1) + strings.Repeat(`{"type":"blockquote","content":[`, 200) +
			strings.Repeat(`]}`, 200) + `]}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jira.ADFToText([]byte(tt.in))
			if tt.err {
				require.ErrorIs(t, err, jira.ErrNotADF)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestVariables(t *testing.T) {
	c := itsm.Case{ID: "C-1", Title: "t", Description: "line 1\nline 2"}
	n := itsm.Note{ID: "n", Text: "note"}
	v := jira.Variables(vars.Input{Case: &c, Note: &n})
	require.Equal(t, template.KindRaw, v[jira.VarDescriptionADF].Kind())
	assert.JSONEq(t, string(jira.TextToADF(c.Description)), v[jira.VarDescriptionADF].Text())
	assert.JSONEq(t, string(jira.TextToADF("note")), v[jira.VarNoteADF].Text())

	blank := itsm.Case{ID: "C-1", Title: "t", Description: " \n "}
	v = jira.Variables(vars.Input{Case: &blank})
	assert.Equal(t, template.KindNull, v[jira.VarDescriptionADF].Kind(), "a blank description is null, not an empty document")
	_, ok := v[jira.VarNoteADF]
	assert.False(t, ok, "no note, no $note_adf")

	assert.Empty(t, jira.Variables(vars.Input{}))
}

// FuzzTextToADF: any text gives a valid ADF document whose text reads back
// as the normalized input.
func FuzzTextToADF(f *testing.F) {
	for _, s := range []string{"", "a", "a\nb", "a\n\nb", "\r\n\r\n", `"}]`, "\x00", "🔥\u2028", "\xff\xfe", "  x  \n\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc := jira.TextToADF(s)
		if !json.Valid(doc) {
			t.Fatalf("invalid JSON for %q: %s", s, doc)
		}
		var d struct {
			Type    string `json:"type"`
			Version int    `json:"version"`
			Content []struct {
				Type    string `json:"type"`
				Content []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"content"`
			} `json:"content"`
		}
		if err := json.Unmarshal(doc, &d); err != nil || d.Type != "doc" || d.Version != 1 || d.Content == nil {
			t.Fatalf("not an ADF doc: %s (%v)", doc, err)
		}
		for _, p := range d.Content {
			if p.Type != "paragraph" || len(p.Content) == 0 {
				t.Fatalf("bad paragraph in %s", doc)
			}
			for _, n := range p.Content {
				if n.Type == "text" && (n.Text == "" || !utf8.ValidString(n.Text)) {
					t.Fatalf("empty or invalid text node in %s", doc)
				}
			}
		}
		back, err := jira.ADFToText(doc)
		if err != nil {
			t.Fatal(err)
		}
		if want := jira.NormalizeText(s); back != want {
			t.Fatalf("round trip of %q: got %q, want %q", s, back, want)
		}
		if jira.NormalizeText(back) != back {
			t.Fatalf("normalization is not idempotent for %q", s)
		}
	})
}

// FuzzADFToText: any input is read without panicking.
func FuzzADFToText(f *testing.F) {
	f.Add([]byte(`{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"x"}]}]}`))
	f.Add([]byte(`"text"`))
	f.Add([]byte(`{"type":"doc","content":[{"type":"bulletList","content":[{"type":"listItem"}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = jira.ADFToText(b)
	})
}

func BenchmarkTextToADF(b *testing.B) {
	text := strings.Repeat("Multiple failed logins from 203.0.113.7.\nBlocked at the firewall.\n\n", 20)
	b.ReportAllocs()
	for b.Loop() {
		_ = jira.TextToADF(text)
	}
}
