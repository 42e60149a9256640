package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// hostile is a server name the API accepts (no spaces) that must stay text.
const hostile = `<script>alert(1)</script>`

// scenarioFindings stands in for the rules engine: the pages render what
// the store holds, so the test decides what was diagnosed.
func scenarioFindings(f probes.Facts) []probes.Finding {
	st, now := f.State, f.Now
	switch {
	case st.Name == "wsus-west.corp.example":
		return []probes.Finding{
			{Rule: "pool_settings", Severity: probes.SeverityWarning, Title: "WsusPool is not tuned",
				Evidence:    []probes.Evidence{{Fact: "Queue Length 1000", Source: "app_pool", At: now}},
				Remediation: []probes.Step{{Text: "Raise the queue length.", Command: `& "$env:windir\system32\inetsrv\appcmd.exe" set apppool /apppool.name:"WsusPool" /queueLength:2000`}}},
			{Rule: "pool_stopped", Severity: probes.SeverityCritical, Subject: "WsusPool", Title: "WsusPool is stopped: every vDir answers 503",
				Summary: "The application pool stopped after hitting its private memory limit (rapid-fail).",
				Evidence: []probes.Evidence{
					{Fact: "ClientWebService answered 503.0 in 3 ms", Source: "dashboard probe", At: now.Add(-time.Minute)},
					{Fact: "app pool state Stopped", Source: "server report (app_pool)", At: now.Add(-2 * time.Minute)},
				},
				Remediation: []probes.Step{
					{Text: "Start the pool.", Command: `%windir%\system32\inetsrv\appcmd start apppool /apppool.name:"WsusPool"`},
					{Text: "Remove the private memory limit so it does not stop again.", Command: `%windir%\system32\inetsrv\appcmd set apppool /apppool.name:"WsusPool" /recycling.periodicRestart.privateMemory:0`},
					{Text: "Watch the Application log for event 12022 clearing within 10 minutes."},
				}},
		}
	case strings.Contains(st.Name, "script"):
		return []probes.Finding{{Rule: "hostile", Severity: probes.SeverityCritical, Subject: `<i>subject</i>`, Title: `<b>title</b>`,
			Evidence:    []probes.Evidence{{Fact: `<img src=x onerror=alert(2)>`, Source: `<u>source</u>`, At: now}},
			Remediation: []probes.Step{{Text: `<em>step</em>`, Command: `echo "</code><script>alert(3)</script>"`}}}}
	}
	return nil
}

// pageEnv is a dashboard on a real SQLite store whose "rules" are scenarioFindings.
type pageEnv struct {
	*env
	srv *httptest.Server
}

func newPageEnv(t *testing.T, cfg web.Config) *pageEnv {
	t.Helper()
	clock := storetest.NewClock(storetest.T0)
	st := storetest.OpenSQLite(t, store.Options{Now: clock.Now, Diagnose: scenarioFindings})
	cfg.Now = clock.Now
	e := &env{t: t, st: st, h: web.New(st, cfg), clock: clock}
	e.ingest, e.read, e.admin = e.token(probes.ScopeIngest), e.token(probes.ScopeRead), e.token(probes.ScopeAdmin)
	return &pageEnv{env: e}
}

