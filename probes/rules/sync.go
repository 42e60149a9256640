package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// staleSync: a server that has not synchronized for this long serves stale
// approvals and catalogs (DESIGN: 48 h).
const staleSync = 48 * time.Hour

// upstreamGrace: an upstream's finding first seen this long after a
// downstream's synchronization failed can still be why it failed (the
// upstream is diagnosed when its own reports arrive).
const upstreamGrace = 6 * time.Hour

func (e *eval) syncSource() string {
	s := e.st.Sync
	if s != nil && s.From == probes.SyncFromUpstream && s.Upstream != nil {
		return fmt.Sprintf("%s:%d", s.Upstream.Host, s.Upstream.Port)
	}
	return "Microsoft Update"
}

func syncEvidence(e *eval, fact string) probes.Evidence {
	return probes.Evidence{Fact: fact, Source: "WSUS synchronization", At: e.st.Collected[probes.SectionSync]}
}

// syncAgain is the step that starts a synchronization, offered only when it
// can run: WSUS's API needs WsusService and WsusPool.
func (e *eval) syncAgain() probes.Step {
	switch {
	case e.hasFired("wsus_service_stopped"):
		return note("Synchronize again once WsusService runs (see that finding)")
	case e.poolIsStopped():
		return note("Synchronize again once WsusPool runs (see that finding)")
	}
	return ps("Then synchronize again", "(Get-WsusServer).GetSubscription().StartSynchronization()")
}

// syncFailing: the last synchronization failed, or SoftwareDistribution.log
// shows synchronizations failing since the last one that succeeded. A
// downstream whose upstream has a finding that breaks synchronization is
// affected rather than the cause: its finding names the upstream's.
func syncFailing(e *eval) []probes.Finding {
	s := e.st.Sync
	var ev []probes.Evidence
	var failedAt time.Time
	errText := ""
	if s != nil && s.Last != nil && (s.Last.Result == "Failed" || s.Last.Result == "Canceled") {
		fact := fmt.Sprintf("the last synchronization from %s %s", e.syncSource(), map[string]string{"Failed": "failed", "Canceled": "was canceled"}[s.Last.Result])
		failedAt = s.Last.FinishedAt.Time
		if failedAt.IsZero() {
			failedAt = s.Last.StartedAt.Time
		}
		if !failedAt.IsZero() {
			fact += " at " + failedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		if s.Last.Error != "" {
			fact += ": " + s.Last.Error
			errText = s.Last.Error
		}
		ev = append(ev, syncEvidence(e, fact))
	}
	for _, i := range e.sdlogIssues(probes.SDLogSyncError) {
		if e.syncSucceededAfter(i.Last.Time) {
			continue // an older failure; a later synchronization succeeded
		}
		ev = append(ev, e.sdlogEvidence(i))
		errText += " " + i.Detail + " " + i.Example
		if failedAt.IsZero() || i.Last.After(failedAt) {
			failedAt = i.Last.Time
		}
	}
	if len(ev) == 0 {
		return nil
	}
	f := finding("", ev)
	if s != nil && s.From == probes.SyncFromUpstream && s.Upstream != nil {
		target := s.Upstream.URL() + "/ServerSyncWebService/ServerSyncWebService.asmx"
		if mis, ok := e.firing("upstream_misconfigured"); ok && e.misconfigurationExplains(errText) {
			explainedBy(&f, mis)
			f.Title = "Synchronization fails: " + lowerFirst(mis.Title)
			f.Summary = "The upstream setting is why: fix it (see that finding) and the next synchronization succeeds."
			f.Remediation = []probes.Step{note("Set the upstream's port and SSL as that finding says"), e.syncAgain()}
			return []probes.Finding{f}
		}
		if up, c, ok := e.upstreamCause(errText, failedAt); ok {
			f.Title = "Synchronization fails because of upstream " + up.Name + ": " + c.Title
			f.Summary = "This server is affected, not the cause: fix " + up.Name + "'s finding and the next synchronization succeeds."
			f.Cause, f.CauseSubject, f.CauseServer = c.Rule, c.Subject, up.Name
			f.Evidence = append(f.Evidence, syncEvidence(e, fmt.Sprintf("upstream %s has the open finding %q, first seen %s", up.Name, c.Title, c.FirstSeen.UTC().Format("2006-01-02 15:04 UTC"))))
		}
		f.Remediation = []probes.Step{
			ps("From this server, request the upstream's synchronization service (200 expected)",
				`try { (Invoke-WebRequest -UseBasicParsing -Uri `+q(target)+`).StatusCode } catch { $_.Exception.Message }`),
			e.syncAgain(),
		}
	} else {
		f.Remediation = []probes.Step{
			ps("Check this server reaches Microsoft Update (proxy, firewall, TLS inspection)",
				"Test-NetConnection sws.update.microsoft.com -Port 443; (Get-WsusServer).GetConfiguration() | Format-List 'UseProxy', 'ProxyName', 'ProxyServerPort'"),
			e.syncAgain(),
		}
	}
	if db, ok := e.firing("database_unavailable"); ok && f.Cause == "" {
		explainedBy(&f, db)
	}
	return []probes.Finding{f}
}

// syncSucceededAfter reports whether the sync section shows a successful
// synchronization after t.
func (e *eval) syncSucceededAfter(t time.Time) bool {
	s := e.st.Sync
	return s != nil && s.Last != nil && s.Last.Result == "Succeeded" && s.Last.FinishedAt.After(t)
}

// upstreamBreakers are the findings of an upstream that make its
// downstreams' synchronization fail, in the order they are preferred, with
// the words of a synchronization error that point at each.
var upstreamBreakers = []struct {
	rule  string
	words []string
}{
	{"server_unreachable", []string{"unable to connect", "could not be resolved", "actively refused", "no such host", "timed out"}},
	{"iis_stopped", []string{"unable to connect", "actively refused"}},
	{"wsuspool_stopped", []string{"(503)", "service unavailable", "server unavailable"}},
	{"wsuspool_recycling", []string{"(503)", "service unavailable", "server unavailable", "timed out"}},
	{"ssl_cert_invalid", []string{"trust relationship", "certificate", "ssl/tls"}},
	{"anonymous_auth_disabled", []string{"(401)", "unauthorized"}},
	{"iusr_credentials", []string{"(401)", "unauthorized"}},
	{"ntfs_acl", []string{"(401)", "(403)", "unauthorized", "forbidden"}},
	{"client_cert_required", []string{"(403)", "forbidden"}},
	{"ssl_required_wrong", []string{"(403)", "forbidden"}},
	{"aspnet_impersonation", []string{"(500)", "internal server error"}},
	{"database_unavailable", []string{"(500)", "internal server error", "sql"}},
	{"database_performance", []string{"timed out", "timeout"}},
	{"wsus_service_stopped", nil},
}

// upstreamCause finds the upstream's open finding that explains this
// server's failing synchronization: one that breaks synchronization, agrees
// with the error text when there is one, and began before the failure.
func (e *eval) upstreamCause(errText string, failedAt time.Time) (probes.FleetServer, probes.FleetFinding, bool) {
	up, ok := e.upstream()
	if !ok {
		return up, probes.FleetFinding{}, false
	}
	text := strings.ToLower(errText)
	for pass := range 2 { // first a finding the error text points at, then any
		for _, b := range upstreamBreakers {
			if pass == 0 && (text == "" || !containsAnyWord(text, b.words)) {
				continue
			}
			if pass == 1 && strings.TrimSpace(text) != "" && len(b.words) > 0 {
				continue // the text names an error this finding does not give
			}
			for _, c := range up.Findings {
				if c.Rule != b.rule || c.Severity == probes.SeverityInfo {
					continue
				}
				began := !up.WatchedSince.IsZero() && c.FirstSeen.Sub(up.WatchedSince) >= watchedMargin
				if began && !failedAt.IsZero() && c.FirstSeen.After(failedAt.Add(upstreamGrace)) {
					continue // it began after this server's synchronization failed
				}
				return up, c, true
			}
		}
	}
	return up, probes.FleetFinding{}, false
}

func containsAnyWord(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
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
	f := finding("", []probes.Evidence{syncEvidence(e, fact)},
		ps("Check the synchronization schedule is on", "(Get-WsusServer).GetSubscription() | Format-List 'SynchronizeAutomatically', 'SynchronizeAutomaticallyTimeOfDay', 'NumberOfSynchronizationsPerDay'"),
		e.syncAgain())
	// Synchronizations run in WsusService: stopped before the schedule was
	// due, it explains the gap.
	if svc, ok := e.firing("wsus_service_stopped"); ok {
		if began, _ := e.firstSighting(svc.Key()); began.IsZero() || at.IsZero() || !began.After(at.Add(staleSync)) {
			explainedBy(&f, svc)
		}
	}
	return []probes.Finding{f}
}

// upstreamFaultWords are the words of a synchronization error that each way
// of misnaming the upstream gives: nothing listens on a port it does not
// serve (or another site answers 404), TLS against its HTTP port fails in
// the handshake, plain HTTP against its HTTPS port is cut off or refused as
// a bad request, and its SSL vDirs refuse plain HTTP with 403.4.
var upstreamFaultWords = map[string][]string{
	probes.URLFaultNoPort:      {"unable to connect", "actively refused", "timed out", "(404)", "not found"},
	probes.URLFaultPort:        {"unable to connect", "actively refused", "timed out", "(404)", "not found"},
	probes.URLFaultHTTPSOnHTTP: {"ssl", "tls", "secure channel", "underlying connection was closed", "unexpected error occurred on a send", "authentication failed"},
	probes.URLFaultHTTPOnHTTPS: {"underlying connection was closed", "connection was closed unexpectedly", "forcibly closed", "(400)", "bad request"},
	probes.URLFaultHTTPToSSL:   {"(403)", "forbidden"},
}

// upstreamSetting judges how this downstream names its upstream against the
// ports and SSL mode the upstream itself reported.
func (e *eval) upstreamSetting() (probes.FleetServer, probes.WUServerURL, probes.URLJudgement, bool) {
	s := e.st.Sync
	if s == nil || s.From != probes.SyncFromUpstream || s.Upstream == nil {
		return probes.FleetServer{}, probes.WUServerURL{}, probes.URLJudgement{}, false
	}
	up, ok := e.upstream()
	if !ok {
		return up, probes.WUServerURL{}, probes.URLJudgement{}, false
	}
	u := probes.WUServerURL{Scheme: s.Upstream.Scheme(), Host: s.Upstream.Host, Port: s.Upstream.Port}
	j := probes.JudgeURL(u, probes.ServerMatch{Server: up.Name, Ports: up.Ports})
	return up, u, j, j.Fault != ""
}

// misconfigurationExplains reports whether a synchronization error is what
// the upstream setting's fault gives.
func (e *eval) misconfigurationExplains(errText string) bool {
	_, _, j, ok := e.upstreamSetting()
	return ok && containsAnyWord(strings.ToLower(errText), upstreamFaultWords[j.Fault])
}

// upstreamMisconfigured: this downstream names its upstream with a port the
// upstream does not serve, HTTPS on its HTTP port, plain HTTP on its HTTPS
// port, or plain HTTP while it is in SSL mode: synchronization cannot work.
// A synchronization that succeeded with the setting proves it works (the
// upstream serves more than its report says), so none fires then.
func upstreamMisconfigured(e *eval) []probes.Finding {
	up, u, j, ok := e.upstreamSetting()
	s := e.st.Sync
	if !ok || (s.Last != nil && s.Last.Result == "Succeeded") {
		return nil
	}
	ev := []probes.Evidence{syncEvidence(e, probes.URLProblem("this server's upstream setting "+s.Upstream.URL(), u, probes.ServerMatch{Server: up.Name, Ports: up.Ports}))}
	if p := up.Ports.SSL; p != nil {
		mode := up.Name + " is not in SSL mode: downstreams use its HTTP port"
		if *p {
			mode = up.Name + " is in SSL mode: its web services require SSL on its HTTPS port"
		}
		ev = append(ev, probes.Evidence{Fact: mode, Source: up.Name + "'s own report"})
	}
	overTLS := j.Fix.Scheme == "https"
	how := "over plain HTTP"
	if overTLS {
		how = "over HTTPS"
	}
	steps := []probes.Step{
		ps("Show the upstream setting", "(Get-WsusServer).GetConfiguration() | Format-List 'UpstreamWsusServerName', 'UpstreamWsusServerPortNumber', 'UpstreamWsusServerUseSsl', 'IsReplicaServer'"),
		ps(fmt.Sprintf("Synchronize from %s on port %d %s (the upstream's name and the replica setting stay as they are)", s.Upstream.Host, j.Fix.Port, how),
			fmt.Sprintf("$config = (Get-WsusServer).GetConfiguration(); $config.UpstreamWsusServerPortNumber = %d; $config.UpstreamWsusServerUseSsl = $%t; $config.Save()", j.Fix.Port, overTLS)),
	}
	if overTLS {
		steps = append(steps, note("Over HTTPS this server must trust "+up.Name+"'s certificate, and "+s.Upstream.Host+" must be a name the certificate carries"))
	}
	steps = append(steps, e.syncAgain())
	f := finding(fmt.Sprintf("%s:%d", s.Upstream.Host, s.Upstream.Port), ev, steps...)
	switch j.Fault {
	case probes.URLFaultNoPort, probes.URLFaultPort:
		f.Title = fmt.Sprintf("The upstream setting uses port %d, which %s does not serve", j.Port, up.Name)
	case probes.URLFaultHTTPSOnHTTP:
		f.Title = fmt.Sprintf("The upstream setting speaks HTTPS to %s's HTTP port %d", up.Name, j.Port)
	case probes.URLFaultHTTPOnHTTPS:
		f.Title = fmt.Sprintf("The upstream setting speaks plain HTTP to %s's HTTPS port %d", up.Name, j.Port)
	case probes.URLFaultHTTPToSSL:
		f.Title = fmt.Sprintf("The upstream setting uses plain HTTP, but %s is in SSL mode", up.Name)
	}
	f.Summary = "This server cannot synchronize from " + up.Name + " until its upstream setting names the port and scheme " + up.Name + " serves: " + j.Fix.String() + "."
	return []probes.Finding{f}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
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
	scheme := "http"
	if s.Upstream.SSL {
		scheme = "https"
	}
	body := fmt.Sprintf(`{"name":"%s","url":"%s://%s"}`, s.Upstream.Host, scheme, hp)
	return []probes.Finding{finding(hp, []probes.Evidence{syncEvidence(e, "this server synchronizes from "+hp+", which is not a server of this fleet")},
		ps("Check the upstream setting", "(Get-WsusServer).GetConfiguration() | Format-List 'UpstreamWsusServerName', 'UpstreamWsusServerPortNumber', 'UpstreamWsusServerUseSsl', 'IsReplicaServer'"),
		ps("If it is right, let the dashboard watch it too (set WSUSFLEET_URL to the dashboard and WSUSFLEET_TOKEN to an admin token first)",
			`Invoke-RestMethod -Method Post -Uri "$env:WSUSFLEET_URL/api/v1/servers" -Headers @{ Authorization = "Bearer $env:WSUSFLEET_TOKEN" } -ContentType 'application/json' -Body `+q(body)))}
}
