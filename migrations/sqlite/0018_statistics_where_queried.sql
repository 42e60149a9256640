-- PostgreSQL only (../postgres/0018_statistics_where_queried.sql: no
-- statistics for the columns only shown). SQLite's ANALYZE reads indexes
-- only.
SELECT 1;
