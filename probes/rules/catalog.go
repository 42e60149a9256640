package rules

import (
	"fmt"

	"github.com/wsusfleet/wsusfleet/probes"
)

// bloatThreshold: past this many not-declined updates a scan is heavy enough
// to time out or exhaust WsusPool (DESIGN §7.2).
const bloatThreshold = 7000

// Scan failures in the IIS log: 500 on ClientWebService taking tens of
// seconds is a scan that timed out (ASP.NET's execution timeout is 110 s by
// default; WSUS's database calls time out before), not a quick error.
const (
	slowScanMS     = 10_000 // a typical (median) 500 this slow is a timeout
	scanShareWarn  = 0.05   // of ClientWebService requests
	scanShareCrit  = 0.10
	minScanSamples = 10
)

// scanSteps lighten what every scan has to evaluate (DESIGN §7.2).
func (e *eval) scanSteps() []probes.Step {
	steps := []probes.Step{
		ps("Decline superseded updates",
			`Get-WsusUpdate -Classification All -Approval AnyExceptDeclined -Status Any | Where-Object { $_.Update.IsSuperseded } | Deny-WsusUpdate`),
		ps("Run the server cleanup", "Invoke-WsusServerCleanup -DeclineSupersededUpdates -DeclineExpiredUpdates -CleanupObsoleteUpdates -CompressUpdates -CleanupObsoleteComputers -CleanupUnneededContentFiles"),
		ps("Reindex SUSDB with Microsoft's WSUS database maintenance script (saved as WsusDBMaintenance.sql; Windows Internal Database shown)", widQuery+` -i WsusDBMaintenance.sql`),
	}
	p := e.st.AppPool
	if p == nil || p.PrivateMemoryKB == nil || *p.PrivateMemoryKB != 0 || p.QueueLength == nil || *p.QueueLength < 2000 {
		steps = append(steps, e.poolStep("Give WsusPool room meanwhile (best practice: no private memory limit, queue 2000)", "/recycling.periodicRestart.privateMemory:0 /queueLength:2000"))
	}
	return steps
}

// failingScans returns the probe checks and IIS log totals of scans that
// fail after a long wait, with the share of ClientWebService requests they
// are in the log.
func (e *eval) failingScans() (idx []int, logs []probes.IISLogTotal, share float64) {
	idx = e.checks(func(c probes.ObservedCheck) bool {
		return c.VDir == "ClientWebService" && c.Status == 500 && sub(c.Substatus) != 24 && c.LatencyMS > probes.SlowMS
	})
	logs = e.logTotals(func(t probes.IISLogTotal) bool {
		typical := t.P50MS
		if typical == 0 {
			typical = t.MaxMS
		}
		return t.VDir == "ClientWebService" && t.Status == 500 && sub(t.Substatus) != 24 && typical >= slowScanMS
	})
	var failed int64
	for _, t := range logs {
		failed += t.Requests
	}
	if all := e.logRequests(func(t probes.IISLogTotal) bool { return t.VDir == "ClientWebService" }); all > 0 {
		share = float64(failed) / float64(all)
	}
	return idx, logs, share
}

// catalogBloat: too many not-declined updates make client scans slow or fail
// with 500 on ClientWebService.
func catalogBloat(e *eval) []probes.Finding {
	if e.st.Server == nil || e.st.Server.NotDeclinedUpdates == nil || *e.st.Server.NotDeclinedUpdates <= bloatThreshold {
		return nil
	}
	n := *e.st.Server.NotDeclinedUpdates
	ev := []probes.Evidence{{Fact: fmt.Sprintf("%s updates are not declined (more than %s make scans heavy)", probes.FormatCount(int64(n)), probes.FormatCount(bloatThreshold)),
		Source: "WSUS", At: e.st.Collected[probes.SectionServer]}}
	idx, logs, share := e.failingScans()
	if share < scanShareWarn {
		logs = nil
	}
	e.explain(idx)
	ev = append(ev, e.checkEvidence(idx)...)
	ev = append(ev, e.logEvidence(logs)...)
	f := finding("", ev, e.scanSteps()...)
	f.Severity = probes.SeverityWarning
	if len(idx) > 0 || len(logs) > 0 {
		f.Severity = probes.SeverityCritical
		f.Summary = "Scans are timing out or failing on ClientWebService: clients cannot finish a scan, so they never report."
		e.addCause(f, []string{"ClientWebService"}, timeZero, "")
	}
	return []probes.Finding{f}
}

// scanFailures: a high share of 500 on ClientWebService after tens of
// seconds is clients' scans timing out (catalog bloat, SUSDB needing
// maintenance, a starved pool), a finding even when no update count was
// reported. When SUSDB's timeouts are in evidence they are its cause.
func scanFailures(e *eval) []probes.Finding {
	if bloat, ok := e.firing("catalog_bloat"); ok && bloat.Severity == probes.SeverityCritical {
		return nil // the bloat finding carries the failing scans
	}
	idx, logs, share := e.failingScans()
	if share < scanShareWarn || e.logRequests(func(t probes.IISLogTotal) bool { return t.VDir == "ClientWebService" }) < minScanSamples {
		logs = nil
	}
	if len(idx) == 0 && len(logs) == 0 {
		return nil
	}
	e.explain(idx)
	ev := append(e.checkEvidence(idx), e.logEvidence(logs)...)
	steps := append([]probes.Step{ps("Count the updates scans evaluate (more than 7,000 not declined make scans heavy)",
		`(Get-WsusUpdate -Classification All -Approval AnyExceptDeclined -Status Any).Count`)}, e.scanSteps()...)
	f := finding("ClientWebService", ev, steps...)
	f.Severity = probes.SeverityWarning
	if len(logs) > 0 {
		f.Summary = fmt.Sprintf("%.0f%% of the scans in the IIS log failed with 500 after tens of seconds: those clients cannot finish a scan, so they do not report.", share*100)
		if share >= scanShareCrit {
			f.Severity = probes.SeverityCritical
		}
	}
	if len(idx) > 0 {
		f.Severity = probes.SeverityCritical
	}
	if db, ok := e.firing("database_performance"); ok {
		explainedBy(&f, db)
		f.Summary += " SUSDB's timeouts are why."
	}
	if f.Severity == probes.SeverityCritical {
		e.addCause(f, []string{"ClientWebService"}, timeZero, "")
	}
	return []probes.Finding{f}
}
