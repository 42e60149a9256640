package web_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/web"
)

// The stale, never-reported and expected-missing counts are one number on
// the fleet page, the server page (header, chips, histogram), the gaps page,
// the API and in the findings' sentences — with the real rules, over a
// server big enough to need thousands separators, where some stale clients
// have a more specific explanation (a GPO without the port).
func TestCountsAgreeEverywhere(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	const server = "wsus-east.corp.example"
	var clients []probes.Client
	for i := range 3400 {
		age := time.Duration(i%50) * time.Hour // reporting
		switch {
		case i < 1300:
			age = 10 * 24 * time.Hour // stale since a fault 10 days ago
		case i < 1340:
			age = -1 // never reported
		}
		clients = append(clients, listed(fmt.Sprintf("east-pc%04d.corp.example", i), age, age))
	}
	r := &probes.Report{Schema: probes.SchemaReport, ID: "east", CollectedAt: ago(time.Minute),
		Collector: probes.Collector{Name: "Send-WsusFleetReport.ps1", Host: "WSUS-EAST", Vantage: probes.VantageServer},
		Server:    probes.ServerInfo{Name: server, URL: "http://wsus-east.corp.example:8530", HTTPPort: 8530, HTTPSPort: 8531},
		Clients:   &probes.ClientList{Complete: true, Items: clients}}
	e.mustPost("/api/v1/reports", r)
	// 60 of the stale ones have a GPO without the port: bad_url, not stale.
	for i := range 60 {
		e.mustPost("/api/v1/client-reports", clientReport(fmt.Sprintf("east-pc%04d.corp.example", i), "http://wsus-east.corp.example", "http://wsus-east.corp.example", "", nil))
	}
	// 7 computers point here and are on no list: expected missing here.
	for i := range 7 {
		e.mustPost("/api/v1/client-reports", clientReport(fmt.Sprintf("new-pc%02d.corp.example", i), "http://wsus-east.corp.example:8530", "http://wsus-east.corp.example:8530", "", nil))
	}
	e.settle()
	const stale, never, missing = 1240, 40, 7
	want := map[string]string{"stale": probes.FormatCount(stale), "never": probes.FormatCount(never), "missing": probes.FormatCount(missing)}
	if want["stale"] != "1,240" {
		t.Fatalf("FormatCount: %s", want["stale"])
	}

	// The API.
	var list web.ServerList
	e.do("GET", "/api/v1/servers", "", nil).json(t, &list)
	var st probes.ServerState
	e.do("GET", "/api/v1/servers/"+server, "", nil).json(t, &st)
	var gaps probes.FleetGaps
	e.do("GET", "/api/v1/gaps", "", nil).json(t, &gaps)
	var stalePage, neverPage probes.ClientPage
	e.do("GET", "/api/v1/servers/"+server+"/clients?gap=stale_report&limit=1", "", nil).json(t, &stalePage)
	e.do("GET", "/api/v1/servers/"+server+"/clients?gap=never_reported&limit=1", "", nil).json(t, &neverPage)
	c := list.Servers[0].Clients
	a := st.ClientSummary.Ages
	for what, got := range map[string][]int64{
		"stale":            {c.Stale, st.ClientSummary.Stale, st.Gaps[probes.GapStaleReport], gaps.Categories[probes.GapStaleReport], stalePage.Total, a.Month + a.Quarter + a.Older},
		"never":            {c.Never, st.ClientSummary.Never, st.Gaps[probes.GapNeverReported], gaps.Categories[probes.GapNeverReported], neverPage.Total, a.Never},
		"expected missing": {st.Gaps[probes.GapExpectedMissing], gaps.Categories[probes.GapExpectedMissing]},
	} {
		n := map[string]int64{"stale": stale, "never": never, "expected missing": missing}[what]
		for i, g := range got {
			if g != n {
				t.Errorf("API %s #%d = %d, want %d (all: %v)", what, i, g, n, got)
			}
		}
	}
	if total := a.Day + a.Week + a.Month + a.Quarter + a.Older + a.Never + a.Explained; total != c.Total {
		t.Errorf("the histogram holds %d clients, the list %d", total, c.Total)
	}

	// The findings' sentences (the rules' text): the same numbers.
	sentence := map[string]*regexp.Regexp{
		probes.GapStaleReport:     regexp.MustCompile(`^([\d,]+) clients have not sent a status report`),
		probes.GapNeverReported:   regexp.MustCompile(`^([\d,]+) clients are listed but never sent`),
		probes.GapExpectedMissing: regexp.MustCompile(`^([\d,]+) computers should use this server`),
	}
	for _, f := range st.Findings {
		re, ok := sentence[f.Rule]
		if !ok {
			continue
		}
		m := re.FindStringSubmatch(f.Title)
		if m == nil {
			t.Errorf("%s finding title %q", f.Rule, f.Title)
			continue
		}
		n, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
		if n != st.Gaps[f.Rule] {
			t.Errorf("%s finding says %s, the counts %d", f.Rule, m[1], st.Gaps[f.Rule])
		}
		delete(sentence, f.Rule)
	}
	if len(sentence) != 0 {
		t.Errorf("no finding for %v", sentence)
	}

	// The pages, formatted alike.
	fleet := e.page("GET", "/", nil)
	row := fleet.find(t, `[data-server="`+server+`"]`)
	if s, n := row.Find(".stale").Text(), row.Find(".never").Text(); s != want["stale"] || n != want["never"] {
		t.Errorf("fleet row: stale %q never %q", s, n)
	}
	if got := strings.Join(strings.Fields(fleet.find(t, testid("count-gaps")).Text()), " "); !strings.Contains(got, "stale "+want["stale"]+" · never "+want["never"]+" · expected missing "+want["missing"]) {
		t.Errorf("fleet totals %q", got)
	}
	sp := e.page("GET", "/servers/"+server, nil)
	if got := sp.find(t, testid("clients-meta")).Text(); !strings.Contains(got, want["stale"]+" stale · "+want["never"]+" never reported") {
		t.Errorf("server header %q", got)
	}
	for cat, w := range map[string]string{probes.GapStaleReport: want["stale"], probes.GapNeverReported: want["never"], probes.GapExpectedMissing: want["missing"]} {
		if got := sp.find(t, testid("gap-"+cat)+" .n").Text(); got != w {
			t.Errorf("server chip %s %q, want %q", cat, got, w)
		}
	}
	bars := map[string]string{}
	sp.find(t, testid("age-bar")).Each(func(_ int, s *goquery.Selection) {
		bars[s.Find("text").First().Text()] = s.Find("text").Last().Text()
	})
	if bars["7 d–30 d"] != want["stale"] || bars["never"] != want["never"] || bars["other gap"] != "60" {
		t.Errorf("histogram %v: its stale bars hold the stale count, its never bar the never count", bars)
	}
	gp := e.page("GET", "/gaps", nil)
	for cat, w := range map[string]string{probes.GapStaleReport: want["stale"], probes.GapNeverReported: want["never"], probes.GapExpectedMissing: want["missing"]} {
		if got := gp.find(t, testid("gap-total-"+cat)+" .value").Text(); got != w {
			t.Errorf("gaps page %s %q, want %q", cat, got, w)
		}
	}
	if got := gp.find(t, `[data-testid="gap-row"][data-server="`+server+`"] a[href*="/gaps/stale_report"]`).Text(); got != want["stale"] {
		t.Errorf("gaps page row %q", got)
	}
	if got := e.page("GET", "/gaps/stale_report?server="+server, nil).find(t, "#gap-clients h2").Text(); !strings.Contains(got, want["stale"]+" clients") {
		t.Errorf("drill-down heading %q", got)
	}
}
