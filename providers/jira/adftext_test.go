package jira

import (
	"errors"
	"strings"

	"github.com/tidwall/gjson"
)

// Reading ADF back checks what TextToADF writes (round trips, the fake
// Jira's stored descriptions); the package itself never reads ADF this way
// (the Parser flattens comment bodies on its own).

// normalizeText returns text as [TextToADF] keeps it: line breaks as "\n",
// invalid UTF-8 as U+FFFD, control characters other than tab dropped, blank
// lines (white space only) removed except as single separators between
// paragraphs ("\n\n"), no leading or trailing blank lines.
func normalizeText(text string) string {
	paras := paragraphs(text)
	out := make([]string, len(paras))
	for i, p := range paras {
		out[i] = strings.Join(p, "\n")
	}
	return strings.Join(out, "\n\n")
}

// errNotADF is a document [adfToText] cannot read: not JSON, or not an ADF
// document ({"type":"doc", "content":[...]}).
var errNotADF = errors.New("jira: not an atlassian document")

// adfToText flattens an Atlassian Document Format document to plain text:
// top-level blocks are separated by a blank line, nested blocks (list items,
// table cells) by a line break, hardBreak nodes are line breaks, mentions,
// emoji, status lozenges and dates give their text, cards their URL. Marks
// (bold, links) are dropped. A JSON string (a REST v2 rich-text field) is
// returned as it is. It never panics; input that is neither wraps
// [errNotADF].
func adfToText(doc []byte) (string, error) {
	if !gjson.ValidBytes(doc) {
		return "", errNotADF
	}
	root := gjson.ParseBytes(doc)
	if root.Type == gjson.String {
		return root.Str, nil
	}
	if !root.IsObject() || root.Get("type").String() != "doc" || !root.Get("content").IsArray() {
		return "", errNotADF
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
