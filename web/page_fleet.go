package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// fleetPage is GET /: every server, worst first, filterable and sortable
// with plain links and a GET form.
func (a *app) fleetPage(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	v, err := a.fleetView(r.Context(), q.Get("status"), strings.TrimSpace(q.Get("q")), q.Get("sort"))
	if err != nil {
		return err
	}
	v.Layout = a.layout(r, "Fleet", ui.NavFleet)
	v.Layout.Refresh = pageRefreshSeconds
	if v.Total == 0 {
		o := a.onboarding(r)
		v.Empty = &o
	}
	return a.render(w, r, http.StatusOK, ui.FleetPage(v))
}

// fleetView is the fleet page's view model without the frame (layout,
// onboarding): what a cache of the page would keep.
func (a *app) fleetView(ctx context.Context, status, text, sortKey string) (ui.FleetView, error) {
	jf, err := cachedValue(a, ctx, "fleet-judged", a.judgedFleet) // shared: read, never modified
	if err != nil {
		return ui.FleetView{}, err
	}
	v := buildFleetView(jf.rows, jf.health, status, text, sortKey, a.store.StaleAfter(), a.now())
	v.GapShare = a.gapShare()
	gaps, err := cachedValue(a, ctx, "gaps", a.store.Gaps)
	if err != nil {
		return ui.FleetView{}, err
	}
	for _, n := range gaps.Unassigned { // computers whose policy names no fleet server
		v.Counts.WithGaps += n
	}
	v.Counts.Expected = gaps.Categories[probes.GapExpectedMissing] // the gaps page's total: those listed nowhere too
	if gaps.Categories[probes.GapExpectedMissing] > 0 {            // an inventory exists: 0 is a fact, not "not collected"
		for i := range v.Rows {
			if v.Rows[i].Expected == nil {
				v.Rows[i].Expected = new(int64)
			}
		}
	}
	return v, nil
}

// judgedFleet is the fleet with each server judged as the pages show it.
type judgedFleet struct {
	rows   []probes.FleetRow
	health map[string]serverHealth
}

func (a *app) judgedFleet(ctx context.Context) (judgedFleet, error) {
	fleet, err := cachedValue(a, ctx, "fleet", a.store.Fleet) // shared with the API: copied before judging
	if err != nil {
		return judgedFleet{}, err
	}
	open, err := a.store.Findings(ctx, probes.FindingQuery{})
	if err != nil {
		return judgedFleet{}, err
	}
	rows := slices.Clone(fleet)
	return judgedFleet{rows: rows, health: a.judge(rows, open)}, nil
}

var fleetStatuses = []struct{ key, label string }{
	{"all", "All servers"}, {probes.StatusCritical, "Critical"}, {probes.StatusWarning, "Warning"},
	{probes.StatusUnknown, "Unknown"}, {probes.StatusOK, "OK"},
}

// fleetColumn is a column of the fleet table; key "" does not sort.
type fleetColumn struct {
	key, label, title string
	num               bool
}

var fleetColumns = []fleetColumn{
	{"name", "Server", "", false}, {"status", "Status", "the worst open finding on the server itself; client gaps count beyond the gap share", false},
	{"", "Fix first", "the root cause: the first open finding, a cause before what it explains", false},
	{"", "vDirs", "latest verdict of each of the 9 vDirs", false},
	{"clients", "Clients", "computer targets on the server's list", true},
	{"gaps", "Gaps", "clients on its list in a reporting-gap category, and their share: beyond the gap share they raise the status", true},
	{"stale", "Stale", "last status report older than the stale threshold, nothing more specific explaining it", true},
	{"never", "Never", "never sent a status report, nothing more specific explaining it", true},
	{"", "Missing", "expected but missing: in the directory inventory (or pointing here), enabled, in use, but not on this server's list", true},
	{"sync", "Last sync", "result and age of the last synchronisation", false}, {"report", "Last report", "newest report from any vantage", false},
}

