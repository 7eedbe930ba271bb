package template

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TruncMarker ends a value shortened by the trunc filter. It is one
// character and counts inside the limit: ${x|trunc:10} keeps 9 characters
// of a longer value and adds the marker.
const TruncMarker = "…"

// MaxTrunc is the largest N accepted by ${name|trunc:N}.
const MaxTrunc = 100_000_000

// knownFilters lists the filters for error messages.
const knownFilters = "known filters: default:<text>, oneline, trunc:<n>"

type filterKind uint8

const (
	filterOneline filterKind = iota + 1
	filterTrunc
	filterDefault
)

// filter is one "|name[:arg]" of a "${...}" variable.
type filter struct {
	kind filterKind
	n    int    // trunc
	text string // default
	off  int    // byte offset of the filter's name in the template
}

// parseFilters parses the "|..." part of "${name|f1|f2:arg}". spec is the
// text after the name (starting with "|"), at byte offset off of the
// template.
func parseFilters(spec string, off int, tplName, varName string) ([]filter, error) {
	var fs []filter
	for spec != "" {
		// spec starts with "|".
		spec = spec[1:]
		off++
		end := strings.IndexByte(spec, '|')
		if end < 0 {
			end = len(spec)
		}
		f, detail := parseFilter(spec[:end])
		if detail != "" {
			return nil, &Error{Template: tplName, Offset: off, Variable: varName, Err: ErrFilter, Detail: detail}
		}
		f.off = off
		fs = append(fs, f)
		spec = spec[end:]
		off += end
	}
	return fs, nil
}

// parseFilter parses one filter; a non-empty detail says what is wrong.
func parseFilter(s string) (filter, string) {
	name, arg, hasArg := strings.Cut(s, ":")
	switch name {
	case "oneline":
		if hasArg {
			return filter{}, `"oneline" takes no argument`
		}
		return filter{kind: filterOneline}, ""
	case "trunc":
		n, err := strconv.Atoi(arg)
		if !hasArg || err != nil || n < 1 || n > MaxTrunc || strings.TrimLeft(arg, "0123456789") != "" {
			return filter{}, `"trunc" needs the number of characters to keep, a whole number from 1 to ` + strconv.Itoa(MaxTrunc) + `: trunc:<n>`
		}
		return filter{kind: filterTrunc, n: n}, ""
	case "default":
		if !hasArg {
			return filter{}, `"default" needs a text: default:<text> (any characters but "}" and "|")`
		}
		return filter{kind: filterDefault, text: arg}, ""
	case "":
		return filter{}, "empty filter (" + knownFilters + ")"
	}
	detail := "unknown filter " + strconv.Quote(name)
	if s := suggest(name, []string{"oneline", "trunc", "default"}); s != "" {
		detail += ", did you mean " + strconv.Quote(s) + "?"
	}
	return filter{}, detail + " (" + knownFilters + ")"
}

// applyFilters returns v after each filter, left to right. oneline and
// trunc change strings and each item of a list; numbers, booleans, null and
// raw JSON pass through them unchanged. default replaces null, an empty
// string or an empty list with its text.
func applyFilters(v Value, fs []filter) Value {
	for i := range fs {
		f := &fs[i]
		if f.kind == filterDefault {
			if v.kind == KindNull || v.kind == KindString && v.s == "" || v.kind == KindStrings && len(v.list) == 0 {
				v = String(f.text)
			}
			continue
		}
		switch v.kind {
		case KindString:
			v.s = f.applyText(v.s)
		case KindStrings:
			var out []string // copied on the first change: values are never written
			for k, it := range v.list {
				if r := f.applyText(it); r != it || out != nil {
					if out == nil {
						out = append(make([]string, 0, len(v.list)), v.list[:k]...)
					}
					out = append(out, r)
				}
			}
			if out != nil {
				v.list = out
			}
		}
	}
	return v
}

func (f *filter) applyText(s string) string {
	if f.kind == filterOneline {
		return oneline(s)
	}
	return trunc(s, f.n)
}

// trunc returns s when it has at most n characters (runes; each byte of
// invalid UTF-8 counts as one), else its first n-1 characters and
// TruncMarker. It never splits a UTF-8 sequence. n must be at least 1.
func trunc(s string, n int) string {
	if len(s) <= n {
		return s // n bytes are at most n characters
	}
	cut, count := -1, 0
	for i := 0; i < len(s); count++ {
		if count == n-1 {
			cut = i
		}
		if count == n {
			return s[:cut] + TruncMarker
		}
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	return s
}

// oneline returns s on one line: every control character (line breaks,
// tabs, C0, DEL, C1) and every Unicode space (U+2028, U+2029, NBSP, ...)
// is a space, each run of spaces becomes one, and leading and trailing
// spaces are dropped. Invalid UTF-8 bytes are kept as they are.
func oneline(s string) string {
	if onelineClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending (only after some text)
	for i := 0; i < len(s); {
		c := s[i]
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r == ' ' || unicode.IsControl(r) || unicode.IsSpace(r) {
			space = b.Len() > 0
			i += size
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// onelineClean reports whether oneline(s) == s, without allocating: no
// control character, no Unicode space but single ASCII spaces between
// other characters.
func onelineClean(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == ' ' && prev == ' ' {
				return false
			}
			prev = c
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return false
		}
		prev = c
		i += size
	}
	return true
}

// checkDefaults refuses, at parse time, a default text that could never be
// placed where tk lands (a line break in a header, a space before a URL
// path), with the offset of the default filter.
func (t *Template) checkDefaults(tk *token) error {
	for i := range tk.fs {
		f := &tk.fs[i]
		if f.kind != filterDefault {
			continue
		}
		// The filters after default apply to its text too.
		v := applyFilters(String(f.text), tk.fs[i+1:])
		if _, detail := appendValue(nil, v, tk.mode); detail != "" {
			return &Error{Template: t.opts.Name, Offset: f.off, Variable: tk.name, Err: ErrFilter,
				Detail: "the default text cannot be placed here: " + detail}
		}
	}
	return nil
}
