package web_test

import (
	"fmt"
	"maps"
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

var t0 = storetest.T0

func ago(d time.Duration) probes.Time { return probes.TimeOf(t0.Add(-d)) }

func clientReport(name, wuServer, status, sus string, change func(v *probes.ClientView)) probes.ClientReport {
	on := true
	opt := 4
	v := probes.ClientView{Name: name, WUServer: wuServer, WUStatusServer: status, UseWUServer: &on, AUOptions: &opt, SusClientID: sus}
	if change != nil {
		change(&v)
	}
	return probes.ClientReport{Schema: probes.SchemaClientReport, ID: probes.NewID(), CollectedAt: ago(time.Minute),
		Collector: probes.Collector{Name: "test", Vantage: probes.VantageClient}, Client: v}
}

func listed(name string, lastReport, lastSync time.Duration) probes.Client {
	c := probes.Client{ID: "id-" + name, Name: name, LastSyncResult: "Succeeded"}
	if lastReport >= 0 {
		c.LastReport = ago(lastReport)
	}
	if lastSync >= 0 {
		c.LastSync = ago(lastSync)
	}
	return c
}

func (e *env) mustPost(path string, v any) map[string]any {
	e.t.Helper()
	res := e.post(path, e.ingest, v)
	if res.status != 201 && res.status != 200 {
		e.t.Fatalf("POST %s: %d %s", path, res.status, res.body)
	}
	var out map[string]any
	res.json(e.t, &out)
	return out
}

// settle runs what serve runs every few seconds: gap classification and
// the findings that follow.
func (e *env) settle() {
	e.t.Helper()
	if _, _, err := e.st.Settle(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) gaps() probes.FleetGaps {
	e.t.Helper()
	e.settle()
	var g probes.FleetGaps
	e.do("GET", "/api/v1/gaps", "", nil).json(e.t, &g)
	return g
}

func (e *env) openRules(server string) []string {
	e.t.Helper()
	e.settle()
	var st probes.ServerState
	e.do("GET", "/api/v1/servers/"+server, "", nil).json(e.t, &st)
	var out []string
	for _, f := range st.Findings {
		out = append(out, f.Rule)
	}
	slices.Sort(out)
	return out
}

func nonZero(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// TestGapScenario builds a fleet from reports, client reports and an
// inventory, and checks the gap counts and findings exactly, then that they
// clear when the causes are fixed.
func TestGapScenario(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	day := 24 * time.Hour
	wsus01 := storetest.Report("w1", "wsus01.corp.example", t0)
	wsus01.Server.URL = "http://wsus01.corp.example:8530"
	wsus01.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{
		listed("pc1.corp.example", time.Hour, time.Hour),     // fine
		listed("pc2.corp.example", 10*day, 10*day),           // stale
		listed("pc3.corp.example", -1, time.Hour),            // never reported
		listed("pc4.corp.example", 9*day, time.Hour),         // scans, but reports stale
		listed("pc5.corp.example", 8*day, 8*day),             // its URL lacks the port
		listed("pc6.corp.example", time.Hour, time.Hour),     // its statistics server differs
		listed("clone-a.corp.example", time.Hour, time.Hour), // cloned image
		listed("pc-policyoff.corp.example", 12*day, 12*day),  // policy not applied
	}}
	e.mustPost("/api/v1/reports", wsus01)

	// wsus02: WsusPool stopped; its 5,000 clients went stale with it.
	wsus02 := storetest.Report("w2", "wsus02.corp.example", t0)
	for i := range wsus02.VDirChecks {
		wsus02.VDirChecks[i].Status = 503
	}
	items := make([]probes.Client, 5000)
	for i := range items {
		items[i] = listed(fmt.Sprintf("b%04d.corp.example", i), 9*day, 9*day)
	}
	wsus02.Clients = &probes.ClientList{Complete: true, Items: items}
	e.mustPost("/api/v1/reports", wsus02)

	right := "http://wsus01.corp.example:8530"
	for _, cr := range []probes.ClientReport{
		clientReport("pc1.corp.example", right, right, "a1", nil),
		clientReport("pc5.corp.example", "http://wsus01.corp.example", "http://wsus01.corp.example", "a5", nil),
		clientReport("pc6.corp.example", right, "http://wsus-stats.corp.example:8530", "a6", nil),
		clientReport("clone-a.corp.example", right, right, "CLONE", nil),
		clientReport("clone-b.corp.example", right, right, "clone", nil),
		clientReport("pc-policyoff.corp.example", right, right, "a9", func(v *probes.ClientView) { v.UseWUServer = nil }),
		clientReport("roamer.corp.example", "http://wsus-old.corp.example:8530", "http://wsus-old.corp.example:8530", "a10", nil),
	} {
		e.mustPost("/api/v1/client-reports", cr)
	}
	inv := probes.Inventory{Schema: probes.SchemaInventory, ID: probes.NewID(), CollectedAt: ago(time.Hour), Source: "ad", Scope: "DC=corp,DC=example", Complete: true,
		Items: []probes.InventoryItem{
			{Name: "pc1.corp.example", Enabled: true, LastLogon: ago(day)},
			{Name: "ad-only.corp.example", Enabled: true, LastLogon: ago(day)}, // an AD computer no server knows
			{Name: "ad-disabled.corp.example", Enabled: false, LastLogon: ago(day)},
			{Name: "ad-old.corp.example", Enabled: true, LastLogon: ago(60 * day)},
		}}
	receipt := e.mustPost("/api/v1/inventory", inv)
	if receipt["items"] != 4.0 || receipt["expected_missing"] != 1.0 {
		t.Errorf("inventory receipt: %v", receipt)
	}

	g := e.gaps()
	want := map[string]int64{probes.GapPolicyOff: 1, probes.GapWrongServer: 1, probes.GapBadURL: 2, probes.GapDuplicateID: 2, probes.GapExpectedMissing: 1,
		probes.GapNeverReported: 1, probes.GapScanOKReportStale: 1, probes.GapStaleReport: 5001}
	if got := nonZero(g.Categories); !maps.Equal(got, want) {
		t.Errorf("fleet gaps = %v\nwant         %v", got, want)
	}
	if len(g.Categories) != 9 {
		t.Errorf("every category must be present: %v", g.Categories)
	}
	if got := nonZero(g.Unassigned); !maps.Equal(got, map[string]int64{probes.GapWrongServer: 1, probes.GapExpectedMissing: 1}) {
		t.Errorf("unassigned = %v", got)
	}
	for _, sg := range g.Servers {
		switch sg.Server {
		case "wsus01.corp.example":
			w := map[string]int64{probes.GapPolicyOff: 1, probes.GapBadURL: 2, probes.GapDuplicateID: 2, probes.GapNeverReported: 1, probes.GapScanOKReportStale: 1, probes.GapStaleReport: 1}
			if got := nonZero(sg.Categories); !maps.Equal(got, w) || sg.Cause != "" {
				t.Errorf("wsus01 gaps = %v (cause %q)\nwant          %v", got, sg.Cause, w)
			}
		case "wsus02.corp.example":
			if got := nonZero(sg.Categories); !maps.Equal(got, map[string]int64{probes.GapStaleReport: 5000}) {
				t.Errorf("wsus02 gaps = %v", got)
			}
		}
	}
	if got, want := e.openRules("wsus01.corp.example"), []string{"bad_url", "duplicate_id", "never_reported", "policy_off", "scan_ok_report_stale", "stale_report"}; !slices.Equal(got, want) {
		t.Errorf("wsus01 findings %v, want %v", got, want)
	}
	if got, want := e.openRules("wsus02.corp.example"), []string{"stale_report", "wsuspool_stopped"}; !slices.Equal(got, want) {
		t.Errorf("wsus02 findings %v, want %v", got, want)
	}
	if g := e.gaps(); g.Servers[1].Cause != "wsuspool_stopped" {
		t.Errorf("wsus02's stale clients must be attributed to the pool: %+v", g.Servers)
	}

	// Drill-down: the evidence of each client.
	var page probes.GapPage
	e.do("GET", "/api/v1/gaps/bad_url?server=wsus01.corp.example", "", nil).json(t, &page)
	if page.Total != 2 || len(page.Clients) != 2 || !strings.Contains(page.Clients[0].Detail, "has no port, so it goes to port 80, but wsus01.corp.example serves clients on 8530") ||
		!strings.Contains(page.Clients[1].Detail, "WUStatusServer") {
		t.Errorf("bad_url clients: %+v", page)
	}
	e.do("GET", "/api/v1/gaps/duplicate_id", "", nil).json(t, &page)
	if len(page.Clients) != 2 || page.Clients[0].Name != "clone-a.corp.example" || !page.Clients[0].Listed || page.Clients[1].Listed ||
		!strings.Contains(page.Clients[1].Detail, "clone-a.corp.example") {
		t.Errorf("the cloned pair: %+v", page.Clients)
	}
	e.do("GET", "/api/v1/gaps/stale_report?server=wsus02.corp.example&limit=2", "", nil).json(t, &page)
	if page.Total != 5000 || len(page.Clients) != 2 || page.Clients[0].Cause != "wsuspool_stopped" || page.NextCursor == "" {
		t.Errorf("wsus02 stale page: total %d, %+v", page.Total, page.Clients)
	}
	seen := map[string]bool{}
	for cursor := ""; ; {
		var p probes.GapPage
		e.do("GET", "/api/v1/gaps/stale_report?limit=700&cursor="+cursor, "", nil).json(t, &p)
		for _, c := range p.Clients {
			if seen[c.Name] {
				t.Fatalf("%s twice", c.Name)
			}
			seen[c.Name] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 5001 {
		t.Errorf("paging through stale_report saw %d clients, want 5001", len(seen))
	}
	if res := e.do("GET", "/api/v1/gaps/expected_missing", "", nil, "Accept", "text/csv"); !strings.Contains(string(res.body), "ad-only.corp.example,,expected_missing") {
		t.Errorf("csv: %s", res.body)
	}
	if res := e.do("GET", "/api/v1/gaps/late", "", nil); res.status != 404 {
		t.Errorf("unknown category: %d", res.status)
	}

	// Fix things: every gap they explained clears.
	e.clock.Advance(time.Minute)
	fixed := clientReport("pc5.corp.example", right, right, "a5", nil)
	fixed.CollectedAt = probes.TimeOf(t0)
	e.mustPost("/api/v1/client-reports", fixed)
	reset := clientReport("clone-b.corp.example", right, right, "new-id", nil)
	reset.CollectedAt = probes.TimeOf(t0)
	e.mustPost("/api/v1/client-reports", reset)
	inv.ID, inv.CollectedAt, inv.Items = probes.NewID(), probes.TimeOf(t0), inv.Items[:1]
	e.mustPost("/api/v1/inventory", inv)
	healthy := storetest.Report("w2-fixed", "wsus02.corp.example", t0.Add(time.Minute))
	for i := range items {
		items[i].LastReport, items[i].LastSync = probes.TimeOf(t0), probes.TimeOf(t0)
	}
	healthy.Clients = &probes.ClientList{Complete: true, Items: items}
	e.mustPost("/api/v1/reports", healthy)

	// pc5's URL is right now, but wsus01 still lists it 8 days stale; clone-b
	// has its own SusClientId now, which wsus01 does not list yet; ad-only left
	// the directory.
	g = e.gaps()
	want = map[string]int64{probes.GapPolicyOff: 1, probes.GapWrongServer: 1, probes.GapBadURL: 1, probes.GapExpectedMissing: 1,
		probes.GapNeverReported: 1, probes.GapScanOKReportStale: 1, probes.GapStaleReport: 2}
	if got := nonZero(g.Categories); !maps.Equal(got, want) {
		t.Errorf("after the fixes: %v\nwant               %v", got, want)
	}
	if got := nonZero(g.Unassigned); !maps.Equal(got, map[string]int64{probes.GapWrongServer: 1}) {
		t.Errorf("unassigned after the fixes = %v", got)
	}
	e.do("GET", "/api/v1/gaps/expected_missing", "", nil).json(t, &page)
	if len(page.Clients) != 1 || page.Clients[0].Name != "clone-b.corp.example" || page.Clients[0].Server != "wsus01.corp.example" {
		t.Errorf("expected_missing after the fixes: %+v", page.Clients)
	}
	if got := e.openRules("wsus02.corp.example"); len(got) != 0 {
		t.Errorf("wsus02 recovered but has findings %v", got)
	}
	if got := e.openRules("wsus01.corp.example"); slices.Contains(got, "duplicate_id") {
		t.Errorf("the duplicate cleared but its finding did not: %v", got)
	}
}
