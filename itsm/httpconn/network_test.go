package httpconn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/internal/netsafe"
	"github.com/itsmsync/itsmsync/itsm"
)

// mapResolver resolves names from a map (no DNS in tests).
type mapResolver map[string][]string

func (m mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	v, ok := m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, 0, len(v))
	for _, s := range v {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

var testResolver = mapResolver{
	"metadata.test": {"169.254.169.254"},
	"rebind.test":   {"10.0.0.7"},
	"a.test":        {"127.0.0.1"},
	"b.test":        {"127.0.0.1"},
	"proxy.test":    {"127.0.0.1"},
}

// client builds a connector-like client: dedicated transport, checkRedirect,
// and checkRequestURL before each request (via guardRoundTripper).
func client(t *testing.T, n NetworkConfig, tc TLSConfig) *http.Client {
	t.Helper()
	tr, err := buildTransportResolver(n, tc, 0, testResolver)
	require.NoError(t, err)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: guardRoundTripper(n, tr), CheckRedirect: checkRedirect(n), Timeout: 5 * time.Second}
}

func do(t *testing.T, c *http.Client, method, u string, hdr http.Header) (*http.Response, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(`{"x":1}`)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

// hostURL swaps the host of a test server's URL for name (same port).
func hostURL(t *testing.T, srvURL, name string) string {
	t.Helper()
	u, err := url.Parse(srvURL)
	require.NoError(t, err)
	u.Host = net.JoinHostPort(name, u.Port())
	return u.String()
}

func TestCheckRequestURL(t *testing.T) {
	t.Parallel()
	allow := []string{"itsm.example.com", "*.atlassian.net", "Ops.Example.org:8443", "10.0.0.5", "[fd00::5]:443"}
	tests := []struct {
		name string
		n    NetworkConfig
		url  string
		ok   bool
	}{
		{"public any", NetworkConfig{}, "https://itsm.example.com/rest/api/2/issue", true},
		{"ftp refused", NetworkConfig{}, "ftp://itsm.example.com/x", false},
		{"file refused", NetworkConfig{}, "file:///etc/passwd", false},
		{"no host", NetworkConfig{}, "https:///x", false},
		{"credentials refused", NetworkConfig{}, "https://user:pw@itsm.example.com/", false},
		{"bad port", NetworkConfig{}, "https://itsm.example.com:99999/", false},
		{"metadata literal", NetworkConfig{AllowPrivateNetworks: true, AllowLoopback: true}, "http://169.254.169.254/latest/meta-data/", false},
		{"metadata mapped literal", NetworkConfig{AllowPrivateNetworks: true, AllowLoopback: true}, "http://[::ffff:169.254.169.254]/", false},
		{"metadata v6 literal", NetworkConfig{AllowPrivateNetworks: true, AllowLoopback: true}, "http://[fd00:ec2::254]/", false},
		{"metadata name", NetworkConfig{AllowPrivateNetworks: true}, "http://metadata.google.internal/computeMetadata/v1/", false},
		{"metadata name trailing dot", NetworkConfig{AllowPrivateNetworks: true}, "http://Metadata.Google.Internal./", false},
		{"loopback literal refused", NetworkConfig{}, "http://127.0.0.1:8080/", false},
		{"loopback literal allowed", NetworkConfig{AllowLoopback: true}, "http://127.0.0.1:8080/", true},
		{"localhost refused", NetworkConfig{AllowPrivateNetworks: true}, "http://localhost:8080/", false},
		{"sub.localhost refused", NetworkConfig{}, "http://api.localhost/", false},
		{"localhost allowed", NetworkConfig{AllowLoopback: true}, "http://localhost:8080/", true},
		{"private literal refused", NetworkConfig{}, "http://10.1.2.3/", false},
		{"private literal allowed", NetworkConfig{AllowPrivateNetworks: true}, "http://10.1.2.3/", true},
		{"decimal ip refused", NetworkConfig{AllowLoopback: true}, "http://2130706433/", false},
		{"short ip refused", NetworkConfig{AllowLoopback: true}, "http://127.1/", false},
		{"hex ip refused", NetworkConfig{AllowLoopback: true}, "http://0x7f.0.0.1/", false},
		{"hex label refused", NetworkConfig{AllowLoopback: true}, "http://a.0xA9FEA9FE/", false},
		{"digits inside a name pass", NetworkConfig{}, "http://itsm2.example.com/", true},
		{"private name passes here (checked at dial)", NetworkConfig{}, "http://jira.corp.internal/", true},
		{"allow exact", NetworkConfig{AllowedHosts: allow}, "https://itsm.example.com/x", true},
		{"allow exact case", NetworkConfig{AllowedHosts: allow}, "https://ITSM.Example.COM/x", true},
		{"allow exact trailing dot", NetworkConfig{AllowedHosts: allow}, "https://itsm.example.com./x", true},
		{"allow exact any port", NetworkConfig{AllowedHosts: allow}, "https://itsm.example.com:9443/x", true},
		{"allow suffix is not a match", NetworkConfig{AllowedHosts: allow}, "https://evilitsm.example.com/x", false},
		{"allow parent is not a match", NetworkConfig{AllowedHosts: allow}, "https://example.com/x", false},
		{"allow host as subdomain of attacker", NetworkConfig{AllowedHosts: allow}, "https://itsm.example.com.attacker.net/x", false},
		{"wildcard sub", NetworkConfig{AllowedHosts: allow}, "https://acme.atlassian.net/rest", true},
		{"wildcard deep", NetworkConfig{AllowedHosts: allow}, "https://a.b.atlassian.net/rest", true},
		{"wildcard not apex", NetworkConfig{AllowedHosts: allow}, "https://atlassian.net/rest", false},
		{"wildcard not suffix", NetworkConfig{AllowedHosts: allow}, "https://evilatlassian.net/rest", false},
		{"port entry match", NetworkConfig{AllowedHosts: allow}, "https://ops.example.org:8443/", true},
		{"port entry default port", NetworkConfig{AllowedHosts: allow}, "https://ops.example.org/", false},
		{"ip entry", NetworkConfig{AllowedHosts: allow, AllowPrivateNetworks: true}, "http://10.0.0.5:8080/", true},
		{"ip entry but private not allowed", NetworkConfig{AllowedHosts: allow}, "http://10.0.0.5/", false},
		{"v6 entry with port", NetworkConfig{AllowedHosts: allow, AllowPrivateNetworks: true}, "https://[fd00::5]/", true},
		{"v6 entry other port", NetworkConfig{AllowedHosts: allow, AllowPrivateNetworks: true}, "https://[fd00::5]:8443/", false},
		{"not listed", NetworkConfig{AllowedHosts: allow}, "https://servicenow.example.net/", false},
		{"bad entries match nothing", NetworkConfig{AllowedHosts: []string{"https://itsm.example.com/", "*"}}, "https://itsm.example.com/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.url)
			require.NoError(t, err)
			err = checkRequestURL(tt.n, u)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrHostNotAllowed)
			var he *HostNotAllowedError
			require.ErrorAs(t, err, &he)
			assert.NotContains(t, err.Error(), "pw@", "credentials never in the message")
		})
	}
	assert.ErrorIs(t, checkRequestURL(NetworkConfig{}, nil), ErrHostNotAllowed)
}

