-- 0001_init: the first schema. {p} is replaced by the qualified table prefix
-- ([schema.]prefix), {n} by the bare prefix (index names); see doc.go.
CREATE TABLE {p}links (
    integration_id     TEXT COLLATE "C" NOT NULL,
    case_id            TEXT COLLATE "C" NOT NULL,
    ticket_id          TEXT COLLATE "C" NOT NULL,
    ticket_key         TEXT COLLATE "C" NOT NULL DEFAULT '',
    url                TEXT NOT NULL DEFAULT '',
    created_at         BIGINT,
    updated_at         BIGINT,
    last_pushed_status TEXT NOT NULL DEFAULT '',
    last_pushed_at     BIGINT,
    closed             BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (integration_id, case_id)
);
CREATE INDEX {n}links_ticket_id ON {p}links (integration_id, ticket_id);
CREATE INDEX {n}links_ticket_key ON {p}links (integration_id, ticket_key);
CREATE TABLE {p}pending_creates (
    integration_id  TEXT COLLATE "C" NOT NULL,
    case_id         TEXT COLLATE "C" NOT NULL,
    correlation_key TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT '',
    attempts        BIGINT NOT NULL DEFAULT 0,
    started_at      BIGINT,
    updated_at      BIGINT,
    last_error      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (integration_id, case_id)
);
CREATE TABLE {p}posted_notes (
    integration_id TEXT COLLATE "C" NOT NULL,
    case_id        TEXT COLLATE "C" NOT NULL,
    note_id        TEXT COLLATE "C" NOT NULL,
    ticket_id      TEXT NOT NULL DEFAULT '',
    comment_id     TEXT NOT NULL DEFAULT '',
    text_hash      TEXT NOT NULL DEFAULT '',
    posted_at      BIGINT,
    PRIMARY KEY (integration_id, case_id, note_id)
);
CREATE TABLE {p}leases (
    lease_key  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT
);
CREATE TABLE {p}cooldowns (
    cooldown_key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    until_at     BIGINT
);
CREATE TABLE {p}integrations (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    workspace  TEXT COLLATE "C" NOT NULL,
    config     BYTEA,
    created_at BIGINT,
    updated_at BIGINT
);
CREATE UNIQUE INDEX {n}integrations_workspace ON {p}integrations (workspace);
CREATE TABLE {p}callback_tokens (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    integration_id TEXT COLLATE "C" NOT NULL,
    app_name       TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    hash           BYTEA,
    created_at     BIGINT,
    expires_at     BIGINT,
    revoked_at     BIGINT,
    last_used_at   BIGINT
);
CREATE INDEX {n}callback_tokens_hash ON {p}callback_tokens (hash);
CREATE INDEX {n}callback_tokens_integration ON {p}callback_tokens (integration_id, created_at);
CREATE TABLE {p}deliveries (
    integration_id TEXT COLLATE "C" NOT NULL,
    delivery_id    TEXT COLLATE "C" NOT NULL,
    claimed_at     BIGINT,
    expires_at     BIGINT,
    PRIMARY KEY (integration_id, delivery_id)
);
CREATE INDEX {n}deliveries_expires ON {p}deliveries (expires_at);
CREATE TABLE {p}inbound_states (
    integration_id TEXT COLLATE "C" NOT NULL,
    ticket_id      TEXT COLLATE "C" NOT NULL,
    version        BIGINT NOT NULL DEFAULT 0,
    occurred_at    BIGINT,
    status         TEXT NOT NULL DEFAULT '',
    updated_at     BIGINT,
    PRIMARY KEY (integration_id, ticket_id)
);
