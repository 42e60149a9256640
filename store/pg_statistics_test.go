package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// ANALYZE of the tables Settle analyses as they grow keeps statistics for
// the columns queries look up, join and sort by, and computes none for
// those only shown (migration 0018): half of each ANALYZE's time went to
// them.
func TestPostgresStatisticsOnlyWhereQueried(t *testing.T) {
	storetest.SkipWithoutPostgres(t)
	s := storetest.OpenPostgres(t, store.Options{})
	ctx := context.Background()
	r := storetest.Report("r1", "wsus01.corp.example", storetest.T0)
	r.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(50, storetest.T0, func(i int) time.Duration { return time.Duration(i) * 24 * time.Hour })}
	if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		cr := viewReport(r.Clients.Items[i].Name, "http://wsus01.corp.example:8530", storetest.T0)
		cr.ID, cr.Client.SusClientID = fmt.Sprintf("cr-%d", i), r.Clients.Items[i].ID
		if _, _, err := s.SaveClientReport(ctx, cr, ""); err != nil {
			t.Fatal(err)
		}
	}
	db := store.SQLDB(s)
	for table, want := range map[string]struct{ kept, skipped []string }{
		"clients": {kept: []string{"gap", "key", "last_report", "name", "server_id"},
			skipped: []string{"client_version", "gap_detail", "groups", "ip", "last_sync_result", "os", "requested_group", "target_id"}},
		"client_reports": {kept: []string{"name", "server_id", "sus_client_id"},
			skipped: []string{"body", "checks", "policy_detail", "report_id"}},
	} {
		if _, err := db.ExecContext(ctx, `ANALYZE `+table); err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, `SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1`, table)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var col string
			if err := rows.Scan(&col); err != nil {
				t.Fatal(err)
			}
			got = append(got, col)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, col := range want.kept {
			if !slices.Contains(got, col) {
				t.Errorf("%s.%s has no statistics after ANALYZE (queries look it up); got them for %v", table, col, got)
			}
		}
		for _, col := range want.skipped {
			if slices.Contains(got, col) {
				t.Errorf("%s.%s has statistics after ANALYZE; it is only shown", table, col)
			}
		}
	}
}
