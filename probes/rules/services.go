package rules

import (
	"strings"
	"time"

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

func (e *eval) serviceEvidence(s probes.Service) probes.Evidence {
	fact := s.Name + " is " + s.State
	if s.StartType != "" {
		fact += " (start type " + s.StartType + ")"
	}
	return probes.Evidence{Fact: fact, Source: "services", At: e.st.Collected[probes.SectionServices]}
}

// wsusServiceStopped: WsusService must run (event 507: it failed its
// initialization and stopped).
func wsusServiceStopped(e *eval) []probes.Finding {
	var ev []probes.Evidence
	s, ok := e.service("WsusService")
	if ok && s.State != "Running" {
		ev = append(ev, e.serviceEvidence(s))
	}
	stopped := e.wsusEvents(func(ev probes.Event, k knownEvent, known bool) bool { return known && k.id == 507 })
	if !ok || s.State != "Running" || e.st.Collected[probes.SectionServices].Before(e.latestEvent(stopped)) {
		ev = append(ev, e.claim(stopped)...)
	} else {
		e.claim(stopped) // it failed once and runs again: no finding
	}
	if len(ev) == 0 {
		return nil
	}
	f := finding("WsusService", ev,
		ps("Start the service and make it start with Windows", "Set-Service WsusService -StartupType Automatic; Start-Service WsusService"),
		ps("If it stops again, read why", `Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='Windows Server Update Services'} -MaxEvents 20 | Format-List 'TimeCreated', 'Id', 'Message'`))
	e.addCause(f, nil, timeZero, "")
	return []probes.Finding{f}
}

// iisStopped: W3SVC serves every vDir.
func iisStopped(e *eval) []probes.Finding {
	s, ok := e.service("W3SVC")
	if !ok || s.State == "Running" {
		return nil
	}
	f := finding("W3SVC", []probes.Evidence{e.serviceEvidence(s)},
		ps("Start IIS (and the Windows Process Activation Service it needs)", "Set-Service W3SVC -StartupType Automatic; Start-Service 'WAS', 'W3SVC'"))
	e.addCause(f, nil, timeZero, "")
	return []probes.Finding{f}
}

// current reports whether an SDLog issue is still going on: logged within
// the last hour of the log.
func (e *eval) current(i probes.SDLogIssue) bool {
	return e.st.SDLog != nil && e.st.SDLog.Last.Sub(i.Last.Time) <= time.Hour
}

func (e *eval) sdlogIssues(kinds ...string) []probes.SDLogIssue {
	if e.st.SDLog == nil {
		return nil
	}
	var out []probes.SDLogIssue
	for _, i := range e.st.SDLog.Issues {
		if slicesContains(kinds, i.Kind) {
			out = append(out, i)
		}
	}
	return out
}

// databaseUnavailable: SUSDB must be reachable, on WID or SQL Server.
func databaseUnavailable(e *eval) []probes.Finding {
	var ev []probes.Evidence
	var svc string
	for _, s := range e.st.Services {
		n := strings.ToUpper(s.Name)
		if (strings.HasPrefix(n, "MSSQL$") || n == "MSSQLSERVER") && s.State != "Running" {
			svc = s.Name
			ev = append(ev, e.serviceEvidence(s))
		}
	}
	ev = append(ev, e.claim(e.wsusEvents(func(ev probes.Event, _ knownEvent, _ bool) bool {
		return isError(ev) && exceptionKind(ev.Message) == exDatabase
	}))...)
	for _, i := range e.sdlogIssues(probes.SDLogSQLUnavailable) {
		if e.current(i) {
			ev = append(ev, e.sdlogEvidence(i))
		}
	}
	if len(ev) == 0 {
		return nil
	}
	start := ps("Start the Windows Internal Database (or the SQL Server instance that holds SUSDB)", "Start-Service 'MSSQL$MICROSOFT##WID'")
	if svc != "" {
		start = ps("Start the database service", "Start-Service "+q(svc))
	}
	f := finding("", ev, start,
		ps("Check that SUSDB answers (Windows Internal Database shown; for SQL Server use sqlcmd -S with the server and instance WSUS uses)",
			widQuery+` -Q "SELECT state_desc FROM sys.databases WHERE name = 'SUSDB'"`),
		ps("Restart WSUS once the database is up", "Restart-Service WsusService"))
	e.addCause(f, nil, timeZero, "")
	return []probes.Finding{f}
}

// databasePerformance: SUSDB answers too slowly — SQL timeouts and deadlocks
// in SoftwareDistribution.log or the event log. Client scans then fail with
// 500 after tens of seconds; the fix is database maintenance.
func databasePerformance(e *eval) []probes.Finding {
	var ev []probes.Evidence
	for _, i := range e.sdlogIssues(probes.SDLogSQLTimeout, probes.SDLogSQLDeadlock) {
		ev = append(ev, e.sdlogEvidence(i))
	}
	ev = append(ev, e.claimEvents(exSQLTimeout)...)
	if len(ev) == 0 {
		return nil
	}
	f := finding("", ev,
		ps("Reindex SUSDB with Microsoft's WSUS database maintenance script (saved as WsusDBMaintenance.sql; Windows Internal Database shown)", widQuery+` -i WsusDBMaintenance.sql`),
		ps("Remove what scans no longer need", "Invoke-WsusServerCleanup -DeclineSupersededUpdates -DeclineExpiredUpdates -CleanupObsoleteUpdates -CompressUpdates -CleanupObsoleteComputers -CleanupUnneededContentFiles"),
		ps("Decline superseded updates so scans evaluate fewer",
			`Get-WsusUpdate -Classification All -Approval AnyExceptDeclined -Status Any | Where-Object { $_.Update.IsSuperseded } | Deny-WsusUpdate`))
	f.Summary = "SUSDB does not answer in time: WSUS requests (client scans, reports, the console) time out while it struggles."
	return []probes.Finding{f}
}

// isPort80SelfUpdate reports whether a check is the extra SelfUpdate check
// on port 80 of a server whose WSUS port is another: served by the Default
// Web Site, for clients that look there.
func (e *eval) isPort80SelfUpdate(c probes.ObservedCheck) bool {
	if c.VDir != "SelfUpdate" {
		return false
	}
	_, port := hostPort(c.URL)
	return port != e.serverPort() && strings.HasPrefix(strings.ToLower(c.URL), "http:")
}

// selfUpdateBroken: the SelfUpdate tree must answer on the WSUS port (event
// 506: "The SelfUpdate Tree is not working").
func selfUpdateBroken(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool {
		return c.VDir == "SelfUpdate" && c.Verdict == probes.VerdictFault && !e.isPort80SelfUpdate(c)
	})
	e.explain(idx)
	ev := e.checkEvidence(idx)
	ev = append(ev, e.claim(e.wsusEvents(func(ev probes.Event, k knownEvent, known bool) bool { return known && k.id == 506 }))...)
	if len(ev) == 0 {
		return nil
	}
	site := q(e.site())
	return []probes.Finding{finding("SelfUpdate", ev,
		ps("Check the selfupdate vDir of the WSUS site and the folder it maps to",
			`Import-Module WebAdministration; Get-WebVirtualDirectory -Site `+site+` -Name selfupdate | Format-List 'Path', 'PhysicalPath'; Test-Path "$env:ProgramFiles\Update Services\Selfupdate\wuident.cab"`),
		e.authStep("Selfupdate", "anonymousAuthentication", true, "Make sure anonymous authentication is on there"),
		iisreset())}
}

