package httpconn

import (
	"fmt"
	"strings"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// maxOmitPaths bounds OmitEmpty per request.
const maxOmitPaths = 32

// omitPathSpecial are the characters that make a gjson/sjson path a query,
// a wildcard, a modifier or a multipath when not escaped. sjson ignores
// such paths silently, so they are refused on save.
const omitPathSpecial = "*?#|@!=<>%(){}[]\",:"

// omitPathProblem returns why p is not a plain dotted path (keys and array
// indexes, '\' escaping the next character), or "".
func omitPathProblem(p string) string {
	switch {
	case p == "":
		return "is empty"
	case len(p) > 256:
		return "is longer than 256 bytes"
	case hasCtl(p):
		return "contains a control character"
	case strings.TrimSpace(p) != p:
		return "has leading or trailing spaces"
	}
	seg := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 == len(p) {
				return "ends with an escape ('\\')"
			}
			i++
			seg++
		case c == '.':
			if seg == 0 {
				return "has an empty segment"
			}
			seg = 0
		case strings.IndexByte(omitPathSpecial, c) >= 0:
			return fmt.Sprintf("%q makes it a query, wildcard or modifier (only plain keys and array indexes, e.g. \"fields.priority.name\", can be removed; escape a literal %q with '\\')", string(c), string(c))
		default:
			seg++
		}
	}
	if seg == 0 {
		return "has an empty segment"
	}
	return ""
}

// checkOmitEmpty validates one request's OmitEmpty paths: plain paths,
// no duplicates, only with a JSON payload, each present in the payload
// rendered with the sample values (a typo check). rendered is that sample
// body (nil when it did not render).
func checkOmitEmpty(add func(string, string, ...any), prefix string, paths []string, jsonBody, hasPayload bool, rendered []byte) {
	if len(paths) == 0 {
		return
	}
	field := prefix + ".omit_empty"
	switch {
	case !jsonBody:
		add(field, "needs body_format json (fields are removed from a JSON body)")
		return
	case !hasPayload:
		add(field, "needs a payload")
		return
	case len(paths) > maxOmitPaths:
		add(field, "has %d paths (at most %d)", len(paths), maxOmitPaths)
		return
	}
	seen := make(map[string]bool, len(paths))
	for i, p := range paths {
		f := fmt.Sprintf("%s[%d]", field, i)
		if msg := omitPathProblem(p); msg != "" {
			add(f, "%s", msg)
			continue
		}
		if seen[p] {
			add(f, "repeats %q", clip.Bytes(p, 60))
			continue
		}
		seen[p] = true
		if rendered != nil && !gjson.GetBytes(rendered, p).Exists() {
			add(f, "%q is not in the payload (rendered with the sample values)", clip.Bytes(p, 60))
		}
	}
}

// emptyValue reports whether r is what omit_empty removes: null, a string
// that is empty or white space only, an empty object or an empty array.
// A missing value is not empty (there is nothing to remove).
func emptyValue(r gjson.Result) bool {
	switch r.Type {
	case gjson.Null:
		return r.Exists()
	case gjson.String:
		return strings.TrimSpace(r.Str) == ""
	case gjson.JSON:
		empty := true
		r.ForEach(func(_, _ gjson.Result) bool { empty = false; return false })
		return empty
	}
	return false
}

// omitEmpty removes, in order, each path of paths whose value in body is
// empty. Paths were validated as plain paths; a path sjson leaves in place
// all the same is an error (never a body sent with the blank).
func omitEmpty(body []byte, paths []string) ([]byte, error) {
	for _, p := range paths {
		if !emptyValue(gjson.GetBytes(body, p)) {
			continue
		}
		// sjson leaves the document as it is when it cannot use a path
		// (the value at an array index that was removed may exist again:
		// the next element moved up, so the check is "changed").
		out, err := sjson.DeleteBytes(body, p)
		if err != nil || len(out) >= len(body) || !gjson.ValidBytes(out) {
			return nil, fmt.Errorf("%w: omit_empty path %q could not be removed", itsm.ErrInvalidConfig, clip.Bytes(p, 60))
		}
		body = out
	}
	return body, nil
}

// responseRules are a request's success conditions on a 2xx JSON body.
type responseRules struct {
	successPath string // must hold a truthy value
	errorPath   string // must be missing or empty
}

func (r responseRules) set() bool { return r.successPath != "" || r.errorPath != "" }

// checkResponseRules validates a request's success_path and error_path.
func checkResponseRules(add func(string, string, ...any), prefix, success, errPath string) responseRules {
	for field, p := range map[string]string{prefix + ".success_path": success, prefix + ".error_path": errPath} {
		if p != "" && !validPath(p) {
			add(field, "is not a valid gjson path")
		}
	}
	return responseRules{successPath: success, errorPath: errPath}
}

// truthy reports whether r says "success": true, a non-zero number, a
// string other than "", "0", "false" and "no" (any case, spaces trimmed), a
// non-empty object or array.
func truthy(r gjson.Result) bool {
	switch r.Type {
	case gjson.True:
		return true
	case gjson.Number:
		return r.Num != 0
	case gjson.String:
		switch strings.ToLower(strings.TrimSpace(r.Str)) {
		case "", "0", "false", "no":
			return false
		}
		return true
	case gjson.JSON:
		return !emptyValue(r)
	}
	return false // missing, null, false
}

// noError reports whether the value at an error path says "no error":
// missing, null, false, 0, a blank string, {} or [].
func noError(r gjson.Result) bool {
	if !r.Exists() {
		return true
	}
	switch r.Type {
	case gjson.False:
		return true
	case gjson.Number:
		return r.Num == 0
	}
	return emptyValue(r)
}

// refusal judges a 2xx body against the rules. It returns the refusal's
// detail (which rule failed) and its text (the error value, or "" to use
// the whole body), and whether the body is a refusal. An empty body passes
// (nothing refuses); a body that is not JSON is not judged.
func (r responseRules) refusal(body []byte) (detail string, text []byte, refused bool) {
	if !r.set() || !isJSON(body) {
		return "", nil, false
	}
	if r.errorPath != "" {
		if v := gjson.GetBytes(body, r.errorPath); !noError(v) {
			t := v.Raw
			if v.Type == gjson.String {
				t = v.Str
			}
			return fmt.Sprintf("error_path %q is set", clip.Bytes(r.errorPath, 60)), []byte(t), true
		}
	}
	if r.successPath != "" {
		if v := gjson.GetBytes(body, r.successPath); !truthy(v) {
			what := "is missing"
			if v.Exists() {
				what = "is " + clip.Bytes(v.Raw, 40)
			}
			return fmt.Sprintf("success_path %q %s", clip.Bytes(r.successPath, 60), what), nil, true
		}
	}
	return "", nil, false
}

// checkResponse returns the *HTTPError (wrapping itsm.ErrRefused) of a 2xx
// response whose body breaks ep's response rules, or nil.
func (c *Connector) checkResponse(ep *endpoint, res result) error {
	if !ep.rules.set() || res.bodyErr != nil {
		return nil
	}
	detail, text, refused := ep.rules.refusal(res.body)
	if !refused {
		return nil
	}
	if text == nil {
		text = res.body
	}
	return &HTTPError{Op: ep.op, Method: res.method, URL: cleanURL(res.u, c.redactor), StatusCode: res.status, Attempts: res.attempts,
		Body: bodySnippet(text, c.redactor), Err: fmt.Errorf("%w (%s)", itsm.ErrRefused, detail)}
}

// validScheme reports whether s can be the authentication scheme of an
// Authorization header: an RFC 9110 token of at most 32 characters.
func validScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
