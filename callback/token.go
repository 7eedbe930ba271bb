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
// per request): what a zero [TokensConfig.TouchInterval] means.
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

// TokensConfig holds the settings of [Tokens]. The zero value of each field
// means its default.
type TokensConfig struct {
	// Random is the source of token bytes and ids; nil means crypto/rand.
	// Set it only to make tokens predictable in tests.
	Random io.Reader `json:"-"`
	// TouchInterval is how stale a token's last-used time may get before
	// Verify writes it again: 0 means [DefaultTouchInterval]; a negative
	// value (itsm.Off) turns last-used times off (Verify never writes).
	TouchInterval time.Duration `json:"touch_interval,omitempty"`
	// OnTouchError, when set, is told when updating a token's last-used
	// time fails. Such a failure never fails the verification (the time is
	// best effort); it is logged at Warn either way. The error never holds
	// the token.
	OnTouchError func(ctx context.Context, tokenID string, err error) `json:"-"`
}

// Tokens issues, verifies, lists and revokes callback tokens over a
// [TokenStore]. Only the SHA-256 of a token is stored: a token is 256
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
	store TokenStore
	cfg   TokensConfig
	env   itsm.Options
}

// NewTokens returns Tokens over store with the settings of cfg. Of opts it
// uses the clock (creation, expiry and last-used times) and the logger (a
// failed last-used update, at Warn). A nil store is a validation error
// (errors.As: *itsm.ValidationError, matching itsm.ErrInvalidConfig).
func NewTokens(store TokenStore, cfg TokensConfig, opts ...itsm.Option) (*Tokens, error) {
	var p fieldErrors
	if store == nil {
		p.add("store", "is required")
	}
	if err := p.err("tokens configuration", false); err != nil {
		return nil, err
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	if cfg.TouchInterval == 0 {
		cfg.TouchInterval = DefaultTouchInterval
	}
	return &Tokens{store: store, cfg: cfg, env: itsm.NewOptions(opts...)}, nil
}

// hashToken returns the SHA-256 of a token, as stored in
// itsm.CallbackToken.Hash.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Generate creates a token for an integration, stores its hash, and returns
// the plaintext once. A request missing the integration id or app name, or
// with an expiry not in the future, is an error holding an
// *itsm.ValidationError (errors.As) that lists every problem and matches
// itsm.ErrInvalidInput; a store failure wraps the store's error.
func (t *Tokens) Generate(ctx context.Context, req TokenRequest) (IssuedToken, error) {
	now := t.env.Clock.Now()
	var p fieldErrors
	if strings.TrimSpace(req.IntegrationID) == "" {
		p.add("integration_id", "is required")
	}
	if strings.TrimSpace(req.AppName) == "" {
		p.add("app_name", "is required")
	}
	if !req.ExpiresAt.IsZero() && !req.ExpiresAt.After(now) {
		p.add("expires_at", "is not in the future")
	}
	if err := p.err("token request", true); err != nil {
		return IssuedToken{}, err
	}
	var buf [tokenBytes + 12]byte
	if _, err := io.ReadFull(t.cfg.Random, buf[:]); err != nil {
		return IssuedToken{}, fmt.Errorf("callback: generate token: reading random bytes: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(buf[:tokenBytes])
	rec := itsm.CallbackToken{
		ID:            "cbt_" + hex.EncodeToString(buf[tokenBytes:]),
		IntegrationID: req.IntegrationID,
		AppName:       req.AppName,
		Description:   req.Description,
		Hash:          hashToken(token),
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
	hash := hashToken(token)
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
	now := t.env.Clock.Now()
	if !rec.RevokedAt.IsZero() {
		return itsm.CallbackToken{}, ErrTokenRevoked
	}
	if !rec.ExpiresAt.IsZero() && !now.Before(rec.ExpiresAt) {
		return itsm.CallbackToken{}, ErrTokenExpired
	}
	if t.cfg.TouchInterval > 0 && (rec.LastUsedAt.IsZero() || now.Sub(rec.LastUsedAt) >= t.cfg.TouchInterval) {
		if err := t.store.TouchToken(ctx, rec.ID, now); err != nil {
			err = fmt.Errorf("callback: touch token %s: %w", rec.ID, err)
			t.env.Logger.WarnContext(ctx, "callback: token last-used time not updated",
				"token_id", rec.ID, "error", safeErrorText(err))
			if t.cfg.OnTouchError != nil {
				t.cfg.OnTouchError(ctx, rec.ID, err)
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
		if err := t.store.RevokeToken(ctx, tokenID, t.env.Clock.Now()); err != nil {
			if errors.Is(err, itsm.ErrNotFound) {
				return &tokenNotFoundError{id: tokenID}
			}
			return fmt.Errorf("callback: revoke token: %w", err)
		}
		return nil
	}
	return &tokenNotFoundError{id: tokenID}
}
