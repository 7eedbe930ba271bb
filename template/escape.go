package template

import (
	"math/bits"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Details of ErrUnsafeValue. They describe the problem, never the value.
const (
	detailHeader   = "a header value cannot contain CR, LF, NUL or another control character (only HTAB is allowed)"
	detailHost     = "a value before the url path may hold only letters, digits, '.', '-' and ':'"
	detailDots     = "a value in a url cannot be made only of dots: it would be a dot segment that walks the path"
	detailRawJSON  = "raw json value is not valid json"
	listSeparator  = ", "
	hexDigitsUpper = "0123456789ABCDEF"
)

// appendValue appends v escaped for m. A non-empty detail means v cannot be
// placed there; dst is then unspecified past its original length.
func appendValue(dst []byte, v Value, m mode) ([]byte, string) {
	switch m {
	case modeJSONString:
		if v.kind == KindStrings {
			for i, it := range v.list {
				if i > 0 {
					dst = append(dst, listSeparator...)
				}
				dst = appendJSONEscaped(dst, it)
			}
			return dst, ""
		}
		return appendJSONEscaped(dst, v.s), ""
	case modeJSONValue:
		return appendJSONValue(dst, v)
	case modeQuery:
		if v.kind == KindStrings {
			for i, it := range v.list {
				if i > 0 {
					dst = append(dst, "%2C+"...)
				}
				dst = appendQueryEscaped(dst, it)
			}
			return dst, ""
		}
		return appendQueryEscaped(dst, v.s), ""
	case modeURLPath:
		if v.kind == KindStrings {
			if len(v.list) == 1 && allDots(v.list[0]) {
				return dst, detailDots
			}
			for i, it := range v.list {
				if i > 0 {
					dst = append(dst, "%2C%20"...)
				}
				dst = appendPathEscaped(dst, it)
			}
			return dst, ""
		}
		if allDots(v.s) {
			return dst, detailDots
		}
		return appendPathEscaped(dst, v.s), ""
	case modeURLHost:
		s := v.s
		if v.kind == KindStrings {
			switch len(v.list) {
			case 0:
				return dst, ""
			case 1:
				s = v.list[0]
			default:
				return dst, detailHost // ", " is not a host character
			}
		}
		for i := 0; i < len(s); i++ {
			if !hostByte[s[i]] {
				return dst, detailHost
			}
		}
		if allDots(s) {
			return dst, detailDots // "$x/admin" with x = ".." would walk up
		}
		return append(dst, s...), ""
	case modeHeader:
		if v.kind == KindStrings {
			for _, it := range v.list {
				if !headerSafe(it) {
					return dst, detailHeader
				}
			}
		} else if !headerSafe(v.s) {
			return dst, detailHeader
		}
	}
	// modeText and modeHeader.
	if v.kind == KindStrings {
		for i, it := range v.list {
			if i > 0 {
				dst = append(dst, listSeparator...)
			}
			dst = append(dst, it...)
		}
		return dst, ""
	}
	return append(dst, v.s...), ""
}

// appendJSONValue appends v as one whole JSON value.
func appendJSONValue(dst []byte, v Value) ([]byte, string) {
	switch v.kind {
	case KindString:
		dst = append(dst, '"')
		dst = appendJSONEscaped(dst, v.s)
		return append(dst, '"'), ""
	case KindStrings:
		dst = append(dst, '[')
		for i, it := range v.list {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = appendJSONEscaped(dst, it)
			dst = append(dst, '"')
		}
		return append(dst, ']'), ""
	case KindNumber:
		if !jsonNumber(v.s) { // NaN and infinities
			return append(dst, "null"...), ""
		}
		return append(dst, v.s...), ""
	case KindBool:
		return append(dst, v.s...), ""
	case KindRaw:
		if !gjson.Valid(v.s) {
			return dst, detailRawJSON
		}
		return append(dst, v.s...), ""
	}
	return append(dst, "null"...), ""
}

// jsonNumber reports whether a number value's text is a JSON number: the
// constructors only make decimal numbers, "NaN", "+Inf" and "-Inf".
func jsonNumber(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if c == '-' && len(s) > 1 {
		c = s[1]
	}
	return c >= '0' && c <= '9'
}

func allDots(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' {
			return false
		}
	}
	return true
}

