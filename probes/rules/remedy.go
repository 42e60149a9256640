package rules

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// The exact commands of the remediation steps, in PowerShell (every step says
// its shell; a cmd step is marked). WSUS runs in the IIS site "WSUS
// Administration" on 8530/8531, or in "Default Web Site" when installed on
// port 80, under the application pool WsusPool (DESIGN §7.1).
const (
	appcmd       = `& "$env:windir\system32\inetsrv\appcmd.exe"`
	wsusutil     = `& "$env:ProgramFiles\Update Services\Tools\wsusutil.exe"`
	defaultSite  = "WSUS Administration"
	port80Site   = "Default Web Site"
	setupKey     = `HKLM:\SOFTWARE\Microsoft\Update Services\Server\Setup`
	widQuery     = `sqlcmd -S np:\\.\pipe\MICROSOFT##WID\tsql\query -E`
	wasEventsCmd = `Get-WinEvent -FilterHashtable @{LogName='System'; ProviderName='Microsoft-Windows-WAS'} -MaxEvents 30 | Format-List 'TimeCreated', 'Id', 'Message'`
)

// ps is a PowerShell step; note is a step without a command.
func ps(text, command string) probes.Step {
	return probes.Step{Text: text, Command: command, Shell: probes.ShellPowerShell}
}

func note(text string) probes.Step { return probes.Step{Text: text} }

// quote single-quotes untrusted text for PowerShell; ok is false when it
// cannot be (control characters).
func quote(s string) (string, bool) { return probes.PSQuote(s) }

// q is quote for text known to be safe (names the rules chose, validated
// host names): control characters are dropped rather than refused.
func q(s string) string {
	out, ok := quote(s)
	if !ok {
		out, _ = quote(strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, s))
	}
	return out
}

func iisreset() probes.Step {
	return ps("Restart IIS so the change takes effect (clients retry within their detection cycle)", "iisreset")
}

// site is the IIS site WSUS runs in: what the configuration says, else
// Default Web Site for a server on port 80 (how WSUS installs there), else
// WSUS Administration.
func (e *eval) site() string {
	for _, c := range e.st.VDirConfig {
		if c.Site != "" {
			return c.Site
		}
	}
	if e.st.Server != nil && (e.st.Server.HTTPPort == 80 || (e.st.Server.HTTPPort == 0 && e.serverPort() == "80")) {
		return port80Site
	}
	return defaultSite
}

func (e *eval) serverPort() string {
	_, port := hostPort(e.serverURL())
	return port
}

// location is the configuration path of a vDir, quoted for appcmd.
func (e *eval) location(vdir string) string {
	return `"` + strings.ReplaceAll(e.site(), `"`, "") + "/" + vdir + `"`
}

func (e *eval) authStep(vdir, method string, on bool, why string) probes.Step {
	state := "False"
	if on {
		state = "True"
	}
	return ps(why, appcmd+" set config "+e.location(vdir)+" -section:system.webServer/security/authentication/"+method+
		` /enabled:"`+state+`" /commit:apphost`)
}

func (e *eval) poolStep(text, setting string) probes.Step {
	return ps(text, appcmd+` set apppool /apppool.name:"`+strings.ReplaceAll(e.poolName(), `"`, "")+`" `+setting)
}

func (e *eval) startPool() probes.Step {
	return ps("Start the application pool", appcmd+` start apppool /apppool.name:"`+strings.ReplaceAll(e.poolName(), `"`, "")+`"`)
}

func checkhealth() probes.Step {
	return ps("Re-run WSUS's health check; it re-tests every component and logs what still fails (Application log, source Windows Server Update Services)",
		wsusutil+" checkhealth")
}

// vdirList renders vDir names for a title: "ClientWebService and 2 more".
func vdirList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// vdirsOf returns the distinct vDirs of checks, in dashboard order.
func (e *eval) vdirsOf(idx []int, more ...string) []string {
	seen := map[string]bool{}
	for _, i := range idx {
		seen[e.check(i).VDir] = true
	}
	for _, m := range more {
		seen[m] = true
	}
	var out []string
	for _, n := range probes.VDirNames() {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out
}
