package sysaid_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The login runs inside the attempt that needs it (within its request
// timeout), so a plain SysAid connector gets the lease of a bare HTTP
// connector; the close call after an update doubles the longest call.
func TestLeaseCoversWholeCall(t *testing.T) {
	t.Parallel()
	slow := func(c *httpconn.Config) {
		c.Timeouts.Request = httpconn.Duration(2 * time.Minute)
		c.Retry = httpconn.RetryConfig{MaxAttempts: 5, MaxRetryAfter: httpconn.Duration(5 * time.Minute)}
	}
	tests := []struct {
		name     string
		cc       sysaid.ConnectorConfig
		mutate   func(*httpconn.Config)
		multiple time.Duration // of the bare connector's budget
	}{
		{"defaults", sysaid.ConnectorConfig{}, nil, 1},
		{"slow instance", sysaid.ConnectorConfig{}, slow, 1},
		{"close call", sysaid.ConnectorConfig{CloseWithSolution: true}, nil, 2},
		{"close call, no retries", sysaid.ConnectorConfig{CloseWithSolution: true}, func(c *httpconn.Config) {
			c.Retry = httpconn.RetryConfig{MaxAttempts: 1}
		}, 2},
		{"close call, slow instance", sysaid.ConnectorConfig{CloseWithSolution: true}, slow, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := presetConfig(t, "https://acme.sysaidit.com")
			if tt.mutate != nil {
				tt.mutate(&cfg)
			}
			bare, err := httpconn.New(cfg)
			require.NoError(t, err)
			conn, err := sysaid.NewConnector(cfg, tt.cc)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })

			assert.Equal(t, tt.multiple*bare.MaxCallDuration(), conn.MaxCallDuration())
			bareLease, lease := itsmtest.CheckLease(t, bare), itsmtest.CheckLease(t, conn)
			if tt.multiple == 1 {
				assert.Equal(t, bareLease, lease)
			} else {
				assert.Greater(t, lease, bareLease)
			}
		})
	}
}

// The optional capabilities are forwarded, not lost by the wrapping.
func TestConnectorForwardsCapabilities(t *testing.T) {
	t.Parallel()
	cfg := presetConfig(t, "https://acme.sysaidit.com")
	conn, err := sysaid.NewConnector(cfg, sysaid.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	assert.True(t, conn.CanFind())
	require.NotNil(t, conn.StatusMapper())
	assert.Equal(t, "3", conn.StatusMapper().ITSMStatus(itsm.StatusClosed))

	cfg.Lookup = httpconn.LookupConfig{}
	conn, err = sysaid.NewConnector(cfg, sysaid.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	assert.False(t, conn.CanFind(), "no lookup request: the Syncer must not rely on Find")
}

// A login that never answers is cut by the request timeout of the attempt
// that needed it: the budget above needs no room for logins.
func TestLoginBoundedByRequestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // the login never answers while the test runs
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	cfg := presetConfig(t, srv.URL)
	cfg.Network.AllowLoopback = true
	cfg.Timeouts.Request = httpconn.Duration(50 * time.Millisecond)
	cfg.Retry = httpconn.RetryConfig{MaxAttempts: 1}
	conn, err := sysaid.NewConnector(cfg, sysaid.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	cs := sampleCase(itsm.StatusOpen)
	_, err = conn.Get(context.Background(), itsm.Ticket{ID: "148"})
	require.Error(t, err)
	_, err = conn.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.Error(t, err)
}
