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
