package servicenow_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/servicenow"
)

// TestOptionsJSONRedacted: json.Marshal of Options redacts the secrets, as
// it does for jira.Options, webhook.Options and httpconn.Config.
func TestOptionsJSONRedacted(t *testing.T) {
	t.Parallel()
	for _, auth := range []httpconn.AuthConfig{
		{Type: httpconn.AuthBasic, Username: "integration", Password: "pw-Secret-1"},
		{Type: httpconn.AuthOAuth2, OAuth2: &httpconn.OAuth2Config{TokenURL: "https://acme.service-now.com/oauth_token.do", ClientID: "client", ClientSecret: "pw-Secret-1"}},
	} {
		o := servicenow.Options{InstanceURL: "https://acme.service-now.com", Auth: auth}
		b, err := json.Marshal(o)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "pw-Secret-1")
		assert.Contains(t, string(b), httpconn.RedactedMarker)
		assert.Contains(t, string(b), "acme.service-now.com")
		if auth.OAuth2 != nil {
			assert.Equal(t, "pw-Secret-1", o.Auth.OAuth2.ClientSecret, "the caller's options are not changed")
		}
	}
}
