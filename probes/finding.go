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
//
// # Causality
//
// A finding that another finding explains names it: Cause is the rule of the
// explaining finding, CauseSubject its subject, and CauseServer the server it
// is on when that is another server (a replica whose synchronization fails
// because its upstream's WsusPool is stopped); "" means this finding's own
// server. Rule and subject identify an open finding on its server (see
// FindingKey), so (CauseServer or this server, Cause, CauseSubject) points at
// exactly one finding — the cause — when it is open.
//
// The relation holds only when the cause began before the symptom: a
// certificate that expired yesterday does not explain clients silent for 20
// days, and a finding is never its own cause. Causes do not chain inside one
// server: the rules name the root finding directly, so a symptom's Cause is
// never itself explained by another finding of the same server. Across
// servers a cause may in turn be explained on its own server.
//
// Explains is the inverse on the cause's side, for the findings of the same
// server (Server ""); a cause on an upstream cannot know its downstreams'
// findings when it is diagnosed, so cross-server symptoms are found by their
// CauseServer instead (see ExplainedBy).
//
// Ordering (pages, /api/v1/findings, the fleet row): a cause comes before
// everything it explains; among findings not ordered by that, the more
// severe first, then the one affecting more clients.
type Finding struct {
	Rule         string       `json:"rule"`
	Severity     string       `json:"severity"`
	Subject      string       `json:"subject,omitempty"` // the vDir, path, client or "" for the server
	Title        string       `json:"title"`
	Summary      string       `json:"summary,omitempty"`
	Evidence     []Evidence   `json:"evidence"`
	Remediation  []Step       `json:"remediation"`
	Cause        string       `json:"cause,omitempty"`         // the rule of the finding that explains this one
	CauseSubject string       `json:"cause_subject,omitempty"` // and its subject
	CauseServer  string       `json:"cause_server,omitempty"`  // and its server, when another ("" = this one)
	Explains     []FindingRef `json:"explains,omitempty"`      // the findings of this server it explains
	FirstSeen    time.Time    `json:"first_seen,omitzero"`
	LastSeen     time.Time    `json:"last_seen,omitzero"`
	ResolvedAt   *time.Time   `json:"resolved_at,omitempty"`
}

// FindingKey identifies an open finding on its server: the store keeps one
// open finding per rule and subject.
type FindingKey struct {
	Rule    string `json:"rule"`
	Subject string `json:"subject,omitempty"`
}

// FindingRef points at a finding: Server "" means the server of the finding
// that holds the reference.
type FindingRef struct {
	Server  string `json:"server,omitempty"`
	Rule    string `json:"rule"`
	Subject string `json:"subject,omitempty"`
}

// Key is the finding's identity on its server.
func (f Finding) Key() FindingKey { return FindingKey{Rule: f.Rule, Subject: f.Subject} }

// CauseRef returns the finding that explains f, with its server filled in
// (server is f's own server); ok is false when nothing explains f.
func (f Finding) CauseRef(server string) (ref FindingRef, ok bool) {
	if f.Cause == "" {
		return FindingRef{}, false
	}
	ref = FindingRef{Server: f.CauseServer, Rule: f.Cause, Subject: f.CauseSubject}
	if ref.Server == "" {
		ref.Server = server
	}
	return ref, true
}

// ExplainedBy reports whether the finding f of server is explained by the
// finding c of causeServer: the relation a page or the API orders by (a
// cause before what it explains). Server names compare as stored
// (normalised).
func ExplainedBy(server string, f Finding, causeServer string, c Finding) bool {
	ref, ok := f.CauseRef(server)
	return ok && ref.Server == causeServer && ref.Rule == c.Rule && ref.Subject == c.Subject &&
		!(server == causeServer && f.Key() == c.Key())
}

// Evidence is one fact a finding rests on, where it came from and when.
type Evidence struct {
	Fact   string    `json:"fact"`
	Source string    `json:"source"`
	At     time.Time `json:"at,omitzero"`
}

// Shells a remediation command is written for.
const (
	ShellPowerShell = "powershell" // Windows PowerShell 5.1 or PowerShell 7, elevated on the server
	ShellCmd        = "cmd"        // an elevated Command Prompt
)

// Step is one numbered remediation step. Command is exact and copyable and
// runs as typed in Shell: PowerShell unless Shell is ShellCmd ("" reads as
// PowerShell, for findings stored before the field existed).
type Step struct {
	Text    string `json:"text"`
	Command string `json:"command,omitempty"`
	Shell   string `json:"shell,omitempty"` // ShellPowerShell or ShellCmd
}

// InShell is the shell the step's command is written for.
func (s Step) InShell() string {
	if s.Shell == ShellCmd {
		return ShellCmd
	}
	return ShellPowerShell
}
