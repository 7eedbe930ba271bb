package jira

import (
	"github.com/itsmsync/itsmsync/internal/clip"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Jira's field limits. Jira counts characters as Java does (UTF-16 code
// units), so the preset counts the same way: a character outside the Basic
// Multilingual Plane (an emoji) counts twice.
const (
	// SummaryLimit is the most characters of a summary. Jira answers
	// "Summary can't exceed 255 characters." above it, and "The summary is
	// invalid because it contains newline characters." for a line break.
	SummaryLimit = 255
	// TextLimit is the most characters of a rich-text field (description,
	// comment body) with Jira's default jira.text.field.character.limit:
	// "The entered text is too long. It exceeds the allowed limit of 32,767
	// characters." (JRASERVER-64351, JRACLOUD-59124). On Cloud the preset
	// keeps the whole ADF document (its JSON) within it, which is never
	// shorter than the text Jira may count.
	TextLimit = 32767
	// SummaryPrefix is the literal text the preset's summary template puts
	// before the case title.
	SummaryPrefix = "[SIEM] "
	// CutMarker ends a summary that was shortened.
	CutMarker = "…"
	// TextCutMarker ends a description or comment that was shortened; the
	// link to the case follows it.
	TextCutMarker = "[… shortened to fit Jira's limit: the full text is in the SIEM case]"
	// CaseLinkLabel introduces the link back to the case at the end of a
	// description.
	CaseLinkLabel = "SIEM case: "
)

// OneLine returns s on one line: invalid UTF-8 becomes U+FFFD, every run of
// white space, line breaks and control characters becomes one space, and
// leading and trailing space is removed.
func OneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}), " ")
}

// SummaryText is what the preset puts after [SummaryPrefix] in a summary:
// the case title on one line ([OneLine]), shortened with [CutMarker] so
// that prefix and title fit [SummaryLimit] as Jira counts. A blank title
// becomes "Case <id>" (Jira requires a summary). It is $summary_text in
// templates.
func SummaryText(title, caseID string) string {
	t := OneLine(title)
	if t == "" {
		t = OneLine("Case " + caseID)
	}
	room := SummaryLimit - clip.UTF16Len(SummaryPrefix)
	if clip.UTF16Len(t) <= room {
		return t
	}
	return strings.TrimRightFunc(clip.UTF16Prefix(t, room-clip.UTF16Len(CutMarker)), unicode.IsSpace) + CutMarker
}

// cleanText normalizes rich text: valid UTF-8, "\n" line breaks, no control
// characters other than tab and line break (Jira refuses some of them).
func cleanText(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, text)
}

// linkable reports whether u may be written as a link: an absolute http or
// https URL.
func linkable(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" && !hasControl(u) && !strings.ContainsAny(u, " \t\n")
}

// fitText returns render(text, false) when it fits limit (UTF-16 units),
// else render of the longest prefix of text (whole runes, trailing space
// dropped) with cut set (render adds the marker) that fits, found by binary
// search: renderings only grow text, so the prefix is at most limit units.
// When not even the marker alone fits, the result is render("", true).
func fitText(text string, limit int, render func(text string, cut bool) string) string {
	if out := render(text, false); clip.UTF16Len(out) <= limit {
		return out
	}
	best := render("", true)
	lo, hi := 1, min(clip.UTF16Len(text), limit)
	for lo <= hi {
		mid := lo + (hi-lo)/2
		out := render(strings.TrimRightFunc(clip.UTF16Prefix(text, mid), unicode.IsSpace), true)
		if clip.UTF16Len(out) <= limit {
			best, lo = out, mid+1
		} else {
			hi = mid - 1
		}
	}
	return best
}

// wikiSpecial are the characters of Jira's wiki markup (the "Text
// Formatting Notation" of Jira Server and Data Center) that start or end
// an effect: *bold*, _italic_, -strike-, +under+, ^sup^, ~sub~ and
// [~mention], ??cite??, {code}/{noformat}/{color}/{{mono}}, [links|x],
// |tables|, !images!, # lists, (emoticons) :) ;) — and ":" or ";" before
// P or D (the :P and :D emoticons). Atlassian's notation
// help documents "\X: escape special character X"; the preset escapes
// each of them, always, so that no text can start an effect.
const wikiSpecial = `*_-+^~?{}[]|!#()`

var wikiLineStart = regexp.MustCompile(`(?m)^[ \t]*(?:h[1-6]|bq)(\.)`)

