// Package redact removes secrets from text before it reaches an error, a log
// line or an audit record.
//
// A [Redactor] is built from the secret values an integration holds
// (passwords, tokens, API keys, client secrets, secret header values) and
// learns those it gets at run time ([Redactor.Add]: fetched access tokens,
// session ids). It replaces each of them, and the forms a server may echo
// them in — standard and URL-safe base64 (padded and raw, and inside a
// larger base64 blob at any alignment), hex in either case, percent-encoding
// as the common encoders write it in either case, HTML escaping as the
// common escapers write it, and JSON string escaping as Go, PHP and Python
// encoders write it (\u003c-style HTML escapes, escaped slashes, \uXXXX for
// non-ASCII with surrogate pairs) — with [Marker]. [Credentials] removes credential-looking
// values that no configured secret names (an Authorization header echoed by
// a server, "token=..." in a query string), and [Redactor.String] applies
// both.
//
// Redaction runs on error paths only; its cost is one pass of a
// strings.Replacer over the text (see BenchmarkRedact). A Redactor is safe
// for concurrent use; the nil *Redactor redacts only credential-looking
// values.
package redact

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Marker replaces every redacted value.
const Marker = "[REDACTED]"

// MaxAdded is how many secrets learned at run time ([Redactor.Add]) a
// Redactor keeps; adding more forgets the oldest. Fetched tokens and session
// ids are replaced as they expire, so the most recent ones are the ones a
// server can still echo.
const MaxAdded = 16

// minEncoded is the shortest base64 or hex form that is redacted. Shorter
// ones (the encodings of secrets of a few bytes) would match ordinary text.
const minEncoded = 6

// Redactor replaces known secret values in text. Build it with [New].
type Redactor struct {
	static []string // the forms of the secrets given to New

	mu    sync.Mutex // serializes Add
	added []string   // secrets learned at run time, oldest first

	r atomic.Pointer[strings.Replacer] // nil when there is nothing to replace
}

// New returns a Redactor for the given secret values. Empty values are
// ignored. Every non-empty value is redacted however short it is: a
// one-character password makes messages ugly, never leaky (its base64 and
// hex forms are redacted from six characters on).
func New(secrets ...string) *Redactor {
	r := &Redactor{static: formsOf(secrets)}
	r.r.Store(replacer(r.static, nil))
	return r
}

// Add makes r redact secret (and its encodings) from now on: a value learned
// at run time, such as a fetched OAuth2 access token or a session id. It
// rebuilds the replacer (microseconds; tokens and sessions change rarely).
// An empty or already known secret changes nothing. r keeps the last
// [MaxAdded] added secrets. Add on a nil *Redactor does nothing. Safe for
// concurrent use with every other method.
func (r *Redactor) Add(secret string) {
	if r == nil || secret == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.added, secret) {
		return
	}
	r.added = append(r.added, secret)
	if len(r.added) > MaxAdded {
		r.added = slices.Delete(r.added, 0, len(r.added)-MaxAdded)
	}
	r.r.Store(replacer(r.static, formsOf(r.added)))
}

// replacer builds the replacer of the given forms (nil when there are none).
func replacer(a, b []string) *strings.Replacer {
	seen := make(map[string]bool, len(a)+len(b))
	forms := make([]string, 0, len(a)+len(b))
	for _, f := range slices.Concat(a, b) {
		if !seen[f] {
			seen[f] = true
			forms = append(forms, f)
		}
	}
	if len(forms) == 0 {
		return nil
	}
	// strings.Replacer tries its patterns in argument order at each position:
	// longer first, so a secret that contains another is replaced whole.
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Marker)
	}
	return strings.NewReplacer(pairs...)
}

// formsOf returns every form of the secrets that is redacted, without
// duplicates: the raw value, Go quoting, the JSON string forms of the
// common encoders, the HTML-escaped forms, the percent-encoded forms (the
// common encoders, hex digits in either case), hex (either case), and
// base64 (standard and URL alphabets, padded and raw, and the part of the
// encoding the secret alone determines when it sits at any of the three
// byte alignments inside a larger encoded blob, such as a password inside
// a Basic header).
func formsOf(secrets []string) []string {
	seen := make(map[string]bool)
	var forms []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	encoded := func(s string) {
		if len(s) >= minEncoded {
			add(s)
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
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			for align := range 3 {
				encoded(base64Core(enc, b, align))
			}
		}
		h := hex.EncodeToString(b)
		encoded(h)
		encoded(strings.ToUpper(h))
		for _, f := range percentForms(s) {
			add(f)
		}
		for _, f := range htmlForms(s) {
			add(f)
		}
		if q := strconv.Quote(s); len(q) >= 2 {
			add(q[1 : len(q)-1]) // Go-quoted: escaped quotes and backslashes
		}
		for _, f := range jsonForms(s) {
			add(f)
		}
	}
	return forms
}

