package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

func scanIntegration(r rowScanner) (itsm.Integration, error) {
	var in itsm.Integration
	var created, updated, checked sql.NullInt64
	var state string
	if err := r.Scan(&in.ID, &in.Workspace, &in.Config, &created, &updated, &state, &checked, &in.Status.LastError); err != nil {
		return itsm.Integration{}, err
	}
	in.CreatedAt, in.UpdatedAt = fromMicros(created), fromMicros(updated)
	in.Status.State, in.Status.CheckedAt = itsm.IntegrationState(state), fromMicros(checked)
	return in, nil
}

// PutIntegration inserts or replaces the integration with in.ID, or moves it
// to in.Workspace. It returns an error wrapping itsm.ErrIntegrationExists
// when another integration owns in.Workspace: the insert is conditional on
// that, and a unique index on the workspace settles a race between two
// writers. Config is stored as is: protect the database accordingly, since
// it may hold the integration's secrets.
func (s *Store) PutIntegration(ctx context.Context, in itsm.Integration) error {
	const op = "put integration"
	config := in.Config
	if config == nil {
		config = []byte{}
	}
	for range maxRaceRetries {
		n, err := s.execAffected(ctx, op, s.q.putIntegration, in.ID, in.Workspace, config,
			timeArg(in.CreatedAt), timeArg(in.UpdatedAt), string(in.Status.State), timeArg(in.Status.CheckedAt), in.Status.LastError,
			in.Workspace, in.ID)
		if err == nil && n > 0 {
			return nil
		}
		// Nothing written, or a failure that may be the unique index on
		// the workspace (a concurrent writer won): report
		// ErrIntegrationExists when the workspace is now another
		// integration's; other failures stand.
		var owner string
		oerr := s.queryRow(ctx, s.q.integrationOwner, in.Workspace).Scan(&owner)
		switch {
		case oerr == nil && owner != in.ID:
			return fmt.Errorf("sqlstore: %s: workspace %q: %w", op, in.Workspace, itsm.ErrIntegrationExists)
		case err != nil:
			return err
		case oerr != nil && !errors.Is(oerr, sql.ErrNoRows):
			return storeErr(op, oerr)
		}
		// The owner went away in between: try again.
	}
	return storeErr(op, errors.New("workspace kept changing under contention"))
}

// GetIntegration returns an integration by id, or an error wrapping
// itsm.ErrNotFound.
func (s *Store) GetIntegration(ctx context.Context, id string) (itsm.Integration, error) {
	in, err := scanIntegration(s.queryRow(ctx, s.q.getIntegration, id))
	if err != nil {
		return itsm.Integration{}, notFound("get integration", err)
	}
	return in, nil
}

// GetIntegrationByWorkspace returns a workspace's integration, or an error
// wrapping itsm.ErrNotFound.
func (s *Store) GetIntegrationByWorkspace(ctx context.Context, workspace string) (itsm.Integration, error) {
	in, err := scanIntegration(s.queryRow(ctx, s.q.getIntegrationByWorkspace, workspace))
	if err != nil {
		return itsm.Integration{}, notFound("get integration by workspace", err)
	}
	return in, nil
}

// DeleteIntegration removes an integration (not its links, tokens or other
// records); a missing one is not an error.
func (s *Store) DeleteIntegration(ctx context.Context, id string) error {
	return s.exec(ctx, "delete integration", s.q.deleteIntegration, id)
}

// SetIntegrationStatus replaces the Status of integration id (one UPDATE,
// so a concurrent configuration edit is not overwritten); an error
// wrapping itsm.ErrNotFound when it is missing.
func (s *Store) SetIntegrationStatus(ctx context.Context, id string, st itsm.IntegrationStatus) error {
	n, err := s.execAffected(ctx, "set integration status", s.q.setIntegrationStatus,
		string(st.State), timeArg(st.CheckedAt), st.LastError, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: set status of integration %q: %w", id, itsm.ErrNotFound)
	}
	return nil
}

func scanToken(r rowScanner) (itsm.CallbackToken, error) {
	var t itsm.CallbackToken
	var created, expires, revoked, used sql.NullInt64
	if err := r.Scan(&t.ID, &t.IntegrationID, &t.AppName, &t.Description, &t.Hash, &created, &expires, &revoked, &used); err != nil {
		return itsm.CallbackToken{}, err
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromMicros(created), fromMicros(expires), fromMicros(revoked), fromMicros(used)
	return t, nil
}

// PutToken inserts or replaces a token record by ID. Only the hash is
// stored, as given.
func (s *Store) PutToken(ctx context.Context, t itsm.CallbackToken) error {
	return s.exec(ctx, "put token", s.q.putToken, t.ID, t.IntegrationID, t.AppName, t.Description, t.Hash,
		timeArg(t.CreatedAt), timeArg(t.ExpiresAt), timeArg(t.RevokedAt), timeArg(t.LastUsedAt))
}

// GetTokenByHash returns the token whose Hash equals hash (looked up by an
// index on the hash; the caller still compares in constant time), or an
// error wrapping itsm.ErrNotFound. An empty hash matches nothing.
func (s *Store) GetTokenByHash(ctx context.Context, hash []byte) (itsm.CallbackToken, error) {
	if len(hash) == 0 {
		return itsm.CallbackToken{}, fmt.Errorf("sqlstore: get token by hash: %w", itsm.ErrNotFound)
	}
	t, err := scanToken(s.queryRow(ctx, s.q.getTokenByHash, hash))
	if err != nil {
		return itsm.CallbackToken{}, notFound("get token by hash", err)
	}
	if !bytes.Equal(t.Hash, hash) { // defensive: the index lookup must be exact
		return itsm.CallbackToken{}, fmt.Errorf("sqlstore: get token by hash: %w", itsm.ErrNotFound)
	}
	return t, nil
}

// ListTokens returns an integration's tokens (revoked ones included, with
// their hashes), oldest first (by CreatedAt, then ID).
func (s *Store) ListTokens(ctx context.Context, integrationID string) ([]itsm.CallbackToken, error) {
	rows, err := s.query(ctx, s.q.listTokens, integrationID)
	if err != nil {
		return nil, storeErr("list tokens", err)
	}
	defer rows.Close()
	var out []itsm.CallbackToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, storeErr("list tokens", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("list tokens", err)
	}
	return out, nil
}

// RevokeToken sets RevokedAt to at; an error wrapping itsm.ErrNotFound when
// the token is missing.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	n, err := s.execAffected(ctx, "revoke token", s.q.revokeToken, timeArg(at), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: revoke token %q: %w", id, itsm.ErrNotFound)
	}
	return nil
}

// TouchToken sets LastUsedAt to at; an error wrapping itsm.ErrNotFound when
// the token is missing.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	n, err := s.execAffected(ctx, "touch token", s.q.touchToken, timeArg(at), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: touch token %q: %w", id, itsm.ErrNotFound)
	}
	return nil
}