func buildFleetView(fleet []probes.FleetRow, health map[string]serverHealth, status, text, sortKey string, staleAfter time.Duration, now time.Time) ui.FleetView {
	v := ui.FleetView{Query: text, Sort: sortKey, VDirs: probes.VDirNames(), Total: len(fleet)}
	if status == "all" {
		status = ""
	}
	v.Status = status
	counts := map[string]int{"all": len(fleet)}
	for _, f := range fleet {
		counts[f.Status]++
		c := f.Clients
		v.Counts.Clients += c.Total
		v.Counts.Stale += c.Stale
		v.Counts.Never += c.Never
		v.Counts.Removed += c.Removed
		for _, n := range f.Gaps {
			v.Counts.WithGaps += n
		}
	}
	v.Counts.Servers, v.Counts.OK, v.Counts.Warning = len(fleet), counts[probes.StatusOK], counts[probes.StatusWarning]
	v.Counts.Critical, v.Counts.Unknown = counts[probes.StatusCritical], counts[probes.StatusUnknown]
	for _, s := range fleetStatuses {
		key := s.key
		if key == "all" {
			key = ""
		}
		v.Statuses = append(v.Statuses, ui.Chip{Key: s.key, Label: s.label, Count: ui.Count(int64(counts[s.key])),
			Href: fleetHref(key, text, sortKey), Current: key == status})
	}

	rows := make([]probes.FleetRow, 0, len(fleet))
	needle := strings.ToLower(text)
	for _, f := range fleet {
		if status != "" && f.Status != status {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(f.Name), needle) && !strings.Contains(strings.ToLower(f.URL), needle) {
			continue
		}
		rows = append(rows, f)
	}
	key, desc := strings.TrimPrefix(sortKey, "-"), strings.HasPrefix(sortKey, "-")
	if key == "" || !slices.ContainsFunc(fleetColumns, func(c fleetColumn) bool { return c.key == key }) {
		key, desc = "status", false
	}
	slices.SortStableFunc(rows, func(x, y probes.FleetRow) int {
		c := compareFleet(key, x, y, now)
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(x.Name, y.Name))
	})
	for _, c := range fleetColumns {
		title := strings.ReplaceAll(c.title, "the stale threshold", daysText(staleAfter))
		col := ui.Column{Label: c.label, Title: strings.ReplaceAll(title, "the gap share", "the gap share ("+v.GapShareText()+")"), Num: c.num}
		if c.key != "" {
			next := c.key
			if c.key == key {
				col.Sort = "ascending"
				if desc {
					col.Sort = "descending"
				} else {
					next = "-" + c.key
				}
			}
			col.Href = fleetHref(status, text, next)
		}
		v.Columns = append(v.Columns, col)
	}
	v.Rows = make([]ui.FleetRow, len(rows))
	for i, f := range rows {
		v.Rows[i] = ui.FleetRow{
			Name: f.Name, Href: serverHref(f.Name), Status: f.Status, Strip: stripCells(f.VDirs),
			Clients: f.Clients.Total, Stale: f.Clients.Stale, Never: f.Clients.Never,
			Sync: syncCell(f.Sync, now), LastReport: ui.StampOf(f.LastReportAt, now),
		}
		if n, ok := f.Gaps[probes.GapExpectedMissing]; ok {
			v.Rows[i].Expected = &n
		}
		h := health[f.Name]
		v.Rows[i].Gapped, v.Rows[i].GapShare = h.Gapped, ui.Percent(h.GapShare)
		v.Rows[i].GapsHref = templ.SafeURL(string(v.Rows[i].Href) + "#clients")
		if rc := h.Root; rc != nil && f.Status != probes.StatusOK {
			v.Rows[i].RootCause = &ui.Cause{Title: rc.Title, Rule: rc.Rule, Severity: rc.Severity,
				Href: templ.SafeURL(string(v.Rows[i].Href) + "#" + ui.FindingID(rc.Rule, rc.Subject))}
			v.Rows[i].More = h.Others
		}
	}
	return v
}

// compareFleet orders two servers by a column, the "worst" or most
// interesting first for status, counts and ages.
func compareFleet(key string, x, y probes.FleetRow, now time.Time) int {
	switch key {
	case "status":
		return cmp.Compare(statusOrder(x.Status), statusOrder(y.Status))
	case "clients":
		return -cmp.Compare(x.Clients.Total, y.Clients.Total)
	case "stale":
		return -cmp.Compare(x.Clients.Stale, y.Clients.Stale)
	case "never":
		return -cmp.Compare(x.Clients.Never, y.Clients.Never)
	case "gaps":
		return -cmp.Compare(gapped(x), gapped(y))
	case "sync":
		return cmp.Compare(syncOrder(syncCell(x.Sync, now).Class), syncOrder(syncCell(y.Sync, now).Class))
	case "report":
		return cmp.Compare(timeOrZero(x.LastReportAt).UnixMilli(), timeOrZero(y.LastReportAt).UnixMilli())
	}
	return cmp.Compare(x.Name, y.Name)
}

