package callback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// requireInvalidConfig checks the one shape of a configuration error: an
// *itsm.ValidationError naming (at least) every field of fields, matching
// itsm.ErrInvalidConfig, told once under this package's prefix.
func requireInvalidConfig(t testing.TB, err error, what string, fields ...string) {
	t.Helper()
	requireValidationError(t, err, itsm.ErrInvalidConfig, what, fields...)
}

func requireValidationError(t testing.TB, err, sentinel error, what string, fields ...string) {
	t.Helper()
	require.ErrorIs(t, err, sentinel)
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
}

// verifierTestClock is a settable clock.
type verifierTestClock struct {
	mu sync.Mutex
	t  time.Time
}

func newVerifierTestClock() *verifierTestClock {
	return &verifierTestClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *verifierTestClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *verifierTestClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fakeTokenStore is a minimal in-memory TokenStore with fault injection.
type fakeTokenStore struct {
	mu       sync.Mutex
	tokens   []itsm.CallbackToken
	getErr   error
	touchErr error
	putErr   error
	touches  int
}

func (s *fakeTokenStore) PutToken(_ context.Context, t itsm.CallbackToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.putErr != nil {
		return s.putErr
	}
	t.Hash = bytes.Clone(t.Hash)
	for i := range s.tokens {
		if s.tokens[i].ID == t.ID {
			s.tokens[i] = t
			return nil
		}
	}
	s.tokens = append(s.tokens, t)
	return nil
}

func (s *fakeTokenStore) GetTokenByHash(_ context.Context, hash []byte) (itsm.CallbackToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getErr != nil {
		return itsm.CallbackToken{}, s.getErr
	}
	for _, t := range s.tokens {
		if bytes.Equal(t.Hash, hash) {
			t.Hash = bytes.Clone(t.Hash)
			return t, nil
		}
	}
	return itsm.CallbackToken{}, itsm.ErrNotFound
}

func (s *fakeTokenStore) ListTokens(_ context.Context, integrationID string) ([]itsm.CallbackToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []itsm.CallbackToken
	for _, t := range s.tokens {
		if t.IntegrationID == integrationID {
			t.Hash = bytes.Clone(t.Hash)
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *fakeTokenStore) RevokeToken(_ context.Context, id string, at time.Time) error {
	return s.update(id, func(t *itsm.CallbackToken) { t.RevokedAt = at })
}

func (s *fakeTokenStore) TouchToken(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	s.touches++
	err := s.touchErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.update(id, func(t *itsm.CallbackToken) { t.LastUsedAt = at })
}

func (s *fakeTokenStore) update(id string, f func(*itsm.CallbackToken)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.tokens {
		if s.tokens[i].ID == id {
			f(&s.tokens[i])
			return nil
		}
	}
	return itsm.ErrNotFound
}

func (s *fakeTokenStore) record(id string) itsm.CallbackToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.ID == id {
			return t
		}
	}
	return itsm.CallbackToken{}
}

func (s *fakeTokenStore) snapshot() []itsm.CallbackToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tokens)
}

func setupTokens(t *testing.T, cfg TokensConfig) (*Tokens, *fakeTokenStore, *verifierTestClock) {
	t.Helper()
	store := &fakeTokenStore{}
	clock := newVerifierTestClock()
	tokens, err := NewTokens(store, cfg, itsm.WithClock(clock))
	require.NoError(t, err)
	return tokens, store, clock
}

func issue(t *testing.T, tokens *Tokens, integrationID string) IssuedToken {
	t.Helper()
	it, err := tokens.Generate(context.Background(), TokenRequest{IntegrationID: integrationID, AppName: "Jira Production — inbound"})
	require.NoError(t, err)
	return it
}

