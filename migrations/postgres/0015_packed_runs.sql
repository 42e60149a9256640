-- A run's checks and verdicts and the latest checks and strip cells as
-- bytes: serve stores them compressed (S2, store/runpack.go), as it does on
-- SQLite since phase 16. Keep in step with ../sqlite/0015_packed_runs.sql.
--
-- A push group's statement, which runs one group at a time, bounds the push
-- rate on PostgreSQL, and a group sent 100-150 KB of these as JSON text that
-- PostgreSQL received, checked and compressed again (lz4, 0013); packed they
-- are a quarter of it and under the size PostgreSQL compresses
-- (docs/PERFORMANCE.md, phase 18). Rows stored before keep their JSON, as
-- bytes; readers take either.
ALTER TABLE vdir_runs
    ALTER COLUMN body TYPE bytea USING convert_to(body, 'UTF8'),
    ALTER COLUMN verdicts TYPE bytea USING convert_to(verdicts, 'UTF8');
ALTER TABLE vdir_latest
    ALTER COLUMN body TYPE bytea USING convert_to(body, 'UTF8'),
    ALTER COLUMN cells TYPE bytea USING convert_to(cells, 'UTF8');
