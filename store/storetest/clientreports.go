package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
)

// testClientReportsRace sends one client's reports concurrently: whatever
// order they commit in, the client counts once in its server's vantage
// counts, with the checks of its newest report (a report read what was
// stored of the client before another one of it committed would move the
// counts from a view no longer stored, or store an older view last).
func testClientReportsRace(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	const server = "wsus01.corp.example"
	mustSave(t, s, Report("r-"+server, server, T0))
	base := "http://" + server + ":8530"
	cws := base + "/ClientWebService/client.asmx"
	for round := range 6 {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Go(func() {
				at := T0.Add(time.Duration(round)*time.Minute + time.Duration(i)*time.Second)
				cr := ClientReport("pc1.corp.example", base, base, "", at)
				cr.ID = fmt.Sprintf("race-%d-%d", round, i)
				c := probes.VDirCheck{VDir: "ClientWebService", URL: cws, Status: 200, LatencyMS: 9}
				if i%2 == 1 {
					sub := 2
					c.Status, c.Substatus, c.WWWAuthenticate = 401, &sub, []string{"Negotiate", "NTLM"}
				}
				cr.VDirChecks = []probes.VDirCheck{c}
				if _, _, err := s.SaveClientReport(ctx(), cr, ""); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// The newest report of the round (i = 7) is a 401.2.
		var got []string
		for _, c := range mustState(t, s, server).ClientChecks {
			got = append(got, fmt.Sprintf("%s %s x%d", c.VDir, c.Status, c.Clients))
		}
		if want := "ClientWebService 401.2 x1"; strings.Join(got, "; ") != want {
			t.Fatalf("round %d: vantage counts %q, want %q", round, got, want)
		}
	}
}

// testClientReportReplay: the same client report again is a replay with the
// first answer and moves no count; its id with other content is a conflict
// and stores nothing of it.
func testClientReportReplay(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	const server = "wsus01.corp.example"
	mustSave(t, s, Report("r-"+server, server, T0))
	base := "http://" + server + ":8530"
	cr := ClientReport("pc1.corp.example", base, base, "", T0)
	cr.VDirChecks = []probes.VDirCheck{{VDir: "ClientWebService", URL: base + "/ClientWebService/client.asmx", Status: 200, LatencyMS: 9}}
	first, replay, err := s.SaveClientReport(ctx(), cr, "digest-1")
	if err != nil || replay {
		t.Fatalf("first: %v, replay %v", err, replay)
	}
	counts := func() string {
		var out []string
		for _, c := range mustState(t, s, server).ClientChecks {
			out = append(out, fmt.Sprintf("%s %s x%d", c.VDir, c.Status, c.Clients))
		}
		return strings.Join(out, "; ")
	}
	const want = "ClientWebService 200 x1"
	if got := counts(); got != want {
		t.Fatalf("after the first: %q, want %q", got, want)
	}
	again, replay, err := s.SaveClientReport(ctx(), cr, "digest-1")
	if err != nil || !replay || again != first {
		t.Fatalf("again: %+v, replay %v, %v; want %+v as a replay", again, replay, err, first)
	}
	other := *cr
	other.VDirChecks = []probes.VDirCheck{{VDir: "ClientWebService", URL: base + "/ClientWebService/client.asmx", Status: 503, LatencyMS: 9}}
	if _, _, err := s.SaveClientReport(ctx(), &other, "digest-2"); !errors.Is(err, probes.ErrConflict) {
		t.Fatalf("other content under the same id: %v, want a conflict", err)
	}
	if got := counts(); got != want {
		t.Fatalf("after the replay and the conflict: %q, want %q", got, want)
	}
}

// testClonesThroughServerClassification: a server's whole classification
// (its list changed) reads the SusClientIds of its own names, and still
// finds a listed clone's twin, whether another server lists it or none.
func testClonesThroughServerClassification(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	list := func(id, server string, at time.Time, n int) {
		r := Report(id, server, at)
		r.Server.URL = "http://" + server + ":8530"
		r.Clients = &probes.ClientList{Complete: true, Items: Clients(n, at, func(int) time.Duration { return time.Hour })}
		mustSave(t, s, r)
	}
	list("w1-a", "wsus01.corp.example", T0, 3)
	r2 := Report("w2-a", "wsus02.corp.example", T0)
	r2.Server.URL = "http://wsus02.corp.example:8530"
	r2.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{{ID: "t", Name: "twin.corp.example", LastReport: probes.TimeOf(T0), LastSync: probes.TimeOf(T0)}}}
	mustSave(t, s, r2)
	w1, w2 := "http://wsus01.corp.example:8530", r2.Server.URL
	for _, c := range []struct{ name, url, sus string }{
		{"pc00000.corp.example", w1, "IMAGE-A"}, {"ghost.corp.example", w1, "IMAGE-A"}, // the twin on no server
		{"pc00001.corp.example", w1, "IMAGE-B"}, {"twin.corp.example", w2, "IMAGE-B"}, // the twin on wsus02
		{"pc00002.corp.example", w1, "OWN"},
	} {
		if _, _, err := s.SaveClientReport(ctx(), ClientReport(c.name, c.url, c.url, c.sus, T0), ""); err != nil {
			t.Fatal(err)
		}
	}
	// ghost is counted where its policy points, as an unlisted computer.
	if n := gapCount(t, s, "wsus01.corp.example", probes.GapDuplicateID); n != 3 {
		t.Fatalf("duplicate_id on wsus01 after the client reports = %d, want 3", n)
	}
	// wsus01's list changes: every client of it is classified again.
	clock.Advance(time.Minute)
	list("w1-b", "wsus01.corp.example", T0.Add(time.Minute), 4)
	if n := gapCount(t, s, "wsus01.corp.example", probes.GapDuplicateID); n != 3 {
		t.Errorf("duplicate_id on wsus01 after its list changed = %d, want 3 (pc00000, pc00001, ghost)", n)
	}
	if n := gapCount(t, s, "wsus02.corp.example", probes.GapDuplicateID); n != 1 {
		t.Errorf("duplicate_id on wsus02 = %d, want 1 (twin)", n)
	}
}
