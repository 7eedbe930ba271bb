package callback

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// TokenPrefix starts every callback token, so a leaked token is easy to find
// with grep or a secret scanner, and a token pasted into the wrong field is
// recognizable.
const TokenPrefix = "itsm_cb_"

// tokenBytes is the entropy of a token: 256 bits.
const tokenBytes = 32

// tokenLen is the length of an encoded token: the prefix and 32 bytes in
// unpadded base64url.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(tokenBytes)

// DefaultTouchInterval is how often Tokens.Verify updates a token's
// last-used time at most (one store write per token per interval, not one
// per request).
const DefaultTouchInterval = time.Minute

// TokenRequest asks for a new callback token.
type TokenRequest struct {
	// IntegrationID is the integration the token is scoped to (the config
	// id). Required.
	IntegrationID string `json:"integration_id"`
	// AppName labels the token, e.g. "Jira Production — inbound". Required.
	AppName string `json:"app_name"`
	// Description is an optional note about the token's use.
	Description string `json:"description,omitempty"`
	// ExpiresAt, when set, is when the token stops working; it must be in
	// the future. The zero value means the token does not expire.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// IssuedToken is a newly generated token. Token is the plaintext: it is shown
// to the user once and never stored nor returned again; Record is what was
// stored (it holds only the token's hash).
type IssuedToken struct {
	Token  string
	Record itsm.CallbackToken
}

// Tokens issues, verifies, lists and revokes callback tokens over an
// TokenStore. Only the SHA-256 of a token is stored: a token is 256
// random bits, so it cannot be guessed or brute-forced from its hash and a
// slow password KDF (bcrypt, argon2) would only add latency to every
// callback. The lookup is by hash and the match is confirmed with a
// constant-time comparison.
//
// An integration may hold several live tokens at once, so a token is rotated
// by generating a new one, reconfiguring the ITSM, then revoking the old one.
//
// Tokens is safe for concurrent use when its store is.
type Tokens struct {
	store         TokenStore
	clock         itsm.Clock
	rand          io.Reader
	touchInterval time.Duration
	onTouchError  func(ctx context.Context, tokenID string, err error)
}

// TokensOption configures Tokens.
type TokensOption func(*Tokens)

// WithTokenClock sets the clock used for creation, expiry and last-used times
// (default: the system clock). A nil clock is ignored.
func WithTokenClock(c itsm.Clock) TokensOption {
	return func(t *Tokens) {
		if c != nil {
			t.clock = c
		}
	}
}

// WithTokenRandom sets the source of token bytes and ids (default crypto/rand).
// Only tests should set it. A nil reader is ignored.
func WithTokenRandom(r io.Reader) TokensOption {
	return func(t *Tokens) {
		if r != nil {
			t.rand = r
		}
	}
}

// WithTouchInterval sets how stale a token's last-used time may get before
// Verify writes it again (default [DefaultTouchInterval]; 0 writes on every
// successful verification; negative never writes).
func WithTouchInterval(d time.Duration) TokensOption {
	return func(t *Tokens) { t.touchInterval = d }
}

// WithTouchErrorHandler sets a function told when updating a token's
// last-used time fails. Such a failure never fails the verification (the
// time is best effort); without a handler it is dropped. The error never
// holds the token.
func WithTouchErrorHandler(f func(ctx context.Context, tokenID string, err error)) TokensOption {
	return func(t *Tokens) { t.onTouchError = f }
}

// NewTokens returns Tokens over store. A nil store is an error wrapping
// [ErrInvalidVerifier].
func NewTokens(store TokenStore, opts ...TokensOption) (*Tokens, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil token store", ErrInvalidVerifier)
	}
	t := &Tokens{store: store, clock: itsm.SystemClock{}, rand: rand.Reader, touchInterval: DefaultTouchInterval}
	for _, o := range opts {
		o(t)
	}
	return t, nil
}

