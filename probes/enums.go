package probes

// enumValues are the allowed values of each named enum used in `v:"enum=..."`
// tags. Windows names (service states, start types, levels) are the English
// .NET enum names, which PowerShell prints regardless of the display language.
func enumValues(name string) []string {
	switch name {
	case "report_schema":
		return []string{SchemaReport}
	case "client_report_schema":
		return []string{SchemaClientReport}
	case "inventory_schema":
		return []string{SchemaInventory}
	case "vantage":
		return []string{VantageServer, VantageRemote, VantageDashboard, VantageClient}
	case "vdir":
		return VDirNames()
	case "targeting":
		return []string{"client", "server"}
	case "method":
		return []string{"GET", "HEAD", "POST", "OPTIONS"}
	case "error_kind":
		return []string{ErrorDNS, ErrorConnect, ErrorTimeout, ErrorTLS, ErrorHTTP}
	case "verdict":
		return []string{VerdictOK, VerdictWarning, VerdictFault}
	case "client_certs":
		return []string{"ignore", "accept", "require"}
	case "pool_state":
		return []string{"Started", "Starting", "Stopped", "Stopping", "Unknown"}
	case "service_state":
		return []string{"Running", "Stopped", "StartPending", "StopPending", "ContinuePending", "PausePending", "Paused", "NotFound", "Unknown"}
	case "start_type":
		return []string{"Automatic", "AutomaticDelayedStart", "Manual", "Disabled", "Boot", "System"}
	case "ace_type":
		return []string{"Allow", "Deny"}
	case "event_level":
		return []string{"Critical", "Error", "Warning", "Information", "Verbose"}
	case "sync_from":
		return []string{SyncFromMicrosoftUpdate, SyncFromUpstream}
	case "server_status":
		return []string{StatusOK, StatusWarning, StatusCritical, StatusUnknown}
	case "scope":
		return Scopes()
	case "gap":
		return GapCategories()
	case "severity":
		return []string{SeverityInfo, SeverityWarning, SeverityCritical}
	case "sdlog_issue":
		return SDLogIssueKinds()
	case "update_operation":
		return []string{UpdateOpScan, UpdateOpDownload, UpdateOpInstall, UpdateOpReport, UpdateOpSelfUpdate, UpdateOpOther}
	case "client_evidence":
		return []string{EvidenceRegQuery, EvidenceWindowsUpdateLog}
	case "sync_result":
		return []string{"Succeeded", "Failed", "Canceled", "NeverRun", "Running", "Unknown"}
	}
	panic("probes: unknown enum " + name)
}

// Sync sources.
const (
	SyncFromMicrosoftUpdate = "microsoft_update"
	SyncFromUpstream        = "upstream"
)

// Error kinds of a vDir check that got no (usable) HTTP answer.
const (
	ErrorDNS     = "dns"
	ErrorConnect = "connect"
	ErrorTimeout = "timeout"
	ErrorTLS     = "tls"
	ErrorHTTP    = "http"
)

// Verdicts of a vDir check judged against DESIGN §7.1.
const (
	VerdictOK      = "ok"
	VerdictWarning = "warning"
	VerdictFault   = "fault"
)
