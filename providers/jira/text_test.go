package jira_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummaryText(t *testing.T) {
	t.Parallel()
	room := jira.SummaryLimit - len(jira.SummaryPrefix)
	tests := []struct {
		name, title, want string
	}{
		{"plain", "Brute force on vpn-gw-01", "Brute force on vpn-gw-01"},
		{"line breaks and tabs become one space", "a\r\nb\n\n\tc\u2028d", "a b c d"},
		{"control characters", "a\x00b\x1b[31mc", "a b [31mc"},
		{"trimmed", "  x  ", "x"},
		{"blank falls back to the case id", " \n\t ", "Case CASE-9"},
		{"invalid utf-8", "bad\xffbyte", "bad\uFFFDbyte"},
		{"exactly fits", strings.Repeat("x", room), strings.Repeat("x", room)},
		{"one over is cut with the marker", strings.Repeat("x", room+1), strings.Repeat("x", room-1) + jira.CutMarker},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, jira.SummaryText(tc.title, "CASE-9"))
		})
	}
	for name, title := range map[string]string{
		"300 multi-line":            strings.Repeat("Suspicious login\nfrom 203.0.113.7 ", 10),
		"emoji count twice in Java": strings.Repeat("🔥", 200),
		"mixed":                     strings.Repeat("é😀\n", 200),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := jira.SummaryPrefix + jira.SummaryText(title, "C")
			assert.LessOrEqual(t, javaLen(s), jira.SummaryLimit)
			assert.NotContains(t, s, "\n")
			assert.True(t, utf8.ValidString(s))
			assert.True(t, strings.HasSuffix(s, jira.CutMarker))
		})
	}
}

// wikiUnescape undoes WikiEscape, to prove it loses nothing.
func wikiUnescape(s string) string {
	s = regexp.MustCompile(`\\(.)`).ReplaceAllString(s, "$1")
	return strings.NewReplacer("&#92;", `\`, "&#46;", ".", "&amp;", "&").Replace(s)
}

func TestWikiEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain words, digits 42 and dots.", "plain words, digits 42 and dots."},
		{"[~admin]", `\[\~admin\]`},
		{"{code}rm -rf{code}", `\{code\}rm \-rf\{code\}`},
		{"[x|http://evil.example]", `\[x\|http://evil.example\]`},
		{"*bold* _it_ +u+ ^s^ ~b~ ??c??", `\*bold\* \_it\_ \+u\+ \^s\^ \~b\~ \?\?c\?\?`},
		{"h1. Title\nbq. quote\n  h3. x", "h1&#46; Title\nbq&#46; quote\n  h3&#46; x"},
		{"# one\n* two\n||a||b||", "\\# one\n\\* two\n\\|\\|a\\|\\|b\\|\\|"},
		{"!image.png! (y) (!) :) :P ;D", `\!image.png\! \(y\) \(\!\) :\) :\P ;\D`},
		{`back\slash \\ line`, `back&#92;slash &#92;&#92; line`},
		{"&copy; &#169;", `&amp;copy; &amp;\#169;`},
		{"---- --", `\-\-\-\- \-\-`},
	}
	for _, tc := range tests {
		got := jira.WikiEscape(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Equal(t, tc.in, wikiUnescape(got), "round trip of %q", tc.in)
	}
}

func FuzzWikiEscape(f *testing.F) {
	for _, s := range []string{"", "[~admin]", "h1. x", `\\`, "&amp;", ":P", "{code}"} {
		f.Add(s)
	}
	special := regexp.MustCompile(`(^|[^\\])[*_+^~?{}\[\]|!#()-]`)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		got := jira.WikiEscape(s)
		require.Equal(t, s, wikiUnescape(got))
		// Every markup character is escaped: none follows a non-backslash.
		stripped := strings.NewReplacer("&#92;", "", "&#46;", "", "&amp;", "").Replace(got)
		require.False(t, special.MatchString(regexp.MustCompile(`\\.`).ReplaceAllString(stripped, "")), "unescaped markup in %q", got)
	})
}

func TestDescriptionAndNoteWiki(t *testing.T) {
	t.Parallel()
	const u = "https://siem.example.com/cases/1?a=b|c]"
	d := jira.DescriptionWiki("[~admin] says hi", u)
	assert.Equal(t, `\[\~admin\] says hi`+"\n\n[SIEM case|https://siem.example.com/cases/1?a=b%7Cc%5D]", d)
	assert.Equal(t, "", jira.DescriptionWiki(" \n ", ""))
	assert.Equal(t, `\{code\}`, jira.NoteWiki("{code}", u), "a note that fits carries no link")
	assert.Contains(t, jira.DescriptionWiki("x", "javascript:alert(1)"), "SIEM case: javascript:alert\\(1\\)", "a non-http link is text")

	for name, text := range map[string]string{
		"40k": strings.Repeat("x", 40000), "40k markup": strings.Repeat("{", 40000), "40k emoji": strings.Repeat("😀", 20000),
		"40k backslashes": strings.Repeat(`\`, 40000),
	} {
		for _, got := range []string{jira.DescriptionWiki(text, u), jira.NoteWiki(text, u)} {
			assert.LessOrEqual(t, javaLen(got), jira.TextLimit, name)
			assert.Greater(t, javaLen(got), jira.TextLimit-2000, "%s: the cut keeps most of the budget", name)
			assert.Contains(t, got, jira.WikiEscape(jira.TextCutMarker), name)
			assert.Contains(t, got, "[SIEM case|", name)
			assert.True(t, utf8.ValidString(got))
		}
	}
}
