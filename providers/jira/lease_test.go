package jira_test

import (
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Create or Update sends up to four requests (the write, the status, the
// transitions, the transition): the lease the Syncer takes must outlast all
// of them, not one request of the bare HTTP connector.
func TestLeaseCoversTransitions(t *testing.T) {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := jira.Preset(jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "SEC", Auth: jira.APIToken("a@b.c", "t")})
			require.NoError(t, err)
			cfg.ID = "x"
			tt.mutate(&cfg)
			bare, err := httpconn.New(cfg)
			require.NoError(t, err)
			conn, err := jira.NewConnector(cfg)
			require.NoError(t, err)

			assert.Equal(t, 4*bare.MaxCallDuration(), conn.MaxCallDuration())
			assert.GreaterOrEqual(t, itsmtest.CheckLease(t, conn), itsmtest.CheckLease(t, bare))

			// A lease long enough for one HTTP call is too short for Jira's.
			_, err = itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: "x", LeaseTTL: bare.MaxCallDuration()})
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Errors, 1)
			assert.Equal(t, "lease_ttl", ve.Errors[0].Field)
		})
	}
}

// The optional capabilities are forwarded, not lost by the wrapping.
func TestConnectorForwardsCapabilities(t *testing.T) {
	t.Parallel()
	cfg, err := jira.Preset(jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "SEC", Auth: jira.APIToken("a@b.c", "t")})
	require.NoError(t, err)
	cfg.ID = "x"
	conn, err := jira.NewConnector(cfg)
	require.NoError(t, err)
	assert.True(t, conn.CanFind())
	require.NotNil(t, conn.StatusMapper())
	assert.Equal(t, "Done", conn.StatusMapper().ITSMStatus(itsm.StatusClosed))
	assert.Equal(t, "Highest", conn.StatusMapper().ITSMPriority(itsm.SeverityCritical))

	cfg.Lookup = httpconn.LookupConfig{}
	conn, err = jira.NewConnector(cfg)
	require.NoError(t, err)
	assert.False(t, conn.CanFind(), "no lookup request: the Syncer must not rely on Find")
}
