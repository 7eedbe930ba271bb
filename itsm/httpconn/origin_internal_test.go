package httpconn

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedirectCredentialsStayOnOrigin: credentials (the auth header, a
// fetched OAuth2 token, API keys, secret headers, cookies) follow a redirect
// only to the same origin — scheme, host and port — as the first request.
func TestRedirectCredentialsStayOnOrigin(t *testing.T) {
	t.Parallel()
	n := NetworkConfig{AllowLoopback: true, AllowedHosts: []string{"a.test", "b.test"}}
	tests := []struct {
		name, from, to string
		keep           bool
	}{
		{"same origin", "https://a.test/x", "https://a.test/y", true},
		{"default port spelled", "https://a.test/x", "https://A.test:443/y", true},
		{"http to https on one host and port", "http://a.test:8443/x", "https://a.test:8443/y", false},
		{"other port", "https://a.test/x", "https://a.test:8443/y", false},
		{"other host", "https://a.test/x", "https://b.test/y", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			first, err := http.NewRequest(http.MethodGet, tt.from, nil)
			require.NoError(t, err)
			next, err := http.NewRequest(http.MethodGet, tt.to, nil)
			require.NoError(t, err)
			next.Header = http.Header{
				"Authorization": {"Bearer fetched-token-1"},
				"Cookie":        {"JSESSIONID=sess-1"},
				"X-Api-Key":     {"key-1"},
				"Accept":        {"application/json"},
			}
			require.NoError(t, checkRedirect(n)(next, []*http.Request{first}))
			assert.Equal(t, "application/json", next.Header.Get("Accept"))
			for _, h := range []string{"Authorization", "Cookie", "X-Api-Key"} {
				if tt.keep {
					assert.NotEmpty(t, next.Header.Get(h), h)
				} else {
					assert.Empty(t, next.Header.Get(h), h)
				}
			}
		})
	}
}
