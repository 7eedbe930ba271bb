package itsm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Registry keeps a workspace's integration: one per workspace, as the seed
// requires ("edit the existing integration rather than creating a new one").
// It stores the configuration as opaque JSON bytes (the [Config], marshaled
// by the host with its secrets: the store must protect them) and so works
// with any configuration type.
//
// A Registry is safe for concurrent use; the one-per-workspace rule holds
// across replicas because the store enforces it atomically.
type Registry struct {
	store IntegrationStore
	clock Clock
}

// RegistryOption configures a [Registry].
type RegistryOption func(*Registry)

// WithRegistryClock sets the clock for CreatedAt and UpdatedAt (default
// [SystemClock]).
func WithRegistryClock(c Clock) RegistryOption {
	return func(r *Registry) { r.clock = c }
}

// NewRegistry returns a Registry over store. A nil store is a
// *ValidationError.
func NewRegistry(store IntegrationStore, opts ...RegistryOption) (*Registry, error) {
	if store == nil {
		return nil, &ValidationError{Errors: []FieldError{{Field: "store", Message: "is nil"}}}
	}
	r := &Registry{store: store}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	if r.clock == nil {
		r.clock = SystemClock{}
	}
	return r, nil
}

// Create saves a new integration for workspace with a generated id
// ("int-" and 16 hex digits) and returns it. config must be valid JSON. When
// the workspace already has an integration it returns an
// *IntegrationExistsError (wrapping [ErrIntegrationExists]) naming it.
func (r *Registry) Create(ctx context.Context, workspace string, config []byte) (Integration, error) {
	if err := checkIntegrationInput("workspace", workspace, config); err != nil {
		return Integration{}, err
	}
	existing, err := r.store.GetIntegrationByWorkspace(ctx, workspace)
	switch {
	case err == nil:
		return Integration{}, &IntegrationExistsError{Workspace: workspace, ExistingID: existing.ID}
	case !errors.Is(err, ErrNotFound):
		return Integration{}, storeError(fmt.Sprintf("create integration of workspace %q: read", workspace), err)
	}
	now := r.clock.Now()
	in := Integration{
		ID:        newSyncID("int-"),
		Workspace: workspace,
		Config:    append([]byte(nil), config...),
		CreatedAt: now,
		UpdatedAt: now,
	}
	if err := r.store.PutIntegration(ctx, in); err != nil {
		if errors.Is(err, ErrIntegrationExists) {
			// Another replica won the race.
			e := &IntegrationExistsError{Workspace: workspace}
			if other, gerr := r.store.GetIntegrationByWorkspace(ctx, workspace); gerr == nil {
				e.ExistingID = other.ID
			}
			return Integration{}, e
		}
		return Integration{}, storeError(fmt.Sprintf("create integration of workspace %q", workspace), err)
	}
	return in, nil
}

// Update replaces the configuration of integration id and returns it; the
// workspace and CreatedAt are kept. A missing integration is an error
// wrapping [ErrNotFound]. Merging "leave blank to keep the saved value"
// secrets is the caller's job (the Config's merge), before Update.
func (r *Registry) Update(ctx context.Context, id string, config []byte) (Integration, error) {
	if err := checkIntegrationInput("id", id, config); err != nil {
		return Integration{}, err
	}
	in, err := r.store.GetIntegration(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Integration{}, fmt.Errorf("itsm: update integration %q: %w", id, err)
		}
		return Integration{}, storeError(fmt.Sprintf("update integration %q: read", id), err)
	}
	in.Config = append([]byte(nil), config...)
	in.UpdatedAt = r.clock.Now()
	if err := r.store.PutIntegration(ctx, in); err != nil {
		return Integration{}, storeError(fmt.Sprintf("update integration %q", id), err)
	}
	return in, nil
}

// Get returns integration id, or an error wrapping [ErrNotFound].
func (r *Registry) Get(ctx context.Context, id string) (Integration, error) {
	in, err := r.store.GetIntegration(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Integration{}, fmt.Errorf("itsm: get integration %q: %w", id, err)
		}
		return Integration{}, storeError(fmt.Sprintf("get integration %q", id), err)
	}
	return in, nil
}

// GetByWorkspace returns the workspace's integration, or an error wrapping
// [ErrNotFound] (the UI then offers to create one).
func (r *Registry) GetByWorkspace(ctx context.Context, workspace string) (Integration, error) {
	in, err := r.store.GetIntegrationByWorkspace(ctx, workspace)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return Integration{}, fmt.Errorf("itsm: get integration of workspace %q: %w", workspace, err)
		}
		return Integration{}, storeError(fmt.Sprintf("get integration of workspace %q", workspace), err)
	}
	return in, nil
}

// Delete removes integration id, freeing its workspace for a new one.
// Deleting a missing integration is not an error. Links, notes and tokens of
// the integration are left to the host (they are keyed by the id, which is
// never reused).
func (r *Registry) Delete(ctx context.Context, id string) error {
	if err := r.store.DeleteIntegration(ctx, id); err != nil {
		return storeError(fmt.Sprintf("delete integration %q", id), err)
	}
	return nil
}

func checkIntegrationInput(name, value string, config []byte) error {
	var errs []FieldError
	if strings.TrimSpace(value) == "" {
		errs = append(errs, FieldError{Field: name, Message: "is required"})
	}
	if !json.Valid(config) {
		errs = append(errs, FieldError{Field: "config", Message: "is not valid JSON"})
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}
