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

// viewReport is a client's report with a check and an update error, so its
// stored view holds each part the client page reads back.
func viewReport(name, wu string, at time.Time) *probes.ClientReport {
	on, opt := true, 4
	return &probes.ClientReport{Schema: probes.SchemaClientReport, ID: "cr-" + name, CollectedAt: probes.TimeOf(at),
		Collector:  probes.Collector{Name: "storetest", Vantage: probes.VantageClient},
		Client:     probes.ClientView{Name: name, WUServer: wu, WUStatusServer: wu, UseWUServer: &on, AUOptions: &opt},
		VDirChecks: []probes.VDirCheck{{VDir: "ClientWebService", URL: wu + "/ClientWebService/client.asmx", Status: 503}},
		UpdateErrors: []probes.UpdateError{{Time: probes.TimeOf(at.Add(-time.Hour)), Operation: probes.UpdateOpScan,
			Code: "0x80244022", EventID: 31}}}
}

// plainView is cr's view as it was stored before it was packed: JSON.
func plainView(cr *probes.ClientReport) string {
	b, _ := json.Marshal(map[string]any{"client": cr.Client, "vdir_checks": cr.VDirChecks, "collector": cr.Collector,
		"update_errors": cr.UpdateErrors})
	return string(b)
}

// Both databases keep a client's own view packed (on PostgreSQL since
// migration 0016). The client page reads it back, and a view stored as
// JSON before: registry evidence then merges into it and stores the merge
// packed.
func TestClientViewsStoredPacked(t *testing.T) {
	const name, wu = "pc1.corp.example", "http://wsus01.corp.example:8530"
	for dialect, open := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := open(t, store.Options{Now: func() time.Time { return storetest.T0 }})
			ctx := context.Background()
			if _, _, err := s.SaveReport(ctx, storetest.Report("r1", "wsus01.corp.example", storetest.T0), ""); err != nil {
				t.Fatal(err)
			}
			cr := viewReport(name, wu, storetest.T0.Add(-time.Minute))
			if _, _, err := s.SaveClientReport(ctx, cr, ""); err != nil {
				t.Fatal(err)
			}
			stored, err := store.StoredClientBody(ctx, s, name)
			if err != nil || !strings.HasPrefix(stored, store.RunPackTag) {
				t.Fatalf("stored view starts %.4q, %v; want it packed", stored, err)
			}
			wantView := func(when string) *probes.ClientOwnView {
				t.Helper()
				d, err := s.ClientDetail(ctx, name)
				if err != nil || d.Report == nil {
					t.Fatalf("%s: client detail %+v, %v", when, d, err)
				}
				r := d.Report
				if r.Client.WUServer != wu || r.Client.UseWUServer == nil || !*r.Client.UseWUServer || len(r.VDirChecks) != 1 ||
					r.VDirChecks[0].Status != 503 || len(r.UpdateErrors) != 1 || r.UpdateErrors[0].Code != "0x80244022" {
					t.Fatalf("%s: the client's view reads %+v, checks %+v, errors %+v", when, r.Client, r.VDirChecks, r.UpdateErrors)
				}
				return r
			}
			wantView("packed")

			// As stored before packing: the same view, as JSON.
			if err := store.SetClientBodyPlain(ctx, s, name, plainView(cr)); err != nil {
				t.Fatal(err)
			}
			wantView("stored as JSON")

			// Registry evidence showing only the WindowsUpdate key merges into
			// the JSON view: what it does not show (UseWUServer, the checks,
			// the errors) is kept from it.
			ev := &probes.ClientEvidence{ID: "ev-1", Client: name, Kind: probes.EvidenceRegQuery, Format: "reg query", CollectedAt: storetest.T0,
				Policy: &probes.PolicyEvidence{Keys: map[string]string{probes.KeyPolicy: probes.KeyListed}, Facts: []probes.PolicyFact{
					{Key: probes.KeyPolicy, Name: "WUServer", Set: true, Data: wu},
					{Key: probes.KeyPolicy, Name: "WUStatusServer", Set: true, Data: wu}}}}
			got, _, err := s.SaveClientEvidence(ctx, ev, "")
			if err != nil || !got.Judged {
				t.Fatalf("evidence over a JSON view: %+v, %v; want it judged", got, err)
			}
			if r := wantView("merged with evidence"); r.Source != "evidence regquery" {
				t.Errorf("view's source %q, want the evidence's", r.Source)
			}
			if stored, err = store.StoredClientBody(ctx, s, name); err != nil || !strings.HasPrefix(stored, store.RunPackTag) {
				t.Errorf("merged view starts %.4q, %v; want it packed", stored, err)
			}
		})
	}
}
