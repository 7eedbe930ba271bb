-- 0002_webhook_secrets: sealed webhook signing secrets (callback.Secrets).
-- One row per secret; seq is its generation within the integration, and the
-- primary key on (integration_id, seq) lets one of two concurrent rotations
-- win. ciphertext is sealed by the host's key, bound to integration_id and id.
CREATE TABLE {p}webhook_secrets (
    integration_id TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    id             TEXT NOT NULL,
    ciphertext     BLOB NOT NULL,
    created_at     BIGINT,
    retires_at     BIGINT,
    revoked_at     BIGINT,
    PRIMARY KEY (integration_id, seq)
);
CREATE UNIQUE INDEX {n}webhook_secrets_id ON {p}webhook_secrets (integration_id, id);