func TestGenerate(t *testing.T) {
	tokens, store, clock := setupTokens(t, TokensConfig{})
	ctx := context.Background()
	exp := clock.Now().Add(24 * time.Hour)
	it, err := tokens.Generate(ctx, TokenRequest{IntegrationID: "int-1", AppName: "Jira", Description: "prod", ExpiresAt: exp})
	require.NoError(t, err)

	assert.True(t, strings.HasPrefix(it.Token, TokenPrefix))
	assert.Len(t, it.Token, len(TokenPrefix)+43)
	assert.True(t, wellFormedToken(it.Token))
	assert.Nil(t, it.Record.Hash, "the returned record carries no hash")
	assert.Equal(t, "int-1", it.Record.IntegrationID)
	assert.Equal(t, "Jira", it.Record.AppName)
	assert.Equal(t, "prod", it.Record.Description)
	assert.Equal(t, clock.Now(), it.Record.CreatedAt)
	assert.Equal(t, exp, it.Record.ExpiresAt)
	assert.True(t, strings.HasPrefix(it.Record.ID, "cbt_"))

	stored := store.record(it.Record.ID)
	assert.Equal(t, hashToken(it.Token), stored.Hash, "only the SHA-256 is stored")
	for _, rec := range store.snapshot() {
		assert.NotContains(t, fmt.Sprintf("%+v", rec), it.Token[len(TokenPrefix):])
	}

	it2 := issue(t, tokens, "int-1")
	assert.NotEqual(t, it.Token, it2.Token)
	assert.NotEqual(t, it.Record.ID, it2.Record.ID)
}

func TestGenerateInvalid(t *testing.T) {
	tokens, store, clock := setupTokens(t, TokensConfig{})
	tests := []struct {
		name string
		req  TokenRequest
		want []string
	}{
		{"empty", TokenRequest{}, []string{"integration_id", "app_name"}},
		{"blank app", TokenRequest{IntegrationID: "i", AppName: "  "}, []string{"app_name"}},
		{"expired", TokenRequest{IntegrationID: "i", AppName: "a", ExpiresAt: clock.Now()}, []string{"expires_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tokens.Generate(context.Background(), tt.req)
			requireValidationError(t, err, itsm.ErrInvalidInput, "token request", tt.want...)
		})
	}
	assert.Empty(t, store.snapshot(), "no state change")

	t.Run("store failure", func(t *testing.T) {
		store.putErr = fmt.Errorf("disk full: %w", itsm.ErrStore)
		defer func() { store.putErr = nil }()
		_, err := tokens.Generate(context.Background(), TokenRequest{IntegrationID: "i", AppName: "a"})
		require.ErrorIs(t, err, itsm.ErrStore)
	})
	t.Run("random failure", func(t *testing.T) {
		tk, err := NewTokens(store, TokensConfig{Random: strings.NewReader("short")})
		require.NoError(t, err)
		_, err = tk.Generate(context.Background(), TokenRequest{IntegrationID: "i", AppName: "a"})
		require.Error(t, err)
	})
	t.Run("nil store", func(t *testing.T) {
		_, err := NewTokens(nil, TokensConfig{})
		requireInvalidConfig(t, err, "tokens configuration", "store")
	})
}

func TestTokensVerify(t *testing.T) {
	ctx := context.Background()
	tokens, store, clock := setupTokens(t, TokensConfig{})
	good := issue(t, tokens, "int-1")
	other := issue(t, tokens, "int-2")
	revoked := issue(t, tokens, "int-1")
	require.NoError(t, tokens.Revoke(ctx, "int-1", revoked.Record.ID))
	expiring, err := tokens.Generate(ctx, TokenRequest{IntegrationID: "int-1", AppName: "a", ExpiresAt: clock.Now().Add(time.Hour)})
	require.NoError(t, err)
	clock.Advance(2 * time.Hour)

	flipped := []byte(good.Token)
	if flipped[len(flipped)-1] == 'A' {
		flipped[len(flipped)-1] = 'B'
	} else {
		flipped[len(flipped)-1] = 'A'
	}
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"good", good.Token, nil},
		{"empty", "", ErrMissingToken},
		{"garbage", "hello", ErrInvalidToken},
		{"wrong prefix", "xxxx_cb_" + good.Token[len(TokenPrefix):], ErrInvalidToken},
		{"one char off", string(flipped), ErrInvalidToken},
		{"bad alphabet", good.Token[:len(good.Token)-1] + "!", ErrInvalidToken},
		{"other integration", other.Token, ErrInvalidToken},
		{"revoked", revoked.Token, ErrTokenRevoked},
		{"expired", expiring.Token, ErrTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := store.snapshot()
			rec, err := tokens.Verify(ctx, "int-1", tt.token)
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, good.Record.ID, rec.ID)
				assert.Nil(t, rec.Hash)
				assert.Equal(t, clock.Now(), rec.LastUsedAt)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, before, store.snapshot(), "no state change")
			if tt.token != "" {
				assert.NotContains(t, err.Error(), tt.token)
			}
		})
	}

	t.Run("empty integration id", func(t *testing.T) {
		_, err := tokens.Verify(ctx, "", good.Token)
		require.ErrorIs(t, err, ErrInvalidToken)
	})
	t.Run("store down", func(t *testing.T) {
		store.getErr = fmt.Errorf("connection refused: %w", itsm.ErrStore)
		defer func() { store.getErr = nil }()
		_, err := tokens.Verify(ctx, "int-1", good.Token)
		require.ErrorIs(t, err, ErrUnavailable)
		require.ErrorIs(t, err, itsm.ErrStore)
		assert.NotContains(t, err.Error(), good.Token)
	})
}

