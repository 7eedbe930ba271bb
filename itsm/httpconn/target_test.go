package httpconn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

func targetConfig(createURL string) httpconn.Config {
	return httpconn.Config{
		Name:         "t",
		Create:       httpconn.EndpointConfig{URL: createURL, Payload: `{"title": "$case_name"}`},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{URL: "https://itsm.example.com/api/tickets/$ticket_id", Payload: `{"title": "$case_name"}`},
	}
}

func TestConnectorTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		create string
		target string // Config.Target
		want   string
	}{
		{"origin and path", "https://itsm.example.com/api/tickets", "", "http|https://itsm.example.com:443|/api/tickets"},
		{"renamed but equal: case, default port, trailing slash", "https://ITSM.example.COM:443/api/tickets/", "", "http|https://itsm.example.com:443|/api/tickets"},
		{"query (may hold a key) left out", "https://itsm.example.com/api/tickets?api_key=s3cret", "", "http|https://itsm.example.com:443|/api/tickets"},
		{"another port is another target", "https://itsm.example.com:8443/api/tickets", "", "http|https://itsm.example.com:8443|/api/tickets"},
		{"the config's target wins", "https://itsm.example.com/api/tickets", " acme-helpdesk ", "acme-helpdesk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := targetConfig(tt.create)
			cfg.Target = tt.target
			c, err := httpconn.New(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			var tg itsm.Targeter = c
			assert.Equal(t, tt.want, tg.Target())
			assert.NotContains(t, tg.Target(), "s3cret")
		})
	}
}

func TestConfigTargetVariableHost(t *testing.T) {
	t.Parallel()
	cfg := targetConfig("https://bot:pa55@$fields.tenant.example.com/api/tickets?key=s3cret")
	got := httpconn.ConfigTarget(cfg)
	assert.Equal(t, "http|https://$fields.tenant.example.com/api/tickets", got)
}

func TestConfigTargetValidated(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"   ", "a\nb", string(make([]byte, 257))} {
		cfg := targetConfig("https://itsm.example.com/api/tickets")
		cfg.Target = bad
		err := cfg.Validate()
		var ve *itsm.ValidationError
		require.ErrorAs(t, err, &ve, "%q", bad)
		assert.Equal(t, "target", ve.Errors[0].Field)
	}
}
