package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// gapRule describes one category of DESIGN §6 for its finding.
type gapRule struct {
	what, source string
	steps        func(e *eval, g probes.GapCount) []probes.Step
}

// sample is a client of the category to run a step against: the first
// example, else a prompt (PowerShell asks for the name when run).
func sample(g probes.GapCount) string {
	for _, s := range g.Samples {
		if quoted, ok := quote(s.Name); ok && s.Name != "" {
			return quoted
		}
	}
	return "(Read-Host 'Name of one of these computers')"
}

const (
	policyKey = `HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate`
)

// scanNow makes a Windows client scan against its WSUS server now
// (probes.ScanNow: the Windows Update Agent's COM API).
func scanNow(text string) probes.Step { return probes.ScanNow(text) }

var gapRules = map[string]gapRule{
	probes.GapPolicyOff: {"%s clients do not use WSUS: the policy is off, Automatic Updates is disabled, or Windows Update/BITS is disabled", "client reports",
		func(e *eval, g probes.GapCount) []probes.Step {
			return []probes.Step{
				ps("On one of them, see whether the WSUS policy applies and which GPO sets it", "gpresult /r /scope computer"),
				ps("Enable \"Configure Automatic Updates\" and \"Specify intranet Microsoft update service location\" in the GPO linked to their OU, then refresh the policy on the client", "gpupdate /force"),
				ps("Make sure the services may start (on the client)", "Set-Service wuauserv -StartupType Manual; Set-Service BITS -StartupType Manual; Start-Service 'BITS', 'wuauserv'"),
			}
		}},
	probes.GapWrongServer: {"%s clients belong elsewhere: their policy names another or an unknown server, or another server now has them", "client reports and the servers' lists",
		func(e *eval, g probes.GapCount) []probes.Step {
			return []probes.Step{
				ps("On one of them, see which server its policy names", `Get-ItemProperty -Path '`+policyKey+`' | Format-List 'WUServer', 'WUStatusServer'`),
				ps("Fix the URL in the GPO when it names a wrong or retired server, then refresh the policy on the client", "gpupdate /force"),
				ps("Remove an obsolete entry from this server's list (on the WSUS server)", "Get-WsusComputer -NameIncludes "+sample(g)+" | Remove-WsusComputer"),
			}
		}},
	probes.GapBadURL: {"%s clients have a wrong WSUS URL: a missing or wrong port, the wrong scheme, or a statistics server that differs", "client reports",
		func(e *eval, g probes.GapCount) []probes.Step {
			return []probes.Step{
				ps("On one of them, read both URLs", `Get-ItemProperty -Path '`+policyKey+`' | Format-List 'WUServer', 'WUStatusServer'`),
				note("In \"Specify intranet Microsoft update service location\", set both to " + e.serverURL() + " (the full address with its port)"),
				ps("Refresh the policy on the client", "gpupdate /force"),
				scanNow("Make it scan now"),
			}
		}},
	probes.GapDuplicateID: {"%s clients share a SusClientId with another computer (cloned images): WSUS sees them as one", "client reports and the servers' lists",
		func(e *eval, g probes.GapCount) []probes.Step {
			return []probes.Step{
				ps("On each clone, give it a new WSUS identity (elevated, on the client)",
					`Stop-Service wuauserv; Remove-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate' -Name 'SusClientId', 'SusClientIdValidation' -ErrorAction SilentlyContinue; Start-Service wuauserv`),
				scanNow("Make it register with the new identity"),
				ps("Fix the image: generalize it with Sysprep before cloning (on the reference machine)", `& "$env:windir\system32\sysprep\sysprep.exe" /generalize /oobe /shutdown`),
			}
		}},
	probes.GapExpectedMissing: {"%s computers should use this server but are not on its list", "the directory inventory and client reports",
		func(e *eval, g probes.GapCount) []probes.Step {
			return []probes.Step{
				ps("On one of them, check the WSUS policy reaches it (GPO linked to its OU, security filtering)", "gpresult /r /scope computer"),
				ps("Run the client collector there: it records its policy and its own view of this server's vDirs in a file you can upload",
					`.\Send-WsusFleetClientReport.ps1 -OutFile "$env:TEMP\wsusfleet-client.json"`),
				scanNow("Make it register now"),
			}
		}},
	probes.GapNeverReported: {"%s clients are listed but never sent a status report", "the server's client list",
		func(e *eval, g probes.GapCount) []probes.Step {
			return []probes.Step{
				ps("On one of them, read the Windows Update log for reporting errors",
					`Get-WindowsUpdateLog -LogPath "$env:TEMP\WindowsUpdate.log"; Select-String -Path "$env:TEMP\WindowsUpdate.log" -Pattern 'report|0x8024' | Select-Object -Last 40`),
				ps("From that client, check ReportingWebService answers (200 expected)",
					`$status = (Get-ItemProperty -Path '`+policyKey+`').WUStatusServer; (Invoke-WebRequest -UseBasicParsing -Uri "$status/ReportingWebService/ReportingWebService.asmx").StatusCode`),
				scanNow("Make it scan and report"),
			}
		}},
	probes.GapScanOKReportStale: {"%s clients scan but their status reports do not arrive (a statistics-server problem)", "the server's client list",
		func(e *eval, g probes.GapCount) []probes.Step {
			return []probes.Step{
				ps("On one of them, check WUStatusServer equals WUServer", `Get-ItemProperty -Path '`+policyKey+`' | Format-List 'WUServer', 'WUStatusServer'`),
				ps("Check ReportingWebService on this server answers 200 (anonymous authentication on)",
					`(Invoke-WebRequest -UseBasicParsing -Uri `+q(strings.TrimRight(e.serverURL(), "/")+"/ReportingWebService/ReportingWebService.asmx")+`).StatusCode`),
			}
		}},
	probes.GapStaleReport: {"%s clients have not sent a status report for more than the stale threshold", "the server's client list",
		func(e *eval, g probes.GapCount) []probes.Step {
			host, port := hostPort(e.serverURL())
			return []probes.Step{
				ps("Check one of them is on and reachable", "Test-NetConnection "+sample(g)+" -CommonTCPPort WINRM"),
				ps("From that client, check it reaches this server's WSUS port", "Test-NetConnection "+q(host)+" -Port "+port),
				ps("Run the client collector on it: its policy and its own view of the vDirs, in a file you can upload",
					`.\Send-WsusFleetClientReport.ps1 -OutFile "$env:TEMP\wsusfleet-client.json"`),
			}
		}},
	probes.GapRemoved: {"%s clients dropped off the server's list", "the server's client list",
		func(e *eval, g probes.GapCount) []probes.Step {
			return []probes.Step{
				scanNow("If they still exist, they register again at their next detection; force it on one"),
				note("If they were retired, nothing to do (WSUS cleanup removes computers that stopped reporting)"),
			}
		}},
}

