package rules

import (
	"fmt"
	"slices"

	"github.com/wsusfleet/wsusfleet/probes"
)

// serverWideCauses explain a server's stale clients when one holds: the
// clients are attributed to it rather than listed as thousands of problems.
var serverWideCauses = []string{"server_unreachable", "wsuspool_stopped", "wsus_service_stopped", "iis_stopped", "database_unavailable",
	"ssl_cert_invalid", "anonymous_auth_disabled", "iusr_credentials", "aspnet_impersonation", "ssl_required_wrong", "client_cert_required", "ntfs_acl"}

// gapRule describes one category of DESIGN §6 for its finding.
type gapRule struct {
	category, what, source string
	steps                  []probes.Step
}

var gapRules = map[string]gapRule{
	probes.GapPolicyOff: {probes.GapPolicyOff, "%d clients do not use WSUS: the policy is off, Automatic Updates is disabled, or Windows Update/BITS is disabled", "client reports", []probes.Step{
		step("On one of them, see whether the WSUS policy applies and which GPO sets it", "gpresult /r /scope computer"),
		step("Enable \"Configure Automatic Updates\" and \"Specify intranet Microsoft update service location\" in the GPO linked to their OU, then refresh", "gpupdate /force"),
		step("Make sure the services may start", "Set-Service wuauserv -StartupType Manual; Set-Service BITS -StartupType Manual; Start-Service BITS, wuauserv"),
	}},
	probes.GapWrongServer: {probes.GapWrongServer, "%d clients belong elsewhere: their policy names another or an unknown server, or another server now has them", "client reports and the servers' lists", []probes.Step{
		step("See which server a client's policy names", `reg query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /v WUServer`),
		step("Fix the URL in the GPO when it names a wrong or retired server, then refresh", "gpupdate /force"),
		step("Remove obsolete entries from this server's list", "Get-WsusComputer -NameIncludes <name> | Remove-WsusComputer"),
	}},
	probes.GapBadURL: {probes.GapBadURL, "%d clients have a wrong WSUS URL: the port is missing or the statistics server differs", "client reports", []probes.Step{
		step("Set both URLs to the same full address with the port (e.g. http://wsus01.corp.example:8530) in \"Specify intranet Microsoft update service location\"",
			`reg query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /v WUServer & reg query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /v WUStatusServer`),
		step("Refresh the policy and scan again", "gpupdate /force & usoclient StartScan"),
	}},
	probes.GapDuplicateID: {probes.GapDuplicateID, "%d clients share a SusClientId with another computer (cloned images): WSUS sees them as one", "client reports and the servers' lists", []probes.Step{
		step("On each clone, reset its WSUS identity",
			`net stop wuauserv & reg delete "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate" /v SusClientId /f & reg delete "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate" /v SusClientIdValidation /f & net start wuauserv & wuauclt /resetauthorization /detectnow`),
		step("Fix the image: generalize it with Sysprep before cloning", `%windir%\system32\sysprep\sysprep.exe /generalize /oobe /shutdown`),
	}},
	probes.GapExpectedMissing: {probes.GapExpectedMissing, "%d computers should use this server but are not on its list", "the directory inventory and client reports", []probes.Step{
		step("On one of them, check the WSUS policy reaches it (GPO linked to its OU, security filtering)", "gpresult /r /scope computer"),
		step("Check it can reach this server's vDirs (run the client collector, or probe from its subnet)", `.\Send-WsusFleetClientReport.ps1 -OutFile C:\Temp\report.json`),
		step("Make it register now", "usoclient StartScan"),
	}},
	probes.GapNeverReported: {probes.GapNeverReported, "%d clients are listed but never sent a status report", "the server's client list", []probes.Step{
		step("On one of them, read the Windows Update log for reporting errors", "Get-WindowsUpdateLog; Select-String -Path $env:USERPROFILE\\Desktop\\WindowsUpdate.log -Pattern 'report|0x8024'"),
		step("Check ReportingWebService answers from the client (200 expected)", "Invoke-WebRequest -UseBasicParsing <WUStatusServer>/ReportingWebService/ReportingWebService.asmx"),
		step("Make it report", "usoclient StartScan & wuauclt /reportnow"),
	}},
	probes.GapScanOKReportStale: {probes.GapScanOKReportStale, "%d clients scan but their status reports do not arrive (a statistics-server problem)", "the server's client list", []probes.Step{
		step("Check WUStatusServer equals WUServer on the clients", `reg query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /v WUStatusServer`),
		step("Check ReportingWebService on the server (anonymous authentication on, 200 expected)", `wsusfleet probe --server <this server's URL>`),
	}},
	probes.GapStaleReport: {probes.GapStaleReport, "%d clients have not sent a status report for more than 7 days", "the server's client list", []probes.Step{
		step("Check a sample of them is on and reaches this server", "Test-NetConnection <client> -CommonTCPPort WINRM"),
		step("Run the client collector on one to see its policy and its view of the vDirs", `.\Send-WsusFleetClientReport.ps1 -Dashboard <dashboard URL> -Token <ingest token>`),
	}},
	probes.GapRemoved: {probes.GapRemoved, "%d clients dropped off the server's list", "the server's client list", []probes.Step{
		step("If they still exist, they will register again at their next detection; force it on one", "usoclient StartScan"),
		step("If they were retired, nothing to do (WSUS cleanup removes computers that stopped reporting)", ""),
	}},
}

// gapFindings: one finding per gap category the server's clients are in.
func gapFindings(e *eval) []probes.Finding {
	cause := ""
	for _, id := range serverWideCauses {
		if slices.Contains(e.fired, id) {
			cause = id
			break
		}
	}
	var out []probes.Finding
	for _, g := range e.Gaps {
		r, ok := gapRules[g.Category]
		if !ok || g.Count == 0 {
			continue
		}
		ev := []probes.Evidence{{Fact: fmt.Sprintf(r.what, g.Count), Source: r.source, At: e.now}}
		for _, smp := range g.Samples {
			ev = append(ev, probes.Evidence{Fact: smp.Name + ": " + smp.Detail, Source: r.source, At: e.now})
		}
		f := finding(g.Category, ev, r.steps...)
		f.Rule, f.Title = g.Category, fmt.Sprintf(r.what, g.Count)
		f.Severity = gapSeverity(g.Category)
		if cause != "" && slices.Contains([]string{probes.GapNeverReported, probes.GapScanOKReportStale, probes.GapStaleReport}, g.Category) {
			f.Cause, f.Severity = cause, probes.SeverityInfo
			f.Summary = "Explained by this server's " + cause + " finding: fix that and these clients report again."
		}
		out = append(out, f)
	}
	return out
}

func gapSeverity(category string) string {
	switch category {
	case probes.GapBadURL, probes.GapPolicyOff, probes.GapWrongServer, probes.GapDuplicateID, probes.GapExpectedMissing, probes.GapStaleReport,
		probes.GapScanOKReportStale, probes.GapNeverReported:
		return probes.SeverityWarning
	}
	return probes.SeverityInfo
}
