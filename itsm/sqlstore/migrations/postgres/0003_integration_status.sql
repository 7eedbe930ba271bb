-- The integration's "Config Status": configured, unverified or failing,
-- when it was set and the last (redacted) error.
ALTER TABLE {p}integrations ADD COLUMN status_state TEXT NOT NULL DEFAULT '';
ALTER TABLE {p}integrations ADD COLUMN status_checked_at BIGINT;
ALTER TABLE {p}integrations ADD COLUMN status_last_error TEXT NOT NULL DEFAULT '';
