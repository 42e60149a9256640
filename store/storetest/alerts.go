package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
)

// RunAlerts runs the alerting behaviours (root causes, noise control, the
// outbox) against the stores open makes, with the real rule catalogue.
func RunAlerts(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"OneNotificationPerRootCause", testRootCause},
		{"BlipsBelowTheThresholdAreForgotten", testBlip},
		{"SilencesAndWindowsHoldBackUntilTheyEnd", testMuted},
		{"RemindersStopWhenAcknowledged", testReminders},
		{"RoutesChooseChannels", testRoutes},
		{"SilentServerTurnsUnknownAndBack", testUnknownAlert},
		{"OutboxClaimRetryGiveUp", testOutbox},
		{"ChannelSecretsAreNeverListed", testSecrets},
		{"FleetGapThreshold", testFleetThreshold},
		{"RepeatedReportsSkipTheRules", testRepeatedReportsSkipTheRules},
		{"RepeatedReportsStillSeeTime", testRepeatedReportsStillSeeTime},
		{"TimingsUnderTheThresholdRepeat", testTimingsUnderTheThreshold},
		{"RepeatedReportsJudgedTogether", testRepeatedReportsJudgedTogether},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

const (
	primary = "wsus-west.corp.example"
	replica = "wsus-west-replica.corp.example"
)

// alerting opens a store with the real rules and one webhook channel.
func alerting(t *testing.T, open Opener) (*store.Store, *Clock, int64) {
	t.Helper()
	s, clock := fixed(t, open, store.Options{Diagnose: rules.Diagnose})
	id, err := s.CreateNotifier(ctx(), probes.NotifierInput{Name: "ops", Kind: probes.NotifierWebhook, URL: "http://127.0.0.1:9/hook", Secret: "s3cret"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s, clock, id
}

// PoolStoppedReport is a server report whose vDirs all answer 503 and whose
// WsusPool is Stopped, optionally with its (stale) client list.
func PoolStoppedReport(id, server string, at time.Time, stopped bool, clients []probes.Client) *probes.Report {
	r := Report(id, server, at)
	r.Collector.Vantage, r.Collector.Host = probes.VantageServer, strings.ToUpper(strings.Split(server, ".")[0])
	r.AppPool = &probes.AppPool{Name: "WsusPool", State: "Started"}
	if stopped {
		r.AppPool.State = "Stopped"
		for i := range r.VDirChecks {
			r.VDirChecks[i].Status, r.VDirChecks[i].WWWAuthenticate = 503, nil
		}
	}
	if clients != nil {
		r.Clients = &probes.ClientList{Complete: true, Items: clients}
	}
	return r
}

// ReplicaReport is a replica whose last synchronization from upstream failed (or succeeded).
func ReplicaReport(id, server, upstream string, at time.Time, failed bool) *probes.Report {
	r := Report(id, server, at)
	last := &probes.SyncRun{StartedAt: probes.TimeOf(at.Add(-10 * time.Minute)), FinishedAt: probes.TimeOf(at.Add(-9 * time.Minute)), Result: "Succeeded"}
	if failed {
		last.Result, last.Error = "Failed", "WebException: The remote server returned an error: (503) Server Unavailable."
	}
	r.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: upstream, Port: 8530, Replica: true}, Last: last}
	return r
}

func deliveries(tb testing.TB, s *store.Store) []probes.Delivery {
	tb.Helper()
	d, err := s.Deliveries(ctx(), probes.DeliveryQuery{Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	slices.Reverse(d) // oldest first
	return d
}

func message(tb testing.TB, s *store.Store, d probes.Delivery) probes.Notification {
	tb.Helper()
	items, err := s.ClaimNotifications(ctx(), "reader", 1000, time.Minute)
	if err != nil {
		tb.Fatal(err)
	}
	for _, it := range items {
		if it.ID == d.ID {
			return it.Message
		}
	}
	tb.Fatalf("delivery %d not claimable", d.ID)
	return probes.Notification{}
}

func describe(ds []probes.Delivery) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "\n  %d %s %s %s/%s %q reminder=%v", d.ID, d.Channel, d.Event, d.Server, d.Rule, d.Title, d.Reminder)
	}
	return b.String()
}

