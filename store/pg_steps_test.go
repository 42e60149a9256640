package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

type savedClient struct {
	receipt probes.ClientReceipt
	replay  bool
	err     error
}

// saveClientsHeld sends client reports held (sendHeld): on PostgreSQL they
// are committed as groups (pgSteps), on SQLite in the writer's batch.
func saveClientsHeld(t *testing.T, s *store.Store, reports []*probes.ClientReport) []savedClient {
	t.Helper()
	out := make([]savedClient, len(reports))
	sendHeld(t, s, len(reports), func(i int) {
		out[i].receipt, out[i].replay, out[i].err = s.SaveClientReport(context.Background(), reports[i], "")
	})
	return out
}

// groupClientReport is machine m's report of its server's ClientWebService,
// answering status (401 as 401.2).
func groupClientReport(id string, m int, server string, status int, at time.Time) *probes.ClientReport {
	on, opt := true, 4
	base := "http://" + server + ":8530"
	c := probes.VDirCheck{VDir: "ClientWebService", URL: base + "/ClientWebService/client.asmx", Status: status, LatencyMS: 9}
	if status == 401 {
		sub := 2
		c.Substatus, c.WWWAuthenticate = &sub, []string{"Negotiate", "NTLM"}
	}
	return &probes.ClientReport{Schema: probes.SchemaClientReport, ID: id, CollectedAt: probes.TimeOf(at),
		Collector: probes.Collector{Name: "storetest", Vantage: probes.VantageClient},
		Client: probes.ClientView{Name: fmt.Sprintf("pc%02d.corp.example", m), WUServer: base, WUStatusServer: base, UseWUServer: &on, AUOptions: &opt,
			SusClientID: fmt.Sprintf("00000000-0000-4000-8000-%012d", m)},
		VDirChecks: []probes.VDirCheck{c}}
}

// Client reports of many machines of a few servers, arriving together in
// any order, are committed together and counted once each, as if one after
// another; a replay among them gets its first answer and the others are
// stored (the group runs again alone).
func TestGroupedClientReportsCountOnce(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			obs := &commits{}
			s := open(t, store.Options{Observer: obs})
			ctx := context.Background()
			const servers, machines = 3, 24
			server := func(m int) string { return fmt.Sprintf("wsus%d.corp.example", m%servers) }
			for i := range servers {
				r := storetest.Report(fmt.Sprintf("s%d", i), server(i), storetest.T0)
				r.Clients = &probes.ClientList{Complete: true}
				for m := i; m < machines; m += servers {
					r.Clients.Items = append(r.Clients.Items, probes.Client{ID: fmt.Sprintf("{00000000-0000-4000-8000-%012d}", m),
						Name: fmt.Sprintf("pc%02d.corp.example", m), LastSync: probes.TimeOf(storetest.T0), LastReport: probes.TimeOf(storetest.T0)})
				}
				if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
					t.Fatal(err)
				}
			}
			counts := func(srv string) string {
				st, err := s.ServerState(ctx, srv)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, c := range st.ClientChecks {
					out = append(out, fmt.Sprintf("%s x%d", c.Status, c.Clients))
				}
				return strings.Join(out, "; ")
			}
			// extra: more reports sent in the round, replays those of them
			// expected to be replays.
			round := func(n int, status func(m int) int, replays []*probes.ClientReport, extra ...*probes.ClientReport) []savedClient {
				var reports []*probes.ClientReport
				for m := range machines {
					if slices.ContainsFunc(extra, func(cr *probes.ClientReport) bool { return cr.Client.Name == fmt.Sprintf("pc%02d.corp.example", m) }) {
						continue // a group holds one report of a client: the extra one goes with the others
					}
					reports = append(reports, groupClientReport(fmt.Sprintf("c%d-%02d", n, m), m, server(m), status(m), storetest.T0.Add(time.Duration(n)*time.Minute)))
				}
				reports = append(reports, extra...)
				rand.Shuffle(len(reports), func(i, j int) { reports[i], reports[j] = reports[j], reports[i] })
				got := saveClientsHeld(t, s, reports)
				for i, g := range got {
					if want := slices.Contains(replays, reports[i]); g.err != nil || g.replay != want || g.receipt.ID != reports[i].ID || g.receipt.Server != server(0) && g.receipt.Server != server(1) && g.receipt.Server != server(2) {
						t.Fatalf("round %d, %s: %+v, want it stored (a replay: %v)", n, reports[i].ID, g, want)
					}
				}
				return got
			}
			round(1, func(int) int { return 200 }, nil)
			if n := obs.largest(); n < machines {
				t.Errorf("the largest commit carried %d writes, want all %d client reports in one", n, machines)
			}
			for i := range servers {
				if got, want := counts(server(i)), fmt.Sprintf("200 x%d", machines/servers); got != want {
					t.Errorf("%s after the first reports: vantage counts %q, want %q", server(i), got, want)
				}
			}
			// Every fourth machine now gets 401.2: its count moves from one
			// row to the other, once.
			round(2, func(m int) int { return map[bool]int{true: 401, false: 200}[m%4 == 0] }, nil)
			for i := range servers {
				var moved int
				for m := i; m < machines; m += servers {
					if m%4 == 0 {
						moved++
					}
				}
				if got, want := counts(server(i)), fmt.Sprintf("200 x%d; 401.2 x%d", machines/servers-moved, moved); got != want {
					t.Errorf("%s after the second reports: vantage counts %q, want %q", server(i), got, want)
				}
			}
			if n := store.ClientGroupsFellBack(s); n != 0 {
				t.Errorf("%d groups fell back with no replay among them", n)
			}
			// A replay of a first report among fresh ones (machines 0-23 again,
			// a minute later): on PostgreSQL its group runs again alone.
			replay := groupClientReport("c1-05", 5, server(5), 200, storetest.T0.Add(time.Minute))
			round(3, func(int) int { return 200 }, []*probes.ClientReport{replay}, replay)
			for i := range servers {
				if got, want := counts(server(i)), fmt.Sprintf("200 x%d", machines/servers); got != want {
					t.Errorf("%s after the third reports: vantage counts %q, want %q", server(i), got, want)
				}
			}
			fellBack := store.ClientGroupsFellBack(s)
			if s.Dialect() == "postgres" && fellBack == 0 {
				t.Error("the group holding a replay was committed; want it rolled back and run alone")
			}
			// A late report (collected before the stored one: it changes
			// nothing, its receipt read from what is stored) goes in a group.
			late := groupClientReport("late-07", 7, server(7), 401, storetest.T0)
			round(4, func(int) int { return 200 }, nil, late)
			for i := range servers {
				if got, want := counts(server(i)), fmt.Sprintf("200 x%d", machines/servers); got != want {
					t.Errorf("%s after the late report: vantage counts %q, want %q", server(i), got, want)
				}
			}
			if n := store.ClientGroupsFellBack(s); n != fellBack {
				t.Errorf("%d more groups fell back with a late report among them, want none", n-fellBack)
			}
		})
	}
}

