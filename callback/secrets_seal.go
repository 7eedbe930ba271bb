package callback

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
)

// Sealer encrypts webhook secrets at rest. Seal returns the ciphertext of
// plaintext bound to aad; Open returns the plaintext of a ciphertext Seal made
// with the same aad, and fails when the key is wrong, the ciphertext was
// altered, or aad differs (a row copied to another integration). [Secrets]
// passes the integration id and the secret id as aad.
//
// [AESGCMSealer] is the ready implementation; a host plugs its KMS (envelope
// encryption, a key held in an HSM) by implementing these two methods.
// Errors must not contain the plaintext. Implementations are safe for
// concurrent use.
type Sealer interface {
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	Open(ctx context.Context, ciphertext, aad []byte) ([]byte, error)
}

// AESKeySize is the key length of [NewAESGCMSealer]: AES-256.
const AESKeySize = 32

// sealVersion is the first byte of an [AESGCMSealer] ciphertext, so the
// layout can change later without guessing.
const sealVersion = 1

// AESGCMSealer is a [Sealer] with AES-256-GCM under keys the host holds. A
// ciphertext is a version byte, a random 96-bit nonce, and the sealed text
// with its 128-bit tag. It prints as "callback.AESGCMSealer{[REDACTED]}"
// under every fmt verb and in slog. It is immutable and safe for concurrent
// use.
type AESGCMSealer struct {
	aeads []cipher.AEAD // [0] seals; all are tried to open
	rand  io.Reader
}

// NewAESGCMSealer returns a sealer that seals with key and opens what key or
// any of previous sealed (so the host can replace its key: old rows still
// open, and are sealed under the new key at their next rotation). Every key
// must be [AESKeySize] bytes, e.g. from crypto/rand, kept in the host's
// secret store, never in the database next to the ciphertext. The keys are
// copied. A key of another length is a validation error (errors.As:
// *itsm.ValidationError, matching itsm.ErrInvalidConfig) that never holds
// the key.
func NewAESGCMSealer(key []byte, previous ...[]byte) (*AESGCMSealer, error) {
	var p fieldErrors
	check := func(field string, k []byte) {
		if len(k) != AESKeySize {
			p.add(field, "must be %d bytes (got %d)", AESKeySize, len(k))
		}
	}
	check("key", key)
	for i, k := range previous {
		check(fmt.Sprintf("previous[%d]", i), k)
	}
	if err := p.err("AES-GCM sealer", false); err != nil {
		return nil, err
	}
	s := &AESGCMSealer{rand: rand.Reader}
	for _, k := range append([][]byte{key}, previous...) {
		block, err := aes.NewCipher(k) // copies the key schedule
		if err != nil {
			return nil, fmt.Errorf("callback: AES-GCM sealer: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("callback: AES-GCM sealer: %w", err)
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// Seal implements [Sealer].
func (s *AESGCMSealer) Seal(_ context.Context, plaintext, aad []byte) ([]byte, error) {
	if s == nil || len(s.aeads) == 0 {
		return nil, fmt.Errorf("callback: AES-GCM sealer: not made by NewAESGCMSealer")
	}
	aead := s.aeads[0]
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(s.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("callback: AES-GCM sealer: reading a nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, aad), nil
}

// Open implements [Sealer]. Any failure (wrong key, altered ciphertext,
// other aad) is [ErrSecretUnreadable].
func (s *AESGCMSealer) Open(_ context.Context, ciphertext, aad []byte) ([]byte, error) {
	if s == nil || len(s.aeads) == 0 {
		return nil, fmt.Errorf("%w: AES-GCM sealer not made by NewAESGCMSealer", ErrSecretUnreadable)
	}
	if len(ciphertext) < 1 || ciphertext[0] != sealVersion {
		return nil, fmt.Errorf("%w: not an AES-GCM sealed secret", ErrSecretUnreadable)
	}
	for _, aead := range s.aeads {
		n := aead.NonceSize()
		if len(ciphertext) < 1+n+aead.Overhead() {
			return nil, fmt.Errorf("%w: ciphertext too short", ErrSecretUnreadable)
		}
		if pt, err := aead.Open(nil, ciphertext[1:1+n], ciphertext[1+n:], aad); err == nil {
			return pt, nil
		}
	}
	return nil, ErrSecretUnreadable
}

// String returns a fixed text without the keys.
func (s *AESGCMSealer) String() string { return "callback.AESGCMSealer{" + redactedMarker + "}" }

// GoString returns a fixed text without the keys.
func (s *AESGCMSealer) GoString() string { return s.String() }

// Format prints the fixed text of String under every verb.
func (s *AESGCMSealer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue logs the fixed text of String.
func (s *AESGCMSealer) LogValue() slog.Value { return slog.StringValue(s.String()) }

var _ Sealer = (*AESGCMSealer)(nil)
