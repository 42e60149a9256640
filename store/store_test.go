package store_test

import (
	"os"
	"slices"
	"testing"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

func TestConformance(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, open)
		})
	}
}

// TestMigrationFoldersMatch: every migration exists for both dialects.
func TestMigrationFoldersMatch(t *testing.T) {
	lite, err := store.Migrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		t.Fatalf("migration names differ:\n sqlite:   %v\n postgres: %v", lite, pg)
	}
	dir, _ := os.ReadDir("../migrations/sqlite")
	if len(dir) != len(lite) {
		t.Errorf("migrations/sqlite holds %d files but %d are embedded", len(dir), len(lite))
	}
}

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct{ in, kind, target string }{
		{"sqlite:wsusfleet.db", "sqlite", "wsusfleet.db"},
		{"sqlite:///var/lib/wsusfleet/db.sqlite", "sqlite", "/var/lib/wsusfleet/db.sqlite"},
		{"file:data/x.db", "sqlite", "data/x.db"},
		{"postgres://u@h/db?sslmode=disable", "postgres", "postgres://u@h/db?sslmode=disable"},
	} {
		kind, target, err := store.ParseDSN(tc.in)
		if err != nil || kind != tc.kind || target != tc.target {
			t.Errorf("ParseDSN(%q) = %q, %q, %v", tc.in, kind, target, err)
		}
	}
	for _, bad := range []string{"", "mysql://x", "sqlite:", "sqlite::memory:", "wsusfleet.db"} {
		if _, _, err := store.ParseDSN(bad); err == nil {
			t.Errorf("ParseDSN(%q) accepted", bad)
		}
	}
}
