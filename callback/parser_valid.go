package callback

import (
	"encoding/binary"
	"math/bits"

	"github.com/tidwall/gjson"
)

// MaxJSONDepth is the deepest nesting of objects and arrays [ValidJSON]
// accepts: webhook payloads are a few levels deep, and a bound keeps a
// hostile body from recursing without end.
const MaxJSONDepth = 1000

// ValidJSON reports whether b is one valid JSON value (RFC 8259, surrounding
// whitespace allowed), nested at most [MaxJSONDepth] deep. It accepts what
// encoding/json.Valid accepts (string bytes are not checked for UTF-8
// validity, as there), about twice as fast as gjson.ValidBytes on webhook
// bodies: strings, most of a payload, are skipped eight bytes at a time.
// Parsers run it before reading a body with gjson, which does not validate.
func ValidJSON(b []byte) bool {
	i, ok := validValue(b, skipWS(b, 0), 0)
	return ok && skipWS(b, i) == len(b)
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func validValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return validString(b, i)
	case c == '{':
		return validObject(b, i, depth+1)
	case c == '[':
		return validArray(b, i, depth+1)
	case c == '-' || c >= '0' && c <= '9':
		return validNumber(b, i)
	case c == 't':
		return validLiteral(b, i, "true")
	case c == 'f':
		return validLiteral(b, i, "false")
	case c == 'n':
		return validLiteral(b, i, "null")
	}
	return i, false
}

func validLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// validObject validates the object at b[i]: the path scanner's object walk
// with no path to record.
func validObject(b []byte, i, depth int) (int, bool) {
	s := scanner{b: b}
	return s.object(i, depth, &noPaths)
}

// noPaths is the path tree of a plain validation: nothing to record.
var noPaths = pathNode{idx: -1}

