package kibana

import (
	"strings"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/vars"
)

// place is where a converted template is used.
type place int

const (
	placeURL place = iota
	placeJSON
	placeHeader
)

// template reads config key k and converts it (see convertTemplate).
func (im *importer) template(k, field string, pl place) string {
	return im.convertTemplate("config."+k, field, im.str(k), pl)
}

// convertTemplate rewrites a Kibana mustache template as a $variable
// template: literal "$" doubled, each value tag of a known variable
// replaced by its $variable, everything else reported (and, when it has no
// equivalent, left as written so validation points at it).
func (im *importer) convertTemplate(key, field, src string, pl place) string {
	if src == "" {
		return ""
	}
	tags := httpconn.FindMustache(src)
	inString := jsonStringAt(src, tags)
	var b strings.Builder
	last := 0
	for i, tg := range tags {
		b.WriteString(strings.ReplaceAll(src[last:tg.Offset], "$", "$$"))
		last = tg.Offset + len(tg.Text)
		text := clip.Bytes(tg.Text, 60)
		switch {
		case tg.Kind == httpconn.MustacheComment:
			im.rep.add(KindDropped, key, field, "mustache comment %s left out", text)
			continue
		case !tg.IsValue():
			im.rep.add(KindNotConverted, key, field, "mustache %s %s has no equivalent (templates have no sections, inverted sections or partials): rewrite this template", tg.Kind, text)
			b.WriteString(tg.Text)
			continue
		}
		v, ok := httpconn.MustacheVariable(tg.Name)
		if !ok {
			im.rep.add(KindNotConverted, key, field, "%s is not a variable of the Webhook - Case Management connector: replace it with a $variable", text)
			b.WriteString(tg.Text)
			continue
		}
		if !httpconn.MustacheVariableExact(tg.Name) {
			im.rep.add(KindChanged, key, field, "%s: mustache names are case-sensitive, so Kibana rendered this as an empty string; imported as $%s", text, v)
		}
		if tg.Kind == httpconn.MustacheDouble {
			im.rep.add(KindEscapingFix, key, field, "%s: double braces HTML-escape the value in mustache (& → &amp;); $%s is escaped for where it lands instead", text, v)
		}
		if pl == placeJSON && inString[i] {
			im.rep.add(KindEscapingFix, key, field, "%s sits inside a JSON string, where Kibana inserts the value without escaping it for the string (a quote or line break in it breaks the JSON); $%s is escaped for the string", text, v)
		}
		if v == vars.Status {
			im.rep.add(KindChanged, key, field, "%s: Kibana's statuses are open, in-progress and closed; $status is open, in_progress, on_hold, resolved or closed", text)
		}
		// ${name} when a name byte follows, so "$ticket_id" cannot run on
		// into the text after it.
		after := src[last:]
		if after != "" && (isNameByte(after[0]) || after[0] == '.' && len(after) > 1 && isNameByte(after[1])) {
			b.WriteString("${" + v + "}")
		} else {
			b.WriteString("$" + v)
		}
	}
	b.WriteString(strings.ReplaceAll(src[last:], "$", "$$"))
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// jsonStringAt reports, for each tag, whether it sits inside a JSON string
// literal of src (tags themselves are skipped as opaque values).
func jsonStringAt(src string, tags []httpconn.MustacheTag) []bool {
	out := make([]bool, len(tags))
	in := false
	next := 0
	for i := 0; i < len(src); i++ {
		if next < len(tags) && i == tags[next].Offset {
			out[next] = in
			i += len(tags[next].Text) - 1
			next++
			continue
		}
		switch src[i] {
		case '\\':
			if in {
				i++
			}
		case '"':
			in = !in
		}
	}
	return out
}
