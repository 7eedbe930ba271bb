-- A note the ITSM refused for good is recorded as failed with its reason,
-- so it neither blocks the later notes of its case nor is sent again.
ALTER TABLE {p}posted_notes ADD COLUMN failed BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE {p}posted_notes ADD COLUMN fail_reason TEXT NOT NULL DEFAULT '';
