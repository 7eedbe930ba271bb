package memstore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/itsmsync/itsmsync/itsm"
)

// PutIntegration inserts or replaces the integration with in.ID (Config is
// copied). It returns an error wrapping itsm.ErrIntegrationExists when the
// workspace already has an integration with another id. Replacing an
// integration with another Workspace moves it.
//
// The Config (secrets included) is kept in process memory as given; the
// store does not encrypt it.
func (s *Store) PutIntegration(_ context.Context, in itsm.Integration) error {
	s.integMu.Lock()
	defer s.integMu.Unlock()
	if id, ok := s.byWorkspace[in.Workspace]; ok && id != in.ID {
		return fmt.Errorf("memstore: put integration %q in workspace %q: %w", in.ID, in.Workspace, itsm.ErrIntegrationExists)
	}
	if old, ok := s.integrations[in.ID]; ok && old.Workspace != in.Workspace {
		delete(s.byWorkspace, old.Workspace)
	}
	in.Config = bytes.Clone(in.Config)
	s.integrations[in.ID] = in
	s.byWorkspace[in.Workspace] = in.ID
	return nil
}

// GetIntegration returns a copy of an integration by id, or an error wrapping
// itsm.ErrNotFound.
func (s *Store) GetIntegration(_ context.Context, id string) (itsm.Integration, error) {
	s.integMu.RLock()
	defer s.integMu.RUnlock()
	if in, ok := s.integrations[id]; ok {
		in.Config = bytes.Clone(in.Config)
		return in, nil
	}
	return itsm.Integration{}, fmt.Errorf("memstore: get integration %q: %w", id, itsm.ErrNotFound)
}

// GetIntegrationByWorkspace returns a copy of a workspace's integration, or
// an error wrapping itsm.ErrNotFound.
func (s *Store) GetIntegrationByWorkspace(_ context.Context, workspace string) (itsm.Integration, error) {
	s.integMu.RLock()
	defer s.integMu.RUnlock()
	if id, ok := s.byWorkspace[workspace]; ok {
		in := s.integrations[id]
		in.Config = bytes.Clone(in.Config)
		return in, nil
	}
	return itsm.Integration{}, fmt.Errorf("memstore: get integration of workspace %q: %w", workspace, itsm.ErrNotFound)
}

// DeleteIntegration removes an integration and frees its workspace; a
// missing one is not an error. Links, tokens and other records of the
// integration are kept.
func (s *Store) DeleteIntegration(_ context.Context, id string) error {
	s.integMu.Lock()
	defer s.integMu.Unlock()
	if in, ok := s.integrations[id]; ok {
		delete(s.integrations, id)
		if s.byWorkspace[in.Workspace] == id {
			delete(s.byWorkspace, in.Workspace)
		}
	}
	return nil
}

// SetIntegrationStatus replaces the Status of integration id; an error
// wrapping itsm.ErrNotFound when it is missing.
func (s *Store) SetIntegrationStatus(_ context.Context, id string, st itsm.IntegrationStatus) error {
	s.integMu.Lock()
	defer s.integMu.Unlock()
	in, ok := s.integrations[id]
	if !ok {
		return fmt.Errorf("memstore: set status of integration %q: %w", id, itsm.ErrNotFound)
	}
	in.Status = st
	s.integrations[id] = in
	return nil
}
