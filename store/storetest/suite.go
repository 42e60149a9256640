package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
)

// T0 is the suite's "now".
var T0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// Run runs every store behaviour against the stores open makes. It opens one
// store first, so a dialect that cannot run here skips (or, in CI, fails) the
// suite as a whole instead of each behaviour.
func Run(t *testing.T, open Opener) {
	open(t, store.Options{})
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"MigrateIsIdempotentAndReady", testMigrate},
		{"SaveReportThenReadEverySection", testSaveAndRead},
		{"ReplayStoresNothingTwice", testReplay},
		{"ReusedIDIsAConflict", testConflict},
		{"NewerSectionsWin", testNewerWins},
		{"AbsentSectionsAreKept", testAbsentSections},
		{"ClientSnapshotsMerge", testClientMerge},
		{"LargeClientSnapshotsMerge", testLargeClientMerge},
		{"StreamedClientListLoadsWholeOrNothing", testStreamedClientList},
		{"IncompleteAndOlderClientLists", testIncompleteAndOlder},
		{"ClientCountsFollowTheClock", testClientCounts},
		{"ClientPagesAndFilters", testClientPages},
		{"BulkClientSnapshot", testBulkClients},
		{"ConcurrentReportsNeverInterleave", testConcurrent},
		{"FindingsOpenContinueAndResolve", testFindings},
		{"DiagnosisCoalescesAndMissesNoWrite", testDiagnosisFollowsWrites},
		{"ServerStatusUnknownWhenSilent", testUnknown},
		{"Tokens", testTokens},
		{"Sessions", testSessions},
		{"SignInAttempts", testSignInAttempts},
		{"PruneKeepsCurrentState", testPrune},
		{"RegisterAndClaimProbes", testRegisterAndClaim},
		{"FleetStripsAndSync", testFleet},
		{"ClientGaps", testClientGaps},
		{"ClientsVantageCounts", testClientChecks},
		{"ClientReportsOfOneClientAtOnce", testClientReportsRace},
		{"ClientReportReplayAndConflict", testClientReportReplay},
		{"ClonesThroughServerClassification", testClonesThroughServerClassification},
		{"FactsForTheRules", testFactsAssembly},
		{"ServerIdentity", testServerIdentity},
		{"ClientScopes", testClientScopes},
		{"ClientEvidenceJudgedLikeAReport", testClientEvidenceJudged},
		{"ClientEvidenceAddsToWhatIsKnown", testClientEvidenceMerges},
		{"ClientLogEvidenceIsNotPolicy", testClientLogEvidence},
		{"ClientDetail", testClientDetail},
		{"IISLogChunksCountOnce", testIISLogChunks},
		{"IISLogWindow", testIISLogWindow},
		{"FleetFindingsCauseAcrossServers", testFleetFindingsOrder},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

func ctx() context.Context { return context.Background() }

func fixed(tb testing.TB, open Opener, opts store.Options) (*store.Store, *Clock) {
	tb.Helper()
	c := NewClock(T0)
	opts.Now = c.Now
	return open(tb, opts), c
}

func mustSave(tb testing.TB, s *store.Store, r *probes.Report) probes.Receipt {
	tb.Helper()
	saved, replay, err := s.SaveReport(ctx(), r, "")
	if err != nil {
		tb.Fatalf("save %s: %v", r.ID, err)
	}
	if replay {
		tb.Fatalf("save %s: unexpected replay", r.ID)
	}
	return saved
}

func mustState(tb testing.TB, s *store.Store, name string) *probes.ServerState {
	tb.Helper()
	st, err := s.ServerState(ctx(), name)
	if err != nil {
		tb.Fatalf("state of %s: %v", name, err)
	}
	return st
}

func testMigrate(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	applied, err := s.Migrate(ctx())
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", applied, err)
	}
	if err := s.Ready(ctx()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

func intp(i int) *int     { return &i }
func i64p(i int64) *int64 { return &i }
func boolp(b bool) *bool  { return &b }

func fullReport(id string, at time.Time) *probes.Report {
	r := Report(id, "WSUS01.corp.example", at)
	r.Collector.Vantage, r.Collector.Host = probes.VantageServer, "WSUS01"
	r.Server = probes.ServerInfo{Name: "WSUS01.corp.example", URL: "http://wsus01.corp.example:8530", Version: "10.0.17763.1",
		HTTPPort: 8530, HTTPSPort: 8531, ContentDir: `D:\WSUS\WsusContent`, Database: "WID", NotDeclinedUpdates: intp(6200), Targeting: "client"}
	r.VDirChecks[0].Status, r.VDirChecks[0].WWWAuthenticate = 401, []string{"Negotiate", "NTLM"} // ClientWebService: anonymous off
	r.VDirConfig = []probes.VDirConfig{{VDir: "ClientWebService", Anonymous: true, AnonymousUser: "IUSR", ClientCerts: "ignore", AppPool: "WsusPool"}}
	r.AppPool = &probes.AppPool{Name: "WsusPool", State: "Started", QueueLength: i64p(1000), PrivateMemoryKB: i64p(1843200), PingEnabled: boolp(true)}
	r.Services = []probes.Service{{Name: "WsusService", State: "Running", StartType: "Automatic"}}
	r.ACLs = []probes.ACL{{Path: `D:\WSUS\WsusContent`, Principal: `NT AUTHORITY\NETWORK SERVICE`, Rights: []string{"FullControl"}}}
	r.Events = []probes.Event{{ID: 12042, Source: "Windows Server Update Services", Level: "Error", Time: probes.TimeOf(at.Add(-time.Hour)), Message: "The SimpleAuth Web Service is not working."}}
	r.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: "WSUS-HQ.corp.example", Port: 8530, Replica: true},
		Last: &probes.SyncRun{StartedAt: probes.TimeOf(at.Add(-9 * time.Hour)), FinishedAt: probes.TimeOf(at.Add(-8 * time.Hour)), Result: "Failed", Error: "(503) Server Unavailable"}}
	return r
}

