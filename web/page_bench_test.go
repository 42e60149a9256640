package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// benchPage measures the server time of one page or API read (store reads,
// view model, render) through the real handler, reporting p50 and p99 and
// the body size.
func benchPage(b *testing.B, h http.Handler, path string) {
	b.Helper()
	get := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		if !strings.HasPrefix(path, "/api/") {
			req.Header.Set("Accept", "text/html")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body.String())
		}
		return rec
	}
	size := get().Body.Len() // warm caches and prepared statements
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		get()
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(size)/1024, "body-KB")
}

// BenchmarkFleetPage: GET / for a fleet of 500 servers on SQLite.
// Reproduce: go test -run '^$' -bench FleetPage -benchtime 200x ./web/
func BenchmarkFleetPage(b *testing.B) {
	now := time.Now().UTC()
	st := storetest.OpenSQLite(b, store.Options{})
	seedFleet(b, st, 500, now)
	benchPage(b, web.New(st, web.Config{}), "/")
}

// BenchmarkServerPage: GET /servers/{name} for a server with 100,000
// clients (first page of the client table, histogram, categories) and 24 h
// of vDir history from the dashboard's probe every 5 minutes, on SQLite.
// Reproduce: go test -run '^$' -bench ServerPage -benchtime 200x ./web/
func BenchmarkServerPage(b *testing.B) {
	now := time.Now().UTC()
	st := storetest.OpenSQLite(b, store.Options{Diagnose: scenarioFindings})
	const name = "wsus-west.corp.example"
	r := storetest.Report("big", name, now)
	r.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(100000, now, func(i int) time.Duration {
		return time.Duration(i%1000) * 3 * time.Hour
	})}
	if _, _, err := st.SaveReport(b.Context(), r, ""); err != nil {
		b.Fatal(err)
	}
	if _, _, err := st.Settle(b.Context()); err != nil { // the clients' gap categories
		b.Fatal(err)
	}
	for i := range 288 { // 24 h of probes every 5 minutes
		p := storetest.Report(fmt.Sprintf("probe-%d", i), name, now.Add(-time.Duration(i)*5*time.Minute))
		p.Collector.Vantage = probes.VantageDashboard
		if i%50 < 5 {
			p.VDirChecks[0].Status = 503
		}
		if _, _, err := st.SaveReport(b.Context(), p, ""); err != nil {
			b.Fatal(err)
		}
	}
	h := web.New(st, web.Config{})
	b.Run("first-page", func(b *testing.B) { benchPage(b, h, "/servers/"+name) })
	for _, q := range []string{"?category=stale_report", "?sort=-last_report", "?q=pc0", "?category=never_reported", "?category=stale_report&q=pc0&sort=-last_report"} {
		b.Run(q, func(b *testing.B) { benchPage(b, h, "/servers/"+name+q) })
	}
}
