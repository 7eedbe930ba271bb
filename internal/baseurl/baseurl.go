// Package baseurl checks the base URL of an ITSM instance given to a
// provider preset ("https://dev12345.service-now.com",
// "https://acme.sysaidit.com") and tells whether two URLs share an origin.
package baseurl

import (
	"errors"
	"net/url"
	"strings"
)

// Check returns raw as scheme://host[:port]. It must be an absolute URL
// with no credentials, path, query or fragment, over https — plain http is
// accepted only for localhost and loopback literals (tests, a local proxy).
// example is shown in the "must be an absolute URL" message. The errors are
// field messages ("is required", "must use https", ...), never echoing raw.
func Check(raw, example string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("is required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", errors.New("must be an absolute URL such as " + example)
	}
	if u.User != nil {
		return "", errors.New("must not contain credentials (use auth)")
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return "", errors.New("must be the base URL, without path or query")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if h := u.Hostname(); h != "localhost" && h != "127.0.0.1" && h != "::1" {
			return "", errors.New("must use https")
		}
	default:
		return "", errors.New("must use https")
	}
	return u.Scheme + "://" + u.Host, nil
}
