package baseurl

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://x.example/a", "https://x.example/b?q=1", true},
		{"https://X.Example/a", "HTTPS://x.example:443/", true},
		{"http://x.example/", "http://x.example:80/", true},
		{"https://x.example./", "https://x.example/", true},
		{"http://x.example/", "https://x.example/", false},
		{"http://x.example:8443/", "https://x.example:8443/", false},
		{"https://x.example/", "https://x.example:8443/", false},
		{"https://x.example/", "https://y.x.example/", false},
		{"https://x.example/", "https://x.example.evil/", false},
		{"http://127.0.0.1:1000/", "http://127.0.0.1:1001/", false},
		{"http://[::1]:80/", "http://[::1]/", true},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		assert.Equal(t, tt.want, SameOrigin(a, b), "%s vs %s", tt.a, tt.b)
		assert.Equal(t, tt.want, SameOrigin(b, a), "%s vs %s", tt.b, tt.a)
	}
	assert.False(t, SameOrigin(nil, nil))
}
