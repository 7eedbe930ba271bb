package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

var secretsT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var secretBody = []byte(`{"webhookEvent":"comment_created","issue":{"id":"10001","key":"SEC-1"}}`)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, callback.AESKeySize) }

// secretsEnv is a Secrets over a store, with a clock, a log buffer and the
// audit events it recorded.
type secretsEnv struct {
	store   callback.SecretStore
	clock   *itsmtest.Clock
	secrets *callback.Secrets
	logs    *bytes.Buffer
	mu      sync.Mutex
	audit   []itsm.AuditEvent
}

func newSecretsEnv(t *testing.T, store callback.SecretStore, key []byte, cfg callback.SecretsConfig) *secretsEnv {
	t.Helper()
	e := &secretsEnv{store: store, clock: itsmtest.NewClock(secretsT0), logs: &bytes.Buffer{}}
	sealer, err := callback.NewAESGCMSealer(key)
	require.NoError(t, err)
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	audit := itsm.AuditFunc(func(_ context.Context, ev itsm.AuditEvent) {
		e.mu.Lock()
		e.audit = append(e.audit, ev)
		e.mu.Unlock()
	})
	e.secrets, err = callback.NewSecrets(store, sealer, cfg, itsm.WithClock(e.clock), itsm.WithLogger(logger), itsm.WithAudit(audit))
	require.NoError(t, err)
	return e
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// jiraRequest returns body signed as Jira signs it with secret.
func jiraRequest(t *testing.T, secret string, body []byte) *http.Request {
	t.Helper()
	signer, err := callback.NewHMACVerifier(callback.JiraHMAC(secret))
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/inbound/jira", bytes.NewReader(body))
	for k, vs := range signer.Sign(body, secretsT0) {
		r.Header[k] = vs
	}
	return r
}

func verifyWith(t *testing.T, v *callback.HMACVerifier, secret string) error {
	t.Helper()
	return v.Verify(jiraRequest(t, secret, secretBody), secretBody)
}

// noPlaintext asserts that none of the texts holds any of the secrets.
func (e *secretsEnv) noPlaintext(t *testing.T, secrets []string, texts ...string) {
	t.Helper()
	e.mu.Lock()
	audit, _ := json.Marshal(e.audit)
	e.mu.Unlock()
	texts = append(texts, e.logs.String(), string(audit))
	for _, s := range secrets {
		require.NotEmpty(t, s)
		hexPart := strings.TrimPrefix(s, callback.SecretPrefix)
		for i, text := range texts {
			assert.NotContains(t, text, hexPart, "text %d holds a secret", i)
		}
	}
}

var secretShape = regexp.MustCompile(`^itsm_whs_[0-9a-f]{64}$`)

func TestSecretsGenerateShowOnceAndVerify(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := memstore.New()
	e := newSecretsEnv(t, store, testKey(1), callback.SecretsConfig{})

	issued, err := e.secrets.Generate(ctx, "int-1")
	require.NoError(t, err)
	plain := issued.Secret.Reveal()
	assert.Regexp(t, secretShape, plain)
	assert.Equal(t, callback.SecretCurrent, issued.Info.State)
	assert.EqualValues(t, 1, issued.Info.Seq)

	v, err := e.secrets.Verifier("int-1", callback.JiraHMAC())
	require.NoError(t, err)
	require.NoError(t, verifyWith(t, v, plain))
	assert.ErrorIs(t, verifyWith(t, v, callback.SecretPrefix+strings.Repeat("0", 64)), callback.ErrInvalidSignature)
	other, err := e.secrets.Verifier("int-2", callback.JiraHMAC())
	require.NoError(t, err)
	assert.ErrorIs(t, verifyWith(t, other, plain), callback.ErrInvalidSignature, "another integration has no secret")

	// A second read never returns it: List has no secret, the store only
	// a ciphertext, and Generate refuses to make another current one.
	infos, err := e.secrets.List(ctx, "int-1")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, issued.Info, infos[0])
	listed, _ := json.Marshal(infos)
	recs, err := store.ListWebhookSecrets(ctx, "int-1")
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.False(t, bytes.Contains(recs[0].Ciphertext, []byte(plain)), "stored in clear")
	assert.False(t, bytes.Contains(recs[0].Ciphertext, []byte(strings.TrimPrefix(plain, callback.SecretPrefix))), "stored in clear")
	again, err := e.secrets.Generate(ctx, "int-1")
	require.ErrorIs(t, err, callback.ErrSecretExists)
	assert.True(t, again.Secret.IsZero())
	issuedJSON, _ := json.Marshal(issued)
	e.noPlaintext(t, []string{plain}, string(listed), string(issuedJSON), err.Error(), fmt.Sprintf("%+v", recs))

	// The audit has one success and one failure, with ids only.
	e.mu.Lock()
	defer e.mu.Unlock()
	require.Len(t, e.audit, 2)
	assert.Equal(t, itsm.OutcomeSuccess, e.audit[0].Outcome)
	assert.Equal(t, "webhook_secret_generate", e.audit[0].Operation)
	assert.Contains(t, e.audit[0].Reason, issued.Info.ID)
	assert.Equal(t, itsm.OutcomeFailure, e.audit[1].Outcome)
}

