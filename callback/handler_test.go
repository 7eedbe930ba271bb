package callback_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/statusmap"
)

const (
	hIntegration = "int-jira"
	hSecret      = "handler test secret"
)

// hClock is a settable clock.
type hClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *hClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *hClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// recUpdater records applied changes and keeps case statuses; failNext makes
// the next calls fail.
type recUpdater struct {
	mu       sync.Mutex
	changes  []callback.TicketChange
	statuses map[string]itsm.Status
	failNext int
	failIf   func(callback.TicketChange) bool
}

func (u *recUpdater) ApplyTicketChange(_ context.Context, c callback.TicketChange) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.failNext > 0 || (u.failIf != nil && u.failIf(c)) {
		if u.failNext > 0 {
			u.failNext--
		}
		return errors.New("host database down")
	}
	u.changes = append(u.changes, c)
	if c.Status != "" {
		u.statuses[c.CaseID] = c.Status
	}
	return nil
}

func (u *recUpdater) calls() []callback.TicketChange {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]callback.TicketChange(nil), u.changes...)
}

func (u *recUpdater) status(caseID string) itsm.Status {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.statuses[caseID]
}

// countingStore counts the inbound writes of a memstore, and can fail.
type countingStore struct {
	*memstore.Store
	mu       sync.Mutex
	claims   int
	advances int
	releases int
	down     bool
}

func (s *countingStore) ClaimDelivery(ctx context.Context, in, id string, now time.Time, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	s.claims++
	down := s.down
	s.mu.Unlock()
	if down {
		return false, fmt.Errorf("store: connection refused: %w", itsm.ErrStore)
	}
	return s.Store.ClaimDelivery(ctx, in, id, now, ttl)
}

func (s *countingStore) AdvanceInboundState(ctx context.Context, st itsm.InboundState) (bool, error) {
	s.mu.Lock()
	s.advances++
	s.mu.Unlock()
	return s.Store.AdvanceInboundState(ctx, st)
}

func (s *countingStore) ReleaseDelivery(ctx context.Context, in, id string) error {
	s.mu.Lock()
	s.releases++
	s.mu.Unlock()
	return s.Store.ReleaseDelivery(ctx, in, id)
}

func (s *countingStore) writes() (claims, advances int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.claims, s.advances
}

type recAudit struct {
	mu     sync.Mutex
	events []itsm.AuditEvent
}

func (a *recAudit) Record(_ context.Context, e itsm.AuditEvent) {
	a.mu.Lock()
	a.events = append(a.events, e)
	a.mu.Unlock()
}

func (a *recAudit) all() []itsm.AuditEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]itsm.AuditEvent(nil), a.events...)
}

type hEnv struct {
	store    *countingStore
	clock    *hClock
	updater  *recUpdater
	audit    *recAudit
	opts     []itsm.Option // the handler's options: clock and audit, then any a mod adds
	unlinked []callback.UnlinkedTicket
	h        *callback.Handler
	signer   *callback.HMACVerifier
}

// genericParser reads the small JSON bodies of these tests.
func genericParser(t testing.TB) *callback.JSONParser {
	t.Helper()
	p, err := callback.NewJSONParser(callback.JSONParserConfig{
		TicketIDPath:  "ticket",
		StatusPath:    "status",
		PriorityPath:  "priority",
		EventIDPath:   "id",
		TimestampPath: "at",
		VersionPath:   "version",
		EventTypePath: "type",
		EventKinds: map[string]callback.EventKind{
			"created": callback.EventCreated, "updated": callback.EventUpdated,
			"deleted": callback.EventDeleted, "commented": callback.EventComment,
		},
		CommentBodyPath: "comment.body",
		CommentIDPath:   "comment.id",
	})
	require.NoError(t, err)
	return p
}

// setupHandler builds a handler over a memstore with one link (case-1 ↔
// ticket 10040 / TES-41), an HMAC (Jira preset) verifier, the generic
// parser, the Jira status map and a recording updater. mod adjusts the
// configuration.
func setupHandler(t testing.TB, mod func(*callback.HandlerConfig)) *hEnv {
	t.Helper()
	return setupHandlerEnv(t, func(_ *hEnv, c *callback.HandlerConfig) {
		if mod != nil {
			mod(c)
		}
	})
}

