package callback

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/internal/redact"
	"github.com/itsmsync/itsmsync/itsm"
)

// Errors of managed webhook secrets ([Secrets]). Like every error of this
// package they never hold a secret.
var (
	// ErrSecretExists is a Generate for an integration that already has a
	// current secret: use Rotate.
	ErrSecretExists = errors.New("callback: webhook secret exists")
	// ErrSecretConflict is a Generate or Rotate that lost to a concurrent
	// one (on this or another replica): nothing was stored and no secret is
	// returned; the winner's secret is the current one. Errors matching it
	// match itsm.ErrConflict too.
	ErrSecretConflict = errors.New("callback: webhook secret changed concurrently")
	// ErrSecretNotFound is a secret id unknown to the integration (Revoke).
	// Errors matching it match itsm.ErrNotFound too.
	ErrSecretNotFound = errors.New("callback: webhook secret not found")
	// ErrSecretUnreadable is a stored secret that the [Sealer] cannot open:
	// the key is wrong, or the row was altered or copied to another
	// integration or secret id.
	ErrSecretUnreadable = errors.New("callback: webhook secret cannot be opened")
)

// SecretPrefix starts every generated webhook secret, so a leaked one is
// easy to find with grep or a secret scanner.
const SecretPrefix = "itsm_whs_"

// secretBytes is the entropy of a webhook secret: 256 bits.
const secretBytes = 32

// DefaultSecretOverlap is how long the secrets a rotation replaces keep
// verifying: what a zero [SecretsConfig].Overlap means. A day leaves time to
// paste the new secret into the ITSM and for its queued deliveries (signed
// with the old one) to drain.
const DefaultSecretOverlap = 24 * time.Hour

// DefaultSecretCacheTTL is how long a [SecretSource] from [Secrets.Source]
// reuses what it read from the store: what a zero [SecretsConfig].CacheTTL
// means.
const DefaultSecretCacheTTL = 30 * time.Second

// secretRefreshEvery bounds the extra store reads a signature that matches
// no cached secret causes: at most one per integration and replica per
// interval, however many forged deliveries arrive.
const secretRefreshEvery = time.Second

// redactedMarker replaces a secret when a value holding one is printed.
const redactedMarker = redact.Marker

// Secret is the plaintext of a webhook secret. It prints as "[REDACTED]"
// under every fmt verb (%v, %+v, %#v, %s, %q ...), in slog, and in JSON;
// only [Secret.Reveal] returns it.
type Secret struct{ s string }

// Reveal returns the secret, to show it to the ITSM administrator once.
func (s Secret) Reveal() string { return s.s }

// IsZero reports whether s holds no secret.
func (s Secret) IsZero() bool { return s.s == "" }

// String returns "[REDACTED]".
func (s Secret) String() string { return redactedMarker }

// GoString returns "callback.Secret{[REDACTED]}".
func (s Secret) GoString() string { return "callback.Secret{" + redactedMarker + "}" }

// Format prints "[REDACTED]" under every verb (the Go syntax of GoString
// under %#v).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = io.WriteString(f, redactedMarker)
}

// LogValue logs "[REDACTED]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redactedMarker) }

// MarshalJSON writes "[REDACTED]": send Reveal() to a UI explicitly.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedMarker + `"`), nil }

// MarshalText writes "[REDACTED]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redactedMarker), nil }

// SecretStore keeps webhook secrets, sealed; memstore and sqlstore
// implement it. Every method is safe for concurrent use, also from several
// replicas sharing one database; errors other than the documented sentinels
// wrap itsm.ErrStore.
type SecretStore interface {
	// AddWebhookSecret stores s and, atomically with it, retires the
	// integration's older secrets: each one with a Seq below s.Seq gets
	// RetiresAt = retireOlderAt unless it is already set to an earlier
	// instant. When the integration already has a secret with a Seq of
	// s.Seq or more, or one with the id s.ID (a concurrent rotation won),
	// nothing is written and the error wraps itsm.ErrConflict.
	AddWebhookSecret(ctx context.Context, s itsm.WebhookSecret, retireOlderAt time.Time) error
	// ListWebhookSecrets returns every secret of an integration (retired
	// and revoked ones included, each with its Ciphertext), by Seq
	// ascending; none is not an error.
	ListWebhookSecrets(ctx context.Context, integrationID string) ([]itsm.WebhookSecret, error)
	// RevokeWebhookSecret sets RevokedAt of the integration's secret id to
	// at, unless it is already revoked (the first time is kept); an error
	// wrapping itsm.ErrNotFound when the integration has no such secret.
	RevokeWebhookSecret(ctx context.Context, integrationID, id string, at time.Time) error
}

