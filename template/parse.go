package template

import (
	"strings"
)

// token is a piece of a template: literal text or one variable.
type token struct {
	lit   string // literal text (a substring of the template); "" for a variable
	name  string // variable name; "" for literal text
	off   int    // byte offset in the template
	isVar bool
	mode  mode     // for variables, set by build
	fs    []filter // for "${name|...}", in order
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameByte(c byte) bool {
	return isNameStart(c) || (c >= '0' && c <= '9')
}

// scanName returns the length of the name at the start of s: segments of
// [A-Za-z_][A-Za-z0-9_]* joined by single dots. A dot not followed by a
// name start is not part of the name ("$case_name." ends before the dot).
func scanName(s string) int {
	if s == "" || !isNameStart(s[0]) {
		return 0
	}
	i := 1
	for {
		for i < len(s) && isNameByte(s[i]) {
			i++
		}
		if i+1 < len(s) && s[i] == '.' && isNameStart(s[i+1]) {
			i += 2
			continue
		}
		return i
	}
}

// validName reports whether s is exactly one variable name.
func validName(s string) bool { return s != "" && scanName(s) == len(s) }

// tokenize splits src into literal and variable tokens. "$$" becomes a
// literal "$"; a "$" not followed by a name start or "{" stays as it is;
// "${name|f1|f2:arg}" is a variable with its filters (the first "}" ends it).
func tokenize(src, tplName string) ([]token, error) {
	var toks []token
	litStart := 0
	flush := func(end int) {
		if end > litStart {
			toks = append(toks, token{lit: src[litStart:end], off: litStart})
		}
	}
	i := 0
	for {
		j := strings.IndexByte(src[i:], '$')
		if j < 0 {
			break
		}
		i += j
		if i+1 >= len(src) {
			break // a lone "$" at the end stays as it is
		}
		switch c := src[i+1]; {
		case c == '$':
			flush(i)
			toks = append(toks, token{lit: src[i : i+1], off: i})
			i += 2
			litStart = i
		case c == '{':
			end := strings.IndexByte(src[i+2:], '}')
			if end < 0 {
				return nil, &Error{Template: tplName, Offset: i, Err: ErrSyntax, Detail: `"${" without "}"`}
			}
			name, spec := src[i+2:i+2+end], ""
			if bar := strings.IndexByte(name, '|'); bar >= 0 {
				name, spec = name[:bar], name[bar:]
			}
			if !validName(name) {
				return nil, &Error{Template: tplName, Offset: i, Err: ErrSyntax,
					Detail: `"${...}" must hold one variable name: letters, digits and "_", dotted segments, not starting with a digit; filters follow it after "|"`}
			}
			fs, err := parseFilters(spec, i+2+len(name), tplName, name)
			if err != nil {
				return nil, err
			}
			flush(i)
			toks = append(toks, token{name: name, off: i, isVar: true, fs: fs})
			i += 3 + end
			litStart = i
		case isNameStart(c):
			n := scanName(src[i+1:])
			flush(i)
			toks = append(toks, token{name: src[i+1 : i+1+n], off: i, isVar: true})
			i += 1 + n
			litStart = i
		default:
			i++ // "US$ 5", "$5": the "$" is text
		}
	}
	flush(len(src))
	return toks, nil
}

// URL parts, in the order they appear.
const (
	urlAuthority = iota
	urlPath
	urlQuery
	urlFragment
)

// hasSchemeSlashes returns the length of a leading "scheme://" in s, or 0.
func hasSchemeSlashes(s string) int {
	if s == "" || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) {
		return 0
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.':
		case c == ':':
			if strings.HasPrefix(s[i:], "://") {
				return i + 3
			}
			return 0
		default:
			return 0
		}
	}
	return 0
}

// build decides each variable's escaping from the literal text before it
// and fills t's slots.
func (t *Template) build(toks []token) error {
	// Lexical state.
	var (
		inStr, esc bool // JSON
		part       int  // URL
	)
	if t.opts.Syntax < Text || t.opts.Syntax > Form {
		return &Error{Template: t.opts.Name, Offset: -1, Err: ErrSyntax, Detail: "unknown syntax " + t.opts.Syntax.String()}
	}
	skip := 0 // URL: bytes of a leading "scheme://" or "//" still to skip
	if t.opts.Syntax == URL {
		lead := t.src // the literal text before the first variable
		for _, tk := range toks {
			if tk.isVar {
				lead = t.src[:tk.off]
				break
			}
		}
		part = urlPath // a relative reference: "/rest/...", "issue/..."
		if n := hasSchemeSlashes(lead); n > 0 {
			part, skip = urlAuthority, n
		} else if strings.HasPrefix(lead, "//") {
			part, skip = urlAuthority, 2
		} else if lead == "" && len(toks) > 0 {
			part = urlAuthority // "$host/...": the value must be a plain host
		}
	}

	var lit strings.Builder
	seen := map[string]bool{}
	for k := range toks {
		tk := &toks[k]
		if !tk.isVar {
			lit.WriteString(tk.lit)
			switch t.opts.Syntax {
			case JSON:
				for i := 0; i < len(tk.lit); i++ {
					c := tk.lit[i]
					switch {
					case esc:
						esc = false
					case inStr && c == '\\':
						esc = true
					case c == '"':
						inStr = !inStr
					}
				}
			case URL:
				for i := 0; i < len(tk.lit); i++ {
					if skip > 0 {
						skip--
						continue
					}
					switch c := tk.lit[i]; {
					case c == '#':
						part = urlFragment
					case c == '?' && part < urlQuery:
						part = urlQuery
					case c == '/' && part == urlAuthority:
						part = urlPath
					}
				}
			case Header:
				if i := strings.IndexFunc(tk.lit, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }); i >= 0 {
					return &Error{Template: t.opts.Name, Offset: tk.off + i, Err: ErrSyntax,
						Detail: "a header template cannot contain CR, LF, NUL or another control character (only HTAB is allowed)"}
				}
			}
			continue
		}
		switch t.opts.Syntax {
		case JSON:
			switch {
			case esc:
				return &Error{Template: t.opts.Name, Offset: tk.off, Variable: tk.name, Err: ErrInvalidJSON,
					Detail: `a variable cannot follow a "\" in a json string`}
			case inStr:
				tk.mode = modeJSONString
			default:
				tk.mode = modeJSONValue
			}
		case URL:
			switch part {
			case urlAuthority:
				tk.mode = modeURLHost
			case urlPath:
				tk.mode = modeURLPath
			default:
				tk.mode = modeQuery
			}
		case Header:
			tk.mode = modeHeader
		case Form:
			tk.mode = modeQuery
		default:
			tk.mode = modeText
		}
		if err := t.checkDefaults(tk); err != nil {
			return err
		}
		t.slots = append(t.slots, slot{lit: lit.String(), name: tk.name, off: tk.off, mode: tk.mode, fs: tk.fs})
		lit.Reset()
		if !seen[tk.name] {
			seen[tk.name] = true
			t.vars = append(t.vars, tk.name)
		}
	}
	t.tail = lit.String()
	return nil
}
