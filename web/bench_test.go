package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// BenchmarkIngestSmallReports: small server reports (9 vDir checks, a few
// events, no clients) from 64 concurrent posters over real HTTP on loopback
// into SQLite with synchronous=FULL, the rule catalogue judging each save. Reports reports/s and p99 latency.
// Reproduce: go test -run '^$' -bench IngestSmallReports -benchtime 20000x ./web/
func BenchmarkIngestSmallReports(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) { benchIngest(b, open) })
	}
}

func benchIngest(b *testing.B, open storetest.Opener) {
	// The rule catalogue runs on every save, as it does under serve.
	st := open(b, store.Options{Diagnose: rules.Diagnose})
	secret, _, err := st.CreateToken(b.Context(), "bench", probes.ScopeIngest)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(web.New(st, web.Config{}))
	defer srv.Close()
	now := time.Now().UTC()
	bodies := make([][]byte, b.N)
	for i := range bodies {
		r := storetest.Report(fmt.Sprintf("bench-%d-%d", now.UnixNano(), i), fmt.Sprintf("wsus%03d.corp.example", i%500), now)
		r.Events = []probes.Event{
			{ID: 12072, Source: "Windows Server Update Services", Level: "Error", Time: r.CollectedAt, Message: "The WSUS content directory is not accessible."},
			{ID: 364, Source: "Windows Server Update Services", Level: "Warning", Time: r.CollectedAt, Message: "Content file download failed."},
		}
		bodies[i], _ = json.Marshal(r)
	}
	const posters = 64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: posters, MaxConnsPerHost: posters}}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	// Findings are derived off the ingest path every 2 s, as serve does;
	// that work shares the two cores with the posters.
	stop := make(chan struct{})
	var settled sync.WaitGroup
	settled.Go(func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, _, err := st.Settle(b.Context()); err != nil {
					b.Error(err)
				}
			}
		}
	})
	b.ResetTimer()
	start := time.Now()
	for range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/reports", bytes.NewReader(bodies[i]))
				req.Header.Set("Authorization", "Bearer "+secret)
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					failed.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	settled.Wait()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d reports failed", n, b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reports/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
