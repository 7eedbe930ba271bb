package itsmsync_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/itsm/sqlstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/kibana"
	"github.com/itsmsync/itsmsync/providers/rt"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/itsmsync/itsmsync/providers/sysaid"
	"github.com/itsmsync/itsmsync/providers/webhook"
	"github.com/itsmsync/itsmsync/statusmap"
)

func errOf[T any](_ T, err error) error { return err }

// configWith returns a valid generic config (its create carries
// $correlation_key, its comment $note_marker) changed by edit.
func configWith(t *testing.T, edit func(*httpconn.Config)) httpconn.Config {
	t.Helper()
	cfg, err := webhook.Preset(webhook.Options{BaseURL: "https://itsm.example.com/api"})
	require.NoError(t, err)
	cfg.ID = "int-1"
	require.NoError(t, cfg.Validate())
	edit(&cfg)
	return cfg
}

// withConfig is the Validate error of configWith(t, edit).
func withConfig(t *testing.T, edit func(*httpconn.Config)) error {
	t.Helper()
	return configWith(t, edit).Validate()
}

func newConn(t *testing.T) *httpconn.Connector {
	t.Helper()
	conn, err := httpconn.New(configWith(t, func(*httpconn.Config) {}))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

func newSyncer(t *testing.T) *itsm.Syncer {
	t.Helper()
	s, err := itsm.NewSyncer(newConn(t), memstore.New(), itsm.SyncerConfig{IntegrationID: "int-1"})
	require.NoError(t, err)
	return s
}

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
		{"rt.Preset", errOf(rt.Preset(rt.Options{})), false, "rt"},
		{"rt.Options.Validate", rt.Options{}.Validate(), false, "rt"},
		{"rt.NewConnector", errOf(rt.NewConnector(httpconn.Config{}, rt.ConnectorConfig{})), false, "httpconn"},
		// Exactly once: the lookup proves its match, the comment lookup
		// finds a marker the comment writes, the target is plain text.
		{"httpconn.Config.Validate lookup without match_path", withConfig(t, func(c *httpconn.Config) {
			c.Lookup = httpconn.LookupConfig{URL: "https://itsm.example.com/api/tickets?ref=$correlation_key", TicketIDPath: "0.id"}
		}), false, "httpconn"},
		{"httpconn.Config.Validate lookup with a create without the key", withConfig(t, func(c *httpconn.Config) {
			c.Create.Payload = `{"title": "$case_name"}`
			c.Lookup = httpconn.LookupConfig{URL: "https://itsm.example.com/api/tickets?ref=$correlation_key", ItemsPath: "@this", TicketIDPath: "id", MatchPath: "ref"}
		}), false, "httpconn"},
		{"httpconn.Config.Validate comment_lookup without paths", withConfig(t, func(c *httpconn.Config) {
			c.CommentLookup = httpconn.CommentLookupConfig{URL: "https://itsm.example.com/api/tickets/$ticket_id/comments"}
		}), false, "httpconn"},
		{"httpconn.Config.Validate comment_lookup without $note_marker", withConfig(t, func(c *httpconn.Config) {
			c.Comment.Payload = `{"text": $note_text}`
			c.CommentLookup = httpconn.CommentLookupConfig{URL: "https://itsm.example.com/api/tickets/$ticket_id/comments", ItemsPath: "@this", MatchPath: "marker"}
		}), false, "httpconn"},
		{"httpconn.Config.Validate target", withConfig(t, func(c *httpconn.Config) { c.Target = "queue\nB" }), false, "httpconn"},
		{"httpconn.New comment_lookup", errOf(httpconn.New(configWith(t, func(c *httpconn.Config) {
			c.CommentLookup = httpconn.CommentLookupConfig{URL: "https://itsm.example.com/api/tickets/$ticket_id/comments", ItemsPath: "[", MatchPath: "marker"}
		}))), false, "httpconn"},
		{"itsm.NewSyncer UnconfirmedNotes", errOf(itsm.NewSyncer(newConn(t), memstore.New(), itsm.SyncerConfig{IntegrationID: "int-1", UnconfirmedNotes: itsm.NotePolicy(7)})), false, ""},
		{"itsm.Syncer.DismissOrphan", newSyncer(t).DismissOrphan(t.Context(), "", ""), true, ""},
		{"itsm.Syncer.RetryNote", newSyncer(t).RetryNote(t.Context(), "", ""), true, ""},
		{"itsm.Syncer.ConfirmNote", newSyncer(t).ConfirmNote(t.Context(), "", "", true), true, ""},
		{"itsm.Syncer.RetireLinks current target", errOf(newSyncer(t).RetireLinks(t.Context(), newSyncer(t).Target())), true, ""},
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
