package probes

import (
	"strings"
	"testing"
	"time"
)

var detailNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func poolStopped() Finding {
	return Finding{Rule: "wsuspool_stopped", Severity: SeverityCritical, Title: "WsusPool is stopped (503 on the vDirs)",
		Remediation: []Step{{Text: "Start the pool", Command: "Start-WebAppPool -Name WsusPool"}}}
}

// A client whose log shows 0x80244022 on a server whose pool is stopped is
// explained by that finding, and the fix is the server's.
func TestExplainPoolStopped(t *testing.T) {
	yes := true
	d := &ClientDetail{Name: "pc1", Server: "wsus01",
		Report: &ClientOwnView{Client: ClientView{Name: "pc1", WUServer: "http://wsus01:8530", WUStatusServer: "http://wsus01:8530", UseWUServer: &yes},
			UpdateErrors: []UpdateError{{Time: TimeOf(detailNow.Add(-time.Hour)), Operation: UpdateOpScan, Code: "0x80244022"}}},
		Log: &WULogDigest{Errors: []WULogError{{Operation: UpdateOpReport, Code: "0x80244022", Count: 2, Last: detailNow.Add(-time.Minute), HTTPStatus: 503},
			{Operation: UpdateOpScan, Code: "0x80070005", Count: 1, Last: detailNow.Add(-2 * time.Hour)}}},
		Gap: &ClientGapState{Category: GapStaleReport, Detail: "last status report 9 d ago"}}
	d.Explain([]Finding{poolStopped(), {Rule: "wsuspool_settings", Title: "WsusPool settings differ"}}, detailNow)
	if len(d.Errors) != 3 || d.Errors[0].Source != "WindowsUpdate.log" || d.Errors[0].HTTPStatus != 503 || d.Errors[1].Source != "client report" {
		t.Fatalf("errors %+v", d.Errors)
	}
	for _, e := range d.Errors[:2] {
		if e.Known == nil || e.ExplainedBy == nil || e.ExplainedBy.Rule != "wsuspool_stopped" || e.ExplainedBy.Server != "wsus01" {
			t.Errorf("%s not explained by the stopped pool: %+v", e.Code, e.ExplainedBy)
		}
	}
	if d.Errors[2].Known != nil || d.Errors[2].ExplainedBy != nil {
		t.Errorf("an unknown code is shown as logged: %+v", d.Errors[2])
	}
	if d.Cause == nil || d.Cause.Rule != "wsuspool_stopped" || !strings.Contains(d.Fix.About, "WsusPool is stopped") || d.Fix.Steps[0].Command != "Start-WebAppPool -Name WsusPool" {
		t.Errorf("cause %+v fix %+v", d.Cause, d.Fix)
	}
}

// The same errors on a healthy server: decoded, not explained, and the fix
// is the catalogue's.
func TestExplainWithoutFinding(t *testing.T) {
	d := &ClientDetail{Name: "pc1", Server: "wsus01",
		Log: &WULogDigest{Errors: []WULogError{{Operation: UpdateOpScan, Code: "0x80244022", Count: 1, Last: detailNow}}}}
	d.Explain(nil, detailNow)
	if d.Cause != nil || d.Errors[0].ExplainedBy != nil || !strings.HasPrefix(d.Fix.About, "0x80244022") || len(d.Fix.Steps) == 0 {
		t.Errorf("cause %+v fix %+v", d.Cause, d.Fix)
	}
}

// The client's own policy comes first: no server fix helps a client that
// does not use the server.
func TestExplainPolicyFirst(t *testing.T) {
	yes := true
	d := &ClientDetail{Name: "pc1", Server: "wsus01.corp.example",
		Report: &ClientOwnView{Client: ClientView{Name: "pc1", WUServer: "http://wsus01.corp.example", WUStatusServer: "http://wsus01.corp.example", UseWUServer: &yes}},
		Gap:    &ClientGapState{Category: GapBadURL, Detail: "WUServer has no port"}}
	d.Explain([]Finding{poolStopped()}, detailNow)
	if !strings.Contains(d.Fix.About, "its own policy (bad_url)") || !strings.Contains(d.Fix.Steps[0].Text, "http://wsus01.corp.example:8530") {
		t.Errorf("fix %+v", d.Fix)
	}
	for _, s := range d.Fix.Steps {
		if strings.Contains(s.Command, "<") || strings.Contains(s.Command, "%windir%") {
			t.Errorf("command %q does not run as typed", s.Command)
		}
	}
	d.Gap = &ClientGapState{Category: GapDuplicateID, Detail: "shares its SusClientId"}
	d.Explain(nil, detailNow)
	if !strings.Contains(d.Fix.Steps[0].Command, "Remove-ItemProperty") {
		t.Errorf("duplicate fix %+v", d.Fix)
	}
}

// A stale client without known errors is still attributed to its server's
// server-wide finding.
func TestExplainStaleByServerWideCause(t *testing.T) {
	d := &ClientDetail{Name: "pc1", Server: "wsus01", Gap: &ClientGapState{Category: GapStaleReport}}
	d.Explain([]Finding{{Rule: "catalog_bloat", Title: "bloat"}, poolStopped()}, detailNow)
	if d.Cause == nil || d.Cause.Rule != "wsuspool_stopped" {
		t.Errorf("cause %+v", d.Cause)
	}
	d = &ClientDetail{Name: "pc1", Server: "wsus01", Gap: &ClientGapState{Category: GapStaleReport}}
	d.Explain([]Finding{{Rule: "catalog_bloat", Title: "bloat"}}, detailNow)
	if d.Cause != nil {
		t.Errorf("a warning that is no server-wide cause explains it: %+v", d.Cause)
	}
}
