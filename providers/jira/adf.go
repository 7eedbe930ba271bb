package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/template"
	"github.com/tidwall/gjson"
)

// The computed variables the presets declare in itsm.Config.ExtraVariables
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
// itsm.Config.ExtraVariables.
var ExtraVariables = []string{VarDescriptionADF, VarNoteADF}

// Variables computes the Jira variables ([VarDescriptionADF], [VarNoteADF])
// from the standard inputs. Pass it to itsm.WithVariables (NewConnector does)
// so that templates may use them. A nil Case leaves $description_adf unset
// and a nil Note $note_adf (the connector then renders them as null). Safe
// for concurrent use.
func Variables(in itsm.VarInput) template.Values {
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
// string. [ADFToText] reads it back as [NormalizeText] of the input.
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

// NormalizeText returns text as [TextToADF] keeps it: line breaks as "\n",
// invalid UTF-8 as U+FFFD, control characters other than tab dropped, blank
// lines (white space only) removed except as single separators between
// paragraphs ("\n\n"), no leading or trailing blank lines.
func NormalizeText(text string) string {
	paras := paragraphs(text)
	out := make([]string, len(paras))
	for i, p := range paras {
		out[i] = strings.Join(p, "\n")
	}
	return strings.Join(out, "\n\n")
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

// ErrNotADF is a document [ADFToText] cannot read: not JSON, or not an ADF
// document ({"type":"doc", "content":[...]}).
var ErrNotADF = errors.New("jira: not an atlassian document")

// ADFToText flattens an Atlassian Document Format document to plain text:
// top-level blocks are separated by a blank line, nested blocks (list items,
// table cells) by a line break, hardBreak nodes are line breaks, mentions,
// emoji, status lozenges and dates give their text, cards their URL. Marks
// (bold, links) are dropped. A JSON string (a REST v2 rich-text field) is
// returned as it is. It never panics; input that is neither wraps
// [ErrNotADF].
func ADFToText(doc []byte) (string, error) {
	if !gjson.ValidBytes(doc) {
		return "", ErrNotADF
	}
	root := gjson.ParseBytes(doc)
	if root.Type == gjson.String {
		return root.Str, nil
	}
	if !root.IsObject() || root.Get("type").String() != "doc" || !root.Get("content").IsArray() {
		return "", ErrNotADF
	}
	var b strings.Builder
	flattenBlocks(&b, root.Get("content"), "\n\n", 0)
	return b.String(), nil
}

// adfMaxDepth bounds recursion on hostile documents.
const adfMaxDepth = 64

// flattenBlocks writes the children of a block node, separated by sep.
func flattenBlocks(b *strings.Builder, content gjson.Result, sep string, depth int) {
	if depth > adfMaxDepth || !content.IsArray() {
		return
	}
	first := true
	content.ForEach(func(_, n gjson.Result) bool {
		if !n.IsObject() {
			return true
		}
		if isInline(n.Get("type").String()) {
			writeInline(b, n)
			return true
		}
		if !first {
			b.WriteString(sep)
		}
		first = false
		flattenNode(b, n, depth+1)
		return true
	})
}

// flattenNode writes one block node.
func flattenNode(b *strings.Builder, n gjson.Result, depth int) {
	switch n.Get("type").String() {
	case "paragraph", "heading", "codeBlock":
		n.Get("content").ForEach(func(_, c gjson.Result) bool {
			writeInline(b, c)
			return true
		})
	case "rule":
		b.WriteString("---")
	default: // lists, quotes, panels, tables, expands: their blocks
		flattenBlocks(b, n.Get("content"), "\n", depth)
	}
}

func isInline(t string) bool {
	switch t {
	case "text", "hardBreak", "mention", "emoji", "inlineCard", "status", "date", "placeholder", "mediaInline":
		return true
	}
	return false
}

// writeInline writes one inline node.
func writeInline(b *strings.Builder, n gjson.Result) {
	attrs := n.Get("attrs")
	switch n.Get("type").String() {
	case "text":
		b.WriteString(n.Get("text").String())
	case "hardBreak":
		b.WriteByte('\n')
	case "mention", "emoji", "status", "placeholder":
		if t := attrs.Get("text").String(); t != "" {
			b.WriteString(t)
		} else {
			b.WriteString(attrs.Get("shortName").String())
		}
	case "inlineCard":
		b.WriteString(attrs.Get("url").String())
	case "date":
		b.WriteString(attrs.Get("timestamp").String())
	}
}
