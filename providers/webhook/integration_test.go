package webhook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/providers/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Both halves' problems come back at once, in one error shape, each field
// under the half it belongs to.
func TestIntegrationValidateReportsBothHalves(t *testing.T) {
	t.Parallel()
	in, err := webhook.NewIntegration(webhook.Options{BaseURL: "https://itsm.example.com/api"})
	require.NoError(t, err)
	require.NoError(t, in.Validate())

	in.Outbound.Create.URL = ""
	in.Inbound.TicketIDPath, in.Inbound.TicketKeyPath = "", ""
	err = in.Validate()
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	var outbound, inbound int
	for _, fe := range ve.Errors {
		switch {
		case fe.Field == "outbound.create.url":
			outbound++
		case fe.Field == "inbound" || strings.HasPrefix(fe.Field, "inbound."):
			inbound++
		default:
			t.Errorf("unexpected field %q: %s", fe.Field, fe.Message)
		}
	}
	assert.Equal(t, 1, outbound, "fields: %v", ve.Errors)
	assert.Equal(t, 1, inbound, "fields: %v", ve.Errors)
}

// The generic integration's connector is the HTTP connector itself: the
// Syncer gives it the lease of httpconn.New of the same config.
func TestLeaseMatchesHTTPConnector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*httpconn.Config)
	}{
		{"defaults", func(*httpconn.Config) {}},
		{"no retries", func(c *httpconn.Config) { c.Retry = httpconn.RetryConfig{MaxAttempts: 1} }},
		{"slow ITSM", func(c *httpconn.Config) {
			c.Timeouts.Request = httpconn.Duration(2 * time.Minute)
			c.Retry = httpconn.RetryConfig{MaxAttempts: 5, MaxRetryAfter: httpconn.Duration(5 * time.Minute)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, err := webhook.NewIntegration(webhook.Options{BaseURL: "https://itsm.example.com/api"})
			require.NoError(t, err)
			in.Outbound.ID = "x"
			tt.mutate(&in.Outbound)
			bare, err := httpconn.New(in.Outbound)
			require.NoError(t, err)
			conn, err := in.Connector()
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })

			assert.Equal(t, bare.MaxCallDuration(), conn.MaxCallDuration())
			assert.Equal(t, itsmtest.CheckLease(t, bare), itsmtest.CheckLease(t, conn))
		})
	}
}