// seedScenario stores a small fleet: a healthy upstream, a downstream whose
// pool is stopped, its replica with a failed sync, a hostile server, and a
// registered server never heard from.
func seedScenario(t *testing.T, e *env) {
	t.Helper()
	now := storetest.T0
	hq := storetest.Report("hq", "wsus-hq.corp.example", now)
	hq.Sync = &probes.Sync{From: probes.SyncFromMicrosoftUpdate, Last: &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-3 * time.Hour)), FinishedAt: probes.TimeOf(now.Add(-3*time.Hour + 4*time.Minute)), Result: "Succeeded"}}
	hq.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(40, now, func(i int) time.Duration { return time.Duration(i) * time.Hour })}
	for i := range hq.Clients.Items { // its own machines: a name on two lists is a wrong_server gap
		hq.Clients.Items[i].Name, hq.Clients.Items[i].ID = "hq-"+hq.Clients.Items[i].Name, "hq-"+hq.Clients.Items[i].ID
	}

	west := storetest.Report("west", "wsus-west.corp.example", now)
	for i := range west.VDirChecks {
		west.VDirChecks[i].Status, west.VDirChecks[i].WWWAuthenticate = 503, nil
	}
	west.Server = probes.ServerInfo{Name: "wsus-west.corp.example", URL: "http://wsus-west.corp.example:8530", Version: "10.0.20348.1", HTTPPort: 8530, HTTPSPort: 8531, ContentDir: `D:\WSUS\WsusContent`}
	q, idle, mem, restart := int64(1000), int64(20), int64(1843200), int64(1740)
	ping := true
	west.AppPool = &probes.AppPool{Name: "WsusPool", State: "Stopped", Identity: "NetworkService", QueueLength: &q, IdleTimeoutMin: &idle, PrivateMemoryKB: &mem, PeriodicRestartMin: &restart, PingEnabled: &ping}
	for _, v := range probes.VDirs() {
		west.VDirConfig = append(west.VDirConfig, probes.VDirConfig{VDir: v.Name, Anonymous: v.Anonymous, AnonymousUser: "IUSR", WindowsAuth: v.WindowsAuth, ClientCerts: "ignore", AppPool: "WsusPool"})
	}
	west.VDirConfig[0].Anonymous, west.VDirConfig[0].WindowsAuth = false, true // 401.2 on ClientWebService
	west.ACLs = []probes.ACL{
		{Path: `D:\WSUS\WsusContent`, Principal: `BUILTIN\Administrators`, Rights: []string{"FullControl"}},
		{Path: `C:\Windows\Temp`, Principal: `NT AUTHORITY\NETWORK SERVICE`, Rights: []string{"FullControl"}},
	}
	west.Events = []probes.Event{{ID: 12022, Source: "Windows Server Update Services", Level: "Error", Time: probes.TimeOf(now.Add(-time.Hour)), Message: "The Client Web Service is not working."}}
	west.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: "wsus-hq.corp.example", Port: 8530}, Last: &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-2 * time.Hour)), FinishedAt: probes.TimeOf(now.Add(-2 * time.Hour)), Result: "Succeeded"}}
	west.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(250, now, func(i int) time.Duration {
		switch {
		case i%10 == 0:
			return -1
		case i%3 == 0:
			return 12 * 24 * time.Hour
		}
		return 2 * time.Hour
	})}

	replica := storetest.Report("replica", "wsus-west-replica.corp.example", now)
	replica.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: "wsus-west.corp.example", Port: 8530, Replica: true},
		Last: &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-50 * time.Minute)), FinishedAt: probes.TimeOf(now.Add(-49 * time.Minute)), Result: "Failed", Error: "WebException: (503) Server Unavailable. <script>alert(4)</script>"}}

	bad := storetest.Report("hostile", hostile, now)
	bad.Server.URL, bad.VDirChecks = "", nil
	bad.Events = []probes.Event{{ID: 4242, Source: `<marquee>src</marquee>`, Level: "Warning", Time: probes.TimeOf(now), Message: `<img src=x onerror=alert(5)> & "quotes"`}}
	bad.ACLs = []probes.ACL{{Path: `D:\WSUS" & calc & "\WsusContent`, Principal: `NT AUTHORITY\SYSTEM`, Rights: []string{"FullControl"}}}
	bad.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{{Name: `<svg/onload=alert(6)>`, OS: `"><script>alert(7)</script>`}}}

	for _, r := range []*probes.Report{hq, west, replica} {
		if res := e.post("/api/v1/reports", e.ingest, r); res.status != 201 {
			t.Fatalf("seed %s: %d %s", r.Server.Name, res.status, res.body)
		}
	}
	// The API refuses names that are not host names; rows stored before it
	// did (or by a path that forgot to check) must still render as text.
	bad.Normalize()
	if _, _, err := e.st.SaveReport(t.Context(), bad, ""); err != nil {
		t.Fatalf("seed %s: %v", bad.Server.Name, err)
	}
	if _, err := e.st.RegisterServer(t.Context(), "wsus-new.corp.example", "http://wsus-new.corp.example:8530"); err != nil {
		t.Fatal(err)
	}
	e.settle() // what serve does every few seconds: classify the clients
}

// page is a fetched HTML page.
type page struct {
	status int
	header http.Header
	body   []byte
	doc    *goquery.Document
}

// get fetches a page as a browser would (Accept: text/html), with cookies.
func (e *env) page(method, path string, form url.Values, cookies ...*http.Cookie) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	path, _, _ = strings.Cut(path, "#") // browsers keep the fragment to themselves
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	p := page{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(p.body))
		if err != nil {
			e.t.Fatalf("%s: %v", path, err)
		}
		p.doc = doc
	}
	return p
}

func (p page) find(t *testing.T, sel string) *goquery.Selection {
	t.Helper()
	if p.doc == nil {
		t.Fatalf("status %d, not HTML: %.300s", p.status, p.body)
	}
	return p.doc.Find(sel)
}

func testid(id string) string { return `[data-testid="` + id + `"]` }

