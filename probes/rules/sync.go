package rules

import (
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// staleSync: a server that has not synchronized for this long serves stale
// approvals and catalogs (DESIGN: 48 h).
const staleSync = 48 * time.Hour

func (e *eval) syncSource() string {
	s := e.st.Sync
	if s.From == probes.SyncFromUpstream && s.Upstream != nil {
		return fmt.Sprintf("%s:%d", s.Upstream.Host, s.Upstream.Port)
	}
	return "Microsoft Update"
}

func syncEvidence(e *eval, fact string) probes.Evidence {
	return probes.Evidence{Fact: fact, Source: "WSUS synchronization", At: e.st.Collected[probes.SectionSync]}
}

// syncFailing: the last synchronization failed. A downstream whose upstream
// is itself failing is affected rather than the cause: fix the upstream.
func syncFailing(e *eval) []probes.Finding {
	s := e.st.Sync
	if s == nil || s.Last == nil || (s.Last.Result != "Failed" && s.Last.Result != "Canceled") {
		return nil
	}
	fact := fmt.Sprintf("the last synchronization from %s %s", e.syncSource(), map[string]string{"Failed": "failed", "Canceled": "was canceled"}[s.Last.Result])
	if !s.Last.FinishedAt.IsZero() {
		fact += " at " + s.Last.FinishedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	if s.Last.Error != "" {
		fact += ": " + s.Last.Error
	}
	f := finding("", []probes.Evidence{syncEvidence(e, fact)})
	if s.From == probes.SyncFromUpstream && s.Upstream != nil {
		target := fmt.Sprintf("http://%s:%d", s.Upstream.Host, s.Upstream.Port)
		if s.Upstream.SSL {
			target = fmt.Sprintf("https://%s:%d", s.Upstream.Host, s.Upstream.Port)
		}
		if up, ok := e.upstream(); ok && up.Status == probes.StatusCritical {
			f.Title = "Synchronization fails because upstream " + up.Name + " is failing"
			f.Summary = "This server is affected, not the cause: fix " + up.Name + " (see its findings) and the next synchronization succeeds."
			f.Evidence = append(f.Evidence, syncEvidence(e, "upstream "+up.Name+" is critical in this dashboard"))
		}
		f.Remediation = []probes.Step{
			step("Check the upstream answers from this server (run on this server)", "wsusfleet probe --server "+target),
			step("Then synchronize again", "(Get-WsusServer).GetSubscription().StartSynchronization()"),
		}
	} else {
		f.Remediation = []probes.Step{
			step("Check this server reaches Microsoft Update (proxy, firewall, TLS inspection)", "Test-NetConnection sws.update.microsoft.com -Port 443; (Get-WsusServer).GetConfiguration() | Format-List UseProxy, ProxyName, ProxyServerPort"),
			step("Then synchronize again", "(Get-WsusServer).GetSubscription().StartSynchronization()"),
		}
	}
	return []probes.Finding{f}
}

func (e *eval) upstream() (probes.FleetServer, bool) {
	s := e.st.Sync
	if e.Upstream == nil || s == nil || s.Upstream == nil {
		return probes.FleetServer{}, false
	}
	return e.Upstream(s.Upstream.Host, s.Upstream.Port)
}

// syncStale: no synchronization for more than 48 hours, or never.
func syncStale(e *eval) []probes.Finding {
	s := e.st.Sync
	if s == nil || s.Last == nil {
		return nil
	}
	at := s.Last.FinishedAt.Time
	if at.IsZero() {
		at = s.Last.StartedAt.Time
	}
	var fact string
	switch {
	case s.Last.Result == "NeverRun" || at.IsZero():
		fact = "this server has never synchronized from " + e.syncSource()
	case e.now.Sub(at) > staleSync:
		fact = fmt.Sprintf("the last synchronization from %s was %s ago (%s)", e.syncSource(), days(e.now.Sub(at)), at.UTC().Format("2006-01-02"))
	default:
		return nil
	}
	return []probes.Finding{finding("", []probes.Evidence{syncEvidence(e, fact)},
		step("Check the synchronization schedule is on", "(Get-WsusServer).GetSubscription() | Format-List SynchronizeAutomatically, SynchronizeAutomaticallyTimeOfDay, NumberOfSynchronizationsPerDay"),
		step("Synchronize now", "(Get-WsusServer).GetSubscription().StartSynchronization()"))}
}

// upstreamUnknown: the upstream is no server of this fleet: a typo, a
// decommissioned server, or one nobody watches.
func upstreamUnknown(e *eval) []probes.Finding {
	s := e.st.Sync
	if s == nil || s.From != probes.SyncFromUpstream || s.Upstream == nil || e.Upstream == nil {
		return nil
	}
	if _, ok := e.upstream(); ok {
		return nil
	}
	hp := fmt.Sprintf("%s:%d", s.Upstream.Host, s.Upstream.Port)
	return []probes.Finding{finding(hp, []probes.Evidence{syncEvidence(e, "this server synchronizes from "+hp+", which is not a server of this fleet")},
		step("Check the upstream setting", "(Get-WsusServer).GetConfiguration() | Format-List UpstreamWsusServerName, UpstreamWsusServerPortNumber, UpstreamWsusServerUseSsl, IsReplicaServer"),
		step("If it is right, let the dashboard watch it too", fmt.Sprintf(`curl -X POST <dashboard>/api/v1/servers -H "Authorization: Bearer <admin token>" -d '{"url":"http://%s"}'`, hp)))}
}