func TestTouch(t *testing.T) {
	ctx := context.Background()
	var hookErrs []error
	tokens, store, clock := setupTokens(t, TokensConfig{OnTouchError: func(_ context.Context, id string, err error) {
		hookErrs = append(hookErrs, err)
	}})
	it := issue(t, tokens, "int-1")

	_, err := tokens.Verify(ctx, "int-1", it.Token)
	require.NoError(t, err)
	assert.Equal(t, clock.Now(), store.record(it.Record.ID).LastUsedAt)
	assert.Equal(t, 1, store.touches)

	clock.Advance(10 * time.Second)
	_, err = tokens.Verify(ctx, "int-1", it.Token)
	require.NoError(t, err)
	assert.Equal(t, 1, store.touches, "no write within the touch interval")

	clock.Advance(DefaultTouchInterval)
	store.touchErr = fmt.Errorf("read-only replica: %w", itsm.ErrStore)
	rec, err := tokens.Verify(ctx, "int-1", it.Token)
	require.NoError(t, err, "a failed touch does not fail the request")
	assert.NotEqual(t, clock.Now(), rec.LastUsedAt)
	require.Len(t, hookErrs, 1)
	assert.ErrorIs(t, hookErrs[0], itsm.ErrStore)
	assert.NotContains(t, hookErrs[0].Error(), it.Token)

	t.Run("logged", func(t *testing.T) {
		var logs bytes.Buffer
		st := &fakeTokenStore{touchErr: fmt.Errorf("read-only replica: %w", itsm.ErrStore)}
		tk, err := NewTokens(st, TokensConfig{}, itsm.WithClock(newVerifierTestClock()),
			itsm.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		it := issue(t, tk, "i")
		_, err = tk.Verify(ctx, "i", it.Token)
		require.NoError(t, err)
		assert.Contains(t, logs.String(), "level=WARN")
		assert.Contains(t, logs.String(), "read-only replica")
		assert.Contains(t, logs.String(), it.Record.ID)
		assert.NotContains(t, logs.String(), it.Token)
	})
	t.Run("every interval", func(t *testing.T) {
		tk, st, clk := setupTokens(t, TokensConfig{TouchInterval: time.Second})
		it := issue(t, tk, "i")
		for range 3 {
			_, err := tk.Verify(ctx, "i", it.Token)
			require.NoError(t, err)
			clk.Advance(time.Second)
		}
		assert.Equal(t, 3, st.touches, "one write per use when uses are an interval apart")
		_, err := tk.Verify(ctx, "i", it.Token)
		require.NoError(t, err)
		clk.Advance(time.Second - time.Nanosecond)
		_, err = tk.Verify(ctx, "i", it.Token)
		require.NoError(t, err)
		assert.Equal(t, 4, st.touches, "no second write within the interval")
	})
	t.Run("off", func(t *testing.T) {
		tk, st, _ := setupTokens(t, TokensConfig{TouchInterval: itsm.Off})
		it := issue(t, tk, "i")
		_, err := tk.Verify(ctx, "i", it.Token)
		require.NoError(t, err)
		assert.Equal(t, 0, st.touches)
	})
	t.Run("zero is the default", func(t *testing.T) {
		tk, st, clk := setupTokens(t, TokensConfig{})
		it := issue(t, tk, "i")
		for range 2 {
			_, err := tk.Verify(ctx, "i", it.Token)
			require.NoError(t, err)
		}
		assert.Equal(t, 1, st.touches)
		clk.Advance(DefaultTouchInterval)
		_, err := tk.Verify(ctx, "i", it.Token)
		require.NoError(t, err)
		assert.Equal(t, 2, st.touches)
	})
}

func TestListAndRevoke(t *testing.T) {
	ctx := context.Background()
	tokens, _, clock := setupTokens(t, TokensConfig{})
	a := issue(t, tokens, "int-1")
	clock.Advance(time.Minute)
	b := issue(t, tokens, "int-1")
	c := issue(t, tokens, "int-2")

	list, err := tokens.List(ctx, "int-1")
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, a.Record.ID, list[0].ID)
	assert.Equal(t, b.Record.ID, list[1].ID)
	for _, r := range list {
		assert.Nil(t, r.Hash)
	}

	// Rotation: both live, then the old one revoked.
	for _, tok := range []string{a.Token, b.Token} {
		_, err := tokens.Verify(ctx, "int-1", tok)
		require.NoError(t, err)
	}
	require.NoError(t, tokens.Revoke(ctx, "int-1", a.Record.ID))
	_, err = tokens.Verify(ctx, "int-1", a.Token)
	require.ErrorIs(t, err, ErrTokenRevoked)
	_, err = tokens.Verify(ctx, "int-1", b.Token)
	require.NoError(t, err)

	// Revoking again keeps the first time.
	list, _ = tokens.List(ctx, "int-1")
	first := list[0].RevokedAt
	clock.Advance(time.Hour)
	require.NoError(t, tokens.Revoke(ctx, "int-1", a.Record.ID))
	list, _ = tokens.List(ctx, "int-1")
	assert.Equal(t, first, list[0].RevokedAt)

	// Another integration's token cannot be revoked through int-1.
	err = tokens.Revoke(ctx, "int-1", c.Record.ID)
	require.ErrorIs(t, err, ErrTokenNotFound)
	require.ErrorIs(t, err, itsm.ErrNotFound)
	_, err = tokens.Verify(ctx, "int-2", c.Token)
	require.NoError(t, err)

	err = tokens.Revoke(ctx, "int-1", "cbt_nope")
	require.ErrorIs(t, err, ErrTokenNotFound)
	assert.True(t, errors.Is(err, itsm.ErrNotFound))
}

