package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/prober"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/probes/sim"
	"github.com/wsusfleet/wsusfleet/probes/sim/demofleet"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// Browser tests drive headless Chromium (Debian package "chromium") against
// a simulated fleet: what only a browser shows — the script's behaviour,
// console errors, failed requests, themes, layout at phone and desktop
// widths (screenshots go to a temporary directory, or to
// $WSUSFLEET_SCREENSHOTS when set: .ci/run keeps them as artifacts).

// chromiumPath finds the browser; outside CI its absence skips the test,
// in CI (CI=true) it fails it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("WSUSFLEET_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed, and browser tests must run in CI: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("browser tests skipped: Chromium not found (apt-get install chromium, or set WSUSFLEET_CHROMIUM)")
	return ""
}

func screenshotsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WSUSFLEET_SCREENSHOTS")
	if dir == "" {
		return t.TempDir() // a test run leaves nothing in the work tree unless asked
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserFleet starts simulated WSUS servers with real faults, registers
// them, stores what their collectors would send and probes each once, as
// `wsusfleet demo` does; it returns the dashboard's URL and an admin token.
func browserFleet(t *testing.T) (base, admin string) {
	t.Helper()
	st := storetest.OpenSQLite(t, store.Options{Diagnose: rules.Diagnose})
	now := time.Now().UTC()
	// The demo's fleet (wsusfleet demo) at a tenth of its clients, probed
	// once the way serve's scheduler would.
	fleet := demofleet.Fleet()
	sims := make([]*sim.Server, len(fleet))
	urls := make([]string, len(fleet))
	for i, d := range fleet {
		s, err := sim.Start("127.0.0.1:0", sim.Options{Profile: d.Profile, TLS: d.TLS})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sims[i], urls[i] = s, s.URL()
	}
	if _, err := demofleet.Seed(t.Context(), st, fleet, urls, 0.1, now); err != nil {
		t.Fatal(err)
	}
	pr := prober.New(prober.Options{SelfUpdatePort: -1, HTTPPort: -1})
	for i, d := range fleet {
		checks, err := pr.Probe(t.Context(), urls[i])
		if err != nil {
			t.Fatalf("probe %s: %v", d.Name, err)
		}
		p := storetest.Report(fmt.Sprintf("probe-%d", i), d.Name, now)
		p.Collector, p.VDirChecks = probes.Collector{Name: "wsusfleet probe", Vantage: probes.VantageDashboard}, checks
		p.Server = probes.ServerInfo{Name: d.Name, URL: urls[i]}
		if _, _, err := st.SaveReport(t.Context(), p, ""); err != nil {
			t.Fatal(err)
		}
	}
	hostileReport := storetest.Report("hostile", hostile, now)
	hostileReport.Server.URL, hostileReport.VDirChecks = "", nil
	hostileReport.Events = []probes.Event{{ID: 4242, Source: "x", Level: "Warning", Time: probes.TimeOf(now), Message: `<img src=x onerror=alert(5)>`}}
	if _, _, err := st.SaveReport(t.Context(), hostileReport, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Settle(t.Context()); err != nil { // what serve does every few seconds
		t.Fatal(err)
	}
	admin, _, err := st.CreateToken(t.Context(), "browser-admin", probes.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(st, web.Config{}))
	t.Cleanup(srv.Close)
	return srv.URL, admin
}

// watcher collects what must not happen in a page: console errors,
// uncaught exceptions, failed requests and error responses.
type watcher struct {
	mu       sync.Mutex
	problems []string
}

func (w *watcher) add(format string, args ...any) {
	w.mu.Lock()
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
	w.mu.Unlock()
}

func (w *watcher) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.problems
	w.problems = nil
	return p
}

func (w *watcher) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value))
			}
			w.add("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		w.add("uncaught exception: %s", ev.ExceptionDetails.Text)
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			w.add("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventLoadingFailed:
		if !ev.Canceled {
			w.add("request failed: %s %s", ev.Type, ev.ErrorText)
		}
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			w.add("HTTP %d for %s", ev.Response.Status, ev.Response.URL)
		}
	}
}