// setupHandlerEnv is setupHandler with a mod that sees the environment (its
// clock, its options) before the handler is built.
func setupHandlerEnv(t testing.TB, mod func(*hEnv, *callback.HandlerConfig)) *hEnv {
	t.Helper()
	env := &hEnv{
		store:   &countingStore{Store: memstore.New()},
		clock:   &hClock{t: time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)},
		updater: &recUpdater{statuses: map[string]itsm.Status{"case-1": itsm.StatusInProgress}},
		audit:   &recAudit{},
	}
	require.NoError(t, env.store.PutLink(context.Background(), itsm.Link{
		IntegrationID: hIntegration, CaseID: "case-1", TicketID: "10040", TicketKey: "TES-41",
	}))
	env.opts = []itsm.Option{itsm.WithClock(env.clock), itsm.WithAudit(env.audit)}
	signer, err := callback.NewHMACVerifier(callback.JiraHMAC(hSecret), itsm.WithClock(env.clock))
	require.NoError(t, err)
	env.signer = signer
	sm := statusmap.JiraStatuses()
	compiled, err := sm.Compile()
	require.NoError(t, err)
	pm := statusmap.JiraPriorities()
	hc := callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: hIntegration,
			Store:         env.store,
			StatusMap:     compiled,
			PriorityMap:   &pm,
			Updater:       env.updater,
			OnUnlinked: func(_ context.Context, u callback.UnlinkedTicket) {
				env.unlinked = append(env.unlinked, u)
			},
		},
		Verifier:         signer,
		Parser:           genericParser(t),
		DeliveryIDHeader: "X-Atlassian-Webhook-Identifier",
	}
	if mod != nil {
		mod(env, &hc)
	}
	env.h, err = callback.NewHandler(hc, env.opts...)
	require.NoError(t, err)
	return env
}

