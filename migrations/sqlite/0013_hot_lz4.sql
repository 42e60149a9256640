-- PostgreSQL only (../postgres/0013_hot_lz4.sql: fillfactor for in-place
-- updates and lz4 for the checks' bodies); SQLite has neither setting.
SELECT 1;
