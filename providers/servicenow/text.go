package servicenow

import (
	"github.com/itsmsync/itsmsync/internal/clip"
	"strings"
	"unicode"
)

// Field limits of the incident table's default dictionary (ServiceNow
// counts characters as Java does: UTF-16 code units). Longer values are not
// refused by the Table API, they are cut silently at the limit, which would
// drop the link back to the case: the preset fits them itself.
const (
	// ShortDescriptionLimit is incident.short_description's max length.
	ShortDescriptionLimit = 160
	// DescriptionLimit is incident.description's max length.
	DescriptionLimit = 4000
	// CutMarker ends a shortened short description.
	CutMarker = "…"
	// TextCutMarker ends a shortened description, before the case link.
	TextCutMarker = "[… shortened: the full text is in the SIEM case]"
	// CaseLinkLabel starts the description's last line, before the case URL.
	CaseLinkLabel = "SIEM case: "
)

// clean makes text valid UTF-8 with "\n" line breaks and no control
// characters other than tab and line break.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// ShortDescription is the case title on one line (line breaks, control
// characters and runs of white space become one space), cut with
// [CutMarker] to [ShortDescriptionLimit]. A blank title becomes
// "Case <id>".
func ShortDescription(title, caseID string) string {
	t := strings.Join(strings.FieldsFunc(strings.ToValidUTF8(title, "\uFFFD"), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if t == "" {
		t = strings.TrimSpace("Case " + strings.Join(strings.Fields(caseID), " "))
	}
	if clip.UTF16Len(t) <= ShortDescriptionLimit {
		return t
	}
	return strings.TrimRightFunc(clip.UTF16Prefix(t, ShortDescriptionLimit-clip.UTF16Len(CutMarker)), unicode.IsSpace) + CutMarker
}

// DescriptionText is the description, then a blank line and
// "SIEM case: <url>" when caseURL is set, within [DescriptionLimit]: a
// longer description is cut and ends with [TextCutMarker], the link kept.
func DescriptionText(text, caseURL string) string {
	text = strings.TrimSpace(clean(text))
	caseURL = strings.TrimSpace(clean(caseURL))
	join := func(t string, cut bool) string {
		var parts []string
		if t != "" {
			parts = append(parts, t)
		}
		if cut {
			parts = append(parts, TextCutMarker)
		}
		if caseURL != "" {
			parts = append(parts, CaseLinkLabel+caseURL)
		}
		return strings.Join(parts, "\n\n")
	}
	if out := join(text, false); clip.UTF16Len(out) <= DescriptionLimit {
		return out
	}
	room := DescriptionLimit - (clip.UTF16Len(join("x", true)) - 1)
	if room <= 0 {
		return clip.UTF16Prefix(join("", true), DescriptionLimit)
	}
	return join(strings.TrimRightFunc(clip.UTF16Prefix(text, room), unicode.IsSpace), true)
}
