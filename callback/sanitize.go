package callback

import (
	"strings"
	"unicode"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/internal/redact"
)

// maxErrorText caps the error text of an audit event or a log line.
const maxErrorText = 256

// minOpaqueRun is the length from which a run of base64/hex characters
// mixing letters and digits is taken for a key, a hash or a token.
const minOpaqueRun = 32

// safeErrorText is the text of err — typically wrapping a host component's
// error (the InboundStore, the CaseUpdater, the TokenStore), whose text this
// package does not control — in the form it may take in an audit event or a
// log line: credential-looking values redacted (URL passwords,
// Authorization values, "password=...", "token=..."), opaque runs of 32 or
// more base64/hex characters (keys, token hashes, tokens) redacted, control
// characters and invalid UTF-8 replaced (no forged log lines, no terminal
// escapes), and clipped to 256 bytes. What remains is the error's words:
// enough to tell a refused connection from a timeout.
func safeErrorText(err error) string {
	if err == nil {
		return ""
	}
	return sanitizeText(err.Error())
}

func sanitizeText(s string) string {
	// Clip generously first so the regexps below see bounded input.
	s = clip.Bytes(s, 4*maxErrorText)
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || unicode.IsControl(r) || r == 0x2028 || r == 0x2029 ||
			unicode.Is(unicode.Cf, r) { // bidi overrides and other invisible format runes
			return ' '
		}
		return r
	}, s)
	s = redact.Credentials(s)
	s = redactOpaqueRuns(s)
	return clip.Bytes(s, maxErrorText)
}

func opaqueByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '+' || c == '/' || c == '=' || c == '_' || c == '-'
}

// redactOpaqueRuns replaces each run of at least minOpaqueRun base64/hex
// characters holding both a letter and a digit with redact.Marker.
func redactOpaqueRuns(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !opaqueByte(s[i]) {
			i++
			continue
		}
		j, letter, digit := i, false, false
		for j < len(s) && opaqueByte(s[j]) {
			c := s[j]
			letter = letter || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			digit = digit || '0' <= c && c <= '9'
			j++
		}
		if j-i >= minOpaqueRun && letter && digit {
			b.WriteString(s[last:i])
			b.WriteString(redact.Marker)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
