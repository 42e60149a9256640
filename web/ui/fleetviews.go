package ui

import "github.com/a-h/templ"

// GapsView is the fleet-wide client-reporting gaps page (DESIGN §6).
type GapsView struct {
	Layout
	Categories []GapCategory
	Servers    []GapServerRow
	Pending    bool        // some categories need data not collected yet
	Empty      *Onboarding // no server at all
}

// GapCategory is one DESIGN §6 category with its fleet-wide count.
type GapCategory struct {
	Key, Label, Rule string
	Count            string
	Collected        bool   // false: the data it needs is not collected yet
	Needs            string // what it needs, when not collected
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
	Children []TreeNode
}
