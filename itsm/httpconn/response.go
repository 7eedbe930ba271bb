package httpconn

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/template"
	"github.com/tidwall/gjson"
)

// userAgent is sent unless the config's headers set one.
const userAgent = "itsmsync"

var (
	userAgentValue  = []string{userAgent}[:1:1]
	acceptJSONValue = []string{"application/json"}[:1:1]
)

// prepared is a rendered request, ready to send or to preview.
type prepared struct {
	op     itsm.Operation
	method string
	url    string
	u      *url.URL // set by do, from the request it builds
	header http.Header
	body   []byte
	origin string // the endpoint's checked literal origin, or ""
}

// originChecked reports whether the URL starts with the endpoint's origin,
// which Validate checked against the network rules (a template whose
// origin is literal cannot render another one; this re-check is cheap
// insurance).
func (p *prepared) originChecked() bool {
	o := p.origin
	return o != "" && strings.HasPrefix(p.url, o) && (len(p.url) == len(o) || strings.IndexByte("/?#", p.url[len(o)]) >= 0)
}

// prepare renders ep's URL, payload and headers with vals, and removes the
// endpoint's omit_empty fields from the body when blank. In preview mode
// secret header values are replaced by RedactedMarker. Errors name the
// operation; a payload that renders to invalid JSON wraps
// ErrInvalidRenderedJSON. Template errors carry names and offsets, never
// values.
func (c *Connector) prepare(ep *endpoint, vals template.Values, preview bool) (*prepared, error) {
	if !ep.configured() {
		return nil, &opError{Op: ep.op, Err: itsm.ErrNotConfigured}
	}
	vals = withNulls(vals, ep.nulls)
	u, err := ep.url.Render(vals)
	if err != nil {
		return nil, &opError{Op: ep.op, Err: renderError(err, false)}
	}
	p := &prepared{op: ep.op, method: ep.method, url: string(u), origin: ep.origin}
	if ep.payload != nil {
		p.body, err = ep.payload.Render(vals)
		if err != nil {
			return nil, &opError{Op: ep.op, Err: renderError(err, ep.payload.Syntax() == template.JSON)}
		}
		if len(ep.omit) > 0 {
			if p.body, err = omitEmpty(p.body, ep.omit); err != nil {
				return nil, &opError{Op: ep.op, Err: err}
			}
		}
	}
	// Static values are shared, immutable one-element slices (cap 1, so an
	// Add on the request allocates a new one instead of writing into them).
	h := make(http.Header, len(c.cc.headers)+4)
	h["User-Agent"] = userAgentValue
	h["Accept"] = acceptJSONValue
	if p.body != nil {
		h["Content-Type"] = c.cc.contentType
	}
	for i := range c.cc.headers {
		ht := &c.cc.headers[i]
		switch {
		case ht.secret && preview:
			h[ht.name] = []string{RedactedMarker}
		case ht.tmpl == nil:
			h[ht.name] = ht.values
		default:
			v, err := ht.tmpl.Render(withNulls(vals, ht.nulls))
			if err != nil {
				return nil, &opError{Op: ep.op, Err: headerError(ht.name, err)}
			}
			h[ht.name] = []string{string(v)}
		}
	}
	if p.body == nil {
		delete(h, "Content-Type")
	}
	p.header = h
	return p, nil
}

// headerError classifies the render error of a header template: a value
// that cannot be sent in a header (a control character other than HTAB,
// RFC 9110 section 5.5) is invalid input — an *itsm.ValidationError with
// Input set, naming the variable — found before anything is sent, so the
// sync engine never takes it for a create of unknown outcome. The template
// error stays in the chain.
func headerError(header string, err error) error {
	var te *template.Error
	if !errors.Is(err, template.ErrUnsafeValue) || !errors.As(err, &te) {
		return renderError(err, false)
	}
	ve := &itsm.ValidationError{Component: "httpconn", Input: true, Errors: []itsm.FieldError{{
		Field:   "$" + te.Variable,
		Message: "cannot be sent in header " + header + ": " + te.Detail,
	}}}
	return &multiError{msg: ve.Error(), errs: []error{ve, err}}
}

// renderError classifies a template render error: in a JSON payload, an
// invalid document or a value that cannot be placed (raw JSON that is not
// JSON) is ErrInvalidRenderedJSON.
func renderError(err error, jsonPayload bool) error {
	if errors.Is(err, template.ErrInvalidJSON) || (jsonPayload && errors.Is(err, template.ErrUnsafeValue)) {
		return join(ErrInvalidRenderedJSON, err)
	}
	return err
}

// isJSON reports whether body is one valid JSON document (judged by content,
// not by Content-Type: Jira Data Center answers 204 text/html, some ITSMs
// send JSON as text/plain).
func isJSON(body []byte) bool {
	return len(body) > 0 && gjson.ValidBytes(body)
}

// scalarAt reads a string or number at a gjson path of a valid JSON body,
// exactly as sent (a number's digits are not converted through float). It
// reports false when the path is missing, null, an empty string, or not a
// scalar.
func scalarAt(body []byte, path string) (string, bool) {
	return scalarOf(gjson.GetBytes(body, path))
}

// scalarOf is [scalarAt] for a value already read.
func scalarOf(r gjson.Result) (string, bool) {
	if !r.Exists() {
		return "", false
	}
	switch r.Type {
	case gjson.String:
		if r.Str == "" {
			return "", false
		}
		return r.Str, true
	case gjson.Number:
		return r.Raw, true
	case gjson.True, gjson.False:
		return r.Raw, true
	}
	return "", false // null, object, array
}

// idFromLocation returns the last path segment of a Location header
// ("https://itsm/api/tickets/42" or "/api/tickets/42/" → "42"), or "".
func idFromLocation(loc string) string {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return ""
	}
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	i := strings.LastIndexByte(path, '/')
	seg := path[i+1:]
	if s, err := url.PathUnescape(seg); err == nil {
		seg = s
	}
	if strings.TrimSpace(seg) == "" || seg == "." || seg == ".." {
		return ""
	}
	return seg
}
