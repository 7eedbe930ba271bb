package sysaid_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/sysaid"
)

func TestConnectorTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		base    string
		account string
		edit    func(*httpconn.Config)
		want    string
	}{
		{"server and account", "https://acme.sysaidit.com", "acme", nil, "sysaid|https://acme.sysaidit.com:443|account=acme"},
		{"renamed but equal", "https://ACME.sysaidit.com:443/", "acme", nil, "sysaid|https://acme.sysaidit.com:443|account=acme"},
		{"no account id", "https://sysaid.example.com:8443", "", nil, "sysaid|https://sysaid.example.com:8443"},
		{"the config's target wins", "https://acme.sysaidit.com", "acme", func(c *httpconn.Config) { c.Target = "sysaid-prod" }, "sysaid-prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := presetConfig(t, tt.base)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			c, err := sysaid.NewConnector(cfg, sysaid.ConnectorConfig{AccountID: tt.account})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			assert.Equal(t, tt.want, c.Target())
			assert.NotContains(t, c.Target(), testPassword)
		})
	}
}
