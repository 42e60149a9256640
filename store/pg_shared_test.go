package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// A group of client reports on PostgreSQL sends its first step's reads
// (each client's lock, its prior, the server its WUServer names) as one
// statement each for the whole group. Each write still reads only its own
// rows: a clone whose prior is two rows, a client naming no known server
// (no rows) and one whose WUServer is no URL (no such read at all) sit
// between ordinary ones, and every receipt is what the report gets alone.
func TestGroupedClientReportsShareReads(t *testing.T) {
	obs := &commits{}
	at := func(n int) time.Time { return storetest.T0.Add(time.Duration(n) * time.Minute) }
	counter, s := openCounted(t, store.Options{Observer: obs, Now: func() time.Time { return at(5) }})
	ctx := context.Background()
	const server, machines = "wsus0.corp.example", 12
	r := storetest.Report("s0", server, storetest.T0)
	r.Clients = &probes.ClientList{Complete: true}
	for m := range machines + 1 {
		r.Clients.Items = append(r.Clients.Items, probes.Client{ID: fmt.Sprintf("{00000000-0000-4000-8000-%012d}", m),
			Name: fmt.Sprintf("pc%02d.corp.example", m), LastSync: probes.TimeOf(storetest.T0), LastReport: probes.TimeOf(storetest.T0)})
	}
	if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
		t.Fatal(err)
	}
	// Machine 90 is a clone of 91 (one SusClientId); 92 names a server
	// the fleet does not know; 93 has no WUServer.
	cloneOf := groupClientReport("first-91", 91, server, 200, at(0))
	if _, _, err := s.SaveClientReport(ctx, cloneOf, ""); err != nil {
		t.Fatal(err)
	}
	round := func(n int) []*probes.ClientReport {
		var out []*probes.ClientReport
		for m := range machines {
			if m == 6 {
				clone := groupClientReport(fmt.Sprintf("c%d-90", n), 90, server, 200, at(n))
				clone.Client.SusClientID = cloneOf.Client.SusClientID
				unknown := groupClientReport(fmt.Sprintf("c%d-92", n), 92, "elsewhere.corp.example", 200, at(n))
				noURL := groupClientReport(fmt.Sprintf("c%d-93", n), 93, server, 200, at(n))
				noURL.Client.WUServer, noURL.Client.WUStatusServer = "", ""
				out = append(out, clone, unknown, noURL)
			}
			out = append(out, groupClientReport(fmt.Sprintf("c%d-%02d", n, m), m, server, 200, at(n)))
		}
		return out
	}
	alone := func(n int) int64 {
		counter.Take()
		if _, _, err := s.SaveClientReport(ctx, groupClientReport(fmt.Sprintf("c%d-%02d", n, machines), machines, server, 200, at(n)), ""); err != nil {
			t.Fatal(err)
		}
		return counter.Take()['B']
	}
	// The first round prepares the statements (alone and shared).
	alone(1)
	saveClientsHeld(t, s, round(1))
	single := alone(2)
	reports := round(2)
	counter.Take()
	got := saveClientsHeld(t, s, reports)
	statements := counter.Take()['B']
	for i, g := range got {
		cr := reports[i]
		want := probes.ClientReceipt{ID: cr.ID, Client: cr.Client.Name, Server: server}
		switch cr.Client.Name {
		case "pc90.corp.example":
			want.Gap = probes.GapDuplicateID
		case "pc92.corp.example":
			want.Server, want.Gap = "", probes.GapWrongServer
		case "pc93.corp.example":
			want.Server, want.Gap = "", probes.GapBadURL
		}
		if g.err != nil || g.replay || g.receipt.ID != want.ID || g.receipt.Client != want.Client || g.receipt.Server != want.Server || g.receipt.Gap != want.Gap {
			t.Errorf("%s: %+v (err %v), want %+v", cr.ID, g.receipt, g.err, want)
		}
	}
	if n := store.ClientGroupsFellBack(s); n != 0 {
		t.Fatalf("%d groups fell back; want every round committed as one group", n)
	}
	if n := obs.largest(); n < len(reports) {
		t.Fatalf("the largest commit carried %d writes, want all %d client reports in one", n, len(reports))
	}
	// Alone, a report runs its own statements and its BEGIN (COMMIT is no
	// Bind); a group sends BEGIN and its lock timeout once: without shared
	// reads, n reports in a group run about n·(alone−1)+2 statements.
	// Sharing the three reads of the first step and the two of the
	// classification saves nearly five a report (not the clone's, which
	// classifies two names, nor the host read of the report without a
	// WUServer): want four.
	n := int64(len(reports))
	if limit := n*single - 4*n; statements > limit {
		t.Errorf("a group of %d client reports ran %d statements (one alone: %d), want at most %d", n, statements, single, limit)
	}
	t.Logf("a group of %d client reports ran %d statements; one alone %d", n, statements, single)
}