// checkSafeHTML asserts what every page must hold to: no inline script or
// style, no event-handler attributes, no javascript: links, and no markup
// from reports surviving as markup.
func checkSafeHTML(t *testing.T, name string, p page) {
	t.Helper()
	p.find(t, "script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); !regexp.MustCompile(`^/static/app\.[0-9a-f]{8}\.js$`).MatchString(src) || strings.TrimSpace(s.Text()) != "" {
			html, _ := goquery.OuterHtml(s)
			t.Errorf("%s: a script that is not the static app.js: %s", name, html)
		}
	})
	p.find(t, "*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: inline %s attribute on <%s>", name, a.Key, goquery.NodeName(s))
			}
			if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("%s: javascript: URL in %s", name, a.Key)
			}
		}
	})
	for _, bad := range []string{"<script>alert", "<img src=x", "<svg/onload", "<b>title", "<marquee>"} {
		if bytes.Contains(p.body, []byte(bad)) {
			t.Errorf("%s: report markup %q reached the HTML unescaped", name, bad)
		}
	}
}

func TestFleetPage(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	if p := e.page("GET", "/", nil); p.status != 200 || p.find(t, testid("onboarding")).Length() != 1 {
		t.Fatalf("empty fleet: %d, onboarding %d", p.status, p.find(t, testid("onboarding")).Length())
	} else if cmd := p.find(t, "#cmd-curl").Text(); !strings.Contains(cmd, "http://example.com/api/v1/reports") {
		t.Errorf("the first-report one-liner should name this dashboard: %q", cmd)
	}
	seedScenario(t, e.env)

	p := e.page("GET", "/", nil)
	checkSafeHTML(t, "fleet", p)
	rows := p.find(t, testid("server-row"))
	if rows.Length() != 5 {
		t.Fatalf("%d server rows, want 5", rows.Length())
	}
	// Worst first: the critical servers lead, the silent one comes before the healthy ones.
	var order []string
	rows.Each(func(_ int, s *goquery.Selection) { order = append(order, s.AttrOr("data-status", "")) })
	if strings.Join(order, ",") != "critical,critical,unknown,ok,ok" {
		t.Errorf("status order %v", order)
	}
	west := p.find(t, `[data-server="wsus-west.corp.example"]`)
	if st := west.Find(".badge").First().Text(); st != "Critical" {
		t.Errorf("west status %q", st)
	}
	cells := west.Find(".strip i")
	if cells.Length() != 9 || !cells.First().HasClass("v-fault") {
		t.Errorf("west strip: %d cells, first %v", cells.Length(), cells.First().AttrOr("class", ""))
	}
	strip := west.Find(".strip")
	if label := strip.AttrOr("aria-label", ""); !strings.HasPrefix(label, "vDirs: ClientWebService, SimpleAuthWebService") || !strings.Contains(label, ": 503") ||
		!strings.Contains(label, "WsusPool") || !strings.HasSuffix(label, ", fault") {
		t.Errorf("the strip's name %q should say each vDir's status.substatus, why and its verdict", label)
	}
	if strip.AttrOr("tabindex", "") != "0" {
		t.Errorf("the strip should be reachable by keyboard and touch")
	}
	if label := p.find(t, `[data-server="wsus-hq.corp.example"] .strip`).AttrOr("aria-label", ""); label != "vDirs: 9 OK" {
		t.Errorf("a healthy strip's name: %q", label)
	}
	cause := west.Find(testid("root-cause") + " a")
	if href := cause.AttrOr("href", ""); href != "/servers/wsus-west.corp.example#f-pool_stopped-wsuspool" {
		t.Errorf("the root cause should link to its finding: %q", href)
	}
	if more := west.Find(testid("more")).Text(); !strings.HasPrefix(more, "+") || !strings.HasSuffix(more, " more") {
		t.Errorf("the other findings should be counted: %q", more)
	}
	if sp := e.page("GET", "/servers/wsus-west.corp.example", nil); sp.find(t, "#f-pool_stopped-wsuspool"+testid("finding")).Length() != 1 {
		t.Errorf("the server page has no finding the fleet's root cause link leads to")
	}
	if names := p.find(t, testid("fleet-table")).AttrOr("data-vdirs", ""); !strings.HasPrefix(names, "ClientWebService, SimpleAuthWebService") {
		t.Errorf("the table should name the strip's vDirs in order: %q", names)
	}
	if s, n := west.Find(".stale").Text(), west.Find(".never").Text(); s != "75" || n != "25" {
		t.Errorf("west stale %s never %s, want 75 and 25", s, n)
	}
	if res := p.find(t, `[data-server="wsus-west-replica.corp.example"] .sync`); res.Text() != "Failed" || !res.HasClass("b-critical") {
		t.Errorf("replica sync: %q %v", res.Text(), res.AttrOr("class", ""))
	}
	if got := p.find(t, testid("count-critical")+" .value").Text(); got != "2" {
		t.Errorf("critical count %q", got)
	}
	if got := p.find(t, testid("count-unknown")+" .value").Text(); got != "1" {
		t.Errorf("unknown count %q (the registered server never heard from)", got)
	}
	// The hostile name is text, and its link is percent-encoded and works.
	link := p.find(t, `[data-server="`+hostile+`"] td:first-child a`)
	if link.Text() != hostile || link.AttrOr("href", "") != "/servers/%3Cscript%3Ealert%281%29%3C%2Fscript%3E" {
		t.Errorf("hostile link %q -> %q", link.Text(), link.AttrOr("href", ""))
	}
	if sp := e.page("GET", link.AttrOr("href", ""), nil); sp.status != 200 || sp.find(t, testid("server-name")).Text() != hostile {
		t.Errorf("following the hostile link: %d", sp.status)
	}
	if p.find(t, "body").AttrOr("data-refresh", "") == "" || p.find(t, "#fleet-table[data-live]").Length() != 1 {
		t.Errorf("the fleet table should refresh in place")
	}

	// Filters and sorting are plain GET links and forms.
	if p := e.page("GET", "/?status=critical", nil); p.find(t, testid("server-row")).Length() != 2 {
		t.Errorf("status filter: %d rows", p.find(t, testid("server-row")).Length())
	}
	if p := e.page("GET", "/?q=REPLICA", nil); p.find(t, testid("server-row")).Length() != 1 {
		t.Errorf("text filter: %d rows", p.find(t, testid("server-row")).Length())
	}
	if p := e.page("GET", "/?q=nothing-like-this", nil); p.find(t, testid("fleet-no-match")).Length() != 1 {
		t.Errorf("no match should say so")
	}
	p = e.page("GET", "/?sort=-name", nil)
	if first, _ := p.find(t, testid("server-row")).First().Attr("data-server"); first != "wsus-west.corp.example" {
		t.Errorf("sort=-name: first %q", first)
	}
	if sorted := p.find(t, `th[aria-sort="descending"] a`).AttrOr("href", ""); sorted != "/?sort=name" {
		t.Errorf("the sorted column should link to the other direction: %q", sorted)
	}
	p = e.page("GET", "/?sort=stale", nil)
	if first, _ := p.find(t, testid("server-row")).First().Attr("data-server"); first != "wsus-west.corp.example" {
		t.Errorf("sort=stale: first %q", first)
	}
}

