package jira_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/jira"
)

func TestConnectorTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts jira.Options
		edit func(*httpconn.Config)
		want string
	}{
		{"cloud", jira.Options{BaseURL: "https://acme.atlassian.net", ProjectKey: "SEC"},
			nil, "jira|https://acme.atlassian.net:443|project=SEC"},
		{"renamed but equal: case, port, slash, key case, API version", jira.Options{BaseURL: "https://ACME.atlassian.net:443/", ProjectKey: "sec", APIVersion: "2"},
			nil, "jira|https://acme.atlassian.net:443|project=SEC"},
		{"data center with a context path", jira.Options{BaseURL: "https://example.com/jira", ProjectKey: "OPS", Deployment: jira.DataCenter},
			nil, "jira|https://example.com:443/jira|project=OPS"},
		{"gateway keeps the cloud id", jira.Options{BaseURL: "https://api.atlassian.com/ex/jira/1234-abcd", SiteURL: "https://acme.atlassian.net", ProjectKey: "SEC"},
			nil, "jira|https://api.atlassian.com:443/ex/jira/1234-abcd|project=SEC"},
		{"another project is another target", jira.Options{BaseURL: "https://acme.atlassian.net", ProjectKey: "IR"},
			nil, "jira|https://acme.atlassian.net:443|project=IR"},
		{"the config's target wins", jira.Options{BaseURL: "https://acme.atlassian.net", ProjectKey: "SEC"},
			func(c *httpconn.Config) { c.Target = "jira-prod" }, "jira-prod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Auth = jira.APIToken("bot@example.com", "s3cret-token")
			cfg, err := jira.Preset(tt.opts)
			require.NoError(t, err)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			c, err := jira.NewConnector(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			assert.Equal(t, tt.want, c.Target())
			assert.NotContains(t, c.Target(), "s3cret")
		})
	}
}
