// Package redact removes secrets from text before it reaches an error, a log
// line or an audit record.
//
// A [Redactor] is built once from the secret values an integration holds
// (passwords, tokens, API keys, client secrets, secret header values). It
// replaces each of them, and the forms they take on the wire — standard and
// URL-safe base64 (padded and raw), URL query and path escaping, and JSON
// string escaping as Go, PHP and Python encoders write it (\u003c-style HTML
// escapes, escaped slashes, \uXXXX for non-ASCII with surrogate pairs) —
// with [Marker]. [Credentials] removes credential-looking
// values that no configured secret names (an Authorization header echoed by
// a server, "token=..." in a query string), and [Redactor.String] applies
// both.
//
// A Redactor is immutable and safe for concurrent use; the nil *Redactor
// redacts only credential-looking values.
package redact

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Marker replaces every redacted value.
const Marker = "[REDACTED]"

// Redactor replaces known secret values in text. Build it with [New].
type Redactor struct {
	r *strings.Replacer // nil when there is nothing to replace
}

// New returns a Redactor for the given secret values. Empty values are
// ignored. Every non-empty value is redacted however short it is: a
// one-character password makes messages ugly, never leaky.
func New(secrets ...string) *Redactor {
	seen := make(map[string]bool)
	var forms []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		add(s)
		b := []byte(s)
		add(base64.StdEncoding.EncodeToString(b))
		add(base64.RawStdEncoding.EncodeToString(b))
		add(base64.URLEncoding.EncodeToString(b))
		add(base64.RawURLEncoding.EncodeToString(b))
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		if q := strconv.Quote(s); len(q) >= 2 {
			add(q[1 : len(q)-1]) // Go-quoted: escaped quotes and backslashes
		}
		for _, f := range jsonForms(s) {
			add(f)
		}
	}
	if len(forms) == 0 {
		return &Redactor{}
	}
	// strings.Replacer tries its patterns in argument order at each position:
	// longer first, so a secret that contains another is replaced whole.
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Marker)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// jsonForms returns the bodies (without quotes) of the JSON string
// encodings common encoders produce for s: Go's encoding/json with and
// without HTML escaping (\u003c \u003e \u0026, \u2028 \u2029), PHP's
// json_encode (escaped slashes, \uXXXX for every non-ASCII rune) and
// without slash escaping (JSON_UNESCAPED_SLASHES), and Python's json.dumps
// with ensure_ascii (\uXXXX, surrogate pairs beyond the BMP), each with
// lower- and upper-case hex digits. Duplicates are removed by the caller.
func jsonForms(s string) []string {
	var out []string
	for _, html := range []bool{false, true} {
		for _, slash := range []bool{false, true} {
			for _, ascii := range []bool{false, true} {
				for _, upper := range []bool{false, true} {
					for _, lt := range []bool{false, true} {
						out = append(out, jsonString(s, html, slash, ascii, upper, lt))
					}
				}
			}
		}
	}
	return out
}

// jsonString encodes s as a JSON string body. html escapes <, > and &;
// slash escapes /; ascii escapes every non-ASCII rune (as a surrogate pair
// beyond the BMP); upper writes hex digits in upper case; lt escapes the
// line terminators U+2028 and U+2029 (Go and PHP do by default).
func jsonString(s string, html, slash, ascii, upper, lt bool) string {
	hex := "0123456789abcdef"
	if upper {
		hex = "0123456789ABCDEF"
	}
	var b strings.Builder
	u := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hex[(r>>uint(shift))&0xF])
		}
	}
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			u(r)
		case r == '/' && slash:
			b.WriteString(`\/`)
		case html && (r == '<' || r == '>' || r == '&'):
			u(r)
		case (lt || ascii) && (r == 0x2028 || r == 0x2029):
			u(r)
		case ascii && r > 0xFFFF:
			r -= 0x10000
			u(0xD800 + (r>>10)&0x3FF)
			u(0xDC00 + r&0x3FF)
		case ascii && r > 0x7f:
			u(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Secrets replaces the known secret values (and their encodings) in s.
func (r *Redactor) Secrets(s string) string {
	if r == nil || r.r == nil || s == "" {
		return s
	}
	return r.r.Replace(s)
}

// String replaces the known secrets in s, then credential-looking values
// (see [Credentials]).
func (r *Redactor) String(s string) string {
	return Credentials(r.Secrets(s))
}

// credentialPatterns match a credential-looking name followed by its value.
// Group 1 keeps the name and separator, the value is replaced.
var credentialPatterns = []*regexp.Regexp{
	// Authorization: Basic xxx / Bearer xxx / token xxx (header or JSON echo).
	regexp.MustCompile(`(?i)((?:proxy-)?authorization"?\s*[:=]\s*\[?"?\s*(?:(?:basic|bearer|token|negotiate|digest|apikey|sharedkey|sso-key)\s+)?)(?:\[REDACTED\]|[^\s",;\]]+)`),
	// A bare scheme and token anywhere: "Bearer eyJ...".
	regexp.MustCompile(`(?i)(\b(?:bearer|basic)\s+)(?:\[REDACTED\]|[A-Za-z0-9\-._~+/]{8,}=*)`),
	// name=value / "name": "value" / name: value for secret-ish names.
	regexp.MustCompile(`(?i)((?:access_token|refresh_token|id_token|client_secret|api[_-]?key|apikey|x-api-key|password|passwd|secret|token|session(?:id)?|cookie|set-cookie)"?\s*[:=]\s*"?)(?:\[REDACTED\]|[^\s"&,;<]+)`),
	// user:password@ in URLs.
	regexp.MustCompile(`(://[^/\s:@]*:)[^/\s@]+@`),
}

// Credentials replaces values that look like credentials — Authorization
// values, bearer tokens, "password=...", "api_key: ...", "token=...",
// cookies, URL userinfo passwords — with [Marker], keeping their names. It
// is a safety net for text that no configured secret covers, such as a
// server echoing a request header.
func Credentials(s string) string {
	if s == "" {
		return s
	}
	for i, re := range credentialPatterns {
		if i == 3 {
			s = re.ReplaceAllString(s, "${1}"+Marker+"@")
			continue
		}
		s = re.ReplaceAllString(s, "${1}"+Marker)
	}
	return s
}
