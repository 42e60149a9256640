-- Cheaper rewrites of what every report rewrites (issue 15). Keep in step
-- with ../sqlite/0013_hot_lz4.sql (nothing to do there).
--
-- Room on each page for a row's next version: a report rewrites its
-- server's row, its sections and its latest checks, none of them in an
-- indexed column, which PostgreSQL then does in place (HOT) when the page
-- has room, with no new index entries and no dead row for VACUUM to find
-- through the indexes. (Measured on a push: 7-50 % of vdir_latest's and
-- 40-70 % of the sections' updates were HOT before, 82-91 % and 69-86 %
-- with this.)
ALTER TABLE servers SET (fillfactor = 50);
ALTER TABLE sections SET (fillfactor = 50);
ALTER TABLE vdir_latest SET (fillfactor = 50);
ALTER TABLE client_reports SET (fillfactor = 70);
-- A run's checks (~1.7 KB of JSON) and verdicts take a row past the 2 KB
-- at which PostgreSQL compresses it: lz4 compresses several times faster
-- than the default pglz, on every report. Only where the server supports it
-- (built with lz4); values already stored stay as they are.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE vdir_runs ALTER COLUMN body SET COMPRESSION lz4, ALTER COLUMN verdicts SET COMPRESSION lz4;
        ALTER TABLE vdir_latest ALTER COLUMN body SET COMPRESSION lz4, ALTER COLUMN cells SET COMPRESSION lz4;
        ALTER TABLE sections ALTER COLUMN body SET COMPRESSION lz4;
        ALTER TABLE client_reports ALTER COLUMN body SET COMPRESSION lz4;
        ALTER TABLE reports ALTER COLUMN response SET COMPRESSION lz4;
    END IF;
END
$$;
