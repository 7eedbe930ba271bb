-- SQLite's 0009 stores the tables every sync writes WITHOUT ROWID (fewer
-- pages written per sync). PostgreSQL has no such storage choice: nothing
-- changes here; the version is kept in step with SQLite's.
SELECT 1;
