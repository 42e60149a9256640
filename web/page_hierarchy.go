package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// hierarchyPage is GET /hierarchy: the sync tree, derived from each
// server's sync section (a store Hierarchy read model may replace this).
func (a *app) hierarchyPage(w http.ResponseWriter, r *http.Request) error {
	fleet, err := a.store.Fleet(r.Context())
	if err != nil {
		return err
	}
	v := ui.HierarchyView{Layout: a.layout(r, "Hierarchy", ui.NavHierarchy), Roots: buildHierarchy(fleet, a.now())}
	if len(fleet) == 0 {
		o := a.onboarding(r)
		v.Empty = &o
	}
	return a.render(w, r, http.StatusOK, ui.HierarchyPage(v))
}

// buildHierarchy nests each downstream server under its upstream. An
// upstream outside the fleet becomes a dashed node of its own; servers
// caught in a sync loop are listed at the top so none disappears.
func buildHierarchy(fleet []probes.FleetRow, now time.Time) []ui.TreeNode {
	byName := map[string]int{}
	for i, f := range fleet {
		byName[f.Name] = i
	}
	children := map[string][]int{}
	var roots []string
	external := map[string]bool{}
	for i, f := range fleet {
		parent := ""
		if f.Sync != nil && f.Sync.Upstream != nil {
			parent = probes.NormalizeName(f.Sync.Upstream.Host)
		}
		switch {
		case parent == "" || parent == f.Name:
			roots = append(roots, f.Name)
		default:
			if _, ok := byName[parent]; !ok && !external[parent] {
				external[parent] = true
				roots = append(roots, parent)
			}
			children[parent] = append(children[parent], i)
		}
	}
	seen := map[string]bool{}
	var node func(name string) ui.TreeNode
	node = func(name string) ui.TreeNode {
		seen[name] = true
		n := ui.TreeNode{Name: name, Role: "not in the fleet"}
		if i, ok := byName[name]; ok {
			f := fleet[i]
			n = ui.TreeNode{Name: name, Href: serverHref(name), Status: f.Status, Sync: syncCell(f.Sync, now), Clients: f.Clients.Total}
			n.Role = role(f.Sync)
		}
		for _, c := range children[name] {
			if !seen[fleet[c].Name] {
				n.Children = append(n.Children, node(fleet[c].Name))
			}
		}
		return n
	}
	slices.SortFunc(roots, strings.Compare)
	var out []ui.TreeNode
	for _, r := range roots {
		out = append(out, node(r))
	}
	for _, f := range fleet { // sync loops: nothing leads to them from a root
		if !seen[f.Name] {
			out = append(out, node(f.Name))
		}
	}
	return out
}

func role(s *probes.Sync) string {
	switch {
	case s == nil:
		return "sync not collected"
	case s.Upstream == nil:
		return "syncs from Microsoft Update"
	case s.Upstream.Replica:
		return fmt.Sprintf("replica of %s:%d", s.Upstream.Host, s.Upstream.Port)
	}
	return fmt.Sprintf("autonomous, from %s:%d", s.Upstream.Host, s.Upstream.Port)
}
