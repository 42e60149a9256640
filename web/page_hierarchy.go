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

// buildHierarchy turns the fleet's sync tree (probes.BuildHierarchy) into
// page nodes. A downstream whose upstream is outside the fleet hangs under a
// dashed node for that host:port, so it is visibly orphaned.
func buildHierarchy(fleet []probes.FleetRow, now time.Time) []ui.TreeNode {
	rows := map[string]probes.FleetRow{}
	for _, f := range fleet {
		rows[f.Name] = f
	}
	var convert func(n probes.HierarchyNode) ui.TreeNode
	convert = func(n probes.HierarchyNode) ui.TreeNode {
		f := rows[n.Server]
		t := ui.TreeNode{Name: n.Server, Href: serverHref(n.Server), Status: n.Status, Role: role(f.Sync), Sync: syncCell(f.Sync, now),
			Clients: f.Clients.Total, Affected: n.AffectedBy, Problem: n.UpstreamProblem}
		for _, c := range n.Children {
			t.Children = append(t.Children, convert(c))
		}
		return t
	}
	var out []ui.TreeNode
	external := map[string]int{} // host:port → index in out
	for _, r := range probes.BuildHierarchy(fleet, now).Roots {
		t := convert(r)
		if !r.UpstreamUnknown {
			out = append(out, t)
			continue
		}
		i, ok := external[r.SyncFrom]
		if !ok {
			i = len(out)
			external[r.SyncFrom] = i
			out = append(out, ui.TreeNode{Name: r.SyncFrom, Role: "not in the fleet"})
		}
		out[i].Children = append(out[i].Children, t)
	}
	slices.SortStableFunc(out, func(a, b ui.TreeNode) int { return strings.Compare(a.Name, b.Name) })
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
