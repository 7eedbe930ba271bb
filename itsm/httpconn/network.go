package httpconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/internal/baseurl"
	"github.com/itsmsync/itsmsync/internal/netsafe"
	"github.com/itsmsync/itsmsync/itsm"
)

// NetworkConfig says where an integration may connect: plain data, JSON
// serializable. The zero value allows any public host, directly, and
// refuses loopback and private addresses. Link-local addresses, cloud
// metadata endpoints (169.254.169.254, fd00:ec2::254, 100.100.100.200, ...),
// unspecified, multicast and reserved addresses are refused whatever the
// configuration says. Addresses are checked after DNS resolution, at dial
// time, so a host name cannot smuggle a refused address in.
type NetworkConfig struct {
	// ProxyURL is an HTTP or HTTPS proxy ("http://proxy.corp:3128",
	// optionally with "user:password@"); empty means no proxy. The proxy
	// settings of the environment (HTTP_PROXY, ...) are never used: every
	// route is in the configuration. The proxy's address obeys the same
	// rules as a direct connection (a proxy on a private network needs
	// AllowPrivateNetworks, a local one AllowLoopback), so a host app that
	// forbids private networks cannot be bypassed through this field.
	// Through a proxy, the target's name is resolved by the proxy: the
	// allow-list and IP literals in URLs are still checked here. The
	// password is a secret.
	ProxyURL string `json:"proxy_url,omitempty"`
	// AllowedHosts, when not empty, lists the only hosts requests may go to
	// (Kibana's allowedHosts): "itsm.example.com" (any port),
	// "itsm.example.com:8443" (that port only), "*.example.com" (any
	// subdomain, not example.com itself) or an IP literal ("10.0.0.5",
	// "[fd00::5]:443"). Matching ignores case and a trailing dot. Empty
	// means any host the address rules allow.
	AllowedHosts []string `json:"allowed_hosts,omitempty"`
	// AllowPrivateNetworks allows private addresses: 10/8, 172.16/12,
	// 192.168/16, 100.64/10 (carrier-grade NAT) and fc00::/7. On-prem ITSMs
	// live there.
	AllowPrivateNetworks bool `json:"allow_private_networks,omitempty"`
	// AllowLoopback allows 127/8, ::1 and the name "localhost" — an ITSM on
	// the same machine, and tests against httptest servers.
	AllowLoopback bool `json:"allow_loopback,omitempty"`
}

func (n NetworkConfig) policy() netsafe.Policy {
	return netsafe.Policy{AllowPrivate: n.AllowPrivateNetworks, AllowLoopback: n.AllowLoopback}
}

// The settings of [NetworkConfig] that can allow a refused request, named
// as in the JSON of a [Config].
const (
	settingAllowedHosts  = "network.allowed_hosts"
	settingAllowPrivate  = "network.allow_private_networks"
	settingAllowLoopback = "network.allow_loopback"
)

// HostNotAllowedError is a request refused by the network rules before
// anything was sent: a host outside the allow-list, a refused address
// (checked at dial time after resolution too), a refused scheme or
// redirect. It wraps [ErrHostNotAllowed]. The message names the host and,
// when one exists, the setting that would allow the request; never
// credentials.
type HostNotAllowedError struct {
	// Host is the host (with its port when one was given) that was refused.
	Host string
	// Reason says why, e.g. "not in the allowed hosts" or "resolves to
	// private address 10.0.0.5".
	Reason string
	// Setting is the configuration setting that would allow the request,
	// as its path in the JSON of a Config: "network.allowed_hosts",
	// "network.allow_private_networks" or "network.allow_loopback". It is
	// "" when no setting can (cloud metadata, link-local and reserved
	// addresses, a scheme other than http(s), credentials in the URL, a
	// redirect from https to http).
	Setting string
	// Err is the underlying error, when there is one.
	Err error
}

// Error reads "httpconn: host not allowed: <host>: <reason>[; <what allows
// it>]".
func (e *HostNotAllowedError) Error() string {
	if e.Host == "" {
		return "httpconn: host not allowed: " + e.detail()
	}
	return "httpconn: host not allowed: " + e.Host + ": " + e.detail()
}

