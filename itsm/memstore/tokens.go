package memstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// PutToken inserts or replaces a token record by ID (Hash is copied). A
// replaced record's old hash no longer finds it.
func (s *Store) PutToken(_ context.Context, t itsm.CallbackToken) error {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	if old, ok := s.tokens[t.ID]; ok && s.tokenByHash[string(old.Hash)] == t.ID {
		delete(s.tokenByHash, string(old.Hash))
	}
	t.Hash = bytes.Clone(t.Hash)
	s.tokens[t.ID] = t
	if len(t.Hash) > 0 {
		s.tokenByHash[string(t.Hash)] = t.ID
	}
	return nil
}

// GetTokenByHash returns a copy of the token whose Hash equals hash, or an
// error wrapping itsm.ErrNotFound (also for an empty hash). The lookup is a
// map access keyed by the hash; the caller still compares in constant time.
func (s *Store) GetTokenByHash(_ context.Context, hash []byte) (itsm.CallbackToken, error) {
	s.tokenMu.RLock()
	defer s.tokenMu.RUnlock()
	if len(hash) > 0 {
		if id, ok := s.tokenByHash[string(hash)]; ok {
			t := s.tokens[id]
			t.Hash = bytes.Clone(t.Hash)
			return t, nil
		}
	}
	return itsm.CallbackToken{}, fmt.Errorf("memstore: get token by hash: %w", itsm.ErrNotFound)
}

// ListTokens returns copies of an integration's tokens (revoked ones
// included), oldest first (by CreatedAt, then ID), each with its Hash. It
// scans every token: stores hold few.
func (s *Store) ListTokens(_ context.Context, integrationID string) ([]itsm.CallbackToken, error) {
	s.tokenMu.RLock()
	var out []itsm.CallbackToken
	for _, t := range s.tokens {
		if t.IntegrationID == integrationID {
			t.Hash = bytes.Clone(t.Hash)
			out = append(out, t)
		}
	}
	s.tokenMu.RUnlock()
	slices.SortFunc(out, func(a, b itsm.CallbackToken) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RevokeToken sets RevokedAt to at; an error wrapping itsm.ErrNotFound when
// the token is missing.
func (s *Store) RevokeToken(_ context.Context, id string, at time.Time) error {
	return s.updateToken(id, "revoke", func(t *itsm.CallbackToken) { t.RevokedAt = at })
}

// TouchToken sets LastUsedAt to at; an error wrapping itsm.ErrNotFound when
// the token is missing.
func (s *Store) TouchToken(_ context.Context, id string, at time.Time) error {
	return s.updateToken(id, "touch", func(t *itsm.CallbackToken) { t.LastUsedAt = at })
}

func (s *Store) updateToken(id, op string, f func(*itsm.CallbackToken)) error {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	t, ok := s.tokens[id]
	if !ok {
		return fmt.Errorf("memstore: %s token %q: %w", op, id, itsm.ErrNotFound)
	}
	f(&t)
	s.tokens[id] = t
	return nil
}
