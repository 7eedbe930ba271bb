-- A note is recorded before its comment is sent (state 'pending') and
-- marked 'unconfirmed' when the answer does not tell whether the ITSM
-- stored it, so the next sync resolves it before any resend ('' and
-- 'posted' mean posted). A failed note keeps the hash of the text posted
-- before (text_hash) apart from the hash of the refused text.
ALTER TABLE {p}posted_notes ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE {p}posted_notes ADD COLUMN refused_hash TEXT NOT NULL DEFAULT '';