func TestSecretsRotateOverlap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		overlap time.Duration
		want    time.Duration // how long the old secret still verifies
	}{
		{"default", 0, callback.DefaultSecretOverlap},
		{"custom", 10 * time.Minute, 10 * time.Minute},
		{"off", itsm.Off, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			e := newSecretsEnv(t, memstore.New(), testKey(1), callback.SecretsConfig{Overlap: tc.overlap})
			old, err := e.secrets.Generate(ctx, "int-1")
			require.NoError(t, err)
			v, err := e.secrets.Verifier("int-1", callback.SysAidHMAC())
			require.NoError(t, err)
			sysaid := func(secret string) error {
				signer, err := callback.NewHMACVerifier(callback.SysAidHMAC(secret))
				require.NoError(t, err)
				r := httptest.NewRequest(http.MethodPost, "/inbound/sysaid", nil)
				for k, vs := range signer.Sign(secretBody, secretsT0) {
					r.Header[k] = vs
				}
				return v.Verify(r, secretBody)
			}
			require.NoError(t, sysaid(old.Secret.Reveal()))

			e.clock.Advance(time.Hour)
			rotatedAt := e.clock.Now()
			fresh, err := e.secrets.Rotate(ctx, "int-1")
			require.NoError(t, err)
			assert.NotEqual(t, old.Secret.Reveal(), fresh.Secret.Reveal())
			assert.EqualValues(t, 2, fresh.Info.Seq)
			require.NoError(t, sysaid(fresh.Secret.Reveal()))
			if tc.want > 0 {
				assert.NoError(t, sysaid(old.Secret.Reveal()), "inside the overlap")
				e.clock.Set(rotatedAt.Add(tc.want - time.Second))
				assert.NoError(t, sysaid(old.Secret.Reveal()), "just before the end of the overlap")
				infos, err := e.secrets.List(ctx, "int-1")
				require.NoError(t, err)
				assert.Equal(t, callback.SecretRetiring, infos[0].State)
				assert.True(t, infos[0].RetiresAt.Equal(rotatedAt.Add(tc.want)))
			}
			e.clock.Set(rotatedAt.Add(tc.want))
			assert.ErrorIs(t, sysaid(old.Secret.Reveal()), callback.ErrInvalidSignature, "after the overlap")
			assert.NoError(t, sysaid(fresh.Secret.Reveal()))
			infos, err := e.secrets.List(ctx, "int-1")
			require.NoError(t, err)
			require.Len(t, infos, 2)
			assert.Equal(t, []callback.SecretState{callback.SecretRetired, callback.SecretCurrent}, []callback.SecretState{infos[0].State, infos[1].State})

			// The verifier signs with the newest secret.
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			for k, vs := range v.Sign(secretBody, secretsT0) {
				r.Header[k] = vs
			}
			assert.Equal(t, jiraLikeHex(t, callback.SysAidHMAC(fresh.Secret.Reveal())), r.Header.Get("X-Sysaid-Signature"))
			e.noPlaintext(t, []string{old.Secret.Reveal(), fresh.Secret.Reveal()})
		})
	}
}

