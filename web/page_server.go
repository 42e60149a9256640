package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/evidence"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// historyHours and historySlots shape the vDir history strip: 48 slots of
// 30 minutes, each the worst verdict seen in it.
const (
	historyHours = 24
	historySlots = 48
	clientPage   = 25 // clients per page on the server page: the CSV has them all
)

// serverPage is GET /servers/{name}: findings first, then the evidence.
func (a *app) serverPage(w http.ResponseWriter, r *http.Request) error {
	st, err := a.serverState(r)
	if err != nil {
		return err
	}
	now := a.now()
	hist, err := a.store.VDirVerdicts(r.Context(), st.Name, now.Add(-historyHours*time.Hour))
	if err != nil {
		return err
	}
	health := healthOf(st.Status, st.ClientSummary.Total, st.Gaps, st.Findings, nil, a.gapShare())
	plan := fixPlan(st.Findings, health.Counts)
	v := ui.ServerView{
		Layout: a.layout(r, st.Name, ui.NavFleet), Name: st.Name, Href: serverHref(st.Name), Status: health.Status,
		URL: st.URL, URLHref: externalHref(st.URL), Registered: st.Registered, LastReport: ui.StampOf(st.LastReportAt, now),
		Facts: serverFacts(st.Server), Findings: findingViews(st.Findings, plan, now), Plan: fixPlanView(st.Name, plan, st.Findings), Reach: reachView(st.VDirChecks, hist, now),
		Auth: authView(st, now), Pool: poolView(st, now), Services: servicesView(st, now), ACL: aclView(st, now),
		Denials: denialsView(st, now), Events: eventsView(st, now), Sync: syncView(st, now),
	}
	v.Reach.Probe = ui.Command{ID: "cmd-probe", Text: probeCommand(st.Name, st.URL, a.origin(r))}
	if err := a.upstreamView(r, st, v.Sync); err != nil {
		return err
	}
	if g, ok := clientsVantage(st.ClientChecks, now); ok {
		v.Reach.Groups = append(v.Reach.Groups, g)
	}
	v.Evidence = a.evidenceForm(r, evidence.SideServer, st.Name)
	v.Layout.Refresh = pageRefreshSeconds
	if v.Clients, err = a.clientsView(r, st, now); err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, ui.ServerPage(v))
}

// upstreamView links the upstream to the fleet server it names (by any of
// its names) and says what is wrong with how it is named.
func (a *app) upstreamView(r *http.Request, st *probes.ServerState, v *ui.SyncView) error {
	if v == nil || st.Sync == nil || st.Sync.Upstream == nil {
		return nil
	}
	up := *st.Sync.Upstream
	m, err := a.store.ResolveServer(r.Context(), up.URL())
	var ve *probes.ValidationError
	switch {
	case errors.As(err, &ve):
		return nil // not a URL we can judge: shown as collected
	case err != nil && !errors.Is(err, probes.ErrNotFound):
		return err
	}
	v.UpstreamHref = ""
	if m.Known() && m.Server != st.Name {
		v.UpstreamHref = serverHref(m.Server)
		v.Problem = probes.URLProblem("The upstream "+up.URL(), probes.WUServerURL{Scheme: up.Scheme(), Host: probes.NormalizeHost(up.Host), Port: up.Port}, m)
	}
	return nil
}

// externalHref links a URL from a report only when it is http(s): report
// values are untrusted, and javascript: or data: must never be clickable.
func externalHref(raw string) templ.SafeURL {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return templ.SafeURL(u.String())
}

// findingViews shows the findings in the order the store gives (root cause
// first), each explained one naming the finding above it that explains it.
func findingViews(fs []probes.Finding, plan []planCause, now time.Time) []ui.FindingView {
	out := make([]ui.FindingView, 0, len(fs))
	inPlan, shown := map[probes.FindingKey]bool{}, map[string]bool{}
	for _, c := range plan {
		inPlan[probes.FindingKey{Rule: c.finding.Rule, Subject: c.finding.Subject}] = true
	}
	for i, f := range fs {
		fv := ui.FindingView{Rule: f.Rule, Severity: f.Severity, Subject: f.Subject, Title: f.Title, Summary: f.Summary,
			FirstSeen: ui.NewStamp(f.FirstSeen, now), LastSeen: ui.NewStamp(f.LastSeen, now), ExplainedBy: causeOf(fs, f.Cause, f.CauseSubject),
			InPlan: inPlan[probes.FindingKey{Rule: f.Rule, Subject: f.Subject}]}
		if f.CauseServer != "" {
			fv.ExplainedBy = nil // its cause is on another server, not above
		}
		for _, e := range f.Evidence {
			fv.Evidence = append(fv.Evidence, ui.EvidenceRow{Fact: e.Fact, Source: e.Source, At: ui.NewStamp(e.At, now)})
		}
		for j, s := range f.Remediation {
			key := s.Text + "\x00" + s.Command
			if shown[key] {
				fv.Repeated++ // a generic step (probe again, scan again) is listed once, where it first applies
				continue
			}
			shown[key] = true
			step := ui.StepRow{Text: s.Text}
			if s.Command != "" {
				step.Command = &ui.Command{ID: fmt.Sprintf("fix-%d-%d", i+1, j+1), Text: s.Command}
			}
			fv.Steps = append(fv.Steps, step)
		}
		out = append(out, fv)
	}
	return out
}

