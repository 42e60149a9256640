package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Thresholds of the pool rules.
const (
	// stoppedShare: a run of checks in which at least this share answered
	// 503 sees a stopped pool (every WSUS vDir runs in it; only the extra
	// SelfUpdate check on port 80 is served by another site).
	stoppedShare = 0.8
	// overloadShare of the logged WSUS requests answered 503 makes the
	// recycling finding critical.
	overloadShare = 0.10
)

// HTTP.sys reasons (s-reason) of the HTTPERR log, by what they say about the
// pool (Microsoft Learn: "Error logging in HTTP APIs").
var (
	offlineReasons  = []string{"AppOffline", "Disabled", "DisabledByPolicy"}
	overloadReasons = []string{"QueueFull", "AppPoolTimer", "Timer_AppPool", "Connection_Abandoned_By_AppPool", "AppShutdown"}
)

func reasonIn(r string, list []string) bool {
	for _, x := range list {
		if strings.EqualFold(r, x) {
			return true
		}
	}
	return false
}

// poolGroups returns the HTTPERR groups of the WSUS pool with one of reasons.
func (e *eval) poolGroups(reasons []string) []probes.HTTPErrGroup {
	if e.st.HTTPErr == nil {
		return nil
	}
	var out []probes.HTTPErrGroup
	for _, g := range e.st.HTTPErr.Groups {
		if reasonIn(g.Reason, reasons) && strings.EqualFold(g.Queue, e.poolName()) {
			out = append(out, g)
		}
	}
	return out
}

// servedAfter finds evidence that the WSUS pool answered requests after t:
// a check it answered (anything but 503 from a vDir of the WSUS site), a
// request in the IIS log (HTTP.sys, not the pool, answers while it is
// stopped, and those never reach the IIS log), the pool reported started,
// or WAS events of a worker process that ran.
func (e *eval) servedAfter(t time.Time) (string, bool) {
	for _, c := range e.st.VDirChecks {
		if c.CheckedAt.After(t) && c.Status != 0 && c.Status != 503 && !e.isPort80SelfUpdate(c) {
			return fmt.Sprintf("%s answered %s at %s", c.VDir, c.StatusText(), c.CheckedAt.UTC().Format("2006-01-02 15:04 UTC")), true
		}
	}
	if l := e.st.IISLog; l != nil {
		for _, tot := range l.Totals {
			if tot.Status != 503 && tot.LastHour.Add(time.Hour).After(t) {
				return fmt.Sprintf("the IIS log shows %s requests answered by the pool after that", tot.VDir), true
			}
		}
	}
	if p := e.st.AppPool; p != nil && p.State == "Started" && e.st.Collected[probes.SectionAppPool].After(t) {
		return "WsusPool was reported Started at " + e.st.Collected[probes.SectionAppPool].UTC().Format("2006-01-02 15:04 UTC"), true
	}
	for _, i := range e.wasEvents(wasScheduled, wasIdle, wasMemory, wasPing) {
		if e.st.Events[i].Time.After(t) {
			return "WAS logged a worker process of the pool at " + e.st.Events[i].Time.UTC().Format("2006-01-02 15:04 UTC"), true
		}
	}
	return "", false
}

// stoppedRuns returns, per run of checks (vantage and origin), the checks of
// a run in which (nearly) every vDir answered 503.
func (e *eval) stoppedRuns() [][]int {
	type run struct{ answered, unavailable []int }
	runs := map[[2]string]*run{}
	var order [][2]string
	for i, c := range e.st.VDirChecks {
		if e.isPort80SelfUpdate(c) || c.Status == 0 {
			continue
		}
		k := [2]string{c.Vantage, c.Origin}
		if runs[k] == nil {
			runs[k] = &run{}
			order = append(order, k)
		}
		runs[k].answered = append(runs[k].answered, i)
		if c.Status == 503 {
			runs[k].unavailable = append(runs[k].unavailable, i)
		}
	}
	var out [][]int
	for _, k := range order {
		r := runs[k]
		if len(e.vdirsOf(r.unavailable)) >= 5 && float64(len(r.unavailable)) >= stoppedShare*float64(len(r.answered)) {
			out = append(out, r.unavailable)
		}
	}
	return out
}

