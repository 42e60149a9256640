package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// BenchmarkLargeFleet: the fleet-wide reads with 500 servers and 1,000,000
// clients in the database (2,000 per server, a spread of report ages, some
// never reported), classified and diagnosed: the server list, the gap
// counts, and the pages built on them. Server time through the real handler.
// Reproduce: go test -run '^$' -bench LargeFleet -benchtime 200x -timeout 30m ./web/
func BenchmarkLargeFleet(b *testing.B) {
	for name, open := range storetest.Dialects(b) {
		b.Run(name, func(b *testing.B) {
			now := time.Now().UTC()
			st := open(b, store.Options{Diagnose: rules.Diagnose})
			const servers, perServer = 500, 2000
			for i := range servers {
				r := storetest.Report(fmt.Sprintf("large-%d-%d", now.UnixNano(), i), benchServer(i), now)
				if i > 0 {
					r.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: benchServer(i / 10), Port: 8530, Replica: i%3 == 0},
						Last: &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-2 * time.Hour)), FinishedAt: probes.TimeOf(now.Add(-2 * time.Hour)), Result: "Succeeded"}}
				}
				r.Clients = &probes.ClientList{Complete: true, Items: storetest.ClientRange(i*perServer, perServer, now, func(j int) time.Duration {
					if j%97 == 0 {
						return -1 // never reported
					}
					return time.Duration(j%(60*24)) * time.Hour // up to 60 days
				})}
				if _, _, err := st.SaveReport(b.Context(), r, ""); err != nil {
					b.Fatal(err)
				}
			}
			if _, _, err := st.Settle(b.Context()); err != nil {
				b.Fatal(err)
			}
			h := web.New(st, web.Config{})
			for _, path := range []string{"/api/v1/servers", "/api/v1/gaps", "/", "/gaps", "/api/v1/gaps/stale_report?server=" + benchServer(7)} {
				b.Run(path, func(b *testing.B) { benchPage(b, h, path) })
			}
		})
	}
}
