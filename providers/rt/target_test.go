package rt_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/rt"
)

func TestConnectorTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		base  string
		queue string
		edit  func(*httpconn.Config)
		want  string
	}{
		{"default queue", "https://rt.example.com", "", nil, "rt|https://rt.example.com:443|queue=General"},
		{"renamed but equal, with a path", "https://RT.example.com:443/rt/", "Security", nil, "rt|https://rt.example.com:443/rt|queue=Security"},
		{"another queue", "https://rt.example.com/rt", "Abuse", nil, "rt|https://rt.example.com:443/rt|queue=Abuse"},
		{"the config's target wins", "https://rt.example.com", "", func(c *httpconn.Config) { c.Target = "rt-prod" }, "rt-prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := rt.Preset(rt.Options{BaseURL: tt.base, Queue: tt.queue,
				Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "1-2-s3cret"}})
			require.NoError(t, err)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			c, err := rt.NewConnector(cfg, rt.ConnectorConfig{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			assert.Equal(t, tt.want, c.Target())
			assert.NotContains(t, c.Target(), "s3cret")
		})
	}
}
