package probes

// ScanNowCommand makes a Windows client scan against its WSUS server now
// through the Windows Update Agent's COM API, which every Windows version
// has: wuauclt /detectnow and /reportnow do nothing on Windows 10 and
// later, and usoclient is undocumented. The agent reports its status to
// WSUS after the scan.
const ScanNowCommand = `$searcher = (New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher(); $result = $searcher.Search('IsInstalled=0 and IsHidden=0'); "$($result.Updates.Count) updates applicable; the client reports its status to WSUS after the scan"`

// ScanNow is the step that makes a client scan and report now (on the
// client, elevated).
func ScanNow(text string) Step {
	return Step{Text: text + " (on the client, elevated)", Command: ScanNowCommand, Shell: ShellPowerShell}
}

// inPowerShell marks the steps with a command and no shell as PowerShell,
// the shell the client fixes and the error catalogue are written for.
func inPowerShell(steps []Step) []Step {
	out := make([]Step, len(steps))
	for i, s := range steps {
		if s.Command != "" && s.Shell == "" {
			s.Shell = ShellPowerShell
		}
		out[i] = s
	}
	return out
}