func TestServerPage(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	seedScenario(t, e.env)
	p := e.page("GET", "/servers/WSUS-WEST.corp.example", nil)
	if p.status != 200 {
		t.Fatalf("%d %s", p.status, p.body)
	}
	checkSafeHTML(t, "server", p)

	findings := p.find(t, testid("finding"))
	if findings.Length() != 2 || findings.First().AttrOr("data-severity", "") != "critical" {
		t.Fatalf("findings: %d, first %q; want 2, critical first", findings.Length(), findings.First().AttrOr("data-severity", ""))
	}
	crit := findings.First()
	if n := crit.Find(testid("evidence") + " li").Length(); n != 2 {
		t.Errorf("%d evidence items", n)
	}
	if !strings.Contains(crit.Find(testid("evidence")).Text(), "dashboard probe") || crit.Find(testid("evidence")+" time").Length() != 2 {
		t.Errorf("evidence should say where and when: %q", crit.Find(testid("evidence")).Text())
	}
	steps := crit.Find(testid("remediation") + " > li")
	if steps.Length() != 3 || !crit.Find(testid("remediation")).Is("ol") {
		t.Errorf("%d numbered steps", steps.Length())
	}
	cmd := steps.First().Find(testid("command") + " code")
	if !strings.Contains(cmd.Text(), "appcmd start apppool") || steps.First().Find("button[data-copy="+cmd.AttrOr("id", "?")+"]").Length() != 1 {
		t.Errorf("step 1 should carry a copyable command: %q", cmd.Text())
	}

	checks := p.find(t, testid("vantage")+`[data-vantage="remote"] `+testid("check"))
	if checks.Length() != 9 || checks.First().Find(testid("check-status")).Text() != "503" || checks.First().Find(testid("history")+" rect").Length() != 48 {
		t.Errorf("reachability: %d checks, first %q", checks.Length(), checks.First().Find(testid("check-status")).Text())
	}
	if got := checks.First().Find(testid("history") + " rect.v-fault").Length(); got != 1 {
		t.Errorf("the history strip should show the one failed run: %d fault slots", got)
	}
	// Colour is not the only signal: a fault slot is the tallest, an empty one a dash.
	if h := checks.First().Find(testid("history")+" rect.v-fault").AttrOr("height", ""); h != "14" {
		t.Errorf("a fault slot is %s px tall, want 14", h)
	}
	if h := checks.First().Find(testid("history")+" rect.v-none").First().AttrOr("height", ""); h != "2" {
		t.Errorf("an empty slot is %s px tall, want 2", h)
	}
	if label := checks.First().Find(testid("history")).AttrOr("aria-label", ""); !strings.Contains(label, "1 fault") || !strings.Contains(label, "not checked") {
		t.Errorf("the history strip's name should count its slots: %q", label)
	}
	if bad := p.find(t, `[data-testid="auth-row"][data-vdir="ClientWebService"] `+testid("mismatch")); bad.Length() != 2 || !strings.Contains(bad.First().Text(), "expected on") {
		t.Errorf("auth mismatches on ClientWebService: %d %q", bad.Length(), bad.First().Text())
	}
	if n := p.find(t, `[data-testid="auth-row"][data-vdir="SimpleAuthWebService"] `+testid("mismatch")).Length(); n != 0 {
		t.Errorf("a vDir as §7.1 wants has %d mismatches", n)
	}
	if n := p.find(t, testid("pool-table")+" "+testid("mismatch")).Length(); n != 6 {
		t.Errorf("pool mismatches %d, want 6 (state and the five §7.4 settings)", n)
	}
	if p.find(t, `#fix-pool-queue`).Text() != `& "$env:windir\system32\inetsrv\appcmd.exe" set apppool /apppool.name:"WsusPool" /queueLength:2000` {
		t.Errorf("pool command %q", p.find(t, `#fix-pool-queue`).Text())
	}
	needs := p.find(t, testid("acl-need"))
	if needs.Length() != 4 || needs.Eq(0).AttrOr("data-state", "") != "missing" || needs.Eq(2).AttrOr("data-state", "") != "ok" || needs.Eq(1).AttrOr("data-state", "") != "unknown" {
		t.Errorf("ACL needs: %d; states %q %q %q", needs.Length(), needs.Eq(0).AttrOr("data-state", ""), needs.Eq(1).AttrOr("data-state", ""), needs.Eq(2).AttrOr("data-state", ""))
	}
	if got := p.find(t, "#fix-acl-0").Text(); got != `icacls "D:\WSUS\WsusContent" /grant '*S-1-5-20:(OI)(CI)F'` {
		t.Errorf("icacls command %q", got)
	}
	if p.find(t, testid("denials-slot")).Length() != 1 {
		t.Errorf("the denials slot should be there and say it is not collected")
	}
	if ev := p.find(t, testid("event")); ev.Length() != 1 || !strings.Contains(ev.Text(), "not confirmed") {
		t.Errorf("events: %d %q", ev.Length(), ev.Text())
	}
	if src := p.find(t, testid("sync")+" a").AttrOr("href", ""); src != "/servers/wsus-hq.corp.example" {
		t.Errorf("the upstream should link to its page: %q", src)
	}

	// Client gaps: histogram, categories, the table with filter, sort, pages, CSV.
	if n := p.find(t, testid("age-bar")).Length(); n != 7 {
		t.Errorf("%d histogram bars", n)
	}
	if got := p.find(t, testid("gap-stale_report")+" .n").Text(); got != "75" {
		t.Errorf("stale category %q", got)
	}
	if n := p.find(t, `[data-testid="gap-categories"] .chip`).Length(); n != 10 {
		t.Errorf("%d category chips, want all clients and the nine of DESIGN §6", n)
	}
	if b := p.find(t, testid("client-gap-badge")).First(); b.Text() == "" || b.AttrOr("title", "") == "" {
		t.Errorf("a client in a gap shows its category and why: %q %q", b.Text(), b.AttrOr("title", ""))
	}
	if n := p.find(t, testid("client-row")).Length(); n != 25 {
		t.Errorf("first page: %d clients", n)
	}
	next := p.find(t, testid("clients-next")).AttrOr("href", "")
	p2 := e.page("GET", next, nil)
	if n := p2.find(t, testid("client-row")).Length(); n != 25 || p2.find(t, testid("client-name")).First().Text() <= p.find(t, testid("client-name")).Last().Text() {
		t.Errorf("page 2 (%s): %d rows, not after page 1", next, n)
	}
	if p2.find(t, testid("clients-first")).Length() != 1 {
		t.Errorf("page 2 should link back to the first page")
	}
	f := e.page("GET", "/servers/wsus-west.corp.example?category=never_reported&q=pc0001", nil)
	if rows := f.find(t, testid("client-row")); rows.Length() != 1 || rows.Find(testid("client-name")).Text() != "pc00010.corp.example" {
		t.Errorf("filtered: %d rows %q", rows.Length(), rows.Find(testid("client-name")).Text())
	}
	csvHref := f.find(t, testid("clients-csv")).AttrOr("href", "")
	if csvHref != "/servers/wsus-west.corp.example/clients.csv?category=never_reported&q=pc0001" {
		t.Errorf("CSV link %q", csvHref)
	}
	csv := e.page("GET", csvHref, nil)
	if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || strings.Count(string(csv.body), "\n") != 2 {
		t.Errorf("CSV: %d %q %q", csv.status, csv.header.Get("Content-Type"), csv.body)
	}
	s := e.page("GET", "/servers/wsus-west.corp.example?sort=-last_report", nil)
	if first := s.find(t, testid("client-row")).First(); first.Find("time").Length() == 0 {
		t.Errorf("newest first should start with a client that reported")
	}
	if bad := e.page("GET", "/servers/wsus-west.corp.example?cursor=garbage", nil); bad.status != 200 || bad.find(t, `[role="alert"]`).Length() != 1 {
		t.Errorf("a stale cursor should fall back to page 1 with a note: %d", bad.status)
	}

	// A server known only by registration: every section says how to get it.
	n := e.page("GET", "/servers/wsus-new.corp.example", nil)
	if n.status != 200 || n.find(t, testid("reach-empty")).Length() != 1 || n.find(t, testid("clients-empty")).Length() != 1 || n.find(t, testid("no-findings")).Length() != 1 {
		t.Errorf("new server page: %d", n.status)
	}
	// Its probe command is this server's, with the name probe needs for a URL
	// it cannot resolve, posting to this dashboard.
	probe := n.find(t, testid("reach-empty")).Find("code").Text()
	for _, want := range []string{"--server http://wsus-new.corp.example:8530 ", "--name wsus-new.corp.example ", "--post http://", `--token "$WSUSFLEET_TOKEN"`} {
		if !strings.Contains(probe, want) {
			t.Errorf("probe command %q lacks %q", probe, want)
		}
	}
}

