package webhook_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// The webhook preset builds a plain HTTP connector: its target is the
// generic one, from the create URL.
func TestPresetTarget(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"https://itsm.example.com/api/v1/", "https://ITSM.example.com:443/api/v1"} {
		cfg, err := webhook.Preset(webhook.Options{BaseURL: base,
			Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "tok-SECRET"}})
		require.NoError(t, err)
		c, err := httpconn.New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		assert.Equal(t, "http|https://itsm.example.com:443|/api/v1/tickets", c.Target(), base)
	}
}
