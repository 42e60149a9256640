package store_test

import (
	"context"
	"testing"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// On PostgreSQL the rows every report rewrites leave room on their pages
// for their next version (in-place updates), and a run's checks are
// compressed with lz4 where the server has it (migration 0013).
func TestPostgresReportTablesRewriteInPlace(t *testing.T) {
	storetest.SkipWithoutPostgres(t)
	s := storetest.OpenPostgres(t, store.Options{})
	ctx := context.Background()
	if _, _, err := s.SaveReport(ctx, storetest.Report("r1", "wsus01", storetest.T0), ""); err != nil {
		t.Fatal(err)
	}
	db := store.SQLDB(s)
	for table, want := range map[string]string{"servers": "fillfactor=50", "sections": "fillfactor=50", "vdir_latest": "fillfactor=50",
		"client_reports": "fillfactor=70"} {
		var opts string
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(array_to_string(reloptions, ','), '') FROM pg_class
			WHERE oid = to_regclass($1)`, table).Scan(&opts); err != nil {
			t.Fatal(err)
		}
		if opts != want {
			t.Errorf("%s: options %q, want %q", table, opts, want)
		}
	}
	var lz4 bool
	if err := db.QueryRowContext(ctx, `SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&lz4); err != nil {
		t.Fatal(err)
	}
	if !lz4 {
		t.Skip("this PostgreSQL has no lz4")
	}
	for _, table := range []string{"vdir_runs", "vdir_latest"} {
		var method string
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(pg_column_compression(body), 'none') FROM `+table).Scan(&method); err != nil {
			t.Fatal(err)
		}
		if method != "lz4" {
			t.Errorf("%s: a run's checks are stored %s, want lz4", table, method)
		}
	}
}