// poolStopped: DESIGN §7.2 — WsusPool is stopped when (nearly) every request
// fails with 503: the pool reported stopped, a probe in which nearly every
// vDir answered 503, HTTP.sys answering AppOffline for it, or WAS disabling
// it (rapid-fail protection, event 5002) with no sign of it serving since.
func poolStopped(e *eval) []probes.Finding {
	var ev []probes.Evidence
	var why string
	if p := e.st.AppPool; p != nil && p.State == "Stopped" {
		ev = append(ev, e.poolEvidence(e.poolName()+" is Stopped"))
	}
	for _, idx := range e.stoppedRuns() {
		e.explain(idx)
		first := e.check(idx[0])
		fact := fmt.Sprintf("%s of the vDirs answered 503 Service Unavailable (e.g. %s", probes.FormatCount(int64(len(e.vdirsOf(idx)))), first.URL)
		if first.Server != "" {
			fact += ", Server: " + first.Server
		}
		fact += ")"
		if strings.Contains(strings.ToLower(first.Server), "httpapi") {
			fact += "; HTTP.sys answered itself: no worker process was running"
		}
		ev = append(ev, probes.Evidence{Fact: fact, Source: source(first), At: first.CheckedAt})
	}
	if t, ok := e.onlyUnavailableAtEnd(); ok {
		ev = append(ev, e.logEvidence([]probes.IISLogTotal{t})...)
	}
	if h := e.st.HTTPErr; h != nil {
		for _, g := range e.poolGroups(offlineReasons) {
			// Offline until the end of the log, and nothing served since.
			if h.Last.Sub(g.Last.Time) <= time.Hour {
				if _, served := e.servedAfter(g.Last.Time); !served {
					ev = append(ev, e.httperrEvidence(g))
				}
			}
		}
	}
	disabled := e.wasEvents(wasRapidFail)
	if len(disabled) > 0 {
		at := e.latestEvent(disabled)
		if _, served := e.servedAfter(at); !served {
			ev = append(ev, e.claim(disabled)...)
			why = "rapid-fail protection disabled it at " + at.UTC().Format("2006-01-02 15:04 UTC")
		}
	}
	if len(ev) == 0 {
		return nil
	}
	ev = append(ev, e.claimVDirEvents(probes.VDirNames(), exUnavailable, exTimeout)...) // every web service fails with the pool
	ev = append(ev, e.claimEvents(exUnavailable)...)
	ev = append(ev, e.claim(e.wasEvents(wasCrash, wasPing, wasStartup))...) // the failures that tripped it
	// The private memory limit is the usual reason it stopped (recycles at
	// the limit trip rapid-fail protection): while the pool is stopped it is
	// part of this finding, one cause to fix, not a second critical one.
	if p := e.st.AppPool; p != nil && p.PrivateMemoryKB != nil && *p.PrivateMemoryKB != 0 {
		ev = append(ev, e.poolEvidence(fmt.Sprintf("Private Memory Limit is %s KB (best practice 0): recycles at the limit trip rapid-fail protection, the usual reason the pool stops",
			probes.FormatCount(*p.PrivateMemoryKB))))
	}
	ev = append(ev, e.claim(e.wasEvents(wasMemory))...)
	steps := []probes.Step{
		e.startPool(),
		ps("See why it stopped: WAS logs rapid-fail protection (5002), worker process failures (5009–5013) and memory-limit recycles (5117) in the System log", wasEventsCmd),
	}
	if p := e.st.AppPool; p == nil || p.PrivateMemoryKB == nil || *p.PrivateMemoryKB != 0 {
		steps = append(steps, e.poolStep("Remove the private memory limit that usually causes it (best practice: 0)", "/recycling.periodicRestart.privateMemory:0"))
	}
	if p := e.st.AppPool; p == nil || p.QueueLength == nil || *p.QueueLength < 2000 {
		steps = append(steps, e.poolStep("Raise the queue length to 2000", "/queueLength:2000"))
	}
	f := finding("", ev, steps...)
	f.Title = e.poolName() + " is stopped: every request fails with 503"
	if why != "" {
		f.Title = e.poolName() + " is stopped (" + why + ")"
	}
	f.Summary = "Every client request fails with 503 while WsusPool is stopped: clients can neither scan nor report."
	e.addCause(f, nil, time.Time{}, "")
	return []probes.Finding{f}
}

// onlyUnavailableAtEnd finds an IIS log whose last hour holds nothing but
// 503s (at least ten): every request failed when the log ends, and nothing
// was served since.
func (e *eval) onlyUnavailableAtEnd() (probes.IISLogTotal, bool) {
	l := e.st.IISLog
	if l == nil {
		return probes.IISLogTotal{}, false
	}
	var last probes.IISLogTotal
	for _, t := range l.Totals {
		if t.LastHour.After(last.LastHour.Time) {
			last = t
		}
	}
	var n int64
	for _, t := range l.Totals {
		if !t.LastHour.Equal(last.LastHour.Time) {
			continue
		}
		if t.Status != 503 {
			return probes.IISLogTotal{}, false
		}
		n += t.Requests
	}
	if n < 10 || last.Status != 503 {
		return probes.IISLogTotal{}, false
	}
	if _, served := e.servedAfter(last.LastHour.Add(time.Hour)); served {
		return probes.IISLogTotal{}, false
	}
	return last, true
}

