package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// A database a newer wsusfleet migrated is refused, naming its migration,
// rather than read in forms this binary may not know; nothing is applied.
func TestNewerDatabaseRefused(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, store.Options{})
			ctx := context.Background()
			if err := store.RecordMigration(ctx, s, 9001, "9001_from_the_future.sql"); err != nil {
				t.Fatal(err)
			}
			applied, err := s.Migrate(ctx)
			if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), "9001_from_the_future.sql") || len(applied) != 0 {
				t.Fatalf("Migrate on a newer database: %v, applied %v; want ErrNewerSchema naming 9001_from_the_future.sql, nothing applied", err, applied)
			}
		})
	}
}
