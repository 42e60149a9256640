-- PostgreSQL only (../postgres/0016_packed_client_views.sql: a client's
-- view as bytea, packed). SQLite stores the packed view as a BLOB in the
-- same column already (a column's type does not bind its values there).
SELECT 1;
