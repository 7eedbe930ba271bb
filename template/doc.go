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
// # Filters
//
// A variable in braces may be followed by filters, applied left to right
// to its value before the value is escaped for its placement:
//
//	${case_name|oneline}            control characters (line breaks, tabs, C0,
//	                                DEL, C1) and Unicode spaces become a space,
//	                                runs of spaces one space, and the ends are
//	                                trimmed
//	${case_name|trunc:255}          at most 255 characters (runes, not bytes; an
//	                                invalid UTF-8 byte counts as one): a longer
//	                                value keeps 254 and ends with [TruncMarker]
//	                                "…"; never splits a character
//	${priority|default:Medium}      "Medium" when the value is null, "" or an
//	                                empty list
//	${case_name|oneline|trunc:255}  chained: one line, then at most 255
//
// The default text is everything after "default:" up to the next "|" or
// "}", taken literally: it cannot contain "|" or "}" and there is no escape
// sequence ("" is a backslash, "$x" is text, not a variable); it is escaped
// for its placement like any value ("default:say "hi"" in a JSON string
// renders say \"hi\"). Whitespace-only values are not empty: chain
// "|oneline|default:..." to catch them. Filters need braces: in "$x|oneline"
// the "|oneline" is text.
//
// oneline and trunc change strings and each item of a list (so in JSON
// value position "${tags|trunc:50}" is still an array, each label at most 50
// characters); numbers, booleans, null and [Raw] JSON pass through them
// unchanged, since shortening them would change their meaning or break the
// JSON. default turns null into a string, in any placement. Filters never
// modify the caller's [Values].
//
// A misused filter is [ErrFilter] at Parse with the byte offset of the
// filter: an unknown or empty filter (the detail lists the known ones and
// suggests the closest), "trunc" without a whole number from 1 to
// [MaxTrunc], "oneline" with an argument, "default" without ":", and a
// default text that cannot be placed where the variable lands (a line
// break in a Header template, a space before a URL path).
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
// [ErrFilter], [ErrUnknownVariable], [ErrMissingValue], [ErrInvalidJSON],
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
// and no allocation when dst has room (filters allocate only when they
// change a value: a clean one-line title within its limit costs a scan); [Template.Render] makes one
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