// post sends body signed with the test secret (plus extra headers).
func (e *hEnv) post(t testing.TB, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/itsm/callback", strings.NewReader(body))
	for k, vs := range e.signer.Sign([]byte(body), time.Time{}) {
		r.Header[k] = vs
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// assertNoStateChange checks that nothing was claimed, applied or advanced.
func (e *hEnv) assertNoStateChange(t *testing.T) {
	t.Helper()
	claims, advances := e.store.writes()
	assert.Zero(t, claims, "delivery claims")
	assert.Zero(t, advances, "inbound state advances")
	assert.Empty(t, e.updater.calls(), "updater calls")
	_, err := e.store.GetInboundState(context.Background(), hIntegration, "10040")
	assert.ErrorIs(t, err, itsm.ErrNotFound)
	assert.Equal(t, itsm.StatusInProgress, e.updater.status("case-1"))
}

func (e *hEnv) lastAudit(t *testing.T) itsm.AuditEvent {
	t.Helper()
	all := e.audit.all()
	require.NotEmpty(t, all)
	return all[len(all)-1]
}

const doneBody = `{"type":"updated","ticket":"10040","status":"Done","at":"2026-11-28T03:59:00Z"}`

func TestNewHandlerValidate(t *testing.T) {
	_, err := callback.NewHandler(callback.HandlerConfig{})
	requireInvalidConfig(t, err, "handler configuration",
		"integration_id", "store", "status_map", "updater", "verifier", "parser")
	assert.Equal(t, err.Error(), callback.HandlerConfig{}.Validate().Error())

	_, err = callback.NewHandler(callback.HandlerConfig{MaxBodyBytes: -1, MaxEvents: -1})
	requireInvalidConfig(t, err, "handler configuration", "max_body_bytes", "max_events")

	_, err = callback.NewApplier(callback.ApplierConfig{IntegrationID: "x", DedupTTL: itsm.Off, ApplyTimeout: itsm.Off})
	fes := requireInvalidConfig(t, err, "applier configuration", "store", "status_map", "updater", "dedup_ttl", "apply_timeout")
	for _, fe := range fes {
		if fe.Field == "dedup_ttl" || fe.Field == "apply_timeout" {
			assert.Equal(t, "cannot be turned off", fe.Message)
		}
	}
}

// TestConfigJSON: the settings are plain data whose JSON names are the
// field paths of validation errors; the dependencies (store, maps, updater,
// verifier, parser, callbacks) are not serialized.
func TestConfigJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{IntegrationID: "i", Store: memstore.New(), DedupTTL: time.Hour, EchoWindow: itsm.Off},
		MaxEvents:     5,
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"integration_id":"i","dedup_ttl":3600000000000,"echo_window":-1,"max_events":5}`, string(b))
	b, err = json.Marshal(callback.ReconcilerConfig{Interval: itsm.Off, Burst: 2})
	require.NoError(t, err)
	assert.JSONEq(t, `{"interval":-1,"burst":2}`, string(b))
}

// requireInvalidConfig checks the one shape of a configuration error: an
// *itsm.ValidationError naming (at least) every field of fields, matching
// itsm.ErrInvalidConfig, told once under the package's prefix. It returns
// the field errors.
func requireInvalidConfig(t testing.TB, err error, what string, fields ...string) []itsm.FieldError {
	t.Helper()
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	got := make([]string, 0, len(ve.Errors))
	for _, fe := range ve.Errors {
		got = append(got, fe.Field)
		assert.NotEmpty(t, fe.Message, fe.Field)
	}
	for _, f := range fields {
		assert.Contains(t, got, f)
	}
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "callback: invalid "+what+": "), msg)
	assert.Equal(t, 1, strings.Count(msg, "callback:"), msg)
	assert.NotContains(t, msg, "itsm:", msg)
	return ve.Errors
}

func TestHandlerAppliesStatus(t *testing.T) {
	env := setupHandler(t, nil)
	w := env.post(t, doneBody, "X-Atlassian-Webhook-Identifier", "d-1")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, w.Body.String())
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
	calls := env.updater.calls()
	require.Len(t, calls, 1)
	assert.Equal(t, callback.TicketChange{
		IntegrationID: hIntegration, CaseID: "case-1", TicketID: "10040", TicketKey: "TES-41",
		Kind: callback.EventUpdated, Status: itsm.StatusClosed, ITSMStatus: "Done",
		DeliveryID: "d-1", OccurredAt: time.Date(2026, 11, 28, 3, 59, 0, 0, time.UTC),
	}, calls[0])
	st, err := env.store.GetInboundState(context.Background(), hIntegration, "10040")
	require.NoError(t, err)
	assert.Equal(t, "Done", st.Status)
	a := env.lastAudit(t)
	assert.Equal(t, itsm.OutcomeSuccess, a.Outcome)
	assert.Equal(t, "case-1", a.CaseID)
	assert.Equal(t, "d-1", a.DeliveryID)
	assert.Equal(t, "inbound", a.Operation)
}

// TestHandlerBadInput: every rejected delivery gets its exact status code
// and changes nothing.
func TestHandlerBadInput(t *testing.T) {
	big := `{"type":"updated","ticket":"10040","status":"Done","pad":"` + strings.Repeat("x", 2<<20) + `"}`
	tests := []struct {
		name   string
		mod    func(*callback.HandlerConfig)
		req    func(env *hEnv) *http.Request
		code   int
		reason string
	}{
		{
			name: "missing signature",
			req: func(*hEnv) *http.Request {
				return httptest.NewRequest(http.MethodPost, "/", strings.NewReader(doneBody))
			},
			code: http.StatusUnauthorized, reason: callback.ErrMissingSignature.Error(),
		},
		{
			name: "wrong signature",
			req: func(*hEnv) *http.Request {
				other, _ := callback.NewHMACVerifier(callback.JiraHMAC("another secret"))
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(doneBody))
				for k, vs := range other.Sign([]byte(doneBody), time.Time{}) {
					r.Header[k] = vs
				}
				return r
			},
			code: http.StatusUnauthorized, reason: callback.ErrInvalidSignature.Error(),
		},
		{
			name: "signature of another body",
			req: func(env *hEnv) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(doneBody))
				for k, vs := range env.signer.Sign([]byte(`{"type":"updated"}`), time.Time{}) {
					r.Header[k] = vs
				}
				return r
			},
			code: http.StatusUnauthorized, reason: callback.ErrInvalidSignature.Error(),
		},
		{
			name: "wrong method",
			req: func(*hEnv) *http.Request {
				return httptest.NewRequest(http.MethodGet, "/", nil)
			},
			code: http.StatusMethodNotAllowed, reason: "method not allowed",
		},
		{
			name: "oversize body with content length",
			req: func(env *hEnv) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(big))
				for k, vs := range env.signer.Sign([]byte(big), time.Time{}) {
					r.Header[k] = vs
				}
				return r
			},
			code: http.StatusRequestEntityTooLarge, reason: "body too large",
		},
		{
			name: "oversize chunked body",
			req: func(env *hEnv) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(big))
				r.ContentLength = -1
				for k, vs := range env.signer.Sign([]byte(big), time.Time{}) {
					r.Header[k] = vs
				}
				return r
			},
			code: http.StatusRequestEntityTooLarge, reason: "body too large",
		},
		{
			name: "over a configured cap",
			mod:  func(c *callback.HandlerConfig) { c.MaxBodyBytes = 32 },
			req: func(env *hEnv) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(doneBody))
				for k, vs := range env.signer.Sign([]byte(doneBody), time.Time{}) {
					r.Header[k] = vs
				}
				return r
			},
			code: http.StatusRequestEntityTooLarge, reason: "body too large",
		},
		{
			name: "malformed json",
			req:  signedReq(`{"type":"updated","ticket":`),
			code: http.StatusBadRequest, reason: "callback: malformed payload: body is not valid json",
		},
		{
			name: "no ticket id",
			req:  signedReq(`{"type":"updated","status":"Done"}`),
			code: http.StatusBadRequest, reason: "callback: malformed payload: no ticket id",
		},
		{
			name: "bad timestamp",
			req:  signedReq(`{"type":"updated","ticket":"10040","status":"Done","at":"yesterday"}`),
			code: http.StatusBadRequest, reason: "callback: malformed payload: timestamp is neither rfc 3339 nor unix time",
		},
		{
			name: "too many events",
			mod: func(c *callback.HandlerConfig) {
				c.MaxEvents = 2
				c.Parser, _ = callback.NewJSONParser(callback.JSONParserConfig{EventsPath: "events", TicketIDPath: "ticket", StatusPath: "status"})
			},
			req:  signedReq(`{"events":[{"ticket":"10040","status":"Done"},{"ticket":"10040","status":"Done"},{"ticket":"10040","status":"Done"}]}`),
			code: http.StatusRequestEntityTooLarge, reason: "too many events",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setupHandler(t, tt.mod)
			w := httptest.NewRecorder()
			env.h.ServeHTTP(w, tt.req(env))
			assert.Equal(t, tt.code, w.Code)
			if tt.code == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
			assert.NotContains(t, w.Body.String(), "signature", "no detail for the sender")
			env.assertNoStateChange(t)
			a := env.lastAudit(t)
			assert.Equal(t, itsm.OutcomeRejected, a.Outcome)
			assert.Equal(t, tt.code, a.StatusCode)
			assert.Equal(t, tt.reason, a.Reason)
		})
	}
}

// signedReq returns a request builder signing body with the env's secret.
func signedReq(body string) func(env *hEnv) *http.Request {
	return func(env *hEnv) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		for k, vs := range env.signer.Sign([]byte(body), time.Time{}) {
			r.Header[k] = vs
		}
		return r
	}
}

// TestHandlerTokenAuth covers callback tokens: missing, of another
// integration, revoked, expired → 401; the token store down → 503.
func TestHandlerTokenAuth(t *testing.T) {
	type tokenCase struct {
		name string
		// token returns the Authorization value (and may change the store).
		token func(t *testing.T, ctx context.Context, tokens *callback.Tokens, env *hEnv) string
		code  int
	}
	issue := func(t *testing.T, tokens *callback.Tokens, integ string, exp time.Time) callback.IssuedToken {
		t.Helper()
		it, err := tokens.Generate(context.Background(), callback.TokenRequest{IntegrationID: integ, AppName: "jira", ExpiresAt: exp})
		require.NoError(t, err)
		return it
	}
	tests := []tokenCase{
		{"valid", func(t *testing.T, _ context.Context, tk *callback.Tokens, _ *hEnv) string {
			return "Bearer " + issue(t, tk, hIntegration, time.Time{}).Token
		}, http.StatusOK},
		{"missing", func(*testing.T, context.Context, *callback.Tokens, *hEnv) string { return "" }, http.StatusUnauthorized},
		{"garbage", func(*testing.T, context.Context, *callback.Tokens, *hEnv) string { return "Bearer itsm_cb_nope" }, http.StatusUnauthorized},
		{"another integration", func(t *testing.T, _ context.Context, tk *callback.Tokens, _ *hEnv) string {
			return "Bearer " + issue(t, tk, "int-other", time.Time{}).Token
		}, http.StatusUnauthorized},
		{"revoked", func(t *testing.T, ctx context.Context, tk *callback.Tokens, _ *hEnv) string {
			it := issue(t, tk, hIntegration, time.Time{})
			require.NoError(t, tk.Revoke(ctx, hIntegration, it.Record.ID))
			return "Bearer " + it.Token
		}, http.StatusUnauthorized},
		{"expired", func(t *testing.T, _ context.Context, tk *callback.Tokens, env *hEnv) string {
			it := issue(t, tk, hIntegration, env.clock.Now().Add(time.Hour))
			env.clock.Advance(2 * time.Hour)
			return "Bearer " + it.Token
		}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tokens *callback.Tokens
			env := setupHandlerEnv(t, func(env *hEnv, c *callback.HandlerConfig) {
				var err error
				tokens, err = callback.NewTokens(c.Store.(*countingStore).Store, callback.TokensConfig{}, itsm.WithClock(env.clock))
				require.NoError(t, err)
				c.Verifier = &callback.TokenVerifier{Tokens: tokens, IntegrationID: hIntegration}
			})
			auth := tt.token(t, context.Background(), tokens, env)
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(doneBody))
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			w := httptest.NewRecorder()
			env.h.ServeHTTP(w, r)
			assert.Equal(t, tt.code, w.Code)
			if tt.code != http.StatusOK {
				env.assertNoStateChange(t)
				assert.Equal(t, itsm.OutcomeRejected, env.lastAudit(t).Outcome)
			} else {
				assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
			}
		})
	}
	t.Run("store down", func(t *testing.T) {
		env := setupHandler(t, func(c *callback.HandlerConfig) {
			c.Verifier = callback.VerifierFunc(func(*http.Request, []byte) error {
				return fmt.Errorf("%w: lookup: %w", callback.ErrUnavailable, itsm.ErrStore)
			})
		})
		w := env.post(t, doneBody)
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		env.assertNoStateChange(t)
	})
}

// TestHandlerStandardWebhooksStale: a replayed (stale) or future timestamp
// is a 401 and changes nothing.
func TestHandlerStandardWebhooksStale(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	for _, tc := range []struct {
		name string
		skew time.Duration
		code int
	}{
		{"fresh", 0, http.StatusOK},
		{"stale", -6 * time.Minute, http.StatusUnauthorized},
		{"future", 6 * time.Minute, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v *callback.StandardWebhooksVerifier
			env := setupHandlerEnv(t, func(env *hEnv, c *callback.HandlerConfig) {
				var err error
				v, err = callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{Secrets: []string{secret}}, itsm.WithClock(env.clock))
				require.NoError(t, err)
				c.Verifier = v
				c.DeliveryIDHeader = "webhook-id"
			})
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(doneBody))
			for k, vs := range v.SignHeaders("msg_1", env.clock.Now().Add(tc.skew), []byte(doneBody)) {
				r.Header[k] = vs
			}
			w := httptest.NewRecorder()
			env.h.ServeHTTP(w, r)
			assert.Equal(t, tc.code, w.Code)
			if tc.code != http.StatusOK {
				env.assertNoStateChange(t)
				assert.Equal(t, callback.ErrTimestampOutOfRange.Error(), env.lastAudit(t).Reason)
				return
			}
			assert.Equal(t, "msg_1", env.updater.calls()[0].DeliveryID)
		})
	}
}

func TestHandlerUnsupportedEvent(t *testing.T) {
	env := setupHandler(t, nil)
	w := env.post(t, `{"type":"worklog_created","ticket":"10040"}`)
	assert.Equal(t, http.StatusOK, w.Code)
	env.assertNoStateChange(t)
	a := env.lastAudit(t)
	assert.Equal(t, itsm.OutcomeIgnored, a.Outcome)
	assert.Equal(t, `callback: unsupported event: event type "worklog_created"`, a.Reason)
}

func TestHandlerUnknownTicket(t *testing.T) {
	env := setupHandler(t, nil)
	w := env.post(t, `{"type":"updated","ticket":"99999","status":"Done","at":1764302340}`, "X-Atlassian-Webhook-Identifier", "d-9")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":0,"ignored":1}`, w.Body.String())
	assert.Empty(t, env.updater.calls())
	_, advances := env.store.writes()
	assert.Zero(t, advances)
	require.Len(t, env.unlinked, 1)
	assert.Equal(t, callback.UnlinkedTicket{IntegrationID: hIntegration, TicketID: "99999", Kind: callback.EventUpdated, DeliveryID: "d-9"}, env.unlinked[0])
	a := env.lastAudit(t)
	assert.Equal(t, itsm.OutcomeIgnored, a.Outcome)
	assert.Equal(t, "ticket not linked", a.Reason)
	// The retry is a duplicate, not another report: no error loop.
	w = env.post(t, `{"type":"updated","ticket":"99999","status":"Done","at":1764302340}`, "X-Atlassian-Webhook-Identifier", "d-9")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, env.unlinked, 1)
}

