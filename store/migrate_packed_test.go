package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// A PostgreSQL database whose runs, client views and sections were stored as
// JSON text before migrations 0015, 0016 and 0017 reads the same after them:
// the history, the latest checks, the fleet strip and its sync, the server's
// facts, the client's page, and the next report is stored packed beside
// them.
func TestPostgresRowsKeptThroughPackedMigrations(t *testing.T) {
	storetest.SkipWithoutPostgres(t)
	s := storetest.OpenPostgres(t, store.Options{})
	ctx := context.Background()
	r := storetest.Report("first", "wsus01", storetest.T0)
	r.VDirChecks[0].Status, r.VDirChecks[0].Verdict = 503, probes.VerdictFault
	r.Server.Version, r.Sync = "10.0.20348.1", &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: "wsus-hq.corp.example", Port: 8530}}
	if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
		t.Fatal(err)
	}
	// The run, its latest checks and its cells as they were stored before.
	body, _ := json.Marshal(r.VDirChecks)
	verdicts := make([]probes.VDirCheck, len(r.VDirChecks))
	for i, c := range r.VDirChecks {
		verdicts[i] = c.VerdictOnly()
	}
	vj, _ := json.Marshal(verdicts)
	cells, _ := json.Marshal(probes.Cells(r.VDirChecks))
	if _, err := store.SQLDB(s).ExecContext(ctx, `DELETE FROM vdir_runs`); err != nil {
		t.Fatal(err)
	}
	if err := store.SetLatestPlain(ctx, s, "wsus01", string(body), string(cells)); err != nil {
		t.Fatal(err)
	}
	cr := viewReport("pc1.corp.example", "http://wsus01:8530", storetest.T0)
	if _, _, err := s.SaveClientReport(ctx, cr, ""); err != nil {
		t.Fatal(err)
	}
	if err := store.SetClientBodyPlain(ctx, s, "pc1.corp.example", plainView(cr)); err != nil {
		t.Fatal(err)
	}
	if err := store.SetSectionsPlain(ctx, s, "wsus01"); err != nil {
		t.Fatal(err)
	}
	if err := store.RewindPacked(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := store.AddPlainRun(ctx, s, "wsus01", storetest.T0, string(body), string(vj)); err != nil {
		t.Fatal(err)
	}

	applied, err := s.Migrate(ctx)
	if want := "0015_packed_runs.sql 0016_packed_client_views.sql 0017_packed_sections.sql"; err != nil || strings.Join(applied, " ") != want {
		t.Fatalf("Migrate: applied %v, %v; want %s", applied, err, want)
	}
	d, err := s.ClientDetail(ctx, "pc1.corp.example")
	if err != nil || d.Report == nil || d.Report.Client.WUServer != cr.Client.WUServer || len(d.Report.UpdateErrors) != 1 {
		t.Fatalf("client's view after the migration: %+v, %v", d, err)
	}
	hist, err := s.VDirHistory(ctx, "wsus01", storetest.T0.Add(-1))
	if err != nil || len(hist) != len(r.VDirChecks) || hist[0].Status != 503 {
		t.Fatalf("history after the migration: %+v, %v; want the JSON run's %d checks, the first 503", hist, err, len(r.VDirChecks))
	}
	st, err := s.ServerState(ctx, "wsus01")
	if err != nil || len(st.VDirChecks) != len(r.VDirChecks) {
		t.Fatalf("latest checks after the migration: %v, %v", st, err)
	}
	if st.Server.Version != r.Server.Version || st.Sync == nil || st.Sync.Upstream == nil || st.Sync.Upstream.Host != "wsus-hq.corp.example" {
		t.Fatalf("sections after the migration: server %+v, sync %+v", st.Server, st.Sync)
	}
	fleet, err := s.Fleet(ctx)
	if err != nil || len(fleet) != 1 || len(fleet[0].VDirs) == 0 {
		t.Fatalf("fleet strip after the migration: %+v, %v", fleet, err)
	}
	if fleet[0].Sync == nil || fleet[0].Sync.From != probes.SyncFromUpstream {
		t.Errorf("fleet's sync after the migration: %+v", fleet[0].Sync)
	}
	if got := fleet[0].VDirs[0].Verdict; got != probes.VerdictFault {
		t.Errorf("fleet strip's first cell %q, want the JSON cells' %q", got, probes.VerdictFault)
	}

	next := storetest.Report("second", "wsus01", storetest.T0.Add(5*time.Minute))
	if _, _, err := s.SaveReport(ctx, next, ""); err != nil {
		t.Fatal(err)
	}
	bodies, err := store.StoredRunBodies(ctx, s, "wsus01")
	if err != nil || len(bodies) != 2 || bodies[0] != string(body) || bodies[1][:len(store.RunPackTag)] != store.RunPackTag {
		t.Fatalf("stored runs: %d, %v; want the JSON run, then a packed one", len(bodies), err)
	}
	if hist, err = s.VDirHistory(ctx, "wsus01", storetest.T0.Add(-1)); err != nil || len(hist) != 2*len(r.VDirChecks) {
		t.Fatalf("history of both runs: %d checks, %v", len(hist), err)
	}
	// The next sync section replaces the JSON one, packed.
	next2 := storetest.Report("third", "wsus01", storetest.T0.Add(10*time.Minute))
	next2.Sync = &probes.Sync{From: probes.SyncFromMicrosoftUpdate}
	if _, _, err := s.SaveReport(ctx, next2, ""); err != nil {
		t.Fatal(err)
	}
	if stored, err := store.StoredSection(ctx, s, "wsus01", probes.SectionSync); err != nil || !strings.HasPrefix(stored, store.RunPackTag) {
		t.Fatalf("the next sync section: %q, %v; want it packed", stored, err)
	}
	if st, err = s.ServerState(ctx, "wsus01"); err != nil || st.Sync == nil || st.Sync.From != probes.SyncFromMicrosoftUpdate || st.Server.Version != r.Server.Version {
		t.Fatalf("sections after the next report: %+v, %v", st, err)
	}
}
