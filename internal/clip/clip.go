// Package clip shortens text for messages and records without splitting a
// UTF-8 sequence.
package clip

import "unicode/utf8"

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
