package baseurl

import (
	"net"
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

// Split returns the normalised origin ("scheme://host:port": scheme and
// host lower case, a trailing dot of the host dropped, the default port
// written out) and the path of a URL or URL template, without query,
// fragment or credentials, and with trailing slashes trimmed ("" for the
// root). ok is false when the scheme or the host is missing or holds a
// template variable, or the scheme is neither http nor https without a port.
func Split(src string) (origin, path string, ok bool) {
	src = strings.TrimSpace(src)
	if i := strings.IndexAny(src, "?#"); i >= 0 {
		src = src[:i]
	}
	i := strings.Index(src, "://")
	if i <= 0 {
		return "", "", false
	}
	end := len(src)
	if j := strings.IndexByte(src[i+3:], '/'); j >= 0 {
		end = i + 3 + j
	}
	head := src[:end]
	if at := strings.LastIndexByte(head, '@'); at > i {
		head = head[:i+3] + head[at+1:] // credentials never name the space
	}
	if strings.ContainsAny(head, "${}%\\ ") {
		return "", "", false
	}
	u, err := url.Parse(head)
	if err != nil || u.Hostname() == "" {
		return "", "", false
	}
	port := portOf(u)
	if port == "" {
		return "", "", false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(host, port), strings.TrimRight(src[end:], "/"), true
}