// silentCategories are the categories a server-wide cause can explain:
// clients that stopped reporting.
var silentCategories = []string{probes.GapNeverReported, probes.GapScanOKReportStale, probes.GapStaleReport}

// gapFindings: one finding per gap category the server's clients are in.
// Clients that went silent after a server-wide cause began are explained by
// it (DESIGN §6): attributed, not listed as thousands of problems.
func gapFindings(e *eval) []probes.Finding {
	var out []probes.Finding
	counts := map[string]int64{}
	for _, g := range e.Gaps {
		counts[g.Category] += g.Count
	}
	e.gapsCount = probes.GapsCount(e.st.ClientSummary.Total, counts, e.GapWarningShare)
	for _, g := range e.Gaps {
		r, ok := gapRules[g.Category]
		if !ok || g.Count == 0 {
			continue
		}
		title := strings.ReplaceAll(fmt.Sprintf(r.what, probes.FormatCount(g.Count)), "the stale threshold", e.staleAfterText())
		ev := []probes.Evidence{{Fact: title, Source: r.source, At: e.now}}
		for _, smp := range g.Samples {
			ev = append(ev, probes.Evidence{Fact: smp.Name + ": " + smp.Detail, Source: r.source, At: e.now})
		}
		f := finding(g.Category, ev, r.steps(e, g)...)
		f.Rule, f.Title = g.Category, title
		f.Severity = e.gapSeverity(g.Category)
		if f.Severity == probes.SeverityInfo && gapSeverity(g.Category) != probes.SeverityInfo {
			f.Summary = e.belowShare()
		}
		if slices.Contains(silentCategories, g.Category) {
			e.attribute(&f, g)
		}
		out = append(out, f)
	}
	return out
}