func TestDialTimeChecks(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)

	t.Run("loopback refused by default", func(t *testing.T) {
		_, _, err := do(t, client(t, NetworkConfig{}, TLSConfig{}), http.MethodGet, srv.URL, nil)
		require.ErrorIs(t, err, ErrHostNotAllowed)
	})
	t.Run("loopback by name refused at dial", func(t *testing.T) {
		before := hits.Load()
		_, _, err := do(t, client(t, NetworkConfig{AllowPrivateNetworks: true}, TLSConfig{}), http.MethodGet, hostURL(t, srv.URL, "a.test"), nil)
		require.ErrorIs(t, err, ErrHostNotAllowed)
		require.ErrorIs(t, err, netsafe.ErrBlocked)
		var he *HostNotAllowedError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, "a.test", he.Host)
		assert.Contains(t, err.Error(), "allow_loopback")
		assert.Equal(t, before, hits.Load(), "nothing reached the server")
	})
	t.Run("loopback allowed", func(t *testing.T) {
		resp, body, err := do(t, client(t, loopback, TLSConfig{}), http.MethodGet, hostURL(t, srv.URL, "a.test"), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "ok", body)
	})
	t.Run("name resolving to metadata refused", func(t *testing.T) {
		_, _, err := do(t, client(t, NetworkConfig{AllowPrivateNetworks: true, AllowLoopback: true}, TLSConfig{}), http.MethodGet, "http://metadata.test/latest/meta-data/", nil)
		require.ErrorIs(t, err, ErrHostNotAllowed)
		assert.Contains(t, err.Error(), "metadata.test")
		assert.Contains(t, err.Error(), "cloud metadata address 169.254.169.254")
	})
	t.Run("name resolving to private refused", func(t *testing.T) {
		_, _, err := do(t, client(t, NetworkConfig{AllowLoopback: true}, TLSConfig{}), http.MethodGet, "http://rebind.test/", nil)
		require.ErrorIs(t, err, ErrHostNotAllowed)
		assert.Contains(t, err.Error(), "allow_private_networks")
	})
	t.Run("literal metadata refused before dialing", func(t *testing.T) {
		tr, err := buildTransportResolver(NetworkConfig{AllowPrivateNetworks: true, AllowLoopback: true}, TLSConfig{}, 0, testResolver)
		require.NoError(t, err)
		// Straight to the transport, no request check: the dialer refuses.
		req, _ := http.NewRequest(http.MethodGet, "http://169.254.169.254/", nil)
		_, err = tr.RoundTrip(req)
		require.ErrorIs(t, err, ErrHostNotAllowed)
		require.ErrorIs(t, err, netsafe.ErrBlocked)
	})
}

