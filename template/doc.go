// Package template renders the payloads, URLs and headers itsmsync sends to
// an ITSM from "$variable" templates, escaping each value for the place it
// lands in.
//
// # Syntax
//
//	$name             a variable: [A-Za-z_][A-Za-z0-9_]*
//	$fields.hostname  dotted names, for custom fields; a trailing "." is text
//	${ticket_id}_v1   braces when a name character follows
//	$$                a literal "$"
//	US$ 5, $5, $      a "$" not followed by a name or "{" is text
//
// "${" without "}", "${}" and "${bad name}" are [ErrSyntax] at Parse, with
// the byte offset of the "$".
//
// # Escaping by placement
//
// [Options].Syntax says what the template produces. Parse reads the literal
// text lexically and decides, once per variable, how its value is escaped:
//
//	Syntax  where the variable is        what is inserted
//	------  ---------------------------  -----------------------------------------------
//	JSON    inside a string literal      JSON-escaped text, no quotes; a list joined
//	                                     with ", "; null as ""
//	JSON    in value position            a whole JSON value: string quoted, list as an
//	                                     array of strings, number (NaN/Inf as null),
//	                                     boolean, null, Raw as is once it is valid JSON
//	URL     before the path (host:port)  only letters, digits, '.', '-', ':'; else refused
//	URL     in the path                  one escaped segment: everything but A-Z a-z 0-9
//	                                     - . _ ~ is %XX, "/" too; a value made only of
//	                                     dots ("." or "..") is refused
//	URL     after "?" or "#"             url.QueryEscape
//	Form    anywhere                     url.QueryEscape (x-www-form-urlencoded)
//	Header  anywhere                     as is; control characters but HTAB refused
//	Text    anywhere                     as is
//
// So "summary": "[SIEM] $case_name" is valid JSON for any title (quotes,
// backslashes, newlines, control characters, invalid UTF-8, which becomes
// U+FFFD), a ticket id "../../admin" in a URL path renders "..%2F..%2Fadmin",
// and a header value cannot smuggle a second header. The JSON escaper keeps
// '<', '>', '&' and U+2028/U+2029 as they are: they are valid JSON, and the
// output does not depend on gjson's process-wide SetEscapeHTML switch.
//
// A URL template that starts with a scheme ("https://") or "//" begins in
// the host part; one that starts with a variable ("$host/rest/...") too, so
// that value must be a plain host; any other relative reference ("/rest/...",
// "issue/$id") begins in the path.
//
// # Validation
//
// A JSON template is checked at Parse: it is rendered once per kind of value
// (string, list, number, boolean, null, raw object) with each in every value
// slot, and each result must be valid JSON (gjson.Valid). A template that is
// not JSON with values in place ({"a": $x $y}, a missing comma, trailing
// text, -$x, a variable as an object key) is [ErrInvalidJSON] with the
// offset in the template. Because every slot then takes any value of any
// kind and the escapers produce valid JSON from any string, the rendered
// output is valid by construction; Append checks it again with
// gjson.ValidBytes only when a [Raw] value went in (each Raw value is also
// checked on its own and refused with [ErrUnsafeValue]). FuzzRenderJSON
// checks this claim: every successful render is valid JSON and every string
// reads back as the value.
//
// With [Options].Known set, a variable that is not listed is
// [ErrUnknownVariable] at Parse, so a configuration can be rejected when it
// is saved; the error's Detail suggests the closest known name ("did you
// mean $case_name?") and lists all of them, a prefix entry such as "fields."
// shown as "$fields.<name>".
//
// # Errors
//
// Every error is an [*Error] wrapping one of the sentinels ([ErrSyntax],
// [ErrUnknownVariable], [ErrMissingValue], [ErrInvalidJSON],
// [ErrUnsafeValue]), so errors.Is and errors.As work. It names the template
// (Options.Name), the variable and the byte offset (in the template; in the
// rendered output for invalid output JSON) and never contains a value:
// values can be secrets or personal data, so errors are safe to log.
//
// # Concurrency
//
// A *Template is immutable after Parse: any number of goroutines may render
// it at once. Values is read, never written.
//
// # Performance
//
// Parse splits the template into literal pieces and variable slots, each
// with its escape mode. Append is one pass: append a literal, look the value
// up, escape it straight into the caller's buffer. There is no reflection
// and no allocation when dst has room; [Template.Render] makes one
// allocation, pre-sized from the literal length and the values. The JSON
// string escaper skips eight bytes at a time while none needs escaping and
// validates UTF-8 as it goes, about four times faster than gjson's
// AppendJSONString on a 2 KB description.
//
// The package is not built on fasttemplate. fasttemplate needs an end tag
// (so "$name" would have to be rewritten to "${name}"), never escapes, and
// writes each value through an io.Writer tag function; measured on a Jira
// create payload (BenchmarkRenderJiraCreate), the hand-written renderer is
// several times faster and allocates nothing, see BENCHMARKS.md.
package template