// The scenario of the issue: a pool stops on a server with a replica and
// 3,000 stale clients: one notification (the stopped pool, naming the
// clients and the replica's sync); the pool starts again: one resolution
// saying what recovered with it. Nothing about the clients or the replica
// on their own, before or after.
func testRootCause(t *testing.T, open Opener) {
	s, clock, _ := alerting(t, open)
	stale := Clients(3000, T0, func(i int) time.Duration { return time.Duration(8+i%20) * 24 * time.Hour })
	step := func(r *probes.Report) {
		t.Helper()
		clock.Advance(time.Minute)
		r.CollectedAt = probes.TimeOf(clock.Now())
		mustSave(t, s, r)
		settle(t, s)
	}
	step(PoolStoppedReport("p1", primary, T0, true, stale))
	if d := deliveries(t, s); len(d) != 0 {
		t.Fatalf("one judgement must not notify (failure threshold 2): %s", describe(d))
	}
	step(ReplicaReport("r1", replica, primary, T0, true))
	step(PoolStoppedReport("p2", primary, T0, true, nil))
	step(ReplicaReport("r2", replica, primary, T0, true))
	step(ReplicaReport("r3", replica, primary, T0, true))
	d := deliveries(t, s)
	if len(d) != 1 || d[0].Server != primary || d[0].Rule != "wsuspool_stopped" || d[0].Event != probes.EventFiring {
		t.Fatalf("want exactly one firing notification about wsuspool_stopped on %s: %s", primary, describe(d))
	}
	msg := message(t, s, d[0])
	if msg.Explains.Clients[probes.GapStaleReport] != 3000 || !strings.Contains(msg.Explains.Summary, "3,000 stale clients") {
		t.Errorf("the cause must name the stale clients it explains: %+v", msg.Explains)
	}
	if msg.Fix.Command == "" || !strings.Contains(msg.Fix.Command, "start apppool") || len(msg.Evidence) == 0 || len(msg.Evidence) > 3 {
		t.Errorf("the message carries the first fix step and two or three facts: fix %+v, %d facts", msg.Fix, len(msg.Evidence))
	}
	alerts, err := s.Alerts(ctx())
	if err != nil {
		t.Fatal(err)
	}
	var cause *probes.Alert
	for i := range alerts {
		if alerts[i].Server == replica && alerts[i].State != probes.AlertResolved {
			t.Errorf("the replica's failing sync is a symptom, not an alert of its own: %+v", alerts[i])
		}
		if alerts[i].Rule == "wsuspool_stopped" {
			cause = &alerts[i]
		}
	}
	if cause == nil || cause.State != probes.AlertFiring || !slices.ContainsFunc(cause.Message.Explains.Findings, func(s probes.Symptom) bool { return s.Server == replica && s.Rule == "sync_failing" }) {
		t.Fatalf("the firing cause must list the replica's sync among what it explains: %+v", cause)
	}
	// The pool starts: after the success threshold, one resolution.
	step(PoolStoppedReport("p3", primary, T0, false, nil))
	if d := deliveries(t, s); len(d) != 1 {
		t.Fatalf("one good judgement must not resolve (success threshold 2): %s", describe(d))
	}
	step(PoolStoppedReport("p4", primary, T0, false, nil))
	step(ReplicaReport("r4", replica, primary, T0, true)) // it reports the old failure until it syncs again
	step(ReplicaReport("r5", replica, primary, T0, true))
	step(PoolStoppedReport("p5", primary, T0, false, nil))
	d = deliveries(t, s)
	if len(d) != 2 || d[1].Event != probes.EventResolved || d[1].Rule != "wsuspool_stopped" {
		t.Fatalf("want the firing and one resolution, nothing about the stale clients or the replica: %s", describe(d))
	}
	res := message(t, s, d[1])
	if line := res.ExplainsLine(); !strings.Contains(line, "Recovered with it: 3,000 stale clients, sync of "+replica) {
		t.Errorf("the resolution must say what recovered with it: %q", line)
	}
	if res.Alert != msg.Alert || res.ID == msg.ID {
		t.Errorf("firing and resolution share the alert (%d, %d) and have their own ids (%s, %s)", msg.Alert, res.Alert, msg.ID, res.ID)
	}
}

