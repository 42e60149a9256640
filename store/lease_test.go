package store_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// TestClaimsNeverOverlap: two dashboard instances on one database claim
// probes concurrently; every due server goes to exactly one of them.
func TestClaimsNeverOverlap(t *testing.T) {
	for name, dsn := range twoStoreDSNs(t) {
		t.Run(name, func(t *testing.T) {
			dsn := dsn(t)
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
							got, err := inst.ClaimProbes(t.Context(), fmt.Sprintf("inst%d", w%2), 7, time.Minute, time.Minute)
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

// twoStoreDSNs names a database per dialect that two stores can share; the
// PostgreSQL one skips its subtest where PostgreSQL tests cannot run.
func twoStoreDSNs(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "lease.db") },
		"postgres": func(t *testing.T) string { return storetest.PostgresSchemaURL(t) },
	}
}

// TestProbeLeaseOutlivesInterval: a probe that runs past its interval (a
// slow or hanging server) is not claimed again by another instance while
// its lease lasts; released, or lapsed because its holder died, it is.
func TestProbeLeaseOutlivesInterval(t *testing.T) {
	for name, dsn := range twoStoreDSNs(t) {
		t.Run(name, func(t *testing.T) {
			dsn := dsn(t)
			clock := storetest.NewClock(storetest.T0)
			a := storetest.OpenDSN(t, dsn, store.Options{Now: clock.Now})
			b := storetest.OpenDSN(t, dsn, store.Options{Now: clock.Now})
			const interval, lease = time.Minute, 5 * time.Minute
			for _, n := range []string{"slow.corp.example", "dead.corp.example"} {
				if _, err := a.RegisterServer(t.Context(), n, "http://"+n+":8530"); err != nil {
					t.Fatal(err)
				}
			}
			claim := func(st *store.Store, holder string) []string {
				t.Helper()
				got, err := st.ClaimProbes(t.Context(), holder, 10, interval, lease)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, g := range got {
					names = append(names, g.Name)
				}
				slices.Sort(names)
				return names
			}
			if got := claim(a, "a"); len(got) != 2 {
				t.Fatalf("a claimed %v, want both servers", got)
			}
			clock.Advance(2 * interval) // both probes still running, two intervals in
			if got := claim(b, "b"); len(got) != 0 {
				t.Fatalf("b claimed %v while a's probes are still running", got)
			}
			if err := b.ReleaseProbe(t.Context(), "b", "slow.corp.example"); err != nil {
				t.Fatal(err)
			}
			if got := claim(b, "b"); len(got) != 0 {
				t.Fatalf("b released a lease it does not hold: claimed %v", got)
			}
			if err := a.ReleaseProbe(t.Context(), "a", "SLOW.corp.example"); err != nil {
				t.Fatal(err)
			}
			if got := claim(b, "b"); !slices.Equal(got, []string{"slow.corp.example"}) {
				t.Fatalf("after a released the slow server, b claimed %v", got)
			}
			clock.Advance(lease) // a died without releasing the other one
			if got := claim(b, "b"); !slices.Equal(got, []string{"dead.corp.example", "slow.corp.example"}) {
				t.Fatalf("after the leases lapsed, b claimed %v", got)
			}
		})
	}
}
