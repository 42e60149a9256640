package probes

import (
	"slices"
	"testing"
)

func rules(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Rule
	}
	return out
}

// A server whose pool is stopped: the pool leads, its stale clients (only
// info, explained by it) follow it, the rest by severity and clients.
func TestOrderFindingsPoolStoppedFirst(t *testing.T) {
	clients := map[string]int64{GapStaleReport: 3150, GapNeverReported: 40, GapBadURL: 120}
	fs := []Finding{
		{Rule: "catalog_bloat", Severity: SeverityWarning},
		{Rule: GapBadURL, Severity: SeverityWarning},
		{Rule: GapStaleReport, Severity: SeverityInfo, Cause: "wsuspool_stopped"},
		{Rule: "wsuspool_memory_limit", Severity: SeverityWarning},
		{Rule: "vdir_fault", Severity: SeverityCritical, Subject: "Content"},
		{Rule: GapNeverReported, Severity: SeverityInfo, Cause: "wsuspool_stopped"},
		{Rule: "wsuspool_stopped", Severity: SeverityCritical},
		{Rule: "health_events", Severity: SeverityWarning, Cause: "wsuspool_stopped"},
	}
	OrderFindings(fs, func(f Finding) int64 { return clients[f.Rule] })
	// wsuspool_stopped explains 3,150 stale clients: it outranks the other
	// critical finding, which affects no client count.
	want := []string{"wsuspool_stopped", "vdir_fault", GapBadURL, "catalog_bloat", "health_events", "wsuspool_memory_limit", GapStaleReport, GapNeverReported}
	if got := rules(fs); !slices.Equal(got, want) {
		t.Errorf("order\n%v\nwant\n%v", got, want)
	}
}

// A cause is listed before what it explains even when that is more severe.
func TestOrderFindingsCauseBeforeWorseConsequence(t *testing.T) {
	fs := []Finding{
		{Rule: "selfupdate_broken", Severity: SeverityWarning},
		{Rule: "wsuspool_stopped", Severity: SeverityCritical, Cause: "wsuspool_memory_limit"},
		{Rule: "ssl_cert_invalid", Severity: SeverityCritical},
		{Rule: "wsuspool_memory_limit", Severity: SeverityWarning},
	}
	OrderFindings(fs, nil)
	got := rules(fs)
	if slices.Index(got, "wsuspool_memory_limit") > slices.Index(got, "wsuspool_stopped") {
		t.Errorf("the cause comes after its consequence: %v", got)
	}
	if got[len(got)-1] != "selfupdate_broken" {
		t.Errorf("the lone warning must come last: %v", got)
	}
	// Without the relation, severity alone orders them.
	for i := range fs {
		fs[i].Cause = ""
	}
	OrderFindings(fs, nil)
	if got := rules(fs); got[0] == "wsuspool_memory_limit" || got[2] != "selfupdate_broken" && got[2] != "wsuspool_memory_limit" {
		t.Errorf("by severity: %v", got)
	}
}

// Causes explain findings of their own server only; a cycle does not hang.
func TestOrderServerFindings(t *testing.T) {
	fs := []ServerFinding{
		{Server: "wsus-lab", Finding: Finding{Rule: GapStaleReport, Severity: SeverityWarning}},
		{Server: "wsus-west", Finding: Finding{Rule: GapStaleReport, Severity: SeverityInfo, Cause: "wsuspool_stopped"}},
		{Server: "wsus-west", Finding: Finding{Rule: "wsuspool_stopped", Severity: SeverityCritical}},
		{Server: "wsus-dmz", Finding: Finding{Rule: "ssl_cert_invalid", Severity: SeverityCritical}},
		{Server: "loop", Finding: Finding{Rule: "a", Severity: SeverityWarning, Cause: "b"}},
		{Server: "loop", Finding: Finding{Rule: "b", Severity: SeverityWarning, Cause: "a"}},
	}
	OrderServerFindings(fs, func(f ServerFinding) int64 {
		if f.Rule == GapStaleReport {
			return 500
		}
		return 0
	})
	var got []string
	for _, f := range fs {
		got = append(got, f.Server+"/"+f.Rule)
	}
	want := []string{"wsus-west/wsuspool_stopped", "wsus-dmz/ssl_cert_invalid", "wsus-lab/" + GapStaleReport, "loop/a", "loop/b", "wsus-west/" + GapStaleReport}
	if !slices.Equal(got, want) {
		t.Errorf("order\n%v\nwant\n%v", got, want)
	}
}

// A replica's failing synchronization names its upstream's stopped pool
// (CauseServer): listed together, the cause comes first even when the
// replica's own chain (its stale clients) would rank above it, and the same
// rule on the replica itself is not taken for the cause.
func TestOrderServerFindingsAcrossServers(t *testing.T) {
	fs := []ServerFinding{
		{Server: "wsus-replica", Finding: Finding{Rule: GapStaleReport, Subject: GapStaleReport, Severity: SeverityInfo, Cause: "sync_failing"}},
		{Server: "wsus-replica", Finding: Finding{Rule: "sync_failing", Severity: SeverityWarning, Cause: "wsuspool_recycling", CauseServer: "wsus-hq"}},
		{Server: "wsus-replica", Finding: Finding{Rule: "wsuspool_recycling", Severity: SeverityWarning}},
		{Server: "wsus-hq", Finding: Finding{Rule: "wsuspool_recycling", Severity: SeverityWarning}},
		{Server: "wsus-a", Finding: Finding{Rule: "selfupdate_broken", Severity: SeverityWarning}},
	}
	affected := func(f ServerFinding) int64 {
		if f.Rule == GapStaleReport {
			return 5000
		}
		return 0
	}
	OrderServerFindings(fs, affected)
	pos := map[string]int{}
	for i, f := range fs {
		pos[f.Server+"/"+f.Rule] = i
	}
	if !(pos["wsus-hq/wsuspool_recycling"] < pos["wsus-replica/sync_failing"] && pos["wsus-replica/sync_failing"] < pos["wsus-replica/"+GapStaleReport]) {
		t.Errorf("order %v: the upstream's cause, then the replica's failure, then what that explains", serverRules(fs))
	}
	if pos["wsus-hq/wsuspool_recycling"] != 0 {
		t.Errorf("order %v: the upstream's cause ranks by the 5,000 clients it explains through the replica", serverRules(fs))
	}
	// One server's findings alone: the cross-server cause is not among them.
	one := []Finding{fs[pos["wsus-replica/wsuspool_recycling"]].Finding, fs[pos["wsus-replica/sync_failing"]].Finding}
	one[0].Severity, one[1].Severity = SeverityInfo, SeverityCritical
	OrderFindings(one, nil)
	if one[0].Rule != "sync_failing" {
		t.Errorf("a finding whose cause is on another server followed the same rule here: %v", []string{one[0].Rule, one[1].Rule})
	}
}

func serverRules(fs []ServerFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Server+"/"+f.Rule)
	}
	return out
}
