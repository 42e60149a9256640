package ui

import "github.com/a-h/templ"

// ServerView is one server's page: why it is unhealthy and what to do,
// findings first, then the evidence section by section.
type ServerView struct {
	Layout
	Name       string
	Href       templ.SafeURL
	Status     string
	URL        string
	URLHref    templ.SafeURL // "" unless the URL is http(s)
	Registered bool
	LastReport Stamp
	Facts      []Fact
	Findings   []FindingView
	Plan       FixPlanView
	Reach      ReachView
	Auth       *AuthView // nil: vdir_config never collected
	Pool       *PoolView // nil: app_pool never collected
	Services   *ServicesView
	ACL        *ACLView
	Denials    DenialsView
	Events     *EventsView
	Sync       *SyncView
	Clients    ClientsView
	Evidence   EvidenceForm // "Add evidence"
}

// Fact is one labelled value.
type Fact struct {
	Label, Value string
}

// FindingView is one diagnosed cause with its evidence and remediation.
type FindingView struct {
	Rule, Severity, Subject, Title, Summary string
	ExplainedBy                             *Cause // the finding above it that explains it
	InPlan                                  bool   // a root cause: its steps are in the fix plan
	Repeated                                int    // its steps an earlier finding already lists
	Evidence                                []EvidenceRow
	Steps                                   []StepRow
	FirstSeen, LastSeen                     Stamp
}

// FixPlanView is every open root cause of the server in the order to fix
// them, each with its steps; ScriptHref downloads it as PowerShell.
type FixPlanView struct {
	Causes     []PlanCause
	Commands   int
	ScriptHref templ.SafeURL
}

// PlanCause is one root cause in the plan.
type PlanCause struct {
	Title, Rule, Severity, Subject, Why string
	Href                                templ.SafeURL // the finding below
	Explains                            int           // findings it explains
	Clears                              []Link        // those of them open on this server
	Elsewhere                           *Link         // the server its own cause is on
	Steps                               []StepRow
}

// FirstStep is the plan's first step with a command, or its first step.
func (v FixPlanView) FirstStep() *StepRow {
	if len(v.Causes) == 0 {
		return nil
	}
	for i, s := range v.Causes[0].Steps {
		if s.Command != nil {
			return &v.Causes[0].Steps[i]
		}
	}
	if len(v.Causes[0].Steps) > 0 {
		return &v.Causes[0].Steps[0]
	}
	return nil
}

// EvidenceRow is one fact a finding rests on: what, where, when.
type EvidenceRow struct {
	Fact, Source string
	At           Stamp
}

// StepRow is one numbered remediation step.
type StepRow struct {
	Text    string
	Command *Command
}

// ReachView is the vDir reachability, one group per vantage and origin.
type ReachView struct {
	Groups []VantageGroup
	Hours  int     // the history strip spans this many hours
	Probe  Command // how to send the first checks of this server
}

// VantageGroup is the latest checks from one vantage and origin.
type VantageGroup struct {
	Vantage, Label, Origin string
	CheckedAt              Stamp
	Rows                   []CheckRow
}

// CheckRow is one vDir check with its 24 h history.
type CheckRow struct {
	VDir, Path, Status, Verdict, Reason, Latency string
	History                                      []HistCell
}

// HistCell is one slot of a history strip.
type HistCell struct {
	X       int
	Verdict string // "" when nothing was checked in the slot
	Title   string
}

// AuthView compares each vDir's IIS configuration with the WSUS reference
// (DESIGN §7.1).
type AuthView struct {
	At         Stamp
	SSL        string // "on", "off" or "unknown": what Require SSL is judged against
	Rows       []AuthRow
	Missing    []string // reference vDirs absent from the configuration
	Mismatches int
}

// AuthRow is one vDir's settings, each against its expected value.
type AuthRow struct {
	VDir  string
	Cells []ConfigCell
	Path  string
}

// ConfigCell is a setting: its value, what §7.1 expects, whether it differs.
type ConfigCell struct {
	Value    string
	Expected string // "" when anything goes
	Bad      string // "", "mismatch" (fault) or "mismatch-warn" (best practice)
}

