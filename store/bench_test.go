package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// BenchmarkSaveSmallReports measures the store alone: 64 goroutines saving
// small reports (no HTTP).
func BenchmarkSaveSmallReports(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, store.Options{})
			now := time.Now().UTC()
			reps := make([]*probes.Report, b.N)
			for i := range reps {
				reps[i] = storetest.Report(fmt.Sprintf("b-%d", i), fmt.Sprintf("wsus%03d", i%500), now)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						if _, _, err := st.SaveReport(b.Context(), reps[i], ""); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reports/s")
		})
	}
}

// BenchmarkSnapshot100k: a server report with a complete snapshot of 100,000
// clients, as acknowledged (merge and counts), for a new server (first-s)
// and the same list sent again (again-s, what every collector run does);
// against a bare prepared insert loop (SQLite) or CopyFrom (PostgreSQL) of
// the same rows into an empty table of the same shape, in the same run
// (bare-s); and the gap classification that follows a first snapshot (gaps-s).
// Reproduce: go test -run '^$' -bench Snapshot100k -benchtime 3x ./store/
func BenchmarkSnapshot100k(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, store.Options{})
			now := time.Now().UTC()
			clients := storetest.Clients(100000, now, func(i int) time.Duration {
				if i%50 == 0 {
					return -1
				}
				return time.Duration(i%(20*24)) * time.Hour
			})
			var first, again, classify, bare time.Duration
			save := func(id, server string, at time.Time) time.Duration {
				r := storetest.Report(id, server, at)
				r.VDirChecks = nil
				r.Clients = &probes.ClientList{Complete: true, Items: clients}
				t0 := time.Now()
				// The HTTP handler passes the hash of the body it read.
				if _, _, err := st.SaveReport(b.Context(), r, "digest-"+id); err != nil {
					b.Fatal(err)
				}
				return time.Since(t0)
			}
			for i := range b.N {
				server := fmt.Sprintf("wsus-big-%d", i)
				first += save(fmt.Sprintf("first-%d-%d", now.UnixNano(), i), server, now)
				t1 := time.Now()
				if n, _, err := st.Settle(b.Context()); err != nil || n != 1 {
					b.Fatalf("settle: %d servers, %v", n, err)
				}
				classify += time.Since(t1)
				again += save(fmt.Sprintf("again-%d-%d", now.UnixNano(), i), server, now.Add(time.Second))
				d, err := store.BareClientInsert(b.Context(), st, clients)
				if err != nil {
					b.Fatal(err)
				}
				bare += d
			}
			n := float64(b.N)
			b.ReportMetric(first.Seconds()/n, "first-s")
			b.ReportMetric(again.Seconds()/n, "again-s")
			b.ReportMetric(bare.Seconds()/n, "bare-s")
			b.ReportMetric(float64(first)/float64(bare), "first/bare")
			b.ReportMetric(float64(again)/float64(bare), "again/bare")
			b.ReportMetric(classify.Seconds()/n, "gaps-s")
		})
	}
}
