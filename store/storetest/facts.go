package storetest

import (
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
)

// testFactsAssembly: what the rules see besides a server's state — when its
// silent clients went silent (by day), when its open findings were first
// seen, since when it is watched, and its upstream's open findings — and
// which cause its gap clients are attributed to.
func testFactsAssembly(t *testing.T, open Opener) {
	var mu sync.Mutex
	seen := map[string]probes.Facts{}
	var upstream probes.FleetServer
	var upstreamFound bool
	diagnose := func(f probes.Facts) []probes.Finding {
		mu.Lock()
		defer mu.Unlock()
		seen[f.State.Name] = f
		var out []probes.Finding
		for _, c := range f.State.VDirChecks {
			if c.Status == 503 {
				out = append(out, probes.Finding{Rule: "wsuspool_stopped", Severity: probes.SeverityCritical, Title: "WsusPool is stopped",
					Evidence: []probes.Evidence{{Fact: "503", Source: "probe"}}})
				break
			}
		}
		for _, g := range f.Gaps {
			gap := probes.Finding{Rule: g.Category, Subject: g.Category, Severity: probes.SeverityWarning, Title: g.Category,
				Evidence: []probes.Evidence{{Fact: "gap", Source: "clients"}}}
			if len(out) > 0 && g.Category == probes.GapStaleReport {
				gap.Cause = "wsuspool_stopped"
			}
			out = append(out, gap)
		}
		if f.State.Sync != nil && f.State.Sync.Upstream != nil && f.Upstream != nil {
			upstream, upstreamFound = f.Upstream(f.State.Sync.Upstream.Host, f.State.Sync.Upstream.Port)
			// A non-gap finding explained by another server must not become the gap cause.
			out = append(out, probes.Finding{Rule: "sync_failing", Severity: probes.SeverityWarning, Title: "Synchronization fails",
				Cause: "wsuspool_stopped", CauseServer: "wsus01.corp.example", Evidence: []probes.Evidence{{Fact: "sync", Source: "sync"}}})
		}
		return out
	}
	s, clock := fixed(t, open, store.Options{Diagnose: diagnose})
	day := 24 * time.Hour
	r := Report("facts-1", "wsus01.corp.example", T0)
	r.VDirChecks[0].Status = 503
	ages := []time.Duration{time.Hour, 10 * day, 10*day + time.Hour, 12 * day, 40 * day, -1}
	r.Clients = &probes.ClientList{Complete: true, Items: Clients(len(ages), T0, func(i int) time.Duration { return ages[i] })}
	mustSave(t, s, r)
	settle(t, s)

	mu.Lock()
	f := seen["wsus01.corp.example"]
	mu.Unlock()
	if !f.WatchedSince.Equal(T0) || !f.Now.Equal(T0) || len(f.Opened) != 0 || f.StaleAfter != 7*24*time.Hour {
		t.Errorf("first diagnosis: watched since %v, now %v, opened %v, stale after %v", f.WatchedSince, f.Now, f.Opened, f.StaleAfter)
	}
	dayOf := func(d time.Duration) time.Time { return T0.Add(-d).Truncate(day) }
	wantStale := []probes.DayCount{{Day: dayOf(10 * day), Count: 2}, {Day: dayOf(12 * day), Count: 1}, {Day: dayOf(40 * day), Count: 1}}
	if got := f.Silence[probes.GapStaleReport]; !slices.EqualFunc(got, wantStale, sameDay) {
		t.Errorf("stale clients went silent on %v, want %v", got, wantStale)
	}
	if got := f.Silence[probes.GapNeverReported]; !slices.EqualFunc(got, []probes.DayCount{{Day: T0.Truncate(day), Count: 1}}, sameDay) {
		t.Errorf("the never-reported client counts from when it was listed: %v", got)
	}
	if _, ok := f.Silence[probes.GapExpectedMissing]; ok || len(f.Silence) != 2 {
		t.Errorf("silence of categories without timing: %v", f.Silence)
	}

	clock.Advance(2 * time.Hour)
	r2 := Report("facts-2", "wsus01.corp.example", T0.Add(2*time.Hour))
	r2.VDirChecks[0].Status = 503
	mustSave(t, s, r2)
	settle(t, s)
	st := mustState(t, s, "wsus01.corp.example")
	mu.Lock()
	f = seen["wsus01.corp.example"]
	mu.Unlock()
	want := map[probes.FindingKey]time.Time{
		{Rule: "wsuspool_stopped"}:                                        T0,
		{Rule: probes.GapStaleReport, Subject: probes.GapStaleReport}:     T0,
		{Rule: probes.GapNeverReported, Subject: probes.GapNeverReported}: T0,
	}
	if !maps.EqualFunc(f.Opened, want, time.Time.Equal) {
		t.Errorf("open findings first seen %v, want %v", f.Opened, want)
	}
	if st.GapCause != "wsuspool_stopped" {
		t.Errorf("gap cause %q, want the stale clients' cause", st.GapCause)
	}

	// A downstream sees its upstream's open findings and since when it is watched.
	clock.Advance(time.Hour)
	down := Report("facts-3", "wsus02.corp.example", T0.Add(3*time.Hour))
	down.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: "wsus01.corp.example", Port: 8530},
		Last: &probes.SyncRun{StartedAt: probes.TimeOf(T0.Add(2 * time.Hour)), Result: "Failed"}}
	mustSave(t, s, down)
	settle(t, s)
	st = mustState(t, s, "wsus02.corp.example")
	mu.Lock()
	defer mu.Unlock()
	// Its ports are what the rules judge the downstream's setting against
	// (here from its URL: 8530, SSL 8531, SSL mode unknown).
	if !upstreamFound || upstream.Name != "wsus01.corp.example" || !upstream.WatchedSince.Equal(T0) ||
		upstream.Ports.HTTP != 8530 || upstream.Ports.HTTPS != 8531 || upstream.Ports.SSL != nil {
		t.Fatalf("upstream %+v (found %v)", upstream, upstreamFound)
	}
	i := slices.IndexFunc(upstream.Findings, func(x probes.FleetFinding) bool { return x.Rule == "wsuspool_stopped" })
	if i < 0 || upstream.Findings[i].Title != "WsusPool is stopped" || upstream.Findings[i].Severity != probes.SeverityCritical || !upstream.Findings[i].FirstSeen.Equal(T0) {
		t.Errorf("upstream findings %+v", upstream.Findings)
	}
	if st.GapCause != "" {
		t.Errorf("a cross-server cause of a non-gap finding became the gap cause: %q", st.GapCause)
	}
	if len(st.Findings) != 1 || st.Findings[0].CauseServer != "wsus01.corp.example" {
		t.Errorf("the cross-server reference is not stored: %+v", st.Findings)
	}
}

// settle classifies the clients and diagnoses what is due.
func settle(tb testing.TB, s *store.Store) {
	tb.Helper()
	if _, _, err := s.Settle(ctx()); err != nil {
		tb.Fatal(err)
	}
}

func sameDay(a, b probes.DayCount) bool { return a.Day.Equal(b.Day) && a.Count == b.Count }
