package httpconn

import (
	"strings"
	"unicode"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/itsm"
)

var _ itsm.Targeter = (*Connector)(nil)

// maxTargetBytes bounds [Config.Target].
const maxTargetBytes = 256

// Target names the ticket space the connector writes into
// ([itsm.Targeter]): [Config.Target] when set, else
// "http|<origin>|<path>" from the create URL — the scheme, host (lower
// case) and port (written out: "https://itsm.example.com:443") and the
// path without trailing slash, query or fragment (which may hold
// credentials), e.g. "http|https://itsm.example.com:443|/api/v1/tickets".
// A create URL whose host is a template variable is used whole, up to its
// query. Provider presets using this connector ("webhook") report the same
// form: it names no provider, so two configs reaching the same URL share
// their links. It holds no secret (credentials in the URL are left out).
// Safe for concurrent use.
func (c *Connector) Target() string {
	return ConfigTarget(c.cc.cfg)
}

// ConfigTarget returns the target [Connector.Target] reports for cfg,
// without building a connector: cfg.Target when set, else the create URL's
// normalised origin and path.
func ConfigTarget(cfg Config) string {
	if t := strings.TrimSpace(cfg.Target); t != "" {
		return t
	}
	if origin, path, ok := baseurl.Split(cfg.Create.URL); ok {
		return "http|" + origin + "|" + path
	}
	raw := strings.TrimSpace(cfg.Create.URL)
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if i := strings.Index(raw, "://"); i >= 0 {
		end := len(raw)
		if j := strings.IndexByte(raw[i+3:], '/'); j >= 0 {
			end = i + 3 + j
		}
		if at := strings.LastIndexByte(raw[:end], '@'); at > i {
			raw = raw[:i+3] + raw[at+1:] // credentials never name the space
		}
	}
	return "http|" + strings.TrimRight(raw, "/")
}

// targetProblem checks [Config.Target].
func targetProblem(t string) string {
	switch {
	case t == "":
		return ""
	case strings.TrimSpace(t) == "":
		return "must not be blank (leave it empty for the default)"
	case len(t) > maxTargetBytes:
		return "is longer than 256 bytes"
	case strings.ContainsFunc(t, unicode.IsControl):
		return "must not contain control characters"
	}
	return ""
}
