package web

import (
	"net/http"
	"net/url"

	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// gapCategory is one DESIGN §6 category as the gaps page lists it. count
// reads it from a fleet row; nil until the data it needs is collected (the
// store's Gaps read model will fill the others).
type gapCategory struct {
	key, label, rule, needs string
	count                   func(probes.ClientCounts) int64
}

var gapCategories = []gapCategory{
	{"policy_off", "Policy off", "UseWUServer ≠ 1, AU disabled, or wuauserv/BITS disabled", "needs client reports", nil},
	{"wrong_server", "Wrong server", "wu_server is not a fleet server, or listed on another with fresher sync", "needs client reports", nil},
	{"bad_url", "Bad URL", "wu_server without the port, or WUStatusServer ≠ WUServer", "needs client reports", nil},
	{"duplicate_id", "Duplicate id", "one SusClientId for two or more names (cloned image)", "needs client reports", nil},
	{"expected_missing", "Expected, missing", "in the directory inventory, enabled, logged on within 7 d, on no server", "needs a directory inventory", nil},
	{probes.GapNeverReported, "Never reported", "on the server's list with no status report ever", "",
		func(c probes.ClientCounts) int64 { return c.Never }},
	{"scan_ok_report_stale", "Scan OK, report stale", "synced within 2 d but no status report for 7 d", "needs the diagnosis", nil},
	{probes.GapStaleReport, "Stale report", "last status report older than 7 d", "",
		func(c probes.ClientCounts) int64 { return c.Stale }},
	{probes.GapRemoved, "Removed", "was on the list, gone from a complete snapshot", "",
		func(c probes.ClientCounts) int64 { return c.Removed }},
}

// gapsPage is GET /gaps: fleet-wide gap categories, per server, with
// drill-down into each server's clients.
func (a *app) gapsPage(w http.ResponseWriter, r *http.Request) error {
	fleet, err := a.store.Fleet(r.Context())
	if err != nil {
		return err
	}
	v := buildGapsView(fleet)
	v.Layout = a.layout(r, "Gaps", ui.NavGaps)
	if len(fleet) == 0 {
		o := a.onboarding(r)
		v.Empty = &o
	}
	return a.render(w, r, http.StatusOK, ui.GapsPage(v))
}

func buildGapsView(fleet []probes.FleetRow) ui.GapsView {
	var v ui.GapsView
	totals := make([]int64, len(gapCategories))
	for _, f := range fleet {
		row := ui.GapServerRow{Name: f.Name, Href: serverHref(f.Name), Status: f.Status}
		for i, c := range gapCategories {
			if c.count == nil {
				continue
			}
			n := c.count(f.Clients)
			totals[i] += n
			row.Cells = append(row.Cells, ui.GapCell{Count: ui.Count(n), Zero: n == 0,
				Href: templ.SafeURL("/servers/" + url.PathEscape(f.Name) + "?" + url.Values{"gap": {c.key}}.Encode() + "#clients")})
		}
		v.Servers = append(v.Servers, row)
	}
	for i, c := range gapCategories {
		gc := ui.GapCategory{Key: c.key, Label: c.label, Rule: c.rule, Collected: c.count != nil, Needs: c.needs, Count: "–"}
		if gc.Collected {
			gc.Count = ui.Count(totals[i])
		} else {
			v.Pending = true
		}
		v.Categories = append(v.Categories, gc)
	}
	return v
}
