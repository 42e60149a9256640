package storetest

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
)

// counting opens a store with the real rules, counting how often they run,
// and one webhook channel.
func counting(t *testing.T, open Opener) (*store.Store, *Clock, *atomic.Int64) {
	t.Helper()
	runs := &atomic.Int64{}
	s, clock := fixed(t, open, store.Options{Diagnose: func(f probes.Facts) []probes.Finding {
		runs.Add(1)
		return rules.Diagnose(f)
	}})
	if _, err := s.CreateNotifier(ctx(), probes.NotifierInput{Name: "ops", Kind: probes.NotifierWebhook, URL: "http://127.0.0.1:9/hook", Secret: "s3cret"}, "test"); err != nil {
		t.Fatal(err)
	}
	return s, clock, runs
}

func openFinding(tb testing.TB, s *store.Store, server, rule string) *probes.Finding {
	tb.Helper()
	st := mustState(tb, s, server)
	if i := slices.IndexFunc(st.Findings, func(f probes.Finding) bool { return f.Rule == rule }); i >= 0 {
		return &st.Findings[i]
	}
	return nil
}

// A report that repeats what the rules read is judged without running them,
// and the judgement still counts toward the failure and success thresholds;
// a report that changes anything runs them.
func testRepeatedReportsSkipTheRules(t *testing.T, open Opener) {
	s, clock, runs := counting(t, open)
	n := 0
	push := func(stopped bool) {
		t.Helper()
		n++
		clock.Advance(time.Second) // the same 10-minute interval throughout
		mustSave(t, s, PoolStoppedReport(fmt.Sprintf("p%d", n), primary, clock.Now(), stopped, nil))
		settle(t, s)
	}
	// judgements < 0: not checked (a resolved alert keeps its count).
	want := func(rulesRan int64, delivered int, state string, judgements int) {
		t.Helper()
		if got := runs.Load(); got != rulesRan {
			t.Errorf("after report %d: the rules ran %d times, want %d", n, got, rulesRan)
		}
		if d := deliveries(t, s); len(d) != delivered {
			t.Errorf("after report %d: %d deliveries, want %d: %s", n, len(d), delivered, describe(d))
		}
		alerts, err := s.Alerts(ctx())
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(alerts, func(a probes.Alert) bool { return a.Rule == "wsuspool_stopped" })
		if state == "" {
			if i >= 0 {
				t.Errorf("after report %d: want no pool alert, got %+v", n, alerts[i])
			}
			return
		}
		if i < 0 || alerts[i].State != state || (judgements >= 0 && alerts[i].Judgements != judgements) {
			t.Errorf("after report %d: want the pool alert %s after %d judgements: %+v", n, state, judgements, alerts)
		}
	}
	push(true)
	want(1, 0, probes.AlertPending, 1)
	push(true) // the same again: judged on the last diagnosis, and it fires (threshold 2)
	want(1, 1, probes.AlertFiring, 2)
	if f := openFinding(t, s, primary, "wsuspool_stopped"); f == nil || !f.LastSeen.Equal(clock.Now()) {
		t.Errorf("the judgement must see the finding again now (%s): %+v", clock.Now(), f)
	}
	push(true)
	want(1, 1, probes.AlertFiring, 3)
	push(false) // the pool started: a change, so the rules run
	want(2, 1, probes.AlertFiring, 1)
	if f := openFinding(t, s, primary, "wsuspool_stopped"); f != nil {
		t.Errorf("the pool runs again: its finding must resolve: %+v", f)
	}
	push(false) // the same: the second judgement without it resolves (threshold 2)
	want(2, 2, probes.AlertResolved, -1)
	if d := deliveries(t, s); len(d) == 2 && d[1].Event != probes.EventResolved {
		t.Errorf("the second delivery must be the resolution: %s", describe(d))
	}
	// A blip: seen once, then gone, is forgotten without a word.
	push(true)
	push(false)
	want(4, 2, probes.AlertResolved, -1)
}