func jiraLikeHex(t *testing.T, cfg callback.HMACConfig) string {
	t.Helper()
	v, err := callback.NewHMACVerifier(cfg)
	require.NoError(t, err)
	return v.Sign(secretBody, secretsT0).Get(cfg.Header)
}

func TestSecretsRevoke(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newSecretsEnv(t, memstore.New(), testKey(1), callback.SecretsConfig{})
	old, err := e.secrets.Generate(ctx, "int-1")
	require.NoError(t, err)
	fresh, err := e.secrets.Rotate(ctx, "int-1")
	require.NoError(t, err)
	v, err := e.secrets.Verifier("int-1", callback.JiraHMAC())
	require.NoError(t, err)
	require.NoError(t, verifyWith(t, v, old.Secret.Reveal()), "inside the overlap")

	require.NoError(t, e.secrets.Revoke(ctx, "int-1", old.Info.ID))
	assert.ErrorIs(t, verifyWith(t, v, old.Secret.Reveal()), callback.ErrInvalidSignature, "revoked: refused at once")
	require.NoError(t, verifyWith(t, v, fresh.Secret.Reveal()))
	require.NoError(t, e.secrets.Revoke(ctx, "int-1", old.Info.ID), "again")

	require.NoError(t, e.secrets.Revoke(ctx, "int-1", fresh.Info.ID))
	err = verifyWith(t, v, fresh.Secret.Reveal())
	assert.ErrorIs(t, err, callback.ErrInvalidSignature)
	assert.Contains(t, err.Error(), "no live secret")

	for name, args := range map[string][2]string{"unknown": {"int-1", "whs_000"}, "other integration": {"int-2", old.Info.ID}} {
		err := e.secrets.Revoke(ctx, args[0], args[1])
		assert.ErrorIs(t, err, callback.ErrSecretNotFound, name)
		assert.ErrorIs(t, err, itsm.ErrNotFound, name)
	}
	// All revoked: Generate may start again.
	third, err := e.secrets.Generate(ctx, "int-1")
	require.NoError(t, err)
	assert.EqualValues(t, 3, third.Info.Seq)
	require.NoError(t, verifyWith(t, v, third.Secret.Reveal()))
	infos, err := e.secrets.List(ctx, "int-1")
	require.NoError(t, err)
	assert.Equal(t, []callback.SecretState{callback.SecretRevoked, callback.SecretRevoked, callback.SecretCurrent},
		[]callback.SecretState{infos[0].State, infos[1].State, infos[2].State})
}

func TestSecretsWrongKeyAndMovedRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := memstore.New()
	e := newSecretsEnv(t, store, testKey(1), callback.SecretsConfig{CacheTTL: itsm.Off})
	issued, err := e.secrets.Generate(ctx, "int-1")
	require.NoError(t, err)
	plain := issued.Secret.Reveal()

	// Another replica configured with another key.
	wrong := newSecretsEnv(t, store, testKey(2), callback.SecretsConfig{})
	v, err := wrong.secrets.Verifier("int-1", callback.JiraHMAC())
	require.NoError(t, err)
	err = verifyWith(t, v, plain)
	require.ErrorIs(t, err, callback.ErrSecretUnreadable)
	require.ErrorIs(t, err, callback.ErrUnavailable, "a 503: the sender retries once the key is fixed")
	assert.Contains(t, wrong.logs.String(), issued.Info.ID, "the unreadable secret is logged by id")
	wrong.noPlaintext(t, []string{plain}, err.Error())

	// A row copied to another integration (same id), or to another id,
	// does not open: the ciphertext is bound to both.
	recs, err := store.ListWebhookSecrets(ctx, "int-1")
	require.NoError(t, err)
	moved := recs[0]
	moved.IntegrationID = "int-2"
	moved.RetiresAt = time.Time{}
	require.NoError(t, store.AddWebhookSecret(ctx, moved, secretsT0))
	v2, err := e.secrets.Verifier("int-2", callback.JiraHMAC())
	require.NoError(t, err)
	errMoved := verifyWith(t, v2, plain)
	assert.ErrorIs(t, errMoved, callback.ErrSecretUnreadable, "moved to another integration")
	renamed := recs[0]
	renamed.ID, renamed.Seq = "whs_renamed", 2
	require.NoError(t, store.AddWebhookSecret(ctx, renamed, secretsT0)) // retires the original at once
	v1, err := e.secrets.Verifier("int-1", callback.JiraHMAC())
	require.NoError(t, err)
	err2 := verifyWith(t, v1, plain)
	assert.ErrorIs(t, err2, callback.ErrSecretUnreadable, "copied to another id")
	e.noPlaintext(t, []string{plain}, errMoved.Error(), err2.Error())
}

