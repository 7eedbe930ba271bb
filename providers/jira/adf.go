package jira

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/template"
)

// The computed variables the presets declare in httpconn.Config.ExtraVariables
// and [Variables] fills.
const (
	// VarDescriptionADF is $description_adf: the case description as an
	// Atlassian Document Format document (a whole JSON value) fitted to
	// [TextLimit] and ending with a link to the case ([DescriptionADF]), or
	// null when description and case URL are both blank. Jira Cloud's REST
	// v3 wants this in fields.description.
	VarDescriptionADF = "description_adf"
	// VarNoteADF is $note_adf: the note text as an ADF document fitted to
	// [TextLimit] ([NoteADF]), for the body of a v3 comment.
	VarNoteADF = "note_adf"
	// VarDescriptionWiki is $description_wiki: the description for REST v2
	// (Data Center), markup escaped, fitted, with the case link
	// ([DescriptionWiki]).
	VarDescriptionWiki = "description_wiki"
	// VarNoteWiki is $note_wiki: the note for REST v2 ([NoteWiki]).
	VarNoteWiki = "note_wiki"
	// VarSummaryText is $summary_text: the case title on one line, fitted
	// after [SummaryPrefix] to [SummaryLimit] ([SummaryText]).
	VarSummaryText = "summary_text"
)

// ExtraVariables lists the computed variables of the presets, for
// httpconn.Config.ExtraVariables.
var ExtraVariables = []string{VarDescriptionADF, VarNoteADF, VarDescriptionWiki, VarNoteWiki, VarSummaryText}

// Variables computes the Jira variables ([VarSummaryText],
// [VarDescriptionADF], [VarDescriptionWiki], [VarNoteADF], [VarNoteWiki])
// from the standard inputs. Pass it as httpconn.Hooks.Variables
// (NewConnector does) so that templates may use them. A nil Case leaves the
// case variables unset and a nil Note the note variables (the connector
// then renders them as null). Safe for concurrent use.
func Variables(in vars.Input) template.Values {
	v := make(template.Values, 5)
	caseURL := ""
	if in.Case != nil {
		caseURL = in.Case.URL
		v[VarSummaryText] = template.String(SummaryText(in.Case.Title, in.Case.ID))
		if strings.TrimSpace(in.Case.Description) == "" && strings.TrimSpace(caseURL) == "" {
			v[VarDescriptionADF] = template.Null()
		} else {
			v[VarDescriptionADF] = template.Raw(string(DescriptionADF(in.Case.Description, caseURL)))
		}
		v[VarDescriptionWiki] = template.String(DescriptionWiki(in.Case.Description, caseURL))
	}
	if in.Note != nil {
		v[VarNoteADF] = template.Raw(string(NoteADF(in.Note.Text, caseURL)))
		v[VarNoteWiki] = template.String(NoteWiki(in.Note.Text, caseURL))
	}
	return v
}

// adfMark is a mark of an ADF text node (only links are written).
type adfMark struct {
	Type  string            `json:"type"`
	Attrs map[string]string `json:"attrs,omitempty"`
}

// adfNode is one node of an ADF document, as far as this package writes them.
type adfNode struct {
	Type    string    `json:"type"`
	Text    string    `json:"text,omitempty"`
	Marks   []adfMark `json:"marks,omitempty"`
	Content []adfNode `json:"content,omitempty"`
}

// adfDoc is the root node; content is always written, even when empty.
type adfDoc struct {
	Type    string    `json:"type"`
	Version int       `json:"version"`
	Content []adfNode `json:"content"`
}

func (d adfDoc) encode() json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		// Unreachable: the document holds only strings and valid UTF-8.
		return json.RawMessage(`{"type":"doc","version":1,"content":[]}`)
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n"))
}

// textParagraphs converts text to paragraph nodes (see [TextToADF]).
func textParagraphs(text string) []adfNode {
	var out []adfNode
	for _, para := range paragraphs(text) {
		p := adfNode{Type: "paragraph"}
		for i, line := range para {
			if i > 0 {
				p.Content = append(p.Content, adfNode{Type: "hardBreak"})
			}
			p.Content = append(p.Content, adfNode{Type: "text", Text: line})
		}
		out = append(out, p)
	}
	return out
}

// linkParagraph is "label" followed by the URL as a link (as text when it
// is not an http(s) URL).
func linkParagraph(label, u string) adfNode {
	u = OneLine(u)
	if !linkable(u) {
		return adfNode{Type: "paragraph", Content: []adfNode{{Type: "text", Text: label + u}}}
	}
	return adfNode{Type: "paragraph", Content: []adfNode{
		{Type: "text", Text: label},
		{Type: "text", Text: u, Marks: []adfMark{{Type: "link", Attrs: map[string]string{"href": u}}}},
	}}
}

// fitADF builds the document of text (plus tail paragraphs) and shortens
// the text, adding [TextCutMarker], until the JSON fits [TextLimit].
func fitADF(text string, tail func(cut bool) []adfNode) json.RawMessage {
	text = cleanText(text)
	out := fitText(text, TextLimit, func(t string, cut bool) string {
		doc := adfDoc{Type: "doc", Version: 1, Content: textParagraphs(t)}
		if cut {
			doc.Content = append(doc.Content, adfNode{Type: "paragraph", Content: []adfNode{{Type: "text", Text: TextCutMarker}}})
		}
		doc.Content = append(doc.Content, tail(cut)...)
		if doc.Content == nil {
			doc.Content = []adfNode{}
		}
		return string(doc.encode())
	})
	return json.RawMessage(out)
}

// DescriptionADF is the Jira Cloud (REST v3) description: the case
// description as ADF ([TextToADF]), shortened with [TextCutMarker] so the
// whole document's JSON fits [TextLimit], and a last paragraph linking to
// the case ([CaseLinkLabel], a link mark) when caseURL is set.
func DescriptionADF(text, caseURL string) json.RawMessage {
	caseURL = strings.TrimSpace(caseURL)
	return fitADF(text, func(bool) []adfNode {
		if caseURL == "" {
			return nil
		}
		return []adfNode{linkParagraph(CaseLinkLabel, caseURL)}
	})
}

// NoteADF is the Jira Cloud (REST v3) comment body: the note as ADF,
// shortened with [TextCutMarker] and the case link so the document's JSON
// fits [TextLimit]. A blank note gives a document without content, which
// Jira refuses ("Comment body can not be empty!"): [Connector.Comment]
// never sends one.
func NoteADF(text, caseURL string) json.RawMessage {
	caseURL = strings.TrimSpace(caseURL)
	return fitADF(text, func(cut bool) []adfNode {
		if !cut || caseURL == "" {
			return nil
		}
		return []adfNode{linkParagraph(CaseLinkLabel, caseURL)}
	})
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
	doc := adfDoc{Type: "doc", Version: 1, Content: textParagraphs(text)}
	if doc.Content == nil {
		doc.Content = []adfNode{}
	}
	return doc.encode()
}

// paragraphs splits text into paragraphs of non-blank lines.
func paragraphs(text string) [][]string {
	text = cleanText(text)
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