func TestHandlerLinkByKey(t *testing.T) {
	env := setupHandler(t, func(c *callback.HandlerConfig) {
		c.Parser, _ = callback.NewJSONParser(callback.JSONParserConfig{TicketIDPath: "id", TicketKeyPath: "key", StatusPath: "status"})
	})
	// The id is unknown to the link (it holds 10040), the key matches.
	w := env.post(t, `{"id":"555","key":"TES-41","status":"Done"}`)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
	// Ordering state is kept under the link's ticket id.
	_, err := env.store.GetInboundState(context.Background(), hIntegration, "10040")
	assert.NoError(t, err)
}

func TestHandlerDuplicate(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		hdr  []string
	}{
		{"delivery id header", doneBody, []string{"X-Atlassian-Webhook-Identifier", "d-1"}},
		{"payload event id", `{"type":"updated","ticket":"10040","status":"Done","id":"ev-1","at":"2026-11-28T03:59:00Z"}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := setupHandler(t, nil)
			w := env.post(t, tc.body, tc.hdr...)
			require.Equal(t, http.StatusOK, w.Code)
			_, advances := env.store.writes()
			w = env.post(t, tc.body, tc.hdr...)
			assert.Equal(t, http.StatusOK, w.Code)
			assert.JSONEq(t, `{"applied":0,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String())
			assert.Len(t, env.updater.calls(), 1, "applied once")
			_, advances2 := env.store.writes()
			assert.Equal(t, advances, advances2, "no state change")
			assert.Equal(t, itsm.OutcomeDuplicate, env.lastAudit(t).Outcome)
		})
	}
}

