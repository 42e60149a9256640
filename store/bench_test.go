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
