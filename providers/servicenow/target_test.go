package servicenow_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/servicenow"
)

func TestConnectorTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		instance string
		table    string
		edit     func(*httpconn.Config)
		want     string
	}{
		{"incident", "https://acme.service-now.com", "", nil, "servicenow|https://acme.service-now.com:443|table=incident"},
		{"renamed but equal", "https://ACME.service-now.com:443/", "", nil, "servicenow|https://acme.service-now.com:443|table=incident"},
		{"another table", "https://acme.service-now.com", "sn_si_incident", nil, "servicenow|https://acme.service-now.com:443|table=sn_si_incident"},
		{"versioned Table API URL", "https://acme.service-now.com", "", func(c *httpconn.Config) {
			c.Create.URL = "https://acme.service-now.com/api/now/v2/table/incident"
		}, "servicenow|https://acme.service-now.com:443|table=incident"},
		{"the config's target wins", "https://acme.service-now.com", "", func(c *httpconn.Config) { c.Target = "sn-prod" }, "sn-prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := servicenow.Preset(servicenow.Options{InstanceURL: tt.instance, Table: tt.table,
				Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "bot", Password: "s3cret"}})
			require.NoError(t, err)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			c, err := servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			assert.Equal(t, tt.want, c.Target())
		})
	}
}
