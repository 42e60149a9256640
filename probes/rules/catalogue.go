package rules

import "github.com/wsusfleet/wsusfleet/probes"

const (
	critical = probes.SeverityCritical
	warning  = probes.SeverityWarning
)

// catalogue is the order of evaluation: causes that explain many symptoms
// first (a stopped pool explains 503s everywhere), generic ones last.
var catalogue = []Rule{
	{"server_unreachable", critical, "The server cannot be reached", "No vDir answered from one vantage: DNS, routing, firewall or IIS.", unreachable},
	{"wsuspool_stopped", critical, "WsusPool is stopped (503 on the vDirs)", "DESIGN §7.2: 503 on most vDirs; start the pool and remove what stopped it.", poolStopped},
	{"wsuspool_memory_limit", warning, "WsusPool has a private memory limit", "DESIGN §7.4: Private Memory Limit 0; the default 1,843,200 KB recycles the pool under load.", poolMemoryLimit},
	{"wsuspool_settings", warning, "WsusPool settings differ from best practice", "DESIGN §7.4: Queue Length 2000, Idle Time-out 0, Ping off, Regular Time Interval 0.", poolSettings},
	{"wsus_service_stopped", critical, "WsusService is not running", "The WSUS service must run; event 507 says it failed its initialization.", wsusServiceStopped},
	{"iis_stopped", critical, "IIS (W3SVC) is not running", "IIS serves every WSUS vDir.", iisStopped},
	{"database_unavailable", critical, "The WSUS database is unavailable", "SUSDB on WID or SQL Server must be running and reachable.", databaseUnavailable},
	{"ssl_cert_invalid", critical, "The server's TLS certificate is not valid", "Expired, untrusted or for another name: clients in SSL mode cannot connect.", certInvalid},
	{"ssl_cert_expiring", warning, "The server's TLS certificate expires soon", "Renew within 30 days of expiry.", certExpiring},
	{"anonymous_auth_disabled", critical, "Anonymous authentication is disabled (401.2)", "DESIGN §7.1: every vDir but ApiRemoting30 needs anonymous authentication.", anonymousDisabled},
	{"iusr_credentials", critical, "The anonymous identity's credentials are rejected (401.1)", "DESIGN §7.2: make the anonymous identity consistent on all vDirs.", iusrCredentials},
	{"api_remoting_auth", warning, "ApiRemoting30 authentication differs from the reference", "DESIGN §7.1: Windows authentication only; a 401 there is healthy.", apiRemotingAuth},
	{"aspnet_impersonation", critical, "ASP.NET impersonation is enabled (500.24)", "DESIGN §7.1: impersonation must be off on every vDir.", impersonation},
	{"ssl_required_wrong", critical, "Require SSL is set where it must not be (403.4)", "DESIGN §7.1: only the SSL vDirs require SSL, and only in SSL mode.", sslRequiredWrong},
	{"client_cert_required", critical, "Client certificates are required (403.7)", "DESIGN §7.1: client certificates Ignore; Require gives 403.7 / 0x80072F0C.", clientCertRequired},
	{"ntfs_acl", critical, "NETWORK SERVICE is denied access it needs (401.3)", "DESIGN §7.5: the folders NETWORK SERVICE needs; ProcMon shows the path.", ntfsACL},
	{"selfupdate_broken", warning, "SelfUpdate does not answer", "DESIGN §7.1: the SelfUpdate tree on the WSUS port and on port 80.", selfUpdateBroken},
	{"catalog_bloat", warning, "The update catalog is bloated (more than 7,000 not-declined updates)", "DESIGN §7.2: scans time out; decline superseded updates, clean up, reindex.", catalogBloat},
	{"sync_failing", warning, "Synchronization fails", "The last synchronization failed; a downstream of a failing upstream is affected, not the cause.", syncFailing},
	{"sync_stale", warning, "No synchronization for more than 48 hours", "Stale catalogs and approvals.", syncStale},
	{"upstream_unknown", warning, "The upstream server is not part of this fleet", "A downstream syncs from a host:port no fleet server has.", upstreamUnknown},
	{"health_events", warning, "WSUS health events", "DESIGN §7.3: WSUS errors matched by ID and message; unknown ones verbatim.", healthEvents},
	{"vdir_fault", critical, "A vDir answers with a fault", "A vDir answered otherwise than DESIGN §7.1 expects, for a reason no other rule names.", vdirFault},
	{"vdir_degraded", warning, "A vDir answers slowly or oddly", "Slow answers or unexpected redirects.", vdirDegraded},
	// The client-reporting gaps of DESIGN §6, one finding per category (the
	// finding's rule is the category), after every server-wide cause.
	{"client_gaps", warning, "Clients with reporting gaps", "DESIGN §6: policy_off, wrong_server, bad_url, duplicate_id, expected_missing, never_reported, scan_ok_report_stale, stale_report, removed.", gapFindings},
}