// detail is the reason and what would allow the request.
func (e *HostNotAllowedError) detail() string {
	switch e.Setting {
	case "":
		return e.Reason
	case settingAllowedHosts:
		return e.Reason + "; add the host to " + e.Setting
	}
	return e.Reason + "; set " + e.Setting + " to allow it"
}

// Unwrap returns [ErrHostNotAllowed] and the underlying error.
func (e *HostNotAllowedError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrHostNotAllowed}
	}
	return []error{ErrHostNotAllowed, e.Err}
}

// blockedNames are host names of cloud metadata services: refused by name
// too, since through a proxy the name is resolved where we cannot check the
// address.
var blockedNames = map[string]bool{
	"metadata":                   true,
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"instance-data":              true,
	"instance-data.ec2.internal": true,
	"metadata.azure.internal":    true,
	"metadata.tencentyun.com":    true,
}

// checkRequestURL checks a URL before a request is sent to it: http or
// https, a host, no credentials in the URL, inside the allow-list when there
// is one, and — when the host is an IP literal or a well-known local name —
// an address the rules allow (that catches a literal even through a proxy;
// names are checked again at dial time). The error is a
// *HostNotAllowedError wrapping [ErrHostNotAllowed].
func checkRequestURL(n NetworkConfig, u *url.URL) error {
	if u == nil {
		return &HostNotAllowedError{Reason: "no URL"}
	}
	hostport := u.Host
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return &HostNotAllowedError{Host: hostport, Reason: fmt.Sprintf("scheme %q is not allowed (want http or https)", u.Scheme)}
	}
	if u.User != nil {
		return &HostNotAllowedError{Host: hostport, Reason: "credentials in the URL are not allowed (configure authentication instead)"}
	}
	host := normalizeHost(u.Hostname())
	if host == "" {
		return &HostNotAllowedError{Reason: "URL has no host"}
	}
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return &HostNotAllowedError{Host: hostport, Reason: "invalid port"}
	}
	if len(n.AllowedHosts) > 0 && !hostAllowed(n.AllowedHosts, host, port) {
		return &HostNotAllowedError{Host: hostport, Reason: "not in the allowed hosts", Setting: settingAllowedHosts}
	}
	if ip, err := parseIP(host); err == nil {
		if err := n.policy().Check("", ip); err != nil {
			return blocked(hostport, err)
		}
		return nil
	}
	if numericHost(host) {
		// "127.1", "2130706433", "0x7f.0.0.1": inet_aton forms some
		// resolvers and proxies read as IP addresses; no real name ends
		// in a numeric label.
		return &HostNotAllowedError{Host: hostport, Reason: "ambiguous numeric host name"}
	}
	if blockedNames[host] {
		return &HostNotAllowedError{Host: hostport, Reason: "cloud metadata host names are not allowed"}
	}
	if (host == "localhost" || strings.HasSuffix(host, ".localhost")) && !n.AllowLoopback {
		return &HostNotAllowedError{Host: hostport, Reason: "loopback host", Setting: settingAllowLoopback}
	}
	return nil
}

// numericHost reports a host name whose last label is a number (decimal,
// octal or hex), which is not a DNS name but a legacy IPv4 notation.
func numericHost(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(last, "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}

// blocked turns an address refusal of the network rules into a
// *HostNotAllowedError for host, naming the setting that would allow the
// address when one can.
func blocked(host string, err error) *HostNotAllowedError {
	e := &HostNotAllowedError{Host: host, Reason: "address not allowed", Err: err}
	var be *netsafe.BlockedError
	if !errors.As(err, &be) {
		return e
	}
	switch be.Class {
	case netsafe.Private:
		e.Setting = settingAllowPrivate
	case netsafe.Loopback:
		e.Setting = settingAllowLoopback
	}
	if be.Host != "" && be.Host != be.Addr.String() {
		e.Reason = fmt.Sprintf("resolves to %s address %s", be.Class, be.Addr)
	} else {
		e.Reason = fmt.Sprintf("%s address", be.Class)
	}
	return e
}

func defaultPort(scheme string) string {
	if strings.EqualFold(scheme, "https") {
		return "443"
	}
	return "80"
}

// normalizeHost lowercases a host name and drops a trailing dot and an IPv6
// zone; IP literals come back in canonical form.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if ip, err := parseIP(h); err == nil {
		return ip.WithZone("").Unmap().String()
	}
	return h
}

