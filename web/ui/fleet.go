package ui

import "github.com/a-h/templ"

// FleetView is the fleet page: every server on one screen.
type FleetView struct {
	Layout
	Counts   FleetCounts
	Statuses []Chip // all, critical, warning, unknown, ok: filter links with counts
	Query    string // the text filter
	Status   string // the status filter ("" for all)
	Sort     string
	Columns  []Column
	VDirs    []string // the strip's order, for its legend
	Rows     []FleetRow
	Total    int         // servers in the fleet
	GapShare float64     // beyond this share of its clients in gaps, a server's status counts them
	Empty    *Onboarding // set when the fleet has no server at all
}

// FleetCounts are the totals at the top of the fleet page.
type FleetCounts struct {
	Servers, OK, Warning, Critical, Unknown int
	Clients, Stale, Never, Removed          int64
	Expected                                int64 // expected but missing, fleet-wide (listed nowhere included)
	WithGaps                                int64 // clients in any gap category
}

// FleetRow is one server on the fleet page.
type FleetRow struct {
	Name       string
	Href       templ.SafeURL
	Status     string
	Strip      []Cell
	Clients    int64
	Gapped     int64  // clients on its list in a gap category
	GapShare   string // their share, "8 %"
	GapsHref   templ.SafeURL
	Stale      int64
	Never      int64
	Expected   *int64 // expected but missing (directory inventory); nil until collected
	RootCause  *Cause // the first finding to fix; nil when none is a warning or worse
	More       int    // other open findings, warning or worse
	Sync       SyncCell
	LastReport Stamp
}

// Cause is a finding as lists name it: its title for people, its rule as a
// small tag.
type Cause struct {
	Title, Rule, Severity string
	Href                  templ.SafeURL // the finding on its server's page; "" when not linked
}

// GapShareText is the configured share as people read it: "25 %".
func (v FleetView) GapShareText() string { return Percent(v.GapShare) }

// Cell is one vDir in the 9-cell strip.
type Cell struct {
	VDir    string
	Verdict string // ok, warning, fault or "" (never checked)
	Title   string // "ClientWebService: 401.2 anonymous authentication is disabled"
}

// SyncCell is the last synchronisation as the fleet and hierarchy show it.
type SyncCell struct {
	Result string // "Succeeded", "Failed", ... or "" when never collected
	Class  string // ok, warning, critical or unknown
	At     Stamp  // when it finished (or started)
	Detail string // the error, on hover
}
