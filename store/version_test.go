package store_test

import (
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// TestVersionSeesAnotherInstancesWrites: a write through a store changes
// its version at once; one through another instance on the same database
// changes it too, once the database's change marker is polled again (at
// most a second later), so that instance's read models show it.
func TestVersionSeesAnotherInstancesWrites(t *testing.T) {
	for name, dsn := range twoStoreDSNs(t) {
		t.Run(name, func(t *testing.T) {
			dsn := dsn(t)
			a := storetest.OpenDSN(t, dsn, store.Options{})
			b := storetest.OpenDSN(t, dsn, store.Options{})
			version := func() string {
				t.Helper()
				v, err := a.Version(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			before := version()
			if _, err := a.RegisterServer(t.Context(), "own.corp.example", "http://own.corp.example:8530"); err != nil {
				t.Fatal(err)
			}
			own := version()
			if own == before {
				t.Fatalf("version %q unchanged by the store's own write", own)
			}
			if _, err := b.RegisterServer(t.Context(), "other.corp.example", "http://other.corp.example:8530"); err != nil {
				t.Fatal(err)
			}
			storetest.WaitFor(t, "a version that shows the other instance's write", 30*time.Second, func() bool { return version() != own })
		})
	}
}
