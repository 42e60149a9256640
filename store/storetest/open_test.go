package storetest

import "testing"

// TestPostgresHalfSkips: without a PostgreSQL URL (outside CI) the PostgreSQL
// half is a subtest that reports SKIP, not a line logged under ok.
func TestPostgresHalfSkips(t *testing.T) {
	t.Setenv(PostgresEnv, "")
	t.Setenv("CI", "")
	open, ok := Dialects(t)["postgres"]
	if !ok {
		t.Fatal("Dialects has no postgres entry: its tests vanish instead of showing as skipped")
	}
	var skipped bool
	t.Run("postgres", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Run(t, open)
	})
	if !skipped {
		t.Error("the postgres subtest was not skipped")
	}
}
