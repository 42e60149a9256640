-- ANALYZE computes statistics only for the columns a query filters, joins
-- or sorts on. Settle analyses clients and client_reports as they grow
-- (store/planstats.go); the columns below are only ever shown (a client's
-- facts, its stored view, its checks' keys), and their statistics were
-- half or more of each ANALYZE's time: 194–230 ms for 20,000 client
-- reports, 72–99 ms without them; 217–257 ms for 100,000 clients, 110 ms
-- without (docs/PERFORMANCE.md, phase 20). A query that ever filters on one of
-- them should set its target back (-1). Keep in step with
-- ../sqlite/0018_statistics_where_queried.sql.
ALTER TABLE client_reports
    ALTER COLUMN report_id SET STATISTICS 0,
    ALTER COLUMN policy_detail SET STATISTICS 0,
    ALTER COLUMN body SET STATISTICS 0,
    ALTER COLUMN checks SET STATISTICS 0;
ALTER TABLE clients
    ALTER COLUMN target_id SET STATISTICS 0,
    ALTER COLUMN ip SET STATISTICS 0,
    ALTER COLUMN os SET STATISTICS 0,
    ALTER COLUMN client_version SET STATISTICS 0,
    ALTER COLUMN groups SET STATISTICS 0,
    ALTER COLUMN requested_group SET STATISTICS 0,
    ALTER COLUMN last_sync_result SET STATISTICS 0,
    ALTER COLUMN gap_detail SET STATISTICS 0;