// errNotIP is parseIP's answer for names, without netip's allocated error.
var errNotIP = errors.New("not an IP address")

// parseIP parses an IP literal, skipping the parse (and its allocated
// error) for strings that cannot be one: every path checks host names.
func parseIP(s string) (netip.Addr, error) {
	if !strings.Contains(s, ":") && strings.Trim(s, "0123456789.") != "" {
		return netip.Addr{}, errNotIP
	}
	return netip.ParseAddr(s)
}

// allowedHostEntry is a parsed AllowedHosts entry.
type allowedHostEntry struct {
	host     string // normalized; without "*." for wildcards
	wildcard bool
	port     string // "" = any port
}

// parseAllowedHost parses one AllowedHosts entry; the message is "" when it
// is valid.
func parseAllowedHost(s string) (allowedHostEntry, string) {
	var e allowedHostEntry
	s = strings.TrimSpace(s)
	if s == "" {
		return e, "empty entry"
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@") {
		return e, fmt.Sprintf("%q is not a host (give the host name only, e.g. itsm.example.com)", s)
	}
	host := s
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 65535 {
			return e, fmt.Sprintf("%q has an invalid port", s)
		}
		host, e.port = h, strconv.Itoa(n)
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		e.wildcard = true
		host = rest
	}
	host = normalizeHost(host)
	if ip, err := parseIP(host); err == nil {
		if e.wildcard {
			return e, fmt.Sprintf("%q: a wildcard needs a domain, not an IP address", s)
		}
		e.host = ip.String()
		return e, ""
	}
	if !validHostName(host) {
		for i := 0; i < len(host); i++ {
			if host[i] >= 0x80 {
				return e, fmt.Sprintf("%q: give an internationalized name in its punycode form (xn--...)", s)
			}
		}
		return e, fmt.Sprintf("%q is not a valid host name", s)
	}
	e.host = host
	return e, ""
}

// validHostName accepts DNS names of letters, digits, hyphens and
// underscores (no wildcard).
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labelLen := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '.':
			if labelLen == 0 {
				return false
			}
			labelLen = 0
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		labelLen++
		if labelLen > 63 {
			return false
		}
	}
	return labelLen > 0
}

// hostAllowed reports whether host (normalized) and port match an entry.
// Entries that do not parse match nothing.
func hostAllowed(allowed []string, host, port string) bool {
	for _, s := range allowed {
		e, msg := parseAllowedHost(s)
		if msg != "" {
			continue
		}
		if e.port != "" && e.port != port {
			continue
		}
		if e.wildcard {
			if strings.HasSuffix(host, "."+e.host) {
				return true
			}
			continue
		}
		if host == e.host {
			return true
		}
	}
	return false
}

// validate returns every problem of the network section.
func (n NetworkConfig) validate(prefix string) []itsm.FieldError {
	var errs []itsm.FieldError
	add := func(field, msg string) {
		errs = append(errs, itsm.FieldError{Field: joinField(prefix, field), Message: msg})
	}
	if n.ProxyURL != "" {
		if _, msg := parseProxyURL(n.ProxyURL); msg != "" {
			add("proxy_url", msg)
		}
	}
	for i, h := range n.AllowedHosts {
		if _, msg := parseAllowedHost(h); msg != "" {
			add(fmt.Sprintf("allowed_hosts[%d]", i), msg)
		}
	}
	return errs
}

// parseProxyURL parses and checks a proxy URL; the message never contains
// the password.
func parseProxyURL(s string) (*url.URL, string) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, "proxy URL does not parse"
	}
	switch u.Scheme {
	case "http", "https":
	default:
		return nil, "proxy URL must start with http:// or https://"
	}
	if u.Hostname() == "" {
		return nil, "proxy URL has no host"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, "proxy URL has an invalid port"
		}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, "proxy URL must not have a path, query or fragment"
	}
	if pw, ok := u.User.Password(); ok && pw == RedactedMarker {
		return nil, "enter the proxy password again (the redaction marker is not a value)"
	}
	if u.User != nil && (hasCtl(u.User.Username()) || hasCtl(proxyPassword(u))) {
		return nil, "proxy credentials must not contain control characters"
	}
	return u, ""
}