func testBlip(t *testing.T, open Opener) {
	s, clock, _ := alerting(t, open)
	mustSave(t, s, PoolStoppedReport("b1", primary, T0, true, nil))
	settle(t, s)
	clock.Advance(time.Minute)
	mustSave(t, s, PoolStoppedReport("b2", primary, T0.Add(time.Minute), false, nil))
	settle(t, s)
	clock.Advance(time.Minute)
	mustSave(t, s, PoolStoppedReport("b3", primary, T0.Add(2*time.Minute), true, nil))
	settle(t, s)
	if d := deliveries(t, s); len(d) != 0 {
		t.Errorf("a cause seen once, gone, then seen once again is not two in a row: %s", describe(d))
	}
	alerts, _ := s.Alerts(ctx())
	if len(alerts) != 1 || alerts[0].State != probes.AlertPending || alerts[0].Judgements != 1 {
		t.Errorf("want one pending alert with one judgement: %+v", alerts)
	}
}

// fire makes the pool-stopped alert of primary fire (two judgements).
func fire(t *testing.T, s *store.Store, clock *Clock, prefix string) {
	t.Helper()
	for i := range 2 {
		clock.Advance(time.Minute)
		mustSave(t, s, PoolStoppedReport(fmt.Sprintf("%s%d", prefix, i), primary, clock.Now(), true, nil))
		settle(t, s)
	}
}

