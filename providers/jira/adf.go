package jira

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"

	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/template"
)

// The computed variables the presets declare in httpconn.Config.ExtraVariables
// and [Variables] fills.
const (
	// VarDescriptionADF is $description_adf: the case description as an
	// Atlassian Document Format document (a whole JSON value), or null when
	// the description is blank. Jira Cloud's REST v3 wants this in
	// fields.description.
	VarDescriptionADF = "description_adf"
	// VarNoteADF is $note_adf: the note text as an ADF document, for the
	// body of a v3 comment.
	VarNoteADF = "note_adf"
)

// ExtraVariables lists the computed variables of the presets, for
// httpconn.Config.ExtraVariables.
var ExtraVariables = []string{VarDescriptionADF, VarNoteADF}

// Variables computes the Jira variables ([VarDescriptionADF], [VarNoteADF])
// from the standard inputs. Pass it as httpconn.Hooks.Variables
// (NewConnector does) so that templates may use them. A nil Case leaves
// $description_adf unset and a nil Note $note_adf (the connector then
// renders them as null). Safe for concurrent use.
func Variables(in vars.Input) template.Values {
	v := make(template.Values, 2)
	if in.Case != nil {
		if strings.TrimSpace(in.Case.Description) == "" {
			v[VarDescriptionADF] = template.Null()
		} else {
			v[VarDescriptionADF] = template.Raw(string(TextToADF(in.Case.Description)))
		}
	}
	if in.Note != nil {
		v[VarNoteADF] = template.Raw(string(TextToADF(in.Note.Text)))
	}
	return v
}

// adfNode is one node of an ADF document, as far as TextToADF writes them.
type adfNode struct {
	Type    string    `json:"type"`
	Text    string    `json:"text,omitempty"`
	Content []adfNode `json:"content,omitempty"`
}

// adfDoc is the root node; content is always written, even when empty.
type adfDoc struct {
	Type    string    `json:"type"`
	Version int       `json:"version"`
	Content []adfNode `json:"content"`
}

// TextToADF converts plain text to an Atlassian Document Format document
// (version 1): paragraphs are separated by blank lines (lines holding only
// white space), a single line break inside a paragraph becomes a hardBreak
// node, and each line is one text node, kept as written (leading spaces
// included). "\r\n" and "\r" count as line breaks; invalid UTF-8 becomes
// U+FFFD; control characters other than tab are dropped (Jira refuses some
// of them). Blank text gives a document with no content. The result is
// always valid JSON, built with encoding/json: no text can break out of its
// string.
func TextToADF(text string) json.RawMessage {
	doc := adfDoc{Type: "doc", Version: 1, Content: []adfNode{}}
	for _, para := range paragraphs(text) {
		p := adfNode{Type: "paragraph"}
		for i, line := range para {
			if i > 0 {
				p.Content = append(p.Content, adfNode{Type: "hardBreak"})
			}
			p.Content = append(p.Content, adfNode{Type: "text", Text: line})
		}
		doc.Content = append(doc.Content, p)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		// Unreachable: the document holds only strings and valid UTF-8.
		return json.RawMessage(`{"type":"doc","version":1,"content":[]}`)
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n"))
}

// paragraphs splits text into paragraphs of non-blank lines.
func paragraphs(text string) [][]string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, text)
	var (
		out [][]string
		cur []string
	)
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			if cur != nil {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}
