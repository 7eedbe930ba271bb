package jira_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/template"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adfSchema compiles Atlassian's ADF JSON schema (draft-04), copied with its
// license into testdata/adf-schema (see SOURCE.md there).
var adfSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open("testdata/adf-schema/full.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	const url = "file:///adf-schema/full.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
})

// requireValidADF fails the test unless raw is an ADF document the schema
// accepts.
func requireValidADF(t *testing.T, raw []byte) {
	t.Helper()
	sch, err := adfSchema()
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err, "not JSON: %.200s", raw)
	require.NoError(t, sch.Validate(inst), "not a valid ADF document: %.300s", raw)
}

func javaLen(s string) int { return len(utf16.Encode([]rune(s))) }

// adfInputs are the texts every ADF producer must turn into a valid document.
func adfInputs() map[string]string {
	return map[string]string{
		"empty":             "",
		"whitespace only":   " \t\n\r\n   \n",
		"one line":          "Blocked the source IP.",
		"40k characters":    strings.Repeat("A long alert line. ", 40000/19+1),
		"40k one word":      strings.Repeat("x", 40000),
		"40k emoji":         strings.Repeat("🔥", 20000),
		"40k quotes":        strings.Repeat(`"\`, 20000),
		"control chars":     "a\x00b\x01c\x1bd\x7fe\u0085f\u2028g\u2029h\x0b\x0c",
		"invalid utf-8":     "bad \xff\xfe bytes \xc3",
		"many lines":        strings.Repeat("line\n", 5000),
		"many paragraphs":   strings.Repeat("para\n\n", 5000),
		"many blank lines":  "a" + strings.Repeat("\n", 10000) + "b",
		"wiki markup":       "h1. Title\n[~admin] {code}x{code} [x|http://evil.example] *bold* _it_ {{mono}} !img.png! ||a||b||",
		"html and entities": "<script>alert(1)</script> &amp; &#92; \\\\",
		"leading spaces":    "   indented\n\t\ttabbed",
	}
}

func TestADFSchemaAcceptsEveryDocument(t *testing.T) {
	t.Parallel()
	urls := map[string]string{"no case link": "", "case link": "https://siem.example.com/cases/1042?tab=notes&x=[1]", "not a URL": "javascript:alert(1)"}
	for name, text := range adfInputs() {
		for uname, u := range urls {
			t.Run(name+"/"+uname, func(t *testing.T) {
				t.Parallel()
				for kind, raw := range map[string]json.RawMessage{
					"TextToADF":      jira.TextToADF(text),
					"DescriptionADF": jira.DescriptionADF(text, u),
					"NoteADF":        jira.NoteADF(text, u),
				} {
					t.Run(kind, func(t *testing.T) {
						requireValidADF(t, raw)
						if kind != "TextToADF" { // the plain converter does not shorten
							assert.LessOrEqual(t, javaLen(string(raw)), jira.TextLimit, "the document fits Jira's limit")
						}
					})
				}
			})
		}
	}
}

func TestADFCutKeepsMarkerAndLink(t *testing.T) {
	t.Parallel()
	const u = "https://siem.example.com/cases/1042"
	long := strings.Repeat("word ", 10000) // 50k
	desc := string(jira.DescriptionADF(long, u))
	assert.Contains(t, desc, jira.TextCutMarker)
	assert.Contains(t, desc, `"href":"`+u+`"`)
	assert.Greater(t, javaLen(desc), jira.TextLimit-2000, "the cut keeps most of the budget")

	note := string(jira.NoteADF(long, u))
	assert.Contains(t, note, jira.TextCutMarker)
	assert.Contains(t, note, `"href":"`+u+`"`)

	short := string(jira.NoteADF("short", u))
	assert.NotContains(t, short, jira.TextCutMarker)
	assert.NotContains(t, short, "href", "a note that fits carries no link")
	assert.Contains(t, string(jira.DescriptionADF("short", u)), `"href":"`+u+`"`, "a description always links to the case")
}

// TestVariablesADFValid renders the computed variables of cases and notes
// as the connector does and validates every ADF value.
func TestVariablesADFValid(t *testing.T) {
	t.Parallel()
	for name, text := range adfInputs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := itsm.Case{ID: "CASE-1", Title: text, Description: text, URL: "https://siem.example.com/cases/1"}
			v := jira.Variables(vars.Input{Case: &c, Note: &itsm.Note{ID: "n", Text: text}})
			for _, k := range []string{jira.VarDescriptionADF, jira.VarNoteADF} {
				require.Equal(t, template.KindRaw, v[k].Kind(), k)
				requireValidADF(t, []byte(v[k].Text()))
			}
		})
	}
}
