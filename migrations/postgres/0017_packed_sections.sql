-- A server's sections (sections.body: its facts, vDir configuration, app
-- pool, ACLs, events, sync...) as bytes: serve stores them compressed (S2,
-- store/runpack.go), as the vDir runs since 0015 and the client views since
-- 0016. Keep in step with ../sqlite/0017_packed_sections.sql.
--
-- A collector's report rewrites each of its sections; its vDir
-- configuration is ~2.5 KB of JSON, ~0.4 KB packed (docs/PERFORMANCE.md,
-- phase 19). Rows stored before keep their JSON, as bytes; readers take
-- either. A column's compression does not survive the type change.
ALTER TABLE sections ALTER COLUMN body TYPE bytea USING convert_to(body, 'UTF8');
