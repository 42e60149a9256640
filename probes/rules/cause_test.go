package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

const day = 24 * time.Hour

// silentSince is n clients whose last report was ago (by day).
func silentSince(ago time.Duration, n int64) probes.DayCount {
	return probes.DayCount{Day: now.Add(-ago).Truncate(day), Count: n}
}

func staleGap(n int64) []probes.GapCount {
	return []probes.GapCount{{Category: probes.GapStaleReport, Count: n, Samples: []probes.GapSample{{Name: "pc0042.corp.example", Detail: "last report 20 days ago"}}}}
}

func expiredCert(st *probes.ServerState) {
	all(st, func(c *probes.VDirCheck) {
		c.TLS = &probes.TLSInfo{Subject: "CN=wsus01.corp.example", NotAfter: at(day), ChainValid: false, NameMatches: true, Error: "x509: certificate has expired"}
	})
}

func stoppedPool(st *probes.ServerState) {
	all(st, func(c *probes.VDirCheck) { c.Status, c.Server = 503, "Microsoft-HTTPAPI/2.0" })
}

// causeCase is a scenario with what its causal links must be.
type causeCase struct {
	scenario
	check func(t *testing.T, byRule map[string]probes.Finding)
}

func causeCases() []causeCase {
	watched := func(f *probes.Facts) { f.WatchedSince = now.Add(-60 * day) }
	return []causeCase{
		{scenario{name: "a certificate that expired yesterday does not explain clients silent for 20 days", change: expiredCert,
			facts: func(f *probes.Facts) {
				f.Gaps = staleGap(300)
				f.Silence = map[string][]probes.DayCount{probes.GapStaleReport: {silentSince(20*day, 180), silentSince(21*day, 120)}}
			},
			want: []string{"ssl_cert_invalid", probes.GapStaleReport}},
			func(t *testing.T, by map[string]probes.Finding) {
				stale := by[probes.GapStaleReport]
				if stale.Cause != "" || stale.Severity != warning || !strings.Contains(stale.Summary, "began after these clients went silent") ||
					!strings.Contains(stale.Summary, "the certificate expired on 2026-11-20") {
					t.Errorf("stale clients attributed to a later cause: %+v", stale)
				}
			}},
		{scenario{name: "an expired certificate explains clients that went silent when it expired",
			change: func(st *probes.ServerState) {
				all(st, func(c *probes.VDirCheck) {
					c.TLS = &probes.TLSInfo{Subject: "CN=wsus01.corp.example", NotAfter: at(9 * day), ChainValid: false, NameMatches: true, Error: "x509: certificate has expired"}
				})
			},
			facts: func(f *probes.Facts) {
				f.Gaps = staleGap(300)
				f.Silence = map[string][]probes.DayCount{probes.GapStaleReport: {silentSince(9*day, 300)}}
			},
			want: []string{"ssl_cert_invalid", probes.GapStaleReport}},
			func(t *testing.T, by map[string]probes.Finding) {
				if stale := by[probes.GapStaleReport]; stale.Cause != "ssl_cert_invalid" || stale.Severity != info {
					t.Errorf("not attributed to the certificate: %+v", stale)
				}
				if c := by["ssl_cert_invalid"]; !slices.Contains(c.Explains, probes.FindingRef{Rule: probes.GapStaleReport, Subject: probes.GapStaleReport}) {
					t.Errorf("the cause does not list what it explains: %+v", c.Explains)
				}
			}},
		{scenario{name: "a pool first seen stopped 25 days ago explains clients silent for 24", change: stoppedPool,
			facts: func(f *probes.Facts) {
				watched(f)
				f.Opened = map[probes.FindingKey]time.Time{{Rule: "wsuspool_stopped"}: now.Add(-25 * day)}
				f.Gaps = staleGap(5000)
				f.Silence = map[string][]probes.DayCount{probes.GapStaleReport: {silentSince(25*day, 3000), silentSince(24*day, 2000)}}
			},
			want: []string{"wsuspool_stopped", probes.GapStaleReport}},
			func(t *testing.T, by map[string]probes.Finding) {
				stale := by[probes.GapStaleReport]
				if stale.Cause != "wsuspool_stopped" || stale.CauseServer != "" || stale.Severity != info || !strings.Contains(stale.Summary, `"WsusPool is stopped`) {
					t.Errorf("not attributed to the pool: %+v", stale)
				}
				if strings.Contains(stale.Summary, "wsuspool_stopped") {
					t.Errorf("the summary names the rule id: %q", stale.Summary)
				}
			}},
		{scenario{name: "a pool that stopped today does not explain clients silent for 20 days", change: stoppedPool,
			facts: func(f *probes.Facts) {
				watched(f)
				f.Gaps = staleGap(900)
				f.Silence = map[string][]probes.DayCount{probes.GapStaleReport: {silentSince(20*day, 900)}}
			},
			want: []string{"wsuspool_stopped", probes.GapStaleReport}},
			func(t *testing.T, by map[string]probes.Finding) {
				if stale := by[probes.GapStaleReport]; stale.Cause != "" || !strings.Contains(stale.Summary, "first seen 2026-11-21") {
					t.Errorf("attributed to a pool that stopped after them: %+v", stale)
				}
			}},
		{scenario{name: "without timing a server-wide cause explains its silent clients", change: stoppedPool,
			facts: func(f *probes.Facts) { f.Gaps = staleGap(5000) },
			want:  []string{"wsuspool_stopped", probes.GapStaleReport}},
			func(t *testing.T, by map[string]probes.Finding) {
				if stale := by[probes.GapStaleReport]; stale.Cause != "wsuspool_stopped" {
					t.Errorf("%+v", stale)
				}
			}},
		{scenario{name: "most clients went silent with the cause, some long before", change: stoppedPool,
			facts: func(f *probes.Facts) {
				watched(f)
				f.Opened = map[probes.FindingKey]time.Time{{Rule: "wsuspool_stopped"}: now.Add(-10 * day)}
				f.Gaps = staleGap(1000)
				f.Silence = map[string][]probes.DayCount{probes.GapStaleReport: {silentSince(10*day, 800), silentSince(95*day, 200)}}
			},
			want: []string{"wsuspool_stopped", probes.GapStaleReport}},
			func(t *testing.T, by map[string]probes.Finding) {
				stale := by[probes.GapStaleReport]
				if stale.Cause != "wsuspool_stopped" || stale.Severity != warning || !strings.Contains(stale.Summary, "200 clients went silent before it began") {
					t.Errorf("%+v", stale)
				}
			}},
		{scenario{name: "scans that fail because SUSDB times out: the stale clients' root cause is the database",
			change: func(st *probes.ServerState) {
				st.Server.NotDeclinedUpdates = nil
				st.IISLog = mustIISLog(scanStorm(90)...)
				st.SDLog = sdlog(sqlTimeouts(412))
			},
			facts: func(f *probes.Facts) { f.Gaps = staleGap(700) },
			want:  []string{"database_performance", "scan_failures", probes.GapStaleReport}},
			func(t *testing.T, by map[string]probes.Finding) {
				if s := by["scan_failures"]; s.Cause != "database_performance" {
					t.Errorf("scan failures: %+v", s)
				}
				if s := by[probes.GapStaleReport]; s.Cause != "database_performance" {
					t.Errorf("stale clients name %q, not the root cause", s.Cause)
				}
				db := by["database_performance"]
				if len(db.Explains) != 2 || db.Cause != "" {
					t.Errorf("database finding: cause %q explains %+v", db.Cause, db.Explains)
				}
			}},
		{scenario{name: "a stopped pool does not explain clients that scan but do not report", change: stoppedPool,
			facts: func(f *probes.Facts) {
				f.Gaps = []probes.GapCount{{Category: probes.GapScanOKReportStale, Count: 40}}
			},
			want: []string{"wsuspool_stopped", probes.GapScanOKReportStale}},
			func(t *testing.T, by map[string]probes.Finding) {
				if s := by[probes.GapScanOKReportStale]; s.Cause != "" {
					t.Errorf("%+v", s)
				}
			}},
		{scenario{name: "anonymous authentication off on ReportingWebService explains clients that scan but do not report",
			change: func(st *probes.ServerState) {
				cfg(st, "ReportingWebService", func(c *probes.VDirConfig) { c.Anonymous = false })
			},
			facts: func(f *probes.Facts) {
				f.Gaps = []probes.GapCount{{Category: probes.GapScanOKReportStale, Count: 40}}
			},
			want: []string{"anonymous_auth_disabled", probes.GapScanOKReportStale}},
			func(t *testing.T, by map[string]probes.Finding) {
				if s := by[probes.GapScanOKReportStale]; s.Cause != "anonymous_auth_disabled" {
					t.Errorf("%+v", s)
				}
			}},
		{scenario{name: "a replica's sync fails because its upstream's pool is stopped", change: downstreamOf("wsus-west.corp.example"),
			want: []string{"sync_failing"}},
			func(t *testing.T, by map[string]probes.Finding) {
				f := by["sync_failing"]
				if f.Cause != "wsuspool_stopped" || f.CauseServer != "wsus-west.corp.example" || f.CauseSubject != "" {
					t.Fatalf("%+v", f)
				}
				up := probes.Finding{Rule: "wsuspool_stopped"}
				if !probes.ExplainedBy("wsus-west-replica.corp.example", f, "wsus-west.corp.example", up) ||
					probes.ExplainedBy("wsus-west-replica.corp.example", f, "wsus-west-replica.corp.example", up) {
					t.Error("ExplainedBy does not follow the cross-server reference")
				}
			}},
		{scenario{name: "an upstream finding that began after the replica's sync failed does not explain it",
			change: func(st *probes.ServerState) {
				downstreamOf("wsus-late.corp.example")(st)
				st.Sync.Last.StartedAt, st.Sync.Last.FinishedAt = at(30*time.Hour), at(30*time.Hour)
			},
			want: []string{"sync_failing"}},
			func(t *testing.T, by map[string]probes.Finding) {
				if f := by["sync_failing"]; f.Cause != "" {
					t.Errorf("%+v", f)
				}
			}},
		{scenario{name: "a 401 from the upstream is not its stopped pool",
			change: func(st *probes.ServerState) {
				downstreamOf("wsus-west.corp.example")(st)
				st.Sync.Last.Error = "WebException: The remote server returned an error: (401) Unauthorized."
			},
			want: []string{"sync_failing"}},
			func(t *testing.T, by map[string]probes.Finding) {
				if f := by["sync_failing"]; f.Cause != "" {
					t.Errorf("%+v", f)
				}
			}},
		{scenario{name: "SUSDB down explains the failing synchronization",
			change: func(st *probes.ServerState) {
				st.Services[2].State = "Stopped"
				st.Sync.Last.Result, st.Sync.Last.Error = "Failed", "SqlException: A network-related or instance-specific error occurred while establishing a connection to SQL Server."
			},
			want: []string{"database_unavailable", "sync_failing"}},
			func(t *testing.T, by map[string]probes.Finding) {
				if f := by["sync_failing"]; f.Cause != "database_unavailable" {
					t.Errorf("%+v", f)
				}
				if db := by["database_unavailable"]; len(db.Explains) != 1 {
					t.Errorf("%+v", db.Explains)
				}
			}},
		{scenario{name: "a stopped WsusService explains stale synchronization, and no step asks it to synchronize",
			change: func(st *probes.ServerState) {
				st.Services[0].State = "Stopped"
				st.Sync.Last.StartedAt, st.Sync.Last.FinishedAt = at(4*day), at(4*day)
			},
			want: []string{"wsus_service_stopped", "sync_stale"}, not: []string{"StartSynchronization"}},
			func(t *testing.T, by map[string]probes.Finding) {
				if f := by["sync_stale"]; f.Cause != "wsus_service_stopped" {
					t.Errorf("%+v", f)
				}
			}},
	}
}

func causeScenarios() []scenario {
	var out []scenario
	for _, c := range causeCases() {
		out = append(out, c.scenario)
	}
	return out
}

// TestCausality checks the causal links of the cause scenarios (TestRules
// checks what fires).
func TestCausality(t *testing.T) {
	for _, c := range causeCases() {
		t.Run(c.name, func(t *testing.T) {
			st := healthy()
			c.change(st)
			f := probes.Facts{State: st, Now: now, Upstream: upstreams}
			if c.facts != nil {
				c.facts(&f)
			}
			got := Diagnose(f)
			by := map[string]probes.Finding{}
			for _, x := range got {
				by[x.Rule] = x
				if x.Cause == x.Rule && x.CauseServer == "" {
					t.Errorf("%s explains itself", x.Rule)
				}
			}
			c.check(t, by)
		})
	}
}

// link keeps references consistent: a dangling one is dropped, a chain is
// shortened to its root, a cycle is broken, a cross-server one is kept.
func TestLink(t *testing.T) {
	got := link([]probes.Finding{
		{Rule: "a"},
		{Rule: "b", Cause: "a"},
		{Rule: "c", Cause: "b"},
		{Rule: "d", Cause: "gone"},
		{Rule: "e", Cause: "f"},
		{Rule: "f", Cause: "e"},
		{Rule: "g", Cause: "wsuspool_stopped", CauseServer: "wsus-hq.corp.example"},
		{Rule: "h", Cause: "g"},
	})
	want := map[string]string{"a": "", "b": "a", "c": "a", "d": "", "e": "", "f": "e", "g": "wsuspool_stopped", "h": "g"} // the cycle is broken
	for _, f := range got {
		if f.Cause != want[f.Rule] {
			t.Errorf("%s: cause %q, want %q", f.Rule, f.Cause, want[f.Rule])
		}
	}
	if a := got[0]; len(a.Explains) != 2 || a.Explains[0].Rule != "b" || a.Explains[1].Rule != "c" {
		t.Errorf("a explains %+v", a.Explains)
	}
	if g := got[6]; len(g.Explains) != 1 || g.Explains[0].Rule != "h" {
		t.Errorf("g explains %+v", g.Explains)
	}
}
