package rules

import "github.com/wsusfleet/wsusfleet/probes"

const (
	critical = probes.SeverityCritical
	warning  = probes.SeverityWarning
	info     = probes.SeverityInfo
)

// catalogue is the order of evaluation: causes that explain many symptoms
// first (a stopped pool explains 503s everywhere), generic ones last. Each
// rule's evidence, severity, what it explains and its source are in
// docs/rules.md; the reference tables are DESIGN §7.
var catalogue = []Rule{
	{"collector_failed", warning, "The collector on the server could not run", "The server's collector said why it could not collect (collector.error): the other sections are from earlier runs or missing.", collectorFailed},
	{"server_unreachable", critical, "The server cannot be reached", "No vDir answered from one vantage: DNS, routing, firewall or IIS.", unreachable},
	{"wsus_service_stopped", critical, "WsusService is not running", "The WSUS service must run; event 507 says it failed its initialization.", wsusServiceStopped},
	{"iis_stopped", critical, "IIS (W3SVC) is not running", "IIS serves every WSUS vDir.", iisStopped},
	{"wsuspool_stopped", critical, "WsusPool is stopped", "(Nearly) every request fails with 503: the pool is stopped, often by rapid-fail protection after recycling at its memory limit.", poolStopped},
	{"wsuspool_recycling", warning, "WsusPool is overloaded or recycling", "Sporadic 503s among successes, a full request queue or worker process failures: recycles at the memory limit, or too short a queue.", poolRecycling},
	{"wsuspool_memory_limit", warning, "WsusPool has a private memory limit", "Best practice is no limit (0); the default 1,843,200 KB recycles the pool under scan load.", poolMemoryLimit},
	{"wsuspool_settings", warning, "WsusPool settings differ from best practice", "Queue Length 2000, Idle Time-out 0, Ping off, Regular Time Interval 0.", poolSettings},
	{"database_unavailable", critical, "The WSUS database is unavailable", "SUSDB on the Windows Internal Database or SQL Server must be running and reachable.", databaseUnavailable},
	{"database_performance", warning, "SUSDB answers too slowly (SQL timeouts)", "SQL timeouts and deadlocks: scans and reports time out until the database is maintained.", databasePerformance},
	{"ssl_cert_invalid", critical, "The server's TLS certificate is not valid", "Expired, untrusted or for another name: clients in SSL mode cannot connect.", certInvalid},
	{"ssl_cert_expiring", warning, "The server's TLS certificate expires soon", "A valid certificate expires within the warning period (serve --cert-warning-days, 30 days by default); critical within 7 days.", certExpiring},
	{"anonymous_auth_disabled", critical, "Anonymous authentication is disabled (401.2)", "Every vDir but ApiRemoting30 needs anonymous authentication.", anonymousDisabled},
	{"iusr_credentials", critical, "IIS cannot log on the anonymous identity (401.1)", "401.1 on an anonymous vDir that the client never gets past: the anonymous identity's logon fails.", iusrCredentials},
	{"api_remoting_auth", warning, "ApiRemoting30 authentication differs from the reference", "Windows authentication only; a 401 there is healthy.", apiRemotingAuth},
	{"aspnet_impersonation", critical, "ASP.NET impersonation is enabled (500.24)", "Impersonation must be off on every vDir; with it on, IIS answers 500.24.", impersonation},
	{"ssl_required_wrong", critical, "Require SSL is set where it must not be (403.4)", "Only the SSL vDirs require SSL, and only in SSL mode.", sslRequiredWrong},
	{"client_cert_required", critical, "Client certificates are required (403.7)", "Client certificates must be Ignore; Require gives 403.7 and client error 0x80072F0C.", clientCertRequired},
	{"ntfs_acl", critical, "An account WSUS runs as is denied access it needs", "401.3, Process Monitor denials or missing ACLs on the folders and key NETWORK SERVICE needs.", ntfsACL},
	{"selfupdate_broken", warning, "SelfUpdate does not answer", "The SelfUpdate tree on the WSUS port (event 506).", selfUpdateBroken},
	{"selfupdate_port80", warning, "SelfUpdate is not served on port 80 (legacy clients only)", "Older agents look for SelfUpdate on port 80; current ones use the WSUS port.", selfUpdatePort80},
	{"catalog_bloat", warning, "The update catalog is bloated (more than 7,000 not-declined updates)", "Scans time out; decline superseded updates, clean up, reindex.", catalogBloat},
	{"scan_failures", critical, "Client scans fail on ClientWebService (500 after tens of seconds)", "A high share of scans answered 500 after a long wait: they time out.", scanFailures},
	{"invalid_parameters", warning, "Clients' requests are refused with InvalidParameters", "ClientWebService refuses requests as malformed (SoftwareDistribution.log).", invalidParameters},
	{"upstream_misconfigured", warning, "The upstream setting does not match how the upstream serves", "A downstream names its upstream with a port it does not serve, HTTPS on its HTTP port, or plain HTTP to its HTTPS port or while it is in SSL mode.", upstreamMisconfigured},
	{"sync_failing", warning, "Synchronization fails", "The last synchronization failed; a downstream of a failing upstream is affected, not the cause.", syncFailing},
	{"sync_stale", warning, "No synchronization for more than 48 hours", "Stale catalogs and approvals.", syncStale},
	{"upstream_unknown", warning, "The upstream server is not part of this fleet", "A downstream syncs from a host:port no fleet server has.", upstreamUnknown},
	{"health_events", warning, "WSUS health events", "WSUS errors matched by ID and message, read by their exception; unknown ones verbatim.", healthEvents},
	{"wsus_log_errors", info, "SoftwareDistribution.log errors", "SOAP exceptions, failed content downloads and other errors WSUS logged.", wsusLogErrors},
	{"slow_clients", info, "HTTP.sys dropped slow clients", "Timer_MinBytesPerSecond, Timer_EntityBody, Timer_HeaderWait in the HTTPERR log: slow links or clients.", slowClients},
	{"vdir_fault", critical, "A vDir answers with a fault", "A vDir answered otherwise than the reference expects, for a reason no other rule names.", vdirFault},
	{"vdir_degraded", warning, "A vDir answers slowly or oddly", "Slow answers or unexpected redirects.", vdirDegraded},
	// The client-reporting gaps, one finding per category (the finding's
	// rule is the category), after every server-wide cause (DESIGN §6).
	{"client_gaps", warning, "Clients with reporting gaps", "One finding per gap category: policy_off, wrong_server, bad_url, duplicate_id, expected_missing, never_reported, scan_ok_report_stale, stale_report, removed.", gapFindings},
}
