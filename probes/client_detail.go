package probes

import (
	"slices"
	"strconv"
	"time"
)

// ClientDetail is everything known about one computer (GET
// /api/v1/clients/{name}, the page /clients/{name}): the WSUS servers' view
// of it, its own view of its policy and the checks it made, the evidence
// sent about it, its gap, the errors it logs decoded, what explains them,
// the fix, and its history. The store fills the facts; Explain the rest.
type ClientDetail struct {
	Name      string             `json:"name"`
	Listings  []ClientRecord     `json:"listings"`  // the servers' lists that hold it
	Report    *ClientOwnView     `json:"report"`    // its latest view of itself; nil when none
	Inventory *InventoryItem     `json:"inventory"` // the directory's record of it; nil when none
	Gap       *ClientGapState    `json:"gap"`       // nil when it has none
	Evidence  []ClientEvidence   `json:"evidence"`  // newest first
	Server    string             `json:"server"`    // the fleet server it belongs to ("" when none is known)
	Findings  []Finding          `json:"server_findings"`
	Errors    []DecodedError     `json:"errors"` // most recent first
	Log       *WULogDigest       `json:"windowsupdate_log"`
	Cause     *ExplainingFinding `json:"cause"` // the server finding that explains why it does not report
	Fix       ClientFix          `json:"fix"`
	History   []ClientEvent      `json:"history"` // newest first
}

// ClientOwnView is the client's latest view of itself, from a client report
// or from evidence applied to what was known.
type ClientOwnView struct {
	ID           string        `json:"id"`
	CollectedAt  time.Time     `json:"collected_at"`
	Source       string        `json:"source"` // the collector, or "evidence regquery"
	Server       string        `json:"server"` // the fleet server its WUServer names ("" when none)
	Policy       string        `json:"policy_gap"`
	PolicyDetail string        `json:"policy_detail"`
	Client       ClientView    `json:"client"`
	VDirChecks   []VDirCheck   `json:"vdir_checks"`
	UpdateErrors []UpdateError `json:"update_errors"`
}

// ClientGapState is the gap a client is in, and since when.
type ClientGapState struct {
	Category string     `json:"category"`
	Detail   string     `json:"detail"`
	Server   string     `json:"server,omitempty"`
	Since    *time.Time `json:"since"`
	Listed   bool       `json:"listed"`
}

// DecodedError is one error the client logged, with what the catalogue
// says of it and the server finding that explains it, if one does.
type DecodedError struct {
	Time        time.Time          `json:"time"`
	Operation   string             `json:"operation"`
	Code        string             `json:"code"`
	Count       int64              `json:"count"`
	HTTPStatus  int                `json:"http_status,omitempty"` // as logged
	Source      string             `json:"source"`                // "client report" or "WindowsUpdate.log"
	Message     string             `json:"message,omitempty"`
	Known       *WUError           `json:"catalogue,omitempty"` // nil for codes the catalogue does not know
	ExplainedBy *ExplainingFinding `json:"explained_by,omitempty"`
}