// SecretsConfig holds the settings of [Secrets]. The zero value of each
// field means its default.
type SecretsConfig struct {
	// Overlap is how long the secrets a rotation replaces keep verifying:
	// 0 means [DefaultSecretOverlap]; a negative value (itsm.Off) retires
	// them at once.
	Overlap time.Duration `json:"overlap,omitempty"`
	// CacheTTL is how long a [SecretSource] from [Secrets.Source] reuses the
	// secrets it read, so a rotation or revocation made on another replica
	// is seen within it: 0 means [DefaultSecretCacheTTL]; a negative value
	// (itsm.Off) reads the store on every delivery. Changes made through
	// the same Secrets are seen at once, and a signature that matches no
	// cached secret re-reads the store (at most once a second per
	// integration), so a secret rotated on another replica verifies as soon
	// as the ITSM uses it.
	CacheTTL time.Duration `json:"cache_ttl,omitempty"`
	// Random is the source of secret bytes and ids; nil means crypto/rand.
	// Set it only to make secrets predictable in tests.
	Random io.Reader `json:"-"`
}

// SecretState is where a webhook secret is in its life.
type SecretState string

// Webhook secret states.
const (
	// SecretCurrent is the newest secret: the ITSM should sign with it.
	SecretCurrent SecretState = "current"
	// SecretRetiring is a replaced secret inside its overlap: it still
	// verifies until RetiresAt.
	SecretRetiring SecretState = "retiring"
	// SecretRetired is a replaced secret past its overlap.
	SecretRetired SecretState = "retired"
	// SecretRevoked is a revoked secret.
	SecretRevoked SecretState = "revoked"
)