// What time alone changes is still found while reports repeat themselves:
// the rules run again once the last diagnosis is older than the refresh
// interval, and a report collected in another interval is a change.
func testRepeatedReportsStillSeeTime(t *testing.T, open Opener) {
	s, clock, runs := counting(t, open)
	collected := T0
	n := 0
	push := func() {
		t.Helper()
		n++
		mustSave(t, s, ReplicaReport(fmt.Sprintf("r%d", n), replica, "upstream.corp.example", collected, false))
		settle(t, s)
	}
	push()
	if runs.Load() != 1 || openFinding(t, s, replica, "sync_stale") != nil {
		t.Fatalf("a fresh synchronization: the rules ran once (%d) and find nothing stale", runs.Load())
	}
	clock.Advance(time.Minute)
	push() // the very same report: no new diagnosis
	if runs.Load() != 1 {
		t.Fatalf("a repeated report within the interval: the rules ran %d times, want 1", runs.Load())
	}
	// Two days on, the same report (its collector's clock stuck) still
	// repeats what the rules read, but the synchronization is now stale.
	clock.Advance(49 * time.Hour)
	push()
	f := openFinding(t, s, replica, "sync_stale")
	if runs.Load() != 2 || f == nil || !f.FirstSeen.Equal(clock.Now()) {
		t.Fatalf("after 49 hours the rules must run again (ran %d times) and find the stale synchronization: %+v", runs.Load(), f)
	}
	clock.Advance(time.Minute)
	push()
	if f := openFinding(t, s, replica, "sync_stale"); runs.Load() != 2 || f == nil || !f.LastSeen.Equal(clock.Now()) {
		t.Errorf("a repeat a minute later is judged on that diagnosis (ran %d times) and sees the finding now: %+v", runs.Load(), f)
	}
	// A report collected in the next interval is a change, whatever else it repeats.
	collected = collected.Add(11 * time.Minute)
	clock.Advance(time.Minute)
	push()
	if runs.Load() != 3 {
		t.Errorf("a report collected 11 minutes later must be diagnosed: the rules ran %d times, want 3", runs.Load())
	}
}

// Checks that differ only in timings the rules do not read (a latency under
// the slow threshold, the connect time) repeat what the rules read; a check
// that turns slow does not.
func testTimingsUnderTheThreshold(t *testing.T, open Opener) {
	s, clock, runs := counting(t, open)
	n := 0
	push := func(latency float64) {
		t.Helper()
		n++
		clock.Advance(time.Second)
		r := Report(fmt.Sprintf("t%d", n), primary, clock.Now())
		for i := range r.VDirChecks {
			connect := latency / 4
			r.VDirChecks[i].LatencyMS, r.VDirChecks[i].ConnectMS = latency, &connect
		}
		mustSave(t, s, r)
		settle(t, s)
	}
	push(12)
	push(40)
	push(probes.SlowMS)
	if runs.Load() != 1 {
		t.Errorf("latencies of 12, 40 and %d ms: the rules ran %d times, want 1", probes.SlowMS, runs.Load())
	}
	push(probes.SlowMS + 1)
	if runs.Load() != 2 {
		t.Errorf("a check over the slow threshold is a change: the rules ran %d times, want 2", runs.Load())
	}
}

