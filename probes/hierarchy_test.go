package probes

import (
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
