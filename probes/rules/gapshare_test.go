package rules

import (
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Client gaps raise a server's status only beyond the configured share of
// its listed clients: a healthy server with 8 % stale laptops is OK.
func TestGapsCountOnlyBeyondTheShare(t *testing.T) {
	cases := []struct {
		name          string
		total         int64
		gaps          []probes.GapCount
		share         float64
		want          string // severity of every gap finding
		summaryBelows bool   // the summary says why it does not count
	}{
		{"8 % stale laptops on 1,200 clients", 1200, []probes.GapCount{{Category: probes.GapStaleReport, Count: 96}}, 0, probes.SeverityInfo, true},
		{"exactly the default share", 400, []probes.GapCount{{Category: probes.GapStaleReport, Count: 100}}, 0, probes.SeverityInfo, true},
		{"30 % stale", 1000, []probes.GapCount{{Category: probes.GapStaleReport, Count: 300}}, 0, probes.SeverityWarning, false},
		{"categories add up: 10 % stale, 10 % bad URL, 10 % policy off", 1000, []probes.GapCount{
			{Category: probes.GapStaleReport, Count: 100}, {Category: probes.GapBadURL, Count: 100}, {Category: probes.GapPolicyOff, Count: 100}}, 0, probes.SeverityWarning, false},
		{"a stricter share set by the admin", 1000, []probes.GapCount{{Category: probes.GapStaleReport, Count: 60}}, 0.05, probes.SeverityWarning, false},
		{"expected but missing clients are not on the list: they do not make up the share", 1000, []probes.GapCount{
			{Category: probes.GapStaleReport, Count: 50}, {Category: probes.GapExpectedMissing, Count: 900}}, 0, probes.SeverityInfo, true},
		{"no client list at all: the expected clients are all missing", 0, []probes.GapCount{{Category: probes.GapExpectedMissing, Count: 40}}, 0, probes.SeverityWarning, false},
	}
	for _, tc := range cases {
		st := healthy()
		st.ClientSummary.Total = tc.total
		got := Diagnose(probes.Facts{State: st, Now: now, Gaps: tc.gaps, GapWarningShare: tc.share})
		if len(got) != len(tc.gaps) {
			t.Fatalf("%s: %d findings, want %d: %+v", tc.name, len(got), len(tc.gaps), got)
		}
		for _, f := range got {
			if f.Severity != tc.want {
				t.Errorf("%s: %s is %s, want %s", tc.name, f.Rule, f.Severity, tc.want)
			}
			if says := strings.Contains(f.Summary, "stays as its own health says"); says != tc.summaryBelows {
				t.Errorf("%s: %s summary %q", tc.name, f.Rule, f.Summary)
			}
		}
	}
}

// Below the share, a server-wide cause still explains its stale clients,
// and the share does not hide the cause itself.
func TestGapShareLeavesCausesAlone(t *testing.T) {
	st := healthy()
	stoppedPool(st)
	st.ClientSummary.Total = 5000
	got := Diagnose(probes.Facts{State: st, Now: now, Gaps: staleGap(100)})
	by := map[string]probes.Finding{}
	for _, f := range got {
		by[f.Rule] = f
	}
	if by["wsuspool_stopped"].Severity != probes.SeverityCritical {
		t.Errorf("the stopped pool is %q", by["wsuspool_stopped"].Severity)
	}
	if s := by[probes.GapStaleReport]; s.Severity != probes.SeverityInfo {
		t.Errorf("2 %% stale clients are %q", s.Severity)
	}
}
