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
				cr := clientReport("pc1.corp.example", base, base, "", at)
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
	cr := clientReport("pc1.corp.example", base, base, "", T0)
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
