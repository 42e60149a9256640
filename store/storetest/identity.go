package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
)

// identityReport is what Send-WsusFleetReport.ps1 sends about the server
// itself: its URL, ports, SSL mode, and the other names and addresses its
// clients may use.
func identityReport(name, url string, httpPort, httpsPort int, ssl bool, aliases, addresses []string) *probes.Report {
	return &probes.Report{Schema: probes.SchemaReport, ID: "id-" + name + "-" + strings.Join(aliases, "-"), CollectedAt: probes.TimeOf(T0.Add(-time.Minute)),
		Collector: probes.Collector{Name: "Send-WsusFleetReport.ps1", Version: "1.0.0", Host: strings.ToUpper(strings.Split(name, ".")[0]), Vantage: probes.VantageServer},
		Server: probes.ServerInfo{Name: name, URL: url, Version: "10.0.20348.1", HTTPPort: httpPort, HTTPSPort: httpsPort, SSL: ssl,
			Aliases: aliases, Addresses: addresses}}
}

// A client's WUServer, a downstream's upstream and an agent's URL find a
// server by any name it is known by: its full name, the NetBIOS name or
// CNAME its collector reports, its IP address, or the unique short name of
// its full name. A wrong port or scheme is a bad URL for that server, not
// another server.
func testServerIdentity(t *testing.T, open Opener) {
	var upstreams []string
	s, _ := fixed(t, open, store.Options{Diagnose: func(f probes.Facts) []probes.Finding {
		if f.State.Sync != nil && f.State.Sync.Upstream != nil && f.Upstream != nil {
			u, ok := f.Upstream(f.State.Sync.Upstream.Host, f.State.Sync.Upstream.Port)
			upstreams = append(upstreams, f.State.Name+"→"+u.Name+map[bool]string{true: "", false: "?"}[ok])
		}
		return nil
	}})
	if _, err := s.RegisterServer(ctx(), "wsus01.corp.example", "http://wsus01.corp.example:8530"); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, identityReport("wsus01.corp.example", "http://wsus01.corp.example:8530", 8530, 8531, false,
		[]string{"WSUS01", "wsus.corp.example"}, []string{"10.1.2.3", "fe80::10"}))
	mustSave(t, s, identityReport("wsus01.lab.example", "http://wsus01.lab.example:8530", 8530, 8531, false, nil, nil))
	mustSave(t, s, identityReport("wsus02.corp.example", "http://wsus02.corp.example:8530", 8530, 8531, false, nil, nil))
	mustSave(t, s, identityReport("wsus03.east.example", "http://wsus03.east.example:8530", 8530, 8531, false, nil, nil))
	mustSave(t, s, identityReport("wsus03.west.example", "http://wsus03.west.example:8530", 8530, 8531, false, nil, nil))
	mustSave(t, s, identityReport("wsus-dmz.corp.example", "https://wsus-dmz.corp.example:8531", 8530, 8531, true, nil, []string{"192.0.2.10"}))
	// A server known only from its registration: its URL's host is its address.
	if _, err := s.RegisterServer(ctx(), "wsus-branch.corp.example", "http://10.9.0.5:8530"); err != nil {
		t.Fatal(err)
	}

	n := 0
	file := func(wu string) probes.ClientReceipt {
		t.Helper()
		n++
		name := "pc" + string(rune('a'+n)) + ".corp.example"
		rec, _, err := s.SaveClientReport(ctx(), ClientReport(name, wu, wu, "", T0), "")
		if err != nil {
			t.Fatalf("%s: %v", wu, err)
		}
		return rec
	}
	// Each client's policy is judged against the server it names; none is
	// on a list yet, so a fine policy makes it expected there.
	cases := []struct {
		wu, server, gap, says string
	}{
		{"http://wsus01.corp.example:8530", "wsus01.corp.example", probes.GapExpectedMissing, "its policy points at wsus01.corp.example"},
		{"http://WSUS01:8530", "wsus01.corp.example", probes.GapExpectedMissing, "its policy points at wsus01.corp.example"},             // NetBIOS name its collector reported
		{"http://wsus.corp.example:8530", "wsus01.corp.example", probes.GapExpectedMissing, "its policy points at wsus01.corp.example"},  // a CNAME
		{"http://10.1.2.3:8530", "wsus01.corp.example", probes.GapExpectedMissing, "its policy points at wsus01.corp.example"},           // its address
		{"http://[fe80::10]:8530", "wsus01.corp.example", probes.GapExpectedMissing, "its policy points at wsus01.corp.example"},         // IPv6
		{"http://wsus02:8530", "wsus02.corp.example", probes.GapExpectedMissing, "its policy points at wsus02.corp.example"},             // the unique short name of a full name
		{"http://10.9.0.5:8530", "wsus-branch.corp.example", probes.GapExpectedMissing, "its policy points at wsus-branch.corp.example"}, // the address it was registered by
		{"https://192.0.2.10:8531", "wsus-dmz.corp.example", probes.GapExpectedMissing, "its policy points at wsus-dmz.corp.example"},    // SSL mode, HTTPS port
		{"http://wsus01.corp.example:8535", "wsus01.corp.example", probes.GapBadURL, "uses port 8535, but wsus01.corp.example serves clients on 8530 (HTTP) and 8531 (HTTPS): use http://wsus01.corp.example:8530"},
		{"http://wsus01.corp.example:80", "wsus01.corp.example", probes.GapBadURL, "uses port 80"},
		{"http://wsus01.corp.example", "wsus01.corp.example", probes.GapBadURL, "has no port"},
		{"https://wsus01.corp.example:8530", "wsus01.corp.example", probes.GapBadURL, "speaks HTTPS to port 8530, which is the HTTP port"},
		{"http://wsus-dmz.corp.example:8530", "wsus-dmz.corp.example", probes.GapBadURL, "is in SSL mode (its web services require SSL): use https://wsus-dmz.corp.example:8531"},
		{"http://wsus03:8530", "", probes.GapBadURL, "could be any of wsus03.east.example, wsus03.west.example"},
		{"http://wsus-old.corp.example:8530", "", probes.GapWrongServer, "not a server of this fleet"},
	}
	for _, tc := range cases {
		rec := file(tc.wu)
		if rec.Server != tc.server || rec.Gap != tc.gap || !strings.Contains(rec.Detail, tc.says) {
			t.Errorf("WUServer %s: filed on %q as %q (%s); want %q as %q with %q", tc.wu, rec.Server, rec.Gap, rec.Detail, tc.server, tc.gap, tc.says)
		}
	}

	// The agent's question: which server is at this URL?
	for url, want := range map[string]string{"http://10.1.2.3:8530": "wsus01.corp.example", "https://wsus01:8531": "wsus01.corp.example",
		"http://wsus-branch.corp.example:8530": "wsus-branch.corp.example", "https://192.0.2.10:8531": "wsus-dmz.corp.example"} {
		if m, err := s.ResolveServer(ctx(), url); err != nil || m.Server != want {
			t.Errorf("resolve %s = %+v, %v; want %s", url, m, err, want)
		}
	}
	for url, says := range map[string]string{"http://10.1.2.3:9999": "not on 9999", "http://wsus03:8530": "could be any of",
		"http://203.0.113.7:8530": "no fleet server is known as 203.0.113.7"} {
		if _, err := s.ResolveServer(ctx(), url); !errors.Is(err, probes.ErrNotFound) || !strings.Contains(err.Error(), says) {
			t.Errorf("resolve %s: %v; want not found saying %q", url, err, says)
		}
	}
	var ve *probes.ValidationError
	if _, err := s.ResolveServer(ctx(), "wsus01:8530"); !errors.As(err, &ve) {
		t.Errorf("resolve a non-URL: %v", err)
	}

	// A downstream names its upstream by address: it is that fleet server.
	down := identityReport("wsus-east.corp.example", "http://wsus-east.corp.example:8530", 8530, 8531, false, nil, nil)
	down.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: "10.1.2.3", Port: 8530}}
	mustSave(t, s, down)
	upstreams = nil
	if _, err := s.RediagnoseDue(ctx()); err != nil {
		t.Fatal(err)
	}
	if len(upstreams) != 1 || upstreams[0] != "wsus-east.corp.example→wsus01.corp.example" {
		t.Errorf("upstream by address: %v", upstreams)
	}
	fleet, err := s.Fleet(ctx())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range probes.BuildHierarchy(fleet, T0).Roots {
		if r.Server == "wsus-east.corp.example" {
			t.Errorf("the hierarchy does not find wsus-east's upstream by its address: %+v", r)
		}
		if r.Server == "wsus01.corp.example" && (len(r.Children) != 1 || r.Children[0].Server != "wsus-east.corp.example" || r.Children[0].UpstreamProblem != "") {
			t.Errorf("wsus01's downstreams: %+v", r.Children)
		}
	}

	// The names follow the latest server section: a CNAME retired is no name
	// of it any more; a deleted server is nobody's.
	later := identityReport("wsus01.corp.example", "http://wsus01.corp.example:8530", 8530, 8531, false, []string{"WSUS01"}, nil)
	later.ID, later.CollectedAt = "id-later", probes.TimeOf(T0)
	mustSave(t, s, later)
	if rec := file("http://wsus.corp.example:8530"); rec.Server != "" || rec.Gap != probes.GapWrongServer {
		t.Errorf("a retired CNAME: %+v", rec)
	}
	if err := s.DeleteServer(ctx(), "wsus02.corp.example"); err != nil {
		t.Fatal(err)
	}
	if rec := file("http://wsus02:8530"); rec.Server != "" || rec.Gap != probes.GapWrongServer {
		t.Errorf("a deleted server's short name: %+v", rec)
	}
}