// causeOf names the finding of rule among fs, for "explained by", linked
// when it is there.
func causeOf(fs []probes.Finding, rule, subject string) *ui.Cause {
	if rule == "" {
		return nil
	}
	c := &ui.Cause{Rule: rule}
	for _, f := range fs {
		if f.Rule == rule && (subject == "" || f.Subject == subject) {
			c.Title, c.Severity, c.Href = f.Title, f.Severity, templ.SafeURL("#"+ui.FindingID(f.Rule, f.Subject))
			break
		}
	}
	return c
}

var vantageLabels = map[string]string{
	probes.VantageDashboard: "From the dashboard", probes.VantageServer: "From the server itself",
	probes.VantageRemote: "From a remote agent", probes.VantageClient: "From a client",
}

// reachView groups the latest checks by vantage and origin (the store's
// order) and gives each check its history strip.
func reachView(latest, hist []probes.ObservedCheck, now time.Time) ui.ReachView {
	v := ui.ReachView{Hours: historyHours}
	start := now.Add(-historyHours * time.Hour)
	slot := historyHours * time.Hour / historySlots
	type key struct{ vantage, origin, vdir, url string }
	strips := map[key][]ui.HistCell{}
	for _, c := range hist {
		i := int(c.CheckedAt.Sub(start) / slot)
		if i == historySlots && !c.CheckedAt.After(now) {
			i-- // checked this very instant: the newest slot
		}
		if i < 0 || i >= historySlots {
			continue
		}
		k := key{c.Vantage, c.Origin, c.VDir, c.URL}
		cells := strips[k]
		if cells == nil {
			cells = emptyStrip(start, slot)
			strips[k] = cells
		}
		if rank(c.Verdict) > rank(cells[i].Verdict) {
			cells[i].Verdict = c.Verdict
			cells[i].Title = cells[i].Title[:strings.Index(cells[i].Title, "UTC")+3] + ": " + c.StatusText() + " " + c.Verdict
		}
	}
	for _, c := range latest {
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Vantage != c.Vantage || v.Groups[n-1].Origin != c.Origin {
			label := vantageLabels[c.Vantage]
			if label == "" {
				label = c.Vantage
			}
			v.Groups = append(v.Groups, ui.VantageGroup{Vantage: c.Vantage, Label: label, Origin: c.Origin, CheckedAt: ui.NewStamp(c.CheckedAt, now)})
		}
		g := &v.Groups[len(v.Groups)-1]
		row := ui.CheckRow{VDir: c.VDir, Path: urlPath(c.URL), Status: c.StatusText(), Verdict: c.Verdict, Reason: c.Reason,
			Latency: probes.FormatCount(int64(math.Round(c.LatencyMS))) + " ms", History: strips[key{c.Vantage, c.Origin, c.VDir, c.URL}]}
		if c.Status == 0 {
			row.Latency = "–"
		}
		if row.History == nil {
			row.History = emptyStrip(start, slot)
		}
		g.Rows = append(g.Rows, row)
	}
	return v
}

