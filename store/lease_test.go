package store_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// TestClaimsNeverOverlap: two dashboard instances on one database claim
// probes concurrently; every due server goes to exactly one of them.
func TestClaimsNeverOverlap(t *testing.T) {
	dsns := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "lease.db")}
	if storetest.PostgresURL(t) != "" {
		dsns["postgres"] = storetest.PostgresSchemaURL(t)
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			clock := storetest.NewClock(storetest.T0)
			a := storetest.OpenDSN(t, dsn, store.Options{Now: clock.Now})
			b := storetest.OpenDSN(t, dsn, store.Options{Now: clock.Now})
			const servers = 200
			for i := range servers {
				if _, err := a.RegisterServer(t.Context(), fmt.Sprintf("wsus%03d", i), fmt.Sprintf("http://wsus%03d:8530", i)); err != nil {
					t.Fatal(err)
				}
			}
			for round := range 3 {
				claims := map[string]int{}
				var mu sync.Mutex
				var wg sync.WaitGroup
				for w := range 8 {
					inst := []*store.Store{a, b}[w%2]
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							got, err := inst.ClaimProbes(t.Context(), fmt.Sprintf("inst%d", w%2), 7, time.Minute)
							if err != nil {
								t.Error(err)
								return
							}
							if len(got) == 0 {
								return
							}
							mu.Lock()
							for _, g := range got {
								claims[g.Name]++
							}
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				if len(claims) != servers {
					t.Fatalf("round %d: %d servers claimed, want %d", round, len(claims), servers)
				}
				for name, n := range claims {
					if n != 1 {
						t.Fatalf("round %d: %s claimed %d times in one interval", round, name, n)
					}
				}
				clock.Advance(2 * time.Minute)
			}
		})
	}
}
