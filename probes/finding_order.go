package probes

import (
	"cmp"
	"container/heap"
	"slices"
)

// Findings are listed root cause first: a finding comes before every finding
// it explains (whose Cause names its rule, on the finding's own server or on
// CauseServer: a replica's failing synchronization follows its upstream's
// stopped pool when both are listed), then the
// more severe before the less, then the one affecting more clients. A cause
// ranks by the worst of what it explains, so "WsusPool is stopped" leads a
// server whose stale clients it explains even when those are only warnings,
// and a cause is never listed after its consequences whatever their
// severity.

// FindingHead is what a list shows of a finding before its evidence: the
// fleet row's root cause.
type FindingHead struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Subject  string `json:"subject,omitempty"`
}

// Head is the finding's FindingHead.
func (f Finding) Head() FindingHead {
	return FindingHead{Rule: f.Rule, Severity: f.Severity, Title: f.Title, Subject: f.Subject}
}

// OrderFindings sorts one server's findings root cause first. affected says
// how many clients a finding concerns (nil: none known).
func OrderFindings(fs []Finding, affected func(Finding) int64) {
	OrderBy(fs, func(f Finding) (Finding, string) { return f, "" }, func(f Finding) int64 {
		if affected == nil {
			return 0
		}
		return affected(f)
	})
}

// OrderServerFindings sorts findings of many servers root cause first, each
// cause before what it explains, on its own server or another's.
func OrderServerFindings(fs []ServerFinding, affected func(ServerFinding) int64) {
	OrderBy(fs, func(f ServerFinding) (Finding, string) { return f.Finding, f.Server }, affected)
}

// OrderBy sorts items holding findings root cause first. of returns an
// item's finding and the server it is on (a cause on another server is
// found by the finding's CauseServer, so with one server's findings alone,
// server "", such a cause is simply not among them); affected how many
// clients it concerns.
func OrderBy[T any](items []T, of func(T) (Finding, string), affected func(T) int64) {
	n := len(items)
	if n < 2 {
		return
	}
	type node struct {
		f        Finding
		server   string
		affected int64
		causes   []int // the findings that explain it
		explains []int
		rank     rank
	}
	nodes := make([]node, n)
	byRule := map[[2]string][]int{}    // (server, rule) → findings
	bySubject := map[[3]string][]int{} // (server, rule, subject) → findings
	for i, it := range items {
		f, server := of(it)
		nodes[i] = node{f: f, server: server, affected: affected(it)}
		byRule[[2]string{server, f.Rule}] = append(byRule[[2]string{server, f.Rule}], i)
		k := [3]string{server, f.Rule, f.Subject}
		bySubject[k] = append(bySubject[k], i)
	}
	for i := range nodes {
		f := nodes[i].f
		server := nodes[i].server
		if f.CauseServer != "" {
			server = f.CauseServer
		}
		if f.Cause == "" || (f.Cause == f.Rule && server == nodes[i].server) {
			continue
		}
		// The finding the cause names, by its subject when it is listed;
		// else every finding of the cause's rule there.
		causes := bySubject[[3]string{server, f.Cause, f.CauseSubject}]
		if len(causes) == 0 {
			causes = byRule[[2]string{server, f.Cause}]
		}
		nodes[i].causes = slices.DeleteFunc(slices.Clone(causes), func(j int) bool { return j == i })
	}
	// Findings that explain each other (a cycle: no rule should make one)
	// are ordered as if neither explained the other.
	reaches := func(from, to int) bool {
		seen := map[int]bool{from: true}
		for stack := []int{from}; len(stack) > 0; {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, k := range nodes[j].causes {
				if k == to {
					return true
				}
				if !seen[k] {
					seen[k] = true
					stack = append(stack, k)
				}
			}
		}
		return false
	}
	cut := make([][]int, n)
	for i := range nodes {
		for _, j := range nodes[i].causes {
			if !reaches(j, i) {
				cut[i] = append(cut[i], j)
				nodes[j].explains = append(nodes[j].explains, i)
			}
		}
	}
	for i := range nodes {
		nodes[i].causes = cut[i]
	}
	// A finding's rank is the worst of itself and all it explains, directly
	// or through others (guarding against cycles).
	for i := range nodes {
		seen := map[int]bool{i: true}
		stack := []int{i}
		r := rank{sev: SeverityRank(nodes[i].f.Severity), affected: nodes[i].affected}
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, k := range nodes[j].explains {
				if !seen[k] {
					seen[k] = true
					stack = append(stack, k)
					r = r.worst(rank{sev: SeverityRank(nodes[k].f.Severity), affected: nodes[k].affected})
				}
			}
		}
		nodes[i].rank = r
	}
	// Emit the best-ranked finding whose causes are all out (a heap of the
	// free ones).
	before := func(a, b int) bool {
		return compareNodes(nodes[a].rank, nodes[b].rank, nodes[a].f, nodes[b].f, nodes[a].server, nodes[b].server) < 0
	}
	waiting := make([]int, n) // causes not yet out
	free := &indexHeap{less: before}
	for i := range nodes {
		if waiting[i] = len(nodes[i].causes); waiting[i] == 0 {
			heap.Push(free, i)
		}
	}
	order := make([]int, 0, n)
	for free.Len() > 0 {
		i := heap.Pop(free).(int)
		order = append(order, i)
		for _, k := range nodes[i].explains {
			if waiting[k]--; waiting[k] == 0 {
				heap.Push(free, k)
			}
		}
	}
	sorted := make([]T, n)
	for k, i := range order {
		sorted[k] = items[i]
	}
	copy(items, sorted)
}

// rank is what orders findings that do not explain each other.
type rank struct {
	sev      int
	affected int64
}

func (r rank) worst(o rank) rank {
	return rank{sev: max(r.sev, o.sev), affected: max(r.affected, o.affected)}
}

func compareNodes(a, b rank, fa, fb Finding, sa, sb string) int {
	return cmp.Or(
		-cmp.Compare(a.sev, b.sev),
		-cmp.Compare(a.affected, b.affected),
		-cmp.Compare(SeverityRank(fa.Severity), SeverityRank(fb.Severity)), // a cause ranked by what it explains yields to a finding that is that bad itself
		cmp.Compare(sa, sb),
		cmp.Compare(fa.Rule, fb.Rule),
		cmp.Compare(fa.Subject, fb.Subject),
	)
}

// indexHeap is a heap of indexes ordered by less.
type indexHeap struct {
	items []int
	less  func(a, b int) bool
}

func (h *indexHeap) Len() int           { return len(h.items) }
func (h *indexHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *indexHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *indexHeap) Push(x any)         { h.items = append(h.items, x.(int)) }
func (h *indexHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
