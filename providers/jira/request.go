package jira

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// issueWriteRE matches the create and update paths of an issue
// (.../rest/api/<v>/issue and .../issue/<id-or-key>), not comments or
// transitions.
var issueWriteRE = regexp.MustCompile(`/rest/api/(?:2|3|latest)/issue(?:/[^/]+)?/?$`)

// maxRewriteBody caps the body the priority rewrite reads; larger bodies
// pass unchanged (Jira refuses them anyway).
const maxRewriteBody = 4 << 20

// blankPriority reports whether the payload's fields.priority is present
// but names nothing: null, or an object whose name and id are both blank,
// as the preset's {"name": "$priority"} renders for a case without
// severity. Jira refuses it ("Priority name ” is not valid").
func blankPriority(body []byte) bool {
	p := gjson.GetBytes(body, "fields.priority")
	if !p.Exists() {
		return false
	}
	if p.Type == gjson.Null {
		return true
	}
	return p.IsObject() && p.Get("name").String() == "" && p.Get("id").String() == ""
}

// omitBlankPriority is the connector's middleware: on issue create and
// update requests it leaves out a fields.priority that names nothing, so
// Jira applies the project's default priority (create) or keeps the
// current one (update) instead of refusing the request. Other requests
// pass unchanged. The preset says the same with omit_empty (visible in
// Preview); this also covers configs saved before it, or edited without it.
func omitBlankPriority(base http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if (r.Method != http.MethodPost && r.Method != http.MethodPut) || r.Body == nil || !issueWriteRE.MatchString(r.URL.Path) {
			return base.RoundTrip(r)
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRewriteBody+1))
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(body) <= maxRewriteBody && gjson.ValidBytes(body) && blankPriority(body) {
			if out, err := sjson.DeleteBytes(body, "fields.priority"); err == nil {
				body = out
			}
		}
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if r2.Header.Get("Content-Length") != "" {
			r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		return base.RoundTrip(r2)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