func proxyPassword(u *url.URL) string {
	if u == nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}

// checkEndpointURL checks a configured absolute URL (e.g. the OAuth2 token
// URL); "" when fine.
func checkEndpointURL(s string) string {
	if s == "" {
		return "URL is required"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "URL does not parse"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "URL must start with http:// or https://"
	}
	if u.Host == "" {
		return "URL has no host"
	}
	if u.User != nil {
		return "URL must not contain credentials"
	}
	return ""
}

// redacted returns a copy with the proxy password replaced by
// [RedactedMarker].
func (n NetworkConfig) redacted() NetworkConfig {
	n.AllowedHosts = slices.Clone(n.AllowedHosts)
	if n.ProxyURL == "" {
		return n
	}
	u, err := url.Parse(n.ProxyURL)
	if err != nil {
		// Unparseable: it may hold anything; hide it all.
		n.ProxyURL = RedactedMarker
		return n
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), RedactedMarker)
		n.ProxyURL = strings.Replace(u.String(), url.QueryEscape(RedactedMarker), RedactedMarker, 1)
	}
	return n
}

// keepSecrets restores a proxy password sent back as the marker (or left
// out) from the saved proxy URL, when the proxy is the same host and user:
// a password never follows an edited proxy address without being typed
// again (it then stays the marker, and validation asks for it).
func (n *NetworkConfig) keepSecrets(saved NetworkConfig) {
	if n.ProxyURL == "" || saved.ProxyURL == "" {
		return
	}
	nu, err1 := url.Parse(n.ProxyURL)
	su, err2 := url.Parse(saved.ProxyURL)
	if err1 != nil || err2 != nil || nu.User == nil || su.User == nil {
		return
	}
	pw, has := nu.User.Password()
	if has && pw != RedactedMarker && pw != "" {
		return
	}
	savedPW, ok := su.User.Password()
	if !ok || savedPW == "" {
		return
	}
	if !strings.EqualFold(nu.Host, su.Host) || nu.Scheme != su.Scheme || nu.User.Username() != su.User.Username() {
		if !has {
			// Make the missing password visible to validation.
			nu.User = url.UserPassword(nu.User.Username(), RedactedMarker)
			n.ProxyURL = nu.String()
		}
		return
	}
	nu.User = url.UserPassword(nu.User.Username(), savedPW)
	n.ProxyURL = nu.String()
}

