package web_test

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// causalFindings is scenarioFindings plus, on the server whose pool is
// stopped, its stale clients explained by the pool (listed first here, so
// the order on the page is the store's doing).
func causalFindings(f probes.Facts) []probes.Finding {
	out := scenarioFindings(f)
	if f.State.Name == "wsus-west.corp.example" {
		out = append([]probes.Finding{{Rule: probes.GapStaleReport, Severity: probes.SeverityInfo, Cause: "pool_stopped",
			Title: "75 clients have not sent a status report for more than 7 days", Evidence: []probes.Evidence{}}}, out...)
	}
	return out
}

// templateCall is templ source that reached the page as text.
var templateCall = regexp.MustCompile(`@[A-Z][A-Za-z]*\(`)

// TestPagesShowNoSourceOrInternalText crawls every page a signed-in admin
// can reach from the fleet page, with every evidence panel filled, and
// fails on template source (a literal @AgoTime(...)), on a reference to an
// internal document, and on a rule id shown other than as a small tag
// beside a human title.
func TestPagesShowNoSourceOrInternalText(t *testing.T) {
	clock := storetest.NewClock(storetest.T0)
	st := storetest.OpenSQLite(t, store.Options{Now: clock.Now, Diagnose: causalFindings})
	e := &env{t: t, st: st, h: web.New(st, web.Config{Now: clock.Now}), clock: clock}
	e.ingest, e.read, e.admin = e.token(probes.ScopeIngest), e.token(probes.ScopeRead), e.token(probes.ScopeAdmin)
	seedScenario(t, e)
	// The evidence panels: a ProcMon capture and an IIS log, where the
	// capture and log times belong.
	for kind, body := range map[string][]byte{"procmon": sample(t, "procmon/testdata/denied-capture.csv"), "iislog": []byte(wsusLog)} {
		if res := e.do("POST", "/api/v1/servers/wsus-west.corp.example/evidence/"+kind, e.ingest, bytes.NewReader(body)); res.status != 201 {
			t.Fatalf("%s: %d %s", kind, res.status, res.body)
		}
	}
	e.settle()
	session, _ := e.signIn(t, e.admin, "/")
	if session == nil {
		t.Fatal("no session")
	}

	seen := map[string]bool{}
	queue := []string{"/", "/signin", "/settings/tokens", "/servers/no-such-server"}
	for len(queue) > 0 && len(seen) < 400 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		p := e.page("GET", path, nil, session)
		if p.doc == nil {
			t.Errorf("%s: %d, not HTML", path, p.status)
			continue
		}
		if m := templateCall.Find(p.body); m != nil {
			t.Errorf("%s: template source on the page: %q", path, m)
		}
		for _, bad := range []string{"DESIGN §", "§6", "§7"} {
			if i := bytes.Index(p.body, []byte(bad)); i >= 0 {
				t.Errorf("%s: names an internal document: %q in %q", path, bad, p.body[max(0, i-120):min(len(p.body), i+40)])
			}
		}
		// A rule id is a small tag beside a title, never the text itself.
		p.doc.Find(`[data-testid="rule-tag"]`).Each(func(_ int, s *goquery.Selection) {
			if !s.HasClass("rule-tag") || strings.TrimSpace(strings.Replace(s.Parent().Text(), s.Text(), "", 1)) == "" {
				t.Errorf("%s: the rule tag %q stands without a title", path, s.Text())
			}
		})
		text := p.doc.Clone()
		text.Find(`.rule-tag, code, pre, script`).Remove()
		for _, id := range []string{"pool_stopped", "pool_settings"} {
			if strings.Contains(text.Text(), id) {
				t.Errorf("%s: the rule id %s is shown as text", path, id)
			}
		}
		p.doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
			href := s.AttrOr("href", "")
			// Every page once; sorting and paging render the same templates.
			if strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "/static/") && !strings.HasPrefix(href, "/api/") && !strings.Contains(href, ".csv") && !strings.HasSuffix(href, ".ps1") &&
				!strings.Contains(href, "cursor=") && !strings.Contains(href, "sort=") {
				href, _, _ = strings.Cut(href, "#")
				if !seen[href] {
					queue = append(queue, href)
				}
			}
		})
	}
	for _, must := range []string{"/servers/wsus-west.corp.example", "/gaps", "/gaps/stale_report?server=wsus-west.corp.example", "/hierarchy", "/settings/tokens"} {
		if !seen[must] {
			t.Errorf("the crawl never reached %s (%d pages)", must, len(seen))
		}
	}

	// The server page: the capture and log times are times, the root cause
	// leads, and what it explains says so by the cause's title.
	p := e.page("GET", "/servers/wsus-west.corp.example", nil)
	if p.find(t, testid("procmon-meta")+" time").Length() != 1 || p.find(t, testid("iislog-meta")+" time").Length() != 2 {
		t.Errorf("capture and log times: %q / %q", p.find(t, testid("procmon-meta")).Text(), p.find(t, testid("iislog-meta")).Text())
	}
	var rules []string
	p.find(t, testid("finding")).Each(func(_ int, s *goquery.Selection) { rules = append(rules, s.AttrOr("data-rule", "")) })
	if !slices.Equal(rules, []string{"pool_stopped", "pool_settings", probes.GapStaleReport}) {
		t.Errorf("findings %v: the pool that is stopped first, what it explains after it", rules)
	}
	if got := p.find(t, `[data-rule="stale_report"] `+testid("explained-by")+" "+testid("cause-title")).Text(); got != "WsusPool is stopped: every vDir answers 503" {
		t.Errorf("explained by %q", got)
	}
	// ... on one line linking its cause, without evidence or steps of its own.
	explained := p.find(t, `[data-rule="stale_report"]`)
	if explained.Find(testid("evidence")+", "+testid("remediation")).Length() != 0 || !strings.HasPrefix(explained.Find(testid("explained-by")+" a").AttrOr("href", ""), "#f-pool_stopped") {
		t.Errorf("an explained finding should be one line linking its cause: %q", strings.Join(strings.Fields(explained.Text()), " "))
	}
	if got := p.find(t, testid("gap-cause")+" "+testid("cause-title")).Text(); got != "WsusPool is stopped: every vDir answers 503" {
		t.Errorf("the stale clients' cause by title: %q", got)
	}
	// The fleet row names the root cause first.
	f := e.page("GET", "/", nil)
	if got := f.find(t, `[data-server="wsus-west.corp.example"] `+testid("root-cause")+" "+testid("cause-title")).Text(); got != "WsusPool is stopped: every vDir answers 503" {
		t.Errorf("fleet row root cause %q", got)
	}
	if got := f.find(t, `[data-server="wsus-hq.corp.example"] `+testid("root-cause")).Text(); strings.TrimSpace(got) != "" {
		t.Errorf("a server without findings shows no root cause: %q", got)
	}
	g := e.page("GET", "/gaps", nil)
	if got := g.find(t, testid("gap-cause")+" "+testid("cause-title")).Text(); got != "WsusPool is stopped: every vDir answers 503" {
		t.Errorf("gaps page cause %q", got)
	}
	// The API lists the same order, root cause first.
	var list web.FindingList
	e.do("GET", "/api/v1/findings?server=wsus-west.corp.example", "", nil).json(t, &list)
	if len(list.Findings) != 3 || list.Findings[0].Rule != "pool_stopped" || list.Findings[2].Rule != probes.GapStaleReport {
		t.Errorf("API order: %+v", list.Findings)
	}
	var servers web.ServerList
	e.do("GET", "/api/v1/servers", "", nil).json(t, &servers)
	for _, s := range servers.Servers {
		if s.Name == "wsus-west.corp.example" && (s.RootCause == nil || s.RootCause.Rule != "pool_stopped") {
			t.Errorf("API root cause: %+v", s.RootCause)
		}
	}
}