// attribute names the first server-wide cause that explains most of a
// category's clients: one that breaks what they fail at and began before
// they went silent.
func (e *eval) attribute(f *probes.Finding, g probes.GapCount) {
	var later []string
	for _, c := range e.causes {
		if !c.breaks(g.Category) {
			continue
		}
		explained, newest := e.attribution(c, g.Category, g.Count)
		if 2*explained < g.Count {
			later = append(later, fmt.Sprintf("%q began after these clients went silent (%s; their newest report is from %s)", c.title, c.began, formatDay(newest)))
			continue
		}
		f.Cause, f.CauseSubject = c.rule, c.subject
		f.Severity = probes.SeverityInfo
		f.Summary = fmt.Sprintf("Explained by %q on this server: fix that and these clients report again.", c.title)
		if cf, ok := e.firing(c.rule); ok && cf.Cause != "" && cf.CauseServer == "" {
			if root, ok := e.firing(cf.Cause); ok {
				f.Summary = fmt.Sprintf("Explained by %q on this server, itself explained by %q: fix that and these clients report again.", c.title, root.Title)
			}
		}
		if explained < g.Count {
			f.Summary += fmt.Sprintf(" %s went silent before it began and need a look of their own.", probes.Plural(g.Count-explained, "client", "clients"))
			f.Severity = e.gapSeverity(g.Category)
		}
		return
	}
	if len(later) > 0 {
		f.Summary = "Not explained by a server-wide finding: " + strings.Join(later, "; ") + "."
	}
}

// staleAfterText says the stale threshold the way a title does: "7 days",
// "1 day", "36 hours".
func (e *eval) staleAfterText() string {
	d := e.StaleAfter
	if d <= 0 {
		d = 7 * 24 * time.Hour
	}
	switch {
	case d%(24*time.Hour) == 0:
		return probes.Plural(int64(d/(24*time.Hour)), "day", "days")
	case d%time.Hour == 0:
		return probes.Plural(int64(d/time.Hour), "hour", "hours")
	}
	return d.String()
}

// gapSeverity is a category's severity on this server: its own while the
// server's gaps count against its status (GapsCount), information below the
// configured share.
func (e *eval) gapSeverity(category string) string {
	if !e.gapsCount {
		return probes.SeverityInfo
	}
	return gapSeverity(category)
}

// belowShare says why a gap finding does not raise the server's status.
func (e *eval) belowShare() string {
	share := e.GapWarningShare
	if share <= 0 {
		share = probes.DefaultGapWarningShare
	}
	return fmt.Sprintf("Few of the server's %s are in reporting gaps (at most %s): a look at these machines is enough; the server's status stays as its own health says.",
		probes.Plural(e.st.ClientSummary.Total, "listed client", "listed clients"), percent(share))
}

// percent writes a share as a whole percentage ("25 %").
func percent(share float64) string { return fmt.Sprintf("%.0f %%", 100*share) }

func gapSeverity(category string) string {
	switch category {
	case probes.GapBadURL, probes.GapPolicyOff, probes.GapWrongServer, probes.GapDuplicateID, probes.GapExpectedMissing, probes.GapStaleReport,
		probes.GapScanOKReportStale, probes.GapNeverReported:
		return probes.SeverityWarning
	}
	return probes.SeverityInfo
}
