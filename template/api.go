package template

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Syntax says what kind of text a template produces. It decides, once at
// parse time, how each variable is escaped where it lands.
type Syntax int

// The syntaxes a template can have. The zero value is [Text].
const (
	// Text is plain text: values are inserted as they are.
	Text Syntax = iota
	// JSON is a JSON document: a variable inside a string literal is
	// JSON-escaped without quotes, a variable in value position becomes a
	// whole JSON value (strings quoted, lists as arrays, numbers, booleans and
	// null as such). Parse refuses a template that is not valid JSON with
	// values of any kind in place; a Raw value is validated when inserted
	// (see the package documentation).
	JSON
	// URL is an absolute or relative URL: a variable before the path must
	// be a plain host or port, a variable in the path is path-segment
	// escaped ("/" included, so "../../admin" cannot walk the path; a value
	// of only dots is refused), in the query or fragment it is
	// query-escaped.
	URL
	// Header is an HTTP header value: values containing a control
	// character other than HTAB (CR, LF, NUL, \x01-\x08, \x0b-\x1f, DEL)
	// are refused, as RFC 9110 section 5.5 asks of a field value.
	Header
	// Form is an application/x-www-form-urlencoded body: values are
	// query-escaped.
	Form
)

// String returns the lowercase name of s ("text", "json", "url", "header", "form").
func (s Syntax) String() string {
	switch s {
	case Text:
		return "text"
	case JSON:
		return "json"
	case URL:
		return "url"
	case Header:
		return "header"
	case Form:
		return "form"
	}
	return "syntax(" + strconv.Itoa(int(s)) + ")"
}

// Options configure [Parse]. The zero value parses plain text and accepts any
// variable name.
type Options struct {
	// Name names the template in errors, e.g. "create_payload".
	Name string
	// Syntax decides escaping; see [Syntax].
	Syntax Syntax
	// Known lists the variable names the template may use. An entry ending in
	// "." (such as "fields.") allows every dotted name below it. Nil allows
	// every name; a non-nil empty slice allows none.
	Known []string
}

// Kind tells what a [Value] holds.
type Kind uint8

// The kinds of [Value]. The zero Value is [KindNull].
const (
	KindNull Kind = iota
	KindString
	KindStrings
	KindNumber
	KindBool
	KindRaw
)

// Value is one variable's value. Build it with [String], [Strings], [Int],
// [Float], [Bool], [Null] or [Raw]. The zero Value is null.
type Value struct {
	kind Kind
	s    string   // string, number text, "true"/"false", raw JSON
	list []string // KindStrings
}

// String returns a string value.
func String(s string) Value { return Value{kind: KindString, s: s} }

// Strings returns a list value: a JSON array where a whole value is expected,
// the items joined with ", " anywhere else.
func Strings(items []string) Value { return Value{kind: KindStrings, list: items} }

// Int returns an integer number value.
func Int(n int64) Value { return Value{kind: KindNumber, s: strconv.FormatInt(n, 10)} }

// Float returns a number value, formatted as encoding/json formats a
// float64 (1000000 stays "1000000", 1e-7 is "1e-07"). NaN and infinities
// render as null in JSON value position and as "NaN", "+Inf", "-Inf" as text.
func Float(f float64) Value { return Value{kind: KindNumber, s: formatFloat(f)} }

func formatFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Bool returns a boolean value.
func Bool(b bool) Value { return Value{kind: KindBool, s: strconv.FormatBool(b)} }

// Null returns the null value (renders as null in JSON value position and as
// an empty string elsewhere).
func Null() Value { return Value{} }

// Raw returns a value holding a JSON document that is inserted as it is in
// JSON value position (and as its text elsewhere). It is checked when the
// template is rendered.
func Raw(json string) Value { return Value{kind: KindRaw, s: json} }

// Kind reports what v holds.
func (v Value) Kind() Kind { return v.kind }

// Text returns v as plain text: a string as it is, a list joined with ", ",
// numbers, booleans and raw JSON as their text, null as "".
func (v Value) Text() string {
	if v.kind == KindStrings {
		return strings.Join(v.list, listSeparator)
	}
	return v.s
}

// List returns the items of a list value (nil for other kinds).
func (v Value) List() []string { return v.list }

// Values maps variable names (without "$") to values. A nil Values has no
// variables.
type Values map[string]Value

// Sentinel errors. Every error from this package is an [*Error] wrapping one
// of these, so callers can use errors.Is.
var (
	// ErrSyntax is a malformed template, e.g. "${" without "}".
	ErrSyntax = errors.New("template: syntax error")
	// ErrFilter is a misused filter in "${name|filter}": an unknown or empty
	// filter, "trunc" without a whole number from 1 to [MaxTrunc], "default"
	// without ":", "oneline" with an argument, or a default text that cannot
	// be placed where the variable lands. The offset is the filter's.
	ErrFilter = errors.New("template: invalid filter")
	// ErrUnknownVariable is a variable not in Options.Known.
	ErrUnknownVariable = errors.New("template: unknown variable")
	// ErrMissingValue is a variable with no value at render time.
	ErrMissingValue = errors.New("template: variable has no value")
	// ErrInvalidJSON is a JSON template that is, or renders to, invalid JSON.
	ErrInvalidJSON = errors.New("template: invalid json")
	// ErrUnsafeValue is a value that cannot be placed safely where it lands,
	// e.g. a header value with a line break or raw JSON that is not valid.
	ErrUnsafeValue = errors.New("template: unsafe value")
)

// Error describes a parse or render failure. It never holds a variable's
// value, only its name, so it is safe to log.
type Error struct {
	Template string // Options.Name
	Offset   int    // byte offset in the template (parse) or rendered output (invalid json); -1 if none
	Variable string // the variable involved, if any
	Detail   string // a short explanation, e.g. the known names
	Err      error  // one of the sentinels above
}

// Error returns "template: <problem> in "<name>": $<variable> at offset <n>
// (<detail>)", leaving out the parts that are empty. It never contains a
// value.
func (e *Error) Error() string {
	msg := e.Err.Error()
	if e.Template != "" {
		msg += " in " + strconv.Quote(e.Template)
	}
	if e.Variable != "" {
		msg += ": $" + e.Variable
	}
	if e.Offset >= 0 {
		msg += fmt.Sprintf(" at offset %d", e.Offset)
	}
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap returns the sentinel, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }
