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
// why says how clients end up in it, fix what clears it: the drill-down's
// box, so an admin need not look it up.
var gapInfo = map[string]struct{ label, rule, why, fix string }{
	probes.GapPolicyOff: {"Policy off", "UseWUServer ≠ 1, Automatic Updates disabled (NoAutoUpdate, AUOptions 1), or wuauserv/BITS disabled",
		"The client's Windows Update policy does not send it to WSUS at all: a GPO not applied (wrong OU, security filtering, WMI filter), a local policy overriding it, or the Windows Update or BITS service disabled.",
		"Check which GPO applies (gpresult /h report.html on the client), link the WSUS GPO to the computer's OU, run gpupdate /force, set wuauserv and BITS to Manual or Automatic, then start a scan (the client's fix has the PowerShell: the Windows Update Agent API, since wuauclt /detectnow does nothing on Windows 10 and later)."},
	probes.GapWrongServer: {"Wrong server", "WUServer names an unknown server, another server lists it with a fresher sync, or it scans Windows Update by policy",
		"The policy names another WSUS server than the one meant for it (an old GPO, two GPOs competing), or a server outside this fleet.",
		"Fix WUServer and WUStatusServer in the GPO that applies to the client, gpupdate /force, then scan again; remove the stale entry from the old server's list."},
	probes.GapBadURL: {"Bad URL", "WUServer with a port or scheme its server does not serve, a short name of several servers, or WUStatusServer ≠ WUServer",
		"WUServer points at the right server the wrong way: no port when WSUS listens on 8530/8531, http to an SSL-only server, a short name that resolves elsewhere, or a status server that differs.",
		"Set WUServer and WUStatusServer to the same full URL with the port WSUS serves (http://server.fqdn:8530 or https://server.fqdn:8531), gpupdate /force, scan again."},
	probes.GapDuplicateID: {"Duplicate id", "one SusClientId for two or more names (a cloned image), or a name that keeps changing",
		"Machines cloned from one image without sysprep share a SusClientId, so WSUS keeps one row that flips between their names.",
		"On each clone: stop wuauserv, delete SusClientId and SusClientIdValidation under HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate, start wuauserv and start a scan so it registers with a new id; sysprep the image before cloning again."},
	probes.GapExpectedMissing: {"Expected, missing", "in the directory inventory (or pointing here), enabled, in use, on no server's list",
		"The directory says the computer is in use, but no WSUS server lists it: the policy never reached it, or it cannot reach its server.",
		"Check the policy on the computer (reg query HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate), that it resolves and reaches the server's URL, then scan; send its client report to see which gap it really is."},
	probes.GapNeverReported: {"Never reported", "on the server's list, no status report ever",
		"The client registered but never sent a status report: it scans and fails, or reporting fails (ReportingWebService, a proxy, a time skew).",
		"Look at the server's fix plan first (a server-wide cause explains most); on the client run the scan, read WindowsUpdate.log (Get-WindowsUpdateLog) for the error, and send the client report."},
	probes.GapScanOKReportStale: {"Scan OK, report stale", "synced within 2 days, but no status report for longer than the stale threshold (the statistics server)",
		"The client scans, but its status reports do not arrive: WUStatusServer points elsewhere, or ReportingWebService fails.",
		"Make WUStatusServer equal WUServer, check ReportingWebService on the server (its vDir strip), then start a scan on the client (its status report follows the scan)."},
	probes.GapStaleReport: {"Stale report", "last status report older than the stale threshold",
		"No status report for longer than the stale threshold: the computer is off or away, or it cannot reach WSUS any more (a server-wide fault, a network change, a broken agent).",
		"Fix the server's root causes first (its fix plan); for the rest, check the computer is in use, then scan and read WindowsUpdate.log; remove retired computers from WSUS."},
	probes.GapRemoved: {"Removed", "was on the list, gone from a complete snapshot",
		"The computer dropped off the server's list: deleted in the console, by the cleanup wizard's computer cleanup, or moved to another server.",
		"If it should be there, scan on the client to register again; otherwise nothing to do."},
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
	open, err := a.store.Findings(r.Context(), probes.FindingQuery{})
	if err != nil {
		return err
	}
	health := a.judge(fleet, open)
	v := buildGapsView(fleet, gaps, a.store.StaleAfter())
	v.Plan = fleetPlan(fleet, open, health)
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
	servers, err := a.store.ListServers(r.Context())
	if err != nil {
		return err
	}
	now := a.now()
	v := ui.GapClientsView{Layout: a.layout(r, info.label, ui.NavGaps), Category: category, Label: info.label, Rule: gapRule(category, a.store.StaleAfter()),
		Server: q.Server, Total: page.Total, All: gapHref(category, ""), Why: info.why, Fix: info.fix,
		Action: templ.SafeURL("/gaps/" + url.PathEscape(category))}
	for _, s := range servers {
		v.Servers = append(v.Servers, ui.Chip{Key: s.Name, Label: s.Name, Current: probes.NormalizeName(q.Server) == s.Name})
	}
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
	v.Shown = ui.Count(int64(len(page.Clients)))
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
