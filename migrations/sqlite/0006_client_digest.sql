-- Client lists are compared, not rewritten: a collector sends the same list
-- every run, and rewriting 100,000 unchanged rows each time cost more than
-- loading them did the first time.
ALTER TABLE clients ADD COLUMN digest INTEGER NOT NULL DEFAULT 0; -- of a target's listed facts; 0 before this migration
-- A complete list vouches for every target it names: a listed target's
-- last_seen reads as at least this, without touching its row.
ALTER TABLE servers ADD COLUMN clients_listed_at INTEGER;       -- when the last complete list was merged
-- Removal is found by comparing keys now, not by a sequence number per row.
ALTER TABLE clients DROP COLUMN snapshot;
ALTER TABLE servers DROP COLUMN clients_snapshot;
