package store_test

import (
	"context"
	"testing"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// On PostgreSQL the rows every report rewrites leave room on their pages
// for their next version (in-place updates, migration 0013), a run's checks,
// a client's view and a server's sections are stored as serve packed them
// (0015, 0016, 0017), and the large text it does not pack is compressed with
// lz4 where the server has it (0013).
func TestPostgresReportTablesRewriteInPlace(t *testing.T) {
	storetest.SkipWithoutPostgres(t)
	s := storetest.OpenPostgres(t, store.Options{})
	ctx := context.Background()
	r := storetest.Report("r1", "wsus01", storetest.T0)
	r.Server.Version = "10.0.20348.1" // a server section
	if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
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
	if _, _, err := s.SaveClientReport(ctx, viewReport("pc1.corp.example", "http://wsus01:8530", storetest.T0), ""); err != nil {
		t.Fatal(err)
	}
	// The checks, the client's view and the sections arrive packed
	// (migrations 0015, 0016, 0017): bytea, and small enough that
	// PostgreSQL does not compress them again.
	for _, col := range [][2]string{{"vdir_runs", "body"}, {"vdir_runs", "verdicts"}, {"vdir_latest", "body"}, {"vdir_latest", "cells"},
		{"client_reports", "body"}, {"sections", "body"}} {
		var typ, method string
		if err := db.QueryRowContext(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
			WHERE attrelid = to_regclass($1) AND attname = $2`, col[0], col[1]).Scan(&typ); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(pg_column_compression(`+col[1]+`), 'none') FROM `+col[0]).Scan(&method); err != nil {
			t.Fatal(err)
		}
		if typ != "bytea" || method != "none" {
			t.Errorf("%s.%s: %s, compressed %s; want bytea, not compressed again", col[0], col[1], typ, method)
		}
	}
	var lz4 bool
	if err := db.QueryRowContext(ctx, `SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&lz4); err != nil {
		t.Fatal(err)
	}
	if !lz4 {
		t.Skip("this PostgreSQL has no lz4")
	}
	// What serve does not pack is compressed with lz4 where it is large.
	for _, col := range [][2]string{{"reports", "response"}} {
		var method string
		if err := db.QueryRowContext(ctx, `SELECT attcompression FROM pg_attribute
			WHERE attrelid = to_regclass($1) AND attname = $2`, col[0], col[1]).Scan(&method); err != nil {
			t.Fatal(err)
		}
		if method != "l" {
			t.Errorf("%s.%s: compression %q, want lz4 (l)", col[0], col[1], method)
		}
	}
}
