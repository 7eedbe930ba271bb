package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
)

// secretQueries are the statements of the webhook_secrets table.
type secretQueries struct {
	add, retireOlder, list, revoke string
}

const secretCols = "integration_id, seq, id, ciphertext, created_at, retires_at, revoked_at"

func buildSecretQueries(d Dialect, t tableNames) secretQueries {
	r := func(s string) string { return rebind(d, s) }
	table := t.qualified() + "webhook_secrets"
	blob := "BLOB"
	if d == Postgres {
		blob = "BYTEA"
	}
	return secretQueries{
		// Insert unless the integration has a secret as new or newer, or
		// one with this id; DO NOTHING settles a race on the primary key
		// or the id index (the loser inserts no row).
		add: r("INSERT INTO " + table + " (" + secretCols + ")" +
			" SELECT CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS " + blob + ")," +
			" CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)" +
			" WHERE NOT EXISTS (SELECT 1 FROM " + table + " o WHERE o.integration_id = ? AND (o.seq >= ? OR o.id = ?))" +
			" ON CONFLICT DO NOTHING"),
		retireOlder: r("UPDATE " + table + " SET retires_at = ?" +
			" WHERE integration_id = ? AND seq < ? AND (retires_at IS NULL OR retires_at > ?)"),
		list:   r("SELECT " + secretCols + " FROM " + table + " WHERE integration_id = ? ORDER BY seq"),
		revoke: r("UPDATE " + table + " SET revoked_at = COALESCE(revoked_at, ?) WHERE integration_id = ? AND id = ?"),
	}
}

// AddWebhookSecret stores w and retires the integration's older secrets
// (RetiresAt = retireOlderAt unless already earlier) in one transaction. The
// insert is conditional on no secret of the integration having a Seq of
// w.Seq or more or the id w.ID, and the primary key on (integration, seq)
// settles a race between replicas: the loser gets an error wrapping
// itsm.ErrConflict and writes nothing.
func (s *Store) AddWebhookSecret(ctx context.Context, w itsm.WebhookSecret, retireOlderAt time.Time) error {
	const op = "add webhook secret"
	ct := w.Ciphertext
	if ct == nil {
		ct = []byte{}
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.sq.add, w.IntegrationID, w.Seq, w.ID, ct,
			timeArg(w.CreatedAt), timeArg(w.RetiresAt), timeArg(w.RevokedAt), w.IntegrationID, w.Seq, w.ID)
		if err != nil {
			return storeErr(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return storeErr(op, err)
		}
		if n == 0 {
			return fmt.Errorf("sqlstore: %s %q (seq %d): %w", op, w.ID, w.Seq, itsm.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, s.sq.retireOlder, timeArg(retireOlderAt), w.IntegrationID, w.Seq, cmpArg(retireOlderAt)); err != nil {
			return storeErr(op, err)
		}
		return nil
	})
}

// ListWebhookSecrets returns an integration's secrets, Ciphertext included,
// by Seq ascending.
func (s *Store) ListWebhookSecrets(ctx context.Context, integrationID string) ([]itsm.WebhookSecret, error) {
	const op = "list webhook secrets"
	rows, err := s.query(ctx, s.sq.list, integrationID)
	if err != nil {
		return nil, storeErr(op, err)
	}
	defer rows.Close()
	var out []itsm.WebhookSecret
	for rows.Next() {
		var w itsm.WebhookSecret
		var created, retires, revoked sql.NullInt64
		if err := rows.Scan(&w.IntegrationID, &w.Seq, &w.ID, &w.Ciphertext, &created, &retires, &revoked); err != nil {
			return nil, storeErr(op, err)
		}
		w.CreatedAt, w.RetiresAt, w.RevokedAt = fromMicros(created), fromMicros(retires), fromMicros(revoked)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(op, err)
	}
	return out, nil
}

// RevokeWebhookSecret sets RevokedAt of the integration's secret id to at
// unless it is already revoked; an error wrapping itsm.ErrNotFound when the
// integration has no such secret.
func (s *Store) RevokeWebhookSecret(ctx context.Context, integrationID, id string, at time.Time) error {
	n, err := s.execAffected(ctx, "revoke webhook secret", s.sq.revoke, timeArg(at), integrationID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: revoke webhook secret %q: %w", id, itsm.ErrNotFound)
	}
	return nil
}
