-- Orphans: tickets found carrying a case's correlation key besides the one
-- the case is linked to (see itsm.Orphan). A dismissed orphan is kept (with
-- dismissed_at) so that finding it again does not report it again.
CREATE TABLE {p}orphans (
    integration_id   TEXT NOT NULL,
    case_id          TEXT NOT NULL,
    ticket_id        TEXT NOT NULL,
    correlation_key  TEXT NOT NULL DEFAULT '',
    ticket_key       TEXT NOT NULL DEFAULT '',
    url              TEXT NOT NULL DEFAULT '',
    found_at         BIGINT,
    linked_ticket_id TEXT NOT NULL DEFAULT '',
    dismissed_at     BIGINT,
    PRIMARY KEY (integration_id, case_id, ticket_id)
);
