package probes

import "time"

// Severities of a finding, and the status of a server (its worst open finding).
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"

	StatusOK       = "ok"
	StatusWarning  = "warning"
	StatusCritical = "critical"
	StatusUnknown  = "unknown" // nothing heard within three probe intervals
)

// SeverityRank orders severities: higher is worse.
func SeverityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// Finding is one diagnosed cause on one server: what rule fired, on what
// subject, what evidence it used and how to fix it.
type Finding struct {
	Rule        string     `json:"rule"`
	Severity    string     `json:"severity"`
	Subject     string     `json:"subject,omitempty"` // the vDir, path, client or "" for the server
	Title       string     `json:"title"`
	Summary     string     `json:"summary,omitempty"`
	Evidence    []Evidence `json:"evidence"`
	Remediation []Step     `json:"remediation"`
	Cause       string     `json:"cause,omitempty"` // the rule of another finding that explains this one
	FirstSeen   time.Time  `json:"first_seen,omitzero"`
	LastSeen    time.Time  `json:"last_seen,omitzero"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
}

// Evidence is one fact a finding rests on, where it came from and when.
type Evidence struct {
	Fact   string    `json:"fact"`
	Source string    `json:"source"`
	At     time.Time `json:"at,omitzero"`
}

// Step is one numbered remediation step; Command is exact and copyable.
type Step struct {
	Text    string `json:"text"`
	Command string `json:"command,omitempty"`
}
