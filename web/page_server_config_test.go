package web_test

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/pwshcheck"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// The Process Monitor panel's restart step (iisreset; Restart-Service
// WsusService) fails as typed on a server whose IIS is Disabled: the panel
// sets the usual start type first, like the rules do, and only for the
// services reported Disabled.
func TestDenialsRestartSetsDisabledServicesFirst(t *testing.T) {
	for _, tc := range []struct {
		name     string
		services []probes.Service
		want     string
	}{
		{"disabled", []probes.Service{
			{Name: "W3SVC", State: "Stopped", StartType: "Disabled"},
			{Name: "WAS", State: "Running", StartType: "Manual"},
			{Name: "WsusService", State: "Running", StartType: "Automatic"},
		}, "Set-Service -Name 'W3SVC' -StartupType Automatic; iisreset; Restart-Service WsusService"},
		{"running", []probes.Service{
			{Name: "W3SVC", State: "Running", StartType: "Automatic"},
			{Name: "WAS", State: "Running", StartType: "Manual"},
			{Name: "WsusService", State: "Running", StartType: "Automatic"},
		}, "iisreset; Restart-Service WsusService"},
		{"wsus and was disabled", []probes.Service{
			{Name: "W3SVC", State: "Running", StartType: "Automatic"},
			{Name: "WAS", State: "Stopped", StartType: "Disabled"},
			{Name: "WsusService", State: "Stopped", StartType: "Disabled"},
		}, "Set-Service -Name 'WAS' -StartupType Manual; Set-Service -Name 'WsusService' -StartupType Automatic; iisreset; Restart-Service WsusService"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPageEnv(t, web.Config{})
			r := storetest.Report("svc-"+strings.ReplaceAll(tc.name, " ", "-"), "wsus01.corp.example", e.clock.Now())
			r.Collector.Vantage = probes.VantageServer
			r.Services = tc.services
			if res := e.post("/api/v1/reports", e.ingest, r); res.status != 201 {
				t.Fatalf("report: %d %s", res.status, res.body)
			}
			if res := e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/procmon", e.ingest, bytes.NewReader(sample(t, "procmon/testdata/denied-capture.csv"))); res.status != 201 {
				t.Fatalf("procmon: %d %s", res.status, res.body)
			}
			p := e.page("GET", "/servers/wsus01.corp.example", nil)
			var restart []string
			for _, c := range p.find(t, `#denials .cmd code`).EachIter() {
				if txt := strings.TrimSpace(c.Text()); strings.Contains(txt, "iisreset") {
					restart = append(restart, txt)
				}
			}
			if len(restart) != 1 || restart[0] != tc.want {
				t.Errorf("restart commands %q, want [%q]", restart, tc.want)
			}
		})
	}
}

// The server page's commands are PowerShell, as typed: no cmd variable
// (PowerShell does not expand %windir%), appcmd called through the call
// operator, grants by SID, and every one parses with the CI grammar.
func TestPoolPanelCommandsArePowerShell(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	r := storetest.Report("pool-cmds", "wsus01.corp.example", e.clock.Now())
	r.Collector.Vantage = probes.VantageServer
	mem, queue := int64(1843200), int64(1000)
	r.AppPool = &probes.AppPool{Name: "WsusPool", State: "Stopped", QueueLength: &queue, PrivateMemoryKB: &mem, PingEnabled: new(true)}
	r.ACLs = []probes.ACL{{Path: `D:\WSUS\WsusContent`, Principal: `BUILTIN\Administrators`, Rights: []string{"FullControl"}},
		{Path: `C:\Program Files\Update Services\WebServices`, Principal: `NT AUTHORITY\SYSTEM`, Rights: []string{"FullControl"}}}
	if res := e.post("/api/v1/reports", e.ingest, r); res.status != 201 {
		t.Fatalf("report: %d %s", res.status, res.body)
	}
	p := e.page("GET", "/servers/wsus01.corp.example", nil)
	cmdVar := regexp.MustCompile(`%[A-Za-z]+%`)
	var pool []string
	var scripts []pwshcheck.Script
	for _, c := range p.find(t, `.cmd code`).EachIter() {
		txt := c.Text()
		scripts = append(scripts, pwshcheck.Script{From: "server page #" + c.AttrOr("id", ""), Text: txt})
		if cmdVar.MatchString(txt) {
			t.Errorf("a cmd variable in a PowerShell command: %q", txt)
		}
		if strings.Contains(txt, "apppool") {
			pool = append(pool, txt)
		}
	}
	want := `& "$env:windir\system32\inetsrv\appcmd.exe" start apppool /apppool.name:"WsusPool"`
	if len(pool) < 4 || !slices.Contains(pool, want) {
		t.Errorf("pool commands %q, want four including %q", pool, want)
	}
	// The ACL grants name NETWORK SERVICE by SID (names differ by language).
	if got := p.find(t, "#fix-acl-3").Text(); got != `icacls "C:\Program Files\Update Services\WebServices" /grant '*S-1-5-20:(OI)(CI)RX'` {
		t.Errorf("WebServices grant %q", got)
	}
	// Every command the page shows parses as PowerShell.
	pwshcheck.Parse(t, "..", scripts)
}