func TestBrowser(t *testing.T) {
	path := chromiumPath(t)
	if testing.Short() {
		t.Skip("browser tests take a while")
	}
	base, admin := browserFleet(t)
	shots := screenshotsDir(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true), chromedp.Flag("hide-scrollbars", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 10*time.Minute)
	defer cancelTimeout()

	w := &watcher{}
	if err := chromedp.Listen(ctx, w.listen); err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, enable := range []func() error{
		func() error { _, err := chromedp.Call(ctx, runtime.Enable, struct{}{}); return err },
		func() error { _, err := chromedp.Call(ctx, cdplog.Enable, struct{}{}); return err },
		func() error { _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); return err },
		func() error {
			_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"})
			return err
		},
	} {
		must("enable", enable())
	}
	scheme := func(dark bool) {
		t.Helper()
		value := "light"
		if dark {
			value = "dark"
		}
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: value}}})
		must("color scheme", err)
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		must(js, err)
		return v
	}
	clean := func(where string) {
		t.Helper()
		for _, p := range w.take() {
			t.Errorf("%s: %s", where, p)
		}
	}
	open := func(path string) {
		t.Helper()
		must("open "+path, chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main"))))
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
		must("screenshot", err)
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Sign in as admin through the form, so the tokens page can be shown too.
	open("/signin?next=%2Fsettings%2Ftokens")
	must("sign in", chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid="signin-token"]`), admin),
		chromedp.Click(chromedp.CSS(`[data-testid="signin-submit"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="token-table"]`))))
	clean("sign in")

	// The stopped pool's server says why on its fleet row.
	open("/")
	if row := eval(`document.querySelector('[data-server="wsus-west.corp.example"]').textContent`); !strings.Contains(row, "stopped") {
		t.Errorf("the stopped pool's fleet row does not say so: %.300q", row)
	}
	if got := eval(`document.querySelector('[data-server="wsus-west.corp.example"] .strip').getAttribute("aria-label")`); !strings.Contains(got, "ClientWebService") || !strings.Contains(got, "503") {
		t.Errorf("the strip's name should say each vDir's answer: %q", got)
	}
	open("/servers/wsus-west.corp.example")
	client := eval(`(function(){ var a = document.querySelector('[data-testid="client-name"] a'); return a ? a.getAttribute("href") : "" })()`)

	pages := []struct{ name, path string }{
		{"fleet", "/"}, {"server", "/servers/wsus-west.corp.example"}, {"server-acl", "/servers/wsus-lab.corp.example"},
		{"server-anon", "/servers/wsus-east.corp.example"}, {"server-ok", "/servers/wsus-hq.corp.example"}, {"server-tls", "/servers/wsus-dmz.corp.example"},
		{"gaps", "/gaps"}, {"gap-stale", "/gaps/stale_report"}, {"hierarchy", "/hierarchy"}, {"tokens", "/settings/tokens"},
		{"alerts", "/alerts"}, {"alert-settings", "/settings/alerts"}, {"signin", "/signin"},
		{"hostile", "/servers/" + url.PathEscape(hostile)}, {"not-found", "/servers/nope.corp.example"},
	}
	if client != "" {
		pages = append(pages, struct{ name, path string }{"client", client})
	}
	axe := axeSource(t)
	var lightBG string
	for _, mode := range []struct {
		dark  bool
		width int64
	}{{false, 375}, {false, 1280}, {true, 375}, {true, 1280}, {false, 1440}} {
		scheme(mode.dark)
		theme := map[bool]string{false: "light", true: "dark"}[mode.dark]
		must("viewport", chromedp.Do(ctx, chromedp.EmulateViewport(mode.width, 900)))
		for _, p := range pages {
			where := fmt.Sprintf("%s at %d px, %s", p.name, mode.width, theme)
			open(p.path)
			if mode.width != 1440 { // 1440 only for overflow
				screenshot(fmt.Sprintf("%s-%d-%s", p.name, mode.width, theme))
			}
			if p.name == "not-found" {
				w.take() // the 404 is the point of this page
			} else {
				clean(where)
			}
			// Nothing but a table's own scroll container may be wider than the window.
			if wide := eval(`String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); wide != "0" {
				culprits := eval(`Array.from(document.querySelectorAll("body *")).filter(function(e){
					for (var p = e.parentElement; p && p !== document.body; p = p.parentElement) {
						if (getComputedStyle(p).overflowX !== "visible") return false; // clipped or scrolled inside its container
					}
					return e.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
				}).slice(0, 5).map(function(e){ return e.tagName + "." + e.className + "#" + e.id }).join(" ")`)
				t.Errorf("%s: the page scrolls sideways by %s px: %s", where, wide, culprits)
			}
			// Half-width cards clip nothing (a column, a Copy button) and every
			// Copy button is on screen.
			if clipped := eval(`Array.from(document.querySelectorAll(".grid-2 > .panel, .panel")).flatMap(function(p){
				var edge = p.getBoundingClientRect().right + 1;
				return Array.from(p.querySelectorAll("*")).filter(function(e){
					for (var q = e.parentElement; q && q !== p; q = q.parentElement) {
						if (getComputedStyle(q).overflowX !== "visible") return false;
					}
					var r = e.getBoundingClientRect();
					return r.width > 0 && r.right > edge;
				});
			}).concat(Array.from(document.querySelectorAll("button[data-copy]")).filter(function(b){
				var r = b.getBoundingClientRect();
				return !b.hidden && r.width > 0 && r.right > document.documentElement.clientWidth + 1;
			})).slice(0, 5).map(function(e){ var sec = e.closest("section"); return e.tagName + "." + e.className + "#" + (e.id || e.dataset.copy || "") + " in " + (sec ? "#" + sec.id : e.parentElement.className) + " (" + e.textContent.slice(0, 30) + ")" }).join(" ")`); clipped != "" {
				t.Errorf("%s: cut off by its card: %s", where, clipped)
			}
			if p.name == "fleet" && mode.width == 1280 {
				// Fault and OK cells differ by 3:1 in lightness, not just in hue.
				ratio := eval(`(function(){
					function lum(el) {
						var m = getComputedStyle(el).backgroundColor.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
						var c = m.map(function(v){ v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4) });
						return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
					}
					var ok = document.querySelector(".strip i:not([class])"), fault = document.querySelector(".strip i.v-fault");
					var a = lum(ok), b = lum(fault);
					return ((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)).toFixed(2);
				})()`)
				if r, err := strconv.ParseFloat(ratio, 64); err != nil || r < 3 {
					t.Errorf("%s: fault and OK cells differ %s:1 in lightness, want at least 3:1", where, ratio)
				}
				// A strip reached by keyboard shows each vDir's answer.
				shown := eval(`(function(){ var s = document.querySelector('[data-server="wsus-east.corp.example"] .strip'); s.focus();
					var focused = document.activeElement === s, c = getComputedStyle(s, "::after").content; s.blur(); return focused ? c : "not focusable" })()`)
				if !strings.Contains(shown, "ClientWebService: 401.2") || !strings.Contains(shown, "fault") {
					t.Errorf("%s: a focused strip shows %q", where, shown)
				}
			}
			if p.name == "gaps" && mode.width >= 1280 {
				if over := eval(`(function(){ var s = document.querySelector('[data-testid="gaps-table"]').closest(".scroll"); return String(s.scrollWidth - s.clientWidth) })()`); over != "0" {
					t.Errorf("%s: the gaps matrix needs %s px more: its last columns are hidden", where, over)
				}
			}
			if mode.width != 1440 {
				for _, v := range runAxe(t, ctx, axe) {
					t.Errorf("%s: axe %s (%s): %s — %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Targets, " | "))
				}
			}
		}
		bg := eval(`getComputedStyle(document.body).backgroundColor`)
		if !mode.dark {
			lightBG = bg
		} else if bg == lightBG {
			t.Errorf("dark mode did not change the page: background %s in both", bg)
		}
	}
	scheme(false)
	must("viewport", chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)))

	// Each server's fix plan downloads as a PowerShell script the CI
	// grammar parses.
	scripts := map[string]string{}
	for _, name := range []string{"wsus-hq.corp.example", "wsus-west.corp.example", "wsus-east.corp.example", "wsus-west-replica.corp.example", "wsus-lab.corp.example", "wsus-dmz.corp.example"} {
		open("/servers/" + name)
		href := eval(`(function(){ var a = document.querySelector('[data-testid="fix-plan-script"]'); return a ? a.getAttribute("href") : "" })()`)
		if name == "wsus-hq.corp.example" {
			if href != "" {
				t.Errorf("a healthy server offers a fix plan: %s", href)
			}
			continue
		}
		if href == "" {
			t.Errorf("%s: no fix-plan download", name)
			continue
		}
		res, err := http.Get(base + href)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 || !strings.HasPrefix(string(body), "#Requires -RunAsAdministrator") {
			t.Errorf("%s: %d %v %.80q", href, res.StatusCode, err, body)
		}
		scripts[strings.TrimSuffix(name, ".corp.example")+".ps1"] = string(body)
	}
	checkPowerShell(t, scripts)

	// The server page: findings first, times in local time with UTC on hover,
	// copy buttons shown by the script.
	open("/servers/wsus-west.corp.example")
	if first := eval(`document.querySelector("main section.panel").id`); first != "plan" {
		t.Errorf("the first section is %q, want the fix plan", first)
	}
	if fix := eval(`document.querySelector('[data-testid="fix-first"]').getBoundingClientRect().bottom < window.innerHeight ? "above" : "below"`); fix != "above" {
		t.Errorf("the root cause and its first step should be above the fold")
	}
	if clears := eval(`(function(){ var p = document.querySelector('[data-testid="fix-first-clears"]'); return p ? p.textContent : "" })()`); !strings.Contains(clears, "clients") {
		t.Errorf("above the fold, what fixing the root cause clears: %q", clears)
	}
	if n := eval(`String(document.querySelectorAll('[data-testid="finding"]').length)`); n < "2" || len(n) != 1 && len(n) < 2 {
		t.Errorf("%s findings", n)
	}
	if first := eval(`document.querySelector('[data-testid="finding"]').textContent`); !strings.Contains(first, "WsusPool is stopped") {
		t.Errorf("the most severe finding first (the stopped pool): %.120q", first)
	}
	tm := eval(`(function(){var t=document.querySelector("time[data-local]"); return t.textContent + "|" + t.title})()`)
	if text, title, _ := strings.Cut(tm, "|"); strings.Contains(text, "UTC") || !strings.HasSuffix(title, "UTC") {
		t.Errorf("time should show local time with UTC on hover: %q", tm)
	}
	if hidden := eval(`String(document.querySelector('[data-testid="finding"] button[data-copy]').hidden)`); hidden != "false" {
		t.Errorf("copy buttons should show once the script runs")
	}

	// Filter the client table: typing applies the filter in place.
	must("filter", chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`[data-testid="client-q"]`), "pc0011")))
	got, err := chromedp.Run(ctx, chromedp.Poll[string](`(function(){
		var rows = document.querySelectorAll('[data-testid="client-row"]');
		return rows.length > 0 && rows.length <= 10 && location.search.indexOf("q=pc0011") >= 0 ? String(rows.length) : "";
	})()`, chromedp.WithPollingTimeout(10*time.Second)))
	must("filtered rows", err)
	names := eval(`Array.from(document.querySelectorAll('[data-testid="client-name"]')).map(function(e){return e.textContent}).join(",")`)
	for _, n := range strings.Split(names, ",") {
		if !strings.Contains(n, "pc0011") {
			t.Errorf("filtered table (%s rows) holds %q", got, n)
		}
	}
	must("filter by gap", chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`[data-testid="client-gap"]`), "never_reported")))
	eval(`document.querySelector('[data-testid="client-gap"]').dispatchEvent(new Event("change", {bubbles: true})); ""`)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`location.search.indexOf("category=never_reported") >= 0 && document.querySelectorAll('[data-testid="client-row"]').length <= 1`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("gap filter did not apply: %v (%s)", err, eval(`location.search`))
	}
	screenshot("server-filtered-1280-light")
	clean("client filter")

	// Auto-refresh swaps the live regions and keeps the scroll position.
	open("/")
	eval(`window.scrollTo(0, 200); String(window.scrollY)`)
	before := eval(`String(window.scrollY)`)
	eval(`window.dispatchEvent(new Event("wsusfleet:refresh")); ""`)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("[data-live-status]").textContent.indexOf("updated") >= 0`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the refresh did not happen: %v", err)
	}
	if after := eval(`String(window.scrollY)`); after != before {
		t.Errorf("scroll position %s before the refresh, %s after", before, after)
	}
	if n := eval(`String(document.querySelectorAll('[data-testid="server-row"]').length)`); n != fmt.Sprint(len(demofleet.Fleet())+1) { // and the hostile one
		t.Errorf("after the refresh: %s rows", n)
	}

	// Keyboard: the first Tab reaches the skip link, Enter follows it.
	must("tab", chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	if focused := eval(`document.activeElement.className`); focused != "skip" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}
	// The hostile name never ran.
	open("/servers/" + url.PathEscape(hostile))
	if name := eval(`document.querySelector('[data-testid="server-name"]').textContent`); name != hostile {
		t.Errorf("hostile name shown as %q", name)
	}
	clean("end")
	t.Logf("screenshots in %s", shots)
}

// axeSource is the vendored axe-core (testdata/axe, see its README).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("testdata", "axe", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "axe v"+axeVersion) || !strings.Contains(string(readme), "**"+axeVersion+"**") {
		t.Fatalf("testdata/axe holds another axe-core than %s, or its README says another version", axeVersion)
	}
	return string(b)
}

const axeVersion = "4.10.3"

// axeViolation is one rule axe-core finds broken, with where.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// runAxe loads axe-core into the page (through DevTools, so the page's CSP
// does not apply) and returns its serious and critical violations.
func runAxe(t *testing.T, ctx context.Context, source string) []axeViolation {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](source+";\ntrue")); err != nil {
		t.Fatalf("load axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
		return r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical" }).map(function (v) {
			return {id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 4).map(function (n) {
				return n.target.join(" ") + (n.failureSummary ? " [" + n.failureSummary.replace(/\s+/g, " ").slice(0, 160) + "]" : "") })}
		})
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	return out
}