// base64Core returns the characters of the base64 encoding of b that depend
// on b alone when b starts align bytes (0, 1 or 2) into a 3-byte group of a
// larger encoded blob: the characters that mix in bits of the bytes before
// or after are left out.
func base64Core(enc *base64.Encoding, b []byte, align int) string {
	buf := make([]byte, align+len(b))
	copy(buf[align:], b)
	e := enc.EncodeToString(buf)
	from := (8*align + 5) / 6      // first character made only of b's bits
	to := 8 * (align + len(b)) / 6 // characters before it hold only b's bits (or the prefix)
	if to > len(e) {
		to = len(e)
	}
	if from >= to {
		return ""
	}
	return e[from:to]
}

// percentForms returns s percent-encoded the ways common encoders do, each
// with upper- and lower-case hex digits: Go's url.QueryEscape and
// url.PathEscape, RFC 3986 strict (Python quote(safe=""), PHP rawurlencode),
// Python's quote with its default safe "/", JavaScript's
// encodeURIComponent, PHP's urlencode and Java's URLEncoder.
func percentForms(s string) []string {
	const unreserved = "-._~"
	encoders := []struct {
		keep  string
		space string
	}{
		{unreserved, "%20"},
		{unreserved, "+"},
		{unreserved + "/", "%20"},
		{"-._!~*'()", "%20"},
		{"-._", "+"},
		{"-._*", "+"},
	}
	out := []string{url.QueryEscape(s), url.PathEscape(s)}
	for _, e := range encoders {
		out = append(out, percentEncode(s, e.keep, e.space))
	}
	for _, f := range out[:len(out):len(out)] {
		out = append(out, lowerPercent(f))
	}
	return out
}

func percentEncode(s, keep, space string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteString(space)
		default:
			b.WriteByte('%')
			b.WriteByte(hexUpper[c>>4])
			b.WriteByte(hexUpper[c&0xF])
		}
	}
	return b.String()
}

// lowerPercent writes the hex digits of every %XX escape in lower case.
func lowerPercent(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lowerHex(b[i+1])
			b[i+2] = lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// htmlForms returns s HTML-escaped the ways common escapers do: & < > always
// (&amp; &lt; &gt;); the double quote as &quot;, &#34; or &#x22; (or kept);
// the apostrophe as &#39;, &#039;, &#x27; or &apos; (or kept); and
// html/template's &#43; for '+'. Go's html.EscapeString, html/template,
// Python's html.escape, PHP's htmlspecialchars and Java's escapers are
// among them.
func htmlForms(s string) []string {
	if !strings.ContainsAny(s, "&<>\"'+") {
		return nil
	}
	var out []string
	for _, quot := range []string{"&quot;", "&#34;", "&#x22;", `"`} {
		for _, apos := range []string{"&#39;", "&#039;", "&#x27;", "&apos;", "'"} {
			for _, plus := range []string{"+", "&#43;"} {
				out = append(out, strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, quot, "'", apos, "+", plus).Replace(s))
			}
		}
	}
	return out
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
	if r == nil || s == "" {
		return s
	}
	rep := r.r.Load()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
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

// credentialKeywords[i] lists the lower-case words one of which a text
// must contain for credentialPatterns[i] to match: a cheap filter that
// spares the regular expressions most texts.
var credentialKeywords = [][]string{
	{"authorization"},
	{"bearer", "basic"},
	{"token", "secret", "api", "passw", "session", "cookie"},
	{"://"},
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
	lower := foldLower(s)
	for i, re := range credentialPatterns {
		if !containsAny(lower, credentialKeywords[i]) {
			continue
		}
		if i == 3 {
			s = re.ReplaceAllString(s, "${1}"+Marker+"@")
		} else {
			s = re.ReplaceAllString(s, "${1}"+Marker)
		}
		lower = foldLower(s)
	}
	return s
}

// foldLower lower-cases s as the (?i) patterns match it: U+017F (long s)
// folds to 's' (and U+212A, the Kelvin sign, to 'k' through ToLower).
func foldLower(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "\u017f", "s")
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
