package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web"
)

// The pages follow a server by whatever name its neighbours and clients
// use: a downstream naming its upstream by address links to it and says
// its SSL setting is on the HTTP port; a client whose collector could not
// run says so instead of showing a policy problem.
func TestPagesFollowServerIdentity(t *testing.T) {
	e := newEnv(t, web.Config{})
	hq := &probes.Report{Schema: probes.SchemaReport, ID: "hq", CollectedAt: ago(time.Minute),
		Collector: probes.Collector{Name: "Send-WsusFleetReport.ps1", Host: "WSUS-HQ", Vantage: probes.VantageServer},
		Server: probes.ServerInfo{Name: "wsus-hq.corp.example", URL: "http://wsus-hq.corp.example:8530", HTTPPort: 8530, HTTPSPort: 8531,
			Aliases: []string{"WSUS-HQ"}, Addresses: []string{"10.0.0.5"}},
		Clients: &probes.ClientList{Complete: true, Items: []probes.Client{listed("pc-old-ps.corp.example", 12*24*time.Hour, 12*24*time.Hour)}}}
	e.mustPost("/api/v1/reports", hq)
	down := &probes.Report{Schema: probes.SchemaReport, ID: "east", CollectedAt: ago(time.Minute),
		Collector: probes.Collector{Name: "Send-WsusFleetReport.ps1", Host: "WSUS-EAST", Vantage: probes.VantageServer},
		Server:    probes.ServerInfo{Name: "wsus-east.corp.example", URL: "http://wsus-east.corp.example:8530", HTTPPort: 8530, HTTPSPort: 8531},
		Sync: &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: "10.0.0.5", Port: 8530, SSL: true},
			Last: &probes.SyncRun{StartedAt: ago(time.Hour), FinishedAt: ago(time.Hour), Result: "Failed", Error: "The underlying connection was closed: An unexpected error occurred on a send."}}}
	e.mustPost("/api/v1/reports", down)
	unread := clientReport("pc-old-ps.corp.example", "", "", "", nil)
	unread.Client.UseWUServer, unread.Client.AUOptions = nil, nil
	unread.Collector.Error = "Windows PowerShell 5.1 (WMF 5.1) is required; this is PowerShell 4.0"
	if got := e.mustPost("/api/v1/client-reports", unread); got["gap"] == probes.GapPolicyOff || !strings.Contains(got["detail"].(string), "collector could not run") {
		t.Errorf("receipt %v", got)
	}
	e.settle()

	p := e.page("GET", "/servers/wsus-east.corp.example", nil)
	if href := p.find(t, testid("sync")+" a").AttrOr("href", ""); href != "/servers/wsus-hq.corp.example" {
		t.Errorf("the upstream named by address links to %q", href)
	}
	if got := p.find(t, testid("upstream-problem")).Text(); !strings.Contains(got, "https://10.0.0.5:8530 speaks HTTPS to port 8530, which is the HTTP port of wsus-hq.corp.example") {
		t.Errorf("upstream problem %q", got)
	}
	h := e.page("GET", "/hierarchy", nil)
	east := h.find(t, `[data-testid="tree-node"][data-server="wsus-hq.corp.example"] [data-testid="tree-node"][data-server="wsus-east.corp.example"]`)
	if east.Length() != 1 || !strings.Contains(east.Find(testid("upstream-problem")).Text(), "HTTP port") {
		t.Errorf("hierarchy: east under hq %d, %q", east.Length(), east.Find(testid("upstream-problem")).Text())
	}
	sp := e.page("GET", "/servers/wsus-hq.corp.example", nil)
	if badge := sp.find(t, testid("client-gap-badge")); badge.Text() != "Stale report" || !strings.Contains(badge.AttrOr("title", ""), "collector could not run: Windows PowerShell 5.1") {
		t.Errorf("client row: %q %q", badge.Text(), badge.AttrOr("title", ""))
	}
	if n := sp.find(t, testid("gap-policy_off")+" .n").Text(); n != "0" {
		t.Errorf("policy off %s", n)
	}
}
