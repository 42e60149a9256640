package probes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	Affected        bool   `json:"affected"`
	AffectedBy      string `json:"affected_by,omitempty"`
	UpstreamUnknown bool   `json:"upstream_unknown,omitempty"` // its upstream is no fleet server
	// UpstreamProblem says what is wrong with how it names its upstream (a
	// port the upstream does not serve, SSL on its HTTP port, a short name
	// of several servers); "" when nothing is.
	UpstreamProblem string          `json:"upstream_problem,omitempty"`
	Children        []HierarchyNode `json:"children"`
}

// Hierarchy is the fleet as a forest: servers syncing from Microsoft Update,
// from an unknown upstream, or with no sync information are roots.
type Hierarchy struct {
	Roots []HierarchyNode `json:"roots"`
}

// BuildHierarchy links each server to its upstream: the fleet server its
// upstream host names (by name, URL, alias, address or unique short name,
// preferring the one serving its port), and judges the upstream's scheme
// and port against that server.
func BuildHierarchy(fleet []FleetRow, now time.Time) Hierarchy {
	ids := make(map[string]ServerIdentity, len(fleet))
	index := make(map[string]int, len(fleet))
	for i, r := range fleet {
		index[r.Name] = i
		if r.Identity != nil {
			ids[r.Name] = *r.Identity
		} else {
			ids[r.Name] = ServerIdentity{Names: ServerNames(r.Name, r.URL, nil, nil), Ports: PortsFromURL(r.URL)}
		}
	}
	parent := make([]int, len(fleet))
	problem := make([]string, len(fleet))
	for i, r := range fleet {
		parent[i] = -1
		if r.Sync == nil || r.Sync.From != SyncFromUpstream || r.Sync.Upstream == nil {
			continue
		}
		parent[i], problem[i] = upstreamOf(ids, index, r.Name, *r.Sync.Upstream)
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
			Affected: affectedBy != "", AffectedBy: affectedBy, UpstreamProblem: problem[i]}
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

// upstreamOf finds the fleet server other than self that up names, or -1,
// and what is wrong with how it is named.
func upstreamOf(ids map[string]ServerIdentity, index map[string]int, self string, up Upstream) (int, string) {
	others := make(map[string]ServerIdentity, len(ids))
	for name, id := range ids {
		if name != self {
			others[name] = id
		}
	}
	m := MatchIdentities(up.Host, up.Port, others)
	if !m.Known() {
		if len(m.Ambiguous) > 0 {
			return -1, fmt.Sprintf("its upstream %s could be any of %s: name it by its full name", up.Host, strings.Join(m.Ambiguous, ", "))
		}
		return -1, ""
	}
	return index[m.Server], URLProblem("its upstream "+up.URL(), WUServerURL{Scheme: up.Scheme(), Host: NormalizeHost(up.Host), Port: up.Port}, m)
}

// Scheme is how a downstream talks to its upstream.
func (u Upstream) Scheme() string {
	if u.SSL {
		return "https"
	}
	return "http"
}

// URL is the upstream as a downstream's sync settings name it.
func (u Upstream) URL() string {
	host := u.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	return u.Scheme() + "://" + host + ":" + strconv.Itoa(u.Port)
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