// HashToken returns the SHA-256 of a token, as stored in
// itsm.CallbackToken.Hash.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Generate creates a token for an integration, stores its hash, and returns
// the plaintext once. A request missing the integration id or app name, or
// with an expiry not in the future, is an error wrapping
// [ErrInvalidTokenRequest]; a store failure wraps the store's error.
func (t *Tokens) Generate(ctx context.Context, req TokenRequest) (IssuedToken, error) {
	now := t.clock.Now()
	var problems []string
	if strings.TrimSpace(req.IntegrationID) == "" {
		problems = append(problems, "integration_id: required")
	}
	if strings.TrimSpace(req.AppName) == "" {
		problems = append(problems, "app_name: required")
	}
	if !req.ExpiresAt.IsZero() && !req.ExpiresAt.After(now) {
		problems = append(problems, "expires_at: not in the future")
	}
	if len(problems) > 0 {
		return IssuedToken{}, fmt.Errorf("%w: %s", ErrInvalidTokenRequest, strings.Join(problems, "; "))
	}
	var buf [tokenBytes + 12]byte
	if _, err := io.ReadFull(t.rand, buf[:]); err != nil {
		return IssuedToken{}, fmt.Errorf("callback: generate token: reading random bytes: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(buf[:tokenBytes])
	rec := itsm.CallbackToken{
		ID:            "cbt_" + hex.EncodeToString(buf[tokenBytes:]),
		IntegrationID: req.IntegrationID,
		AppName:       req.AppName,
		Description:   req.Description,
		Hash:          HashToken(token),
		CreatedAt:     now,
		ExpiresAt:     req.ExpiresAt,
	}
	if err := t.store.PutToken(ctx, rec); err != nil {
		return IssuedToken{}, fmt.Errorf("callback: generate token: %w", err)
	}
	rec.Hash = nil
	return IssuedToken{Token: token, Record: rec}, nil
}

// wellFormedToken reports whether token has the shape of a generated token, so
// garbage is rejected without a store lookup.
func wellFormedToken(token string) bool {
	if len(token) != tokenLen || !strings.HasPrefix(token, TokenPrefix) {
		return false
	}
	for i := len(TokenPrefix); i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Verify checks a token presented for integrationID and returns its record
// (without the hash). It fails with [ErrMissingToken] for an empty token,
// [ErrInvalidToken] for a malformed or unknown token or one issued for
// another integration, [ErrTokenRevoked], [ErrTokenExpired], and
// [ErrUnavailable] (wrapping the store's error) when the store fails. On
// success it updates the token's last-used time, best effort: a failure is
// reported to the touch error handler and does not fail the call.
func (t *Tokens) Verify(ctx context.Context, integrationID, token string) (itsm.CallbackToken, error) {
	if token == "" {
		return itsm.CallbackToken{}, ErrMissingToken
	}
	if !wellFormedToken(token) {
		return itsm.CallbackToken{}, fmt.Errorf("%w: not a callback token", ErrInvalidToken)
	}
	hash := HashToken(token)
	rec, err := t.store.GetTokenByHash(ctx, hash)
	if errors.Is(err, itsm.ErrNotFound) {
		return itsm.CallbackToken{}, fmt.Errorf("%w: unknown token", ErrInvalidToken)
	}
	if err != nil {
		return itsm.CallbackToken{}, unavailable("token lookup", err)
	}
	// The lookup found the record by its hash; confirm in constant time so
	// the store's index behaviour cannot leak timing on the comparison.
	if subtle.ConstantTimeCompare(rec.Hash, hash) != 1 {
		return itsm.CallbackToken{}, fmt.Errorf("%w: unknown token", ErrInvalidToken)
	}
	rec.Hash = nil
	if integrationID == "" || rec.IntegrationID != integrationID {
		return itsm.CallbackToken{}, fmt.Errorf("%w: issued for another integration", ErrInvalidToken)
	}
	now := t.clock.Now()
	if !rec.RevokedAt.IsZero() {
		return itsm.CallbackToken{}, ErrTokenRevoked
	}
	if !rec.ExpiresAt.IsZero() && !now.Before(rec.ExpiresAt) {
		return itsm.CallbackToken{}, ErrTokenExpired
	}
	if t.touchInterval >= 0 && (rec.LastUsedAt.IsZero() || now.Sub(rec.LastUsedAt) >= t.touchInterval) {
		if err := t.store.TouchToken(ctx, rec.ID, now); err != nil {
			if t.onTouchError != nil {
				t.onTouchError(ctx, rec.ID, fmt.Errorf("callback: touch token %s: %w", rec.ID, err))
			}
		} else {
			rec.LastUsedAt = now
		}
	}
	return rec, nil
}

// List returns an integration's tokens, revoked ones included, oldest first,
// without their hashes.
func (t *Tokens) List(ctx context.Context, integrationID string) ([]itsm.CallbackToken, error) {
	recs, err := t.store.ListTokens(ctx, integrationID)
	if err != nil {
		return nil, fmt.Errorf("callback: list tokens: %w", err)
	}
	out := make([]itsm.CallbackToken, 0, len(recs))
	for _, r := range recs {
		if r.IntegrationID != integrationID {
			continue
		}
		r.Hash = nil
		out = append(out, r)
	}
	return out, nil
}

// Revoke revokes the token with id tokenID of integrationID, effective at
// once. A token id of another integration, or an unknown one, is
// [ErrTokenNotFound] (so one integration cannot revoke another's tokens).
// Revoking a revoked token keeps its first revocation time and is not an
// error.
func (t *Tokens) Revoke(ctx context.Context, integrationID, tokenID string) error {
	recs, err := t.store.ListTokens(ctx, integrationID)
	if err != nil {
		return fmt.Errorf("callback: revoke token: %w", err)
	}
	for _, r := range recs {
		if r.ID != tokenID || r.IntegrationID != integrationID {
			continue
		}
		if !r.RevokedAt.IsZero() {
			return nil
		}
		if err := t.store.RevokeToken(ctx, tokenID, t.clock.Now()); err != nil {
			if errors.Is(err, itsm.ErrNotFound) {
				return &tokenNotFoundError{id: tokenID}
			}
			return fmt.Errorf("callback: revoke token: %w", err)
		}
		return nil
	}
	return &tokenNotFoundError{id: tokenID}
}
