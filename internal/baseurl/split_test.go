package baseurl

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in           string
		origin, path string
		ok           bool
	}{
		{"https://ITSM.Example.com/api/tickets/", "https://itsm.example.com:443", "/api/tickets", true},
		{"https://itsm.example.com:443/api/tickets", "https://itsm.example.com:443", "/api/tickets", true},
		{"HTTP://itsm.example.com./x?api_key=s3cret#f", "http://itsm.example.com:80", "/x", true},
		{"https://user:pa55@itsm.example.com:8443", "https://itsm.example.com:8443", "", true},
		{"https://[::1]:9000/t", "https://[::1]:9000", "/t", true},
		{"https://$host/api", "", "", false},
		{"ftp://itsm.example.com/x", "", "", false},
		{"/relative/path", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			origin, path, ok := Split(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.origin, origin)
			assert.Equal(t, tt.path, path)
		})
	}
}
