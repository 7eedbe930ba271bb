package servicenow_test

import (
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every call sends one request (through the config or its resolve
// variant), so the Syncer gives the ServiceNow connector exactly the lease
// of a bare HTTP connector of the same config.
func TestLeaseMatchesHTTPConnector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*httpconn.Config)
	}{
		{"defaults", func(*httpconn.Config) {}},
		{"no retries", func(c *httpconn.Config) { c.Retry = httpconn.RetryConfig{MaxAttempts: 1} }},
		{"slow instance", func(c *httpconn.Config) {
			c.Timeouts.Request = httpconn.Duration(2 * time.Minute)
			c.Retry = httpconn.RetryConfig{MaxAttempts: 5, MaxRetryAfter: httpconn.Duration(5 * time.Minute)}
		}},
		{"close fields in the payload", func(c *httpconn.Config) {
			c.Update.Payload = `{"state": "$itsm_status", "close_code": "$close_code", "close_notes": "$close_notes"}`
			c.Update.OmitEmpty = []string{"state"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := presetConfig(t, "https://dev12345.service-now.com")
			tt.mutate(&cfg)
			bare, err := httpconn.New(cfg)
			require.NoError(t, err)
			conn, err := servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })

			assert.Equal(t, bare.MaxCallDuration(), conn.MaxCallDuration())
			assert.Equal(t, itsmtest.CheckLease(t, bare), itsmtest.CheckLease(t, conn))
		})
	}
}

// The optional capabilities are forwarded, not lost by the wrapping.
func TestConnectorForwardsCapabilities(t *testing.T) {
	t.Parallel()
	cfg := presetConfig(t, "https://dev12345.service-now.com")
	conn, err := servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	assert.True(t, conn.CanFind())
	require.NotNil(t, conn.StatusMapper())
	assert.Equal(t, "6", conn.StatusMapper().ITSMStatus(itsm.StatusResolved))

	cfg.Lookup = httpconn.LookupConfig{}
	conn, err = servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	assert.False(t, conn.CanFind(), "no lookup request: the Syncer must not rely on Find")
}
