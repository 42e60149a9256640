package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// Both databases keep a run's checks packed, a fraction of their JSON (on
// PostgreSQL since migration 0015), and the history reads them back, beside
// runs stored as JSON before packing and, on SQLite, as zstd frames.
func TestRunsStoredPacked(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, store.Options{})
			ctx := context.Background()
			r := storetest.Report("packed", "wsus01", storetest.T0)
			if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
				t.Fatal(err)
			}
			bodies, err := store.StoredRunBodies(ctx, s, "wsus01")
			if err != nil || len(bodies) != 1 {
				t.Fatalf("stored runs: %d, %v; want 1", len(bodies), err)
			}
			text, _ := json.Marshal(r.VDirChecks)
			magic := store.RunPackTag
			if !strings.HasPrefix(bodies[0], magic) {
				t.Errorf("stored body starts %q, want it packed", bodies[0][:4])
			}
			if len(bodies[0])*2 > len(text) {
				t.Errorf("packed run is %d bytes of %d bytes of JSON, want under half", len(bodies[0]), len(text))
			}

			before := storetest.Report("before", "wsus01", storetest.T0.Add(-time.Hour)).VDirChecks
			before[0].Status, before[0].Verdict = 503, probes.VerdictFault
			body, _ := json.Marshal(before)
			verdicts := make([]probes.VDirCheck, len(before))
			for i, c := range before {
				verdicts[i] = c.VerdictOnly()
			}
			vj, _ := json.Marshal(verdicts)
			if err := store.AddPlainRun(ctx, s, "wsus01", storetest.T0.Add(-time.Hour), string(body), string(vj)); err != nil {
				t.Fatal(err)
			}
			runs := 2
			if name == "sqlite" {
				// A run as phase 16 packed it on SQLite (zstd), its first check 401.
				before[0].Status, before[0].Verdict = 401, probes.VerdictWarning
				verdicts[0] = before[0].VerdictOnly()
				body, _ = json.Marshal(before)
				vj, _ = json.Marshal(verdicts)
				if err := store.AddPlainRun(ctx, s, "wsus01", storetest.T0.Add(-30*time.Minute), store.ZstdRun(string(body)), store.ZstdRun(string(vj))); err != nil {
					t.Fatal(err)
				}
				runs = 3
			}
			hist, err := s.VDirHistory(ctx, "wsus01", storetest.T0.Add(-2*time.Hour))
			if err != nil || len(hist) != 9*runs {
				t.Fatalf("history: %d checks, %v; want %d (the runs stored before, then the packed one)", len(hist), err, 9*runs)
			}
			last := hist[len(hist)-9]
			if hist[0].Status != 503 || last.Status != 200 || last.URL != r.VDirChecks[0].URL || (runs == 3 && hist[9].Status != 401) {
				t.Errorf("history reads %d, %d, then %d %s; want the plain run's 503, the zstd run's 401 (SQLite), then the packed run's checks",
					hist[0].Status, hist[9].Status, last.Status, last.URL)
			}
			got, err := s.VDirVerdicts(ctx, "wsus01", storetest.T0.Add(-2*time.Hour))
			if err != nil || len(got) != 9*runs {
				t.Fatalf("verdicts: %d, %v; want %d", len(got), err, 9*runs)
			}
			for i, h := range hist {
				if want := h.VerdictOnly(); !reflect.DeepEqual(got[i].VDirCheck, want) {
					t.Errorf("verdict %d: %+v, want %+v", i, got[i].VDirCheck, want)
				}
			}

			// The latest checks and the fleet strip's cells, packed or as before.
			latest, cells, err := store.StoredLatest(ctx, s, "wsus01")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(latest, magic) || !strings.HasPrefix(cells, magic) {
				t.Errorf("latest checks and cells start %q and %q, want both packed", latest[:4], cells[:4])
			}
			wantLatest := func(when string) {
				t.Helper()
				st, err := s.ServerState(ctx, "wsus01")
				if err != nil || len(st.VDirChecks) != 9 || st.VDirChecks[0].URL != r.VDirChecks[0].URL {
					t.Fatalf("%s: the server's latest checks: %v, %v", when, st, err)
				}
				fleet, err := s.Fleet(ctx)
				if err != nil || len(fleet) != 1 || len(fleet[0].VDirs) == 0 || fleet[0].VDirs[0].Verdict != probes.VerdictOK {
					t.Fatalf("%s: the fleet strip: %+v, %v", when, fleet, err)
				}
			}
			wantLatest("as stored")
			plainCells, _ := json.Marshal(probes.Cells(r.VDirChecks))
			if err := store.SetLatestPlain(ctx, s, "wsus01", string(text), string(plainCells)); err != nil {
				t.Fatal(err)
			}
			wantLatest("stored as JSON")
		})
	}
}