func TestAESGCMSealer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := callback.NewAESGCMSealer(testKey(1))
	require.NoError(t, err)
	aad := []byte("int-1/whs_1")
	ct, err := s.Seal(ctx, []byte("itsm_whs_plain"), aad)
	require.NoError(t, err)
	ct2, err := s.Seal(ctx, []byte("itsm_whs_plain"), aad)
	require.NoError(t, err)
	assert.NotEqual(t, ct, ct2, "a fresh nonce each time")
	pt, err := s.Open(ctx, ct, aad)
	require.NoError(t, err)
	assert.Equal(t, "itsm_whs_plain", string(pt))

	rotated, err := callback.NewAESGCMSealer(testKey(3), testKey(1))
	require.NoError(t, err)
	pt, err = rotated.Open(ctx, ct, aad)
	require.NoError(t, err, "a previous key still opens")
	assert.Equal(t, "itsm_whs_plain", string(pt))

	other, err := callback.NewAESGCMSealer(testKey(2))
	require.NoError(t, err)
	tampered := bytes.Clone(ct)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"wrong key":   func() ([]byte, error) { return other.Open(ctx, ct, aad) },
		"other aad":   func() ([]byte, error) { return s.Open(ctx, ct, []byte("int-2/whs_1")) },
		"tampered":    func() ([]byte, error) { return s.Open(ctx, tampered, aad) },
		"truncated":   func() ([]byte, error) { return s.Open(ctx, ct[:10], aad) },
		"empty":       func() ([]byte, error) { return s.Open(ctx, nil, aad) },
		"bad version": func() ([]byte, error) { return s.Open(ctx, append([]byte{9}, ct[1:]...), aad) },
		"zero sealer": func() ([]byte, error) { return (&callback.AESGCMSealer{}).Open(ctx, ct, aad) },
	} {
		pt, err := open()
		assert.ErrorIs(t, err, callback.ErrSecretUnreadable, name)
		assert.Nil(t, pt, name)
	}

	_, err = callback.NewAESGCMSealer(make([]byte, 16), make([]byte, 31))
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.ErrorIs(t, err, itsm.ErrInvalidConfig)
	assert.Equal(t, []string{"key", "previous[0]"}, []string{ve.Errors[0].Field, ve.Errors[1].Field})
}

// leakySecretSealer fails to seal with an error that echoes the plaintext.
type leakySecretSealer struct{ callback.Sealer }

func (leakySecretSealer) Seal(_ context.Context, plaintext, _ []byte) ([]byte, error) {
	return nil, fmt.Errorf("kms: rejected request body %q", plaintext)
}

// countingSecretStore counts ListWebhookSecrets calls and can fail them.
type countingSecretStore struct {
	callback.SecretStore
	lists atomic.Int64
	fail  atomic.Bool
}

func (c *countingSecretStore) ListWebhookSecrets(ctx context.Context, id string) ([]itsm.WebhookSecret, error) {
	c.lists.Add(1)
	if c.fail.Load() {
		return nil, fmt.Errorf("db down: %w", itsm.ErrStore)
	}
	return c.SecretStore.ListWebhookSecrets(ctx, id)
}

func TestSecretsErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sealer, err := callback.NewAESGCMSealer(testKey(1))
	require.NoError(t, err)

	_, err = callback.NewSecrets(nil, nil, callback.SecretsConfig{})
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Errors, 2)

	e := newSecretsEnv(t, memstore.New(), testKey(1), callback.SecretsConfig{})
	_, err = e.secrets.Generate(ctx, " ")
	assert.ErrorIs(t, err, itsm.ErrInvalidInput)

	// Both fixed secrets and a source: a validation error.
	cfg := callback.JiraHMAC("fixed")
	_, err = e.secrets.Verifier("int-1", cfg)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "source", ve.Errors[0].Field)

	// A sealer error that echoes the plaintext is redacted.
	leaky, err := callback.NewSecrets(memstore.New(), leakySecretSealer{sealer}, callback.SecretsConfig{})
	require.NoError(t, err)
	_, err = leaky.Generate(ctx, "int-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "[REDACTED]")
	assert.NotRegexp(t, `[0-9a-f]{64}`, err.Error())

	// A store failure is ErrUnavailable (503), not a rejection.
	cs := &countingSecretStore{SecretStore: memstore.New()}
	m, err := callback.NewSecrets(cs, sealer, callback.SecretsConfig{})
	require.NoError(t, err)
	issued, err := m.Generate(ctx, "int-1")
	require.NoError(t, err)
	v, err := m.Verifier("int-1", callback.JiraHMAC())
	require.NoError(t, err)
	cs.fail.Store(true)
	err = verifyWith(t, v, issued.Secret.Reveal())
	assert.ErrorIs(t, err, callback.ErrUnavailable)
	assert.ErrorIs(t, err, itsm.ErrStore)
}

// TestSecretsCacheAcrossReplicas: a replica's cache sees a rotation made on
// another replica as soon as the ITSM signs with the new secret (a miss
// re-reads, at most once a second), and a revocation within CacheTTL.
func TestSecretsCacheAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cs := &countingSecretStore{SecretStore: memstore.New()}
	a := newSecretsEnv(t, cs, testKey(1), callback.SecretsConfig{})
	b := newSecretsEnv(t, cs, testKey(1), callback.SecretsConfig{CacheTTL: time.Minute})
	first, err := a.secrets.Generate(ctx, "int-1")
	require.NoError(t, err)
	vb, err := b.secrets.Verifier("int-1", callback.JiraHMAC())
	require.NoError(t, err)
	require.NoError(t, verifyWith(t, vb, first.Secret.Reveal()))
	reads := cs.lists.Load()
	for range 5 {
		require.NoError(t, verifyWith(t, vb, first.Secret.Reveal()))
	}
	assert.Equal(t, reads, cs.lists.Load(), "cached: no store read per delivery")

	b.clock.Advance(2 * time.Second)
	second, err := a.secrets.Rotate(ctx, "int-1")
	require.NoError(t, err)
	require.NoError(t, verifyWith(t, vb, second.Secret.Reveal()), "the miss re-read the store")

	// Forgeries cause at most one read per second.
	reads = cs.lists.Load()
	for range 20 {
		assert.ErrorIs(t, verifyWith(t, vb, callback.SecretPrefix+"forged"), callback.ErrInvalidSignature)
	}
	assert.Equal(t, reads, cs.lists.Load(), "a re-read less than a second ago is not repeated")
	b.clock.Advance(time.Second)
	assert.ErrorIs(t, verifyWith(t, vb, callback.SecretPrefix+"forged"), callback.ErrInvalidSignature)
	assert.Equal(t, reads+1, cs.lists.Load())

	// A revocation on the other replica is seen within CacheTTL.
	require.NoError(t, a.secrets.Revoke(ctx, "int-1", first.Info.ID))
	b.clock.Advance(time.Minute)
	assert.ErrorIs(t, verifyWith(t, vb, first.Secret.Reveal()), callback.ErrInvalidSignature)
}

