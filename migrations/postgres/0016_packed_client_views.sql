-- A client's own view (client_reports.body: its policy, checks, collector
-- and update errors) as bytes: serve stores it compressed (S2,
-- store/runpack.go), as the vDir runs since 0015. Keep in step with
-- ../sqlite/0016_packed_client_views.sql.
--
-- Every client report rewrites its row; packed, a ~0.9 KB view is ~0.45 KB
-- (docs/PERFORMANCE.md, phase 18). Rows stored before keep their JSON, as
-- bytes; readers take either. A column's compression does not survive the
-- type change, and a packed view is under the size PostgreSQL compresses.
ALTER TABLE client_reports ALTER COLUMN body TYPE bytea USING convert_to(body, 'UTF8');