// PoolView compares WsusPool with DESIGN §7.4.
type PoolView struct {
	Name       string
	At         Stamp
	Rows       []SettingRow
	Mismatches int
}

// SettingRow is one setting against its recommended value.
type SettingRow struct {
	Setting, Value, Recommended, Default string
	Bad                                  string // as ConfigCell.Bad
	Command                              *Command
}

// ServicesView lists the Windows services.
type ServicesView struct {
	At   Stamp
	Rows []ServiceRow
}

// ServiceRow is one service.
type ServiceRow struct {
	Name, State, StartType string
	Bad                    bool
}

// ACLView compares the folder permissions with DESIGN §7.5.
type ACLView struct {
	At       Stamp
	Required []ACLNeed
	Entries  []ACLRow
}

// ACLNeed is one permission NETWORK SERVICE needs, and what was found.
type ACLNeed struct {
	Folder, Need, Path, Found string
	State                     string // ok, missing, unknown
	Command                   *Command
}

// ACLRow is one access-control entry as collected.
type ACLRow struct {
	Path, Principal, Rights, Type string
	Inherited, Deny               bool
}

// DenialsView shows what ProcMon and the IIS log say was denied.
type DenialsView struct {
	ProcMon *ProcMonView // nil until a capture is uploaded
	IISLog  *IISLogView  // nil until a log is uploaded
	Upload  []Command    // how to send what is missing
}

// ProcMonView is the latest Process Monitor capture, filtered as the guide says.
type ProcMonView struct {
	At                 Stamp
	Rows, Denied, Kept int64
	Groups             []DenialRow
	Fixes              []Command // the grants that fix them
	Others             []string  // denials of processes the guide does not look at
}

// DenialRow is one process denied one operation on one path.
type DenialRow struct {
	Process, Operation, Path, Span, Right string
	Count                                 int64
}

// IISLogView is the latest IIS log's faults.
type IISLogView struct {
	File                  string
	At, First, Last       Stamp
	Lines, Skipped, Other int64
	Faults                []IISLogRow
}

// IISLogRow is one vDir × status.substatus with 4xx/5xx answers.
type IISLogRow struct {
	VDir, Status         string
	Requests, WUA, MaxMS int64
	Clients              int64
	Top                  []string
	LastHour             Stamp
}

// EventsView lists the WSUS events, newest first.
type EventsView struct {
	At   Stamp
	Rows []EventRow
}

// EventRow is one Application log entry.
type EventRow struct {
	At                                Stamp
	ID, Level, Class, Source, Message string
	Meaning                           string // from DESIGN §7.3, "" when unknown
}

// SyncView is the synchronisation source and last run.
type SyncView struct {
	At           Stamp
	From         string
	Upstream     string
	UpstreamHref templ.SafeURL // the fleet server it names; "" when none
	Problem      string        // what is wrong with how it names its upstream
	Mode         string
	Last         SyncCell
	Started      Stamp
	Finished     Stamp
	Duration     string
	Error        string
}

// ClientsView is the client-gap section: histogram, categories, the table.
type ClientsView struct {
	Total, Stale, Never, Removed int64
	StaleAfter                   string // the stale threshold, e.g. "7 days"
	Histogram                    []Bar
	Categories                   []Chip
	Gap, Query, Sort             string // Gap: the DESIGN §6 category shown, "" for all
	Cause                        *Cause // the server-wide finding its stale clients are attributed to
	Unlisted                     int64  // computers of the category this server should list but does not
	UnlistedHref                 templ.SafeURL
	Action                       templ.SafeURL // the filter form's action
	Columns                      []Column
	Rows                         []ClientRow
	Matching                     int64
	Next, First                  templ.SafeURL
	CSV                          templ.SafeURL
	Error                        string
}

// Bar is one bar of the last-report age histogram.
type Bar struct {
	Label, Count, Class string
	Y, Width            int
}

// ClientRow is one computer target.
type ClientRow struct {
	Name, IP, OS, Groups, SyncResult, Gap, GapClass, GapDetail string
	LastReport, LastSync, Removed                              Stamp
}