func TestHandlerOutOfOrder(t *testing.T) {
	for _, tc := range []struct {
		name, newer, older string
	}{
		{"older timestamp",
			`{"type":"updated","ticket":"10040","status":"Done","at":"2026-11-28T03:59:00Z"}`,
			`{"type":"updated","ticket":"10040","status":"In Progress","at":"2026-11-28T03:58:00Z"}`},
		{"older version",
			`{"type":"updated","ticket":"10040","status":"Done","version":7,"at":"2026-11-28T03:58:00Z"}`,
			`{"type":"updated","ticket":"10040","status":"In Progress","version":6,"at":"2026-11-28T03:59:00Z"}`},
		{"same timestamp",
			`{"type":"updated","ticket":"10040","status":"Done","at":1764302340000}`,
			`{"type":"updated","ticket":"10040","status":"To Do","at":1764302340000}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := setupHandler(t, nil)
			require.Equal(t, http.StatusOK, env.post(t, tc.newer, "X-Atlassian-Webhook-Identifier", "d-new").Code)
			before, err := env.store.GetInboundState(context.Background(), hIntegration, "10040")
			require.NoError(t, err)
			w := env.post(t, tc.older, "X-Atlassian-Webhook-Identifier", "d-old")
			assert.Equal(t, http.StatusOK, w.Code)
			assert.JSONEq(t, `{"applied":0,"duplicate":0,"stale":1,"ignored":0}`, w.Body.String())
			assert.Len(t, env.updater.calls(), 1)
			assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
			after, err := env.store.GetInboundState(context.Background(), hIntegration, "10040")
			require.NoError(t, err)
			assert.Equal(t, before, after)
			assert.Equal(t, itsm.OutcomeStale, env.lastAudit(t).Outcome)
		})
	}
}

func TestHandlerUpdaterFailureRetried(t *testing.T) {
	env := setupHandler(t, nil)
	env.updater.failNext = 1
	w := env.post(t, doneBody, "X-Atlassian-Webhook-Identifier", "d-1")
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.NotContains(t, w.Body.String(), "database")
	assert.Empty(t, env.updater.calls())
	_, err := env.store.GetInboundState(context.Background(), hIntegration, "10040")
	assert.ErrorIs(t, err, itsm.ErrNotFound, "state not advanced before the updater succeeded")
	a := env.lastAudit(t)
	assert.Equal(t, itsm.OutcomeFailure, a.Outcome)
	assert.Contains(t, a.Error, "host database down")

	// The sender retries the same delivery: applied, once.
	w = env.post(t, doneBody, "X-Atlassian-Webhook-Identifier", "d-1")
	assert.Equal(t, http.StatusOK, w.Code)
	w = env.post(t, doneBody, "X-Atlassian-Webhook-Identifier", "d-1")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, env.updater.calls(), 1)
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
}

func TestHandlerStoreDown(t *testing.T) {
	env := setupHandler(t, nil)
	env.store.down = true
	w := env.post(t, doneBody, "X-Atlassian-Webhook-Identifier", "d-1")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Empty(t, env.updater.calls())
	env.store.down = false
	w = env.post(t, doneBody, "X-Atlassian-Webhook-Identifier", "d-1")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, env.updater.calls(), 1)
}

// plainFailingStore fails ClaimDelivery with an error that does not wrap
// itsm.ErrStore, as a host's own store might.
type plainFailingStore struct{ *memstore.Store }

func (plainFailingStore) ClaimDelivery(context.Context, string, string, time.Time, time.Duration) (bool, error) {
	return false, errors.New("connection refused")
}

// TestApplierStoreFailureError: a store failure matches ErrNotApplied and
// itsm.ErrStore (even when the store's error does not) and reads with one
// prefix.
func TestApplierStoreFailureError(t *testing.T) {
	t.Parallel()
	sm := statusmap.JiraStatuses()
	a, err := callback.NewApplier(callback.ApplierConfig{
		IntegrationID: hIntegration, Store: plainFailingStore{memstore.New()}, StatusMap: &sm, Updater: &recUpdater{},
	})
	require.NoError(t, err)
	_, err = a.Apply(context.Background(), "d-1", []callback.Event{{Kind: callback.EventUpdated, TicketID: "10040", Status: "Done"}})
	require.ErrorIs(t, err, callback.ErrNotApplied)
	require.ErrorIs(t, err, itsm.ErrStore)
	assert.Equal(t, "callback: change not applied: claim delivery: connection refused", err.Error())
}

func TestHandlerPartialBatchFailure(t *testing.T) {
	env := setupHandler(t, func(c *callback.HandlerConfig) {
		c.Comments = true
		c.Parser, _ = callback.NewJSONParser(callback.JSONParserConfig{
			EventsPath: "events", TicketIDPath: "ticket", StatusPath: "status", TimestampPath: "at",
			EventTypePath: "type", EventKinds: map[string]callback.EventKind{"u": callback.EventUpdated, "c": callback.EventComment},
			CommentBodyPath: "body",
		})
	})
	body := `{"events":[{"type":"c","ticket":"10040","body":"hello"},{"type":"u","ticket":"10040","status":"Done","at":100}]}`
	// The comment applies, the status change fails once.
	env.updater.failIf = func(c callback.TicketChange) bool { return c.Kind == callback.EventUpdated }
	w := env.post(t, body, "X-Atlassian-Webhook-Identifier", "d-b")
	require.Equal(t, http.StatusInternalServerError, w.Code)
	require.Len(t, env.updater.calls(), 1)
	assert.Equal(t, callback.EventComment, env.updater.calls()[0].Kind)
	// The retry skips the applied comment (not posted twice) and applies
	// the status change.
	env.updater.failIf = nil
	w = env.post(t, body, "X-Atlassian-Webhook-Identifier", "d-b")
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"applied":1,"duplicate":1,"stale":0,"ignored":0}`, w.Body.String())
	assert.Len(t, env.updater.calls(), 2)
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
}

func TestHandlerEcho(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pushed   string
		pushedAt time.Duration // relative to the event time
		status   string
		window   time.Duration // EchoWindow
		applied  bool
	}{
		{"same label inside the window", "Done", -time.Minute, "Done", 0, false},
		{"echo suppression off", "Done", -time.Minute, "Done", itsm.Off, true},
		{"inside a longer window", "Done", -time.Hour, "Done", 2 * time.Hour, false},
		{"same label, different spelling", "done", -time.Minute, "DONE", 0, false},
		{"label mapping to the same case status", "Closed", -time.Minute, "Done", 0, false},
		{"same label after the window", "Done", -time.Hour, "Done", 0, true},
		{"another status", "Done", -time.Minute, "In Progress", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := setupHandler(t, func(c *callback.HandlerConfig) { c.EchoWindow = tc.window })
			at := time.Date(2026, 11, 28, 3, 59, 0, 0, time.UTC)
			require.NoError(t, env.store.PutLink(context.Background(), itsm.Link{
				IntegrationID: hIntegration, CaseID: "case-1", TicketID: "10040", TicketKey: "TES-41",
				LastPushedStatus: tc.pushed, LastPushedAt: at.Add(tc.pushedAt),
			}))
			w := env.post(t, fmt.Sprintf(`{"type":"updated","ticket":"10040","status":%q,"at":%q}`, tc.status, at.Format(time.RFC3339)))
			require.Equal(t, http.StatusOK, w.Code)
			if tc.applied {
				assert.Len(t, env.updater.calls(), 1)
				return
			}
			assert.Empty(t, env.updater.calls())
			a := env.lastAudit(t)
			assert.Equal(t, itsm.OutcomeIgnored, a.Outcome)
			assert.Equal(t, "echo of a pushed status", a.Reason)
		})
	}
}