func TestHostileServerPage(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	seedScenario(t, e.env)
	p := e.page("GET", "/servers/"+url.PathEscape(hostile), nil)
	if p.status != 200 {
		t.Fatalf("%d", p.status)
	}
	checkSafeHTML(t, "hostile server", p)
	if got := p.find(t, testid("finding-title")).Text(); got != "<b>title</b>" {
		t.Errorf("finding title %q", got)
	}
	if got := p.find(t, testid("event-message")).Text(); got != `<img src=x onerror=alert(5)> & "quotes"` {
		t.Errorf("event message %q", got)
	}
	if got := p.find(t, testid("client-name")).Text(); got != `<svg/onload=alert(6)>` {
		t.Errorf("client name %q", got)
	}
	if got := p.find(t, "#fix-1-1").Text(); got != `echo "</code><script>alert(3)</script>"` {
		t.Errorf("a command is shown exactly, as text: %q", got)
	}
	// A path that would break out of the command's quotes is not pasted in.
	if cmd := p.find(t, "#fix-acl-0").Text(); strings.Contains(cmd, "calc") || !strings.Contains(p.find(t, testid("acl-need")).First().Text(), "cannot be put in a command safely") {
		t.Errorf("icacls built from a hostile path: %q", cmd)
	}
	if up := p.find(t, "#cmd-upload-procmon").Text(); strings.Contains(up, "script") {
		t.Errorf("upload command built from a hostile name: %q", up)
	}
	r := e.page("GET", "/servers/wsus-west-replica.corp.example", nil)
	checkSafeHTML(t, "replica", r)
	if got := r.find(t, testid("sync-error")).Text(); !strings.Contains(got, "<script>alert(4)</script>") {
		t.Errorf("sync error %q", got)
	}
	for _, path := range []string{"/gaps", "/hierarchy", "/?q=%3Cscript%3E"} {
		checkSafeHTML(t, path, e.page("GET", path, nil))
	}
}

