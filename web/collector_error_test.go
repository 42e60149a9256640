package web_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// A server collector that could not run (collector.error) is shown where
// the admin looks: the server's API state carries the run and its error,
// the page and /api/v1/findings a finding that says what to do. Evidence
// uploaded meanwhile leaves it standing; the next run that completes
// clears it.
func TestServerCollectorErrorIsShown(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	const server = "wsus06.corp.example"
	body, err := os.ReadFile(filepath.Join("..", "testdata", "collectors", "report-wsus-api-missing.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := probes.DecodeReport(body, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc.CollectedAt = probes.TimeOf(e.clock.Now())
	e.mustPost("/api/v1/reports", doc)
	e.settle()

	state := func() probes.ServerState {
		t.Helper()
		var st probes.ServerState
		e.do("GET", "/api/v1/servers/"+server, "", nil).json(t, &st)
		return st
	}
	hasFinding := func(st probes.ServerState) bool {
		return slices.ContainsFunc(st.Findings, func(f probes.Finding) bool { return f.Rule == "collector_failed" })
	}
	st := state()
	if st.Collector == nil || !strings.Contains(st.Collector.Error, "Install-WindowsFeature UpdateServices-API") || st.Collected[probes.SectionCollector].IsZero() {
		t.Fatalf("API state: collector %+v, collected %v", st.Collector, st.Collected)
	}
	if !hasFinding(st) {
		t.Fatalf("no collector_failed finding: %+v", st.Findings)
	}
	p := e.page("GET", "/servers/"+server, nil)
	if txt := p.find(t, "main").Text(); !strings.Contains(txt, "The collector on the server could not run") || !strings.Contains(txt, "the WSUS administration API is not installed") {
		t.Errorf("the server page does not say the collector could not run")
	}
	var fs struct {
		Findings []probes.Finding `json:"findings"`
	}
	e.do("GET", "/api/v1/findings", "", nil).json(t, &fs)
	if !slices.ContainsFunc(fs.Findings, func(f probes.Finding) bool { return f.Rule == "collector_failed" }) {
		t.Errorf("/api/v1/findings lacks collector_failed")
	}

	// An upload is no run of the collector: the error stands.
	e.clock.Advance(10 * time.Minute)
	if res := e.do("POST", "/api/v1/servers/"+server+"/evidence/procmon", e.ingest, bytes.NewReader(sample(t, "procmon/testdata/denied-capture.csv"))); res.status != 201 {
		t.Fatalf("procmon: %d %s", res.status, res.body)
	}
	e.settle()
	if st := state(); st.Collector == nil || st.Collector.Error == "" || !hasFinding(st) {
		t.Errorf("an evidence upload cleared the collector error: %+v", st.Collector)
	}

	// The collector runs again and completes.
	e.clock.Advance(10 * time.Minute)
	ok := storetest.Report("after-wmf", server, e.clock.Now())
	ok.Collector = probes.Collector{Name: "Send-WsusFleetReport.ps1", Version: "1.1.0", Host: "WSUS06", Vantage: probes.VantageServer}
	ok.Server.Version, ok.Server.HTTPPort, ok.Server.HTTPSPort = "10.0.17763.1", 8530, 8531
	e.mustPost("/api/v1/reports", ok)
	e.settle()
	if st := state(); st.Collector == nil || st.Collector.Error != "" || hasFinding(st) {
		t.Errorf("a completed run leaves the error: %+v, findings %+v", st.Collector, st.Findings)
	}
}
