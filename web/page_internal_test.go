package web

import (
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

func TestExternalHrefOnlyHTTP(t *testing.T) {
	for raw, want := range map[string]string{
		"http://wsus01:8530":        "http://wsus01:8530",
		"https://wsus01:8531/x?y=1": "https://wsus01:8531/x?y=1",
		"javascript:alert(1)":       "",
		"JaVaScRiPt:alert(1)":       "",
		" javascript:alert(1)":      "",
		"data:text/html,<script>":   "",
		"//evil.example/":           "",
		"wsus01:8530":               "",
		"vbscript:msgbox":           "",
		"http:/no-host":             "",
	} {
		if got := string(externalHref(raw)); got != want {
			t.Errorf("externalHref(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/servers/x?gap=removed": "/servers/x?gap=removed", "": "/", "//evil.example": "/", `/\evil.example`: "/",
		"https://evil.example": "/", "evil": "/", "/ok\r\nSet-Cookie: x": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAgoAndCount(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second: "just now", 5 * time.Minute: "5 min ago", 3 * time.Hour: "3 h ago", 47 * time.Hour: "47 h ago",
		3 * 24 * time.Hour: "3 d ago", -2 * time.Hour: "in 2 h",
	} {
		if got := ui.Ago(d); got != want {
			t.Errorf("Ago(%s) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := ui.Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSyncCell(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	run := func(result string, ago time.Duration) *probes.Sync {
		return &probes.Sync{From: probes.SyncFromMicrosoftUpdate, Last: &probes.SyncRun{Result: result, FinishedAt: probes.TimeOf(now.Add(-ago))}}
	}
	for _, tc := range []struct {
		s     *probes.Sync
		class string
	}{
		{nil, ""}, {&probes.Sync{From: probes.SyncFromMicrosoftUpdate}, "unknown"}, {run("Succeeded", time.Hour), "ok"},
		{run("Succeeded", 3*24*time.Hour), "warning"}, {run("Failed", time.Hour), "critical"}, {run("NeverRun", 0), "warning"},
	} {
		if got := syncCell(tc.s, now).Class; got != tc.class {
			t.Errorf("%+v: class %q, want %q", tc.s, got, tc.class)
		}
	}
}

func TestHierarchyLoopsAndOutsiders(t *testing.T) {
	up := func(name, upstream string) probes.FleetRow {
		r := probes.FleetRow{ServerSummary: probes.ServerSummary{Name: name, Status: "ok"}}
		if upstream != "" {
			r.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: upstream, Port: 8530}}
		}
		return r
	}
	// a ↔ b sync from each other; c from a server outside the fleet.
	tree := buildHierarchy([]probes.FleetRow{up("a", "b"), up("b", "a"), up("c", "outside.example")}, time.Now())
	seen := map[string]int{}
	var walk func([]ui.TreeNode)
	walk = func(ns []ui.TreeNode) {
		for _, n := range ns {
			seen[n.Name]++
			walk(n.Children)
		}
	}
	walk(tree)
	if seen["a"] != 1 || seen["b"] != 1 || seen["c"] != 1 || seen["outside.example:8530"] != 1 {
		t.Errorf("every server exactly once, the outside upstream as its own node: %v", seen)
	}
	for _, n := range tree {
		if n.Name == "outside.example:8530" && (n.Href != "" || len(n.Children) != 1) {
			t.Errorf("outside upstream: %+v", n)
		}
	}
}

// The gap boxes' "how to fix it" never sends an admin to a command that does
// nothing on current Windows (wuauclt's scan and report switches since
// Windows 10, undocumented usoclient); the client fixes say how to scan.
func TestGapBoxesAdviseWorkingScans(t *testing.T) {
	for cat, info := range gapInfo {
		for _, bad := range []string{"usoclient", "/reportnow", "/resetauthorization"} {
			if strings.Contains(info.fix, bad) {
				t.Errorf("%s: %q advises %s", cat, info.fix, bad)
			}
		}
		if strings.Contains(info.fix, "wuauclt") && !strings.Contains(info.fix, "does nothing") {
			t.Errorf("%s: %q advises wuauclt", cat, info.fix)
		}
	}
}
