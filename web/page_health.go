package web

import (
	"slices"

	"github.com/wsusfleet/wsusfleet/probes"
)

// DefaultGapWarningShare is the share of a server's clients in reporting
// gaps beyond which the gaps raise its status: a healthy server with a few
// stale laptops is OK, one whose clients stopped reporting en masse is not.
const DefaultGapWarningShare = 0.25

// serverHealth is a server's status as the pages show it. The store's
// status is the worst of all its open findings, the client-gap findings
// included; the pages judge the server by its own findings (what is wrong on
// the server itself) and count the gaps only beyond a share of its clients,
// so "OK" is reachable with a few machines switched off.
type serverHealth struct {
	Status   string
	GapShare float64 // of its listed clients in a gap category (0–1)
	Gapped   int64   // those clients
	Others   int     // open warning-or-worse findings besides the root cause
	// Root is what to fix first: the first open finding, warning or worse,
	// in causal order, a client-gap one only when the gaps count (beyond
	// the share); nil when there is none.
	Root *probes.FindingHead
}

// healthOf judges one server. status is the store's (unknown stays unknown:
// nothing recent arrived, so nothing can be judged), total its listed
// clients, gaps its counts per category, findings its open findings.
func healthOf(status string, total int64, gaps map[string]int64, findings []probes.Finding, root *probes.FindingHead, share float64) serverHealth {
	h := serverHealth{Status: status, Gapped: listedGaps(gaps)}
	if total > 0 {
		h.GapShare = min(float64(h.Gapped)/float64(total), 1)
	}
	gapRules := probes.GapCategories()
	counts := h.GapShare > share
	ordered := slices.Clone(findings)
	probes.OrderFindings(ordered, func(f probes.Finding) int64 { return gaps[f.Rule] })
	own, gap := "", ""
	for _, f := range ordered {
		isGap := slices.Contains(gapRules, f.Rule)
		if isGap {
			gap = worse(gap, f.Severity)
		} else {
			own = worse(own, f.Severity)
		}
		if probes.SeverityRank(f.Severity) < probes.SeverityRank(probes.SeverityWarning) {
			continue
		}
		if h.Root == nil && (!isGap || counts) {
			head := f.Head()
			h.Root = &head
			continue
		}
		h.Others++
	}
	if h.Root == nil && root != nil {
		h.Root, h.Others = root, max(h.Others-1, 0) // the store's, when its findings were not read
	}
	if status == probes.StatusUnknown || status == "" {
		return h
	}
	if counts {
		own = worse(own, gap)
	}
	switch own {
	case probes.SeverityCritical:
		h.Status = probes.StatusCritical
	case probes.SeverityWarning:
		h.Status = probes.StatusWarning
	default:
		h.Status = probes.StatusOK
	}
	return h
}

// listedGaps counts the clients on the server's list in a gap category.
func listedGaps(gaps map[string]int64) int64 {
	var n int64
	for cat, c := range gaps {
		if cat != probes.GapExpectedMissing && cat != probes.GapRemoved { // neither is on the server's list
			n += c
		}
	}
	return n
}

// worse is the more severe of two severities ("" for none).
func worse(a, b string) string {
	if probes.SeverityRank(b) > probes.SeverityRank(a) {
		return b
	}
	return a
}

// gapShare is the configured share, or the default.
func (a *app) gapShare() float64 {
	if a.cfg.GapWarningShare > 0 {
		return a.cfg.GapWarningShare
	}
	return DefaultGapWarningShare
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
