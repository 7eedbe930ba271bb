package baseurl

import (
	"net/url"
	"strings"
)

// SameOrigin reports whether a and b have the same origin (RFC 6454): the
// same scheme, host and port, compared case-insensitively, with the
// scheme's default port filled in (http 80, https 443). Credentials bound
// to one origin may go to the other. A nil URL has no origin.
func SameOrigin(a, b *url.URL) bool {
	if a == nil || b == nil {
		return false
	}
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(strings.TrimSuffix(a.Hostname(), "."), strings.TrimSuffix(b.Hostname(), ".")) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
