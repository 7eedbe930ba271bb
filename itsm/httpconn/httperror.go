package httpconn

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/itsmsync/itsmsync/itsm"
)

// maxErrorBody caps HTTPError.Body (before the "..." marking a cut).
const maxErrorBody = 512

// HTTPError is a response from the ITSM that the connector could not accept:
// a non-2xx status, or a 2xx whose body could not be used (then it also
// wraps [itsm.ErrInvalidResponse] or [itsm.ErrMissingTicketID]). A request
// that got no response at all is a [*NetworkError] instead. It never holds a
// credential: Body and URL are redacted, and Body is capped.
//
// errors.Is(err, itsm.ErrOutcomeUnknown) tells whether the ITSM may have
// processed the request anyway (a 500 on a create).
type HTTPError struct {
	// Op is the operation (create, update, get, comment, lookup, check).
	Op itsm.Operation
	// Method is the request method.
	Method string
	// URL is the request URL without userinfo, query values of secret-ish
	// names or configured secrets.
	URL string
	// StatusCode is the HTTP status.
	StatusCode int
	// Body is a snippet of the response body: at most 512 bytes (and "..."
	// when cut), secrets removed, an HTML page reduced to its title or text.
	Body string
	// RetryAfter is the server's Retry-After (0 when absent), uncapped.
	RetryAfter time.Duration
	// Attempts is how many attempts were made.
	Attempts int
	// Err is what else went wrong (itsm.ErrOutcomeUnknown,
	// itsm.ErrInvalidResponse, itsm.ErrMissingTicketID ...), or nil for a
	// plain error status.
	Err error
}

// Error reads "httpconn: <op>: <METHOD> <url>: status <code>[ after <n>
// attempts][ (retry after <d>)][: <cause>][: <body>]".
func (e *HTTPError) Error() string {
	var b strings.Builder
	writeRequest(&b, e.Op, e.Method, e.URL)
	fmt.Fprintf(&b, "status %d", e.StatusCode)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(bare(e.Err))
	}
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *HTTPError) Unwrap() error { return e.Err }

// HTTPStatus returns StatusCode (the [itsm.StatusCoder] the engine reads).
func (e *HTTPError) HTTPStatus() int { return e.StatusCode }

// Is reports [itsm.ErrTicketNotFound] for a 404 answered to an update or get
// of a linked ticket: the ticket is gone from the ITSM.
func (e *HTTPError) Is(target error) bool {
	return target == itsm.ErrTicketNotFound && e.StatusCode == 404 && (e.Op == itsm.OpUpdate || e.Op == itsm.OpGet)
}

// Temporary reports whether a later attempt may succeed with nothing
// changed: true for the statuses the connector's retry policy retries —
// 408, 429 and every 5xx but 501 and 505 — and for an answer cut off while
// its body was read (Err wraps [itsm.ErrUnreachable]); false for every other
// status (a 4xx needs a person). RetryAfter, when set, says when. A write
// whose error wraps [itsm.ErrOutcomeUnknown] (a 500 to a create) must not be
// resent blindly whatever Temporary says.
func (e *HTTPError) Temporary() bool {
	return temporaryStatus(e.StatusCode) || errors.Is(e.Err, itsm.ErrUnreachable)
}

// secretQueryNames are query parameters whose values are stripped from URLs
// in errors.
var secretQueryNames = []string{"token", "access_token", "api_key", "apikey", "key", "password", "secret", "client_secret", "sig", "signature", "auth", "session"}

// cleanURL returns u without userinfo and with secret-looking query values
// and configured secrets replaced.
func cleanURL(u *url.URL, r *redact.Redactor) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for name := range q {
			ln := strings.ToLower(name)
			if slices.ContainsFunc(secretQueryNames, func(s string) bool { return strings.Contains(ln, s) }) {
				q[name] = []string{redact.Marker}
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return r.String(c.String())
}

// bodySnippet reduces a response body to a short, redacted, printable
// snippet: HTML to its title (or text), control characters dropped, at most
// maxErrorBody. Redaction runs on the whole body before the cut, so a
// secret straddling the cut is not half-leaked.
func bodySnippet(body []byte, r *redact.Redactor) string {
	if len(body) == 0 {
		return ""
	}
	s := string(body)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if looksHTML(s) {
		s = htmlSummary(s)
	}
	s = r.String(s)
	s = collapseSpace(s)
	return clip.Bytes(s, maxErrorBody)
}

func looksHTML(s string) bool {
	t := strings.TrimSpace(s)
	if len(t) > 256 {
		t = t[:256]
	}
	t = strings.ToLower(t)
	return strings.HasPrefix(t, "<!doctype html") || strings.HasPrefix(t, "<html") ||
		(strings.HasPrefix(t, "<") && (strings.Contains(t, "<head") || strings.Contains(t, "<body")))
}

// htmlSummary returns "<html> title" or "<html> text..." for an HTML page.
func htmlSummary(s string) string {
	lower := strings.ToLower(s)
	if i := strings.Index(lower, "<title"); i >= 0 {
		if j := strings.IndexByte(lower[i:], '>'); j >= 0 {
			start := i + j + 1
			if k := strings.Index(lower[start:], "</title"); k >= 0 {
				title := strings.TrimSpace(stripTags(s[start : start+k]))
				if title != "" {
					return "<html> " + title
				}
			}
		}
	}
	text := strings.TrimSpace(stripTags(s))
	if text == "" {
		return "<html …>"
	}
	return "<html> " + text
}

// stripTags drops tags and the content of script and style elements.
func stripTags(s string) string {
	var b strings.Builder
	lower := strings.ToLower(s)
	for i := 0; i < len(s); {
		if s[i] != '<' {
			b.WriteByte(s[i])
			i++
			continue
		}
		for _, skip := range []string{"script", "style"} {
			if strings.HasPrefix(lower[i+1:], skip) {
				if end := strings.Index(lower[i:], "</"+skip); end >= 0 {
					i += end
				} else {
					i = len(s)
				}
				break
			}
		}
		if i >= len(s) {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteByte(' ')
		i += j + 1
	}
	return b.String()
}

// collapseSpace turns runs of whitespace and control characters into one
// space.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}
