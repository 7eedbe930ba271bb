package memstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// AddWebhookSecret stores a copy of w and retires the integration's older
// secrets (RetiresAt = retireOlderAt unless already earlier), atomically.
// It returns an error wrapping itsm.ErrConflict, and stores nothing, when
// the integration already has a secret with a Seq of w.Seq or more, or with
// the id w.ID.
func (s *Store) AddWebhookSecret(_ context.Context, w itsm.WebhookSecret, retireOlderAt time.Time) error {
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	if s.secrets == nil {
		s.secrets = make(map[string][]itsm.WebhookSecret)
	}
	list := s.secrets[w.IntegrationID]
	for _, o := range list {
		if o.Seq >= w.Seq || o.ID == w.ID {
			return fmt.Errorf("memstore: add webhook secret %q (seq %d): %w", w.ID, w.Seq, itsm.ErrConflict)
		}
	}
	for i := range list {
		if list[i].RetiresAt.IsZero() || list[i].RetiresAt.After(retireOlderAt) {
			list[i].RetiresAt = retireOlderAt
		}
	}
	w.Ciphertext = bytes.Clone(w.Ciphertext)
	s.secrets[w.IntegrationID] = append(list, w)
	return nil
}

// ListWebhookSecrets returns copies of an integration's secrets, Ciphertext
// included, by Seq ascending.
func (s *Store) ListWebhookSecrets(_ context.Context, integrationID string) ([]itsm.WebhookSecret, error) {
	s.secretMu.RLock()
	defer s.secretMu.RUnlock()
	list := s.secrets[integrationID]
	out := make([]itsm.WebhookSecret, len(list))
	for i, w := range list {
		w.Ciphertext = bytes.Clone(w.Ciphertext)
		out[i] = w
	}
	return out, nil
}

// RevokeWebhookSecret sets RevokedAt of the integration's secret id to at
// unless it is already revoked; an error wrapping itsm.ErrNotFound when
// the integration has no such secret.
func (s *Store) RevokeWebhookSecret(_ context.Context, integrationID, id string, at time.Time) error {
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	list := s.secrets[integrationID]
	for i := range list {
		if list[i].ID == id {
			if list[i].RevokedAt.IsZero() {
				list[i].RevokedAt = at
			}
			return nil
		}
	}
	return fmt.Errorf("memstore: revoke webhook secret %q: %w", id, itsm.ErrNotFound)
}