func tick(tb testing.TB, s *store.Store) int {
	tb.Helper()
	n, err := s.AlertTick(ctx())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func testMuted(t *testing.T, open Opener) {
	s, clock, _ := alerting(t, open)
	sl := probes.Silence{Server: "wsus-west*", Reason: "pool rebuild", For: "1h", CreatedBy: "alice"}
	if err := sl.Validate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateSilence(ctx(), sl)
	if err != nil {
		t.Fatal(err)
	}
	fire(t, s, clock, "m")
	if d := deliveries(t, s); len(d) != 0 {
		t.Fatalf("a silenced cause must not notify: %s", describe(d))
	}
	alerts, _ := s.Alerts(ctx())
	if len(alerts) != 1 || alerts[0].State != probes.AlertFiring || !strings.Contains(alerts[0].Muted, "pool rebuild") {
		t.Fatalf("the alert fires, held back by the silence: %+v", alerts)
	}
	if n := tick(t, s); n != 0 {
		t.Fatalf("a tick within the silence queued %d", n)
	}
	if err := s.ExpireSilence(ctx(), id); err != nil {
		t.Fatal(err)
	}
	if n := tick(t, s); n != 1 {
		t.Fatalf("once the silence ends, the cause still open is notified: queued %d", n)
	}
	if n := tick(t, s); n != 0 {
		t.Fatalf("and only once: queued %d more", n)
	}
	// A maintenance window around now holds back a new cause on another server.
	start := clock.Now().Add(-time.Hour).Format("15:04")
	w := probes.MaintenanceWindow{Name: "patch night", Server: "wsus-east*", Every: probes.EveryDay, Start: start, Duration: "3h"}
	if err := w.Validate(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMaintenanceWindow(ctx(), w); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		clock.Advance(time.Minute)
		mustSave(t, s, PoolStoppedReport(fmt.Sprintf("e%d", i), "wsus-east.corp.example", clock.Now(), true, nil))
		settle(t, s)
	}
	if d := deliveries(t, s); len(d) != 1 {
		t.Fatalf("the window holds back wsus-east: %s", describe(d))
	}
	clock.Advance(3 * time.Hour)
	mustSave(t, s, PoolStoppedReport("e-late", "wsus-east.corp.example", clock.Now(), true, nil))
	mustSave(t, s, PoolStoppedReport("w-late", primary, clock.Now(), true, nil))
	tick(t, s)
	if d := deliveries(t, s); len(d) != 2 || d[1].Server != "wsus-east.corp.example" || d[1].Event != probes.EventFiring {
		t.Fatalf("after the window, the open cause on wsus-east is notified: %s", describe(d))
	}
}

func testReminders(t *testing.T, open Opener) {
	s, clock, _ := alerting(t, open)
	cfg := probes.DefaultAlertSettings()
	cfg.ReminderInterval = "1h"
	if err := s.SaveAlertSettings(ctx(), cfg); err != nil {
		t.Fatal(err)
	}
	fire(t, s, clock, "rem")
	clock.Advance(30 * time.Minute)
	mustSave(t, s, PoolStoppedReport("keep1", primary, clock.Now(), true, nil))
	if n := tick(t, s); n != 0 {
		t.Fatalf("a reminder before its interval: %d", n)
	}
	clock.Advance(31 * time.Minute)
	mustSave(t, s, PoolStoppedReport("keep2", primary, clock.Now(), true, nil))
	if n := tick(t, s); n != 1 {
		t.Fatalf("want one reminder after the interval, queued %d", n)
	}
	d := deliveries(t, s)
	if len(d) != 2 || !d[1].Reminder || d[1].Event != probes.EventFiring {
		t.Fatalf("want the firing and a reminder: %s", describe(d))
	}
	alerts, _ := s.Alerts(ctx())
	if err := s.AckAlert(ctx(), alerts[0].ID, "bob"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	mustSave(t, s, PoolStoppedReport("keep3", primary, clock.Now(), true, nil))
	if n := tick(t, s); n != 0 {
		t.Fatalf("an acknowledged alert is not reminded of: queued %d", n)
	}
	if err := s.AckAlert(ctx(), 999999, "bob"); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("ack of an unknown alert: %v", err)
	}
}

func testRoutes(t *testing.T, open Opener) {
	s, clock, ops := alerting(t, open)
	pager, err := s.CreateNotifier(ctx(), probes.NotifierInput{Name: "pager", Kind: probes.NotifierSlack, URL: "https://hooks.slack.com/services/T0/B0/XYZ"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAlertRoute(ctx(), probes.AlertRoute{Notifier: pager, MinSeverity: probes.SeverityCritical, Server: "wsus-west*"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAlertRoute(ctx(), probes.AlertRoute{Notifier: 424242, MinSeverity: probes.SeverityWarning}); err == nil {
		t.Error("a route to an unknown channel is accepted")
	}
	fire(t, s, clock, "w") // critical on wsus-west: both
	for i := range 2 {     // critical on wsus-east: only ops (no route)
		clock.Advance(time.Minute)
		mustSave(t, s, PoolStoppedReport(fmt.Sprintf("e%d", i), "wsus-east.corp.example", clock.Now(), true, nil))
		settle(t, s)
	}
	got := map[string][]string{}
	for _, d := range deliveries(t, s) {
		got[d.Server] = append(got[d.Server], d.Channel)
		if d.Notifier != ops && d.Notifier != pager {
			t.Errorf("delivery to channel %d", d.Notifier)
		}
	}
	slices.Sort(got[primary])
	if !slices.Equal(got[primary], []string{"ops", "pager"}) || !slices.Equal(got["wsus-east.corp.example"], []string{"ops"}) {
		t.Errorf("routes: %v", got)
	}
}

func testUnknownAlert(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{Diagnose: rules.Diagnose, UnknownAfter: 15 * time.Minute})
	if _, err := s.CreateNotifier(ctx(), probes.NotifierInput{Name: "ops", Kind: probes.NotifierWebhook, URL: "http://127.0.0.1:9/"}, "t"); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, Report("u1", "wsus-quiet.corp.example", T0))
	if n := tick(t, s); n != 0 {
		t.Fatalf("a fresh server: queued %d", n)
	}
	clock.Advance(16 * time.Minute)
	if n := tick(t, s); n != 1 {
		t.Fatalf("a silent server notifies once: queued %d", n)
	}
	if n := tick(t, s); n != 0 {
		t.Fatalf("and only once: %d", n)
	}
	mustSave(t, s, Report("u2", "wsus-quiet.corp.example", clock.Now()))
	if n := tick(t, s); n != 1 {
		t.Fatalf("heard from again: one resolution, queued %d", n)
	}
	d := deliveries(t, s)
	if len(d) != 2 || d[0].Rule != probes.RuleServerUnknown || d[1].Event != probes.EventResolved {
		t.Errorf("deliveries: %s", describe(d))
	}
}

func testOutbox(t *testing.T, open Opener) {
	s, clock, _ := alerting(t, open)
	for i := range 5 {
		for j := range 2 {
			clock.Advance(time.Second)
			mustSave(t, s, PoolStoppedReport(fmt.Sprintf("o%d-%d", i, j), fmt.Sprintf("wsus%02d.corp.example", i), clock.Now(), true, nil))
			settle(t, s)
		}
	}
	if d := deliveries(t, s); len(d) != 5 {
		t.Fatalf("want 5 pending deliveries: %s", describe(d))
	}
	// Claimers racing: every delivery is claimed exactly once.
	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	for c := range 4 {
		holder := fmt.Sprintf("instance-%d", c)
		wg.Go(func() {
			for range 3 {
				items, err := s.ClaimNotifications(ctx(), holder, 2, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, it := range items {
					if prev, ok := claimed[it.ID]; ok {
						t.Errorf("delivery %d claimed by %s and %s", it.ID, prev, holder)
					}
					claimed[it.ID] = holder
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != 5 {
		t.Fatalf("claimed %d of 5", len(claimed))
	}
	ids := make([]int64, 0, 5)
	for id := range claimed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// Sent; retried with back-off; refused for good; a stale holder is ignored.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.FinishNotification(ctx(), ids[0], claimed[ids[0]], probes.DeliveryResult{OK: true, Answer: "200 OK"}))
	must(s.FinishNotification(ctx(), ids[1], claimed[ids[1]], probes.DeliveryResult{Answer: "500 Internal Server Error", Retry: clock.Now()}))
	must(s.FinishNotification(ctx(), ids[2], claimed[ids[2]], probes.DeliveryResult{Answer: "404 Not Found"}))
	must(s.FinishNotification(ctx(), ids[3], "someone-else", probes.DeliveryResult{OK: true}))
	byID := map[int64]probes.Delivery{}
	for _, d := range deliveries(t, s) {
		byID[d.ID] = d
	}
	if d := byID[ids[0]]; d.State != probes.DeliverySent || d.Attempts != 1 || d.SentAt == nil || d.Answer != "200 OK" {
		t.Errorf("sent: %+v", d)
	}
	if d := byID[ids[1]]; d.State != probes.DeliveryPending || d.Attempts != 1 || d.NextAttempt == nil || !d.NextAttempt.Equal(clock.Now().Add(30*time.Second)) {
		t.Errorf("retried after 30 s: %+v", d)
	}
	if d := byID[ids[2]]; d.State != probes.DeliveryFailed || !strings.Contains(d.Answer, "404") {
		t.Errorf("refused for good: %+v", d)
	}
	if d := byID[ids[3]]; d.State != probes.DeliverySending {
		t.Errorf("a finish by another holder must not count: %+v", d)
	}
	// Nothing is due until the back-off (or the lease) ends.
	if items, _ := s.ClaimNotifications(ctx(), "x", 10, time.Minute); len(items) != 0 {
		t.Errorf("claimed %d before anything was due", len(items))
	}
	clock.Advance(31 * time.Second)
	items, err := s.ClaimNotifications(ctx(), "x", 10, time.Minute)
	if err != nil || len(items) != 1 || items[0].ID != ids[1] || items[0].Attempts != 1 {
		t.Fatalf("after the back-off, the retry is due: %+v %v", items, err)
	}
	clock.Advance(time.Minute)
	items, _ = s.ClaimNotifications(ctx(), "y", 10, time.Minute)
	if len(items) != 3 { // the retry's lease ended, and the two claims never finished
		t.Errorf("expired claims are taken over: %d", len(items))
	}
	for _, it := range items {
		if it.ID == ids[1] {
			// The second failure doubles the back-off; past give_up_after it fails for good.
			clock.Advance(25 * time.Hour)
			must(s.FinishNotification(ctx(), it.ID, "y", probes.DeliveryResult{Answer: "503", Retry: clock.Now()}))
		}
	}
	for _, d := range deliveries(t, s) {
		if d.ID == ids[1] && (d.State != probes.DeliveryFailed || d.Attempts != 2) {
			t.Errorf("past give_up_after: %+v", d)
		}
	}
	if n, err := s.PruneAlerts(ctx(), clock.Now().Add(time.Hour)); err != nil || n < 3 {
		t.Errorf("prune: %d %v", n, err)
	}
}

func testSecrets(t *testing.T, open Opener) {
	s, _, id := alerting(t, open)
	mail := probes.NotifierInput{Name: "mail", Kind: probes.NotifierEmail, Email: &probes.EmailSettings{Host: "smtp.corp.example", Security: probes.SMTPStartTLS,
		Username: "wsusfleet", Password: "hunter22", From: "wsusfleet@corp.example", To: []string{"ops@corp.example"}}}
	if err := mail.Validate(T0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateNotifier(ctx(), mail, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateNotifier(ctx(), mail, "t"); !errors.Is(err, probes.ErrConflict) {
		t.Errorf("a second channel with the same name: %v", err)
	}
	list, err := s.Notifiers(ctx())
	if err != nil || len(list) != 2 {
		t.Fatal(list, err)
	}
	text := fmt.Sprintf("%+v", list)
	for _, secret := range []string{"hunter22", "s3cret", "/hook"} {
		if strings.Contains(text, secret) {
			t.Errorf("the list shows a secret (%s): %s", secret, text)
		}
	}
	if !list[0].HasSecret || !list[1].HasSecret || list[1].Target != "http://127.0.0.1:9/…" {
		t.Errorf("list: %+v", list)
	}
	// An update without secrets keeps them.
	if err := s.UpdateNotifier(ctx(), id, probes.NotifierInput{Name: "ops-renamed", Kind: probes.NotifierWebhook}); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.NotifierConfig(ctx(), id)
	if err != nil || cfg.Name != "ops-renamed" || cfg.Secret != "s3cret" || cfg.URL != "http://127.0.0.1:9/hook" {
		t.Errorf("after an update without secrets: %+v %v", cfg, err)
	}
	if err := s.DeleteNotifier(ctx(), id); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteNotifier(ctx(), id); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

func testFleetThreshold(t *testing.T, open Opener) {
	s, _, _ := alerting(t, open)
	cfg := probes.DefaultAlertSettings()
	cfg.GapThresholds = []probes.GapThreshold{{Category: probes.GapNeverReported, Scope: "fleet", MinCount: 10, Severity: probes.SeverityWarning}}
	if err := s.SaveAlertSettings(ctx(), cfg); err != nil {
		t.Fatal(err)
	}
	r := Report("f1", "wsus-north.corp.example", T0)
	r.Clients = &probes.ClientList{Complete: true, Items: Clients(12, T0, func(int) time.Duration { return -1 })}
	mustSave(t, s, r)
	settle(t, s)
	tick(t, s)
	if n := tick(t, s); n != 1 {
		t.Fatalf("12 never-reported clients cross a fleet threshold of 10 after two judgements: queued %d", n)
	}
	d := deliveries(t, s)
	if len(d) != 1 || d[0].Server != "" || d[0].Rule != probes.GapNeverReported {
		t.Errorf("deliveries: %s", describe(d))
	}
}
