package itsmsync_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/kibana"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/itsmsync/itsmsync/providers/webhook"
	"github.com/itsmsync/itsmsync/statusmap"
)

func errOf[T any](_ T, err error) error { return err }

// TestOneValidationError checks the README's promise across the SDK: every
// constructor and every Validate reports an invalid configuration or input
// as *itsm.ValidationError (errors.As), wrapping itsm.ErrInvalidConfig or
// itsm.ErrInvalidInput, with the refusing package's prefix once.
func TestOneValidationError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		input     bool
		component string // "" reads "itsm"
	}{
		{"itsm.NewSyncer", errOf(itsm.NewSyncer(nil, nil, itsm.SyncerConfig{})), false, ""},
		{"itsm.NewRegistry", errOf(itsm.NewRegistry(nil)), false, ""},
		{"itsm.Case.Validate", (&itsm.Case{}).Validate(), true, ""},
		{"httpconn.New", errOf(httpconn.New(httpconn.Config{})), false, "httpconn"},
		{"httpconn.NewWithHooks", errOf(httpconn.NewWithHooks(httpconn.Config{}, httpconn.Hooks{})), false, "httpconn"},
		{"httpconn.Config.Validate", httpconn.Config{}.Validate(), false, "httpconn"},
		{"callback.NewAESGCMSealer", errOf(callback.NewAESGCMSealer([]byte("short"))), false, "callback"},
		{"callback.NewApplier", errOf(callback.NewApplier(callback.ApplierConfig{})), false, "callback"},
		{"callback.ApplierConfig.Validate", callback.ApplierConfig{}.Validate(), false, "callback"},
		{"callback.NewHMACVerifier", errOf(callback.NewHMACVerifier(callback.HMACConfig{})), false, "callback"},
		{"callback.HMACConfig.Validate", callback.HMACConfig{}.Validate(), false, "callback"},
		{"callback.NewHandler", errOf(callback.NewHandler(callback.HandlerConfig{})), false, "callback"},
		{"callback.HandlerConfig.Validate", callback.HandlerConfig{}.Validate(), false, "callback"},
		{"callback.NewJSONParser", errOf(callback.NewJSONParser(callback.JSONParserConfig{})), false, "callback"},
		{"callback.JSONParserConfig.Validate", callback.JSONParserConfig{}.Validate(), false, "callback"},
		{"callback.NewReconciler", errOf(callback.NewReconciler(callback.ReconcilerConfig{})), false, "callback"},
		{"callback.ReconcilerConfig.Validate", callback.ReconcilerConfig{}.Validate(), false, "callback"},
		{"callback.NewSecrets", errOf(callback.NewSecrets(nil, nil, callback.SecretsConfig{})), false, "callback"},
		{"callback.NewStandardWebhooksVerifier", errOf(callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{})), false, "callback"},
		{"callback.StandardWebhooksConfig.Validate", callback.StandardWebhooksConfig{}.Validate(), false, "callback"},
		{"callback.NewTokens", errOf(callback.NewTokens(nil, callback.TokensConfig{})), false, "callback"},
		{"callback.Event.Validate", callback.Event{}.Validate(), true, "callback"},
		{"sqlstore.New", errOf(sqlstore.New(nil, "oracle")), false, "sqlstore"},
		{"jira.Preset", errOf(jira.Preset(jira.Options{})), false, "jira"},
		{"jira.NewConnector", errOf(jira.NewConnector(httpconn.Config{})), false, "httpconn"},
		{"jira.Verifier", errOf(jira.Verifier("")), false, "callback"},
		{"servicenow.Preset", errOf(servicenow.Preset(servicenow.Options{})), false, "servicenow"},
		{"servicenow.Options.Validate", servicenow.Options{}.Validate(), false, "servicenow"},
		{"servicenow.NewConnector", errOf(servicenow.NewConnector(httpconn.Config{}, servicenow.ConnectorConfig{})), false, "httpconn"},
		{"sysaid.Preset", errOf(sysaid.Preset(sysaid.Options{})), false, "sysaid"},
		{"sysaid.Options.Validate", sysaid.Options{}.Validate(), false, "sysaid"},
		{"sysaid.NewConnector", errOf(sysaid.NewConnector(httpconn.Config{}, sysaid.ConnectorConfig{})), false, "sysaid"},
		{"sysaid.Verifier", errOf(sysaid.Verifier()), false, "callback"},
		{"webhook.Preset", errOf(webhook.Preset(webhook.Options{})), false, "webhook"},
		{"webhook.NewIntegration", errOf(webhook.NewIntegration(webhook.Options{})), false, "webhook"},
		{"webhook.Integration.Validate", webhook.Integration{}.Validate(), false, "webhook"},
		{"kibana.Import", func() error { _, _, err := kibana.Import([]byte(`[]`)); return err }(), true, "kibana"},
		{"statusmap.Map.Validate", (&statusmap.Map{Entries: []statusmap.Entry{{}}}).Validate(), false, "statusmap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Error(t, tt.err)
			var ve *itsm.ValidationError
			require.ErrorAs(t, tt.err, &ve)
			assert.NotEmpty(t, ve.Errors)
			assert.Equal(t, tt.input, ve.Input)
			assert.Equal(t, tt.component, ve.Component)
			if tt.input {
				assert.ErrorIs(t, tt.err, itsm.ErrInvalidInput)
			} else {
				assert.ErrorIs(t, tt.err, itsm.ErrInvalidConfig)
			}
		})
	}
}