func TestGapsAndHierarchyPages(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	for _, path := range []string{"/gaps", "/hierarchy"} {
		if p := e.page("GET", path, nil); p.status != 200 || p.find(t, testid("onboarding")).Length() != 1 {
			t.Errorf("%s on an empty fleet: %d", path, p.status)
		}
	}
	seedScenario(t, e.env)
	e.settle()
	g := e.page("GET", "/gaps", nil)
	if g.find(t, testid("gaps-pending")).Length() != 1 {
		t.Errorf("gaps should say no client report or inventory showed a client-side gap")
	}
	if got := g.find(t, testid("gap-total-stale_report")+" .value").Text(); got != "75" {
		t.Errorf("stale total %q", got)
	}
	if got := g.find(t, testid("gap-total-policy_off")+" .value").Text(); got != "0" {
		t.Errorf("policy_off total %q", got)
	}
	drill := g.find(t, `[data-testid="gap-row"][data-server="wsus-west.corp.example"] a[href*="/gaps/stale_report"]`)
	if drill.Text() != "75" {
		t.Fatalf("drill-down link: %q", drill.Text())
	}
	p := e.page("GET", drill.AttrOr("href", ""), nil)
	if n := p.find(t, testid("gap-client")).Length(); p.status != 200 || n != 75 {
		t.Errorf("drill-down to %s: %d %d rows", drill.AttrOr("href", ""), p.status, n)
	}
	if got := p.find(t, testid("gap-client")).First().Text(); !strings.Contains(got, "last status report") || !strings.Contains(got, "wsus-west.corp.example") {
		t.Errorf("a drilled-down client shows its evidence: %q", got)
	}
	if csv := e.page("GET", "/gaps/stale_report.csv?server=wsus-west.corp.example", nil); csv.status != 200 || strings.Count(string(csv.body), "\n") != 76 {
		t.Errorf("gap CSV: %d, %d lines", csv.status, strings.Count(string(csv.body), "\n"))
	}
	if nf := e.page("GET", "/gaps/late", nil); nf.status != 404 {
		t.Errorf("unknown category page: %d", nf.status)
	}

	h := e.page("GET", "/hierarchy", nil)
	replica := h.find(t, `[data-testid="tree-node"][data-server="wsus-hq.corp.example"] [data-testid="tree-node"][data-server="wsus-west.corp.example"] [data-testid="tree-node"][data-server="wsus-west-replica.corp.example"]`)
	if replica.Length() != 1 || !strings.Contains(replica.Text(), "replica of") || replica.Find(".sync").Text() != "Failed" {
		t.Errorf("hq → west → replica: %d %q", replica.Length(), replica.Text())
	}
	if n := h.find(t, testid("tree-node")).Length(); n != 5 {
		t.Errorf("%d tree nodes, want every server once", n)
	}
}

