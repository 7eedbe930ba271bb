package template

// Template is a parsed template. It is safe for concurrent use.
type Template struct {
	opts Options
	src  string
	vars []string
}

// Parse parses src. Unknown variables (see Options.Known), syntax errors and,
// for JSON, a document that is not valid JSON with sample values in place are
// reported here as *Error.
func Parse(src string, opts Options) (*Template, error) {
	panic("TODO: being implemented")
}

// Render renders t with vals into a new slice.
func (t *Template) Render(vals Values) ([]byte, error) { return t.Append(nil, vals) }

// Append renders t with vals, appending to dst.
func (t *Template) Append(dst []byte, vals Values) ([]byte, error) {
	panic("TODO: being implemented")
}

// Variables returns the distinct variable names t uses, in first-use order.
func (t *Template) Variables() []string { return append([]string(nil), t.vars...) }

// Name returns Options.Name.
func (t *Template) Name() string { return t.opts.Name }

// Source returns the template text as given to Parse.
func (t *Template) Source() string { return t.src }

// Syntax returns Options.Syntax.
func (t *Template) Syntax() Syntax { return t.opts.Syntax }
