package httpconn

import (
	"errors"
	"slices"
	"strings"

	"github.com/itsmsync/itsmsync/itsm/vars"
	"github.com/itsmsync/itsmsync/template"
)

// unknownVariables returns one message per distinct variable of vars that
// known does not allow, worded as the template package words an unknown
// variable (with its offset in src and a "did you mean").
func unknownVariables(field, src string, vars, known []string) []string {
	var out []string
	for _, name := range vars {
		_, err := template.Parse("$"+name, template.Options{Name: field, Known: known})
		var te *template.Error
		if !errors.As(err, &te) {
			continue
		}
		te.Offset = varOffset(src, name)
		out = append(out, templateMessage(te))
	}
	return out
}

// varOffset returns the byte offset of the first use of $name, ${name} or
// ${name|filters} in src ("$$" is a literal dollar), or -1.
func varOffset(src, name string) int {
	for i := 0; i+1 < len(src); i++ {
		if src[i] != '$' {
			continue
		}
		if src[i+1] == '$' {
			i++
			continue
		}
		rest := src[i+1:]
		if strings.HasPrefix(rest, "{"+name+"}") || strings.HasPrefix(rest, "{"+name+"|") {
			return i
		}
		if strings.HasPrefix(rest, name) {
			after := rest[len(name):]
			// $name must end there: not followed by a name byte or by
			// a dot and a further segment.
			if after == "" || !(isNameByte(after[0]) || (after[0] == '.' && len(after) > 1 && isNameByte(after[1]))) {
				return i
			}
		}
	}
	return -1
}

func isNameByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// usesAny reports whether the endpoint's URL or payload uses one of names.
func (e *endpoint) usesAny(names ...string) bool {
	for _, t := range []*template.Template{e.url, e.payload} {
		if t == nil {
			continue
		}
		for _, v := range t.Variables() {
			if slices.Contains(names, v) {
				return true
			}
		}
	}
	return false
}

// requireTicketRef reports a request on an existing ticket (update, get,
// comment) whose URL and payload never name the ticket: every case would
// then update, read or comment on the same ticket. The ticket is usually
// in the URL ($ticket_id); an API that takes it in the body (a POST with
// {"id": "$ticket_id"}) passes too.
//
// A reference only in the URL's fragment (after "#") does not count: the
// fragment is never sent.
func requireTicketRef(add func(string, string, ...any), field, rawURL string, e endpoint) {
	if e.url == nil {
		return
	}
	inPayload := e.payload != nil && slices.ContainsFunc(e.payload.Variables(), isTicketVar)
	if inPayload {
		return
	}
	if hash := strings.IndexByte(rawURL, '#'); hash >= 0 && slices.ContainsFunc(e.url.Variables(), isTicketVar) {
		if ref := ticketRefOffset(rawURL); ref < 0 || ref > hash {
			add(field, "references the ticket only in the URL fragment (after \"#\"), which is never sent: put $ticket_id in the path or query")
			return
		}
	}
	if !e.usesAny(vars.TicketID, vars.TicketKey) {
		add(field, "must reference the ticket with $ticket_id (or $ticket_key), e.g. \".../issue/$ticket_id\": otherwise every case goes to the same URL")
	}
}

func isTicketVar(name string) bool { return name == vars.TicketID || name == vars.TicketKey }

// ticketRefOffset is the offset of the first $ticket_id or $ticket_key in
// src, or -1.
func ticketRefOffset(src string) int {
	first := -1
	for _, name := range []string{vars.TicketID, vars.TicketKey} {
		if i := varOffset(src, name); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// requireNote reports a comment payload without $note_text: every comment
// would then lack the note it is posted for. A provider-computed variable
// (ExtraVariables, such as Jira's $note_adf, the note as a document) counts
// as carrying the note.
func requireNote(add func(string, string, ...any), field string, e endpoint, extra []string) {
	if e.url == nil || e.payload == nil || e.usesAny(append([]string{vars.NoteText}, extra...)...) {
		return
	}
	add(field, "must carry the note with $note_text (e.g. {\"body\": $note_text})")
}
