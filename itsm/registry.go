package itsm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Registry keeps a workspace's integration: one per workspace (to switch
// ITSMs, edit the existing integration rather than create a second one; the
// links of its cases then point into the old target, so their syncs are
// refused with a *TargetChangedError until the host keeps or retires those
// links: [Syncer.LinkTargets], [Syncer.KeepLinks], [Syncer.RetireLinks], or
// the "itsmsync links" command).
// It stores the configuration as JSON bytes (an httpconn.Config saved with
// its MarshalSecrets method: the store must protect its secrets) and reads or
// writes only its top-level "id" — the read-only integration config ID,
// which is also [Integration.ID] — so it works with any configuration type
// that is a JSON object with that field.
//
// A Registry is safe for concurrent use; the one-per-workspace rule holds
// across replicas because the store enforces it atomically.
type Registry struct {
	store IntegrationStore
	clock Clock
}

// NewRegistry returns a Registry over store; opts inject the clock of
// CreatedAt and UpdatedAt. A nil store is a *ValidationError.
func NewRegistry(store IntegrationStore, opts ...Option) (*Registry, error) {
	if store == nil {
		return nil, &ValidationError{Errors: []FieldError{{Field: "store", Message: "is nil"}}}
	}
	return &Registry{store: store, clock: NewOptions(opts...).Clock}, nil
}

// Create saves a new integration for workspace and returns it. config must
// be a JSON object; its "id" becomes the integration's id, or, when it has
// none, a new one ([NewID]) is generated and written into it. When the
// workspace already has an integration it returns an *IntegrationExistsError
// (wrapping [ErrIntegrationExists]) naming it; an id already used by another
// integration is an error wrapping [ErrConflict].
func (r *Registry) Create(ctx context.Context, workspace string, config []byte) (Integration, error) {
	if err := checkIntegrationInput("workspace", workspace, config); err != nil {
		return Integration{}, err
	}
	id := gjson.GetBytes(config, "id").String()
	if id == "" {
		id = NewID()
	}
	config, err := sjson.SetBytes(config, "id", id)
	if err != nil {
		return Integration{}, &ValidationError{Errors: []FieldError{{Field: "config", Message: "cannot set its id"}}}
	}
	existing, err := r.store.GetIntegrationByWorkspace(ctx, workspace)
	switch {
	case err == nil:
		return Integration{}, &IntegrationExistsError{Workspace: workspace, ExistingID: existing.ID}
	case !errors.Is(err, ErrNotFound):
		return Integration{}, storeError(fmt.Sprintf("create integration of workspace %q: read", workspace), err)
	}
	switch other, err := r.store.GetIntegration(ctx, id); {
	case err == nil:
		return Integration{}, fmt.Errorf("itsm: create integration of workspace %q: id %q is used by the integration of workspace %q: %w",
			workspace, id, other.Workspace, ErrConflict)
	case !errors.Is(err, ErrNotFound):
		return Integration{}, storeError(fmt.Sprintf("create integration of workspace %q: read", workspace), err)
	}
	now := r.clock.Now()
	in := Integration{
		ID:        id,
		Workspace: workspace,
		Config:    config,
		CreatedAt: now,
		UpdatedAt: now,
		Status:    IntegrationStatus{State: StateUnverified},
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
// workspace and CreatedAt are kept, and so is the id: the config's "id" is
// set to it whatever the new config says (the id is read-only). A missing integration is an error
// wrapping [ErrNotFound]. Merging "leave blank to keep the saved value"
// secrets is the caller's job (the Config's merge), before Update. An edit
// that changes the connector's target ([Targeter]) needs the keep-or-retire
// decision described on [Registry].
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
	config, err = sjson.SetBytes(config, "id", id)
	if err != nil {
		return Integration{}, &ValidationError{Errors: []FieldError{{Field: "config", Message: "cannot set its id"}}}
	}
	if !sameJSON(in.Config, config) {
		// A probe of the old configuration proves nothing about the new one.
		in.Status = IntegrationStatus{State: StateUnverified, CheckedAt: in.Status.CheckedAt}
	}
	in.Config = config
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
	switch {
	case !json.Valid(config):
		errs = append(errs, FieldError{Field: "config", Message: "is not valid JSON"})
	case !gjson.ParseBytes(config).IsObject():
		errs = append(errs, FieldError{Field: "config", Message: "is not a JSON object"})
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}

// NewID returns a new random integration id: 32 lowercase hex digits.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// sameJSON reports whether a and b hold the same JSON value (key order
// and spacing aside).
func sameJSON(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