// forwardProxy is an HTTP proxy requiring basic proxy credentials: it
// answers plain-HTTP requests itself (naming the target) and tunnels
// CONNECT.
func forwardProxy(t *testing.T, user, pass string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var seen atomic.Int32
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		if r.Header.Get("Proxy-Authorization") != want {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		if r.Method != http.MethodConnect {
			_, _ = fmt.Fprintf(w, "proxied %s", r.URL.String())
			return
		}
		upstream, err := net.DialTimeout("tcp", r.Host, 2*time.Second)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			_ = upstream.Close()
			return
		}
		go func() {
			_, _ = io.Copy(upstream, buf)
			_ = upstream.Close()
		}()
		_, _ = io.Copy(conn, upstream)
		_ = conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestProxy(t *testing.T) {
	t.Parallel()
	const pass = "Proxy-Pass-42"
	proxy, seen := forwardProxy(t, "svc", pass)
	pu, err := url.Parse(proxy.URL)
	require.NoError(t, err)
	pu.User = url.UserPassword("svc", pass)
	proxyURL := pu.String()

	t.Run("http through the proxy with credentials", func(t *testing.T) {
		n := NetworkConfig{ProxyURL: proxyURL, AllowLoopback: true}
		resp, body, err := do(t, client(t, n, TLSConfig{}), http.MethodGet, "http://itsm.example.com/rest/api/2/issue/1", nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "proxied http://itsm.example.com/rest/api/2/issue/1", body)
	})
	t.Run("https tunnelled through the proxy", func(t *testing.T) {
		p := testPKI(t)
		target := tlsServer(t, p.server, nil)
		n := NetworkConfig{ProxyURL: proxyURL, AllowLoopback: true}
		resp, body, err := do(t, client(t, n, TLSConfig{CACertPEM: p.ca.CertPEM}), http.MethodGet, target.URL, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "anonymous HTTP/2.0", body)
	})
	t.Run("the proxy address obeys the rules", func(t *testing.T) {
		before := seen.Load()
		n := NetworkConfig{ProxyURL: proxyURL}
		_, _, err := do(t, client(t, n, TLSConfig{}), http.MethodGet, "http://itsm.example.com/", nil)
		require.ErrorIs(t, err, ErrHostNotAllowed)
		assert.NotContains(t, err.Error(), pass)
		assert.Equal(t, before, seen.Load())
	})
	t.Run("a metadata target is refused even through the proxy", func(t *testing.T) {
		before := seen.Load()
		n := NetworkConfig{ProxyURL: proxyURL, AllowLoopback: true, AllowPrivateNetworks: true}
		for _, target := range []string{"http://169.254.169.254/latest/meta-data/", "http://metadata.google.internal/"} {
			_, _, err := do(t, client(t, n, TLSConfig{}), http.MethodGet, target, nil)
			require.ErrorIs(t, err, ErrHostNotAllowed, target)
		}
		assert.Equal(t, before, seen.Load())
	})
	t.Run("wrong proxy password: 407, no secret in errors", func(t *testing.T) {
		bad := *pu
		bad.User = url.UserPassword("svc", "Wrong-Pass-7")
		n := NetworkConfig{ProxyURL: bad.String(), AllowLoopback: true}
		resp, _, err := do(t, client(t, n, TLSConfig{}), http.MethodGet, "http://itsm.example.com/", nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusProxyAuthRequired, resp.StatusCode)
		p := testPKI(t)
		_, _, err = do(t, client(t, n, TLSConfig{CACertPEM: p.ca.CertPEM}), http.MethodGet, "https://itsm.example.com/", nil)
		require.Error(t, err)
		for _, s := range n.secretValues() {
			assert.NotContains(t, err.Error(), s)
		}
	})
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	var hops atomic.Int32
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "%s key=%q auth=%q accept=%q", r.Host, r.Header.Get("X-Api-Key"), r.Header.Get("Authorization"), r.Header.Get("Accept"))
	}))
	t.Cleanup(echo.Close)
	p := testPKI(t)
	tlsSrv := tlsServer(t, p.server, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/final":
			_, _ = fmt.Fprintf(w, "final key=%q", r.Header.Get("X-Api-Key"))
		case "/other-host":
			http.Redirect(w, r, hostURL(t, echo.URL, "b.test")+"/x", http.StatusFound)
		case "/metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/", http.StatusFound)
		case "/metadata-name":
			http.Redirect(w, r, "http://metadata.test/", http.StatusFound)
		case "/not-allowed":
			http.Redirect(w, r, "http://outside.example.net/", http.StatusFound)
		case "/loop":
			hops.Add(1)
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/post":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	n := NetworkConfig{AllowLoopback: true, AllowedHosts: []string{"a.test", "b.test", "127.0.0.1"}}
	base := hostURL(t, srv.URL, "a.test")
	key := http.Header{"X-Api-Key": {"Key-Secret-1"}, "Authorization": {"Bearer Tok-Secret-2"}, "Accept": {"application/json"}}

	t.Run("read follows same host with credentials", func(t *testing.T) {
		resp, body, err := do(t, client(t, n, TLSConfig{}), http.MethodGet, base+"/same", key)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, `final key="Key-Secret-1"`, body)
	})
	t.Run("read to another host drops credentials", func(t *testing.T) {
		resp, body, err := do(t, client(t, n, TLSConfig{}), http.MethodGet, base+"/other-host", key)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, body, `key="" auth="" accept="application/json"`)
		assert.Contains(t, body, "b.test:")
	})
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		t.Run("write not followed: "+method, func(t *testing.T) {
			resp, _, err := do(t, client(t, n, TLSConfig{}), method, base+"/post", key)
			require.NoError(t, err)
			assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode, "the 3xx comes back as is")
			assert.Equal(t, "/final", resp.Header.Get("Location"))
		})
	}
	t.Run("redirect to metadata refused", func(t *testing.T) {
		nOpen := NetworkConfig{AllowLoopback: true, AllowPrivateNetworks: true}
		for _, path := range []string{"/metadata", "/metadata-name"} {
			_, _, err := do(t, client(t, nOpen, TLSConfig{}), http.MethodGet, base+path, key)
			require.ErrorIs(t, err, ErrHostNotAllowed, path)
			assert.NotContains(t, err.Error(), "Key-Secret-1")
			assert.NotContains(t, err.Error(), "Tok-Secret-2")
		}
	})
	t.Run("redirect outside allowed hosts refused", func(t *testing.T) {
		_, _, err := do(t, client(t, n, TLSConfig{}), http.MethodGet, base+"/not-allowed", key)
		require.ErrorIs(t, err, ErrHostNotAllowed)
		assert.Contains(t, err.Error(), "outside.example.net")
	})
	t.Run("at most 5 redirects", func(t *testing.T) {
		hops.Store(0)
		_, _, err := do(t, client(t, n, TLSConfig{}), http.MethodGet, base+"/loop", nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "stopped after 5 redirects")
		assert.Equal(t, int32(6), hops.Load())
	})
	t.Run("https to http refused", func(t *testing.T) {
		f := checkRedirect(loopback)
		prev, _ := http.NewRequest(http.MethodGet, tlsSrv.URL, nil)
		next, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		err := f(next, []*http.Request{prev})
		require.ErrorIs(t, err, ErrHostNotAllowed)
		assert.Contains(t, err.Error(), "https to http")
		assert.NoError(t, f(prev, nil))
	})
}

func TestNetworkValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		n      NetworkConfig
		fields []string
	}{
		{"zero", NetworkConfig{}, nil},
		{"good", NetworkConfig{ProxyURL: "http://u:p@proxy.corp:3128", AllowedHosts: []string{"a.example.com", "*.b.example.com", "c.example.com:8443", "10.0.0.1", "[::1]:80", "fd00::1"}}, nil},
		{"https proxy", NetworkConfig{ProxyURL: "https://proxy.corp"}, nil},
		{"socks refused", NetworkConfig{ProxyURL: "socks5://proxy.corp:1080"}, []string{"network.proxy_url"}},
		{"proxy path", NetworkConfig{ProxyURL: "http://proxy.corp:3128/path"}, []string{"network.proxy_url"}},
		{"proxy no host", NetworkConfig{ProxyURL: "http://"}, []string{"network.proxy_url"}},
		{"proxy bad port", NetworkConfig{ProxyURL: "http://proxy.corp:0"}, []string{"network.proxy_url"}},
		{"proxy unparseable", NetworkConfig{ProxyURL: "http://[::1"}, []string{"network.proxy_url"}},
		{"proxy marker password", NetworkConfig{ProxyURL: "http://u:" + RedactedMarker + "@proxy.corp"}, []string{"network.proxy_url"}},
		{"bad hosts", NetworkConfig{AllowedHosts: []string{"ok.example.com", "https://x.example.com/", "", "*.10.0.0.1", "bad host", "x.example.com:70000", "*", "bücher.example"}},
			[]string{"network.allowed_hosts[1]", "network.allowed_hosts[2]", "network.allowed_hosts[3]", "network.allowed_hosts[4]", "network.allowed_hosts[5]", "network.allowed_hosts[6]", "network.allowed_hosts[7]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fields []string
			for _, e := range tt.n.validate("network") {
				fields = append(fields, e.Field)
				assert.NotContains(t, e.Message, ":p@")
			}
			assert.Equal(t, tt.fields, fields)
		})
	}
	t.Run("proxy password never in a message", func(t *testing.T) {
		t.Parallel()
		n := NetworkConfig{ProxyURL: "ftp://user:Hidden-Proxy-Pw@proxy.corp/"}
		errs := n.validate("network")
		require.Len(t, errs, 1)
		assert.NotContains(t, errs[0].Message, "Hidden-Proxy-Pw")
	})
}