// clientsVantage is what the server's clients saw checking its URLs
// themselves: a row per vDir URL with how many clients got which answer, the
// worst verdict and one client that saw it.
func clientsVantage(counts []probes.ClientCheckCount, now time.Time) (ui.VantageGroup, bool) {
	if len(counts) == 0 {
		return ui.VantageGroup{}, false
	}
	g := ui.VantageGroup{Vantage: probes.VantageClient, Label: "From the clients"}
	var latest time.Time
	clients := int64(0)
	for i := 0; i < len(counts); {
		j, total, worst := i, int64(0), counts[i]
		var answers []string
		for ; j < len(counts) && counts[j].VDir == counts[i].VDir && counts[j].URL == counts[i].URL; j++ {
			c := counts[j]
			total += c.Clients
			answers = append(answers, fmt.Sprintf("%s ×%d", c.Status, c.Clients))
			if rank(c.Verdict) > rank(worst.Verdict) {
				worst = c
			}
			if c.LastAt.After(latest) {
				latest = c.LastAt
			}
		}
		clients = max(clients, total)
		reason := fmt.Sprintf("all %d clients got an answer that is fine", total)
		if worst.Verdict != probes.VerdictOK {
			bad := int64(0)
			for _, c := range counts[i:j] {
				if c.Verdict != probes.VerdictOK {
					bad += c.Clients
				}
			}
			reason = fmt.Sprintf("%d of %d clients: %s %s, e.g. %s", bad, total, worst.Status, worst.Verdict, worst.Example)
		}
		g.Rows = append(g.Rows, ui.CheckRow{VDir: worst.VDir, Path: urlPath(worst.URL), Status: strings.Join(answers, " · "),
			Verdict: worst.Verdict, Reason: reason, Latency: "–"})
		i = j
	}
	g.Origin = fmt.Sprintf("%d clients' own checks", clients)
	g.CheckedAt = ui.NewStamp(latest, now)
	return g, true
}

func emptyStrip(start time.Time, slot time.Duration) []ui.HistCell {
	cells := make([]ui.HistCell, historySlots)
	for i := range cells {
		cells[i] = ui.HistCell{X: i * 4, Title: start.Add(time.Duration(i) * slot).Format("15:04 UTC")}
	}
	return cells
}

func rank(verdict string) int {
	switch verdict {
	case probes.VerdictFault:
		return 3
	case probes.VerdictWarning:
		return 2
	case probes.VerdictOK:
		return 1
	}
	return 0
}

func urlPath(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Path != "" {
		return u.Path
	}
	return raw
}

// gapClass is how a DESIGN §6 category is coloured in the client table.
func gapClass(category string) string {
	switch category {
	case "":
		return ""
	case probes.GapRemoved:
		return "unknown"
	case probes.GapNeverReported, probes.GapBadURL, probes.GapPolicyOff, probes.GapWrongServer:
		return "critical"
	}
	return "warning"
}

