package acceptance

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

const acmeToken = "acme-s3cr3t-bearer-token"

// acmeConfig is the generic webhook preset pointed at the fake AcmeDesk, as
// a host would save it on first use.
func acmeConfig(t *testing.T, a *acmeDesk) httpconn.Config {
	t.Helper()
	cfg, err := webhook.Preset(webhook.Options{
		Name:    "AcmeDesk",
		BaseURL: a.URL(),
		ViewURL: a.srv.URL + "/ui/tickets/$ticket_id",
		Lookup:  true,
		Auth:    httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: acmeToken},
		Network: httpconn.NetworkConfig{AllowLoopback: true},
	})
	require.NoError(t, err)
	cfg = cfg.Merge(httpconn.Config{}) // first save: an ID is assigned
	require.NotEmpty(t, cfg.ID)
	require.NoError(t, cfg.Validate())
	return cfg
}

// A hostile case title, tags and a 20-digit numeric ticket id go through the
// generic preset untouched: the ITSM receives valid JSON with the exact
// text, and every later request addresses the exact id.
func TestWebhookPresetAcmeDesk(t *testing.T) {
	ctx := testContext(t)
	a := newAcmeDesk(t, acmeToken)
	cfg := acmeConfig(t, a)
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })

	clk := newClock()
	store := memstore.New()
	syncer, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: cfg.ID}, itsm.WithClock(clk))
	require.NoError(t, err)

	title := "Login \"storm\" on vpn-gw-01\nsecond line\t🚀 <b>&amp; \\ \u2028 $case_id ${x} $$"
	c := itsm.Case{
		ID:          "CASE-42",
		Title:       title,
		Description: "line 1\r\nline 2 \"quoted\" 💥",
		Severity:    itsm.SeverityCritical,
		Status:      itsm.StatusOpen,
		Tags:        []string{"vpn", `a"b`, "ü", "comma,inside", ""},
		Assignee:    "alice",
	}

	res, err := syncer.Sync(ctx, c, nil)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, acmeFirstID, res.TicketID, "a 20-digit numeric id must be kept exact")
	assert.Equal(t, a.srv.URL+"/ui/tickets/"+acmeFirstID, res.URL)

	tk := a.snapshot(acmeFirstID)
	require.NotNil(t, tk)
	assert.Equal(t, "[SIEM] "+title, tk.Body["title"])
	assert.Equal(t, c.Description, tk.Body["description"])
	assert.Equal(t, []any{"vpn", `a"b`, "ü", "comma,inside", ""}, tk.Body["tags"])
	assert.Equal(t, itsm.CorrelationKey(cfg.ID, c.ID), tk.Body["correlation_key"])
	assert.Equal(t, "critical", tk.Body["severity"])

	// After the cooldown, an edit and a note: the update goes to the exact id.
	clk.Add(itsm.DefaultCooldownPeriod + time.Second)
	c.Status = itsm.StatusResolved
	c.Title = "renamed 🎯"
	notes := []itsm.Note{{ID: "n1", Author: "bob", Text: "He wrote: \"done\"\n— 👍"}}
	res, err = syncer.Sync(ctx, c, notes)
	require.NoError(t, err)
	assert.True(t, res.Updated)
	assert.Equal(t, acmeFirstID, res.TicketID)
	assert.Equal(t, 1, res.NotesPosted)

	tk = a.snapshot(acmeFirstID)
	require.NotNil(t, tk)
	assert.Equal(t, 1, tk.Updates)
	assert.Equal(t, "[SIEM] renamed 🎯", tk.Body["title"])
	assert.Equal(t, "resolved", tk.Body["status"])
	require.Len(t, tk.Comments, 1)
	assert.Equal(t, notes[0].Text, tk.Comments[0]["text"])
	assert.Equal(t, 1, a.createCount())
	assert.Contains(t, a.paths, "PUT /api/tickets/"+acmeFirstID)
	assert.Contains(t, a.paths, "POST /api/tickets/"+acmeFirstID+"/comments")

	st, err := syncer.State(ctx, c.ID)
	require.NoError(t, err)
	assert.True(t, st.Linked)
	assert.Equal(t, acmeFirstID, st.TicketID)

	// A third sync posts nothing twice.
	clk.Add(itsm.DefaultCooldownPeriod + time.Second)
	res, err = syncer.Sync(ctx, c, notes)
	require.NoError(t, err)
	assert.Equal(t, 0, res.NotesPosted)
	assert.Len(t, a.snapshot(acmeFirstID).Comments, 1)
}

// An ITSM that echoes the Authorization header in its error body must not
// get the token into the error a host logs.
func TestWebhookPresetErrorNeverHoldsToken(t *testing.T) {
	ctx := testContext(t)
	a := newAcmeDesk(t, acmeToken)
	a.failWith = http.StatusBadRequest
	cfg := acmeConfig(t, a)
	conn, err := httpconn.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: cfg.ID}, itsm.WithClock(newClock()))
	require.NoError(t, err)

	_, err = syncer.Sync(ctx, itsm.Case{ID: "CASE-1", Title: "t"}, nil)
	require.Error(t, err)
	var he *httpconn.HTTPError
	require.True(t, errors.As(err, &he), "want *httpconn.HTTPError, got %T: %v", err, err)
	assert.Equal(t, http.StatusBadRequest, he.StatusCode)
	assert.NotContains(t, err.Error(), acmeToken)
	assert.NotContains(t, he.Body, acmeToken)
	assert.Contains(t, he.Body, "denied", "the harmless part of the body is kept")
}