func TestNetworkRedactAndKeep(t *testing.T) {
	t.Parallel()
	saved := NetworkConfig{ProxyURL: "http://svc:S3cr%40t@proxy.corp:3128", AllowedHosts: []string{"a.example.com"}}
	red := saved.redacted()
	assert.Equal(t, "http://svc:"+RedactedMarker+"@proxy.corp:3128", red.ProxyURL)
	assert.NotContains(t, red.ProxyURL, "S3cr")
	red.AllowedHosts[0] = "changed"
	assert.Equal(t, "a.example.com", saved.AllowedHosts[0], "redacted copies")
	assert.Equal(t, "http://proxy.corp:3128", NetworkConfig{ProxyURL: "http://proxy.corp:3128"}.redacted().ProxyURL)
	assert.Equal(t, RedactedMarker, NetworkConfig{ProxyURL: "http://u:p@[::1"}.redacted().ProxyURL, "unparseable: hidden")
	assert.Contains(t, saved.secretValues(), "S3cr@t")
	assert.Empty(t, NetworkConfig{ProxyURL: "http://proxy.corp"}.secretValues())

	tests := []struct {
		name string
		edit string
		want string
	}{
		{"marker kept", "http://svc:" + RedactedMarker + "@proxy.corp:3128", "http://svc:S3cr%40t@proxy.corp:3128"},
		{"blank password kept", "http://svc@proxy.corp:3128", "http://svc:S3cr%40t@proxy.corp:3128"},
		{"new password wins", "http://svc:new@proxy.corp:3128", "http://svc:new@proxy.corp:3128"},
		{"no user: no credentials", "http://proxy.corp:3128", "http://proxy.corp:3128"},
		{"proxy removed", "", ""},
		{"other host: not kept", "http://svc:" + RedactedMarker + "@evil.example.net:3128", "http://svc:" + RedactedMarker + "@evil.example.net:3128"},
		{"other host, blank: marker shows it", "http://svc@evil.example.net:3128", "http://svc:" + url.QueryEscape(RedactedMarker) + "@evil.example.net:3128"},
		{"other user: not kept", "http://root:" + RedactedMarker + "@proxy.corp:3128", "http://root:" + RedactedMarker + "@proxy.corp:3128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := NetworkConfig{ProxyURL: tt.edit}
			n.keepSecrets(saved)
			assert.Equal(t, tt.want, n.ProxyURL)
		})
	}
	t.Run("other host keeps failing validation", func(t *testing.T) {
		n := NetworkConfig{ProxyURL: "http://svc@evil.example.net:3128"}
		n.keepSecrets(saved)
		assert.NotEmpty(t, n.validate("network"))
	})
}

