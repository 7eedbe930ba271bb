package httpconn

import (
	"fmt"
	"strings"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm/vars"
)

// MustacheKind tells what a mustache tag ({{...}}) found in a template is.
type MustacheKind string

// The mustache tags [FindMustache] recognizes.
const (
	// MustacheTriple is {{{name}}}: in mustache an unescaped value.
	MustacheTriple MustacheKind = "triple"
	// MustacheDouble is {{name}}: in mustache an HTML-escaped value.
	MustacheDouble MustacheKind = "double"
	// MustacheAmpersand is {{&name}}: like triple braces, unescaped.
	MustacheAmpersand MustacheKind = "ampersand"
	// MustacheSection is {{#name}}: a conditional or a loop.
	MustacheSection MustacheKind = "section"
	// MustacheInverted is {{^name}}: rendered when name is empty or false.
	MustacheInverted MustacheKind = "inverted"
	// MustacheClose is {{/name}}: the end of a section.
	MustacheClose MustacheKind = "close"
	// MustachePartial is {{>name}}: another template included.
	MustachePartial MustacheKind = "partial"
	// MustacheComment is {{!text}}.
	MustacheComment MustacheKind = "comment"
	// MustacheDelimiter is {{=<% %>=}}: a change of delimiters.
	MustacheDelimiter MustacheKind = "delimiter"
)

// MustacheTag is one mustache tag in a template.
type MustacheTag struct {
	// Offset is the byte offset of the opening "{{" in the template.
	Offset int
	// Text is the whole tag as written ("{{{case.title}}}").
	Text string
	// Kind is the kind of tag.
	Kind MustacheKind
	// Name is the variable (or section, partial) name, trimmed; the text
	// of a comment or delimiter tag.
	Name string
}

// IsValue reports whether the tag inserts a value (triple, double or
// ampersand), which a $variable can replace.
func (t MustacheTag) IsValue() bool {
	return t.Kind == MustacheTriple || t.Kind == MustacheDouble || t.Kind == MustacheAmpersand
}

// mustacheVariables maps the variables of Kibana's "Webhook - Case
// Management" connector (the variable selector of its create, update and
// comment objects and of its URLs) to the $variables that carry the same
// value.
var mustacheVariables = map[string]string{
	"case.id":               vars.CaseID,
	"case.title":            vars.CaseName,
	"case.description":      vars.Description,
	"case.tags":             vars.Tags,
	"case.severity":         vars.Severity,
	"case.status":           vars.Status,
	"case.comment":          vars.NoteText,
	"external.system.id":    vars.TicketID,
	"external.system.title": vars.TicketKey,
}

// MustacheVariable returns the $variable (without "$") that replaces the
// mustache variable name of Kibana's Webhook - Case Management connector
// ("case.title" → "case_name", "external.system.id" → "ticket_id"), and
// whether there is one. The match ignores case (mustache itself does not:
// see [MustacheVariableExact]).
func MustacheVariable(name string) (string, bool) {
	v, ok := mustacheVariables[strings.ToLower(strings.TrimSpace(name))]
	return v, ok
}

// MustacheVariableExact reports whether name is spelled exactly as Kibana
// defines it. Mustache names are case-sensitive, so Kibana renders a
// misspelled "{{{external.system.ID}}}" as an empty string.
func MustacheVariableExact(name string) bool {
	_, ok := mustacheVariables[strings.TrimSpace(name)]
	return ok
}

// maxMustacheTag bounds how far a closing "}}" is looked for.
const maxMustacheTag = 200

// FindMustache returns the mustache tags of src in order. Only tags that
// look like mustache are returned: a value, section, inverted, close or
// partial tag whose name is letters, digits, '_', '-' and '.'; a comment;
// a delimiter change. JSON such as {"a":{"b":1}} has none.
func FindMustache(src string) []MustacheTag {
	var out []MustacheTag
	for i := 0; i+1 < len(src); {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			break
		}
		start := i + j
		tag, ok := mustacheAt(src, start)
		if !ok {
			i = start + 1
			continue
		}
		out = append(out, tag)
		i = start + len(tag.Text)
	}
	return out
}

func mustacheAt(src string, start int) (MustacheTag, bool) {
	rest := src[start:]
	if len(rest) > maxMustacheTag+6 {
		rest = rest[:maxMustacheTag+6]
	}
	if strings.HasPrefix(rest, "{{{") {
		end := strings.Index(rest[3:], "}}}")
		if end < 0 {
			return MustacheTag{}, false
		}
		name := strings.TrimSpace(rest[3 : 3+end])
		if !mustacheName(name) {
			return MustacheTag{}, false
		}
		return MustacheTag{Offset: start, Text: rest[:3+end+3], Kind: MustacheTriple, Name: name}, true
	}
	end := strings.Index(rest[2:], "}}")
	if end < 0 {
		return MustacheTag{}, false
	}
	inner := strings.TrimSpace(rest[2 : 2+end])
	text := rest[:2+end+2]
	if inner == "" {
		return MustacheTag{}, false
	}
	kind := MustacheDouble
	switch inner[0] {
	case '#':
		kind = MustacheSection
	case '^':
		kind = MustacheInverted
	case '/':
		kind = MustacheClose
	case '>':
		kind = MustachePartial
	case '&':
		kind = MustacheAmpersand
	case '!':
		return MustacheTag{Offset: start, Text: text, Kind: MustacheComment, Name: strings.TrimSpace(inner[1:])}, true
	case '=':
		if strings.HasSuffix(inner, "=") && len(inner) > 2 {
			return MustacheTag{Offset: start, Text: text, Kind: MustacheDelimiter, Name: strings.TrimSpace(inner[1 : len(inner)-1])}, true
		}
		return MustacheTag{}, false
	}
	name := inner
	if kind != MustacheDouble {
		name = strings.TrimSpace(inner[1:])
	}
	if !mustacheName(name) {
		return MustacheTag{}, false
	}
	return MustacheTag{Offset: start, Text: text, Kind: kind, Name: name}, true
}

// mustacheName accepts a mustache variable name: letters, digits, '_', '-'
// and '.', or "." alone (the current item).
func mustacheName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

// mustacheMessage is the validation message for a mustache tag found in a
// template: what to write instead.
func mustacheMessage(t MustacheTag) string {
	text := clip.Bytes(t.Text, 60)
	switch t.Kind {
	case MustacheTriple, MustacheDouble, MustacheAmpersand:
		if v, ok := MustacheVariable(t.Name); ok {
			return fmt.Sprintf("mustache template %s at offset %d is not supported: write $%s instead (its value is escaped for where it lands, so no quotes or escaping of your own)", text, t.Offset, v)
		}
		return fmt.Sprintf("mustache template %s at offset %d is not supported: write a $variable instead (see the variable table)", text, t.Offset)
	case MustacheSection, MustacheInverted, MustacheClose:
		return fmt.Sprintf("mustache section %s at offset %d is not supported: templates have no conditionals or loops (a list such as $tags renders whole)", text, t.Offset)
	case MustachePartial:
		return fmt.Sprintf("mustache partial %s at offset %d is not supported: write the text in place", text, t.Offset)
	case MustacheDelimiter:
		return fmt.Sprintf("mustache delimiter change %s at offset %d is not supported", text, t.Offset)
	}
	return fmt.Sprintf("mustache comment %s at offset %d is not supported: remove it", text, t.Offset)
}
