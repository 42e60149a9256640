package rules

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// The exact commands of the remediation steps. WSUS runs in the IIS site
// "WSUS Administration" under the application pool WsusPool (DESIGN §7.1).
const (
	appcmd   = `%windir%\system32\inetsrv\appcmd`
	wsusSite = "WSUS Administration"
	wsusutil = `"%ProgramFiles%\Update Services\Tools\wsusutil.exe"`
)

func step(text, command string) probes.Step { return probes.Step{Text: text, Command: command} }

func iisreset() probes.Step {
	return step("Restart IIS so the change takes effect (clients retry within their detection cycle)", "iisreset")
}

func location(vdir string) string { return `"` + wsusSite + "/" + vdir + `"` }

func authStep(vdir, method string, on bool, why string) probes.Step {
	state := "False"
	if on {
		state = "True"
	}
	return step(why, appcmd+" set config "+location(vdir)+" -section:system.webServer/security/authentication/"+method+
		` /enabled:"`+state+`" /commit:apphost`)
}

func poolStep(text, setting string) probes.Step {
	return step(text, appcmd+" set apppool /apppool.name:WsusPool "+setting)
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