// WikiEscape returns text that Jira's wiki renderer (REST API v2, Data
// Center and Server) shows literally: each markup character (see
// wikiSpecial) is preceded by a backslash, a backslash itself is written as
// the entity &#92; (a doubled backslash is a forced line break in wiki
// markup), an "&" as &amp; (so entities in the text stay text), and the
// dot of a line-leading "h1." to "h6." or "bq." as &#46;. Line breaks are
// kept. The result of plain words is unchanged.
func WikiEscape(text string) string {
	out, _ := wikiEscapeN(text, -1)
	return out
}

// wikiEscapeN escapes text (see [WikiEscape]) up to the last whole rune
// whose escaped form keeps the output within budget UTF-16 units (no limit
// when budget < 0), and reports whether all of text fitted.
func wikiEscapeN(text string, budget int) (string, bool) {
	dots := map[int]bool{}
	for _, m := range wikiLineStart.FindAllStringSubmatchIndex(text, -1) {
		dots[m[2]] = true
	}
	var b strings.Builder
	b.Grow(len(text) + len(text)/8)
	units := 0
	prev := rune(0)
	for i, r := range text {
		var piece string
		switch {
		case r == '\\':
			piece = "&#92;"
		case r == '&':
			piece = "&amp;"
		case r == '.' && dots[i]:
			piece = "&#46;"
		case strings.ContainsRune(wikiSpecial, r),
			(prev == ':' || prev == ';') && strings.ContainsRune("PpDd", r):
			piece = "\\" + string(r)
		default:
			piece = string(r)
		}
		prev = r
		n := clip.UTF16Len(piece)
		if budget >= 0 && units+n > budget {
			return b.String(), false
		}
		units += n
		b.WriteString(piece)
	}
	return b.String(), true
}

// fitWiki escapes text and joins it with the parts head and tail give:
// the whole text when the result fits [TextLimit], else the longest
// escaped prefix (trailing space dropped) that fits with the cut parts.
func fitWiki(text string, join func(escaped string, cut bool) string) string {
	full := join(WikiEscape(text), false)
	if clip.UTF16Len(full) <= TextLimit {
		return full
	}
	room := TextLimit - (clip.UTF16Len(join("x", true)) - 1) // the parts around a non-empty text
	if room <= 0 {
		return join("", true)
	}
	esc, _ := wikiEscapeN(text, room)
	return join(strings.TrimRightFunc(esc, unicode.IsSpace), true)
}

// wikiLink writes a wiki-markup link to u, with label escaped, or the URL
// as escaped text when it is not an http(s) URL.
func wikiLink(label, u string) string {
	if !linkable(u) {
		return WikiEscape(label + u)
	}
	r := strings.NewReplacer("|", "%7C", "]", "%5D", "[", "%5B", "{", "%7B", "}", "%7D")
	return "[" + WikiEscape(strings.TrimSuffix(strings.TrimSpace(label), ":")) + "|" + r.Replace(u) + "]"
}

// DescriptionWiki is the Data Center (REST v2) description: the case
// description with markup escaped ([WikiEscape]), shortened with
// [TextCutMarker] to fit [TextLimit], and a last paragraph linking to the
// case ([CaseLinkLabel]) when caseURL is set. It is $description_wiki in
// templates; "" when both are blank.
func DescriptionWiki(text, caseURL string) string {
	text = strings.TrimSpace(cleanText(text))
	caseURL = strings.TrimSpace(caseURL)
	return fitWiki(text, func(esc string, cut bool) string {
		var parts []string
		if esc != "" {
			parts = append(parts, esc)
		}
		if cut {
			parts = append(parts, WikiEscape(TextCutMarker))
		}
		if caseURL != "" {
			parts = append(parts, wikiLink(CaseLinkLabel, caseURL))
		}
		return strings.Join(parts, "\n\n")
	})
}

// NoteWiki is the Data Center (REST v2) comment body: the note with markup
// escaped, shortened with [TextCutMarker] and the case link to fit
// [TextLimit]. It is $note_wiki in templates.
func NoteWiki(text, caseURL string) string {
	text = strings.TrimSpace(cleanText(text))
	caseURL = strings.TrimSpace(caseURL)
	return fitWiki(text, func(esc string, cut bool) string {
		if !cut {
			return esc
		}
		out := esc + "\n\n" + WikiEscape(TextCutMarker)
		if caseURL != "" {
			out += "\n" + wikiLink(CaseLinkLabel, caseURL)
		}
		return out
	})
}
