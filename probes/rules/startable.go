package rules

import (
	"regexp"
	"slices"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// A step that starts a service whose start type is Disabled fails ("cannot
// be started ... because it is disabled"; iisreset cannot start IIS again):
// such a step first sets the start type. The services a command starts are
// those Start-Service and Restart-Service name, and W3SVC and WAS for
// iisreset (it stops and starts them).
var (
	serviceStart = regexp.MustCompile(`(?i)\b(?:Start|Restart)-Service\s+(?:-Name\s+)?((?:'[^']*'|[\w$#]+)(?:\s*,\s*(?:'[^']*'|[\w$#]+))*)`)
	iisresetRun  = regexp.MustCompile(`(?i)(?:^|[;&|]\s*)iisreset\b`)
	startTypeSet = regexp.MustCompile(`(?i)\bSet-Service\s+(?:-Name\s+)?('[^']*'|[\w$#]+)\s+-StartupType\b`)
)

// startedServices lists the services a command starts, in order.
func startedServices(command string) []string {
	var out []string
	add := func(n string) {
		if n = strings.Trim(strings.TrimSpace(n), "'"); n != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	if iisresetRun.MatchString(command) {
		add("WAS")
		add("W3SVC")
	}
	for _, m := range serviceStart.FindAllStringSubmatch(command, -1) {
		for _, n := range strings.Split(m[1], ",") {
			add(n)
		}
	}
	return out
}

// setsStartType reports whether a command sets a service's start type.
func setsStartType(command, service string) bool {
	for _, m := range startTypeSet.FindAllStringSubmatch(command, -1) {
		if strings.EqualFold(strings.Trim(m[1], "'"), service) {
			return true
		}
	}
	return false
}

// usualStartType is the start type Windows gives a service: WAS starts on
// demand (W3SVC starts it), the rest of the WSUS services with Windows.
func usualStartType(service string) string {
	if strings.EqualFold(service, "WAS") {
		return "Manual"
	}
	return "Automatic"
}

// startable makes a step that starts a service of this server whose start
// type is Disabled set its usual start type first, and says so.
func (e *eval) startable(s probes.Step) probes.Step { return Startable(s, e.st.Services) }

// Startable makes a step that starts one of services whose start type is
// Disabled set its usual start type first, and says so. The rules apply it
// to their steps; a page proposing a step of its own (the Process Monitor
// panel's restart) applies it too, so no command it shows fails on a
// disabled service.
func Startable(s probes.Step, services []probes.Service) probes.Step {
	if s.Command == "" || s.Shell == probes.ShellCmd {
		return s
	}
	var set, names []string
	for _, name := range startedServices(s.Command) {
		i := slices.IndexFunc(services, func(svc probes.Service) bool { return strings.EqualFold(svc.Name, name) })
		if i < 0 {
			continue
		}
		svc := services[i]
		if !strings.EqualFold(svc.StartType, "Disabled") || setsStartType(s.Command, svc.Name) {
			continue
		}
		set = append(set, "Set-Service -Name "+q(svc.Name)+" -StartupType "+usualStartType(svc.Name))
		names = append(names, svc.Name)
	}
	if len(set) == 0 {
		return s
	}
	s.Command = strings.Join(set, "; ") + "; " + s.Command
	verb := " is Disabled, so it is set to its usual start type first: a disabled service cannot start"
	if len(names) > 1 {
		verb = " are Disabled, so they are set to their usual start types first: a disabled service cannot start"
	}
	s.Text += " (" + vdirList(names) + verb + ")"
	return s
}
