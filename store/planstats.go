package store

import (
	"context"
	"fmt"
)

// analyzeTables are the tables whose statistics the gap classification's
// plans depend on.
var analyzeTables = []string{"clients", "client_reports", "fleet_gaps"}

// analyzeStale refreshes PostgreSQL's statistics of the classification's
// tables once a load or removal has doubled or halved them (by more than
// 1,000 rows) since their last ANALYZE, or they have none. Autovacuum gets
// there too, but only after its nap and behind other work: until then a
// freshly loaded clients table has no statistics, and the planner, guessing
// hundreds of rows per client name, scans all 100,000 clients for each
// server classified (~0.2–0.8 s each instead of ~10 ms: 500 servers seeded
// at once took minutes to settle). SQLite needs nothing: its plans use the
// indexes without statistics.
//
// Between, the planner scales the last counts by the table's pages, so a
// table growing needs no ANALYZE at every tenth, and rows changed in place
// (client reports, gaps moving) none at all: autovacuum analyses them in
// its time. Counted as changes, they had every Settle analyse
// client_reports and clients while clients reported, 0.15–0.25 s of
// PostgreSQL's CPU each (docs/PERFORMANCE.md, phase 14).
func (s *Store) analyzeStale(ctx context.Context) error {
	if s.w != nil {
		return nil
	}
	// reltuples: the rows at the last ANALYZE or VACUUM, -1 before any.
	rows, err := s.db.QueryContext(ctx, `SELECT t.relname FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid
		WHERE t.schemaname = current_schema() AND t.relname = ANY($1) AND t.n_mod_since_analyze > 1000
			AND abs(t.n_live_tup - GREATEST(c.reltuples, 0)) > 1000
			AND (c.reltuples < 0 OR t.n_live_tup >= 2 * c.reltuples OR 2 * t.n_live_tup <= c.reltuples)`, analyzeTables)
	if err != nil {
		return fmt.Errorf("find tables to analyze: %w", err)
	}
	var stale []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		stale = append(stale, name)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, name := range stale {
		// SKIP_LOCKED: another instance (or autovacuum) analysing it already will do.
		if _, err := s.db.ExecContext(ctx, `ANALYZE (SKIP_LOCKED) `+name); err != nil {
			return fmt.Errorf("analyze %s: %w", name, err)
		}
	}
	return nil
}

// emptyScratch empties a scratch table (a temporary table kept for the
// connection's life) at the end of its use. On PostgreSQL with TRUNCATE:
// rows deleted from a temporary table stay as dead rows (autovacuum never
// visits temporary tables), so after a few hundred uses the planner, which
// estimates a table's rows from its pages, took 200 gap changes for 55,000
// and hash-joined all 100,000 clients to apply them (0.5 s per server
// classified instead of ~10 ms).
func (s *Store) emptyScratch(ctx context.Context, t *wtx, table string) error {
	verb := "TRUNCATE "
	if s.w != nil {
		verb = "DELETE FROM " // SQLite has no TRUNCATE, and no such estimate
	}
	_, err := t.ExecContext(ctx, verb+table)
	return err
}