// headerSafe reports whether s may be sent in a header field value (RFC
// 9110 section 5.5): no control character but HTAB. Bytes from 0x80 up
// (obs-text, UTF-8) are allowed.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

var (
	// jsonSafe marks ASCII bytes copied as they are inside a JSON string.
	jsonSafe [utf8.RuneSelf]bool
	// unreserved marks RFC 3986 unreserved bytes, never percent-escaped.
	unreserved [256]bool
	// hostByte marks the bytes allowed in a value before the URL path.
	hostByte [256]bool
)

func init() {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		jsonSafe[c] = c != '"' && c != '\\'
	}
	for c := 0; c < 256; c++ {
		b := byte(c)
		unreserved[c] = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
			b == '-' || b == '.' || b == '_' || b == '~'
		hostByte[c] = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
			b == '-' || b == '.' || b == ':'
	}
}

// appendJSONEscaped appends s JSON-escaped, without quotes. The result is
// valid inside a JSON string for any input: quotes, backslashes and control
// characters are escaped, invalid UTF-8 bytes become U+FFFD. '<', '>', '&'
// and U+2028/U+2029 are valid JSON and are kept as they are.
func appendJSONEscaped(dst []byte, s string) []byte {
	start, i := 0, 0
	for i < len(s) {
		if i+8 <= len(s) {
			// Skip 8 bytes at a time while all are printable ASCII other
			// than '"' and '\\' (most of a title or description), else
			// jump to the first byte that needs a look.
			w := s[i : i+8]
			x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			m := workMask(x)
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if !jsonSafe[c] {
				dst = append(dst, s[start:i]...)
				dst = appendEscapedByte(dst, c)
				start = i + 1
			}
			i++
			continue
		}
		if n := utf8SeqLen(s, i); n > 0 {
			i += n // valid UTF-8 is copied as it is
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, "\uFFFD"...)
		i++
		start = i
	}
	return append(dst, s[start:]...)
}

// utf8SeqLen returns the length of the valid UTF-8 sequence starting with
// the non-ASCII byte s[i], or 0 if it is not valid (unicode/utf8 rules:
// no overlong forms, no surrogates, nothing above U+10FFFF).
func utf8SeqLen(s string, i int) int {
	c := s[i]
	cont := func(k int, lo, hi byte) bool { return i+k < len(s) && s[i+k] >= lo && s[i+k] <= hi }
	switch {
	case c >= 0xC2 && c <= 0xDF:
		if cont(1, 0x80, 0xBF) {
			return 2
		}
	case c >= 0xE0 && c <= 0xEF:
		lo, hi := byte(0x80), byte(0xBF)
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
		if cont(1, lo, hi) && cont(2, 0x80, 0xBF) {
			return 3
		}
	case c >= 0xF0 && c <= 0xF4:
		lo, hi := byte(0x80), byte(0xBF)
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
		if cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) {
			return 4
		}
	}
	return 0
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// workMask sets the high bit of each byte of x (little endian) that is a
// control character, '"', '\' or not ASCII, using the classic "has a byte
// less than n" and "has a zero byte" tricks. A borrow can also mark bytes
// above a marked one, never below, so the lowest mark is exact.
func workMask(x uint64) uint64 {
	ctl := (x - ones*0x20) &^ x
	q := x ^ (ones * '"')
	q = (q - ones) &^ q
	b := x ^ (ones * '\\')
	b = (b - ones) &^ b
	return (ctl | q | b | x) & highs
}

func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigitsUpper[c>>4], hexDigitsUpper[c&0xF])
}

// appendQueryEscaped appends s escaped like url.QueryEscape.
func appendQueryEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		if c == ' ' {
			dst = append(dst, '+')
		} else {
			dst = append(dst, '%', hexDigitsUpper[c>>4], hexDigitsUpper[c&0xF])
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// appendPathEscaped appends s as (part of) one path segment: everything but
// the RFC 3986 unreserved bytes is percent-escaped, "/" included.
func appendPathEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', hexDigitsUpper[c>>4], hexDigitsUpper[c&0xF])
		start = i + 1
	}
	return append(dst, s[start:]...)
}