// A misspelled variable is refused on Validate, naming the field and the
// unknown name, in every place a template can sit.
func TestConfigMisspelledVariable(t *testing.T) {
	a := newAcmeDesk(t, acmeToken)
	tests := []struct {
		name  string
		edit  func(*httpconn.Config)
		field string
		bad   string
	}{
		{"create payload", func(c *httpconn.Config) {
			c.Create.Payload = strings.Replace(c.Create.Payload, "$case_name", "$case_nmae", 1)
		}, "create.payload", "case_nmae"},
		{"update url", func(c *httpconn.Config) { c.Update.URL = a.URL() + "/tickets/$tciket_id" }, "update.url", "tciket_id"},
		{"comment payload", func(c *httpconn.Config) { c.Comment.Payload = `{"text": "$note_txt"}` }, "comment.payload", "note_txt"},
		{"header", func(c *httpconn.Config) { c.Headers = map[string]string{"X-Case": "$caseid"} }, "headers", "caseid"},
		{"note variable in create", func(c *httpconn.Config) {
			c.Create.Payload = `{"title": "$case_name", "text": "$note_text"}`
		}, "create.payload", "note_text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := acmeConfig(t, a)
			tt.edit(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, itsm.ErrInvalidConfig)
			var ve *itsm.ValidationError
			require.True(t, errors.As(err, &ve))
			var found bool
			for _, fe := range ve.Errors {
				if strings.HasPrefix(fe.Field, tt.field) {
					found = true
					assert.Contains(t, fe.Message, tt.bad, "the message names the unknown variable")
				}
			}
			assert.True(t, found, "no field error for %s in %v", tt.field, ve.Errors)
			_, err = httpconn.New(cfg)
			assert.ErrorIs(t, err, itsm.ErrInvalidConfig, "a connector is never built from an invalid config")
		})
	}
}

// The config drawer's life: marshal for the UI (redacted), the UI sends it
// back edited, Merge restores the secrets, MarshalSecrets persists them.
func TestConfigJSONRoundTrip(t *testing.T) {
	a := newAcmeDesk(t, acmeToken)
	saved := acmeConfig(t, a)
	saved.SecretHeaders = map[string]string{"X-Acme-Secret": "hdr-s3cr3t"}
	saved.Network.ProxyURL = "http://proxyuser:proxy-pw@127.0.0.1:3128"
	require.NoError(t, saved.Validate())

	ui, err := json.Marshal(saved)
	require.NoError(t, err)
	for _, secret := range []string{acmeToken, "hdr-s3cr3t", "proxy-pw"} {
		assert.NotContains(t, string(ui), secret)
	}
	assert.Contains(t, string(ui), httpconn.RedactedMarker)

	var edited httpconn.Config
	require.NoError(t, json.Unmarshal(ui, &edited))
	edited.Name = "AcmeDesk (prod)"
	edited.ID = "someone-else"

	merged := edited.Merge(saved)
	assert.Equal(t, saved.ID, merged.ID, "the ID is read-only")
	assert.Equal(t, "AcmeDesk (prod)", merged.Name)
	assert.Equal(t, acmeToken, merged.Auth.Token)
	assert.Equal(t, "hdr-s3cr3t", merged.SecretHeaders["X-Acme-Secret"])
	assert.Equal(t, saved.Network.ProxyURL, merged.Network.ProxyURL)
	require.NoError(t, merged.Validate())

	stored, err := merged.MarshalSecrets()
	require.NoError(t, err)
	assert.Contains(t, string(stored), acmeToken)
	var back httpconn.Config
	require.NoError(t, json.Unmarshal(stored, &back))
	want := saved
	want.Name = "AcmeDesk (prod)"
	assert.Equal(t, want, back, "what is stored is what was saved, plus the edit")

	// Removing the secret header in the UI removes its secret.
	edited.SecretHeaders = nil
	assert.Empty(t, edited.Merge(saved).SecretHeaders)
}

// Someone who may edit the integration but cannot see its secrets points
// the create URL at a host of theirs and leaves the token "as saved": the
// saved token must not follow the URL to the new host (the OAuth2 client
// secret already does not), or the next sync hands it over.
func TestMergeSecretDoesNotFollowNewHost(t *testing.T) {
	a := newAcmeDesk(t, acmeToken)
	saved := acmeConfig(t, a)
	saved.SecretHeaders = map[string]string{"X-Acme-Secret": "hdr-s3cr3t"}
	ui, err := json.Marshal(saved)
	require.NoError(t, err)
	var edited httpconn.Config
	require.NoError(t, json.Unmarshal(ui, &edited))
	edited.Create.URL = "https://collector.attacker.example/api/tickets"

	merged := edited.Merge(saved)
	assert.NotEqual(t, acmeToken, merged.Auth.Token)
	assert.NotEqual(t, "hdr-s3cr3t", merged.SecretHeaders["X-Acme-Secret"])
	assert.Error(t, merged.Validate(), "validation asks for the secret again")
}