func TestErrorPages(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	p := e.page("GET", "/servers/nope.corp.example", nil)
	if p.status != 404 || p.find(t, testid("error-page")).Length() != 1 || p.find(t, testid("error-back")).AttrOr("href", "") != "/" {
		t.Errorf("unknown server: %d %q", p.status, p.body)
	}
	if p := e.page("GET", "/no/such/page", nil); p.status != 404 || p.find(t, testid("error-page")).Length() != 1 {
		t.Errorf("unknown page from a browser: %d", p.status)
	}
	if res := e.do("GET", "/api/v1/servers/nope", "", nil, "Accept", "text/html"); res.status != 404 {
		t.Errorf("api: %d", res.status)
	} else {
		res.problem(t) // the API keeps problem+json whatever the Accept header
	}
	checkSafeHTML(t, "404", e.page("GET", "/servers/"+url.PathEscape(hostile), nil))
}

func TestStaticAssets(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	p := e.page("GET", "/", nil)
	for _, sel := range []string{`link[rel="stylesheet"]`, `script[src]`, `link[rel="icon"]`} {
		u := p.find(t, sel).AttrOr("href", p.find(t, sel).AttrOr("src", ""))
		if !regexp.MustCompile(`^/static/[a-z]+\.[0-9a-f]{8}\.(css|js|svg)$`).MatchString(u) {
			t.Errorf("%s: %q is not a content-hashed URL", sel, u)
			continue
		}
		res := e.do("GET", u, "", nil)
		if res.status != 200 || res.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || len(res.body) == 0 {
			t.Errorf("%s: %d %q", u, res.status, res.header.Get("Cache-Control"))
		}
		if ct := res.header.Get("Content-Type"); !strings.Contains(ct, map[string]string{"css": "text/css", "js": "javascript", "svg": "image/svg+xml"}[u[strings.LastIndex(u, ".")+1:]]) {
			t.Errorf("%s: Content-Type %q", u, ct)
		}
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", u, csp)
		}
	}
	if res := e.do("GET", "/static/app.css", "", nil); res.status != 404 {
		t.Errorf("an unhashed name must not be served (it could not be cached forever): %d", res.status)
	}
}

// TestPageBudgets: the fleet page of 500 servers stays under 500 KB of HTML,
// and all JavaScript under 50 KB.
func TestPageBudgets(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 500 servers")
	}
	e := newPageEnv(t, web.Config{})
	seedFleet(t, e.st, 500, storetest.T0)
	p := e.page("GET", "/", nil)
	if n := p.find(t, testid("server-row")).Length(); n != 500 {
		t.Fatalf("%d rows", n)
	}
	t.Logf("fleet page with 500 servers: %d bytes of HTML", len(p.body))
	if len(p.body) > 500<<10 {
		t.Errorf("fleet page: %d bytes of HTML, budget 500 KB", len(p.body))
	}
	var js int
	p.find(t, "script[src]").Each(func(_ int, s *goquery.Selection) {
		js += len(e.do("GET", s.AttrOr("src", ""), "", nil).body)
	})
	t.Logf("JavaScript: %d bytes", js)
	if js == 0 || js > 50<<10 {
		t.Errorf("JavaScript: %d bytes, budget 50 KB", js)
	}
}