// A grouped write whose scan panics fails, alone, with an error; the
// process and the other writes of its group carry on.
func TestGroupedWritePanicFailsAlone(t *testing.T) {
	open, ok := storetest.Dialects(t)["postgres"]
	if !ok {
		t.Skip("client reports are grouped on PostgreSQL only")
	}
	s := open(t, store.Options{})
	errs := make([]error, 4)
	sendHeld(t, s, len(errs), func(i int) { errs[i] = store.GroupedScan(s, i, i == 2) })
	for i, err := range errs {
		if (err != nil) != (i == 2) {
			t.Errorf("write %d: %v; want only write 2 to fail", i, err)
		}
	}
	if !strings.Contains(fmt.Sprint(errs[2]), "panicked") {
		t.Errorf("write 2: %v, want it to say it panicked", errs[2])
	}
	if n := store.ClientGroupsFellBack(s); n != 1 {
		t.Errorf("%d groups fell back, want the one", n)
	}
}

// A client-report group plans its statements generically, and only the
// group: a write alone, on the same pool's connections, plans as PostgreSQL
// chooses.
func TestGroupedWritesPlanGenerically(t *testing.T) {
	open, ok := storetest.Dialects(t)["postgres"]
	if !ok {
		t.Skip("client reports are grouped on PostgreSQL only")
	}
	s := open(t, store.Options{})
	got := make([]string, 3)
	errs := make([]error, len(got))
	sendHeld(t, s, len(got), func(i int) { got[i], errs[i] = store.GroupedSetting(s, i, "plan_cache_mode") })
	for i := range got {
		if errs[i] != nil || got[i] != "force_generic_plan" {
			t.Errorf("grouped write %d: plan_cache_mode %q, %v; want force_generic_plan", i, got[i], errs[i])
		}
	}
	if n := store.ClientGroupsFellBack(s); n != 0 {
		t.Fatalf("%d groups fell back, want none", n)
	}
	for i := range 4 { // alone, on whichever connection the group left
		if v, err := store.GroupedSetting(s, 10+i, "plan_cache_mode"); err != nil || v != "auto" {
			t.Errorf("a write alone: plan_cache_mode %q, %v; want auto", v, err)
		}
	}
}
