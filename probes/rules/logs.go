package rules

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

const sdlogPath = `"$env:ProgramFiles\Update Services\LogFiles\SoftwareDistribution.log"`

// invalidParameters: ClientWebService refuses clients' requests with
// InvalidParameters (SoftwareDistribution.log; clients log 0x80244007).
// When the parameter is InstalledNonLeafUpdateIDs, the client has more
// installed prerequisites than ClientWebService accepts (Microsoft Learn:
// "Error 80244007 when a WSUS client scans for updates"): raise
// maxInstalledPrerequisites in its web.config.
func invalidParameters(e *eval) []probes.Finding {
	issues := e.sdlogIssues(probes.SDLogInvalidParameters)
	if len(issues) == 0 {
		return nil
	}
	var ev []probes.Evidence
	prerequisites := false
	for _, i := range issues {
		ev = append(ev, e.sdlogEvidence(i))
		if strings.Contains(strings.ToLower(i.Example+" "+i.Detail), "installednonleafupdateids") {
			prerequisites = true
		}
	}
	f := finding("", ev)
	if prerequisites {
		f.Title = "Clients' scans are refused: more installed prerequisites than ClientWebService accepts (InvalidParameters)"
		f.Summary = "ClientWebService refuses the scan of clients with many installed updates (InstalledNonLeafUpdateIDs); they log 0x80244007 and never finish a scan."
		f.Severity = probes.SeverityCritical
		f.Remediation = []probes.Step{
			ps("Raise maxInstalledPrerequisites in ClientWebService's web.config from 400 to 800 (elevated; the file is owned by TrustedInstaller)",
				`$cfg = "$env:ProgramFiles\Update Services\WebServices\ClientWebService\Web.config"; takeown /f $cfg /a; icacls $cfg /grant '*S-1-5-32-544:(F)'; `+
					`Copy-Item $cfg "$cfg.bak"; (Get-Content -LiteralPath $cfg) -replace 'key="maxInstalledPrerequisites" value="\d+"', 'key="maxInstalledPrerequisites" value="800"' | Set-Content -LiteralPath $cfg -Encoding UTF8`),
			iisreset(),
		}
		e.addCause(f, []string{"ClientWebService"}, timeZero, "")
		return []probes.Finding{f}
	}
	f.Title = "Clients' requests are refused with InvalidParameters"
	f.Summary = "ClientWebService refused requests as malformed; the message names the parameter it rejected."
	f.Remediation = []probes.Step{
		ps("Read the refusals in SoftwareDistribution.log (the Message names the parameter)", `Select-String -Path `+sdlogPath+` -Pattern 'InvalidParameters' | Select-Object -Last 20`),
		ps("On an affected client, read its side of it", `Get-WindowsUpdateLog -LogPath "$env:TEMP\WindowsUpdate.log"; Select-String -Path "$env:TEMP\WindowsUpdate.log" -Pattern 'InvalidParameters|0x80244007' | Select-Object -Last 20`),
	}
	return []probes.Finding{f}
}

// wsusLogErrors: what else SoftwareDistribution.log says went wrong — SOAP
// exceptions answered to clients or downstream servers, failed content
// downloads, other errors — shown as logged when no rule explains them.
func wsusLogErrors(e *eval) []probes.Finding {
	issues := e.sdlogIssues(probes.SDLogSOAPException, probes.SDLogContentDownload, probes.SDLogOtherError)
	if len(issues) == 0 {
		return nil
	}
	var ev []probes.Evidence
	severity := probes.SeverityInfo
	for _, i := range issues {
		ev = append(ev, e.sdlogEvidence(i))
		if i.Kind != probes.SDLogOtherError && e.current(i) {
			severity = probes.SeverityWarning
		}
	}
	f := finding("SoftwareDistribution.log", ev,
		ps("Read the latest errors in SoftwareDistribution.log", `Select-String -Path `+sdlogPath+` -Pattern 'Error|Exception' | Select-Object -Last 40`),
		checkhealth())
	f.Severity = severity
	return []probes.Finding{f}
}

// slowClients: HTTP.sys dropped connections of clients that sent too slowly
// (Timer_MinBytesPerSecond, Timer_EntityBody, Timer_HeaderWait): slow links
// or clients, not a server fault; Timer_ConnectionIdle is an idle keep-alive
// connection closing and says nothing.
func slowClients(e *eval) []probes.Finding {
	if e.st.HTTPErr == nil {
		return nil
	}
	var ev []probes.Evidence
	for _, g := range e.st.HTTPErr.Groups {
		if reasonIn(g.Reason, []string{"Timer_MinBytesPerSecond", "Timer_EntityBody", "Timer_HeaderWait"}) {
			ev = append(ev, e.httperrEvidence(g))
		}
	}
	if len(ev) == 0 {
		return nil
	}
	f := finding("", ev,
		ps("See which clients and URLs time out (the HTTPERR log is in the System32 LogFiles folder)",
			`Get-ChildItem "$env:windir\System32\LogFiles\HTTPERR\httperr*.log" | Sort-Object LastWriteTime | Select-Object -Last 1 | Get-Content | Select-String 'Timer_'`),
		note("Slow links downloading large content files are the usual reason; BITS resumes them. If a site's clients are all affected, check its WAN link and any proxy in between"))
	return []probes.Finding{f}
}
