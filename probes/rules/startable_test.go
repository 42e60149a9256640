package rules

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
)

func TestStartedServices(t *testing.T) {
	for cmd, want := range map[string]string{
		"iisreset":                              "WAS W3SVC",
		"iisreset; Restart-Service WsusService": "WAS W3SVC WsusService",
		"Set-Service W3SVC -StartupType Automatic; Start-Service 'WAS', 'W3SVC'": "WAS W3SVC",
		"Start-Service 'MSSQL$MICROSOFT##WID'":                                   "MSSQL$MICROSOFT##WID",
		"Start-Service -Name BITS, wuauserv":                                     "BITS wuauserv",
		`& "$env:ProgramFiles\Update Services\Tools\wsusutil.exe" checkhealth`:   "",
		"Get-Service W3SVC | Format-List 'Status'":                               "",
		"Write-Output 'no iisreset needed'":                                      "",
	} {
		if got := strings.Join(startedServices(cmd), " "); got != want {
			t.Errorf("startedServices(%q) = %q, want %q", cmd, got, want)
		}
	}
}

// disabled sets every service a scenario's server reports to start type
// Disabled (states kept), and adds WAS so.
func disabled(st *probes.ServerState) {
	for i := range st.Services {
		st.Services[i].StartType = "Disabled"
	}
	st.Services = append(st.Services, probes.Service{Name: "WAS", State: "Running", StartType: "Disabled"})
}

// No step starts a service whose start type is Disabled without setting it
// first, in any scenario: read from the command's text independently of
// how the rules find the services a command starts.
func TestNoStepStartsADisabledService(t *testing.T) {
	starts := regexp.MustCompile(`(?i)\b(iisreset|start-service|restart-service)\b`)
	for _, sc := range scenarios() {
		f := sc.factsWith(disabled)
		st := f.State
		for _, fd := range Diagnose(f) {
			if isGap(fd.Rule) {
				continue
			}
			for _, step := range fd.Remediation {
				if !starts.MatchString(step.Command) {
					continue
				}
				for _, svc := range st.Services {
					lower := strings.ToLower(step.Command)
					named := strings.Contains(lower, strings.ToLower(svc.Name)) || (strings.Contains(lower, "iisreset") && (svc.Name == "W3SVC" || svc.Name == "WAS"))
					if named && !setsStartType(step.Command, svc.Name) {
						t.Errorf("%s / %s: starts Disabled %s without setting it: %s", sc.name, fd.Rule, svc.Name, step.Command)
					}
				}
			}
		}
	}
}

func isGap(rule string) bool {
	for _, c := range probes.GapCategories() {
		if c == rule {
			return true
		}
	}
	return false
}

func TestDisabledServicesAreSetFirst(t *testing.T) {
	// Anonymous authentication off on ClientWebService, while an admin has
	// disabled IIS's start: the iisreset after the fix would leave IIS down.
	st := healthy()
	cfg(st, "ClientWebService", func(c *probes.VDirConfig) { c.Anonymous = false })
	st.Services[1].StartType = "Disabled"
	got := Diagnose(probes.Facts{State: st, Now: now})
	if len(got) == 0 || got[0].Rule != "anonymous_auth_disabled" {
		t.Fatalf("got %v", rulesOf(got))
	}
	last := got[0].Remediation[len(got[0].Remediation)-1]
	if last.Command != "Set-Service -Name 'W3SVC' -StartupType Automatic; iisreset" || !strings.Contains(last.Text, "W3SVC is Disabled") {
		t.Errorf("iisreset step: %q / %q", last.Text, last.Command)
	}

	// The Windows Internal Database stopped and disabled.
	st = healthy()
	st.Services[2] = probes.Service{Name: "MSSQL$MICROSOFT##WID", State: "Stopped", StartType: "Disabled"}
	got = Diagnose(probes.Facts{State: st, Now: now})
	if len(got) == 0 || got[0].Rule != "database_unavailable" ||
		got[0].Remediation[0].Command != "Set-Service -Name 'MSSQL$MICROSOFT##WID' -StartupType Automatic; Start-Service 'MSSQL$MICROSOFT##WID'" {
		t.Errorf("database: %v %+v", rulesOf(got), got)
	}

	// IIS stopped and WAS disabled: W3SVC's start type is already set by
	// the step; WAS gets its usual Manual.
	st = healthy()
	st.Services[1] = probes.Service{Name: "W3SVC", State: "Stopped", StartType: "Manual"}
	st.Services = append(st.Services, probes.Service{Name: "WAS", State: "Stopped", StartType: "Disabled"})
	got = Diagnose(probes.Facts{State: st, Now: now})
	if len(got) == 0 || got[0].Rule != "iis_stopped" ||
		got[0].Remediation[0].Command != "Set-Service -Name 'WAS' -StartupType Manual; Set-Service W3SVC -StartupType Automatic; Start-Service 'WAS', 'W3SVC'" {
		t.Errorf("IIS: %v %+v", rulesOf(got), got)
	}

	// Start types that let a service start leave the steps alone.
	st = healthy()
	cfg(st, "ClientWebService", func(c *probes.VDirConfig) { c.Anonymous = false })
	st.Services[1].StartType = "Manual"
	got = Diagnose(probes.Facts{State: st, Now: now})
	if last := got[0].Remediation[len(got[0].Remediation)-1]; last.Command != "iisreset" {
		t.Errorf("a Manual W3SVC: %q", last.Command)
	}
}
