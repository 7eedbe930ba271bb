package itsm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/internal/clip"
	"github.com/itsmsync/itsmsync/internal/redact"
)

// IntegrationState is the "Config Status" of an integration.
type IntegrationState string

// Integration states. The zero value ("") reads as [StateUnverified].
const (
	// StateUnverified: saved, but no probe has passed since the last edit.
	StateUnverified IntegrationState = "unverified"
	// StateConfigured: the connection probe (httpconn's Check) or a sync
	// passed at [IntegrationStatus].CheckedAt.
	StateConfigured IntegrationState = "configured"
	// StateFailing: the last probe or sync failed reaching the ITSM;
	// [IntegrationStatus].LastError says how.
	StateFailing IntegrationState = "failing"
)

// IntegrationStatus is what the last connection probe or sync said about
// an integration.
type IntegrationStatus struct {
	State IntegrationState `json:"state"`
	// CheckedAt is when State was set (zero when never checked).
	CheckedAt time.Time `json:"checked_at,omitzero"`
	// LastError is the failure of a failing integration, redacted
	// (credentials in URLs removed) and at most 500 bytes.
	LastError string `json:"last_error,omitempty"`
}

// Effective returns the state, "" read as [StateUnverified].
func (s IntegrationStatus) Effective() IntegrationState {
	if s.State == "" {
		return StateUnverified
	}
	return s.State
}

// maxStatusError bounds IntegrationStatus.LastError.
const maxStatusError = 500

// statusError is err's message as LastError keeps it: credentials
// (URL user info, Authorization values, secret-looking parameters)
// redacted, clipped.
func statusError(err error) string {
	return clip.Bytes(redact.Credentials(err.Error()), maxStatusError)
}

// Checker is what [Registry.Check] probes: httpconn's Connector and the
// provider connectors implement it.
type Checker interface {
	Check(ctx context.Context) error
}

// Check runs c's connection probe for integration id and records the
// outcome (see [Registry.Record]); it returns the recorded status and the
// probe's error. A missing integration is an error wrapping [ErrNotFound].
func (r *Registry) Check(ctx context.Context, id string, c Checker) (IntegrationStatus, error) {
	if c == nil {
		return IntegrationStatus{}, &ValidationError{Errors: []FieldError{{Field: "checker", Message: "is nil"}}}
	}
	probeErr := c.Check(ctx)
	st, err := r.Record(ctx, id, probeErr)
	if err != nil {
		return st, err
	}
	return st, probeErr
}

// Record keeps integration id's status current from the outcome of a
// probe or a sync: nil → configured now; an error that reached or tried to
// reach the ITSM → failing with the redacted error. Errors that say nothing
// about the connection — invalid input, a cooldown, a busy case, a
// cancelled context — leave the status as it is (and are not recorded).
// Hosts call it after Syncer.Sync with its error. A missing integration is
// an error wrapping [ErrNotFound].
func (r *Registry) Record(ctx context.Context, id string, outcome error) (IntegrationStatus, error) {
	if outcome != nil && !connectionError(outcome) {
		in, err := r.Get(ctx, id)
		return in.Status, err
	}
	st := IntegrationStatus{State: StateConfigured, CheckedAt: r.clock.Now()}
	if outcome != nil {
		st.State, st.LastError = StateFailing, statusError(outcome)
	}
	if err := r.store.SetIntegrationStatus(ctx, id, st); err != nil {
		if errors.Is(err, ErrNotFound) {
			return IntegrationStatus{}, fmt.Errorf("itsm: record status of integration %q: %w", id, err)
		}
		return IntegrationStatus{}, storeError(fmt.Sprintf("record status of integration %q", id), err)
	}
	return st, nil
}

// connectionError reports whether err says something about the connection
// to the ITSM (rather than about the input or the engine's own rules).
func connectionError(err error) bool {
	for _, local := range []error{ErrInvalidInput, ErrCoolingDown, ErrInProgress, ErrLeaseHeld, ErrNeedsAttention, ErrStore, context.Canceled} {
		if errors.Is(err, local) {
			return false
		}
	}
	return true
}