// poolRecycling: sporadic 503s among successes, a full request queue, or
// worker process failures: WsusPool is overloaded or recycling (usually at
// its private memory limit), not stopped. The fix is the memory limit and
// the queue length, not starting the pool.
func poolRecycling(e *eval) []probes.Finding {
	if e.poolIsStopped() {
		return nil
	}
	var ev []probes.Evidence
	idx := e.checks(func(c probes.ObservedCheck) bool { return c.Status == 503 })
	e.explain(idx)
	ev = append(ev, e.checkEvidence(idx)...)
	wsusRequests := e.logRequests(func(t probes.IISLogTotal) bool { return true })
	unavailable := e.logTotals(func(t probes.IISLogTotal) bool { return t.Status == 503 })
	ev = append(ev, e.logEvidence(unavailable)...)
	var n503 int64
	for _, t := range unavailable {
		n503 += t.Requests
	}
	overload := e.poolGroups(overloadReasons)
	for _, g := range overload {
		ev = append(ev, e.httperrEvidence(g))
	}
	for _, g := range e.poolGroups(offlineReasons) { // offline for a while, serving again since
		ev = append(ev, e.httperrEvidence(g))
	}
	ev = append(ev, e.claim(e.wasEvents(wasRapidFail, wasCrash, wasPing, wasStartup))...)
	shutdowns := e.wasEvents(wasShutdown)
	minor := len(ev) == 0 && len(shutdowns) > 0
	ev = append(ev, e.claim(shutdowns)...)
	onlyEvents := len(ev) == 0
	healthIdx := e.wsusEvents(func(ev probes.Event, _ knownEvent, _ bool) bool { return exceptionKind(ev.Message) == exUnavailable })
	ev = append(ev, e.claim(healthIdx)...) // the health check met a 503
	if len(ev) == 0 {
		return nil
	}
	servedSince, served := e.servedAfter(e.latestEvent(healthIdx))
	ev = append(ev, e.claimVDirEvents(probes.VDirNames(), exUnavailable)...)
	var steps []probes.Step
	p := e.st.AppPool
	if p == nil || p.PrivateMemoryKB == nil || *p.PrivateMemoryKB != 0 || len(e.wasEvents(wasMemory)) > 0 {
		steps = append(steps, e.poolStep("Remove the private memory limit: WSUS scans need more than the default 1,843,200 KB, and each recycle drops requests (best practice: 0)",
			"/recycling.periodicRestart.privateMemory:0"))
	}
	if p == nil || p.QueueLength == nil || *p.QueueLength < 2000 || len(overload) > 0 {
		steps = append(steps, e.poolStep("Raise the request queue to 2000 so bursts of scans wait instead of getting 503", "/queueLength:2000"))
	}
	if len(e.wasEvents(wasPing)) > 0 || (p != nil && p.PingEnabled != nil && *p.PingEnabled) {
		steps = append(steps, e.poolStep("Turn pinging off: a worker busy with scans misses WAS's pings and is killed", "/processModel.pingingEnabled:false"))
	}
	if onlyEvents && !served {
		name := q(e.poolName())
		steps = append([]probes.Step{ps("See whether the pool runs now, and start it if it does not",
			`Import-Module WebAdministration; (Get-WebAppPoolState -Name `+name+`).Value; if ((Get-WebAppPoolState -Name `+name+`).Value -ne 'Started') { Start-WebAppPool -Name `+name+` }`)}, steps...)
	}
	steps = append(steps, ps("Read what WAS logged about the pool (recycles, crashes, rapid-fail)", wasEventsCmd))
	if e.st.Server != nil && e.st.Server.NotDeclinedUpdates != nil && *e.st.Server.NotDeclinedUpdates > bloatThreshold {
		steps = append(steps, ps("Lighten the scans: decline superseded updates",
			`Get-WsusUpdate -Classification All -Approval AnyExceptDeclined -Status Any | Where-Object { $_.Update.IsSuperseded } | Deny-WsusUpdate`))
	}
	f := finding("", ev, steps...)
	f.Title = e.poolName() + " is overloaded or recycling: some requests fail with 503"
	f.Summary = "Requests get 503 while the pool recycles or its queue is full; clients retry, but scans and reports fail in bursts."
	if onlyEvents {
		f.Title = e.poolName() + " answered 503 Server Unavailable to WSUS's health check"
		f.Summary = "The health check's own request got 503: the pool was stopped or recycling when it ran. Nothing else collected shows which; the first step tells."
		if served {
			f.Summary = "The health check's own request got 503, but the pool serves again since (" + servedSince + "): it was recycling or was restarted. Its WAS events say why."
		}
	}
	switch {
	case wsusRequests >= 50 && float64(n503) >= overloadShare*float64(wsusRequests):
		f.Severity = probes.SeverityCritical
		f.Summary = fmt.Sprintf("%s of %s logged requests (%d%%) got 503: ", probes.FormatCount(n503), probes.FormatCount(wsusRequests), n503*100/wsusRequests) + f.Summary
	case minor:
		f.Severity = probes.SeverityInfo
		f.Summary = "The worker process took too long to shut down when it was recycled; harmless alone, a sign of long requests (scans) when frequent."
	}
	return []probes.Finding{f}
}