func testSaveAndRead(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	saved := mustSave(t, s, fullReport("r1", T0.Add(-time.Minute)))
	if saved != (probes.Receipt{ID: "r1", Server: "wsus01.corp.example"}) {
		t.Errorf("saved = %+v", saved)
	}
	st := mustState(t, s, "WSUS01.CORP.EXAMPLE") // names are case-insensitive
	if st.Name != "wsus01.corp.example" || st.URL != "http://wsus01.corp.example:8530" || st.Server.Version != "10.0.17763.1" || *st.Server.NotDeclinedUpdates != 6200 {
		t.Errorf("server = %+v %+v", st, st.Server)
	}
	if len(st.VDirChecks) != 9 {
		t.Fatalf("%d latest checks, want 9", len(st.VDirChecks))
	}
	cws := st.VDirChecks[0]
	if cws.VDir != "ClientWebService" || cws.Verdict != probes.VerdictFault || cws.Vantage != probes.VantageServer || cws.Origin != "WSUS01" {
		t.Errorf("ClientWebService check = %+v: want a judged fault from the server vantage", cws)
	}
	if st.VDirChecks[4].VDir != "ApiRemoting30" || st.VDirChecks[4].Verdict != probes.VerdictOK {
		t.Errorf("ApiRemoting30 401 Negotiate must be ok: %+v", st.VDirChecks[4])
	}
	if len(st.VDirConfig) != 1 || st.VDirConfig[0].AnonymousUser != "IUSR" || *st.AppPool.QueueLength != 1000 ||
		st.Services[0].State != "Running" || st.ACLs[0].Rights[0] != "FullControl" || st.Events[0].ID != 12042 ||
		st.Sync.Upstream.Host != "wsus-hq.corp.example" || st.Sync.Last.Result != "Failed" {
		t.Errorf("sections not stored faithfully: %+v", st)
	}
	for _, sec := range []string{"server", "vdir_checks", "vdir_config", "app_pool", "services", "acls", "events", "sync"} {
		if at, ok := st.Collected[sec]; !ok || !at.Equal(T0.Add(-time.Minute)) {
			t.Errorf("collected[%s] = %v, %v", sec, at, ok)
		}
	}
	if _, err := s.ServerState(ctx(), "nope.corp.example"); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("unknown server: %v, want ErrNotFound", err)
	}
	list, err := s.ListServers(ctx())
	if err != nil || len(list) != 1 || list[0].Name != "wsus01.corp.example" || list[0].LastReportAt == nil {
		t.Errorf("ListServers = %+v, %v", list, err)
	}
}

func testReplay(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	r := Report("same", "wsus01", T0)
	first := mustSave(t, s, r)
	again, replay, err := s.SaveReport(ctx(), Report("same", "wsus01", T0), "")
	if err != nil || !replay || again != first {
		t.Fatalf("replay = %+v, %v, %v; want %+v, true, nil", again, replay, err, first)
	}
	hist, err := s.VDirHistory(ctx(), "wsus01", T0.Add(-time.Hour))
	if err != nil || len(hist) != 9 {
		t.Fatalf("history has %d checks after a replay (%v); want 9", len(hist), err)
	}
}

func testConflict(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	mustSave(t, s, Report("dup", "wsus01", T0))
	_, _, err := s.SaveReport(ctx(), Report("dup", "wsus02", T0), "")
	if !errors.Is(err, probes.ErrConflict) {
		t.Fatalf("same id, other content: %v, want ErrConflict", err)
	}
	if _, err := s.ServerState(ctx(), "wsus02"); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("the conflicting report left a server behind: %v", err)
	}
}

func testNewerWins(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	newer := Report("new", "wsus01", T0)
	newer.Services = []probes.Service{{Name: "WsusService", State: "Running"}}
	newer.VDirChecks[0].Status = 503
	older := Report("old", "wsus01", T0.Add(-time.Hour))
	older.Services = []probes.Service{{Name: "WsusService", State: "Stopped"}}
	mustSave(t, s, newer)
	mustSave(t, s, older) // arrives late
	st := mustState(t, s, "wsus01")
	if st.Services[0].State != "Running" || st.VDirChecks[0].Status != 503 || !st.LastReportAt.Equal(T0) {
		t.Errorf("a late report overwrote newer facts: services %+v, check %d, last report %v", st.Services, st.VDirChecks[0].Status, st.LastReportAt)
	}
	hist, _ := s.VDirHistory(ctx(), "wsus01", T0.Add(-2*time.Hour))
	if len(hist) != 18 || !hist[0].CheckedAt.Equal(T0.Add(-time.Hour)) {
		t.Errorf("history should hold both reports oldest first; got %d", len(hist))
	}
	// The strips' history is the same checks reduced to their verdicts.
	verdicts, err := s.VDirVerdicts(ctx(), "wsus01", T0.Add(-2*time.Hour))
	if err != nil || len(verdicts) != len(hist) {
		t.Fatalf("verdict history: %d checks, %v; want %d", len(verdicts), err, len(hist))
	}
	for i, h := range hist {
		want := probes.ObservedCheck{VDirCheck: h.VerdictOnly(), Vantage: h.Vantage, Origin: h.Origin, CheckedAt: h.CheckedAt}
		if got := verdicts[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("verdict %d: %+v, want %+v", i, got, want)
		}
	}
	if verdicts[9].Status != 503 || verdicts[9].Verdict != probes.VerdictFault {
		t.Errorf("the newer run's 503 is missing from the verdicts: %+v", verdicts[9])
	}
}

func testAbsentSections(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	mustSave(t, s, fullReport("a", T0.Add(-time.Hour)))
	r := Report("b", "wsus01.corp.example", T0) // name + url only, no sections
	r.Events = []probes.Event{}                 // present and empty: replaces
	mustSave(t, s, r)
	st := mustState(t, s, "wsus01.corp.example")
	if st.Server == nil || st.Server.Version == "" {
		t.Errorf("a report that only names the server erased its info: %+v", st.Server)
	}
	if len(st.Services) != 1 || st.AppPool == nil || st.Sync == nil {
		t.Errorf("absent sections must be kept: %+v", st)
	}
	if st.Events == nil || len(st.Events) != 0 {
		t.Errorf("an empty events section must replace the old one: %+v", st.Events)
	}
}

func snapshot(id, server string, at time.Time, complete bool, clients ...probes.Client) *probes.Report {
	r := Report(id, server, at)
	r.VDirChecks = nil
	r.Clients = &probes.ClientList{Complete: complete, Items: clients}
	return r
}

