package probes

import "time"

// FleetMetrics is what the Prometheus endpoint exports of the stored state,
// read from counts the store already keeps (never a scan of clients).
type FleetMetrics struct {
	Servers           []ServerMetrics
	FleetGaps         map[string]int64 // per gap category, every server and unassigned clients
	SettleLag         time.Duration    // how far derived state (gaps, findings) is behind the writes
	PendingDeliveries int64            // notifications waiting in the outbox
	FiringAlerts      map[string]int64 // firing root-cause alerts per severity
}

// ServerMetrics is one server's share of FleetMetrics.
type ServerMetrics struct {
	Name     string
	Status   string
	Clients  int64
	Gaps     map[string]int64 // per gap category
	Findings []FindingCount   // open findings
	VDirs    []VerdictCount   // the latest vDir checks by vantage and verdict
}

// FindingCount counts open findings of one rule and severity.
type FindingCount struct {
	Rule, Severity string
	Count          int64
}

// VerdictCount counts latest checks of one vDir from one vantage with one verdict.
type VerdictCount struct {
	VDir, Vantage, Verdict string
	Count                  int64
}