// SecretInfo describes a webhook secret without it: what [Secrets.List]
// returns and what a UI shows.
type SecretInfo struct {
	ID            string `json:"id"`
	IntegrationID string `json:"integration_id"`
	// Seq is the secret's generation: 1 for the first, +1 per rotation.
	Seq       int64     `json:"seq"`
	CreatedAt time.Time `json:"created_at"`
	// RetiresAt is when a replaced secret stops verifying; zero for the
	// current one.
	RetiresAt time.Time `json:"retires_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// State is the secret's state at the time of the call.
	State SecretState `json:"state"`
}

// IssuedSecret is a newly generated webhook secret. Secret is the plaintext:
// it is returned here once and never again (the store keeps it sealed and
// listings omit it); Info describes it.
type IssuedSecret struct {
	Secret Secret     `json:"secret"`
	Info   SecretInfo `json:"info"`
}

// Secrets manages the HMAC signing secrets of integrations whose ITSM signs
// its webhooks (Jira, SysAid): Generate makes one and returns it once,
// Rotate replaces it with an overlap in which both verify, Revoke stops one
// at once, List describes them, and Source / Verifier make the HMAC verifier
// read them. Unlike callback tokens (kept as hashes), an HMAC key is needed
// in clear to verify, so each secret is stored sealed by a [Sealer] under a
// key the host holds, bound to its integration and id.
//
// A secret is [SecretPrefix] followed by 64 lowercase hex digits (32 bytes
// from crypto/rand): only [a-z0-9_], so it survives any form field, URL or
// double-click selection; the ITSM uses it as is (its bytes are the HMAC
// key).
//
// Secrets is safe for concurrent use, by several replicas on one store:
// concurrent rotations of one integration are settled by the store (one
// wins, the others get [ErrSecretConflict] and store nothing). It prints
// without any secret under every fmt verb and in slog.
type Secrets struct {
	store  SecretStore
	sealer Sealer
	cfg    SecretsConfig
	env    itsm.Options

	mu    sync.Mutex
	cache map[string]*secretCache // by integration id
}

// NewSecrets returns Secrets over store, sealing with sealer, with the
// settings of cfg. Of opts it uses the clock (creation, overlap, cache
// times), the logger (changes at Info, secrets that cannot be opened at
// Warn; ids only) and the audit sink (one event per Generate, Rotate and
// Revoke). A nil store or sealer is a validation error (errors.As:
// *itsm.ValidationError, matching itsm.ErrInvalidConfig).
func NewSecrets(store SecretStore, sealer Sealer, cfg SecretsConfig, opts ...itsm.Option) (*Secrets, error) {
	var p fieldErrors
	if store == nil {
		p.add("store", "is required")
	}
	if sealer == nil {
		p.add("sealer", "is required")
	}
	if err := p.err("webhook secrets configuration", false); err != nil {
		return nil, err
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = DefaultSecretOverlap
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultSecretCacheTTL
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	return &Secrets{store: store, sealer: sealer, cfg: cfg, env: itsm.NewOptions(opts...), cache: map[string]*secretCache{}}, nil
}

// secretAAD binds a ciphertext to its integration and secret id:
// length-prefixed, so no two (integration, id) pairs give the same bytes.
func secretAAD(integrationID, secretID string) []byte {
	b := []byte("itsmsync webhook secret v1\x00")
	b = binary.AppendUvarint(b, uint64(len(integrationID)))
	b = append(b, integrationID...)
	b = binary.AppendUvarint(b, uint64(len(secretID)))
	return append(b, secretID...)
}

// live reports whether s verifies at now.
func live(s itsm.WebhookSecret, now time.Time) bool {
	return s.RevokedAt.IsZero() && (s.RetiresAt.IsZero() || now.Before(s.RetiresAt))
}

func secretInfo(s itsm.WebhookSecret, now time.Time) SecretInfo {
	st := SecretCurrent
	switch {
	case !s.RevokedAt.IsZero():
		st = SecretRevoked
	case s.RetiresAt.IsZero():
	case now.Before(s.RetiresAt):
		st = SecretRetiring
	default:
		st = SecretRetired
	}
	return SecretInfo{ID: s.ID, IntegrationID: s.IntegrationID, Seq: s.Seq, CreatedAt: s.CreatedAt,
		RetiresAt: s.RetiresAt, RevokedAt: s.RevokedAt, State: st}
}

func checkIntegrationID(integrationID, what string) error {
	var p fieldErrors
	if strings.TrimSpace(integrationID) == "" {
		p.add("integration_id", "is required")
	}
	return p.err(what, true)
}

// Generate makes the first webhook secret of an integration, stores it
// sealed and returns it once. An integration that already has a current
// secret is [ErrSecretExists] (use Rotate); one whose secrets were all
// revoked or retired gets a new one. A concurrent Generate or Rotate that
// won is [ErrSecretConflict]; an empty integration id is an error holding an
// *itsm.ValidationError matching itsm.ErrInvalidInput; a store or sealer
// failure wraps their error (never the secret).
func (m *Secrets) Generate(ctx context.Context, integrationID string) (IssuedSecret, error) {
	return m.issue(ctx, integrationID, "generate")
}

// Rotate makes a new current secret for an integration and returns it once.
// The secrets it replaces keep verifying for [SecretsConfig].Overlap (a
// secret already retiring sooner keeps its earlier time), so the ITSM can be
// switched to the new secret without losing deliveries; revoke the old one
// to stop it at once. Rotate works with no current secret too (it then acts
// as Generate). Errors as for Generate, without ErrSecretExists.
func (m *Secrets) Rotate(ctx context.Context, integrationID string) (IssuedSecret, error) {
	return m.issue(ctx, integrationID, "rotate")
}

func (m *Secrets) issue(ctx context.Context, integrationID, op string) (IssuedSecret, error) {
	issued, err := m.doIssue(ctx, integrationID, op)
	ev := itsm.AuditEvent{Time: m.env.Clock.Now(), IntegrationID: integrationID, Operation: "webhook_secret_" + op,
		Outcome: itsm.OutcomeSuccess, Reason: "secret " + issued.Info.ID}
	if err != nil {
		ev.Outcome, ev.Reason, ev.Error = itsm.OutcomeFailure, "", clip.Bytes(err.Error(), 256)
	} else {
		m.env.Logger.InfoContext(ctx, "callback: webhook secret issued", "operation", op,
			"integration_id", integrationID, "secret_id", issued.Info.ID, "seq", issued.Info.Seq)
	}
	m.env.Record(ctx, ev)
	return issued, err
}

func (m *Secrets) doIssue(ctx context.Context, integrationID, op string) (IssuedSecret, error) {
	if err := checkIntegrationID(integrationID, "webhook secret request"); err != nil {
		return IssuedSecret{}, err
	}
	recs, err := m.store.ListWebhookSecrets(ctx, integrationID)
	if err != nil {
		return IssuedSecret{}, fmt.Errorf("callback: %s webhook secret: %w", op, err)
	}
	now := m.env.Clock.Now()
	var seq int64
	for _, r := range recs {
		seq = max(seq, r.Seq)
		if op == "generate" && live(r, now) && r.RetiresAt.IsZero() {
			return IssuedSecret{}, fmt.Errorf("%w: integration %q has current secret %s; rotate it instead",
				ErrSecretExists, clip.Bytes(integrationID, 64), r.ID)
		}
	}
	var buf [secretBytes + 12]byte
	if _, err := io.ReadFull(m.cfg.Random, buf[:]); err != nil {
		return IssuedSecret{}, fmt.Errorf("callback: %s webhook secret: reading random bytes: %w", op, err)
	}
	plain := SecretPrefix + hex.EncodeToString(buf[:secretBytes])
	rec := itsm.WebhookSecret{ID: "whs_" + hex.EncodeToString(buf[secretBytes:]), IntegrationID: integrationID,
		Seq: seq + 1, CreatedAt: now}
	rec.Ciphertext, err = m.sealer.Seal(ctx, []byte(plain), secretAAD(integrationID, rec.ID))
	if err != nil {
		// A sealer's error should never hold the plaintext; make sure.
		msg := redact.New(plain).Secrets(err.Error())
		return IssuedSecret{}, fmt.Errorf("callback: %s webhook secret: sealing: %s", op, msg)
	}
	retire := now.Add(m.cfg.Overlap)
	if m.cfg.Overlap < 0 {
		retire = now
	}
	if err := m.store.AddWebhookSecret(ctx, rec, retire); err != nil {
		if errors.Is(err, itsm.ErrConflict) {
			return IssuedSecret{}, &failure{msg: fmt.Sprintf("%s: integration %q: another rotation won", ErrSecretConflict, clip.Bytes(integrationID, 64)),
				errs: []error{ErrSecretConflict, itsm.ErrConflict}}
		}
		return IssuedSecret{}, fmt.Errorf("callback: %s webhook secret: %w", op, err)
	}
	m.invalidate(integrationID)
	return IssuedSecret{Secret: Secret{plain}, Info: secretInfo(rec, now)}, nil
}

// Revoke stops the integration's secret secretID at once (on other replicas
// within [SecretsConfig].CacheTTL). An id unknown to the integration is
// [ErrSecretNotFound]; revoking a revoked secret keeps its first time and is
// not an error.
func (m *Secrets) Revoke(ctx context.Context, integrationID, secretID string) error {
	err := m.store.RevokeWebhookSecret(ctx, integrationID, secretID, m.env.Clock.Now())
	switch {
	case errors.Is(err, itsm.ErrNotFound):
		err = &failure{msg: fmt.Sprintf("%s: %q", ErrSecretNotFound, clip.Bytes(secretID, 64)),
			errs: []error{ErrSecretNotFound, itsm.ErrNotFound}}
	case err != nil:
		err = fmt.Errorf("callback: revoke webhook secret: %w", err)
	}
	m.invalidate(integrationID)
	ev := itsm.AuditEvent{Time: m.env.Clock.Now(), IntegrationID: integrationID, Operation: "webhook_secret_revoke",
		Outcome: itsm.OutcomeSuccess, Reason: "secret " + clip.Bytes(secretID, 64)}
	if err != nil {
		ev.Outcome, ev.Error = itsm.OutcomeFailure, clip.Bytes(err.Error(), 256)
	} else {
		m.env.Logger.InfoContext(ctx, "callback: webhook secret revoked", "integration_id", integrationID, "secret_id", secretID)
	}
	m.env.Record(ctx, ev)
	return err
}

// List describes an integration's secrets (retired and revoked ones
// included), oldest first, without the secrets.
func (m *Secrets) List(ctx context.Context, integrationID string) ([]SecretInfo, error) {
	recs, err := m.store.ListWebhookSecrets(ctx, integrationID)
	if err != nil {
		return nil, fmt.Errorf("callback: list webhook secrets: %w", err)
	}
	now := m.env.Clock.Now()
	out := make([]SecretInfo, 0, len(recs))
	for _, r := range recs {
		if r.IntegrationID == integrationID {
			out = append(out, secretInfo(r, now))
		}
	}
	slices.SortFunc(out, func(a, b SecretInfo) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// Source returns the [SecretSource] of an integration's live secrets, for an
// [HMACConfig]'s Source. It caches what it reads for
// [SecretsConfig].CacheTTL.
func (m *Secrets) Source(integrationID string) *IntegrationSecrets {
	return &IntegrationSecrets{m: m, id: integrationID}
}

// Verifier returns an [HMACVerifier] with the scheme of cfg (e.g.
// [JiraHMAC]() or sysaid.VerifierConfig()) that reads the integration's
// secrets from m: cfg.Secrets must be empty. The verifier uses m's clock
// unless opts give another.
func (m *Secrets) Verifier(integrationID string, cfg HMACConfig, opts ...itsm.Option) (*HMACVerifier, error) {
	cfg.Source = m.Source(integrationID)
	return NewHMACVerifier(cfg, append([]itsm.Option{itsm.WithClock(m.env.Clock)}, opts...)...)
}

// String describes m without any secret.
func (m *Secrets) String() string { return "callback.Secrets{" + redactedMarker + "}" }

// GoString describes m without any secret.
func (m *Secrets) GoString() string { return m.String() }

// Format prints String under every verb.
func (m *Secrets) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, m.String()) }

// LogValue logs String.
func (m *Secrets) LogValue() slog.Value { return slog.StringValue(m.String()) }

// secretCache is what one integration's secrets were at the last read.
type secretCache struct {
	mu      sync.Mutex // held while reading the store: one read at a time
	loaded  bool
	readAt  time.Time
	entries []cachedSecret // newest first
}

type cachedSecret struct {
	key     []byte
	retires time.Time // zero: current
}

func (m *Secrets) entry(integrationID string) *secretCache {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cache[integrationID]
	if c == nil {
		c = &secretCache{}
		m.cache[integrationID] = c
	}
	return c
}

func (m *Secrets) invalidate(integrationID string) {
	c := m.entry(integrationID)
	c.mu.Lock()
	c.loaded = false
	c.mu.Unlock()
}

// keys returns the live keys of an integration, newest first, reading the
// store when the cache is stale, or when force is set and the last read is
// older than secretRefreshEvery. changed reports a read.
func (m *Secrets) keys(ctx context.Context, integrationID string, force bool) (keys [][]byte, changed bool, err error) {
	c := m.entry(integrationID)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := m.env.Clock.Now()
	stale := !c.loaded || m.cfg.CacheTTL < 0 || !now.Before(c.readAt.Add(m.cfg.CacheTTL))
	if force {
		// Without a cache the first read was fresh already.
		stale = !c.loaded || m.cfg.CacheTTL >= 0 && now.Sub(c.readAt) >= secretRefreshEvery
	}
	if stale {
		entries, err := m.load(ctx, integrationID, now)
		if err != nil {
			return nil, false, err
		}
		c.entries, c.readAt, c.loaded, changed = entries, now, true, true
	}
	for _, e := range c.entries {
		if e.retires.IsZero() || now.Before(e.retires) {
			keys = append(keys, e.key)
		}
	}
	return keys, changed, nil
}

// load reads and opens an integration's live secrets, newest first. A
// secret that does not open is skipped (and logged); when none opens, the
// error matches ErrSecretUnreadable and ErrUnavailable.
func (m *Secrets) load(ctx context.Context, integrationID string, now time.Time) ([]cachedSecret, error) {
	recs, err := m.store.ListWebhookSecrets(ctx, integrationID)
	if err != nil {
		return nil, unavailable("webhook secret lookup", err)
	}
	slices.SortFunc(recs, func(a, b itsm.WebhookSecret) int { return cmp.Compare(b.Seq, a.Seq) })
	var out []cachedSecret
	unreadable := 0
	for _, r := range recs {
		if r.IntegrationID != integrationID || !live(r, now) {
			continue
		}
		pt, err := m.sealer.Open(ctx, r.Ciphertext, secretAAD(integrationID, r.ID))
		if err != nil {
			unreadable++
			m.env.Logger.WarnContext(ctx, "callback: webhook secret cannot be opened (wrong sealer key, or the row was altered or moved)",
				"integration_id", integrationID, "secret_id", r.ID)
			continue
		}
		out = append(out, cachedSecret{key: pt, retires: r.RetiresAt})
	}
	if len(out) == 0 && unreadable > 0 {
		return nil, fmt.Errorf("%w: %w: %d live secret(s) of integration %q", ErrUnavailable, ErrSecretUnreadable,
			unreadable, clip.Bytes(integrationID, 64))
	}
	return out, nil
}

// SecretSource supplies the keys an [HMACVerifier] accepts when they are
// managed outside its configuration ([HMACConfig].Source), read at each
// verification, so they change without restarting. HMACSecrets returns the
// keys that verify now, newest first (the first one signs); the caller does
// not modify them. An error should wrap [ErrUnavailable] (the handler then
// answers 503 and the sender retries); the verifier wraps one that does not.
// Implementations are safe for concurrent use and cache as they see fit.
type SecretSource interface {
	HMACSecrets(ctx context.Context) ([][]byte, error)
}

// IntegrationSecrets is the [SecretSource] of one integration's managed
// secrets ([Secrets.Source]). It prints without any secret under every fmt
// verb and in slog, and is safe for concurrent use.
type IntegrationSecrets struct {
	m  *Secrets
	id string
}

// HMACSecrets implements [SecretSource]: the integration's secrets that are
// neither revoked nor past their RetiresAt, newest first, from a cache kept
// [SecretsConfig].CacheTTL. A store failure, or live secrets none of which
// the sealer opens, is an error wrapping [ErrUnavailable] (and then
// [ErrSecretUnreadable]).
func (s *IntegrationSecrets) HMACSecrets(ctx context.Context) ([][]byte, error) {
	keys, _, err := s.m.keys(ctx, s.id, false)
	return keys, err
}

// refreshHMACSecrets re-reads the store when the last read is at least
// secretRefreshEvery old, for a signature that matched no cached key.
func (s *IntegrationSecrets) refreshHMACSecrets(ctx context.Context) ([][]byte, bool, error) {
	return s.m.keys(ctx, s.id, true)
}

// String describes s without any secret.
func (s *IntegrationSecrets) String() string {
	return "callback.IntegrationSecrets{integration: " + clip.Bytes(s.id, 64) + ", secrets: " + redactedMarker + "}"
}

// GoString describes s without any secret.
func (s *IntegrationSecrets) GoString() string { return s.String() }

// Format prints String under every verb.
func (s *IntegrationSecrets) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue logs String.
func (s *IntegrationSecrets) LogValue() slog.Value { return slog.StringValue(s.String()) }

// secretRefresher is the part of a SecretSource the HMAC verifier uses to
// re-read after a miss.
type secretRefresher interface {
	refreshHMACSecrets(ctx context.Context) ([][]byte, bool, error)
}

var _ SecretSource = (*IntegrationSecrets)(nil)