func validArray(b []byte, i, depth int) (int, bool) {
	if depth > MaxJSONDepth {
		return i, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = validValue(b, i, depth); !ok {
			return i, false
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

const (
	lows   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = 0x2222222222222222 // '"'
	slashs = 0x5C5C5C5C5C5C5C5C // '\\'
	spaces = 0x2020202020202020 // ' '
)

// specialMask has the high bit set in the lowest byte of x that is '"',
// '\\' or a control character (< 0x20), and zero when none is: the bytes
// a string scan must stop at. Bits above the lowest may be false positives
// (borrows), so only its lowest set bit is used.
func specialMask(x uint64) uint64 {
	q := x ^ quotes
	s := x ^ slashs
	return ((q-lows)&^q | (s-lows)&^s | (x-spaces)&^x) & highs
}

func validString(b []byte, i int) (int, bool) {
	i++ // opening quote
	for {
		// Eight bytes at a time, straight to the first byte to look at.
		for i+8 <= len(b) {
			if m := specialMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return i, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 {
					return i, false
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		default:
			i++
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func validNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// JSONSpan is where a value lies in a scanned body: body[Start:End] is its
// raw JSON text. The zero value means "not found".
type JSONSpan struct{ Start, End int }

// Found reports whether the span holds a value.
func (s JSONSpan) Found() bool { return s.End > s.Start }

// Within reports whether s lies inside outer (both found).
func (s JSONSpan) Within(outer JSONSpan) bool {
	return s.Found() && outer.Found() && s.Start >= outer.Start && s.End <= outer.End
}

// JSONPaths is a set of member paths that [JSONPaths.Scan] extracts from a
// body while validating it, in one pass: a parser reads the few values it
// needs without a second scan of the body per value. A path is member
// names separated by dots ("issue.fields.status"); array elements are not
// addressed. Build one with [NewJSONPaths] at package initialization; it is
// immutable and safe for concurrent use.
type JSONPaths struct {
	root pathNode
	n    int
}

type pathNode struct {
	key      string
	idx      int // index of the path ending here, -1 when none
	children []*pathNode
}

// NewJSONPaths compiles paths; Scan reports the i-th path's value in
// dst[i]. An empty path, an empty member name (as in "a..b") or a path
// holding a backslash never matches; when a path is given twice, only the
// first one's entry gets the value (the repeat's stays the zero span).
func NewJSONPaths(paths ...string) *JSONPaths {
	p := &JSONPaths{root: pathNode{idx: -1}, n: len(paths)}
	for i, path := range paths {
		n := &p.root
		for part := range splitPath(path) {
			var next *pathNode
			for _, c := range n.children {
				if c.key == part {
					next = c
					break
				}
			}
			if next == nil {
				next = &pathNode{key: part, idx: -1}
				n.children = append(n.children, next)
			}
			n = next
		}
		if n != &p.root && n.idx < 0 {
			n.idx = i
		}
	}
	return p
}

// splitPath yields the dot-separated parts of path; it yields nothing when
// a part is empty or path holds a backslash, so such a path never matches.
func splitPath(path string) func(func(string) bool) {
	return func(yield func(string) bool) {
		if path == "" {
			return
		}
		for i := 0; i < len(path); i++ {
			if path[i] == '\\' || path[i] == '.' && (i == 0 || i == len(path)-1 || path[i+1] == '.') {
				return
			}
		}
		for path != "" {
			i := 0
			for i < len(path) && path[i] != '.' {
				i++
			}
			if !yield(path[:i]) {
				return
			}
			if i == len(path) {
				return
			}
			path = path[i+1:]
		}
	}
}

// Len is the number of paths: Scan needs a dst at least that long.
func (p *JSONPaths) Len() int { return p.n }

// Scan validates b exactly as [ValidJSON] does and, in the same pass, sets
// dst[i] to the span of the value of the i-th path (or the zero span when
// absent). Like gjson.Get on such a path, the first match in document order
// wins: every member named like the path's next part is searched, in order,
// until one holds the rest of the path; members are compared by their
// unescaped names. On invalid JSON it returns false and dst is undefined.
// dst shorter than [JSONPaths.Len] makes Scan return false. Scan does not
// allocate (except for member names written with escapes).
func (p *JSONPaths) Scan(b []byte, dst []JSONSpan) bool {
	if len(dst) < p.n {
		return false
	}
	clear(dst[:p.n])
	s := scanner{b: b, dst: dst}
	i := skipWS(b, 0)
	var ok bool
	if i < len(b) && b[i] == '{' && len(p.root.children) > 0 {
		i, ok = s.object(i, 1, &p.root)
	} else {
		i, ok = validValue(b, i, 0)
	}
	return ok && skipWS(b, i) == len(b)
}

type scanner struct {
	b   []byte
	dst []JSONSpan
}

// object validates the object at b[i] like validObject, recording the
// values of n's paths.
func (s *scanner) object(i, depth int, n *pathNode) (int, bool) {
	b := s.b
	if depth > MaxJSONDepth {
		return i, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		ks := i
		var ok bool
		if i, ok = validString(b, i); !ok {
			return i, false
		}
		child := n.match(b[ks+1 : i-1])
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = skipWS(b, i+1)
		vs := i
		if child != nil && len(child.children) > 0 && i < len(b) && b[i] == '{' {
			i, ok = s.object(i, depth+1, child)
		} else {
			i, ok = validValue(b, i, depth)
		}
		if !ok {
			return i, false
		}
		if child != nil && child.idx >= 0 && !s.dst[child.idx].Found() {
			s.dst[child.idx] = JSONSpan{vs, i}
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// match returns the child named by the raw (still escaped) member name
// key, nil when none.
func (n *pathNode) match(key []byte) *pathNode {
	if len(n.children) == 0 {
		return nil
	}
	for _, c := range n.children {
		if len(c.key) == len(key) && string(key) == c.key {
			return c
		}
	}
	for _, c := range key {
		if c == '\\' {
			return n.matchEscaped(key)
		}
	}
	return nil
}

func (n *pathNode) matchEscaped(key []byte) *pathNode {
	name := unescapeName(key)
	for _, c := range n.children {
		if name == c.key {
			return c
		}
	}
	return nil
}

// unescapeName is the member name key (the text between its quotes, valid
// JSON string content) unescaped as gjson does.
func unescapeName(key []byte) string {
	q := make([]byte, 0, len(key)+2)
	q = append(append(append(q, '"'), key...), '"')
	return gjson.ParseBytes(q).Str
}
