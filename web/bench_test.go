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
// into SQLite with synchronous=FULL. Reports reports/s and latency.
// Reproduce: go test -run '^$' -bench IngestSmallReports -benchtime 20000x ./web/
func BenchmarkIngestSmallReports(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, store.Options{Diagnose: rules.Diagnose})
			now := time.Now().UTC()
			bodies := make([][]byte, b.N)
			for i := range bodies {
				r := storetest.Report(fmt.Sprintf("bench-%d-%d", now.UnixNano(), i), benchServer(i), now)
				r.Events = []probes.Event{
					{ID: 12072, Source: "Windows Server Update Services", Level: "Error", Time: r.CollectedAt, Message: "The WSUS content directory is not accessible."},
					{ID: 364, Source: "Windows Server Update Services", Level: "Warning", Time: r.CollectedAt, Message: "Content file download failed."},
				}
				bodies[i], _ = json.Marshal(r)
			}
			postAll(b, st, "/api/v1/reports", bodies)
		})
	}
}

// BenchmarkIngestClientReports: client reports (policy values and the three
// vDir checks the logon script makes) for 20,000 machines of a 500-server
// fleet, from 64 concurrent posters. Some point at the wrong port or a
// different status server, as real fleets do.
// Reproduce: go test -run '^$' -bench IngestClientReports -benchtime 20000x ./web/
func BenchmarkIngestClientReports(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			st := open(b, store.Options{Diagnose: rules.Diagnose})
			now := time.Now().UTC()
			const servers = 500
			perServer := (b.N + servers - 1) / servers
			for i := range servers {
				r := storetest.Report(fmt.Sprintf("fleet-%d-%d", now.UnixNano(), i), benchServer(i), now)
				r.Clients = &probes.ClientList{Complete: true, Items: storetest.ClientRange(i*perServer, perServer, now, func(int) time.Duration { return time.Hour })}
				if _, _, err := st.SaveReport(b.Context(), r, ""); err != nil {
					b.Fatal(err)
				}
			}
			if _, _, err := st.Settle(b.Context()); err != nil {
				b.Fatal(err)
			}
			on, opt := true, 4
			bodies := make([][]byte, b.N)
			for i := range bodies {
				base := "http://" + benchServer(i/perServer) + ":8530"
				wu, status := base, base
				switch i % 50 {
				case 7:
					wu = "http://" + benchServer(i/perServer) // no port: 80 instead of 8530
				case 9:
					status = "http://" + benchServer(i/perServer+1) + ":8530"
				}
				cr := probes.ClientReport{Schema: probes.SchemaClientReport, ID: fmt.Sprintf("cr-%d-%d", now.UnixNano(), i), CollectedAt: probes.TimeOf(now),
					Collector: probes.Collector{Name: "Send-WsusFleetClientReport.ps1", Version: "1.0.0", Vantage: probes.VantageClient},
					Client: probes.ClientView{Name: fmt.Sprintf("pc%05d.corp.example", i), WUServer: wu, WUStatusServer: status, UseWUServer: &on, AUOptions: &opt,
						SusClientID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i)},
					VDirChecks: slices.DeleteFunc(storetest.HealthyChecks(wu), func(c probes.VDirCheck) bool {
						return c.VDir != "SelfUpdate" && c.VDir != "ClientWebService" && c.VDir != "SimpleAuthWebService"
					}),
				}
				bodies[i], _ = json.Marshal(cr)
			}
			postAll(b, st, "/api/v1/client-reports", bodies)
		})
	}
}

func benchServer(i int) string { return fmt.Sprintf("wsus%03d.corp.example", i%500) }

// postAll posts every body to endpoint from 64 concurrent posters through
// the real handler on loopback, with the maintenance loop (findings, gap
// classification) settling every 2 s beside them as serve does: the two
// share the machine's cores. It reports documents/s and p50/p99 latency.
func postAll(b *testing.B, st *store.Store, endpoint string, bodies [][]byte) {
	b.Helper()
	secret, _, err := st.CreateToken(b.Context(), "bench", probes.ScopeIngest)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(web.New(st, web.Config{}))
	defer srv.Close()
	const posters = 64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: posters, MaxConnsPerHost: posters}}
	lat := make([]time.Duration, len(bodies))
	var next, failed atomic.Int64
	stop := make(chan struct{})
	var settled, wg sync.WaitGroup
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
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				t0 := time.Now()
				req, _ := http.NewRequest(http.MethodPost, srv.URL+endpoint, bytes.NewReader(bodies[i]))
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
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	settled.Wait()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d documents failed", n, len(bodies))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(bodies))/elapsed.Seconds(), "docs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