func TestHandlerNoChangeAndUnmapped(t *testing.T) {
	for _, tc := range []struct {
		name, body, reason string
		applied            bool
	}{
		{"unmapped status", `{"type":"updated","ticket":"10040","status":"Waiting for vendor"}`, "unmapped status", false},
		{"no status, no priority", `{"type":"updated","ticket":"10040"}`, "no change", false},
		{"priority only", `{"type":"updated","ticket":"10040","priority":"Highest"}`, "", true},
		{"comments disabled", `{"type":"commented","ticket":"10040","comment":{"body":"hi"}}`, "comments disabled", false},
		{"deleted", `{"type":"deleted","ticket":"10040"}`, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := setupHandler(t, nil)
			w := env.post(t, tc.body)
			require.Equal(t, http.StatusOK, w.Code)
			if !tc.applied {
				assert.Empty(t, env.updater.calls())
				assert.Equal(t, tc.reason, env.lastAudit(t).Reason)
				return
			}
			require.Len(t, env.updater.calls(), 1)
			c := env.updater.calls()[0]
			assert.Empty(t, c.Status)
			if c.Kind == callback.EventUpdated {
				assert.Equal(t, itsm.SeverityCritical, c.Severity)
			}
		})
	}
}

func TestHandlerDeletedStatus(t *testing.T) {
	env := setupHandler(t, func(c *callback.HandlerConfig) { c.DeletedStatus = itsm.StatusResolved })
	require.Equal(t, http.StatusOK, env.post(t, `{"type":"deleted","ticket":"10040"}`).Code)
	assert.Equal(t, itsm.StatusResolved, env.updater.status("case-1"))
}

