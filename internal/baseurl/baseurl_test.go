package baseurl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		raw, want, err string
	}{
		{"https://dev1.service-now.com", "https://dev1.service-now.com", ""},
		{" https://acme.sysaidit.com/ ", "https://acme.sysaidit.com", ""},
		{"https://host:8443", "https://host:8443", ""},
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000", ""},
		{"http://localhost", "http://localhost", ""},
		{"", "", "is required"},
		{"dev1.service-now.com", "", "must be an absolute URL such as https://x.example"},
		{"https://user:pw@host", "", "must not contain credentials (use auth)"},
		{"https://host/api", "", "must be the base URL, without path or query"},
		{"https://host?x=1", "", "must be the base URL, without path or query"},
		{"http://itsm.example.com", "", "must use https"},
		{"ftp://host", "", "must use https"},
	} {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := Check(tt.raw, "https://x.example")
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				assert.NotContains(t, err.Error(), "pw")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
