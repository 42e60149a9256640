package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// peakHeap samples the live heap while fn runs and returns its peak growth
// over the heap before, in MiB.
func peakHeap(fn func()) float64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	peak := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return float64(peak-base) / (1 << 20)
}

// BenchmarkReportMemory: three 16 MiB server reports arrive at once. They
// are decoded and validated whole (a bad last client stops them before the
// store, so only the decoding is measured). Without a budget all three are
// held at once; with one that fits two, the third is told 503 at once.
//
//	go test -run '^$' -bench ReportMemory -benchtime 3x ./web/
func BenchmarkReportMemory(b *testing.B) {
	rep := storetest.Report("mem", "wsus01.corp.example", storetest.T0)
	rep.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(60_000, storetest.T0, func(int) time.Duration { return time.Hour })}
	rep.Clients.Items[len(rep.Clients.Items)-1].LastSyncResult = "Maybe" // not a sync result: 422 after decoding it all
	body, _ := json.Marshal(rep)
	size := int64(len(body))
	for _, tc := range []struct {
		name   string
		budget int64
	}{{"no-budget", 1 << 40}, {"budget-fits-two", 2 * 4 * size}} {
		b.Run(tc.name, func(b *testing.B) {
			st := storetest.OpenSQLite(b, store.Options{Now: func() time.Time { return storetest.T0 }})
			h := web.New(st, web.Config{Now: func() time.Time { return storetest.T0 }, Limits: web.Limits{InflightBytes: tc.budget}})
			secret, _, _ := st.CreateToken(b.Context(), "b", probes.ScopeIngest)
			var peak float64
			refused := 0
			for b.Loop() {
				statuses := make([]int, 3)
				peak = max(peak, peakHeap(func() {
					var wg sync.WaitGroup
					for i := range 3 {
						wg.Go(func() {
							req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", bytes.NewReader(body))
							req.Header.Set("Authorization", "Bearer "+secret)
							rec := httptest.NewRecorder()
							h.ServeHTTP(rec, req)
							statuses[i] = rec.Code
						})
					}
					wg.Wait()
				}))
				for _, s := range statuses {
					if s == http.StatusServiceUnavailable {
						refused++
					} else if s != http.StatusUnprocessableEntity {
						b.Fatalf("status %d", s)
					}
				}
			}
			b.ReportMetric(peak, "peak-heap-MiB")
			b.ReportMetric(float64(size)/(1<<20), "body-MiB")
			b.ReportMetric(float64(refused)/float64(b.N), "refused/op")
		})
	}
}

// BenchmarkGzipBomb: a 256 MiB IIS log that compresses 1,000 times, posted
// as evidence. Without the ratio guard it is parsed to the end; with it,
// refused after a few MiB.
//
//	go test -run '^$' -bench GzipBomb -benchtime 3x ./web/
func BenchmarkGzipBomb(b *testing.B) {
	bomb, inflated := gzipBomb(b, 256<<20)
	for _, tc := range []struct {
		name  string
		ratio int64
	}{{"no-ratio-guard", 1 << 40}, {"ratio-200", 200}} {
		b.Run(tc.name, func(b *testing.B) {
			st := storetest.OpenSQLite(b, store.Options{})
			h := web.New(st, web.Config{Limits: web.Limits{MaxGzipRatio: tc.ratio}})
			secret, _, _ := st.CreateToken(b.Context(), "b", probes.ScopeIngest)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/servers/wsus01.corp.example/evidence/iislog", bytes.NewReader(bomb))
				req.Header.Set("Authorization", "Bearer "+secret)
				req.Header.Set("Content-Encoding", "gzip")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code >= 500 {
					b.Fatalf("status %d %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(len(bomb))/(1<<10), "gzip-KiB")
			b.ReportMetric(float64(inflated)/(1<<20), "inflates-to-MiB")
		})
	}
}
