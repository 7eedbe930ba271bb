package template

import (
	"sync"

	"github.com/tidwall/gjson"
)

// mode is how one variable slot is escaped; it is decided by where the slot
// lands in the template, once, at parse time.
type mode uint8

const (
	modeText       mode = iota // as is
	modeHeader                 // as is, CR/LF/NUL refused
	modeQuery                  // url.QueryEscape (form bodies, URL query and fragment)
	modeURLHost                // plain host/port characters only
	modeURLPath                // path-segment escaped ("/" too), dot segments refused
	modeJSONString             // JSON-escaped inside a string literal, no quotes
	modeJSONValue              // a whole JSON value
)

// slot is a literal piece followed by one variable.
type slot struct {
	lit  string // literal text before the variable ("$$" already turned into "$")
	name string // variable name without "$"
	off  int    // byte offset of the variable's "$" in the template
	mode mode
	fs   []filter // applied to the value before escaping; nil for most slots
}

// Template is a parsed template. It is immutable after [Parse], so one
// *Template is safe for concurrent use by any number of goroutines.
type Template struct {
	opts  Options
	src   string
	vars  []string
	slots []slot
	tail  string // literal text after the last variable
	// checkJSON is set for JSON templates: their output is validated when
	// a Raw value is inserted; see Append.
	checkJSON bool
}

// Parse parses src. Unknown variables (see [Options].Known), syntax errors
// and, for JSON, a document that is not valid JSON with sample values in
// place are reported here as an [*Error] wrapping [ErrSyntax], [ErrFilter],
// [ErrUnknownVariable] or [ErrInvalidJSON], with the byte offset in src.
// Parse never panics; the returned *Template is safe for concurrent use.
func Parse(src string, opts Options) (*Template, error) {
	toks, err := tokenize(src, opts.Name)
	if err != nil {
		return nil, err
	}
	if opts.Known != nil {
		opts.Known = append([]string{}, opts.Known...) // keep t immutable
	}
	t := &Template{opts: opts, src: src}
	if err := t.build(toks); err != nil {
		return nil, err
	}
	if opts.Known != nil {
		if err := checkKnown(t, opts.Known); err != nil {
			return nil, err
		}
	}
	if opts.Syntax == JSON {
		if err := t.checkJSONTemplate(toks); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Render renders t with vals into a new slice of the output's length: the
// output is built in a pooled scratch buffer, each value looked up once, then
// copied (one allocation in the steady state; the pool refills itself after
// a garbage collection). On error it returns nil and an [*Error].
func (t *Template) Render(vals Values) ([]byte, error) {
	bp := renderPool.Get().(*[]byte)
	out, err := t.Append((*bp)[:0], vals)
	var res []byte
	if err == nil {
		res = append([]byte{}, out...) // growslice does not zero what it copies over
	}
	if cap(out) <= maxPooledRender {
		*bp = out[:0]
		renderPool.Put(bp)
	}
	return res, err
}

// renderPool holds Render's scratch buffers; a buffer grown past
// maxPooledRender (a very large render) is left to the garbage collector.
var renderPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledRender = 64 << 10

// Append renders t with vals, appending to dst, and returns the extended
// slice. It allocates nothing when dst has room. On error it returns dst
// with its original length (the bytes past it are unspecified) and an
// [*Error] wrapping [ErrMissingValue], [ErrUnsafeValue] or [ErrInvalidJSON];
// the error names the variable and never contains its value. A nil vals is
// an empty set of values.
func (t *Template) Append(dst []byte, vals Values) ([]byte, error) {
	start := len(dst)
	raw := false
	for i := range t.slots {
		s := &t.slots[i]
		dst = append(dst, s.lit...)
		v, ok := vals[s.name]
		if !ok {
			return dst[:start], t.errAt(ErrMissingValue, s, "")
		}
		if s.fs != nil {
			v = applyFilters(v, s.fs)
		}
		raw = raw || v.kind == KindRaw
		var detail string
		dst, detail = appendValue(dst, v, s.mode)
		if detail != "" {
			return dst[:start], t.errAt(ErrUnsafeValue, s, detail)
		}
	}
	dst = append(dst, t.tail...)
	// The output of a JSON template is valid by construction unless a Raw
	// value went in: Parse proved every slot takes any value of any kind,
	// and the escapers make valid JSON of any string (FuzzRenderJSON checks
	// both). Raw text is not ours, so then the whole output is checked.
	if raw && t.checkJSON && !gjson.ValidBytes(dst[start:]) {
		off := invalidJSONOffset(dst[start:])
		return dst[:start], &Error{Template: t.opts.Name, Offset: off, Err: ErrInvalidJSON,
			Detail: "rendered output is not valid json"}
	}
	return dst, nil
}

func (t *Template) errAt(sentinel error, s *slot, detail string) *Error {
	return &Error{Template: t.opts.Name, Offset: s.off, Variable: s.name, Detail: detail, Err: sentinel}
}

// Variables returns the distinct variable names t uses, in first-use order.
// The slice is a copy the caller may keep or change.
func (t *Template) Variables() []string { return append([]string(nil), t.vars...) }

// Name returns Options.Name.
func (t *Template) Name() string { return t.opts.Name }

// Source returns the template text as given to Parse.
func (t *Template) Source() string { return t.src }

// Syntax returns Options.Syntax.
func (t *Template) Syntax() Syntax { return t.opts.Syntax }