// Servers whose reports repeat themselves are judged together (one
// statement per kind for all of them, on PostgreSQL one round trip), split
// where a server between them is diagnosed in full: every server's alert
// still counts each judgement, fires, reminds and resolves on its own, and
// a blip is forgotten, as if each had been judged alone.
func testRepeatedReportsJudgedTogether(t *testing.T, open Opener) {
	s, clock, runs := counting(t, open)
	cfg := probes.DefaultAlertSettings()
	cfg.ReminderInterval = "1h"
	if err := s.SaveAlertSettings(ctx(), cfg); err != nil {
		t.Fatal(err)
	}
	names := []string{"wsus-a0.corp.example", "wsus-a1.corp.example", "wsus-a2.corp.example", "wsus-a3.corp.example", "wsus-a4.corp.example"}
	n := 0
	// push reports each server (in order: their ids ascend), stopped[i]
	// saying whether its pool is stopped, then judges what is due.
	push := func(stopped ...bool) {
		t.Helper()
		clock.Advance(time.Second) // the same 10-minute interval throughout
		for i, name := range names {
			n++
			mustSave(t, s, PoolStoppedReport(fmt.Sprintf("j%d", n), name, clock.Now(), stopped[i], nil))
		}
		settle(t, s)
	}
	// want: each server's pool alert by state ("" none) and judgements (-1: not checked).
	want := func(step string, rulesRan int64, states []string, judgements []int) {
		t.Helper()
		if got := runs.Load(); got != rulesRan {
			t.Errorf("%s: the rules ran %d times, want %d", step, got, rulesRan)
		}
		alerts, err := s.Alerts(ctx())
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range names {
			k := slices.IndexFunc(alerts, func(a probes.Alert) bool { return a.Server == name && a.Rule == "wsuspool_stopped" })
			switch {
			case states[i] == "" && k >= 0:
				t.Errorf("%s: want no pool alert on %s, got %+v", step, name, alerts[k])
			case states[i] != "" && (k < 0 || alerts[k].State != states[i] || (judgements[i] >= 0 && alerts[k].Judgements != judgements[i])):
				t.Errorf("%s: want the pool alert on %s %s after %d judgements: %+v", step, name, states[i], judgements[i], alerts)
			}
		}
	}
	firing, pending, resolved := probes.AlertFiring, probes.AlertPending, probes.AlertResolved
	push(true, true, true, true, true)
	want("first reports", 5, []string{pending, pending, pending, pending, pending}, []int{1, 1, 1, 1, 1})
	// a2's pool started: it alone is diagnosed, between two runs of judgements.
	push(true, true, false, true, true)
	want("a2 started", 6, []string{firing, firing, "", firing, firing}, []int{2, 2, -1, 2, 2})
	if d := deliveries(t, s); len(d) != 4 {
		t.Errorf("four alerts fired: %s", describe(d))
	}
	for _, name := range []string{names[0], names[4]} {
		if f := openFinding(t, s, name, "wsuspool_stopped"); f == nil || !f.LastSeen.Equal(clock.Now()) {
			t.Errorf("the judgement must see %s's finding again now (%s): %+v", name, clock.Now(), f)
		}
	}
	push(true, true, false, true, true)
	want("repeated", 6, []string{firing, firing, "", firing, firing}, []int{3, 3, -1, 3, 3})
	// a1's pool started: its alert counts judgements without it, the
	// second (judged with a0, a3 and a4) resolves it.
	push(true, false, false, true, true)
	want("a1 started", 7, []string{firing, firing, "", firing, firing}, []int{4, 1, -1, 4, 4})
	push(true, false, false, true, true)
	want("a1 repeated", 7, []string{firing, resolved, "", firing, firing}, []int{5, -1, -1, 5, 5})
	d := deliveries(t, s)
	if len(d) != 5 || d[4].Event != probes.EventResolved || d[4].Server != names[1] {
		t.Errorf("four firings and a1's resolution: %s", describe(d))
	}
	// The judgements left each firing alert's reminder where its firing set
	// it: an hour on, one reminder each.
	// (The servers, silent for an hour, also turn unknown.)
	clock.Advance(time.Hour)
	tick(t, s)
	var reminded []string
	for _, x := range deliveries(t, s) {
		if x.Reminder && x.Rule == "wsuspool_stopped" {
			reminded = append(reminded, x.Server)
		}
	}
	slices.Sort(reminded)
	if !slices.Equal(reminded, []string{names[0], names[3], names[4]}) {
		t.Errorf("an hour after firing, want one reminder each for a0, a3 and a4: %s", describe(deliveries(t, s)))
	}
}
