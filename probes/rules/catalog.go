package rules

import (
	"fmt"

	"github.com/wsusfleet/wsusfleet/probes"
)

// bloatThreshold: past this many not-declined updates a scan is heavy enough
// to time out or exhaust WsusPool (DESIGN §7.2).
const bloatThreshold = 7000

// catalogBloat: too many not-declined updates make client scans slow or fail
// with 500 on ClientWebService.
func catalogBloat(e *eval) []probes.Finding {
	if e.st.Server == nil || e.st.Server.NotDeclinedUpdates == nil || *e.st.Server.NotDeclinedUpdates <= bloatThreshold {
		return nil
	}
	n := *e.st.Server.NotDeclinedUpdates
	ev := []probes.Evidence{{Fact: fmt.Sprintf("%d updates are not declined (more than %d make scans heavy)", n, bloatThreshold),
		Source: "WSUS", At: e.st.Collected[probes.SectionServer]}}
	idx := e.checks(func(c probes.ObservedCheck) bool {
		return c.VDir == "ClientWebService" && (c.Status == 500 || c.LatencyMS > probes.SlowMS)
	})
	e.explain(idx)
	ev = append(ev, e.checkEvidence(idx)...)
	logs := e.logTotals(func(t probes.IISLogTotal) bool {
		return t.VDir == "ClientWebService" && (t.Status == 500 || t.MaxMS > 30000)
	})
	ev = append(ev, e.logEvidence(logs)...)
	f := finding("", ev,
		step("Decline superseded updates",
			`Get-WsusUpdate -Classification All -Approval AnyExceptDeclined -Status Any | Where-Object { $_.Update.IsSuperseded } | Deny-WsusUpdate`),
		step("Run the server cleanup", "Invoke-WsusServerCleanup -DeclineSupersededUpdates -DeclineExpiredUpdates -CleanupObsoleteUpdates -CompressUpdates -CleanupObsoleteComputers -CleanupUnneededContentFiles"),
		step("Reindex SUSDB with Microsoft's WsusDBMaintenance script (WID shown)", `sqlcmd -S np:\\.\pipe\MICROSOFT##WID\tsql\query -E -i WsusDBMaintenance.sql`),
		poolStep("Give WsusPool room meanwhile (DESIGN §7.4)", "/recycling.periodicRestart.privateMemory:0 /queueLength:2000"))
	f.Severity = probes.SeverityWarning
	if len(idx) > 0 || len(logs) > 0 {
		f.Severity = probes.SeverityCritical
		f.Summary = "Scans are timing out or failing on ClientWebService: clients cannot finish a scan, so they never report."
	}
	return []probes.Finding{f}
}