// poolMemoryLimit: the private memory limit (1,843,200 KB by default) makes
// IIS recycle WsusPool under scan load; repeated recycles trip rapid-fail
// protection and stop it. A memory-limit recycle logged by WAS (5117) proves
// the limit even without the configuration.
func poolMemoryLimit(e *eval) []probes.Finding {
	if e.hasFired("wsuspool_stopped") {
		return nil // its evidence and fix are in the stopped pool's finding
	}
	p := e.st.AppPool
	var ev []probes.Evidence
	if p != nil && p.PrivateMemoryKB != nil && *p.PrivateMemoryKB != 0 {
		ev = append(ev, e.poolEvidence(fmt.Sprintf("Private Memory Limit is %s KB; best practice is 0 (no limit)", probes.FormatCount(*p.PrivateMemoryKB))))
	}
	recycles := e.wasEvents(wasMemory)
	if len(ev) == 0 && len(recycles) > 0 && p != nil && p.PrivateMemoryKB != nil && *p.PrivateMemoryKB == 0 &&
		e.st.Collected[probes.SectionAppPool].After(e.latestEvent(recycles)) {
		return nil // recycled before the limit was removed
	}
	ev = append(ev, e.claim(recycles)...)
	if len(ev) == 0 {
		return nil
	}
	steps := []probes.Step{e.poolStep("Remove the limit (IIS applies it at once; a running pool recycles by itself)", "/recycling.periodicRestart.privateMemory:0")}
	f := finding("", ev, steps...)
	if len(recycles) > 0 {
		f.Summary = fmt.Sprintf("WAS recycled the pool %s at its memory limit: every recycle drops the scans in flight.", probes.Plural(int64(len(recycles)), "time", "times"))
	}
	if e.poolIsStopped() {
		f.Severity = probes.SeverityCritical
		f.Summary = "WsusPool is stopped and has a private memory limit: the likely reason (recycles at the limit trip rapid-fail protection)."
		f.Remediation = append(f.Remediation, e.startPool())
	}
	return []probes.Finding{f}
}

// poolSettings: the rest of DESIGN §7.4's best practice for WsusPool. The
// routine WAS events of those settings (5186 idle shutdowns, 5074 scheduled
// recycles) are shown with them, never on their own.
func poolSettings(e *eval) []probes.Finding {
	p := e.st.AppPool
	if p == nil {
		return nil
	}
	var ev []probes.Evidence
	var steps []probes.Step
	if p.QueueLength != nil && *p.QueueLength < 2000 {
		ev = append(ev, e.poolEvidence(fmt.Sprintf("Queue Length is %s; best practice is 2000", probes.FormatCount(*p.QueueLength))))
		steps = append(steps, e.poolStep("Queue Length 2000", "/queueLength:2000"))
	}
	if p.IdleTimeoutMin != nil && *p.IdleTimeoutMin != 0 {
		ev = append(ev, e.poolEvidence(fmt.Sprintf("Idle Time-out is %s minutes; best practice is 0", probes.FormatCount(*p.IdleTimeoutMin))))
		ev = append(ev, e.claim(e.wasEvents(wasIdle))...)
		steps = append(steps, e.poolStep("Idle Time-out 0", "/processModel.idleTimeout:00:00:00"))
	}
	if p.PingEnabled != nil && *p.PingEnabled {
		ev = append(ev, e.poolEvidence("Ping is enabled; best practice is off (a busy pool misses pings and is killed)"))
		steps = append(steps, e.poolStep("Ping off", "/processModel.pingingEnabled:false"))
	}
	if p.PeriodicRestartMin != nil && *p.PeriodicRestartMin != 0 {
		ev = append(ev, e.poolEvidence(fmt.Sprintf("Regular Time Interval is %s minutes; best practice is 0", probes.FormatCount(*p.PeriodicRestartMin))))
		ev = append(ev, e.claim(e.wasEvents(wasScheduled))...)
		steps = append(steps, e.poolStep("Regular Time Interval 0", "/recycling.periodicRestart.time:00:00:00"))
	}
	if len(ev) == 0 {
		return nil
	}
	return []probes.Finding{finding("", ev, steps...)}
}
