-- Links belong to a target (itsm.Link.Target): when a host retires the links
-- of a target it no longer writes into (another ticket system), they move
-- here with their posted-note records (JSON), readable as history; seq
-- orders the retirements of one case. The index serves the per-target
-- updates and counts on links.
CREATE TABLE {p}retired_links (
    integration_id     TEXT COLLATE "C" NOT NULL,
    case_id            TEXT COLLATE "C" NOT NULL,
    seq                BIGINT NOT NULL,
    ticket_id          TEXT COLLATE "C" NOT NULL,
    ticket_key         TEXT NOT NULL DEFAULT '',
    url                TEXT NOT NULL DEFAULT '',
    created_at         BIGINT,
    updated_at         BIGINT,
    last_pushed_status TEXT NOT NULL DEFAULT '',
    last_pushed_at     BIGINT,
    closed             BOOLEAN NOT NULL DEFAULT FALSE,
    target             TEXT NOT NULL DEFAULT '',
    retired_at         BIGINT,
    notes              TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (integration_id, case_id, seq)
);
CREATE INDEX {n}links_target ON {p}links (integration_id, target);
