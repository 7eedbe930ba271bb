package sysaid_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/sysaid"
)

// TestOptionsJSONRedacted: json.Marshal of Options redacts the password, as
// it does for jira.Options, webhook.Options and httpconn.Config.
func TestOptionsJSONRedacted(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(sysaid.Options{BaseURL: "https://acme.sysaidit.com", Username: "admin", Password: "pw-Secret-1"})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "pw-Secret-1")
	assert.JSONEq(t, `{"base_url":"https://acme.sysaidit.com","username":"admin","password":"`+httpconn.RedactedMarker+`"}`, string(b))
}
