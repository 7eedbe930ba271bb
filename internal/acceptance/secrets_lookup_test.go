package acceptance

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/webhook"
)

// queryToken is a credential an admin put into the comment lookup's URL
// query (an ITSM that takes its API key as a query parameter): it is not a
// configured secret, so only the credential-looking query value gives it
// away.
const queryToken = "qry-t0ken-9f8e7d6c5b4a"

// The exactly-once paths fail with the ITSM's own words too: a ticket
// lookup answering 500 with the Authorization header it received, lookups
// failing until the case needs attention, a comment lookup whose URL
// carries a token in its query answering 500 with that URL, or no answer at
// all (ErrUnreachable). No secret may reach an error, a log line or an
// audit event.
func TestSecretsNeverLeakFromLookups(t *testing.T) {
	const secretHeader = "hdr-l00kup-s3cret"
	tests := []struct {
		name string
		// ticketLookup answers the ticket lookup; commentLookup the comment
		// lookup (nil: not reached in this case).
		ticketLookup  func(w http.ResponseWriter, r *http.Request)
		commentLookup func(w http.ResponseWriter, r *http.Request)
		// createFails makes the create's outcome unknown, so the syncs that
		// follow look the ticket up; else the first comment's outcome is
		// unknown, so the next sync looks the comment up.
		createFails bool
	}{
		{name: "ticket lookup 500 echoes the credentials", createFails: true, ticketLookup: echo(http.StatusInternalServerError)},
		{name: "ticket lookup 200 that is no JSON echoes the credentials", createFails: true, ticketLookup: echo(http.StatusOK)},
		{name: "ticket lookup unreachable", createFails: true, ticketLookup: hangUp},
		{name: "comment lookup 500 echoes its URL and the credentials", commentLookup: echo(http.StatusInternalServerError)},
		{name: "comment lookup 400 echoes its URL and the credentials", commentLookup: echo(http.StatusBadRequest)},
		{name: "comment lookup unreachable", commentLookup: hangUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/comments"):
					tt.commentLookup(w, r)
				case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/tickets"):
					tt.ticketLookup(w, r)
				case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/tickets"):
					if tt.createFails {
						echo(http.StatusBadGateway)(w, r)
						return
					}
					w.WriteHeader(http.StatusCreated)
					_, _ = w.Write([]byte(`{"id":"T-1"}`))
				case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/comments"):
					echo(http.StatusBadGateway)(w, r) // outcome unknown
				default:
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write([]byte(`{"id":"T-1"}`))
				}
			}))
			t.Cleanup(srv.Close)
			cfg, err := webhook.Preset(webhook.Options{
				BaseURL: srv.URL + "/api",
				Auth:    httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: acmeToken},
				Network: httpconn.NetworkConfig{AllowLoopback: true},
				Lookup:  true,
			})
			require.NoError(t, err)
			cfg.SecretHeaders = map[string]string{"X-Acme-Secret": secretHeader}
			cfg.Comment.Payload = `{"text": "$note_text", "marker": "$note_marker"}`
			cfg.CommentLookup = httpconn.CommentLookupConfig{
				URL:       srv.URL + "/api/tickets/$ticket_id/comments?api_key=" + queryToken + "&marker=$note_marker",
				ItemsPath: "@this",
				MatchPath: "marker",
			}
			cfg.Retry.MaxAttempts = 1
			cfg = cfg.Merge(httpconn.Config{})
			require.NoError(t, cfg.Validate())

			var logs syncBuffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			var mu sync.Mutex
			var audit []itsm.AuditEvent
			sink := itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
				mu.Lock()
				audit = append(audit, e)
				mu.Unlock()
			})
			conn, err := httpconn.New(cfg, itsm.WithLogger(logger), itsm.WithAudit(sink), itsm.WithClock(noWait{}))
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			clk := newClock()
			syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: cfg.ID, LookupGrace: itsm.Off},
				itsm.WithClock(clk), itsm.WithLogger(logger), itsm.WithAudit(sink))
			require.NoError(t, err)

			c := itsm.Case{ID: "CASE-1", Title: "t"}
			notes := []itsm.Note{{ID: "N-1", Text: "blocked at the firewall"}}
			var errs []string
			// Enough syncs for the lookups to exhaust MaxLookupFailures (the
			// way-out message of a *NeedsAttentionError is checked too).
			for i := 0; i < itsm.MaxLookupFailures+2; i++ {
				_, err := syncer.Sync(ctx, c, notes)
				if err != nil {
					errs = append(errs, err.Error())
				}
				clk.Add(time.Hour)
			}
			require.NotEmpty(t, errs)
			if tt.commentLookup != nil {
				_, _, err := conn.FindComment(ctx, itsm.Ticket{ID: "T-1"}, itsm.SyncRequest{Case: &c, CorrelationKey: itsm.CorrelationKey(cfg.ID, c.ID)}, notes[0])
				require.Error(t, err)
				errs = append(errs, err.Error())
			}
			st, err := syncer.State(ctx, c.ID)
			require.NoError(t, err)
			sj, err := json.Marshal(st)
			require.NoError(t, err)
			mu.Lock()
			aj, err := json.Marshal(audit)
			mu.Unlock()
			require.NoError(t, err)
			for what, text := range map[string]string{"errors": strings.Join(errs, "\n"), "logs": logs.String(), "audit": string(aj), "state": string(sj)} {
				for _, secret := range []string{acmeToken, secretHeader, queryToken} {
					assert.NotContains(t, text, secret, "%s hold a secret:\n%s", what, text)
				}
			}
			assert.NotEmpty(t, audit)
		})
	}
}

// echo answers status with a body that repeats the request URL and the
// credentials the request carried.
func echo(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html>" + r.URL.String() + " auth=" + r.Header.Get("Authorization") +
			" hdr=" + r.Header.Get("X-Acme-Secret") + "</html>"))
	}
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("no hijacker")
	}
	c, _, err := hj.Hijack()
	if err == nil {
		_ = c.Close()
	}
}
