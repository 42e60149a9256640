package rules

import (
	"fmt"

	"github.com/wsusfleet/wsusfleet/probes"
)

// poolStopped: DESIGN §7.2 — 503 on most vDirs means WsusPool is stopped,
// often by rapid-fail protection after it hit its private memory limit.
func poolStopped(e *eval) []probes.Finding {
	var ev []probes.Evidence
	if p := e.st.AppPool; p != nil && p.State == "Stopped" {
		ev = append(ev, e.poolEvidence("WsusPool is Stopped"))
	}
	// 503 from most of the vDirs of one run (one vantage and origin).
	runs := map[[2]string][]int{}
	for _, i := range e.checks(func(c probes.ObservedCheck) bool { return c.Status == 503 }) {
		c := e.check(i)
		runs[[2]string{c.Vantage, c.Origin}] = append(runs[[2]string{c.Vantage, c.Origin}], i)
	}
	for _, idx := range runs {
		if len(e.vdirsOf(idx)) >= 5 {
			e.explain(idx)
			first := e.check(idx[0])
			ev = append(ev, probes.Evidence{Fact: fmt.Sprintf("%d of the vDirs answered 503 Service Unavailable (e.g. %s, Server: %s)",
				len(e.vdirsOf(idx)), first.URL, first.Server), Source: source(first), At: first.CheckedAt})
		}
	}
	ev = append(ev, e.logEvidence(e.logTotals(func(t probes.IISLogTotal) bool { return t.Status == 503 && t.Requests >= 10 }))...)
	if len(ev) == 0 {
		return nil
	}
	ev = append(ev, e.claimVDirEvents(probes.VDirNames())...) // every web service fails with the pool
	f := finding("", ev,
		step("Start the application pool", appcmd+" start apppool /apppool.name:WsusPool"),
		step("See why it stopped: WAS logs rapid-fail protection (5002) and memory-limit recycles (5117) in the System log",
			`Get-WinEvent -FilterHashtable @{LogName='System'; ProviderName='Microsoft-Windows-WAS'} -MaxEvents 20 | Format-List TimeCreated, Id, Message`),
		poolStep("Remove the private memory limit that usually causes it (DESIGN §7.4: 0)", "/recycling.periodicRestart.privateMemory:0"),
		poolStep("Raise the queue length to 2000", "/queueLength:2000"),
	)
	f.Summary = "Every client request fails with 503 while WsusPool is stopped: clients can neither scan nor report."
	return []probes.Finding{f}
}

// poolMemoryLimit: the private memory limit (1,843,200 KB by default) makes
// IIS recycle WsusPool under scan load; repeated recycles trip rapid-fail
// protection and stop it.
func poolMemoryLimit(e *eval) []probes.Finding {
	p := e.st.AppPool
	if p == nil || p.PrivateMemoryKB == nil || *p.PrivateMemoryKB == 0 {
		return nil
	}
	f := finding("", []probes.Evidence{e.poolEvidence(fmt.Sprintf("Private Memory Limit is %d KB; best practice is 0 (no limit)", *p.PrivateMemoryKB))},
		poolStep("Remove the limit", "/recycling.periodicRestart.privateMemory:0"),
		step("Recycle the pool to apply it", appcmd+" recycle apppool /apppool.name:WsusPool"))
	if p.State == "Stopped" {
		f.Severity = probes.SeverityCritical
		f.Summary = "WsusPool is stopped and has a private memory limit: the likely cause."
	}
	return []probes.Finding{f}
}

// poolSettings: the rest of DESIGN §7.4's best practice for WsusPool.
func poolSettings(e *eval) []probes.Finding {
	p := e.st.AppPool
	if p == nil {
		return nil
	}
	var ev []probes.Evidence
	var steps []probes.Step
	if p.QueueLength != nil && *p.QueueLength < 2000 {
		ev = append(ev, e.poolEvidence(fmt.Sprintf("Queue Length is %d; best practice is 2000", *p.QueueLength)))
		steps = append(steps, poolStep("Queue Length 2000", "/queueLength:2000"))
	}
	if p.IdleTimeoutMin != nil && *p.IdleTimeoutMin != 0 {
		ev = append(ev, e.poolEvidence(fmt.Sprintf("Idle Time-out is %d minutes; best practice is 0", *p.IdleTimeoutMin)))
		steps = append(steps, poolStep("Idle Time-out 0", "/processModel.idleTimeout:00:00:00"))
	}
	if p.PingEnabled != nil && *p.PingEnabled {
		ev = append(ev, e.poolEvidence("Ping is enabled; best practice is off (a busy pool misses pings and is killed)"))
		steps = append(steps, poolStep("Ping off", "/processModel.pingingEnabled:false"))
	}
	if p.PeriodicRestartMin != nil && *p.PeriodicRestartMin != 0 {
		ev = append(ev, e.poolEvidence(fmt.Sprintf("Regular Time Interval is %d minutes; best practice is 0", *p.PeriodicRestartMin)))
		steps = append(steps, poolStep("Regular Time Interval 0", "/recycling.periodicRestart.time:00:00:00"))
	}
	if len(ev) == 0 {
		return nil
	}
	return []probes.Finding{finding("", ev, steps...)}
}