// What a client's own report lets the dashboard judge: a collector that
// could not run is no policy problem, and a client that scans Windows
// Update by policy is no WSUS client.
func testClientScopes(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	cs := Clients(2, T0, func(int) time.Duration { return 20 * 24 * time.Hour })
	mustSave(t, s, snapshot("s1", "wsus01.corp.example", T0, true, cs...))
	inv := &probes.Inventory{Schema: probes.SchemaInventory, ID: "inv1", CollectedAt: probes.TimeOf(T0), Source: "ad", Scope: "corp", Complete: true,
		Items: []probes.InventoryItem{{Name: "old-ps.corp.example", Enabled: true, LastLogon: probes.TimeOf(T0.Add(-time.Hour))},
			{Name: "intune.corp.example", Enabled: true, LastLogon: probes.TimeOf(T0.Add(-time.Hour))}}}
	if _, _, err := s.SaveInventory(ctx(), inv, ""); err != nil {
		t.Fatal(err)
	}
	unread := func(name string) *probes.ClientReport {
		return &probes.ClientReport{Schema: probes.SchemaClientReport, ID: "cr-" + name, CollectedAt: probes.TimeOf(T0),
			Collector: probes.Collector{Name: "Send-WsusFleetClientReport.ps1", Version: "1.0.0", Vantage: probes.VantageClient,
				Error: "Windows PowerShell 5.1 (WMF 5.1) is required; this is 4.0"},
			Client: probes.ClientView{Name: name}}
	}
	const says = "collector could not run: Windows PowerShell 5.1 (WMF 5.1) is required; this is 4.0"
	for _, name := range []string{cs[0].Name, "old-ps.corp.example"} {
		rec, _, err := s.SaveClientReport(ctx(), unread(name), "")
		if err != nil {
			t.Fatal(err)
		}
		if rec.Gap == probes.GapPolicyOff || rec.Gap == probes.GapBadURL || !strings.Contains(rec.Detail, says) {
			t.Errorf("%s, collector could not run: %+v", name, rec)
		}
	}
	// Intune: every class from Windows Update by policy.
	wu := func(name string) *probes.ClientReport {
		cr := ClientReport(name, "", "", "", T0)
		cr.Client.UseWUServer = nil
		on, zero := true, 0
		cr.Client.UpdateSource = &probes.UpdateSourcePolicy{UseUpdateClassPolicySource: &on, FeatureUpdates: &zero, QualityUpdates: &zero, DriverUpdates: &zero, OtherUpdates: &zero}
		return cr
	}
	for _, name := range []string{cs[1].Name, "intune.corp.example"} {
		rec, _, err := s.SaveClientReport(ctx(), wu(name), "")
		if err != nil {
			t.Fatal(err)
		}
		if rec.Gap == probes.GapPolicyOff {
			t.Errorf("%s scans Windows Update by policy, not policy off: %+v", name, rec)
		}
	}
	settle(t, s)
	all := allClients(t, s, "wsus01.corp.example", "")
	if c := all[cs[0].Name]; c.Gap != probes.GapStaleReport || !strings.HasSuffix(c.GapDetail, "; its own report: "+says) {
		t.Errorf("listed, collector could not run: judged by the server's list and says so: %q %q", c.Gap, c.GapDetail)
	}
	if c := all[cs[1].Name]; c.Gap != probes.GapWrongServer || !strings.Contains(c.GapDetail, "scans Windows Update by policy") {
		t.Errorf("listed, Windows Update by policy: %q %q", c.Gap, c.GapDetail)
	}
	page, err := s.GapClients(ctx(), probes.GapQuery{Category: probes.GapExpectedMissing})
	if err != nil || page.Total != 1 || page.Clients[0].Name != "old-ps.corp.example" || !strings.Contains(page.Clients[0].Detail, says) {
		t.Errorf("expected missing: only the one whose collector failed, saying so (not the Intune client): %+v %v", page, err)
	}
	if g, _ := s.Gaps(ctx()); g.Categories[probes.GapPolicyOff] != 0 {
		t.Errorf("policy off: %d", g.Categories[probes.GapPolicyOff])
	}
}
