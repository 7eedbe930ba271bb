-- A link records the ticket space it points into (see itsm.Link.Target),
-- so an integration edited to point at another ITSM never updates a ticket
-- of the old one. Links made before this column read as "" (unknown).
ALTER TABLE {p}links ADD COLUMN target TEXT NOT NULL DEFAULT '';
