package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/internal/pgcount"
	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// On PostgreSQL a client report's rate is bound by its round trips, each a
// wake-up of serve and of PostgreSQL: its reads with the transaction's
// BEGIN; its writes with the reads of what it classifies; its check counts
// and gaps with the document's claim; the COMMIT. The connection pool's
// ping of a connection idle for a second is not the write's. The first two
// reports prepare the statements (a round trip more for each batch with a
// statement new to the connection), and are not counted.
func TestPostgresClientReportRoundTrips(t *testing.T) {
	now := storetest.T0
	counter, s := openCounted(t, store.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	const server = "wsus01.corp.example"
	r := storetest.Report("r1", server, now.Add(-time.Hour))
	r.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(2, now, func(int) time.Duration { return 2 * time.Hour })}
	if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
		t.Fatal(err)
	}
	on, opt := true, 4
	// A client's first report, naming the server on a port it does not
	// serve; its next, naming the right one: the client's gap changes both
	// times (and the server's gap counts move). Twice.
	for i, n := range []int{0, 0, 1, 1} {
		client := fmt.Sprintf("pc%05d.corp.example", n)
		at := now.Add(time.Duration(i-5) * time.Minute)
		wu, gap := "http://"+server+":8530", ""
		if i%2 == 0 {
			wu, gap = "http://"+server+":80", probes.GapBadURL
		}
		cr := &probes.ClientReport{Schema: probes.SchemaClientReport, ID: fmt.Sprintf("cr%d", i), CollectedAt: probes.TimeOf(at),
			Collector: probes.Collector{Name: "test", Vantage: probes.VantageClient},
			Client: probes.ClientView{Name: client, WUServer: wu, WUStatusServer: wu,
				UseWUServer: &on, AUOptions: &opt, SusClientID: fmt.Sprintf("{0000000%d-0000-4000-8000-000000000000}", n)},
			VDirChecks: []probes.VDirCheck{{VDir: "ClientWebService", URL: "http://" + server + ":8530/ClientWebService/client.asmx", Status: 200, LatencyMS: 9}}}
		counter.Take()
		receipt, replay, err := s.SaveClientReport(ctx, cr, "")
		if err != nil || replay {
			t.Fatalf("client report %d: replay %v, %v", i, replay, err)
		}
		if receipt.Server != server || receipt.Client != client || receipt.Gap != gap {
			t.Fatalf("client report %d: receipt %+v, want %s filed under %s, gap %q", i, receipt, client, server, gap)
		}
		counts := counter.Take()
		if n := pgcount.RoundTrips(counts) - counts[pgcount.Ping]; i >= 2 && n != 4 {
			t.Errorf("client report %d (%s) took %d round trips (%v), want 4", i, client, n, counts)
		}
	}
}

// openCounted opens a store on a fresh PostgreSQL schema through a pgcount
// proxy, which counts what the store sends.
func openCounted(t *testing.T, opts store.Options) (*pgcount.Counter, *store.Store) {
	t.Helper()
	counter, proxied, err := pgcount.Start(storetest.PostgresSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(counter.Close)
	return counter, storetest.OpenDSN(t, proxied, opts)
}