// selfUpdatePort80: clients of a WSUS server on 8530 fetch the agent's
// self-update from the WSUS port; only legacy agents still look on port 80
// (DESIGN §7.1), so a missing port-80 tree is a warning, never a fault of
// the SelfUpdate vDir.
func selfUpdatePort80(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool { return e.isPort80SelfUpdate(c) && c.Verdict != probes.VerdictOK })
	if len(idx) == 0 {
		return nil
	}
	e.explain(idx)
	c := e.check(idx[0])
	var steps []probes.Step
	host, _ := hostPort(c.URL)
	if c.Status == 0 {
		steps = append(steps,
			ps("On the server: is a site listening on port 80, and does the firewall let it in?",
				`Import-Module WebAdministration; Get-Website | Format-Table 'Name', 'State', @{n='Bindings'; e={$_.Bindings.Collection.bindingInformation}}; Get-NetTCPConnection -LocalPort 80 -State Listen -ErrorAction SilentlyContinue`),
			ps("From a client, check port 80 of the server", "Test-NetConnection "+q(host)+" -Port 80"))
	}
	steps = append(steps,
		ps("Give the Default Web Site (port 80) a selfupdate vDir mapped to WSUS's Selfupdate folder, as WSUS setup does",
			appcmd+` add vdir /app.name:"Default Web Site/" /path:/selfupdate /physicalPath:"$env:ProgramFiles\Update Services\Selfupdate"`),
		ps("Let anonymous clients read it", appcmd+` set config "Default Web Site/selfupdate" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:"True" /commit:apphost`))
	_, port := hostPort(c.URL)
	f := finding("SelfUpdate port "+port, e.checkEvidence(idx), steps...)
	f.Title = "SelfUpdate is not served on port " + port + " (legacy clients only)"
	f.Summary = "Current clients fetch SelfUpdate on the WSUS port, where it answers; only older Windows Update agents also look on port 80."
	if ok := !e.hasFired("selfupdate_broken"); ok {
		f.Summary = "SelfUpdate answers on the WSUS port; only older Windows Update agents also look for it on port 80."
	}
	return []probes.Finding{f}
}