// gapped is how many of a server's listed clients are in a gap category.
func gapped(f probes.FleetRow) int64 { return probes.ListedGaps(f.Gaps) }

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func statusOrder(s string) int {
	return slices.Index([]string{probes.StatusCritical, probes.StatusWarning, probes.StatusUnknown, probes.StatusOK}, s)
}

func syncOrder(class string) int {
	return slices.Index([]string{"critical", "warning", "unknown", "ok"}, class)
}

func fleetHref(status, text, sortKey string) templ.SafeURL {
	q := url.Values{}
	if status != "" && status != "all" {
		q.Set("status", status)
	}
	if text != "" {
		q.Set("q", text)
	}
	if sortKey != "" {
		q.Set("sort", sortKey)
	}
	if len(q) == 0 {
		return "/"
	}
	return templ.SafeURL("/?" + q.Encode())
}

// stripCells turns the store's per-vDir verdicts into the strip's cells,
// with status.substatus and the reason.
func stripCells(cells []probes.VDirCell) []ui.Cell {
	out := make([]ui.Cell, len(cells))
	for i, c := range cells {
		out[i] = ui.Cell{VDir: c.VDir, Verdict: c.Verdict, Title: cellTitle(c)}
	}
	return out
}

// cellTitle is what the strip's name says of a cell that is not OK, after
// the vDir's name: status.substatus and the reason.
func cellTitle(c probes.VDirCell) string {
	switch {
	case c.Verdict == "":
		return "not checked"
	case c.Verdict == probes.VerdictOK || c.Reason == "":
		return c.Status
	case strings.HasPrefix(c.Reason, c.Status):
		return c.Reason
	}
	return c.Status + " " + c.Reason
}

// staleSyncAfter: a successful sync older than this is a warning.
const staleSyncAfter = 48 * time.Hour

// syncCell judges the last synchronisation for the fleet and hierarchy.
func syncCell(s *probes.Sync, now time.Time) ui.SyncCell {
	if s == nil || s.Last == nil {
		if s != nil {
			return ui.SyncCell{Result: "No run", Class: "unknown", Detail: "the sync section has no last run"}
		}
		return ui.SyncCell{}
	}
	at := s.Last.FinishedAt.Time
	if at.IsZero() {
		at = s.Last.StartedAt.Time
	}
	c := ui.SyncCell{Result: s.Last.Result, At: ui.NewStamp(at, now), Detail: s.Last.Error}
	switch s.Last.Result {
	case "Succeeded":
		c.Class = "ok"
		if !at.IsZero() && now.Sub(at) > staleSyncAfter {
			c.Class, c.Detail = "warning", "no successful sync for "+strings.TrimSuffix(ui.Ago(now.Sub(at)), " ago")
		}
	case "Failed":
		c.Class = "critical"
	case "Canceled", "NeverRun":
		c.Class = "warning"
	default:
		c.Class = "unknown"
	}
	return c
}

// onboarding: the commands that send the first report to this dashboard.
func (a *app) onboarding(r *http.Request) ui.Onboarding {
	base := a.origin(r)
	return ui.Onboarding{
		Token: ui.Command{ID: "cmd-token", Text: "wsusfleet token create --name collector --scope ingest"},
		Curl: ui.Command{ID: "cmd-curl", Text: `curl -fsS -H "Authorization: Bearer $WSUSFLEET_TOKEN" -H "Content-Type: application/json" --data-binary @report.json ` +
			base + "/api/v1/reports"},
		PowerShell: ui.Command{ID: "cmd-ps", Text: `Invoke-RestMethod -Method Post -Uri "` + base + `/api/v1/reports" -Headers @{Authorization = "Bearer $env:WSUSFLEET_TOKEN"} -ContentType "application/json" -InFile .\report.json`},
		Register: ui.Command{ID: "cmd-register", Text: `curl -fsS -H "Authorization: Bearer $WSUSFLEET_ADMIN_TOKEN" -H "Content-Type: application/json" -d '{"url":"http://wsus01.corp.example:8530"}' ` +
			base + "/api/v1/servers"},
	}
}

// origin is the dashboard's address as the request reached it, for the
// commands a page shows.
func (a *app) origin(r *http.Request) string {
	if a.secure(r) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
