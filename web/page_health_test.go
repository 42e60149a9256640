package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// TestHealthOf: the page shows the store's status (the rules already
// count client gaps only beyond the share: below it a gap finding is
// information) and picks what to fix first from the open findings.
func TestHealthOf(t *testing.T) {
	stale := probes.Finding{Rule: probes.GapStaleReport, Severity: probes.SeverityWarning}
	fewStale := probes.Finding{Rule: probes.GapStaleReport, Severity: probes.SeverityInfo} // below the share
	never := probes.Finding{Rule: probes.GapNeverReported, Severity: probes.SeverityWarning}
	pool := probes.Finding{Rule: "wsuspool_stopped", Severity: probes.SeverityCritical}
	memory := probes.Finding{Rule: "wsuspool_memory_limit", Severity: probes.SeverityWarning}
	logs := probes.Finding{Rule: "wsus_log_errors", Severity: probes.SeverityInfo}
	for _, c := range []struct {
		name, status string
		total        int64
		gaps         map[string]int64
		findings     []probes.Finding
		root         *probes.FindingHead
		counts       bool
		rootRule     string
		others       int
	}{
		{"8 % stale laptops on a healthy server", probes.StatusOK, 100, map[string]int64{probes.GapStaleReport: 8}, []probes.Finding{fewStale, logs}, nil, false, "", 0},
		{"30 % silent counts", probes.StatusWarning, 100, map[string]int64{probes.GapStaleReport: 20, probes.GapNeverReported: 10}, []probes.Finding{stale, never}, nil, true, probes.GapStaleReport, 1},
		{"exactly the share does not", probes.StatusOK, 100, map[string]int64{probes.GapStaleReport: 25}, []probes.Finding{fewStale}, nil, false, "", 0},
		{"expected-missing machines are not on its list", probes.StatusOK, 100, map[string]int64{probes.GapExpectedMissing: 90, probes.GapRemoved: 50}, nil, nil, false, "", 0},
		{"its own finding first", probes.StatusCritical, 100, map[string]int64{probes.GapStaleReport: 2}, []probes.Finding{fewStale, memory, pool}, &probes.FindingHead{Rule: "wsuspool_stopped"}, false, "wsuspool_stopped", 1},
		{"the store's root cause when findings were not read", probes.StatusWarning, 0, nil, nil, &probes.FindingHead{Rule: "wsuspool_memory_limit"}, false, "wsuspool_memory_limit", 0},
		{"unknown stays unknown", probes.StatusUnknown, 100, map[string]int64{probes.GapStaleReport: 90}, []probes.Finding{stale}, nil, true, probes.GapStaleReport, 0},
	} {
		h := healthOf(c.status, c.total, c.gaps, c.findings, c.root, probes.DefaultGapWarningShare)
		rule := ""
		if h.Root != nil {
			rule = h.Root.Rule
		}
		if h.Status != c.status || h.Counts != c.counts || rule != c.rootRule || h.Others != c.others {
			t.Errorf("%s: status %s, counts %v, root %q, %d others; want %s, %v, %q, %d", c.name, h.Status, h.Counts, rule, h.Others, c.status, c.counts, c.rootRule, c.others)
		}
	}
	if h := healthOf(probes.StatusWarning, 100, map[string]int64{probes.GapStaleReport: 8}, []probes.Finding{stale}, nil, 0.05); !h.Counts {
		t.Errorf("with a 5 %% share, 8 %% stale counts")
	}
}

// TestGenericStepsOnce: a step two findings share is listed once, where it
// first applies, and the fix plan leaves out what a cause explains.
func TestGenericStepsOnce(t *testing.T) {
	probe := probes.Step{Text: "Let the dashboard probe again.", Command: "wsusfleet probe"}
	fs := []probes.Finding{
		{Rule: "wsuspool_stopped", Severity: probes.SeverityCritical, Title: "pool", Remediation: []probes.Step{{Text: "Start it.", Command: "Start-WebAppPool WsusPool"}, probe}},
		{Rule: "ssl_cert_expiring", Severity: probes.SeverityWarning, Title: "cert", Remediation: []probes.Step{{Text: "Renew it."}, probe}},
		{Rule: probes.GapStaleReport, Severity: probes.SeverityInfo, Title: "stale", Cause: "wsuspool_stopped", Remediation: []probes.Step{probe}},
	}
	plan := fixPlan(fs, true)
	if len(plan) != 2 || len(plan[0].steps) != 2 || len(plan[1].steps) != 1 || plan[1].steps[0].Text != "Renew it." {
		t.Fatalf("plan %+v", plan)
	}
	views := findingViews(fs, plan, time.Now())
	if len(views[1].Steps) != 1 || views[1].Repeated != 1 || views[2].Repeated != 1 || len(views[2].Steps) != 0 {
		t.Errorf("repeated steps: %d/%d, %d/%d", len(views[1].Steps), views[1].Repeated, len(views[2].Steps), views[2].Repeated)
	}
	script := planScript("wsus01", plan, time.Now(), "test")
	if n := strings.Count(script, "wsusfleet probe"); n != 1 {
		t.Errorf("the generic step is in the script %d times:\n%s", n, script)
	}
}

// TestFleetPlanOrder: the fleet plan puts the most severe cause first, then
// the most widespread, and client-gap categories after server-wide causes.
func TestFleetPlanOrder(t *testing.T) {
	step := []probes.Step{{Text: "Do it."}}
	bloat := probes.Finding{Rule: "catalog_bloat", Subject: "catalog", Severity: probes.SeverityWarning, Title: "bloated", Remediation: step}
	pool := probes.Finding{Rule: "wsuspool_stopped", Subject: "WsusPool", Severity: probes.SeverityCritical, Title: "stopped", Remediation: step}
	stale := probes.Finding{Rule: probes.GapStaleReport, Subject: probes.GapStaleReport, Severity: probes.SeverityWarning, Title: "stale", Remediation: step}
	anon := probes.Finding{Rule: "anonymous_auth_disabled", Subject: "ClientWebService", Severity: probes.SeverityCritical, Title: "anon", Remediation: step}
	fleet := []probes.FleetRow{{ServerSummary: probes.ServerSummary{Name: "a"}}, {ServerSummary: probes.ServerSummary{Name: "b"}}, {ServerSummary: probes.ServerSummary{Name: "c"}}}
	open := []probes.ServerFinding{
		{Server: "a", Finding: bloat}, {Server: "b", Finding: bloat}, {Server: "c", Finding: bloat},
		{Server: "a", Finding: stale}, {Server: "b", Finding: pool}, {Server: "a", Finding: anon}, {Server: "c", Finding: anon},
	}
	health := map[string]serverHealth{"a": {Counts: true}, "b": {Counts: true}, "c": {Counts: true}}
	var got []string
	for _, c := range fleetPlan(fleet, open, health) {
		got = append(got, fmt.Sprintf("%s×%d", c.Rule, len(c.Servers)))
	}
	want := []string{"anonymous_auth_disabled×2", "wsuspool_stopped×1", "catalog_bloat×3", "stale_report×1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fleet plan order %v, want %v", got, want)
	}
}