func allClients(tb testing.TB, s *store.Store, server, gap string) map[string]probes.ClientRecord {
	tb.Helper()
	out := map[string]probes.ClientRecord{}
	err := s.EachClient(ctx(), probes.ClientQuery{Server: server, Gap: gap}, func(c probes.ClientRecord) error {
		if _, dup := out[c.Name]; dup {
			tb.Errorf("client %s listed twice", c.Name)
		}
		out[c.Name] = c
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// A list long enough to be loaded in several statements (and a remainder)
// stores every row as given, for new, changed and renamed targets alike.
func testLargeClientMerge(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	const n = 301
	cs := Clients(n, T0, func(i int) time.Duration { return time.Hour })
	check := func(step string, want []probes.Client) {
		t.Helper()
		got := allClients(t, s, "wsus01", "")
		if len(got) != len(want) {
			t.Fatalf("%s: %d clients stored, want %d", step, len(got), len(want))
		}
		for _, c := range want {
			r, ok := got[c.Name]
			if !ok || r.ID != c.ID || r.IP != c.IP || !slices.Equal(r.Groups, c.Groups) || r.RemovedAt != nil {
				t.Fatalf("%s: %s stored as %+v (found %v), want %+v", step, c.Name, r.Client, ok, c)
			}
		}
	}
	mustSave(t, s, snapshot("l1", "wsus01", T0, true, cs...))
	check("first list", cs)
	clock.Advance(time.Hour)
	for i := range cs {
		cs[i].IP = fmt.Sprintf("192.168.%d.%d", i>>8, i&255)
		if i%3 == 0 {
			cs[i].Groups = []string{"Ring " + strconv.Itoa(i)}
		}
		if i%2 == 0 {
			cs[i].Name = fmt.Sprintf("renamed%05d.corp.example", i)
		}
	}
	mustSave(t, s, snapshot("l2", "wsus01", T0.Add(time.Hour), true, cs...))
	check("changed and renamed", cs)
}

func testClientMerge(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	cs := Clients(4, T0, func(i int) time.Duration { return time.Hour })
	a, b, c, d := cs[0], cs[1], cs[2], cs[3]
	mustSave(t, s, snapshot("s1", "wsus01", T0, true, a, b, c))
	firstSeen := allClients(t, s, "wsus01", "")[a.Name].FirstSeen
	clock.Advance(time.Hour)
	mustSave(t, s, snapshot("s2", "wsus01", T0.Add(time.Hour), true, b, c, d))
	got := allClients(t, s, "wsus01", "")
	if len(got) != 4 || got[a.Name].RemovedAt == nil || got[d.Name].RemovedAt != nil {
		t.Fatalf("after s2: %d clients, a removed %v, d removed %v; want 4, removed, present", len(got), got[a.Name].RemovedAt, got[d.Name].RemovedAt)
	}
	if removed := allClients(t, s, "wsus01", probes.GapRemoved); len(removed) != 1 {
		t.Errorf("gap=removed lists %d, want 1", len(removed))
	}
	// b is listed again unchanged: seen by this list, though its row stays as it was.
	if b, a := got[b.Name], got[a.Name]; !b.LastSeen.Equal(T0.Add(time.Hour)) || !b.FirstSeen.Equal(T0) || !a.LastSeen.Equal(T0) {
		t.Errorf("last seen: b %v (first %v), want %v; removed a %v, want %v", b.LastSeen, b.FirstSeen, T0.Add(time.Hour), a.LastSeen, T0)
	}
	settle(t, s)
	st := mustState(t, s, "wsus01")
	if st.ClientSummary != (probes.ClientCounts{Total: 3, Removed: 1, Ages: probes.ReportAges{Day: 3}}) {
		t.Errorf("summary = %+v", st.ClientSummary)
	}
	clock.Advance(time.Hour)
	a.Name = "renamed.corp.example" // same target id, new name: one row, not two
	mustSave(t, s, snapshot("s3", "wsus01", T0.Add(2*time.Hour), true, a, b, c, d))
	got = allClients(t, s, "wsus01", "")
	back, ok := got["renamed.corp.example"]
	if len(got) != 4 || !ok || back.RemovedAt != nil || !back.FirstSeen.Equal(firstSeen) {
		t.Errorf("after s3: %d clients, renamed %+v; want 4 rows, restored, first seen %v kept", len(got), back, firstSeen)
	}
	clock.Advance(time.Hour)
	b.LastReport = probes.TimeOf(T0.Add(2 * time.Hour)) // one fact changed in a list otherwise sent again
	mustSave(t, s, snapshot("s4", "wsus01", T0.Add(3*time.Hour), true, a, b, c, d))
	got = allClients(t, s, "wsus01", "")
	if len(got) != 4 || !got[b.Name].LastReport.Equal(T0.Add(2*time.Hour)) || !got[c.Name].LastSeen.Equal(T0.Add(3*time.Hour)) {
		t.Errorf("after s4: %d clients, b last report %v, c last seen %v", len(got), got[b.Name].LastReport, got[c.Name].LastSeen)
	}
}

func testIncompleteAndOlder(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	cs := Clients(3, T0, func(int) time.Duration { return time.Hour })
	mustSave(t, s, snapshot("s1", "wsus01", T0.Add(-time.Hour), true, cs[0], cs[1]))
	mustSave(t, s, snapshot("s2", "wsus01", T0.Add(-time.Hour), false, cs[2]))
	if got := allClients(t, s, "wsus01", ""); len(got) != 3 || got[cs[0].Name].RemovedAt != nil {
		t.Errorf("an incomplete list must only add: %v", got)
	}
	mustSave(t, s, snapshot("s0", "wsus01", T0.Add(-2*time.Hour), true, cs[0])) // late, older complete list
	if removed := allClients(t, s, "wsus01", probes.GapRemoved); len(removed) != 0 {
		t.Errorf("an older complete list removed %d clients", len(removed))
	}
}

// The stale and never counts are the stale_report and never_reported
// categories, counted with them: one rule, one clock, whatever API reads them.
func testClientCounts(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	ages := []time.Duration{time.Hour, 6 * 24 * time.Hour, 8 * 24 * time.Hour, -1, -1, 40 * 24 * time.Hour, 20 * 24 * time.Hour, 23 * time.Hour}
	cs := Clients(len(ages), T0, func(i int) time.Duration { return ages[i] })
	mustSave(t, s, snapshot("s1", "wsus01", T0, true, cs...))
	// pc00005's policy lacks the port: its old report is explained, not stale.
	mustSave(t, s, identityReport("wsus01", "http://wsus01:8530", 8530, 8531, false, nil, nil))
	if _, _, err := s.SaveClientReport(ctx(), ClientReport(cs[5].Name, "http://wsus01", "http://wsus01", "", T0), ""); err != nil {
		t.Fatal(err)
	}
	settle(t, s)
	want := probes.ClientCounts{Total: 8, Stale: 2, Never: 2, Ages: probes.ReportAges{Day: 2, Week: 1, Month: 2, Never: 2, Explained: 1}}
	agree := func(when string) {
		t.Helper()
		st := mustState(t, s, "wsus01")
		list, _ := s.ListServers(ctx())
		fleet, _ := s.Fleet(ctx())
		gaps, _ := s.Gaps(ctx())
		stale, _ := s.Clients(ctx(), probes.ClientQuery{Server: "wsus01", Gap: probes.GapStaleReport})
		never, _ := s.Clients(ctx(), probes.ClientQuery{Server: "wsus01", Gap: probes.GapNeverReported})
		if st.ClientSummary != want || list[0].Clients != want || fleet[0].Clients != want {
			t.Errorf("%s: summary %+v, list %+v, fleet %+v; want %+v", when, st.ClientSummary, list[0].Clients, fleet[0].Clients, want)
		}
		if st.Gaps[probes.GapStaleReport] != want.Stale || gaps.Categories[probes.GapStaleReport] != want.Stale || fleet[0].Gaps[probes.GapStaleReport] != want.Stale ||
			stale.Total != want.Stale {
			t.Errorf("%s: stale %d, gaps %d, fleet %d, ?gap=stale_report %d; want %d", when, st.Gaps[probes.GapStaleReport],
				gaps.Categories[probes.GapStaleReport], fleet[0].Gaps[probes.GapStaleReport], stale.Total, want.Stale)
		}
		if st.Gaps[probes.GapNeverReported] != want.Never || never.Total != want.Never {
			t.Errorf("%s: never %d, ?gap=never_reported %d; want %d", when, st.Gaps[probes.GapNeverReported], never.Total, want.Never)
		}
	}
	agree("at first")
	clock.Advance(2 * time.Hour) // the 23-hour-old client is 25 h old: no category changes, a bar does
	if classified, _, err := s.Settle(ctx()); err != nil || classified != 0 {
		t.Fatalf("Settle = %d, %v; want no re-classification, only the one-day recount", classified, err)
	}
	want.Ages.Day, want.Ages.Week = 1, 2
	agree("after 2 h")
	clock.Advance(34 * time.Hour) // the 6-day-old client turns stale, the 1-hour-old one is 37 h old
	if classified, _, err := s.Settle(ctx()); err != nil || classified != 1 {
		t.Fatalf("Settle = %d, %v; want the server re-classified as its clients crossed an edge", classified, err)
	}
	want.Stale, want.Ages = 3, probes.ReportAges{Week: 2, Month: 3, Never: 2, Explained: 1}
	agree("after 36 h")
	if classified, _, _ := s.Settle(ctx()); classified != 0 {
		t.Errorf("nothing changed, yet %d servers re-classified", classified)
	}
	// A narrower age: the stale ones older than 30 days (none: 40 d is explained).
	if p, err := s.Clients(ctx(), probes.ClientQuery{Server: "wsus01", Gap: probes.GapStaleReport, OlderThan: 21 * 24 * time.Hour}); err != nil || p.Total != 1 {
		t.Errorf("stale older than 21 d: %d, %v; want 1", p.Total, err)
	}
}

func testClientPages(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	cs := Clients(250, T0, func(i int) time.Duration {
		switch {
		case i%10 == 0:
			return -1 // never
		case i%10 == 1:
			return 40 * 24 * time.Hour
		}
		return time.Duration(i) * time.Minute
	})
	mustSave(t, s, snapshot("s1", "wsus01", T0, true, cs...))
	settle(t, s)
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		p, err := s.Clients(ctx(), probes.ClientQuery{Server: "wsus01", Cursor: cursor, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if p.Total != 250 {
			t.Fatalf("total %d", p.Total)
		}
		for _, c := range p.Clients {
			if seen[c.Name] {
				t.Fatalf("%s on two pages", c.Name)
			}
			seen[c.Name] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if pages != 3 || len(seen) != 250 {
		t.Errorf("%d pages, %d clients; want 3, 250", pages, len(seen))
	}
	for _, tc := range []struct {
		q     probes.ClientQuery
		total int64
	}{
		{probes.ClientQuery{Gap: probes.GapNeverReported}, 25},
		{probes.ClientQuery{Gap: probes.GapStaleReport}, 25},
		{probes.ClientQuery{Gap: probes.GapStaleReport, OlderThan: 30 * 24 * time.Hour}, 25},
		{probes.ClientQuery{Gap: probes.GapStaleReport, OlderThan: 60 * 24 * time.Hour}, 0},
		{probes.ClientQuery{Category: probes.GapStaleReport}, 25},
		{probes.ClientQuery{Search: "PC0012"}, 10},
		{probes.ClientQuery{Gap: probes.GapRemoved}, 0},
	} {
		tc.q.Server = "wsus01"
		p, err := s.Clients(ctx(), tc.q)
		if err != nil || p.Total != tc.total || int64(len(p.Clients)) != tc.total {
			t.Errorf("%+v: total %d, %d rows, %v; want %d", tc.q, p.Total, len(p.Clients), err, tc.total)
		}
	}
	defer checkKeptTotals(t, s, "wsus01")
	oldest, err := s.Clients(ctx(), probes.ClientQuery{Server: "wsus01", Sort: "last_report", Limit: 30})
	if err != nil || oldest.Clients[0].LastReport.IsZero() == false || oldest.Clients[25].LastReport.IsZero() {
		t.Errorf("sort=last_report must list never-reported first, then the oldest: %v", err)
	}
	next, err := s.Clients(ctx(), probes.ClientQuery{Server: "wsus01", Sort: "last_report", Limit: 30, Cursor: oldest.NextCursor})
	if err != nil || len(next.Clients) != 30 || next.Clients[0].LastReport.Before(oldest.Clients[29].LastReport.Time) {
		t.Errorf("second page by age out of order: %v", err)
	}
	newest, _ := s.Clients(ctx(), probes.ClientQuery{Server: "wsus01", Sort: "-last_report", Limit: 1})
	if newest.Clients[0].Name != "pc00002.corp.example" {
		t.Errorf("-last_report first = %s", newest.Clients[0].Name)
	}
	var ve *probes.ValidationError
	for _, q := range []probes.ClientQuery{{Cursor: "garbage"}, {Gap: "late"}, {Sort: "ip"}, {Limit: 5000}} {
		q.Server = "wsus01"
		if _, err := s.Clients(ctx(), q); !errors.As(err, &ve) || ve.Errors[0].Parameter == "" {
			t.Errorf("%+v: %v; want a parameter error", q, err)
		}
	}
	if _, err := s.Clients(ctx(), probes.ClientQuery{Server: "nope"}); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("unknown server: %v", err)
	}
}

func testBulkClients(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	const n = 20000
	cs := Clients(n, T0, func(i int) time.Duration { return time.Duration(i) * time.Minute })
	mustSave(t, s, snapshot("big1", "wsus01", T0, true, cs...))
	mustSave(t, s, snapshot("big2", "wsus01", T0.Add(time.Second), true, cs[:n-100]...))
	st := mustState(t, s, "wsus01")
	if st.ClientSummary.Total != n-100 || st.ClientSummary.Removed != 100 {
		t.Errorf("summary %+v; want %d total and 100 removed", st.ClientSummary, n-100)
	}
	p, err := s.Clients(ctx(), probes.ClientQuery{Server: "wsus01", Gap: probes.GapAll, Limit: 1})
	if err != nil || p.Total != n {
		t.Errorf("rows = %d, %v; want %d (no duplicates)", p.Total, err, n)
	}
}

// testConcurrent: many writers, several servers; each report's sections carry
// its sequence number, so interleaving would show as a mix in the final state.
func testConcurrent(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	const servers, perServer = 8, 16
	var wg sync.WaitGroup
	errs := make(chan error, servers*perServer)
	for srv := range servers {
		for i := range perServer {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("wsus%02d", srv)
				r := Report(fmt.Sprintf("%s-%02d", name, i), name, T0.Add(time.Duration(i)*time.Second))
				seq := fmt.Sprint(i)
				r.Services = []probes.Service{{Name: "svc" + seq, State: "Running"}}
				r.Events = []probes.Event{{ID: i, Source: "seq", Level: "Error", Time: r.CollectedAt}}
				r.ACLs = []probes.ACL{{Path: `C:\` + seq, Principal: "p", Rights: []string{"Read"}}}
				if _, _, err := s.SaveReport(ctx(), r, ""); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for srv := range servers {
		st := mustState(t, s, fmt.Sprintf("wsus%02d", srv))
		last := fmt.Sprint(perServer - 1)
		if st.Services[0].Name != "svc"+last || fmt.Sprint(st.Events[0].ID) != last || st.ACLs[0].Path != `C:\`+last {
			t.Errorf("%s mixes reports: services %s, event %d, acl %s; want all from report %s", st.Name, st.Services[0].Name, st.Events[0].ID, st.ACLs[0].Path, last)
		}
		hist, _ := s.VDirHistory(ctx(), st.Name, T0.Add(-time.Hour))
		if len(hist) != 9*perServer {
			t.Errorf("%s: %d checks in history, want %d", st.Name, len(hist), 9*perServer)
		}
	}
}

// faultRule is a stand-in diagnosis: one finding per faulty vDir.
func faultRule(f probes.Facts) []probes.Finding {
	var out []probes.Finding
	for _, c := range f.State.VDirChecks {
		if c.Verdict == probes.VerdictFault {
			out = append(out, probes.Finding{Rule: "vdir_fault", Severity: probes.SeverityCritical, Subject: c.VDir, Title: c.Reason,
				Evidence: []probes.Evidence{{Fact: c.StatusText(), Source: c.Vantage, At: c.CheckedAt}}})
		}
	}
	return out
}

func testFindings(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{Diagnose: faultRule})
	bad := Report("bad1", "wsus01", T0)
	bad.VDirChecks[1].Status = 503
	mustSave(t, s, bad)
	st := mustState(t, s, "wsus01")
	if st.Status != probes.StatusCritical || len(st.Findings) != 1 || st.Findings[0].Subject != "SimpleAuthWebService" || !st.Findings[0].FirstSeen.Equal(T0) {
		t.Fatalf("after a 503: status %s, findings %+v", st.Status, st.Findings)
	}
	clock.Advance(5 * time.Minute)
	bad2 := Report("bad2", "wsus01", T0.Add(5*time.Minute))
	bad2.VDirChecks[1].Status = 503
	mustSave(t, s, bad2)
	st = mustState(t, s, "wsus01")
	if f := st.Findings[0]; !f.FirstSeen.Equal(T0) || !f.LastSeen.Equal(T0.Add(5*time.Minute)) {
		t.Errorf("a continuing finding keeps first_seen and moves last_seen: %v %v", f.FirstSeen, f.LastSeen)
	}
	clock.Advance(5 * time.Minute)
	mustSave(t, s, Report("good", "wsus01", T0.Add(10*time.Minute)))
	st = mustState(t, s, "wsus01")
	if st.Status != probes.StatusOK || len(st.Findings) != 0 {
		t.Errorf("after recovery: status %s, %d open findings", st.Status, len(st.Findings))
	}
}

// A burst of reports for one server is judged once; reports racing
// diagnoses never leave findings that predate the newest report.
func testDiagnosisFollowsWrites(t *testing.T, open Opener) {
	var calls atomic.Int64
	counted := func(f probes.Facts) []probes.Finding { calls.Add(1); return faultRule(f) }
	s, _ := fixed(t, open, store.Options{Diagnose: counted})
	for i := range 10 {
		r := Report(fmt.Sprintf("burst-%d", i), "wsus-burst", T0.Add(time.Duration(i)*time.Second))
		r.VDirChecks[2].Status = 500 + i
		mustSave(t, s, r)
	}
	if st := mustState(t, s, "wsus-burst"); len(st.Findings) != 1 || st.Findings[0].Evidence[0].Fact != "509" {
		t.Errorf("findings after the burst: %+v, want one from the newest report (509)", st.Findings)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("a burst of 10 reports was diagnosed %d times, want once", n)
	}

	const servers, perServer = 4, 30
	done := make(chan struct{})
	var diagnosers sync.WaitGroup
	for range 2 {
		diagnosers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.RediagnoseDue(ctx()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var posters sync.WaitGroup
	for srv := range servers {
		posters.Go(func() {
			name := fmt.Sprintf("wsus-race%d", srv)
			for i := range perServer {
				r := Report(fmt.Sprintf("%s-%d", name, i), name, T0.Add(time.Duration(i)*time.Second))
				if i%2 == 1 { // the newest (odd) report is faulty
					r.VDirChecks[0].Status = 503
				}
				if _, _, err := s.SaveReport(ctx(), r, ""); err != nil {
					t.Error(err)
				}
			}
		})
	}
	posters.Wait()
	close(done)
	diagnosers.Wait()
	for srv := range servers {
		name := fmt.Sprintf("wsus-race%d", srv)
		if st := mustState(t, s, name); len(st.Findings) != 1 || st.Status != probes.StatusCritical {
			t.Errorf("%s: status %s, findings %+v; the newest report has a 503", name, st.Status, st.Findings)
		}
	}
}

func testUnknown(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{UnknownAfter: 15 * time.Minute})
	mustSave(t, s, Report("r", "wsus01", T0))
	if st := mustState(t, s, "wsus01"); st.Status != probes.StatusOK {
		t.Errorf("fresh server status %s", st.Status)
	}
	clock.Advance(16 * time.Minute)
	if list, _ := s.ListServers(ctx()); list[0].Status != probes.StatusUnknown {
		t.Errorf("silent server status %s, want unknown", list[0].Status)
	}
}

func testTokens(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	secret, tok, err := s.CreateToken(ctx(), "collector", probes.ScopeIngest)
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 40 || tok.Hint == "" || len(tok.Hint) > 12 {
		t.Errorf("secret %d chars, hint %q", len(secret), tok.Hint)
	}
	got, err := s.Authenticate(ctx(), secret)
	if err != nil || got.ID != tok.ID || !got.Allows(probes.ScopeIngest) || got.Allows(probes.ScopeAdmin) || got.Allows(probes.ScopeRead) {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "wsf_", secret + "x", secret[:len(secret)-1], "Bearer " + secret} {
		if _, err := s.Authenticate(ctx(), bad); !errors.Is(err, probes.ErrNotFound) {
			t.Errorf("Authenticate(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	list, _ := s.Tokens(ctx())
	if len(list) != 1 || list[0].LastUsedAt == nil {
		t.Errorf("tokens = %+v; want one, with last use recorded", list)
	}
	if err := s.RevokeToken(ctx(), tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx(), secret); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("revoked token still authenticates: %v", err)
	}
	if err := s.RevokeToken(ctx(), 999); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	var ve *probes.ValidationError
	if _, _, err := s.CreateToken(ctx(), "x", "root"); !errors.As(err, &ve) {
		t.Errorf("bad scope: %v", err)
	}
	if _, _, err := s.CreateToken(ctx(), "", probes.ScopeRead); !errors.As(err, &ve) {
		t.Errorf("empty name: %v", err)
	}
}

func testPrune(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	mustSave(t, s, Report("old", "wsus01", T0))
	clock.Advance(40 * 24 * time.Hour)
	later := T0.Add(40 * 24 * time.Hour)
	mustSave(t, s, Report("new", "wsus02", later))
	n, err := s.Prune(ctx(), later.Add(-30*24*time.Hour))
	if err != nil || n != 2 { // 1 run of checks + 1 document record
		t.Fatalf("Prune = %d, %v; want 2 rows", n, err)
	}
	st := mustState(t, s, "wsus01")
	if len(st.VDirChecks) != 9 {
		t.Errorf("pruning history must keep the latest checks; got %d", len(st.VDirChecks))
	}
	if hist, _ := s.VDirHistory(ctx(), "wsus02", T0); len(hist) != 9 {
		t.Errorf("recent history pruned: %d", len(hist))
	}
	if _, replay, err := s.SaveReport(ctx(), Report("old", "wsus01", T0), ""); err != nil || replay {
		t.Errorf("an id past retention is stored again: replay %v, %v", replay, err)
	}
}

func testRegisterAndClaim(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	const interval = 5 * time.Minute
	for i := range 3 {
		if created, err := s.RegisterServer(ctx(), fmt.Sprintf("WSUS%02d.corp.example", i), fmt.Sprintf("http://wsus%02d:8530", i)); err != nil || !created {
			t.Fatalf("register: %v %v", created, err)
		}
	}
	mustSave(t, s, Report("r", "reported-only", T0)) // known from a report, not registered
	got, err := s.ClaimProbes(ctx(), "a", 10, interval, time.Minute)
	if err != nil || len(got) != 3 {
		t.Fatalf("first claim: %v, %v; want the 3 registered servers", got, err)
	}
	if again, _ := s.ClaimProbes(ctx(), "b", 10, interval, time.Minute); len(again) != 0 {
		t.Errorf("claimed twice within one interval: %v", again)
	}
	next, err := s.NextProbeAt(ctx(), "wsus00.corp.example")
	if err != nil || next.Before(T0.Add(interval*9/10)) || next.After(T0.Add(interval*11/10)) {
		t.Errorf("next probe at %v, want %v ±10%%", next, T0.Add(interval))
	}
	clock.Advance(interval * 12 / 10)
	if got, _ := s.ClaimProbes(ctx(), "b", 2, interval, time.Minute); len(got) != 2 {
		t.Errorf("limit 2 after an interval: %v", got)
	}
	if created, err := s.RegisterServer(ctx(), "wsus00.corp.example", "https://wsus00:8531"); err != nil || created {
		t.Errorf("re-register: created %v, %v", created, err)
	}
	if st := mustState(t, s, "wsus00.corp.example"); st.URL != "https://wsus00:8531" || !st.Registered {
		t.Errorf("re-registered server: %+v", st)
	}
	if err := s.DeleteServer(ctx(), "WSUS01.corp.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ServerState(ctx(), "wsus01.corp.example"); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("deleted server still there: %v", err)
	}
	if err := s.DeleteServer(ctx(), "wsus01.corp.example"); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

func testFleet(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	probed := Report("p", "wsus01", T0)
	probed.Collector.Vantage, probed.Collector.Host = probes.VantageDashboard, ""
	probed.VDirChecks[0].Status = 503
	mustSave(t, s, probed)
	remote := Report("r", "wsus01", T0) // a remote agent's view loses to the dashboard's
	remote.VDirChecks[0].Status = 200
	mustSave(t, s, remote)
	synced := Report("s", "wsus02", T0)
	synced.VDirChecks = nil
	synced.Sync = &probes.Sync{From: probes.SyncFromMicrosoftUpdate, Last: &probes.SyncRun{StartedAt: synced.CollectedAt, Result: "Failed"}}
	mustSave(t, s, synced)
	fleet, err := s.Fleet(ctx())
	if err != nil || len(fleet) != 2 {
		t.Fatalf("Fleet = %v, %v", fleet, err)
	}
	one, two := fleet[0], fleet[1]
	if len(one.VDirs) != 9 || one.VDirs[0].Verdict != probes.VerdictFault || one.VDirs[0].Status != "503" || one.VDirs[0].Vantage != probes.VantageDashboard {
		t.Errorf("wsus01 strip: %+v", one.VDirs)
	}
	if len(two.VDirs) != 9 || two.VDirs[0].Verdict != "" || two.Sync == nil || two.Sync.Last.Result != "Failed" {
		t.Errorf("wsus02: never probed, sync failed: %+v", two)
	}
}

// ClientReport is a Windows client's report of its policy: WUServer wu,
// WUStatusServer status, SusClientId sus.
func ClientReport(name, wu, status, sus string, at time.Time) *probes.ClientReport {
	on, opt := true, 4
	return &probes.ClientReport{Schema: probes.SchemaClientReport, ID: "cr-" + name + "-" + at.Format("150405"), CollectedAt: probes.TimeOf(at),
		Collector: probes.Collector{Name: "storetest", Vantage: probes.VantageClient},
		Client:    probes.ClientView{Name: name, WUServer: wu, WUStatusServer: status, UseWUServer: &on, AUOptions: &opt, SusClientID: sus}}
}

func gapCount(tb testing.TB, s *store.Store, server, category string) int64 {
	tb.Helper()
	if _, _, err := s.Settle(ctx()); err != nil {
		tb.Fatal(err)
	}
	g, err := s.Gaps(ctx())
	if err != nil {
		tb.Fatal(err)
	}
	if server == "" {
		return g.Unassigned[category]
	}
	for _, sg := range g.Servers {
		if sg.Server == server {
			return sg.Categories[category]
		}
	}
	return 0
}

func testClientGaps(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	r := Report("g1", "WSUS01.corp.example", T0)
	r.Server.URL = "http://wsus01.corp.example:8530"
	r.Clients = &probes.ClientList{Complete: true, Items: Clients(3, T0, func(i int) time.Duration { return []time.Duration{time.Hour, 10 * 24 * time.Hour, -1}[i] })}
	mustSave(t, s, r)
	if n := gapCount(t, s, "wsus01.corp.example", probes.GapStaleReport); n != 1 {
		t.Errorf("stale = %d", n)
	}
	// pc00000 reports a WUServer without the port: bad_url replaces "fine".
	rec, replay, err := s.SaveClientReport(ctx(), ClientReport("PC00000.corp.example", "http://WSUS01.corp.example", "http://wsus01.corp.example", "S1", T0), "")
	if err != nil || replay || rec.Server != "wsus01.corp.example" || rec.Gap != probes.GapBadURL {
		t.Fatalf("client report: %+v %v %v", rec, replay, err)
	}
	again, replay, err := s.SaveClientReport(ctx(), ClientReport("PC00000.corp.example", "http://WSUS01.corp.example", "http://wsus01.corp.example", "S1", T0), "")
	if err != nil || !replay || again != rec {
		t.Errorf("replay: %+v %v %v", again, replay, err)
	}
	// Two names share one SusClientId: both are duplicate_id, listed or not.
	for _, n := range []string{"pc00001.corp.example", "ghost.corp.example"} {
		if _, _, err := s.SaveClientReport(ctx(), ClientReport(n, r.Server.URL, r.Server.URL, "CLONED", T0), ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := gapCount(t, s, "wsus01.corp.example", probes.GapDuplicateID); n != 2 {
		t.Errorf("duplicate_id = %d, want 2 (a listed and an unlisted clone)", n)
	}
	if n := gapCount(t, s, "wsus01.corp.example", probes.GapStaleReport); n != 0 {
		t.Errorf("the stale clone is a duplicate first: stale = %d", n)
	}
	inv := &probes.Inventory{Schema: probes.SchemaInventory, ID: "inv1", CollectedAt: probes.TimeOf(T0), Source: "ad", Scope: "corp", Complete: true,
		Items: []probes.InventoryItem{{Name: "AD-ONLY.corp.example", Enabled: true, LastLogon: probes.TimeOf(T0.Add(-time.Hour))}}}
	ir, _, err := s.SaveInventory(ctx(), inv, "")
	if err != nil || ir.Missing != 1 || gapCount(t, s, "", probes.GapExpectedMissing) != 1 {
		t.Fatalf("inventory: %+v %v", ir, err)
	}
	s.Settle(ctx())
	page, err := s.GapClients(ctx(), probes.GapQuery{Category: probes.GapDuplicateID, Limit: 1})
	if err != nil || page.Total != 2 || len(page.Clients) != 1 || !page.Clients[0].Listed || page.NextCursor == "" {
		t.Fatalf("page 1: %+v %v", page, err)
	}
	page, err = s.GapClients(ctx(), probes.GapQuery{Category: probes.GapDuplicateID, Limit: 1, Cursor: page.NextCursor})
	if err != nil || len(page.Clients) != 1 || page.Clients[0].Name != "ghost.corp.example" || page.Clients[0].Listed {
		t.Fatalf("page 2: %+v %v", page, err)
	}
	if _, err := s.GapClients(ctx(), probes.GapQuery{Category: "late"}); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("unknown category: %v", err)
	}
	// A server that lists ghost now: it is listed, so it leaves the unlisted gaps.
	clock.Advance(time.Minute)
	r2 := Report("g2", "wsus02.corp.example", T0.Add(time.Minute))
	r2.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{{ID: "g", Name: "ghost.corp.example", LastReport: probes.TimeOf(T0), LastSync: probes.TimeOf(T0)}}}
	mustSave(t, s, r2)
	if n := gapCount(t, s, "wsus01.corp.example", probes.GapDuplicateID); n != 1 {
		t.Errorf("after wsus02 lists ghost: wsus01 duplicate_id = %d, want 1", n)
	}
	if n := gapCount(t, s, "wsus02.corp.example", probes.GapWrongServer); n != 1 {
		t.Errorf("ghost's policy names wsus01, so wsus02's entry is wrong_server: %d", n)
	}
	if err := s.DeleteServer(ctx(), "wsus02.corp.example"); err != nil {
		t.Fatal(err)
	}
	if n := gapCount(t, s, "wsus01.corp.example", probes.GapDuplicateID); n != 2 {
		t.Errorf("after deleting wsus02, ghost is unlisted again: duplicate_id = %d", n)
	}
	// The clone gets its own SusClientId (the image fix): neither name is a duplicate any more.
	clock.Advance(time.Minute)
	if _, _, err := s.SaveClientReport(ctx(), ClientReport("ghost.corp.example", r.Server.URL, r.Server.URL, "FIXED", T0.Add(2*time.Minute)), ""); err != nil {
		t.Fatal(err)
	}
	if n := gapCount(t, s, "wsus01.corp.example", probes.GapDuplicateID); n != 0 {
		t.Errorf("after the clone got its own SusClientId: duplicate_id = %d, want 0", n)
	}
	if _, _, err := s.Settle(ctx()); err != nil {
		t.Fatal(err)
	}
	findings, err := s.Findings(ctx(), probes.FindingQuery{Server: "wsus01.corp.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Findings(ctx(), probes.FindingQuery{Severity: "loud"}); err == nil {
		t.Error("a bad severity filter is accepted")
	}
	_ = findings // no Diagnose configured here: none expected
}

// The clients' own checks are counted per server, vDir URL, status and
// verdict, moved by each client's latest report.
func testClientChecks(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	for _, name := range []string{"wsus01.corp.example", "wsus02.corp.example"} {
		mustSave(t, s, Report("r-"+name, name, T0))
	}
	cws := "http://wsus01.corp.example:8530/ClientWebService/client.asmx"
	report := func(client, server string, status, sub int, at time.Time) {
		t.Helper()
		base := "http://" + server + ":8530"
		cr := ClientReport(client, base, base, "", at)
		cr.ID += "-" + server
		c := probes.VDirCheck{VDir: "ClientWebService", URL: strings.Replace(cws, "wsus01.corp.example", server, 1), Status: status, LatencyMS: 9}
		if sub > 0 {
			c.Substatus, c.WWWAuthenticate = &sub, []string{"Negotiate", "NTLM"}
		}
		cr.VDirChecks = []probes.VDirCheck{c}
		if _, _, err := s.SaveClientReport(ctx(), cr, ""); err != nil {
			t.Fatal(err)
		}
	}
	counts := func(server string) map[string]int64 {
		t.Helper()
		out := map[string]int64{}
		for _, c := range mustState(t, s, server).ClientChecks {
			out[c.VDir+" "+c.Status+" "+c.Verdict] = c.Clients
		}
		return out
	}
	report("pc1.corp.example", "wsus01.corp.example", 200, 0, T0)
	report("pc2.corp.example", "wsus01.corp.example", 401, 2, T0)
	want := map[string]int64{"ClientWebService 200 ok": 1, "ClientWebService 401.2 fault": 1}
	if got := counts("wsus01.corp.example"); !reflect.DeepEqual(got, want) {
		t.Errorf("two clients: %v, want %v", got, want)
	}
	clock.Advance(time.Minute)
	report("pc2.corp.example", "wsus01.corp.example", 200, 0, T0.Add(time.Minute)) // anonymous access fixed
	report("pc1.corp.example", "wsus01.corp.example", 200, 0, T0.Add(time.Minute)) // the same again: nothing moves
	if got := counts("wsus01.corp.example"); !reflect.DeepEqual(got, map[string]int64{"ClientWebService 200 ok": 2}) {
		t.Errorf("after the fix: %v", got)
	}
	report("pc1.corp.example", "wsus02.corp.example", 200, 0, T0.Add(2*time.Minute)) // moved to wsus02
	if a, b := counts("wsus01.corp.example"), counts("wsus02.corp.example"); a["ClientWebService 200 ok"] != 1 || b["ClientWebService 200 ok"] != 1 {
		t.Errorf("after pc1 moved: wsus01 %v, wsus02 %v", a, b)
	}
}

// checkKeptTotals: every filter's total (some read from the counts kept at
// ingest) equals the clients the same filter lists, before and after a
// snapshot that drops some of the server's clients.
func checkKeptTotals(t *testing.T, s *store.Store, server string) {
	t.Helper()
	check := func(when string) {
		for _, q := range []probes.ClientQuery{{}, {Gap: probes.GapAll}, {Gap: probes.GapRemoved}, {Gap: probes.GapNeverReported},
			{Gap: probes.GapStaleReport}, {Category: probes.GapStaleReport}, {Search: "pc00"}} {
			q.Server = server
			p, err := s.Clients(ctx(), q)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := s.EachClient(ctx(), q, func(probes.ClientRecord) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			if p.Total != n {
				t.Errorf("%s, %+v: total %d, but %d clients match", when, q, p.Total, n)
			}
		}
	}
	check("listed")
	all, err := s.Clients(ctx(), probes.ClientQuery{Server: server, Limit: 1000})
	if err != nil || len(all.Clients) < 20 {
		t.Fatalf("%d clients, %v", len(all.Clients), err)
	}
	var keep []probes.Client
	for _, c := range all.Clients[10:] {
		keep = append(keep, c.Client)
	}
	mustSave(t, s, snapshot("kept-totals", server, T0.Add(time.Minute), true, keep...))
	settle(t, s)
	check("10 dropped")
	if p, _ := s.Clients(ctx(), probes.ClientQuery{Server: server, Gap: probes.GapRemoved}); p.Total != 10 {
		t.Errorf("removed: %d, want 10", p.Total)
	}
}