// TestSecretsRedacted: no value holding a secret prints it, under any fmt
// verb or slog handler.
func TestSecretsRedacted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newSecretsEnv(t, memstore.New(), testKey(0x42), callback.SecretsConfig{})
	issued, err := e.secrets.Generate(ctx, "int-1")
	require.NoError(t, err)
	plain := issued.Secret.Reveal()
	sealer, err := callback.NewAESGCMSealer(testKey(0x42))
	require.NoError(t, err)
	src := e.secrets.Source("int-1")
	keys, err := src.HMACSecrets(ctx) // fill the cache
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte(plain)}, keys)
	cfg := callback.JiraHMAC()
	cfg.Source = src

	values := map[string]any{
		"Secret": issued.Secret, "*Secret": &issued.Secret, "IssuedSecret": issued, "*IssuedSecret": &issued,
		"*Secrets": e.secrets, "*IntegrationSecrets": src, "*AESGCMSealer": sealer, "HMACConfig": cfg,
	}
	forbidden := []string{strings.TrimPrefix(plain, callback.SecretPrefix), string(testKey(0x42)), fmt.Sprintf("%x", testKey(0x42)[:8])}
	for name, val := range values {
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, val))
		}
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("msg", "value", val, slog.Any("any", val), slog.Group("g", "v", val))
			outs = append(outs, buf.String())
		}
		j, _ := json.Marshal(val)
		outs = append(outs, string(j))
		for _, out := range outs {
			for _, f := range forbidden {
				assert.NotContains(t, out, f, "%s printed a secret: %s", name, out)
			}
		}
	}
	assert.Equal(t, "[REDACTED]", fmt.Sprint(issued.Secret))
	assert.Equal(t, "callback.Secret{[REDACTED]}", fmt.Sprintf("%#v", issued.Secret))
}

// TestSecretsConcurrentRotationsOneManager: rotations racing on one
// replica also leave exactly one current secret.
func TestSecretsConcurrentRotationsOneManager(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newSecretsEnv(t, memstore.New(), testKey(1), callback.SecretsConfig{})
	_, err := e.secrets.Generate(ctx, "int-1")
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.secrets.Rotate(ctx, "int-1") })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			assert.True(t, errors.Is(err, callback.ErrSecretConflict), "%v", err)
		}
	}
	infos, err := e.secrets.List(ctx, "int-1")
	require.NoError(t, err)
	assert.Len(t, infos, 1+wins)
	current := 0
	for _, in := range infos {
		if in.State == callback.SecretCurrent {
			current++
		}
	}
	assert.Equal(t, 1, current)
}

// staticSource is a host's own SecretSource.
type staticSource struct {
	keys [][]byte
	err  error
}

func (s staticSource) HMACSecrets(context.Context) ([][]byte, error) { return s.keys, s.err }

func TestHMACVerifierWithHostSource(t *testing.T) {
	t.Parallel()
	cfg := callback.JiraHMAC()
	cfg.Source = staticSource{keys: [][]byte{[]byte("new-secret"), []byte("old-secret")}}
	v, err := callback.NewHMACVerifier(cfg)
	require.NoError(t, err)
	assert.NoError(t, verifyWith(t, v, "old-secret"))
	assert.NoError(t, verifyWith(t, v, "new-secret"))
	assert.ErrorIs(t, verifyWith(t, v, "other"), callback.ErrInvalidSignature)
	assert.Equal(t, jiraLikeHex(t, callback.JiraHMAC("new-secret")), v.Sign(secretBody, secretsT0).Get("X-Hub-Signature"), "signs with the first key")

	cfg.Source = staticSource{err: errors.New("vault sealed")}
	v, err = callback.NewHMACVerifier(cfg)
	require.NoError(t, err)
	err = verifyWith(t, v, "new-secret")
	assert.ErrorIs(t, err, callback.ErrUnavailable, "a failing source is a 503, not a 401")
	assert.Empty(t, v.Sign(secretBody, secretsT0))
}
