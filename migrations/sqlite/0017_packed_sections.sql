-- PostgreSQL only (../postgres/0017_packed_sections.sql: a server's
-- sections as bytea, packed). SQLite stores the packed sections as BLOBs in
-- the same column already (a column's type does not bind its values there).
SELECT 1;
