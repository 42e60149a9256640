package ui

import (
	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
)

// GapsView is the fleet-wide client-reporting gaps page (DESIGN §6).
type GapsView struct {
	Layout
	Categories []GapCategory
	Servers    []GapServerRow
	Unassigned *GapServerRow // computers whose policy names no fleet server
	Causes     []GapCause    // servers whose stale clients a server-wide cause explains
	Plan       []FleetCause  // every server's root causes, grouped by cause
	Pending    bool          // no client report or inventory has shown a client-side gap
	Empty      *Onboarding   // no server at all
}

// GapCategory is one DESIGN §6 category with its fleet-wide count.
type GapCategory struct {
	Key, Label, Rule string
	Count            string
	Href             templ.SafeURL // its clients
	Collected        bool          // false: the data it needs is not collected yet
	Needs            string        // what it needs, when not collected
}

// GapCause is a server whose stale clients a server-wide finding explains.
type GapCause struct {
	Server string
	Cause  Cause
	Href   templ.SafeURL
}

// FleetCause is one root cause and the servers it holds on.
type FleetCause struct {
	Rule, Subject, Title, Severity string
	Action                         string // its first step, "Enable anonymous authentication on ClientWebService"
	Servers                        []Link
	Steps                          []StepRow // as for the first server
}

// ServerCount says "1 server", "12 servers".
func (c FleetCause) ServerCount() string { return probes.Plural(len(c.Servers), "server", "servers") }

// GapClientsView is one category's clients with their evidence.
type GapClientsView struct {
	Layout
	Category, Label, Rule string
	Why, Fix              string // how clients end up here, and what clears it
	Servers               []Chip // the server filter's choices
	Action                templ.SafeURL
	Server                string // "" for the fleet
	ServerHref, All, CSV  templ.SafeURL
	Total                 int64
	Shown                 string
	Rows                  []GapClientRow
	Next, First           templ.SafeURL
}

// GapClientRow is one client in a gap and why.
type GapClientRow struct {
	Name, Server, Detail, IP string
	Cause                    *Cause // the server-wide finding that explains it
	ServerHref               templ.SafeURL
	Listed                   bool
	Since, LastReport        Stamp
}

// GapServerRow is one server's counts, aligned with GapsView.Categories.
type GapServerRow struct {
	Name   string
	Href   templ.SafeURL
	Status string
	Cells  []GapCell
}

// GapCell is one count with its drill-down link ("" when not collected).
type GapCell struct {
	Count string
	Href  templ.SafeURL
	Zero  bool
}

// HierarchyView is the upstream → downstream → replica tree.
type HierarchyView struct {
	Layout
	Roots []TreeNode
	Empty *Onboarding
}

// TreeNode is one server in the sync tree.
type TreeNode struct {
	Name     string
	Href     templ.SafeURL // "" for an upstream outside the fleet
	Status   string
	Role     string // "Microsoft Update", "replica", "autonomous", "not in the fleet"
	Source   string // where it syncs from
	Sync     SyncCell
	Clients  int64
	Affected string // the failing server above it, "" when none
	Problem  string // what is wrong with how it names its upstream, "" when nothing
	Children []TreeNode
}
