package rules

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// collectorFailed: the collector on the server said it could not collect
// (collector.error: PowerShell older than 5.1, no WSUS administration API,
// ...). What the dashboard holds of the server's configuration, services
// and events is then from earlier runs, or missing: the admin must know
// before reading anything else into it. The collector's own words carry the
// fix; the rule adds the command when it names one it knows.
func collectorFailed(e *eval) []probes.Finding {
	c := e.st.Collector
	if c == nil || strings.TrimSpace(c.Error) == "" {
		return nil
	}
	who := strings.TrimSpace(c.Name + " " + c.Version)
	if c.Host != "" {
		who += " on " + c.Host
	}
	ev := []probes.Evidence{{Fact: who + ": " + c.Error, Source: "server report (collector.error)", At: e.st.Collected[probes.SectionCollector]}}
	msg := strings.ToLower(c.Error)
	var steps []probes.Step
	switch {
	case strings.Contains(msg, "powershell 5.1") || strings.Contains(msg, "management framework"):
		steps = append(steps,
			note("Install Windows Management Framework 5.1 on the server (Windows Server 2012 R2 ships PowerShell 4.0; WMF 5.1 needs .NET Framework 4.5.2 or later), restart it, then run the collector again"),
			ps("Check the version Windows PowerShell reports (5.1 is needed)", "$PSVersionTable.PSVersion"))
	case strings.Contains(msg, "updateservices-api"):
		steps = append(steps,
			ps("Install the WSUS administration API the collector reads WSUS through, then run the collector again", "Install-WindowsFeature UpdateServices-API"))
	default:
		steps = append(steps, note("Do what the collector's message says, then run it again by hand with -LogFile to see that it completes"))
	}
	f := finding("", ev, steps...)
	f.Summary = "Until it runs, what this page shows of the server's configuration, services and events is from an earlier run or missing, not a fact about the server."
	return []probes.Finding{f}
}