func TestBuildTransportDefaults(t *testing.T) {
	t.Parallel()
	tr, err := buildTransport(NetworkConfig{}, TLSConfig{}, 0)
	require.NoError(t, err)
	assert.Equal(t, 64, tr.MaxIdleConnsPerHost)
	assert.True(t, tr.ForceAttemptHTTP2)
	assert.Nil(t, tr.Proxy, "the environment's proxy is never used")
	assert.NotZero(t, tr.TLSHandshakeTimeout)
	assert.NotZero(t, tr.ResponseHeaderTimeout)
	assert.Equal(t, uint16(0x0303), tr.TLSClientConfig.MinVersion)
	assert.False(t, tr.TLSClientConfig.InsecureSkipVerify)

	tr, err = buildTransport(NetworkConfig{}, TLSConfig{}, 8)
	require.NoError(t, err)
	assert.Equal(t, 8, tr.MaxIdleConnsPerHost)

	_, err = buildTransport(NetworkConfig{ProxyURL: "socks5://x", AllowedHosts: []string{"a b"}}, TLSConfig{Verification: "x"}, 0)
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Errors, 3)
}

func TestHostNotAllowedError(t *testing.T) {
	t.Parallel()
	inner := errors.New("inner")
	e := &HostNotAllowedError{Host: "x.example.com", Reason: "not in the allowed hosts", Setting: settingAllowedHosts, Err: inner}
	assert.Equal(t, "httpconn: host not allowed: x.example.com: not in the allowed hosts; add the host to network.allowed_hosts", e.Error())
	assert.ErrorIs(t, e, ErrHostNotAllowed)
	assert.ErrorIs(t, e, inner)
	assert.Equal(t, "httpconn: host not allowed: no URL", (&HostNotAllowedError{Reason: "no URL"}).Error())
}

