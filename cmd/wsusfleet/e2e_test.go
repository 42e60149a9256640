package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// storetestPostgres is a fresh PostgreSQL schema for this test (skipped
// outside CI when no test database is configured).
func storetestPostgres(t *testing.T) string { return storetest.PostgresSchemaURL(t) }

// inProcess is wsusfleet's run in this process, stopped by cancel.
type inProcess struct {
	url    string
	mu     sync.Mutex
	out    bytes.Buffer // what run printed, written by the reading goroutine
	cancel context.CancelFunc
	done   chan error
}

func (p *inProcess) stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// startRun runs wsusfleet args in-process and waits for the line that
// starts with marker and holds the dashboard URL.
func startRun(t *testing.T, marker string, args ...string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	p := &inProcess{cancel: cancel, done: make(chan error, 1)}
	var stderr bytes.Buffer
	go func() {
		p.done <- run(ctx, args, func(string) string { return "" }, pw, &stderr)
		pw.Close()
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			p.mu.Unlock()
			if i := strings.Index(line, marker); i >= 0 {
				url, _, _ := strings.Cut(strings.TrimSpace(line[i+len(marker):]), " ")
				select {
				case found <- url:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("wsusfleet %v ended with %v\n%s", args, err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("wsusfleet %v did not shut down within 30 s", args)
		}
	})
	select {
	case p.url = <-found:
	case err := <-p.done:
		t.Fatalf("wsusfleet %v: %v\n%s", args, err, stderr.String())
	case <-time.After(2 * time.Minute): // the demo seeds a fleet first: slow under -race on a loaded machine
		t.Fatalf("wsusfleet %v did not start within 2 minutes\n%s", args, stderr.String())
	}
	return p
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == 200 {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

// dashboardChecks waits until the dashboard has probed the server.
func dashboardChecks(t *testing.T, base, name string) map[string]probes.ObservedCheck {
	t.Helper()
	var out map[string]probes.ObservedCheck
	storetest.WaitFor(t, name+" probed by the dashboard", 45*time.Second, func() bool {
		var st probes.ServerState
		if getJSON(t, base+"/api/v1/servers/"+name, &st) != 200 {
			return false
		}
		out = map[string]probes.ObservedCheck{}
		for _, c := range st.VDirChecks {
			if c.Vantage == probes.VantageDashboard {
				out[c.VDir] = c
			}
		}
		return len(out) == 9
	})
	return out
}

// TestServeProbesEveryFaultProfile: simulated servers with each fault →
// serve's scheduler probes them → stored → the API shows each vDir's verdict.
func TestServeProbesEveryFaultProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "e2e.db")
	admin := lastLine(runCmd(t, "token", "create", "--name", "e2e", "--scope", "admin", "--db", db))
	srv := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--probe-interval", "1s", "--selfupdate-port", "-1", "--log-level", "warn")

	anonymous := []string{"ClientWebService", "SimpleAuthWebService", "DssAuthWebService", "ServerSyncWebService", "ReportingWebService", "Inventory", "SelfUpdate", "Content"}
	all := append([]string{"ApiRemoting30"}, anonymous...)
	type want struct {
		vdirs   []string
		verdict string
		reason  string
	}
	cases := []struct {
		profile string
		want    []want
	}{
		{sim.Healthy, []want{{all, probes.VerdictOK, ""}}},
		{sim.PoolStopped, []want{{all, probes.VerdictFault, "503"}}},
		{sim.AnonDisabled, []want{{anonymous[:7], probes.VerdictFault, "401.2: anonymous authentication is disabled"}, {[]string{"ApiRemoting30"}, probes.VerdictOK, "Negotiate/NTLM"}}},
		{sim.ContentACL, []want{{[]string{"Content"}, probes.VerdictFault, "401.3"}, {[]string{"ClientWebService", "ApiRemoting30"}, probes.VerdictOK, ""}}},
		{sim.Impersonation, []want{{all, probes.VerdictFault, "500.24"}}},
		{sim.SSLCertExpired, []want{{all, probes.VerdictFault, "certificate expired"}}},
		{sim.Slow, []want{{[]string{"ClientWebService"}, probes.VerdictWarning, "slow"}}},
		{sim.SelfUpdateMissing, []want{{[]string{"SelfUpdate"}, probes.VerdictFault, "404"}, {[]string{"ClientWebService"}, probes.VerdictOK, ""}}},
	}
	names := map[string]string{}
	for _, tc := range cases {
		s, err := sim.Start("127.0.0.1:0", sim.Options{Profile: tc.profile, Latency: 3300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		name := tc.profile + ".sim.example"
		names[tc.profile] = name
		body, _ := json.Marshal(probes.Registration{Name: name, URL: s.URL()})
		if status, err := postJSON(context.Background(), srv.url+"/api/v1/servers", admin, body); err != nil || status != 201 {
			t.Fatalf("register %s: %d %v", name, status, err)
		}
	}
	for _, tc := range cases {
		t.Run(tc.profile, func(t *testing.T) {
			got := dashboardChecks(t, srv.url, names[tc.profile])
			for _, w := range tc.want {
				for _, v := range w.vdirs {
					c := got[v]
					if c.Verdict != w.verdict || !strings.Contains(c.Reason, w.reason) {
						t.Errorf("%s: %s %s %q; want %s with %q", v, c.StatusText(), c.Verdict, c.Reason, w.verdict, w.reason)
					}
				}
			}
		})
	}
}

// TestProbeCommandPostsAReport: the agent probes a simulator, prints the
// table, exits 3 for a fault and its report lands with the remote vantage.
func TestProbeCommandPostsAReport(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "agent.db")
	token := lastLine(runCmd(t, "token", "create", "--name", "agent", "--scope", "ingest", "--db", db))
	srv := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn")
	s, err := sim.Start("127.0.0.1:0", sim.Options{Profile: sim.AnonDisabledCWS})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	err = run(context.Background(), []string{"probe", "--server", s.URL(), "--name", "wsus-east.corp.example", "--selfupdate-port", "-1",
		"--post", srv.url}, func(k string) string {
		if k == "WSUSFLEET_TOKEN" {
			return token
		}
		return ""
	}, &out, &errb)
	if code := exitCode(err, io.Discard); code != exitFaulty {
		t.Fatalf("exit %d (%v), want %d\n%s%s", code, err, exitFaulty, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "401.2: anonymous authentication is disabled") || !strings.Contains(errb.String(), "sent to") {
		t.Errorf("output:\n%s\n%s", out.String(), errb.String())
	}
	var st probes.ServerState
	getJSON(t, srv.url+"/api/v1/servers/wsus-east.corp.example", &st)
	if len(st.VDirChecks) != 9 || st.VDirChecks[0].Vantage != probes.VantageRemote || st.VDirChecks[0].Verdict != probes.VerdictFault {
		t.Errorf("stored checks: %+v", st.VDirChecks)
	}
	for _, bad := range [][]string{{"probe"}, {"probe", "--server", "ftp://x"}, {"probe", "--server", s.URL(), "--post", srv.url}, {"probe", "--server", s.URL(), "--vantage", "moon"}} {
		err := run(context.Background(), bad, func(string) string { return "" }, io.Discard, io.Discard)
		if code := exitCode(err, io.Discard); code != 2 {
			t.Errorf("%v: exit %d (%v), want 2", bad, code, err)
		}
	}
}

// TestDemoShowsALiveFleet: the README's first command serves a probed,
// populated fleet within seconds.
func TestDemoShowsALiveFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	demo := startRun(t, "dashboard ", "demo", "--addr", "127.0.0.1:0", "--scale", "0.05", "--probe-interval", "1s")
	if !strings.Contains(demo.stdout(), "wsusfleet demo: 6 simulated WSUS servers") {
		t.Errorf("banner: %s", demo.stdout())
	}
	var list struct{ Servers []probes.ServerSummary }
	getJSON(t, demo.url+"/api/v1/servers", &list)
	if len(list.Servers) != 6 {
		t.Fatalf("%d servers", len(list.Servers))
	}
	for _, s := range list.Servers {
		if s.Clients.Total == 0 || !s.Registered {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}
	cws := dashboardChecks(t, demo.url, "wsus-east.corp.example")["ClientWebService"]
	if cws.Verdict != probes.VerdictFault || !strings.Contains(cws.Reason, "401.2") {
		t.Errorf("east ClientWebService: %+v", cws)
	}
	if c := dashboardChecks(t, demo.url, "wsus-west.corp.example")["SimpleAuthWebService"]; c.Status != 503 {
		t.Errorf("west: %+v", c)
	}
	// The client-side faults show up as gaps.
	var gaps probes.FleetGaps
	getJSON(t, demo.url+"/api/v1/gaps", &gaps)
	for cat, min := range map[string]int64{probes.GapBadURL: 120, probes.GapPolicyOff: 1, probes.GapDuplicateID: 6, probes.GapWrongServer: 20, probes.GapExpectedMissing: 60} {
		if gaps.Categories[cat] < min {
			t.Errorf("demo %s = %d, want at least %d", cat, gaps.Categories[cat], min)
		}
	}
	// The clients' own checks: east's clients, whose GPO left out the port, cannot connect.
	var east probes.ServerState
	getJSON(t, demo.url+"/api/v1/servers/wsus-east.corp.example", &east)
	if !slices.ContainsFunc(east.ClientChecks, func(c probes.ClientCheckCount) bool {
		return c.VDir == "ClientWebService" && c.Status == "-" && c.Verdict == probes.VerdictFault && c.Clients == 120
	}) {
		t.Errorf("east's clients' vantage: %+v", east.ClientChecks)
	}
	// Every simulated fault shows up as a finding (DESIGN §3's demo faults).
	want := map[string][]string{
		"wsus-hq.corp.example":           {probes.GapBadURL, probes.GapPolicyOff},
		"wsus-east.corp.example":         {"anonymous_auth_disabled", probes.GapBadURL},
		"wsus-west.corp.example":         {"wsuspool_stopped", "wsuspool_settings", "catalog_bloat"},
		"wsus-west-replica.corp.example": {"sync_failing", "catalog_bloat"},
		"wsus-lab.corp.example":          {"ntfs_acl"},
		"wsus-dmz.corp.example":          {"ssl_cert_invalid", "sync_stale"},
	}
	for name, rules := range want {
		var st probes.ServerState
		getJSON(t, demo.url+"/api/v1/servers/"+name, &st)
		got := map[string]bool{}
		for _, f := range st.Findings {
			got[f.Rule] = true
		}
		for _, r := range rules {
			if !got[r] {
				t.Errorf("%s: no %s finding; has %v", name, r, got)
			}
		}
		for r := range got {
			if name == "wsus-hq.corp.example" && !slices.Contains(probes.GapCategories(), r) {
				t.Errorf("%s: a healthy server with only client gaps has %s", name, r)
			}
		}
	}
	if !strings.Contains(demo.stdout(), "--name wsus-east.corp.example --post "+demo.url) {
		t.Errorf("the demo's probe hint must name the server: %s", demo.stdout())
	}
}

// TestTwoInstancesShareProbing: two serve instances on one PostgreSQL probe a
// fleet; each server is probed by one of them per interval, never by both.
func TestTwoInstancesShareProbing(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	db := storetestPostgres(t)
	admin := lastLine(runCmd(t, "token", "create", "--name", "lease", "--scope", "admin", "--db", db))
	common := []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--probe-interval", "2s", "--selfupdate-port", "-1", "--log-level", "warn"}
	a := startRun(t, "listening on ", common...)
	b := startRun(t, "listening on ", common...)
	// The last server answers every request after 3 s: each probe of it runs
	// past the 2 s interval, and its lease must keep the other instance off
	// it until the probe is stored.
	const servers, slowLatency = 12, 3 * time.Second
	for i := range servers {
		opts := sim.Options{Profile: sim.Healthy}
		if i == servers-1 {
			opts = sim.Options{Profile: sim.Slow, Latency: slowLatency}
		}
		s, err := sim.Start("127.0.0.1:0", opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		body, _ := json.Marshal(probes.Registration{Name: fmt.Sprintf("wsus%02d.lease.example", i), URL: s.URL()})
		if status, err := postJSON(context.Background(), a.url+"/api/v1/servers", admin, body); err != nil || status != 201 {
			t.Fatalf("register: %d %v", status, err)
		}
	}
	// Wait until every server has been probed three times (a generous
	// deadline for a loaded machine). With the lease working, a server's runs
	// start an interval apart on average (each claim moves its next probe one
	// interval ahead; on a loaded machine a run may start late, so a single
	// gap can be short). With it failing, both instances claim a due server
	// together and it is probed about twice per interval: the average gap
	// falls to about half an interval.
	runsOf := func(i int) []time.Time {
		var hist struct{ Checks []probes.ObservedCheck }
		getJSON(t, fmt.Sprintf("%s/api/v1/servers/wsus%02d.lease.example/vdirs?since=1h", b.url, i), &hist)
		var runs []time.Time
		for _, c := range hist.Checks {
			if c.Vantage == probes.VantageDashboard && (len(runs) == 0 || !c.CheckedAt.Equal(runs[len(runs)-1])) {
				runs = append(runs, c.CheckedAt)
			}
		}
		slices.SortFunc(runs, time.Time.Compare)
		return runs
	}
	const wantRuns = 3
	storetest.WaitFor(t, fmt.Sprintf("every server probed %d times at a 2 s interval", wantRuns), 2*time.Minute, func() bool {
		for i := range servers {
			if len(runsOf(i)) < wantRuns {
				return false
			}
		}
		return true
	})
	var total time.Duration
	gaps := 0
	for i := range servers {
		runs := runsOf(i)
		for j := 1; j < len(runs); j++ {
			gap := runs[j].Sub(runs[j-1])
			if i < servers-1 {
				total += gap
				gaps++
			}
			if i == servers-1 && gap < slowLatency {
				t.Errorf("the slow server's probes overlapped (started %v apart; each takes %v): claimed again while running", gap, slowLatency)
			}
		}
	}
	if avg := total / time.Duration(max(gaps, 1)); avg < 1500*time.Millisecond {
		t.Errorf("the servers were probed every %v on average at a 2 s interval: the lease failed and both instances probed them", avg)
	}
}

// TestUploadCommand: upload ships each kind of evidence, gzip on the wire,
// and says what the dashboard found; bad input fails naming the flag or file.
func TestUploadCommand(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "upload.db")
	token := lastLine(runCmd(t, "token", "create", "--name", "uploader", "--scope", "ingest", "--db", db))
	srv := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn")
	withToken := func(k string) string {
		if k == "WSUSFLEET_TOKEN" {
			return token
		}
		return ""
	}
	cases := []struct{ kind, file, says string }{
		{"procmon", "../../probes/procmon/testdata/denied-capture.csv", "denied"},
		{"apphost", "../../probes/apphost/testdata/wsus-2019.applicationHost.config", "site WSUS Administration: 9 vDirs, app pool WsusPool"},
		{"computers", "../../probes/wsuscsv/testdata/computers-en-us.csv", "computers"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"upload", "--server", "wsus01.corp.example", "--kind", tc.kind, "--dashboard", srv.url, tc.file}, withToken, &out, &errb)
		if err != nil || !strings.Contains(out.String(), tc.says) {
			t.Errorf("%s: %v\n%s%s", tc.kind, err, out.String(), errb.String())
		}
	}
	var st probes.ServerState
	getJSON(t, srv.url+"/api/v1/servers/wsus01.corp.example", &st)
	if st.Denials == nil || len(st.VDirConfig) != 9 || st.ClientSummary.Total == 0 {
		t.Errorf("uploads not stored: %+v", st)
	}
	for _, bad := range []struct {
		args []string
		says string
	}{
		{[]string{"upload", "--kind", "iislog", "x.log"}, "--server"},
		{[]string{"upload", "--server", "s", "--kind", "pcap", "../../README.md"}, "--kind"},
		{[]string{"upload", "--server", "s", "--kind", "iislog", "no-such-file.log"}, "no-such-file.log"},
		{[]string{"upload", "--server", "s", "--kind", "iislog", "--dashboard", srv.url, "../../probes/iislog/testdata/iis-kb2737219-excerpt.log"}, "line 1"},
	} {
		var errb bytes.Buffer
		err := run(context.Background(), bad.args, withToken, io.Discard, &errb)
		msg := errb.String()
		if err != nil {
			msg += err.Error()
		}
		if err == nil || !strings.Contains(msg, bad.says) {
			t.Errorf("%v: %v; want an error naming %q", bad.args, msg, bad.says)
		}
	}
}
