package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// syncingFrom makes the server a replica of host with the given upstream
// setting and its last synchronization's outcome.
func syncingFrom(host string, port int, ssl bool, result, errText string) func(st *probes.ServerState) {
	return func(st *probes.ServerState) {
		st.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: host, Port: port, SSL: ssl, Replica: true},
			Last: &probes.SyncRun{StartedAt: at(time.Hour), FinishedAt: at(59 * time.Minute), Result: result, Error: errText}}
	}
}

// upstreamScenarios: a downstream that names its upstream with a port or
// scheme the upstream does not serve that way.
func upstreamScenarios() []scenario {
	const setSSL = "$config = (Get-WsusServer).GetConfiguration(); $config.UpstreamWsusServerPortNumber = 8531; $config.UpstreamWsusServerUseSsl = $true; $config.Save()"
	return []scenario{
		{name: "plain HTTP to an upstream in SSL mode, refused with 403",
			change: syncingFrom("wsus-ssl.corp.example", 8530, false, "Failed", "WebException: The remote server returned an error: (403) Forbidden."),
			want:   []string{"upstream_misconfigured", "sync_failing"}, severity: warning, says: setSSL},
		{name: "HTTPS to the upstream's HTTP port, the TLS handshake fails",
			change: syncingFrom("wsus-plain.corp.example", 8530, true, "Failed", "WebException: The underlying connection was closed: An unexpected error occurred on a send."),
			want:   []string{"upstream_misconfigured", "sync_failing"}, severity: warning,
			says: "$config.UpstreamWsusServerPortNumber = 8530; $config.UpstreamWsusServerUseSsl = $false; $config.Save()"},
		{name: "the upstream on port 80, where it does not listen",
			change: syncingFrom("wsus-plain.corp.example", 80, false, "Failed", "WebException: Unable to connect to the remote server"),
			want:   []string{"upstream_misconfigured", "sync_failing"}, says: "The upstream setting uses port 80, which wsus-plain.corp.example does not serve"},
		{name: "a setting that does not fit, but synchronization succeeded with it",
			change: syncingFrom("wsus-ssl.corp.example", 8530, false, "Succeeded", ""),
			not:    []string{"upstream setting"}},
		{name: "HTTPS to the upstream's HTTPS port is how it serves",
			change: syncingFrom("wsus-plain.corp.example", 8531, true, "Failed", "WebException: The remote server returned an error: (503) Server Unavailable."),
			want:   []string{"sync_failing"}, not: []string{"upstream setting"}},
		{name: "an upstream whose ports are unknown is not judged",
			change: syncingFrom("wsus-hq.corp.example", 8080, false, "Failed", "WebException: Unable to connect to the remote server"),
			want:   []string{"sync_failing"}, not: []string{"upstream setting"}},
	}
}

// The failing synchronization is explained by the setting when its error
// is what the setting gives, and only then.
func TestUpstreamMisconfigurationExplainsTheFailure(t *testing.T) {
	for _, tc := range []struct {
		name, errText string
		explained     bool
	}{
		{"403 Forbidden", "WebException: The remote server returned an error: (403) Forbidden.", true},
		{"503 from the upstream", "WebException: The remote server returned an error: (503) Server Unavailable.", false},
		{"no error text", "", false},
	} {
		st := healthy()
		syncingFrom("wsus-ssl.corp.example", 8530, false, "Failed", tc.errText)(st)
		got := Diagnose(probes.Facts{State: st, Now: now, Upstream: upstreams})
		by := map[string]probes.Finding{}
		for _, f := range got {
			by[f.Rule] = f
		}
		mis, ok := by["upstream_misconfigured"]
		if !ok || mis.Subject != "wsus-ssl.corp.example:8530" || !strings.Contains(describe(mis), "http://wsus-ssl.corp.example:8530 uses plain HTTP, but wsus-ssl.corp.example is in SSL mode") ||
			!strings.Contains(describe(mis), "https://wsus-ssl.corp.example:8531") || !strings.Contains(describe(mis), "trust wsus-ssl.corp.example's certificate") {
			t.Errorf("%s: misconfiguration %+v", tc.name, mis)
		}
		sync := by["sync_failing"]
		if explained := sync.Cause == "upstream_misconfigured" && sync.CauseServer == ""; explained != tc.explained {
			t.Errorf("%s: sync failure explained by the setting: %v, want %v (%+v)", tc.name, explained, tc.explained, sync)
		}
		if tc.explained && (got[0].Rule != "upstream_misconfigured" || !strings.HasPrefix(sync.Title, "Synchronization fails: the upstream setting uses plain HTTP")) {
			t.Errorf("%s: %v / %q", tc.name, rulesOf(got), sync.Title)
		}
	}
}
