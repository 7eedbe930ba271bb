package template

import (
	"github.com/tidwall/gjson"
)

// jsonSamples are the values tried in every JSON value slot at parse time:
// one of each kind, so a slot is accepted only where any value fits.
var jsonSamples = []Value{
	String("s\"\\\n"),
	Strings([]string{"a", "b"}),
	Int(-1),
	Float(0.5),
	Bool(true),
	Null(),
	Raw(`{"r":[1]}`),
}

// checkJSONTemplate renders the template once per sample kind and checks
// the result is valid JSON, so a template that is not JSON with variables
// in place is refused at parse time with the offset in the template.
func (t *Template) checkJSONTemplate(toks []token) error {
	type span struct{ out, src int }
	var (
		buf   []byte
		spans []span // where each token starts in buf and in the template
	)
	for _, sample := range jsonSamples {
		buf, spans = buf[:0], spans[:0]
		for _, tk := range toks {
			spans = append(spans, span{out: len(buf), src: tk.off})
			if !tk.isVar {
				buf = append(buf, tk.lit...)
				continue
			}
			v := sample
			if tk.mode == modeJSONString {
				v = String("s\"\\\n\x01<é>")
			}
			if tk.fs != nil {
				v = applyFilters(v, tk.fs)
			}
			buf, _ = appendValue(buf, v, tk.mode)
		}
		if gjson.ValidBytes(buf) {
			continue
		}
		off := invalidJSONOffset(buf)
		src := len(t.src)
		if off >= 0 && off < len(buf) {
			for k := len(spans) - 1; k >= 0; k-- {
				if spans[k].out <= off {
					src = spans[k].src
					if !toks[k].isVar {
						src += off - spans[k].out
					}
					break
				}
			}
		}
		e := &Error{Template: t.opts.Name, Offset: src, Err: ErrInvalidJSON,
			Detail: "the template is not valid json with values in place"}
		for k := len(toks) - 1; k >= 0; k-- {
			if toks[k].isVar && toks[k].off == src {
				e.Variable = toks[k].name
				e.Detail = "a " + kindName(sample.kind) + " value here does not make valid json"
				break
			}
		}
		return e
	}
	t.checkJSON = true
	return nil
}

func kindName(k Kind) string {
	switch k {
	case KindString:
		return "string"
	case KindStrings:
		return "list"
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindRaw:
		return "raw json"
	}
	return "null"
}

// invalidJSONOffset returns the byte offset of the first error in b, len(b)
// for a document that ends too early, or -1 if b is valid JSON. It accepts
// what gjson.Valid accepts and is used only to locate an error.
func invalidJSONOffset(b []byte) int {
	s := jsonScanner{b: b}
	s.space()
	if !s.value(0) {
		return s.i
	}
	s.space()
	if s.i != len(b) {
		return s.i
	}
	return -1
}

type jsonScanner struct {
	b []byte
	i int
}

const maxJSONDepth = 10000

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) lit(word string) bool {
	for k := 0; k < len(word); k++ {
		if s.i >= len(s.b) || s.b[s.i] != word[k] {
			return false
		}
		s.i++
	}
	return true
}

func (s *jsonScanner) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxJSONDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		s.i++
		s.space()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return true
		}
		for {
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != '"' || !s.str() {
				return false
			}
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return false
			}
			s.i++
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case ',':
				s.i++
			case '}':
				s.i++
				return true
			default:
				return false
			}
		}
	case c == '[':
		s.i++
		s.space()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return true
		}
		for {
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	case c == '"':
		return s.str()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return false
}

func (s *jsonScanner) str() bool {
	s.i++ // opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for k := 0; k < 4; k++ {
					if s.i >= len(s.b) || !isHex(s.b[s.i]) {
						return false
					}
					s.i++
				}
			default:
				return false
			}
		default:
			s.i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

func (s *jsonScanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return false
	}
	if s.b[s.i] == '0' {
		s.i++
	} else if !s.digits() {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}
