package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// The gap classification's scratch table is left with no pages after each
// use: dead rows left behind in a temporary table (which autovacuum never
// visits) made the planner take 200 changes for tens of thousands.
func TestPostgresScratchTableLeftEmpty(t *testing.T) {
	storetest.SkipWithoutPostgres(t)
	s := storetest.OpenPostgres(t, store.Options{})
	for range 3 { // the table outlives the transaction: used again, still empty
		size, err := store.ScratchSizeAfterGaps(context.Background(), s, 500)
		if err != nil {
			t.Fatal(err)
		}
		if size != 0 {
			t.Fatalf("gap_changes holds %d bytes after use, want 0", size)
		}
	}
}

// Settle analyses the clients table itself once a client list loaded a good
// part of it, instead of leaving the planner without statistics until
// autovacuum comes by (last_analyze is the manual one, not autovacuum's).
func TestPostgresSettleAnalyzesLoadedClients(t *testing.T) {
	storetest.SkipWithoutPostgres(t)
	clock := storetest.NewClock(storetest.T0)
	s := storetest.OpenPostgres(t, store.Options{Now: clock.Now})
	ctx := context.Background()
	r := storetest.Report("load-1", "wsus01.corp.example", storetest.T0)
	r.Clients = &probes.ClientList{Complete: true, Items: storetest.ClientRange(0, 3000, storetest.T0, func(int) time.Duration { return time.Hour })}
	if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
		t.Fatal(err)
	}
	db := store.SQLDB(s)
	stats := func() (analyses, modified int64) {
		if err := db.QueryRowContext(ctx, `SELECT analyze_count, n_mod_since_analyze FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname = 'clients'`).Scan(&analyses, &modified); err != nil {
			t.Fatal(err)
		}
		return analyses, modified
	}
	if n, _ := stats(); n != 0 {
		t.Fatal("clients analysed before Settle ran")
	}
	// The load's row counts reach the statistics views when its backend
	// reports them (within ~10 s of going idle): Settle until they did.
	settleUntil := func(what string, done func() bool) {
		t.Helper()
		storetest.WaitFor(t, what, 60*time.Second, func() bool {
			if _, _, err := s.Settle(ctx); err != nil {
				t.Fatal(err)
			}
			return done()
		})
	}
	settleUntil("Settle analyses the freshly loaded clients table", func() bool { n, _ := stats(); return n == 1 })
	// The same 3,000 clients synced again: every row changed, none added.
	// The plans do not change with that, and Settle leaves it to autovacuum.
	r.ID, r.CollectedAt = "load-2", probes.TimeOf(storetest.T0.Add(time.Minute))
	r.Clients.Items = storetest.ClientRange(0, 3000, storetest.T0, func(int) time.Duration { return 30 * time.Minute })
	if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
		t.Fatal(err)
	}
	settleUntil("the clients' changes reach the statistics views", func() bool { _, mod := stats(); return mod >= 3000 })
	if _, _, err := s.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := stats(); n != 1 {
		t.Fatalf("Settle analysed clients %d times after they changed in place, want once (after the load)", n)
	}
	// 3,000 clients more: the table doubled, and is analysed again.
	r.ID, r.CollectedAt = "load-3", probes.TimeOf(storetest.T0.Add(2*time.Minute))
	r.Clients.Items = storetest.ClientRange(0, 6000, storetest.T0, func(int) time.Duration { return 30 * time.Minute })
	if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
		t.Fatal(err)
	}
	settleUntil("Settle analyses clients once the table doubled", func() bool { n, _ := stats(); return n == 2 })
}
