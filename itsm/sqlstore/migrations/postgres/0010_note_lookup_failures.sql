-- A note whose outcome is unknown is looked up before any resend; the
-- failed lookups in a row are counted so that a lookup that keeps failing
-- stops holding back the case's later notes (itsm.MaxLookupFailures).
ALTER TABLE {p}posted_notes ADD COLUMN lookup_failures BIGINT NOT NULL DEFAULT 0;