// ExplainingFinding is a server finding that explains a client's symptoms.
type ExplainingFinding struct {
	Server   string `json:"server"`
	Rule     string `json:"rule"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
}

// ClientFix is what to do about a client: the steps, and what they address.
type ClientFix struct {
	About string `json:"about"`
	Steps []Step `json:"steps"`
}

// ClientEvent is one dated fact of a client's history.
type ClientEvent struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
	Ref  string    `json:"ref,omitempty"` // a document id
}

// Explain decodes the client's errors with the catalogue, finds the server
// finding that explains them (a stopped WsusPool behind 0x80244022), and
// says what to do. findings are the open findings of d.Server.
func (d *ClientDetail) Explain(findings []Finding, now time.Time) {
	d.Findings = findings
	open := map[string]Finding{}
	for _, f := range findings {
		if f.ResolvedAt == nil {
			if _, ok := open[f.Rule]; !ok {
				open[f.Rule] = f
			}
		}
	}
	explain := func(e *WUError) *ExplainingFinding {
		if e == nil {
			return nil
		}
		for _, rule := range e.Explains {
			if f, ok := open[rule]; ok {
				return &ExplainingFinding{Server: d.Server, Rule: f.Rule, Title: f.Title, Severity: f.Severity}
			}
		}
		return nil
	}
	d.Errors = []DecodedError{}
	add := func(de DecodedError) {
		if c, ok := NormalizeHRESULT(de.Code); ok {
			de.Code = c
		}
		if e, ok := LookupWUError(de.Code); ok {
			de.Known = &e
			de.ExplainedBy = explain(&e)
		}
		d.Errors = append(d.Errors, de)
	}
	if d.Report != nil {
		for _, ue := range d.Report.UpdateErrors {
			add(DecodedError{Time: ue.Time.UTC(), Operation: ue.Operation, Code: ue.Code, Count: 1, Source: "client report", Message: ue.Message})
		}
	}
	if d.Log != nil {
		for _, le := range d.Log.Errors {
			add(DecodedError{Time: le.Last, Operation: le.Operation, Code: le.Code, Count: le.Count, HTTPStatus: le.HTTPStatus,
				Source: "WindowsUpdate.log", Message: le.Example})
		}
	}
	slices.SortStableFunc(d.Errors, func(a, b DecodedError) int { return b.Time.Compare(a.Time) })
	d.Cause = nil
	for _, e := range d.Errors {
		if e.ExplainedBy != nil {
			d.Cause = e.ExplainedBy
			break
		}
	}
	if d.Cause == nil && d.Gap != nil && slices.Contains([]string{GapStaleReport, GapNeverReported, GapScanOKReportStale}, d.Gap.Category) {
		// A server-wide cause explains its stale clients even when the
		// client's own errors are not known.
		for _, rule := range serverWide {
			if f, ok := open[rule]; ok {
				d.Cause = &ExplainingFinding{Server: d.Server, Rule: f.Rule, Title: f.Title, Severity: f.Severity}
				break
			}
		}
	}
	d.Fix = clientFix(d, open)
}

// serverWide are the causes that stop every client of a server from
// reporting, most specific first (the rules attribute a server's stale
// clients to them in this order).
var serverWide = []string{"server_unreachable", "wsuspool_stopped", "wsus_service_stopped", "iis_stopped", "database_unavailable",
	"ssl_cert_invalid", "anonymous_auth_disabled", "iusr_credentials", "aspnet_impersonation", "ssl_required_wrong", "client_cert_required", "ntfs_acl"}

// clientFix decides what to do: the client's own policy first (no server
// fix helps a client that does not use it), then the server finding that
// explains it, then what its errors say.
func clientFix(d *ClientDetail, open map[string]Finding) ClientFix {
	fix := clientFixSteps(d, open)
	fix.Steps = inPowerShell(fix.Steps)
	return fix
}

func clientFixSteps(d *ClientDetail, open map[string]Finding) ClientFix {
	if d.Gap != nil {
		if steps := policyFix(d); len(steps) > 0 {
			return ClientFix{About: "its own policy (" + d.Gap.Category + "): " + d.Gap.Detail, Steps: steps}
		}
	}
	if d.Cause != nil {
		f := open[d.Cause.Rule]
		steps := slices.Clone(f.Remediation)
		steps = append(steps, ScanNow("When the server is fixed, make this client scan and report again"))
		return ClientFix{About: "its server " + d.Server + ": " + f.Title, Steps: steps}
	}
	for _, e := range d.Errors {
		if e.Known != nil {
			return ClientFix{About: e.Code + " (" + e.Known.Name + "): " + e.Known.Cause, Steps: e.Known.Fix}
		}
	}
	if d.Gap != nil {
		return ClientFix{About: d.Gap.Category + ": " + d.Gap.Detail, Steps: []Step{
			{Text: "Run the client collector on it to see its policy, its view of the WSUS URLs and its last Windows Update errors",
				Command: `.\Send-WsusFleetClientReport.ps1 -OutFile "$env:TEMP\wsusfleet-client.json"`},
			{Text: "Or paste its policy here", Command: `reg.exe query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /s`}}}
	}
	return ClientFix{}
}

// policyFix is the fix for a gap the client's own policy explains, in the
// client's own values.
func policyFix(d *ClientDetail) []Step {
	var v ClientView
	if d.Report != nil {
		v = d.Report.Client
	}
	gpupdate := Step{Text: "Refresh the policy on the client and check what it now says",
		Command: `gpupdate.exe /target:computer /force; reg.exe query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /s`}
	rescan := ScanNow("Make it scan and report")
	switch d.Gap.Category {
	case GapPolicyOff:
		steps := []Step{{Text: "On the client, see which GPOs apply and whether the WSUS one is among them",
			Command: `gpresult.exe /scope computer /r | Select-String -Pattern 'Applied Group Policy Objects' -Context 0,15`}}
		if v.Services != nil && (v.Services.WUAUServStart == "Disabled" || v.Services.BITSStart == "Disabled") {
			steps = append(steps, Step{Text: "Let the Windows Update and BITS services start",
				Command: `Set-Service -Name wuauserv -StartupType Manual; Set-Service -Name BITS -StartupType Manual; Start-Service -Name 'BITS', 'wuauserv'`})
		} else {
			steps = append(steps, Step{Text: "Enable \"Configure Automatic Updates\" (2 to 5) and \"Specify intranet Microsoft update service location\" in the GPO linked to its OU"})
		}
		return append(steps, gpupdate, rescan)
	case GapBadURL:
		url := "the server's full URL with its port"
		if wu, ok := ParseWUServer(v.WUServer); ok && d.Server != "" {
			port := wu.Port
			if port == 0 {
				port = 8530
				if wu.Scheme == "https" {
					port = 8531
				}
			}
			url = wu.Scheme + "://" + wu.Host + ":" + strconv.Itoa(port)
		}
		return []Step{{Text: "In \"Specify intranet Microsoft update service location\", set both the update service and the statistics server to " + url}, gpupdate, rescan}
	case GapWrongServer:
		return []Step{{Text: "Point \"Specify intranet Microsoft update service location\" at the right server of the fleet (its policy names " + orNone(v.WUServer) + ")"}, gpupdate, rescan}
	case GapDuplicateID:
		return []Step{{Text: "On this computer, give it a WSUS identity of its own (it shares its SusClientId with a clone)",
			Command: `Stop-Service -Name wuauserv; Remove-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate' -Name 'SusClientId', 'SusClientIdValidation' -ErrorAction SilentlyContinue; Start-Service -Name wuauserv`},
			ScanNow("Make it register with its new identity and report")}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no server"
	}
	return s
}