// clientsView reads one page of the client table per the query string.
func (a *app) clientsView(r *http.Request, st *probes.ServerState, now time.Time) (ui.ClientsView, error) {
	vals := r.URL.Query()
	c, staleAfter := st.ClientSummary, a.store.StaleAfter()
	v := ui.ClientsView{Total: c.Total, Stale: c.Stale, Never: c.Never, Removed: c.Removed, Histogram: ageBars(c.Ages, staleAfter),
		StaleAfter: daysText(staleAfter), Gap: vals.Get("category"), Query: strings.TrimSpace(vals.Get("q")), Sort: vals.Get("sort")}
	if st.GapCause != "" {
		v.Cause = &ui.Cause{Title: st.GapCauseTitle, Rule: st.GapCause}
	}
	base := "/servers/" + url.PathEscape(st.Name)
	v.Action = templ.SafeURL(base + "#clients")
	href := func(category, q, sort, cursor string) templ.SafeURL {
		p := url.Values{}
		for k, val := range map[string]string{"category": category, "q": q, "sort": sort, "cursor": cursor} {
			if val != "" {
				p.Set(k, val)
			}
		}
		if len(p) == 0 {
			return templ.SafeURL(base + "#clients")
		}
		return templ.SafeURL(base + "?" + p.Encode() + "#clients")
	}
	if _, ok := gapInfo[v.Gap]; v.Gap != "" && !ok {
		v.Error = "Unknown gap category; showing all clients."
		v.Gap = ""
	}
	v.Categories = append(v.Categories, ui.Chip{Key: "", Label: "All clients", Count: ui.Count(c.Total + c.Removed), Href: href("", v.Query, v.Sort, ""), Current: v.Gap == ""})
	for _, cat := range probes.GapCategories() {
		v.Categories = append(v.Categories, ui.Chip{Key: cat, Label: gapInfo[cat].label, Count: ui.Count(st.Gaps[cat]),
			Href: href(cat, v.Query, v.Sort, ""), Current: cat == v.Gap})
	}
	sortKey := strings.TrimPrefix(v.Sort, "-")
	for _, col := range []struct{ key, label string }{{"name", "Client"}, {"", "Gap"}, {"last_report", "Last report"}, {"", "Last sync"}, {"", "IP"}, {"", "OS"}, {"", "Groups"}} {
		h := ui.Column{Label: col.label}
		if col.key != "" {
			next := col.key
			if sortKey == col.key || (sortKey == "" && col.key == "name") {
				h.Sort = "ascending"
				if strings.HasPrefix(v.Sort, "-") {
					h.Sort = "descending"
				} else {
					next = "-" + col.key
				}
			}
			h.Href = href(v.Gap, v.Query, next, "")
		}
		v.Columns = append(v.Columns, h)
	}
	csv := url.Values{}
	for k, val := range map[string]string{"category": v.Gap, "q": v.Query, "sort": v.Sort} {
		if val != "" {
			csv.Set(k, val)
		}
	}
	v.CSV = templ.SafeURL(base + "/clients.csv")
	if len(csv) > 0 {
		v.CSV += templ.SafeURL("?" + csv.Encode())
	}
	cursor := vals.Get("cursor")
	q := probes.ClientQuery{Server: st.Name, Category: v.Gap, Search: v.Query, Sort: v.Sort, Cursor: cursor, Limit: clientPage}
	page, err := a.store.Clients(r.Context(), q)
	var ve *probes.ValidationError
	if errors.As(err, &ve) {
		// A bad sort or a stale cursor from an old link: show the first page.
		v.Error = "That page link is no longer valid (" + ve.Error() + "); showing the first page."
		q.Sort, q.Cursor, v.Sort, cursor = "", "", "", ""
		page, err = a.store.Clients(r.Context(), q)
	}
	if err != nil {
		return v, err
	}
	v.Matching = page.Total
	if v.Gap != "" && v.Query == "" && st.Gaps[v.Gap] > page.Total {
		// The category counts computers this server should list but does not.
		v.Unlisted, v.UnlistedHref = st.Gaps[v.Gap]-page.Total, gapHref(v.Gap, st.Name)
	}
	if page.NextCursor != "" {
		v.Next = href(v.Gap, v.Query, v.Sort, page.NextCursor)
	}
	if cursor != "" {
		v.First = href(v.Gap, v.Query, v.Sort, "")
	}
	for _, cl := range page.Clients {
		row := ui.ClientRow{Name: cl.Name, IP: cl.IP, OS: cl.OS, Groups: strings.Join(cl.Groups, ", "), SyncResult: cl.LastSyncResult,
			LastReport: ui.NewStamp(cl.LastReport.Time, now), LastSync: ui.NewStamp(cl.LastSync.Time, now), Removed: ui.StampOf(cl.RemovedAt, now),
			GapClass: gapClass(cl.Gap), GapDetail: cl.GapDetail}
		if cl.Gap != "" {
			row.Gap = gapInfo[cl.Gap].label
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// ageBars draws the last-report age histogram (0–1 d, 1 d to the stale
// threshold, the stale ones by age, never, and those a more specific gap
// explains): its stale bars add up to the stale count, its never bar is the
// never count.
func ageBars(ages probes.ReportAges, staleAfter time.Duration) []ui.Bar {
	edges := probes.AgeEdges(staleAfter)
	short := func(t time.Duration) string {
		return strings.NewReplacer(" days", " d", " day", " d").Replace(daysText(t))
	}
	bars := []struct {
		label, class string
		n            int64
	}{{"0–1 d", "", ages.Day}, {"1 d–" + short(edges[1]), "", ages.Week}, {short(edges[1]) + "–" + short(edges[2]), "warn", ages.Month},
		{short(edges[2]) + "–" + short(edges[3]), "crit", ages.Quarter}, {"> " + short(edges[3]), "crit", ages.Older}, {"never", "never", ages.Never},
		{"other gap", "", ages.Explained}}
	var top int64
	for _, b := range bars {
		top = max(top, b.n)
	}
	out := make([]ui.Bar, len(bars))
	for i, b := range bars {
		w := 0
		if top > 0 && b.n > 0 {
			w = int(max(2, b.n*240/top))
		}
		out[i] = ui.Bar{Label: b.label, Count: ui.Count(b.n), Class: b.class, Y: i * 24, Width: w}
	}
	return out
}

// serverClientsCSV exports the filtered client list as CSV for the page's
// session (the API's CSV needs a bearer token a browser does not have).
func (a *app) serverClientsCSV(w http.ResponseWriter, r *http.Request) error {
	name, err := serverName(r)
	if err != nil {
		return err
	}
	q, err := clientQuery(r, name)
	if err != nil {
		return err
	}
	q.Cursor = ""
	return a.clientsCSV(w, r, q)
}

// probeCommand checks this server from where it runs and posts the checks
// here: the server's own URL (its name on the WSUS port when none is known)
// and its name, which probe needs for a URL the dashboard does not know.
func probeCommand(name, url, dashboard string) string {
	if url == "" {
		url = "http://" + name + ":8530"
	}
	return fmt.Sprintf(`wsusfleet probe --server %s --name %s --post %s --token "$WSUSFLEET_TOKEN"`, url, name, dashboard)
}
