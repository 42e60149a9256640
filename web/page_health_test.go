package web

import (
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// TestHealthOf: a server is judged by its own findings; its client gaps
// raise the status only beyond the configured share of its clients.
func TestHealthOf(t *testing.T) {
	stale := probes.Finding{Rule: probes.GapStaleReport, Severity: probes.SeverityWarning}
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
		want         string
		others       int
	}{
		{"8 % stale laptops on a healthy server", probes.StatusWarning, 100, map[string]int64{probes.GapStaleReport: 8}, []probes.Finding{stale, logs}, nil, probes.StatusOK, 1},
		{"30 % silent raises it", probes.StatusWarning, 100, map[string]int64{probes.GapStaleReport: 20, probes.GapNeverReported: 10}, []probes.Finding{stale, never}, nil, probes.StatusWarning, 1},
		{"exactly the share does not", probes.StatusWarning, 100, map[string]int64{probes.GapStaleReport: 25}, []probes.Finding{stale}, nil, probes.StatusOK, 1},
		{"expected-missing machines are not on its list", probes.StatusWarning, 100, map[string]int64{probes.GapExpectedMissing: 90, probes.GapRemoved: 50}, nil, nil, probes.StatusOK, 0},
		{"its own finding decides", probes.StatusCritical, 100, map[string]int64{probes.GapStaleReport: 2}, []probes.Finding{pool, stale, memory}, &probes.FindingHead{Rule: "wsuspool_stopped"}, probes.StatusCritical, 2},
		{"a warning of its own", probes.StatusWarning, 0, nil, []probes.Finding{memory}, &probes.FindingHead{Rule: "wsuspool_memory_limit"}, probes.StatusWarning, 0},
		{"unknown stays unknown", probes.StatusUnknown, 100, map[string]int64{probes.GapStaleReport: 90}, []probes.Finding{stale}, nil, probes.StatusUnknown, 0},
	} {
		h := healthOf(c.status, c.total, c.gaps, c.findings, c.root, DefaultGapWarningShare)
		if h.Status != c.want || h.Others != c.others {
			t.Errorf("%s: status %s, %d others; want %s, %d", c.name, h.Status, h.Others, c.want, c.others)
		}
	}
	if h := healthOf(probes.StatusWarning, 100, map[string]int64{probes.GapStaleReport: 8}, []probes.Finding{stale}, nil, 0.05); h.Status != probes.StatusWarning {
		t.Errorf("with a 5 %% share, 8 %% stale is a warning: %s", h.Status)
	}
	// What to fix first: the server's own finding, not the few stale clients
	// the store's causal order may put before it.
	sync := probes.Finding{Rule: "sync_failing", Severity: probes.SeverityWarning}
	h := healthOf(probes.StatusWarning, 300, map[string]int64{probes.GapNeverReported: 6}, []probes.Finding{never, sync}, &probes.FindingHead{Rule: probes.GapNeverReported}, DefaultGapWarningShare)
	if h.Root == nil || h.Root.Rule != "sync_failing" || h.Others != 1 || h.Status != probes.StatusWarning {
		t.Errorf("root %+v, %d others, %s; want sync_failing, 1, warning", h.Root, h.Others, h.Status)
	}
	if h := healthOf(probes.StatusWarning, 100, map[string]int64{probes.GapStaleReport: 8}, []probes.Finding{stale}, nil, DefaultGapWarningShare); h.Root != nil {
		t.Errorf("a healthy server with a few stale clients has nothing to fix first: %+v", h.Root)
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
