-- PostgreSQL only (../postgres/0015_packed_runs.sql: the checks' columns as
-- bytea, for the packed runs). SQLite stores them as BLOBs in the same
-- columns already (a column's type does not bind its values there).
SELECT 1;
