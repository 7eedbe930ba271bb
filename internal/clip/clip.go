// Package clip shortens text for messages and records without splitting a
// UTF-8 sequence.
package clip

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Marker ends a clipped string.
const Marker = "..."

// Bytes returns s when it has at most n bytes; otherwise its longest prefix
// of at most n bytes that ends on a rune boundary, followed by [Marker] (so
// the result may exceed n by len(Marker)). n <= 0 keeps only the marker.
func Bytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n = max(n, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + Marker
}

// UTF16Len is the length of s in UTF-16 code units, as Java-based systems
// (Jira, ServiceNow) count a string's characters; an invalid byte counts as
// one unit (it is sent as U+FFFD).
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// UTF16Prefix returns the longest prefix of s, of whole runes, that is at
// most limit UTF-16 code units long (see [UTF16Len]).
func UTF16Prefix(s string, limit int) string {
	n := 0
	for i, r := range s {
		l := max(utf16.RuneLen(r), 1)
		if n+l > limit {
			return s[:i]
		}
		n += l
	}
	return s
}