// secretValues lists the proxy password and its basic-auth encoding, for
// redaction.
func (n NetworkConfig) secretValues() []string {
	u, err := url.Parse(n.ProxyURL)
	if err != nil || u.User == nil {
		return nil
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || pw == RedactedMarker {
		return nil
	}
	return []string{pw, url.QueryEscape(pw), basicAuthValue(u.User.Username(), pw)}
}

// Transport defaults.
const (
	// defaultMaxConns is the idle connections kept per host when buildTransport
	// gets maxConns <= 0: as many as concurrent syncs usually run.
	defaultMaxConns = 64
	// dialTimeout bounds one TCP connect.
	dialTimeout = 10 * time.Second
	// tlsHandshakeTimeout bounds a TLS handshake.
	tlsHandshakeTimeout = 10 * time.Second
	// responseHeaderTimeout bounds the wait for response headers after the
	// request is written; the connector's per-request timeout (shorter by
	// default) usually ends the wait first.
	responseHeaderTimeout = 2 * time.Minute
	// idleConnTimeout closes idle keep-alive connections.
	idleConnTimeout = 90 * time.Second
	// maxResponseHeaderBytes caps response headers.
	maxResponseHeaderBytes = 1 << 20
)

// buildTransport returns a dedicated transport for one connector: its
// dialer checks every resolved address against the network rules, its TLS
// follows t, it goes through the configured proxy (never the environment's),
// keeps up to maxConns idle connections per host (maxConns <= 0 means 64),
// and attempts HTTP/2. A config that does not parse returns a
// *ValidationError.
func buildTransport(n NetworkConfig, t TLSConfig, maxConns int) (*http.Transport, error) {
	return buildTransportResolver(n, t, maxConns, nil)
}

// buildTransportResolver is buildTransport with an injected resolver (nil:
// the system's), for tests that map names to addresses without DNS.
func buildTransportResolver(n NetworkConfig, t TLSConfig, maxConns int, r netsafe.Resolver) (*http.Transport, error) {
	errs := n.validate("network")
	tlsCfg, err := buildTLSConfig(t)
	if err != nil {
		var ve *itsm.ValidationError
		if errors.As(err, &ve) {
			errs = append(errs, ve.Errors...)
		} else {
			return nil, err
		}
	}
	if len(errs) > 0 {
		return nil, &itsm.ValidationError{Errors: errs, Component: "httpconn"}
	}
	if maxConns <= 0 {
		maxConns = defaultMaxConns
	}
	d := &netsafe.Dialer{Policy: n.policy(), Resolver: r, Timeout: dialTimeout}
	tr := &http.Transport{
		DialContext:            safeDial(d),
		TLSClientConfig:        tlsCfg,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxConns * 2,
		MaxIdleConnsPerHost:    maxConns,
		IdleConnTimeout:        idleConnTimeout,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  responseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
	}
	if n.ProxyURL != "" {
		pu, _ := parseProxyURL(n.ProxyURL) // validated above
		tr.Proxy = http.ProxyURL(pu)
	}
	return tr, nil
}

// safeDial wraps the netsafe dialer so refusals come out as
// *HostNotAllowedError.
func safeDial(d *netsafe.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil && errors.Is(err, netsafe.ErrBlocked) {
			host, _, _ := net.SplitHostPort(addr)
			return nil, blocked(host, err)
		}
		return conn, err
	}
}

// maxRedirects is how many redirects a read follows.
const maxRedirects = 5

// errTooManyRedirects ends a redirect chain longer than maxRedirects; it is
// the cause of a *NetworkError, whose message has the package prefix.
var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// redirectSafeHeaders survive a redirect to another host; every other
// header (API keys, secret and custom headers) is dropped, as net/http
// already does for Authorization and cookies.
var redirectSafeHeaders = map[string]bool{
	"Accept":          true,
	"Accept-Encoding": true,
	"Accept-Language": true,
	"User-Agent":      true,
	"Content-Type":    true,
	"Referer":         true,
}

// checkRedirect is the http.Client CheckRedirect of a connector: a write
// (any method but GET and HEAD) does not follow redirects — the 3xx comes
// back as the response; a read follows up to 5, each re-checked with
// checkRequestURL, never from https down to http, and on a change of origin
// (scheme, host or port) only harmless headers go along: credentials stay on
// the origin they were set for.
func checkRedirect(n NetworkConfig) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 {
			return nil
		}
		first := via[0]
		if first.Method != http.MethodGet && first.Method != http.MethodHead {
			return http.ErrUseLastResponse
		}
		if len(via) > maxRedirects {
			return errTooManyRedirects
		}
		prev := via[len(via)-1]
		if prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
			return &HostNotAllowedError{Host: req.URL.Host, Reason: "redirect from https to http refused"}
		}
		if err := checkRequestURL(n, req.URL); err != nil {
			return err
		}
		if !baseurl.SameOrigin(req.URL, first.URL) {
			for k := range req.Header {
				if !redirectSafeHeaders[k] {
					req.Header.Del(k)
				}
			}
		}
		return nil
	}
}

// guardedTransport checks every request URL against the network rules
// before handing it to next: for clients that do not call checkRequestURL
// themselves (the OAuth2 token requests).
type guardedTransport struct {
	n    NetworkConfig
	next http.RoundTripper
}

// guardRoundTripper wraps rt so each request is checked with
// checkRequestURL first.
func guardRoundTripper(n NetworkConfig, rt http.RoundTripper) http.RoundTripper {
	return &guardedTransport{n: n, next: rt}
}

func (g *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkRequestURL(g.n, req.URL); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}

// CloseIdleConnections passes through to the wrapped transport, so a client
// around a guarded transport can still drop its idle connections.
func (g *guardedTransport) CloseIdleConnections() {
	if c, ok := g.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
