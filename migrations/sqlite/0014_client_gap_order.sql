-- A page of one server's clients in one gap category, in the list's order
-- (name, then key), read straight from the index. With (server_id, gap,
-- name) only, the database fetched every client of the category and sorted
-- them for each page: PostgreSQL ~1 s a page for 64,896 stale clients of
-- 100,000 under load, 1,469-1,686 pages a second with this (docs/
-- PERFORMANCE.md, phase 17). Neither key nor name changes when a client
-- reports, so its update costs no more. Keep in step with the other
-- dialect's file.
DROP INDEX clients_gap;
CREATE INDEX clients_gap ON clients(server_id, gap, name, key) WHERE gap IS NOT NULL;
