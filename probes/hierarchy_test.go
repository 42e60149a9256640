package probes

import (
	"strings"
	"testing"
	"time"
)

func TestBuildHierarchy(t *testing.T) {
	run := func(result string, age time.Duration) *SyncRun {
		return &SyncRun{StartedAt: TimeOf(testNow.Add(-age - time.Minute)), FinishedAt: TimeOf(testNow.Add(-age)), Result: result}
	}
	from := func(host string, replica bool, r *SyncRun) *Sync {
		return &Sync{From: SyncFromUpstream, Upstream: &Upstream{Host: host, Port: 8530, Replica: replica}, Last: r}
	}
	row := func(name, url, status string, s *Sync) FleetRow {
		return FleetRow{ServerSummary: ServerSummary{Name: name, URL: url, Status: status}, Sync: s}
	}
	fleet := []FleetRow{
		row("wsus-hq.corp.example", "http://wsus-hq.corp.example:8530", StatusOK, &Sync{From: SyncFromMicrosoftUpdate, Last: run("Succeeded", 3*time.Hour)}),
		row("wsus-west.corp.example", "http://10.0.0.7:8530", StatusCritical, from("wsus-hq.corp.example", false, run("Succeeded", 5*time.Hour))),
		row("wsus-west-replica.corp.example", "", StatusWarning, from("10.0.0.7", true, run("Failed", time.Hour))),
		row("wsus-branch.corp.example", "", StatusOK, from("wsus-gone.corp.example", false, run("Failed", time.Hour))),
		row("wsus-new.corp.example", "", StatusUnknown, nil),
		row("loop-a", "", StatusOK, from("loop-b", false, nil)),
		row("loop-b", "", StatusOK, from("loop-a", false, nil)),
	}
	h := BuildHierarchy(fleet, testNow)
	var names []string
	for _, r := range h.Roots {
		names = append(names, r.Server)
	}
	if len(h.Roots) != 5 {
		t.Fatalf("roots %v: want hq, branch (unknown upstream), new (no sync) and the two of a loop", names)
	}
	hq := h.Roots[0]
	if hq.Role != "upstream" || hq.SyncFrom != "Microsoft Update" || hq.SyncAgeSeconds != 3*3600 || len(hq.Children) != 1 {
		t.Fatalf("hq: %+v", hq)
	}
	west := hq.Children[0]
	if west.Server != "wsus-west.corp.example" || west.Role != "downstream" || west.Affected || len(west.Children) != 1 {
		t.Fatalf("west: %+v", west)
	}
	replica := west.Children[0]
	if replica.Role != "replica" || !replica.Affected || replica.AffectedBy != "wsus-west.corp.example" || replica.LastSync.Result != "Failed" {
		t.Errorf("a replica of a failing upstream (found by its URL) is affected: %+v", replica)
	}
	if b := h.Roots[1]; b.Server != "wsus-branch.corp.example" || !b.UpstreamUnknown || b.Affected {
		t.Errorf("branch: %+v", b)
	}
	if n := h.Roots[2]; n.Role != "unknown" || n.SyncAgeSeconds != -1 {
		t.Errorf("a server without sync information: %+v", n)
	}
}

// Downstreams name their upstream as their admins typed it: a NetBIOS name,
// a CNAME, an address. Each is that fleet server; a wrong port or SSL on
// the HTTP port is said, and a short name of two servers matches neither.
func TestHierarchyUpstreamIdentity(t *testing.T) {
	ok := &SyncRun{Result: "Succeeded", FinishedAt: TimeOf(testNow.Add(-time.Hour))}
	down := func(name, host string, port int, ssl bool) FleetRow {
		return FleetRow{ServerSummary: ServerSummary{Name: name, Status: StatusOK},
			Sync: &Sync{From: SyncFromUpstream, Upstream: &Upstream{Host: host, Port: port, SSL: ssl}, Last: ok}}
	}
	off := false
	hq := FleetRow{ServerSummary: ServerSummary{Name: "wsus-hq.corp.example", URL: "http://wsus-hq.corp.example:8530", Status: StatusOK},
		Sync: &Sync{From: SyncFromMicrosoftUpdate, Last: ok},
		Identity: &ServerIdentity{Names: ServerNames("wsus-hq.corp.example", "http://wsus-hq.corp.example:8530", []string{"WSUSHQ", "updates.corp.example"}, []string{"10.0.0.5"}),
			Ports: ServerPorts{HTTP: 8530, HTTPS: 8531, SSL: &off}}}
	fleet := []FleetRow{hq,
		down("d-netbios.corp.example", "WSUSHQ", 8530, false),
		down("d-cname.corp.example", "updates.corp.example", 8530, false),
		down("d-address.corp.example", "10.0.0.5", 8530, false),
		down("d-short.corp.example", "wsus-hq", 8530, false),
		down("d-ssl-on-http.corp.example", "wsus-hq.corp.example", 8530, true),
		down("d-port.corp.example", "wsus-hq.corp.example", 8535, false),
		down("d-fine-ssl.corp.example", "wsus-hq.corp.example", 8531, true),
		{ServerSummary: ServerSummary{Name: "wsus05.east.example", Status: StatusOK}},
		{ServerSummary: ServerSummary{Name: "wsus05.west.example", Status: StatusOK}},
		down("d-ambiguous.corp.example", "wsus05", 8530, false),
	}
	h := BuildHierarchy(fleet, testNow)
	children := map[string]HierarchyNode{}
	for _, r := range h.Roots {
		if r.Server == "wsus-hq.corp.example" {
			for _, c := range r.Children {
				children[c.Server] = c
			}
		}
	}
	for name, says := range map[string]string{"d-netbios.corp.example": "", "d-cname.corp.example": "", "d-address.corp.example": "", "d-short.corp.example": "",
		"d-fine-ssl.corp.example":    "",
		"d-ssl-on-http.corp.example": "its upstream https://wsus-hq.corp.example:8530 speaks HTTPS to port 8530, which is the HTTP port of wsus-hq.corp.example: use http://wsus-hq.corp.example:8530", // not in SSL mode
		"d-port.corp.example":        "its upstream http://wsus-hq.corp.example:8535 uses port 8535, but wsus-hq.corp.example serves clients on 8530 (HTTP) and 8531 (HTTPS)"} {
		c, found := children[name]
		if !found || !strings.HasPrefix(c.UpstreamProblem, says) || (says == "" && c.UpstreamProblem != "") {
			t.Errorf("%s: under hq %v, problem %q; want %q", name, found, c.UpstreamProblem, says)
		}
	}
	for _, r := range h.Roots {
		if r.Server == "d-ambiguous.corp.example" && (!r.UpstreamUnknown || !strings.Contains(r.UpstreamProblem, "could be any of wsus05.east.example, wsus05.west.example")) {
			t.Errorf("ambiguous short name: %+v", r)
		}
	}
}