// TestNetworkRuleMessages: a refusal names the host and, once, the setting
// that would allow it (as spelled in the config's JSON); a refusal no
// setting can lift names none.
func TestNetworkRuleMessages(t *testing.T) {
	t.Parallel()
	all := NetworkConfig{AllowPrivateNetworks: true, AllowLoopback: true}
	for _, tc := range []struct {
		name    string
		n       NetworkConfig
		url     string
		setting string
		want    string
	}{
		{"outside the allow-list", NetworkConfig{AllowedHosts: []string{"itsm.example.com"}}, "https://other.example.com/x", "network.allowed_hosts",
			"httpconn: host not allowed: other.example.com: not in the allowed hosts; add the host to network.allowed_hosts"},
		{"private literal", NetworkConfig{}, "http://10.1.2.3/", "network.allow_private_networks",
			"httpconn: host not allowed: 10.1.2.3: private address; set network.allow_private_networks to allow it"},
		{"loopback literal", NetworkConfig{}, "http://127.0.0.1:8080/", "network.allow_loopback",
			"httpconn: host not allowed: 127.0.0.1:8080: loopback address; set network.allow_loopback to allow it"},
		{"localhost", NetworkConfig{}, "http://localhost:8080/", "network.allow_loopback",
			"httpconn: host not allowed: localhost:8080: loopback host; set network.allow_loopback to allow it"},
		{"allowed host, private address", NetworkConfig{AllowedHosts: []string{"10.0.0.5"}}, "http://10.0.0.5/", "network.allow_private_networks",
			"httpconn: host not allowed: 10.0.0.5: private address; set network.allow_private_networks to allow it"},
		{"metadata literal: no setting", all, "http://169.254.169.254/latest/meta-data/", "",
			"httpconn: host not allowed: 169.254.169.254: cloud metadata address"},
		{"metadata name: no setting", all, "http://metadata.google.internal/", "",
			"httpconn: host not allowed: metadata.google.internal: cloud metadata host names are not allowed"},
		{"scheme: no setting", all, "ftp://itsm.example.com/", "",
			`httpconn: host not allowed: itsm.example.com: scheme "ftp" is not allowed (want http or https)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tc.url)
			require.NoError(t, err)
			err = checkRequestURL(tc.n, u)
			require.ErrorIs(t, err, ErrHostNotAllowed)
			var he *HostNotAllowedError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tc.setting, he.Setting)
			assert.Equal(t, tc.want, err.Error())
			assert.LessOrEqual(t, strings.Count(err.Error(), "network."), 1, "the setting is named once")
		})
	}
}

// TestSettingNamesMatchJSON: the settings named in refusals are the JSON
// names of NetworkConfig's fields under Config's "network".
func TestSettingNamesMatchJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Config{Network: NetworkConfig{AllowedHosts: []string{"x"}, AllowPrivateNetworks: true, AllowLoopback: true}})
	require.NoError(t, err)
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, s := range []string{settingAllowedHosts, settingAllowPrivate, settingAllowLoopback} {
		section, field, ok := strings.Cut(s, ".")
		require.True(t, ok, s)
		var fields map[string]any
		require.NoError(t, json.Unmarshal(doc[section], &fields), s)
		assert.Contains(t, fields, field, s)
	}
}

func FuzzAllowedHosts(f *testing.F) {
	for _, s := range [][2]string{
		{"*.atlassian.net", "https://acme.atlassian.net/x"},
		{"itsm.example.com:8443", "https://ITSM.example.com.:8443/"},
		{"[fd00::5]:443", "https://[fd00::5]/"},
		{"10.0.0.5", "http://10.0.0.5/"},
		{"", "http://169.254.169.254/"},
		{"localhost", "http://[::ffff:127.0.0.1]:80/"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, entry, raw string) {
		e, msg := parseAllowedHost(entry)
		if msg == "" && !e.wildcard && e.host != "" {
			// A valid exact entry always matches its own host.
			port := e.port
			if port == "" {
				port = "443"
			}
			if !hostAllowed([]string{entry}, e.host, port) {
				t.Fatalf("entry %q does not match its own host %q", entry, e.host)
			}
		}
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		n := NetworkConfig{AllowedHosts: []string{entry}, AllowPrivateNetworks: true, AllowLoopback: true}
		err = checkRequestURL(n, u)
		if err == nil {
			// Anything allowed is http(s), has a host inside the list and
			// is not an always-refused address.
			host := normalizeHost(u.Hostname())
			if ip, perr := netip.ParseAddr(host); perr == nil {
				if c := netsafe.Classify(ip); c != netsafe.Public && c != netsafe.Private && c != netsafe.Loopback {
					t.Fatalf("%q allowed with class %s", raw, c)
				}
			}
			if e.wildcard && !strings.HasSuffix(host, "."+e.host) {
				t.Fatalf("%q allowed by wildcard %q", raw, entry)
			}
			if !e.wildcard && host != e.host {
				t.Fatalf("%q allowed by %q", raw, entry)
			}
		} else if !errors.Is(err, ErrHostNotAllowed) {
			t.Fatalf("untyped error %v", err)
		}
		if u.User != nil {
			if p, ok := u.User.Password(); ok && len(p) > 3 && err != nil && strings.Contains(err.Error(), p) {
				t.Fatalf("password in error: %v", err)
			}
		}
	})
}

func BenchmarkCheckRequestURL(b *testing.B) {
	n := NetworkConfig{AllowedHosts: []string{"a.example.com", "*.atlassian.net", "itsm.example.com:443"}}
	u, _ := url.Parse("https://itsm.example.com/rest/api/2/issue")
	b.ReportAllocs()
	for b.Loop() {
		if err := checkRequestURL(n, u); err != nil {
			b.Fatal(err)
		}
	}
}