func TestTokensConcurrent(t *testing.T) {
	ctx := context.Background()
	tokens, _, clock := setupTokens(t, TokensConfig{TouchInterval: time.Nanosecond})
	it := issue(t, tokens, "int-1")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				clock.Advance(time.Nanosecond) // every use writes its last-used time
				_, err := tokens.Verify(ctx, "int-1", it.Token)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}

func FuzzTokensVerify(f *testing.F) {
	store := &fakeTokenStore{}
	tokens, err := NewTokens(store, TokensConfig{}, itsm.WithClock(newVerifierTestClock()))
	require.NoError(f, err)
	it, err := tokens.Generate(context.Background(), TokenRequest{IntegrationID: "int-1", AppName: "a"})
	require.NoError(f, err)
	f.Add(it.Token[:len(it.Token)-1] + "x")
	f.Add("")
	f.Add(TokenPrefix + strings.Repeat("A", 43))
	f.Add("Bearer " + TokenPrefix)
	f.Fuzz(func(t *testing.T, token string) {
		_, err := tokens.Verify(context.Background(), "int-1", token)
		if token == it.Token {
			return
		}
		if err == nil {
			t.Fatalf("token %q verified", token)
		}
		if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrMissingToken) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func BenchmarkTokensVerify(b *testing.B) {
	tokens, err := NewTokens(&fakeTokenStore{}, TokensConfig{}, itsm.WithClock(newVerifierTestClock()))
	require.NoError(b, err)
	it, err := tokens.Generate(context.Background(), TokenRequest{IntegrationID: "int-1", AppName: "a"})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(context.Background(), "int-1", it.Token); err != nil {
			b.Fatal(err)
		}
	}
}
