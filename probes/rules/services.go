package rules

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

func (e *eval) service(name string) (probes.Service, bool) {
	for _, s := range e.st.Services {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return probes.Service{}, false
}

// wsusServiceStopped: WsusService must run (event 507: it failed its
// initialization and stopped).
func wsusServiceStopped(e *eval) []probes.Finding {
	var ev []probes.Evidence
	if s, ok := e.service("WsusService"); ok && s.State != "Running" {
		ev = append(ev, probes.Evidence{Fact: "WsusService is " + s.State + " (start type " + s.StartType + ")", Source: "services", At: e.st.Collected[probes.SectionServices]})
	}
	for _, x := range e.events(507) {
		ev = append(ev, e.eventEvidence(x))
	}
	if len(ev) == 0 {
		return nil
	}
	return []probes.Finding{finding("WsusService", ev,
		step("Start the service and make it start with Windows", "Set-Service WsusService -StartupType Automatic; Start-Service WsusService"),
		step("If it stops again, read why", `Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='Windows Server Update Services'} -MaxEvents 20 | Format-List TimeCreated, Id, Message`))}
}

// iisStopped: W3SVC serves every vDir.
func iisStopped(e *eval) []probes.Finding {
	s, ok := e.service("W3SVC")
	if !ok || s.State == "Running" {
		return nil
	}
	return []probes.Finding{finding("W3SVC", []probes.Evidence{{Fact: "W3SVC (IIS) is " + s.State, Source: "services", At: e.st.Collected[probes.SectionServices]}},
		step("Start IIS", "Set-Service W3SVC -StartupType Automatic; Start-Service W3SVC, WAS"))}
}

// databaseUnavailable: SUSDB must be reachable, on WID or SQL Server.
func databaseUnavailable(e *eval) []probes.Finding {
	var ev []probes.Evidence
	var svc string
	for _, s := range e.st.Services {
		n := strings.ToUpper(s.Name)
		if (strings.HasPrefix(n, "MSSQL$") || n == "MSSQLSERVER") && s.State != "Running" {
			svc = s.Name
			ev = append(ev, probes.Evidence{Fact: s.Name + " is " + s.State, Source: "services", At: e.st.Collected[probes.SectionServices]})
		}
	}
	for _, x := range e.st.Events {
		m := strings.ToLower(x.Message)
		if x.Level == "Error" && (strings.Contains(m, "susdb") || strings.Contains(m, "sql server") || strings.Contains(m, "database")) &&
			(strings.Contains(m, "connect") || strings.Contains(m, "unavailable") || strings.Contains(m, "not accessible")) {
			ev = append(ev, e.eventEvidence(x))
		}
	}
	if len(ev) == 0 {
		return nil
	}
	start := "Start-Service 'MSSQL$MICROSOFT##WID'"
	if svc != "" {
		start = "Start-Service '" + svc + "'"
	}
	return []probes.Finding{finding("", ev,
		step("Start the database service (WID, or the SQL Server instance that holds SUSDB)", start),
		step("Check that SUSDB answers (WID shown; for SQL Server use -S <server>\\<instance>)", `sqlcmd -S np:\\.\pipe\MICROSOFT##WID\tsql\query -E -Q "SELECT state_desc FROM sys.databases WHERE name = 'SUSDB'"`),
		step("Restart WSUS once the database is up", "Restart-Service WsusService"))}
}

// selfUpdateBroken: the SelfUpdate tree must answer on the WSUS port and on
// port 80 (event 506: "The SelfUpdate Tree is not working").
func selfUpdateBroken(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool { return c.VDir == "SelfUpdate" && c.Verdict == probes.VerdictFault })
	e.explain(idx)
	ev := e.checkEvidence(idx)
	for _, x := range e.events(506) {
		ev = append(ev, e.eventEvidence(x))
	}
	if len(ev) == 0 {
		return nil
	}
	return []probes.Finding{finding("SelfUpdate", ev,
		step("Check the selfupdate vDir of the WSUS site", `Get-WebVirtualDirectory -Site "WSUS Administration" -Name selfupdate`),
		step("Clients of WSUS on 8530 also fetch it on port 80: give the Default Web Site a selfupdate vDir",
			appcmd+` add vdir /app.name:"Default Web Site/" /path:/selfupdate /physicalPath:"%ProgramFiles%\Update Services\SelfUpdate"`),
		authStep("selfupdate", "anonymousAuthentication", true, "Make sure anonymous authentication is on there"),
		iisreset())}
}
