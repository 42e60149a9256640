package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// gapInfo names a DESIGN §6 category for people.
var gapInfo = map[string]struct{ label, rule string }{
	probes.GapPolicyOff:         {"Policy off", "UseWUServer ≠ 1, Automatic Updates disabled (NoAutoUpdate, AUOptions 1), or wuauserv/BITS disabled"},
	probes.GapWrongServer:       {"Wrong server", "WUServer names an unknown server, another server lists it with a fresher sync, or it scans Windows Update by policy"},
	probes.GapBadURL:            {"Bad URL", "WUServer with a port or scheme its server does not serve, a short name of several servers, or WUStatusServer ≠ WUServer"},
	probes.GapDuplicateID:       {"Duplicate id", "one SusClientId for two or more names (a cloned image), or a name that keeps changing"},
	probes.GapExpectedMissing:   {"Expected, missing", "in the directory inventory (or pointing here), enabled, in use, on no server's list"},
	probes.GapNeverReported:     {"Never reported", "on the server's list, no status report ever"},
	probes.GapScanOKReportStale: {"Scan OK, report stale", "synced within 2 days, but no status report for longer than the stale threshold (the statistics server)"},
	probes.GapStaleReport:       {"Stale report", "last status report older than the stale threshold"},
	probes.GapRemoved:           {"Removed", "was on the list, gone from a complete snapshot"},
}

// gapRule is a category's rule for people, with the stale threshold.
func gapRule(category string, staleAfter time.Duration) string {
	return strings.ReplaceAll(gapInfo[category].rule, "the stale threshold", daysText(staleAfter))
}

// daysText says a threshold the way the pages do: "7 days", "36 h".
func daysText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if n := int(d / (24 * time.Hour)); n != 1 {
			return strconv.Itoa(n) + " days"
		}
		return "1 day"
	}
	return strings.TrimSuffix(ui.Ago(d), " ago")
}

// clientSideGaps need the clients' own reports or a directory inventory.
var clientSideGaps = []string{probes.GapPolicyOff, probes.GapWrongServer, probes.GapBadURL, probes.GapDuplicateID, probes.GapExpectedMissing}

func gapHref(category, server string) templ.SafeURL {
	u := "/gaps/" + url.PathEscape(category)
	if server != "" {
		u += "?" + url.Values{"server": {server}}.Encode()
	}
	return templ.SafeURL(u)
}

// gapsPage is GET /gaps: fleet-wide gap categories, per server and
// unassigned, each count a drill-down into its clients.
func (a *app) gapsPage(w http.ResponseWriter, r *http.Request) error {
	fleet, err := a.store.Fleet(r.Context())
	if err != nil {
		return err
	}
	gaps, err := a.store.Gaps(r.Context())
	if err != nil {
		return err
	}
	v := buildGapsView(fleet, gaps, a.store.StaleAfter())
	v.Layout = a.layout(r, "Gaps", ui.NavGaps)
	if len(fleet) == 0 {
		o := a.onboarding(r)
		v.Empty = &o
	}
	return a.render(w, r, http.StatusOK, ui.GapsPage(v))
}

func buildGapsView(fleet []probes.FleetRow, gaps probes.FleetGaps, staleAfter time.Duration) ui.GapsView {
	var v ui.GapsView
	v.Pending = true
	for _, c := range clientSideGaps {
		if gaps.Categories[c] > 0 {
			v.Pending = false
		}
	}
	for _, c := range probes.GapCategories() {
		v.Categories = append(v.Categories, ui.GapCategory{Key: c, Label: gapInfo[c].label, Rule: gapRule(c, staleAfter), Collected: true,
			Count: ui.Count(gaps.Categories[c]), Href: gapHref(c, "")})
	}
	cell := func(n int64, href templ.SafeURL) ui.GapCell {
		return ui.GapCell{Count: ui.Count(n), Zero: n == 0, Href: href}
	}
	for _, f := range fleet {
		row := ui.GapServerRow{Name: f.Name, Href: serverHref(f.Name), Status: f.Status}
		for _, c := range probes.GapCategories() {
			row.Cells = append(row.Cells, cell(f.Gaps[c], gapHref(c, f.Name)))
		}
		v.Servers = append(v.Servers, row)
	}
	unassigned := ui.GapServerRow{Name: "no fleet server"}
	any := false
	for _, c := range probes.GapCategories() {
		n := gaps.Unassigned[c]
		any = any || n > 0
		unassigned.Cells = append(unassigned.Cells, cell(n, gapHref(c, "")))
	}
	if any {
		v.Unassigned = &unassigned
	}
	for _, sg := range gaps.Servers {
		if sg.Cause != "" {
			v.Causes = append(v.Causes, ui.GapCause{Server: sg.Server, Href: serverHref(sg.Server), Cause: ui.Cause{Title: sg.CauseTitle, Rule: sg.Cause}})
		}
	}
	return v
}

// gapClientsPage is GET /gaps/{category}: the clients of one category with
// the evidence for each, fleet-wide or for one server.
func (a *app) gapClientsPage(w http.ResponseWriter, r *http.Request) error {
	vals, err := query(r)
	if err != nil {
		return err
	}
	category := chi.URLParam(r, "category")
	info, ok := gapInfo[category]
	if !ok {
		return errStatus(http.StatusNotFound, "no gap category %q", category)
	}
	q := probes.GapQuery{Category: category, Server: vals.Get("server"), Cursor: vals.Get("cursor"), Limit: 100}
	page, err := a.store.GapClients(r.Context(), q)
	if err != nil {
		return err
	}
	now := a.now()
	v := ui.GapClientsView{Layout: a.layout(r, info.label, ui.NavGaps), Category: category, Label: info.label, Rule: gapRule(category, a.store.StaleAfter()),
		Server: q.Server, Total: page.Total, All: gapHref(category, "")}
	if q.Server != "" {
		v.ServerHref = serverHref(probes.NormalizeName(q.Server))
	}
	csv := url.Values{}
	if q.Server != "" {
		csv.Set("server", q.Server)
	}
	v.CSV = templ.SafeURL("/gaps/" + url.PathEscape(category) + ".csv")
	if len(csv) > 0 {
		v.CSV += templ.SafeURL("?" + csv.Encode())
	}
	for _, c := range page.Clients {
		row := ui.GapClientRow{Name: c.Name, Server: c.Server, Detail: c.Detail, Listed: c.Listed,
			Since: ui.StampOf(c.Since, now), LastReport: ui.StampOf(c.LastReport, now), IP: c.IP}
		if c.Cause != "" {
			row.Cause = &ui.Cause{Title: c.CauseTitle, Rule: c.Cause}
		}
		if c.Server != "" {
			row.ServerHref = serverHref(c.Server)
		}
		v.Rows = append(v.Rows, row)
	}
	if page.NextCursor != "" {
		next := url.Values{"cursor": {page.NextCursor}}
		if q.Server != "" {
			next.Set("server", q.Server)
		}
		v.Next = templ.SafeURL("/gaps/" + url.PathEscape(category) + "?" + next.Encode())
	}
	if q.Cursor != "" {
		v.First = gapHref(category, q.Server)
	}
	v.Shown = strconv.Itoa(len(page.Clients))
	return a.render(w, r, http.StatusOK, ui.GapClientsPage(v))
}

// gapClientsCSV exports one category for the page's session.
func (a *app) gapClientsCSV(w http.ResponseWriter, r *http.Request) error {
	vals, err := query(r)
	if err != nil {
		return err
	}
	return a.gapClientsCSVFor(w, r, probes.GapQuery{Category: chi.URLParam(r, "category"), Server: vals.Get("server")})
}