func TestHandlerCommentEchoOfPostedNote(t *testing.T) {
	env := setupHandler(t, func(c *callback.HandlerConfig) { c.Comments = true })
	require.NoError(t, env.store.MarkNotePosted(context.Background(), itsm.PostedNote{
		IntegrationID: hIntegration, CaseID: "case-1", NoteID: "n1", TicketID: "10040", CommentID: "c-ours",
	}))
	w := env.post(t, `{"type":"commented","ticket":"10040","comment":{"id":"c-ours","body":"from the SIEM"}}`)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, env.updater.calls())
	assert.Equal(t, "echo of a posted note", env.lastAudit(t).Reason)
	w = env.post(t, `{"type":"commented","ticket":"10040","comment":{"id":"c-theirs","body":"from Jira"}}`)
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, env.updater.calls(), 1)
	assert.Equal(t, &callback.Comment{ID: "c-theirs", Body: "from Jira"}, env.updater.calls()[0].Comment)
}

// TestHandlerConcurrentDeliveries: many deliveries of one ticket at once end
// with the newest status applied and recorded, and no lost claims.
func TestHandlerConcurrentDeliveries(t *testing.T) {
	env := setupHandler(t, nil)
	statuses := []string{"To Do", "In Progress", "Done"}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"type":"updated","ticket":"10040","status":%q,"at":%d}`, statuses[i%3], 1764302340+i)
			w := env.post(t, body, "X-Atlassian-Webhook-Identifier", fmt.Sprintf("d-%d", i))
			assert.Equal(t, http.StatusOK, w.Code)
		}()
	}
	wg.Wait()
	st, err := env.store.GetInboundState(context.Background(), hIntegration, "10040")
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1764302340+29, 0).UTC(), st.OccurredAt.UTC())
	// Within one process check-apply-advance is serialized per ticket: the
	// last applied change is the newest one.
	calls := env.updater.calls()
	require.NotEmpty(t, calls)
	assert.Equal(t, st.OccurredAt, calls[len(calls)-1].OccurredAt)
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))
}

func TestApplierDirect(t *testing.T) {
	// The reconciler path: events built from GETs, no delivery id, same rules.
	env := setupHandler(t, nil)
	a := env.h.Applier()
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	rep, err := a.Apply(context.Background(), "", []callback.Event{
		{Kind: callback.EventUpdated, TicketID: "10040", Status: "Done", OccurredAt: at},
		{Kind: callback.EventUpdated, TicketID: "10040", Status: "To Do", OccurredAt: at.Add(-time.Minute)},
		{Kind: callback.EventUpdated, TicketID: "nope", Status: "Done", OccurredAt: at},
	})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Applied)
	assert.Equal(t, 1, rep.Stale)
	assert.Equal(t, 1, rep.Ignored)
	assert.Equal(t, itsm.StatusClosed, env.updater.status("case-1"))

	env.updater.failNext = 1
	rep, err = a.Apply(context.Background(), "", []callback.Event{{Kind: callback.EventUpdated, TicketID: "10040", Status: "In Progress", OccurredAt: at.Add(time.Minute)}})
	require.ErrorIs(t, err, callback.ErrNotApplied)
	assert.NotErrorIs(t, err, itsm.ErrStore)
	assert.Equal(t, itsm.OutcomeFailure, rep.Results[0].Outcome)
}

// TestHandlerNoSecretsInAudit: the secret, signature and body never reach
// audit records or logs.
func TestHandlerNoSecretsInAudit(t *testing.T) {
	var logs strings.Builder
	env := setupHandlerEnv(t, func(env *hEnv, _ *callback.HandlerConfig) {
		env.opts = append(env.opts, itsm.WithLogger(newTestLogger(&logs)))
	})
	env.updater.failNext = 1
	body := `{"type":"updated","ticket":"10040","status":"Done","secret_marker":"zz-body-zz"}`
	env.post(t, body)
	bad := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	bad.Header.Set("X-Hub-Signature", "sha256=deadbeef")
	env.h.ServeHTTP(httptest.NewRecorder(), bad)
	sig := env.signer.Sign([]byte(body), time.Time{}).Get("X-Hub-Signature")
	for _, a := range env.audit.all() {
		s := fmt.Sprintf("%+v", a)
		for _, secret := range []string{hSecret, sig, "deadbeef", "zz-body-zz"} {
			assert.NotContains(t, s, secret)
		}
	}
	for _, secret := range []string{hSecret, sig, "deadbeef", "zz-body-zz"} {
		assert.NotContains(t, logs.String(), secret)
	}
	assert.NotEmpty(t, logs.String())
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// readJiraFixture reads a real Jira capture (testdata/jira/SOURCES.md).
func readJiraFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "jira", name))
	require.NoError(t, err)
	return b
}

// TestHandlerParserContract: how the handler answers each outcome of a
// provider's Parser.
func TestHandlerParserContract(t *testing.T) {
	tests := []struct {
		name   string
		parse  callback.ParserFunc
		code   int
		reason string
	}{
		{"malformed", func(*http.Request, []byte) ([]callback.Event, error) {
			return nil, callback.Malformed("no ticket")
		}, http.StatusBadRequest, "callback: malformed payload: no ticket"},
		{"other error is treated as malformed", func(*http.Request, []byte) ([]callback.Event, error) {
			return nil, errors.New("parser bug with body bits")
		}, http.StatusBadRequest, "callback: malformed payload: parse failed"},
		{"unsupported", func(*http.Request, []byte) ([]callback.Event, error) {
			return nil, callback.Unsupported("sr.deleted")
		}, http.StatusOK, "callback: unsupported event: sr.deleted"},
		{"no events", func(*http.Request, []byte) ([]callback.Event, error) {
			return nil, nil
		}, http.StatusOK, "no events"},
		{"invalid event kind", func(*http.Request, []byte) ([]callback.Event, error) {
			return []callback.Event{{Kind: "moved", TicketID: "10040"}}, nil
		}, http.StatusBadRequest, `callback: malformed payload: unknown event kind "moved"`},
		{"event without ticket", func(*http.Request, []byte) ([]callback.Event, error) {
			return []callback.Event{{Kind: callback.EventUpdated, Status: "Done"}}, nil
		}, http.StatusBadRequest, "callback: malformed payload: event without a ticket id"},
		{"comment event without comment", func(*http.Request, []byte) ([]callback.Event, error) {
			return []callback.Event{{Kind: callback.EventComment, TicketID: "10040"}}, nil
		}, http.StatusBadRequest, "callback: malformed payload: comment event without a comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setupHandler(t, func(c *callback.HandlerConfig) { c.Parser = tt.parse })
			w := env.post(t, `{}`)
			assert.Equal(t, tt.code, w.Code)
			env.assertNoStateChange(t)
			a := env.lastAudit(t)
			assert.Equal(t, tt.reason, a.Reason)
			assert.NotContains(t, a.Reason, "body bits")
		})
	}
}

func TestUnsupportedAndMalformedTruncate(t *testing.T) {
	err := callback.Unsupported(strings.Repeat("é", 200))
	require.ErrorIs(t, err, callback.ErrUnsupportedEvent)
	assert.LessOrEqual(t, len(err.Error()), len("callback: unsupported event: ")+128+3)
	assert.True(t, utf8.ValidString(err.Error()))
	require.ErrorIs(t, callback.Malformed("x"), callback.ErrMalformedPayload)
}
