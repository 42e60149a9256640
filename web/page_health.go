package web

import (
	"slices"

	"github.com/wsusfleet/wsusfleet/probes"
)

// serverHealth is a server's status as the pages show it: the store's,
// which judges the server by its own findings and counts its client gaps
// only beyond the configured share of its clients (probes.GapsCount), so
// "OK" is reachable with a few machines switched off; and what to fix first.
type serverHealth struct {
	Status   string
	GapShare float64 // of its listed clients in a gap category (0–1)
	Gapped   int64   // those clients
	Counts   bool    // the gaps count against its status (beyond the share)
	Others   int     // open warning-or-worse findings besides the root cause
	// Root is what to fix first: the first open finding, warning or worse,
	// in causal order (a gap finding is one only beyond the share: below it
	// the rules make it information); nil when there is none.
	Root *probes.FindingHead
}

// healthOf reads one server's health. status is the store's, total its
// listed clients, gaps its counts per category, findings its open findings
// (root is the store's root cause, used when findings were not read).
func healthOf(status string, total int64, gaps map[string]int64, findings []probes.Finding, root *probes.FindingHead, share float64) serverHealth {
	h := serverHealth{Status: status, Gapped: probes.ListedGaps(gaps), Counts: probes.GapsCount(total, gaps, share)}
	if total > 0 {
		h.GapShare = min(float64(h.Gapped)/float64(total), 1)
	}
	ordered := slices.Clone(findings)
	probes.OrderFindings(ordered, func(f probes.Finding) int64 { return gaps[f.Rule] })
	for _, f := range ordered {
		if probes.SeverityRank(f.Severity) < probes.SeverityRank(probes.SeverityWarning) {
			continue
		}
		if h.Root == nil {
			head := f.Head()
			h.Root = &head
			continue
		}
		h.Others++
	}
	if h.Root == nil && root != nil {
		h.Root, h.Others = root, max(h.Others-1, 0) // the store's, when its findings were not read
	}
	return h
}

// gapShare is the configured share, or the default.
func (a *app) gapShare() float64 {
	if a.cfg.GapWarningShare > 0 {
		return a.cfg.GapWarningShare
	}
	return probes.DefaultGapWarningShare
}

// judge sets each fleet row's status as the pages show it (healthOf) from
// the open findings of the fleet, and returns each server's health.
func (a *app) judge(fleet []probes.FleetRow, open []probes.ServerFinding) map[string]serverHealth {
	byServer := map[string][]probes.Finding{}
	for _, f := range open {
		byServer[f.Server] = append(byServer[f.Server], f.Finding)
	}
	health := make(map[string]serverHealth, len(fleet))
	for i := range fleet {
		f := &fleet[i]
		h := healthOf(f.Status, f.Clients.Total, f.Gaps, byServer[f.Name], f.RootCause, a.gapShare())
		f.Status, health[f.Name] = h.Status, h
	}
	return health
}

// worse is the more severe of two severities ("" for none).
func worse(a, b string) string {
	if probes.SeverityRank(b) > probes.SeverityRank(a) {
		return b
	}
	return a
}
