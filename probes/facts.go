package probes

import "time"

// Facts is what the rules see of one server: its current state and what the
// rest of the fleet can answer about it.
type Facts struct {
	State *ServerState
	Now   time.Time
	// Upstream finds the fleet server at host:port (a downstream's upstream),
	// by name or by its URL; nil means nothing is known of the fleet.
	Upstream func(host string, port int) (FleetServer, bool)
	// Gaps are the server's clients per gap category, with examples.
	Gaps []GapCount
	// Silence says when each gap category's clients went silent: per
	// category, its listed clients counted by the UTC day of their last
	// status report (never-reported ones by the day they were first listed).
	// A category that is absent has no timing (e.g. expected_missing).
	Silence map[string][]DayCount
	// Opened is when each currently open finding of the server was first
	// seen; a finding the rules produce that is not in it opens now.
	Opened map[FindingKey]time.Time
	// StaleAfter is the configured stale threshold (serve --stale-after): a
	// client whose last status report is older is stale. 0 means the default,
	// 7 days.
	StaleAfter time.Duration
	// GapWarningShare is the share of the server's listed clients (0–1) in
	// reporting gaps beyond which its gap findings are warnings (serve
	// --gap-warning-share); at or below it they are information, so a
	// healthy server with a few switched-off laptops is OK. 0 means the
	// default, DefaultGapWarningShare.
	GapWarningShare float64
	// CertWarningDays is the configured certificate threshold (serve
	// --cert-warning-days): a valid certificate expiring within it is
	// ssl_cert_expiring. 0 means the default, CertWarnDays (30).
	CertWarningDays int
	// WatchedSince is when the dashboard first heard of the server. A finding
	// first seen well after it was not there before (the server was watched);
	// one first seen at once may be older than the dashboard's knowledge.
	WatchedSince time.Time
}

// DefaultGapWarningShare is the share of a server's clients in reporting
// gaps beyond which the gaps make the server's status a warning.
const DefaultGapWarningShare = 0.25

// GapsCount reports whether a server's client gaps are many enough to count
// against its status: more than share (0 means the default) of its listed
// clients are in a gap category on its list. With no list at all, any gap
// counts (the clients expected of it are all missing).
func GapsCount(total int64, gaps map[string]int64, share float64) bool {
	if share <= 0 {
		share = DefaultGapWarningShare
	}
	if total <= 0 {
		for _, n := range gaps {
			if n > 0 {
				return true
			}
		}
		return false
	}
	return float64(ListedGaps(gaps)) > share*float64(total)
}

// ListedGaps counts a server's clients that are on its list and in a gap
// category (expected-but-missing and removed clients are not on it).
func ListedGaps(gaps map[string]int64) int64 {
	var n int64
	for cat, c := range gaps {
		if cat != GapExpectedMissing && cat != GapRemoved {
			n += c
		}
	}
	return n
}

// DayCount is how many clients fall on one UTC day.
type DayCount struct {
	Day   time.Time `json:"day"` // midnight UTC
	Count int64     `json:"count"`
}

// MaxSilenceDays bounds Facts.Silence per category: older days are folded
// into the oldest day kept.
const MaxSilenceDays = 400

// FleetServer is another server of the fleet as a rule may see it.
type FleetServer struct {
	Name         string
	Status       string // ok, warning, critical or unknown
	WatchedSince time.Time
	// Ports are the ports it serves clients (and downstreams) on and whether
	// it is in SSL mode, as its own report or URL says; zero when unknown.
	Ports ServerPorts
	// Findings are its open findings (what may explain a downstream's trouble).
	Findings []FleetFinding
}

// FleetFinding is an open finding of another fleet server.
type FleetFinding struct {
	Rule, Subject, Severity, Title string
	FirstSeen                      time.Time
}