// seedFleet stores n servers with realistic variety: some faulty vDirs,
// upstream sync, a few hundred clients each.
func seedFleet(tb testing.TB, st *store.Store, n int, now time.Time) {
	tb.Helper()
	for i := range n {
		name := fmt.Sprintf("wsus%03d.site%02d.corp.example", i, i%40)
		r := storetest.Report(fmt.Sprintf("fleet-%d", i), name, now)
		if i%7 == 3 {
			r.VDirChecks[0].Status, r.VDirChecks[0].Substatus = 401, new(int)
			*r.VDirChecks[0].Substatus = 2
		}
		if i%11 == 5 {
			for j := range r.VDirChecks {
				r.VDirChecks[j].Status = 503
			}
		}
		r.Sync = &probes.Sync{From: probes.SyncFromMicrosoftUpdate, Last: &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-time.Hour)), FinishedAt: probes.TimeOf(now.Add(-50 * time.Minute)), Result: "Succeeded"}}
		if i > 0 {
			r.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: fmt.Sprintf("wsus%03d.site%02d.corp.example", i/10, (i/10)%40), Port: 8530, Replica: i%3 == 0},
				Last: &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-2 * time.Hour)), FinishedAt: probes.TimeOf(now.Add(-2 * time.Hour)), Result: []string{"Succeeded", "Succeeded", "Failed"}[i%3]}}
		}
		r.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(20, now, func(j int) time.Duration { return time.Duration(j*i%50) * 24 * time.Hour })}
		if _, _, err := st.SaveReport(tb.Context(), r, ""); err != nil {
			tb.Fatal(err)
		}
	}
}

// Uploaded evidence shows on the server page with what fixes it.
func TestServerPageShowsEvidence(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	if res := e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/procmon", e.ingest, bytes.NewReader(sample(t, "procmon/testdata/denied-capture.csv"))); res.status != 201 {
		t.Fatalf("procmon: %d %s", res.status, res.body)
	}
	if res := e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/iislog?file=u_ex261121.log", e.ingest, strings.NewReader(wsusLog)); res.status != 201 {
		t.Fatalf("iislog: %d %s", res.status, res.body)
	}
	p := e.page("GET", "/servers/wsus01.corp.example", nil)
	if n := p.find(t, testid("denial")).Length(); n == 0 {
		t.Errorf("no ProcMon denial rendered")
	}
	if cmd := p.find(t, `#denials .cmd`).First().Text(); !strings.Contains(cmd, "icacls") {
		t.Errorf("the grant command is missing: %q", cmd)
	}
	fault := p.find(t, testid("iislog-fault"))
	if fault.Length() != 1 || !strings.Contains(fault.Text(), "401.2") || !strings.Contains(fault.Text(), "fe80::1%11") {
		t.Errorf("IIS log faults: %q", fault.Text())
	}
	if p.find(t, testid("denials-slot")).Length() != 0 {
		t.Errorf("both kinds are collected: no upload prompt expected")
	}
	checkSafeHTML(t, "evidence", p)
}

// The clients' own checks of the server's URLs make a vantage of their own:
// how many clients got which answer, the worst verdict and a client to ask.
func TestServerPageShowsTheClientsVantage(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	seedScenario(t, e.env)
	base := "http://wsus-west.corp.example:8530"
	for i, status := range []int{503, 503, 200} {
		cr := clientReport(fmt.Sprintf("west-pc%d.corp.example", i), base, base, fmt.Sprintf("w%d", i), nil)
		cr.VDirChecks = []probes.VDirCheck{{VDir: "ClientWebService", URL: base + "/ClientWebService/client.asmx", Status: status, LatencyMS: 20}}
		e.mustPost("/api/v1/client-reports", cr)
	}
	p := e.page("GET", "/servers/wsus-west.corp.example", nil)
	rows := p.find(t, testid("vantage")+`[data-vantage="client"] `+testid("check"))
	if rows.Length() != 1 {
		t.Fatalf("%d client-vantage rows, want 1 (ClientWebService)", rows.Length())
	}
	status, why := rows.Find(testid("check-status")).Text(), rows.Find(".why").Text()
	if !strings.Contains(status, "503 ×2") || !strings.Contains(status, "200 ×1") || !strings.Contains(why, "2 of 3 clients") || !strings.Contains(why, "west-pc") {
		t.Errorf("client vantage: status %q, why %q", status, why)
	}
	if rows.Find(".verdict.v-fault").Length() != 1 {
		t.Errorf("the worst answer decides the verdict: %q", rows.Find(".verdict").AttrOr("class", ""))
	}
}
