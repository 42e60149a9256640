package web_test

import (
	"bufio"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/wsusfleet/wsusfleet/web"
)

// TestFixPlan: the server page leads with its root cause and first step,
// lists every root cause in order with its steps once, and offers the plan
// as a PowerShell script that says why each step is there.
func TestFixPlan(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	seedScenario(t, e.env)
	p := e.page("GET", "/servers/wsus-west.corp.example", nil)
	first := p.find(t, testid("fix-first"))
	if !strings.Contains(first.Text(), "Fix first:") || !strings.Contains(first.Text(), "WsusPool is stopped") ||
		!strings.Contains(first.Find(testid("command")).Text(), "appcmd start apppool") {
		t.Errorf("above the fold: %q", strings.Join(strings.Fields(first.Text()), " "))
	}
	var rules []string
	p.find(t, testid("plan-cause")).Each(func(_ int, s *goquery.Selection) { rules = append(rules, s.AttrOr("data-rule", "")) })
	if strings.Join(rules, ",") != "pool_stopped,pool_settings" {
		t.Errorf("plan causes %v: the stopped pool first, then what it does not explain", rules)
	}
	if href := p.find(t, testid("fix-plan-script")).AttrOr("href", ""); href != "/servers/wsus-west.corp.example/fix-plan.ps1" {
		t.Errorf("script link %q", href)
	}
	res := e.do("GET", "/servers/wsus-west.corp.example/fix-plan.ps1", "", nil)
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") ||
		res.header.Get("Content-Disposition") != `attachment; filename="fix-plan-wsus-west.corp.example.ps1"` {
		t.Fatalf("script: %d %q %q", res.status, res.header.Get("Content-Type"), res.header.Get("Content-Disposition"))
	}
	script := string(res.body)
	if !strings.HasPrefix(script, "#Requires -RunAsAdministrator\n") {
		t.Errorf("the script must ask for elevation first:\n%s", script)
	}
	start := strings.Index(script, `appcmd start apppool`)
	memory := strings.Index(script, `privateMemory:0`)
	queue := strings.Index(script, `/queueLength:2000`)
	if start < 0 || memory < start || queue < memory {
		t.Errorf("commands out of order (start %d, memory %d, queue %d):\n%s", start, memory, queue, script)
	}
	for _, want := range []string{"# 1. WsusPool is stopped: every vDir answers 503", "# Step 1.1: Start the pool.", "#    Why: ", "# 2. WsusPool is not tuned"} {
		if !strings.Contains(script, want) {
			t.Errorf("the script lacks %q:\n%s", want, script)
		}
	}
	checkPowerShell(t, map[string]string{"west.ps1": script})

	// Hostile text from a report stays in comments.
	hostilePlan := e.do("GET", "/servers/"+url.PathEscape(hostile)+"/fix-plan.ps1", "", nil)
	for _, l := range strings.Split(string(hostilePlan.body), "\n") {
		if strings.Contains(l, "<b>title</b>") && !strings.HasPrefix(l, "#") {
			t.Errorf("report text outside a comment: %q", l)
		}
	}
	if res := e.do("GET", "/servers/no-such.corp.example/fix-plan.ps1", "", nil); res.status != 404 {
		t.Errorf("unknown server: %d", res.status)
	}
}

// checkPowerShell runs the grammar check CI runs on the collectors
// (.ci/pwsh-syntax) over scripts (file name → text). Outside CI it skips
// when node or the grammar is missing; in CI that is a failure.
func checkPowerShell(t *testing.T, scripts map[string]string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".ci", "pwsh-syntax"))
	if err != nil {
		t.Fatal(err)
	}
	node, nodeErr := exec.LookPath("node")
	_, gramErr := os.Stat(filepath.Join(root, "node_modules", "tree-sitter-powershell"))
	if nodeErr != nil || gramErr != nil {
		msg := "the PowerShell grammar is not installed: run .ci/pwsh-syntax/run once to install it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	for name, text := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(node, filepath.Join(root, "check.js"), dir).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("the grammar check did not run: %v\n%s", err, out)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if file, rest, ok := strings.Cut(sc.Text(), ":"); ok && strings.HasSuffix(file, ".ps1") {
			t.Errorf("PowerShell does not parse %s: %s\n%s", filepath.Base(file), rest, scripts[filepath.Base(file)])
		}
	}
	if !strings.Contains(string(out), "scripts parse cleanly") {
		t.Errorf("the grammar check's summary is missing:\n%s", out)
	}
}

// TestFleetPlanAndGapDrillDown: /gaps groups every server's root causes by
// cause; a category's page has a breadcrumb, the why-and-fix box, a server
// filter, CSV and a link to each client.
func TestFleetPlanAndGapDrillDown(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	seedScenario(t, e.env)
	g := e.page("GET", "/gaps", nil)
	causes := g.find(t, testid("fleet-cause"))
	if causes.Length() == 0 {
		t.Fatal("no fleet fix plan on /gaps")
	}
	pool := g.find(t, testid("fleet-cause")+`[data-rule="pool_stopped"]`)
	if got := strings.Join(strings.Fields(pool.Find("h3").Text()), " "); !strings.Contains(got, "1 server: Start the pool") {
		t.Errorf("the pool's group says %q", got)
	}
	if href := pool.Find(".server-list a").AttrOr("href", ""); href != "/servers/wsus-west.corp.example#plan" {
		t.Errorf("the group should link each server's plan: %q", href)
	}

	p := e.page("GET", "/gaps/stale_report?server=wsus-west.corp.example", nil)
	if crumbs := strings.Join(strings.Fields(p.find(t, testid("breadcrumb")).Text()), " "); crumbs != "Fleet / Gaps / Stale report / wsus-west.corp.example" {
		t.Errorf("breadcrumb %q", crumbs)
	}
	if why := p.find(t, testid("gap-why")).Text(); !strings.Contains(why, "Why this happens:") || !strings.Contains(why, "How to fix it:") {
		t.Errorf("why-and-fix box: %q", why)
	}
	if sel := p.find(t, testid("gap-server")+" option[selected]").AttrOr("value", ""); sel != "wsus-west.corp.example" {
		t.Errorf("the server filter should show the server: %q", sel)
	}
	if n := p.find(t, testid("gap-server")+" option").Length(); n < 5 {
		t.Errorf("the server filter offers %d choices", n)
	}
	if csv := p.find(t, testid("gap-csv")).AttrOr("href", ""); csv != "/gaps/stale_report.csv?server=wsus-west.corp.example" {
		t.Errorf("CSV link %q", csv)
	}
	link := p.find(t, testid("gap-client-link")).First()
	if !strings.HasPrefix(link.AttrOr("href", ""), "/clients/") {
		t.Fatalf("client link %q", link.AttrOr("href", ""))
	}
	if c := e.page("GET", link.AttrOr("href", ""), nil); c.status != 200 {
		t.Errorf("the client's page %s: %d", link.AttrOr("href", ""), c.status)
	}
}