// A client that a server has listed since its last report, whose category
// the server's classification (Settle) has not moved yet, loses its
// fleet-wide gap with its own report. In a group on PostgreSQL those reads
// and drops are one statement for all the writes: each write still drops
// its own name's gap only, and the counts move once for each.
func TestGroupedClientReportsDropListedGaps(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			at := func(n int) time.Time { return storetest.T0.Add(time.Duration(n) * time.Minute) }
			s := open(t, store.Options{Now: func() time.Time { return at(5) }})
			ctx := context.Background()
			const server, first, lost = "wsus0.corp.example", 10, 6
			listing := func(id string, machines ...int) *probes.Report {
				r := storetest.Report(id, server, at(0))
				r.Clients = &probes.ClientList{Complete: true}
				for _, m := range machines {
					r.Clients.Items = append(r.Clients.Items, probes.Client{ID: fmt.Sprintf("{00000000-0000-4000-8000-%012d}", m),
						Name: fmt.Sprintf("pc%02d.corp.example", m), LastSync: probes.TimeOf(storetest.T0), LastReport: probes.TimeOf(storetest.T0)})
				}
				return r
			}
			wrongServer := func() int64 {
				t.Helper()
				g, err := s.Gaps(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return g.Categories[probes.GapWrongServer]
			}
			if _, _, err := s.SaveReport(ctx, listing("list-1", 0), ""); err != nil {
				t.Fatal(err)
			}
			// The lost machines name a server the fleet does not know.
			for m := first; m < first+lost; m++ {
				cr := groupClientReport(fmt.Sprintf("lost-%d", m), m, "elsewhere.corp.example", 200, at(1))
				if got, _, err := s.SaveClientReport(ctx, cr, ""); err != nil || got.Gap != probes.GapWrongServer {
					t.Fatalf("%s: %+v (err %v), want %s", cr.ID, got, err, probes.GapWrongServer)
				}
			}
			if n := wrongServer(); n != lost {
				t.Fatalf("%d clients in %s, want %d", n, probes.GapWrongServer, lost)
			}
			// The server lists them now; its classification is left to Settle.
			machines := []int{0}
			for m := first; m < first+lost; m++ {
				machines = append(machines, m)
			}
			if _, _, err := s.SaveReport(ctx, listing("list-2", machines...), ""); err != nil {
				t.Fatal(err)
			}
			var reports []*probes.ClientReport
			for _, m := range machines {
				reports = append(reports, groupClientReport(fmt.Sprintf("back-%d", m), m, server, 200, at(2)))
			}
			for i, g := range saveClientsHeld(t, s, reports) {
				if g.err != nil || g.replay || g.receipt.Server != server || g.receipt.Gap != "" {
					t.Errorf("%s: %+v (err %v), want filed under %s in no gap", reports[i].ID, g.receipt, g.err, server)
				}
			}
			if n := wrongServer(); n != 0 {
				t.Errorf("%d clients still in %s, want none", n, probes.GapWrongServer)
			}
			if n := store.ClientGroupsFellBack(s); n != 0 {
				t.Errorf("%d groups fell back; want one group", n)
			}
		})
	}
}
