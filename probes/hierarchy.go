package probes

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// HierarchyNode is one server in the upstream → downstream → replica tree.
type HierarchyNode struct {
	Server   string   `json:"server"`
	Status   string   `json:"status"`
	Role     string   `json:"role"` // upstream (from Microsoft Update), downstream (autonomous), replica, unknown
	SyncFrom string   `json:"sync_from"`
	LastSync *SyncRun `json:"last_sync"`
	// SyncAgeSeconds is how long ago the last sync finished (or started); -1 when never.
	SyncAgeSeconds int64 `json:"sync_age_seconds"`
	// Affected: a server above it is failing, so its own sync trouble is a
	// consequence, not a cause. AffectedBy names the nearest such server.
	Affected        bool            `json:"affected"`
	AffectedBy      string          `json:"affected_by,omitempty"`
	UpstreamUnknown bool            `json:"upstream_unknown,omitempty"` // its upstream is no fleet server
	Children        []HierarchyNode `json:"children"`
}

// Hierarchy is the fleet as a forest: servers syncing from Microsoft Update,
// from an unknown upstream, or with no sync information are roots.
type Hierarchy struct {
	Roots []HierarchyNode `json:"roots"`
}

// BuildHierarchy links each server to its upstream (by name, or by its
// URL's host and port).
func BuildHierarchy(fleet []FleetRow, now time.Time) Hierarchy {
	parent := make([]int, len(fleet))
	for i, r := range fleet {
		parent[i] = -1
		if r.Sync == nil || r.Sync.From != SyncFromUpstream || r.Sync.Upstream == nil {
			continue
		}
		parent[i] = upstreamOf(fleet, i, r.Sync.Upstream.Host, r.Sync.Upstream.Port)
	}
	children := make([][]int, len(fleet))
	var roots []int
	for i, p := range parent {
		if p < 0 || reaches(parent, p, i) { // a cycle makes its members roots
			roots = append(roots, i)
			continue
		}
		children[p] = append(children[p], i)
	}
	var build func(i int, affectedBy string) HierarchyNode
	build = func(i int, affectedBy string) HierarchyNode {
		r := fleet[i]
		n := HierarchyNode{Server: r.Name, Status: r.Status, Role: "unknown", SyncAgeSeconds: -1, Children: []HierarchyNode{},
			Affected: affectedBy != "", AffectedBy: affectedBy}
		if s := r.Sync; s != nil {
			n.Role, n.SyncFrom, n.LastSync = "upstream", "Microsoft Update", s.Last
			if s.From == SyncFromUpstream && s.Upstream != nil {
				n.Role, n.SyncFrom = "downstream", s.Upstream.Host+":"+strconv.Itoa(s.Upstream.Port)
				if s.Upstream.Replica {
					n.Role = "replica"
				}
				n.UpstreamUnknown = parent[i] < 0
			}
			if s.Last != nil {
				at := s.Last.FinishedAt.Time
				if at.IsZero() {
					at = s.Last.StartedAt.Time
				}
				if !at.IsZero() {
					n.SyncAgeSeconds = int64(now.Sub(at).Seconds())
				}
			}
		}
		below := affectedBy
		if r.Status == StatusCritical {
			below = r.Name
		}
		for _, c := range children[i] {
			n.Children = append(n.Children, build(c, below))
		}
		return n
	}
	h := Hierarchy{Roots: []HierarchyNode{}}
	for _, i := range roots {
		h.Roots = append(h.Roots, build(i, ""))
	}
	return h
}

// upstreamOf finds the fleet server at host:port other than self, or -1.
func upstreamOf(fleet []FleetRow, self int, host string, port int) int {
	host = NormalizeName(host)
	byName := -1
	for i, r := range fleet {
		if i == self {
			continue
		}
		if u, err := url.Parse(r.URL); err == nil && r.URL != "" && NormalizeName(u.Hostname()) == host && u.Port() == strconv.Itoa(port) {
			return i
		}
		if r.Name == host && byName < 0 {
			byName = i
		}
	}
	return byName
}

// reaches reports whether following parents from p arrives at target.
func reaches(parent []int, p, target int) bool {
	seen := []int{}
	for p >= 0 && !slices.Contains(seen, p) {
		if p == target {
			return true
		}
		seen = append(seen, p)
		p = parent[p]
	}
	return false
}

// String is the node for logs and tests: "name (role, status)".
func (n HierarchyNode) String() string { return fmt.Sprintf("%s (%s, %s)", n.Server, n.Role, n.Status) }
