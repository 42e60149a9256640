package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func ip(i int) *int                  { return &i }
func i64(i int64) *int64             { return &i }
func bp(b bool) *bool                { return &b }
func at(d time.Duration) probes.Time { return probes.TimeOf(now.Add(-d)) }

// healthy is a WSUS server as DESIGN §7 wants it: no rule may fire.
func healthy() *probes.ServerState {
	st := &probes.ServerState{Name: "wsus01.corp.example", Status: probes.StatusOK, Collected: map[string]time.Time{}}
	for _, v := range probes.VDirs() {
		c := probes.VDirCheck{VDir: v.Name, URL: "http://wsus01.corp.example:8530" + v.Path, Method: "GET", Status: v.Healthy[0], LatencyMS: 12}
		if v.WindowsAuth {
			c.WWWAuthenticate = []string{"Negotiate", "NTLM"}
		}
		st.VDirChecks = append(st.VDirChecks, observed(c))
		st.VDirConfig = append(st.VDirConfig, probes.VDirConfig{VDir: v.Name, Anonymous: v.Anonymous, AnonymousUser: "IUSR", WindowsAuth: v.WindowsAuth, ClientCerts: "ignore", AppPool: "WsusPool"})
	}
	nd := 4200
	st.Server = &probes.ServerInfo{Name: st.Name, HTTPPort: 8530, HTTPSPort: 8531, ContentDir: `D:\WSUS\WsusContent`, NotDeclinedUpdates: &nd}
	st.AppPool = &probes.AppPool{Name: "WsusPool", State: "Started", PrivateMemoryKB: i64(0), QueueLength: i64(2000), IdleTimeoutMin: i64(0), PingEnabled: bp(false), PeriodicRestartMin: i64(0)}
	st.Services = []probes.Service{{Name: "WsusService", State: "Running"}, {Name: "W3SVC", State: "Running"}, {Name: "MSSQL$MICROSOFT##WID", State: "Running"}}
	ns := `NT AUTHORITY\NETWORK SERVICE`
	st.ACLs = []probes.ACL{
		{Path: `D:\WSUS\WsusContent`, Principal: ns, Rights: []string{"FullControl"}},
		{Path: `C:\Windows\Temp`, Principal: ns, Rights: []string{"FullControl"}},
		{Path: `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files`, Principal: ns, Rights: []string{"FullControl"}},
		{Path: `C:\Program Files\Update Services\WebServices`, Principal: ns, Rights: []string{"ReadAndExecute", "Synchronize"}},
	}
	st.Events = []probes.Event{}
	st.Sync = &probes.Sync{From: probes.SyncFromMicrosoftUpdate, Last: &probes.SyncRun{StartedAt: at(3 * time.Hour), FinishedAt: at(170 * time.Minute), Result: "Succeeded"}}
	return st
}

func observed(c probes.VDirCheck) probes.ObservedCheck {
	c.Verdict, c.Reason = probes.Judge(c, now)
	return probes.ObservedCheck{VDirCheck: c, Vantage: probes.VantageDashboard, CheckedAt: now}
}

// set changes one vDir's check and judges it again.
func set(st *probes.ServerState, vdir string, change func(c *probes.VDirCheck)) {
	for i, c := range st.VDirChecks {
		if c.VDir == vdir {
			change(&c.VDirCheck)
			st.VDirChecks[i] = observed(c.VDirCheck)
		}
	}
}

func all(st *probes.ServerState, change func(c *probes.VDirCheck)) {
	for _, v := range probes.VDirNames() {
		set(st, v, change)
	}
}

func cfg(st *probes.ServerState, vdir string, change func(c *probes.VDirConfig)) {
	for i := range st.VDirConfig {
		if st.VDirConfig[i].VDir == vdir {
			change(&st.VDirConfig[i])
		}
	}
}

func wsusEvent(id int, msg string) probes.Event {
	return probes.Event{ID: id, Source: "Windows Server Update Services", Level: "Error", Time: at(time.Hour), Message: msg}
}

func logOf(totals ...probes.IISLogTotal) *probes.IISLogSummary {
	return &probes.IISLogSummary{File: "u_ex261121.log", Totals: totals}
}

func fleetOf(servers map[string]probes.FleetServer) func(string, int) (probes.FleetServer, bool) {
	return func(host string, port int) (probes.FleetServer, bool) {
		s, ok := servers[host]
		return s, ok
	}
}

func TestHealthyServerHasNoFindings(t *testing.T) {
	if got := Diagnose(probes.Facts{State: healthy(), Now: now, Upstream: fleetOf(nil)}); len(got) != 0 {
		t.Fatalf("a healthy server has findings: %+v", got)
	}
}

// upstreams is the fleet a downstream of the scenarios may sync from.
var upstreams = fleetOf(map[string]probes.FleetServer{
	"wsus-hq.corp.example": {Name: "wsus-hq.corp.example", Status: probes.StatusOK},
	"wsus-west.corp.example": {Name: "wsus-west.corp.example", Status: probes.StatusCritical, WatchedSince: now.Add(-90 * 24 * time.Hour),
		Findings: []probes.FleetFinding{{Rule: "wsuspool_stopped", Severity: critical, Title: "WsusPool is stopped", FirstSeen: now.Add(-3 * time.Hour)}}},
	// Watched for months; its pool was first seen stopped an hour ago.
	"wsus-late.corp.example": {Name: "wsus-late.corp.example", Status: probes.StatusCritical, WatchedSince: now.Add(-90 * 24 * time.Hour),
		Findings: []probes.FleetFinding{{Rule: "wsuspool_stopped", Severity: critical, Title: "WsusPool is stopped", FirstSeen: now.Add(-time.Hour)}}},
	"wsus-east.corp.example": {Name: "wsus-east.corp.example", Status: probes.StatusCritical, WatchedSince: now.Add(-90 * 24 * time.Hour),
		Findings: []probes.FleetFinding{{Rule: "catalog_bloat", Severity: critical, Title: "The update catalog is bloated", FirstSeen: now.Add(-3 * time.Hour)}}},
	// Upstreams whose own reports give their ports and SSL mode.
	"wsus-ssl.corp.example":   {Name: "wsus-ssl.corp.example", Status: probes.StatusOK, Ports: probes.ServerPorts{HTTP: 8530, HTTPS: 8531, SSL: &yes}},
	"wsus-plain.corp.example": {Name: "wsus-plain.corp.example", Status: probes.StatusOK, Ports: probes.ServerPorts{HTTP: 8530, HTTPS: 8531, SSL: &no}},
})

var yes, no = true, false

func downstreamOf(host string) func(st *probes.ServerState) {
	return func(st *probes.ServerState) {
		st.Sync = &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: host, Port: 8530, Replica: true},
			Last: &probes.SyncRun{StartedAt: at(time.Hour), FinishedAt: at(59 * time.Minute), Result: "Failed", Error: "(503) Server Unavailable"}}
	}
}

// scenario is one server state (a healthy server changed) and what the
// diagnosis must say about it.
type scenario struct {
	name     string
	change   func(st *probes.ServerState)
	want     []string // the rules that fire, in order
	severity string   // of the first finding, when set
	says     string   // in the first finding's title, summary, evidence or commands
	// facts adds what is not state (gaps, timing); not are words no finding may contain.
	facts func(f *probes.Facts)
	not   []string
}

// diagnose runs a scenario.
func (sc scenario) diagnose() []probes.Finding { return Diagnose(sc.factsWith(nil)) }

// factsWith is what a scenario diagnoses, its server changed further by
// more (when not nil).
func (sc scenario) factsWith(more func(st *probes.ServerState)) probes.Facts {
	st := healthy()
	sc.change(st)
	if more != nil {
		more(st)
	}
	f := probes.Facts{State: st, Now: now, Upstream: upstreams}
	if sc.facts != nil {
		sc.facts(&f)
	}
	return f
}

// scenarios are every scenario of the package: the catalogue's table here,
// and the deeper ones of the other test files.
func scenarios() []scenario {
	return slices.Concat(ruleScenarios(), eventScenarios(), poolScenarios(), authScenarios(), causeScenarios(), upstreamScenarios())
}

func ruleScenarios() []scenario {
	expired := &probes.TLSInfo{Subject: "CN=wsus01", NotAfter: at(24 * time.Hour), ChainValid: false, NameMatches: true, Error: "certificate has expired"}
	type brief struct {
		name     string
		change   func(st *probes.ServerState)
		want     []string
		severity string
		says     string
	}
	briefs := []brief{
		{"pool stopped: 503 everywhere", func(st *probes.ServerState) {
			all(st, func(c *probes.VDirCheck) { c.Status, c.Server = 503, "Microsoft-HTTPAPI/2.0" })
		},
			[]string{"wsuspool_stopped"}, critical, `& "$env:windir\system32\inetsrv\appcmd.exe" start apppool /apppool.name:"WsusPool"`},
		{"pool stopped at its memory limit", func(st *probes.ServerState) { st.AppPool.State, st.AppPool.PrivateMemoryKB = "Stopped", i64(1843200) },
			[]string{"wsuspool_stopped"}, critical, "Private Memory Limit is 1,843,200 KB"},
		// The collector's own messages (Send-WsusFleetReport.ps1), as sent.
		{"collector on PowerShell 4.0", func(st *probes.ServerState) {
			st.Collector = &probes.Collector{Name: "Send-WsusFleetReport.ps1", Version: "1.4.0", Host: "WSUS01", Vantage: probes.VantageServer,
				Error: "Send-WsusFleetReport.ps1 needs Windows PowerShell 5.1, and this is PowerShell 4.0. Install Windows Management Framework 5.1 (https://aka.ms/wmf51download; it needs .NET Framework 4.5.2 or later) and run it again."}
			st.Collected[probes.SectionCollector] = now.Add(-time.Hour)
		}, []string{"collector_failed"}, warning, "$PSVersionTable.PSVersion"},
		{"collector without the WSUS API", func(st *probes.ServerState) {
			st.Collector = &probes.Collector{Name: "Send-WsusFleetReport.ps1", Version: "1.4.0", Host: "WSUS01", Vantage: probes.VantageServer,
				Error: "the WSUS administration API is not installed (Could not load file or assembly 'Microsoft.UpdateServices.Administration'). Install it with: Install-WindowsFeature UpdateServices-API"}
		}, []string{"collector_failed"}, warning, "Install-WindowsFeature UpdateServices-API"},
		// Negative: a collector run that completed says nothing.
		{"collector ran", func(st *probes.ServerState) {
			st.Collector = &probes.Collector{Name: "Send-WsusFleetReport.ps1", Version: "1.4.0", Host: "WSUS01", Vantage: probes.VantageServer}
		}, nil, "", ""},
		{"memory limit only", func(st *probes.ServerState) { st.AppPool.PrivateMemoryKB = i64(1843200) },
			[]string{"wsuspool_memory_limit"}, warning, "privateMemory:0"},
		{"pool settings", func(st *probes.ServerState) { st.AppPool.QueueLength, st.AppPool.PingEnabled = i64(1000), bp(true) },
			[]string{"wsuspool_settings"}, warning, "/queueLength:2000"},
		{"anonymous off on ClientWebService, seen by the prober", func(st *probes.ServerState) {
			set(st, "ClientWebService", func(c *probes.VDirCheck) { c.Status, c.WWWAuthenticate = 401, []string{"Negotiate", "NTLM"} })
		}, []string{"anonymous_auth_disabled"}, critical, `"WSUS Administration/ClientWebService" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:"True"`},
		{"anonymous off in the IIS configuration", func(st *probes.ServerState) {
			cfg(st, "SimpleAuthWebService", func(c *probes.VDirConfig) { c.Anonymous, c.WindowsAuth = false, true })
		}, []string{"anonymous_auth_disabled"}, critical, "windowsAuthentication"},
		{"401.2 in the IIS log", func(st *probes.ServerState) {
			st.IISLog = logOf(probes.IISLogTotal{VDir: "ClientWebService", Status: 401, Substatus: ip(2), Requests: 840, WUA: 840, LastHour: at(time.Hour)})
		}, []string{"anonymous_auth_disabled"}, critical, "840 requests to ClientWebService answered 401.2"},
		{"401.1: IUSR rejected", func(st *probes.ServerState) {
			set(st, "ClientWebService", func(c *probes.VDirCheck) { c.Status, c.Substatus = 401, ip(1) })
		},
			[]string{"iusr_credentials"}, critical, "-Location 'WSUS Administration/ClientWebService' -Filter 'system.webServer/security/authentication/anonymousAuthentication' -Name userName -Value 'IUSR'"},
		// Content running as the pool identity is WSUS's normal setup, not a fault.
		{"Content runs as the pool identity", func(st *probes.ServerState) {
			cfg(st, "Content", func(c *probes.VDirConfig) { c.AnonymousUser = "Application pool identity" })
		}, nil, "", ""},
		{"anonymous identities differ without a 401.1", func(st *probes.ServerState) {
			cfg(st, "ReportingWebService", func(c *probes.VDirConfig) { c.AnonymousUser = `CORP\svc-wsus-anon` })
		}, nil, "", ""},
		{"ApiRemoting30 answers anonymously", func(st *probes.ServerState) {
			set(st, "ApiRemoting30", func(c *probes.VDirCheck) { c.Status, c.WWWAuthenticate = 200, nil })
		}, []string{"api_remoting_auth"}, warning, "windowsAuthentication"},
		{"impersonation: 500.24", func(st *probes.ServerState) {
			all(st, func(c *probes.VDirCheck) { c.Status, c.Substatus = 500, ip(24) })
		},
			[]string{"aspnet_impersonation"}, critical, "system.web/identity /impersonate:false"},
		{"a lone event 7053 is the console's generic error", func(st *probes.ServerState) {
			st.Events = []probes.Event{wsusEvent(7053, "The WSUS administration console has encountered an unexpected error. This may be a transient error; try restarting the administration console.")}
		}, []string{"health_events"}, warning, "the console's generic error"},
		{"event 7053 with an HTML error page", func(st *probes.ServerState) {
			st.Events = []probes.Event{wsusEvent(7053, console7053HTML)}
		}, []string{"aspnet_impersonation"}, warning, "may be enabled"},
		{"impersonation in the configuration", func(st *probes.ServerState) {
			cfg(st, "ClientWebService", func(c *probes.VDirConfig) { c.ASPNETImpersonation = true })
		}, []string{"aspnet_impersonation"}, critical, `"WSUS Administration/ClientWebService" -section:system.web/identity /impersonate:false`},
		{"Content requires SSL", func(st *probes.ServerState) { cfg(st, "Content", func(c *probes.VDirConfig) { c.RequireSSL = true }) },
			[]string{"ssl_required_wrong"}, critical, "/sslFlags:None"},
		{"403.4 on Content", func(st *probes.ServerState) { set(st, "Content", func(c *probes.VDirCheck) { c.Substatus = ip(4) }) },
			[]string{"ssl_required_wrong"}, critical, "Content"},
		{"client certificates required", func(st *probes.ServerState) {
			cfg(st, "ClientWebService", func(c *probes.VDirConfig) { c.ClientCerts = "require" })
		},
			[]string{"client_cert_required"}, critical, "Ignore"},
		{"401.3 on Content", func(st *probes.ServerState) {
			set(st, "Content", func(c *probes.VDirCheck) { c.Status, c.Substatus = 401, ip(3) })
		},
			[]string{"ntfs_acl"}, critical, `icacls "D:\WSUS\WsusContent" /grant '*S-1-5-17:(OI)(CI)RX'`},
		{"NETWORK SERVICE lost WsusContent", func(st *probes.ServerState) { st.ACLs[0].Principal = `BUILTIN\Administrators` },
			[]string{"ntfs_acl"}, critical, `NETWORK SERVICE has no Full Control on D:\WSUS\WsusContent`},
		{"ProcMon denials", func(st *probes.ServerState) {
			st.Denials = &probes.DenialDigest{Groups: []probes.Denial{{Process: "w3wp.exe", Path: `C:\Windows\Temp\x.tmp`, Operation: "CreateFile", Count: 12,
				Remediation: []probes.Step{probes.GrantCommand(`C:\Windows\Temp`, probes.RightFullControl)}}}}
		}, []string{"ntfs_acl"}, critical, "w3wp.exe was denied CreateFile"},
		{"event 12072 refused with 401", func(st *probes.ServerState) {
			st.Events = []probes.Event{wsusEvent(12072, "The WSUS content directory is not accessible.\r\nSystem.Net.WebException: The remote server returned an error: (401) Unauthorized.\r\n   at System.Net.HttpWebRequest.GetResponse()")}
		}, []string{"ntfs_acl"}, warning, "event 12072"},
		// Read the exception: a 12072 carrying a 503 is the pool, not NTFS.
		{"event 12072 carrying a 503", func(st *probes.ServerState) {
			st.Events = []probes.Event{wsusEvent(12072, event12072With503)}
		}, []string{"wsuspool_recycling"}, warning, "answered 503 Server Unavailable to WSUS's health check"},
		{"expired certificate", func(st *probes.ServerState) { all(st, func(c *probes.VDirCheck) { c.TLS = expired }) },
			[]string{"ssl_cert_invalid"}, critical, "has expired"},
		{"certificate expires in 10 days", func(st *probes.ServerState) {
			all(st, func(c *probes.VDirCheck) {
				c.TLS = &probes.TLSInfo{NotAfter: probes.TimeOf(now.Add(10 * 24 * time.Hour)), ChainValid: true, NameMatches: true}
			})
		}, []string{"ssl_cert_expiring"}, warning, "in 10 days"},
		{"SelfUpdate missing", func(st *probes.ServerState) { set(st, "SelfUpdate", func(c *probes.VDirCheck) { c.Status = 404 }) },
			[]string{"selfupdate_broken"}, warning, `Get-WebVirtualDirectory -Site 'WSUS Administration' -Name selfupdate`},
		{"event 506", func(st *probes.ServerState) {
			st.Events = []probes.Event{wsusEvent(506, "The SelfUpdate Tree is not working.")}
		},
			[]string{"selfupdate_broken"}, warning, "event 506"},
		{"WsusService stopped", func(st *probes.ServerState) { st.Services[0].State = "Stopped" },
			[]string{"wsus_service_stopped"}, critical, "Start-Service WsusService"},
		{"event 507", func(st *probes.ServerState) {
			st.Events = []probes.Event{wsusEvent(507, "Update Services failed its initialization and stopped.")}
		}, []string{"wsus_service_stopped"}, critical, "event 507"},
		{"W3SVC stopped", func(st *probes.ServerState) { st.Services[1].State = "Stopped" }, []string{"iis_stopped"}, critical, "Start-Service 'WAS', 'W3SVC'"},
		{"WID stopped", func(st *probes.ServerState) { st.Services[2].State = "Stopped" },
			[]string{"database_unavailable"}, critical, "MSSQL$MICROSOFT##WID"},
		{"bloat with failing scans", func(st *probes.ServerState) {
			*st.Server.NotDeclinedUpdates = 8200
			set(st, "ClientWebService", func(c *probes.VDirCheck) { c.Status, c.LatencyMS = 500, 45000 })
		}, []string{"catalog_bloat"}, critical, "Deny-WsusUpdate"},
		{"bloat without symptoms", func(st *probes.ServerState) { *st.Server.NotDeclinedUpdates = 8200 }, []string{"catalog_bloat"}, warning, "8,200 updates"},
		{"sync failing from Microsoft Update", func(st *probes.ServerState) { st.Sync.Last.Result, st.Sync.Last.Error = "Failed", "proxy refused" },
			[]string{"sync_failing"}, warning, "proxy refused"},
		{"a replica of an upstream whose pool is stopped is affected", downstreamOf("wsus-west.corp.example"),
			[]string{"sync_failing"}, warning, "because of upstream wsus-west.corp.example: WsusPool is stopped"},
		{"a replica of an upstream with an unrelated finding is not explained by it", downstreamOf("wsus-east.corp.example"),
			[]string{"sync_failing"}, warning, "Synchronization fails"},
		{"sync stale", func(st *probes.ServerState) {
			st.Sync.Last.StartedAt, st.Sync.Last.FinishedAt = at(5*24*time.Hour), at(5*24*time.Hour)
		},
			[]string{"sync_stale"}, warning, "5 days ago"},
		{"never synchronized", func(st *probes.ServerState) { st.Sync.Last = &probes.SyncRun{Result: "NeverRun"} }, []string{"sync_stale"}, warning, "never"},
		{"upstream not in the fleet", downstreamOf("wsus-old.corp.example"), []string{"sync_failing", "upstream_unknown"}, warning, ""},
		{"a known healthy upstream", func(st *probes.ServerState) {
			downstreamOf("wsus-hq.corp.example")(st)
			st.Sync.Last.Result = "Succeeded"
		}, nil, "", ""},
		{"event 12042 by ID and text", func(st *probes.ServerState) {
			st.Events = []probes.Event{wsusEvent(12042, "The SimpleAuth Web Service is not working.")}
		},
			[]string{"health_events"}, critical, "SimpleAuthWebService"},
		{"event ID known, message differs", func(st *probes.ServerState) { st.Events = []probes.Event{wsusEvent(12022, "Something else entirely.")} },
			[]string{"health_events"}, critical, "Matched by event ID only"},
		{"unknown WSUS event shown verbatim", func(st *probes.ServerState) {
			st.Events = []probes.Event{wsusEvent(13050, "A brand new failure of some part.")}
		},
			[]string{"health_events"}, warning, "A brand new failure of some part."},
		{"other sources are not WSUS health", func(st *probes.ServerState) {
			st.Events = []probes.Event{{ID: 7000, Source: "SMS Server", Level: "Error", Time: at(time.Hour), Message: "WSUS Control Manager failed"}}
		}, nil, "", ""},
		{"unreachable", func(st *probes.ServerState) {
			all(st, func(c *probes.VDirCheck) {
				c.Status, c.ErrorKind, c.Error = 0, probes.ErrorConnect, "connection refused"
			})
		}, []string{"server_unreachable"}, critical, "Test-NetConnection 'wsus01.corp.example' -Port 8530"},
		{"an unexplained fault", func(st *probes.ServerState) {
			set(st, "ClientWebService", func(c *probes.VDirCheck) { c.Status = 404 })
		},
			[]string{"vdir_fault"}, critical, "ClientWebService: 404 Not Found"},
		{"a slow vDir", func(st *probes.ServerState) {
			set(st, "SimpleAuthWebService", func(c *probes.VDirCheck) { c.LatencyMS = 4200 })
		},
			[]string{"vdir_degraded"}, warning, "slow"},
		{"SQL timeouts in SoftwareDistribution.log", func(st *probes.ServerState) {
			st.SDLog = sdlog(sqlTimeouts(37))
		}, []string{"database_performance"}, warning, "37 entries of SQL timeouts from SUSDB"},
		{"SUSDB unreachable in SoftwareDistribution.log", func(st *probes.ServerState) {
			st.SDLog = sdlog(probes.SDLogIssue{Kind: probes.SDLogSQLUnavailable, Component: "WsusService.9", Count: 12, First: at(3 * time.Hour), Last: at(time.Minute),
				Example: "System.Data.SqlClient.SqlException (0x80131904): A network-related or instance-specific error occurred while establishing a connection to SQL Server."})
		}, []string{"database_unavailable"}, critical, "saying SUSDB could not be reached"},
		{"SelfUpdate only missing on port 80", func(st *probes.ServerState) {
			st.VDirChecks = append(st.VDirChecks, observed(probes.VDirCheck{VDir: "SelfUpdate", URL: "http://wsus01.corp.example/selfupdate/wuident.cab", Method: "GET",
				ErrorKind: probes.ErrorConnect, Error: "dial tcp 10.0.0.5:80: connect: connection refused"}))
		}, []string{"selfupdate_port80"}, warning, "legacy clients only"},
		{"a third of the scans fail after 95 s (no update count reported)", func(st *probes.ServerState) {
			st.Server.NotDeclinedUpdates = nil
			st.IISLog = mustIISLog(scanStorm(90)...)
		}, []string{"scan_failures"}, critical, "33% of the scans in the IIS log failed with 500"},
		{"clients refused with InvalidParameters", func(st *probes.ServerState) {
			st.SDLog = sdlog(probes.SDLogIssue{Kind: probes.SDLogInvalidParameters, Component: "w3wp.33", Count: 412, First: at(20 * time.Hour), Last: at(time.Minute),
				Example: "ThrowException: actor = http://wsus01.corp.example:8530/ClientWebService/client.asmx, ID=3f1e2d6c-0b5a-4c1e-9b8e-2f0c1d4e5a6b, ErrorCode=InvalidParameters, Message=parameters.InstalledNonLeafUpdateIDs, Client=b1f4a2c3-1111-2222-3333-444455556666"})
		}, []string{"invalid_parameters"}, critical, `value="800"`},
		{"SOAP exceptions in SoftwareDistribution.log", func(st *probes.ServerState) {
			st.SDLog = sdlog(probes.SDLogIssue{Kind: probes.SDLogSOAPException, Component: "w3wp.21", Count: 9, First: at(5 * time.Hour), Last: at(time.Minute),
				Example: "System.Web.Services.Protocols.SoapException: Fault occurred\n   at Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)"})
		}, []string{"wsus_log_errors"}, warning, "9 entries of SOAP exceptions"},
		{"slow clients in the HTTPERR log", func(st *probes.ServerState) {
			st.HTTPErr = httperr(probes.HTTPErrGroup{Reason: "Timer_MinBytesPerSecond", Queue: "WsusPool", Port: 8530, Count: 214, Clients: 38,
				Example: "/Content/5F/5F1D7C0E2B3A4C5D6E7F8091A2B3C4D5E6F70819.cab", First: at(20 * time.Hour), Last: at(time.Hour)})
		}, []string{"slow_clients"}, info, "Timer_MinBytesPerSecond"},
	}
	out := make([]scenario, len(briefs))
	for i, b := range briefs {
		out[i] = scenario{name: b.name, change: b.change, want: b.want, severity: b.severity, says: b.says}
	}
	return out
}

func TestRules(t *testing.T) {
	fired := map[string]bool{}
	for _, tc := range scenarios() {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.diagnose()
			var ids []string
			for _, f := range got {
				ids = append(ids, f.Rule)
				fired[f.Rule] = true
				if f.Title == "" || len(f.Evidence) == 0 || len(f.Remediation) == 0 {
					t.Errorf("%s: incomplete finding %+v", f.Rule, f)
				}
				for _, ev := range f.Evidence {
					if ev.Fact == "" || ev.Source == "" {
						t.Errorf("%s: evidence without fact or source: %+v", f.Rule, ev)
					}
				}
				for _, w := range tc.not {
					if text := describe(f); strings.Contains(text, w) {
						t.Errorf("%s says %q, which it must not:\n%s", f.Rule, w, text)
					}
				}
			}
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("fired %v, want %v", ids, tc.want)
			}
			if len(got) == 0 {
				return
			}
			if tc.severity != "" && got[0].Severity != tc.severity {
				t.Errorf("severity %s, want %s", got[0].Severity, tc.severity)
			}
			if text := describe(got[0]); tc.says != "" && !strings.Contains(text, tc.says) {
				t.Errorf("finding does not say %q:\n%s", tc.says, text)
			}
		})
	}
	for _, r := range Catalogue() {
		if !fired[r.ID] && r.ID != "client_gaps" { // TestGapFindings covers it
			t.Errorf("rule %s has no scenario that fires it", r.ID)
		}
	}
}

func describe(f probes.Finding) string {
	parts := []string{f.Title, f.Summary}
	for _, e := range f.Evidence {
		parts = append(parts, e.Fact, e.Source)
	}
	for _, s := range f.Remediation {
		parts = append(parts, s.Text, s.Command)
	}
	return strings.Join(parts, "\n")
}

// Symptom events travel with their cause instead of standing alone.
func TestSymptomEventsJoinTheirCause(t *testing.T) {
	st := healthy()
	all(st, func(c *probes.VDirCheck) { c.Status = 503 })
	st.Events = []probes.Event{wsusEvent(12022, "The Client Web Service is not working."), wsusEvent(12042, "The SimpleAuth Web Service is not working."),
		wsusEvent(364, "Content file download failed. Reason: The server returned 503.")}
	got := Diagnose(probes.Facts{State: st, Now: now})
	if len(got) != 2 || got[0].Rule != "wsuspool_stopped" || got[1].Rule != "health_events" || got[1].Subject != "event 364" {
		t.Fatalf("want the pool (with 12022 and 12042 as evidence) and event 364 alone; got %v", rulesOf(got))
	}
	if text := describe(got[0]); !strings.Contains(text, "event 12022") || !strings.Contains(text, "event 12042") {
		t.Errorf("the pool finding lacks its symptom events:\n%s", text)
	}
}

func rulesOf(fs []probes.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Subject)
	}
	return out
}

func TestGapFindings(t *testing.T) {
	for _, cat := range probes.GapCategories() {
		st := healthy()
		got := Diagnose(probes.Facts{State: st, Now: now, Gaps: []probes.GapCount{{Category: cat, Count: 132,
			Samples: []probes.GapSample{{Name: "pc0042.corp.example", Detail: "something specific"}}}}})
		if len(got) != 1 || got[0].Rule != cat || got[0].Subject != cat || !strings.Contains(got[0].Title, "132") ||
			!strings.Contains(describe(got[0]), "pc0042.corp.example: something specific") || len(got[0].Remediation) == 0 {
			t.Errorf("%s: %+v", cat, got)
		}
	}
	// The stale title says the configured threshold (serve --stale-after).
	for _, tc := range []struct {
		after time.Duration
		want  string
	}{{0, "more than 7 days"}, {14 * 24 * time.Hour, "more than 14 days"}, {36 * time.Hour, "more than 36 hours"}, {24 * time.Hour, "more than 1 day"}} {
		got := Diagnose(probes.Facts{State: healthy(), Now: now, StaleAfter: tc.after, Gaps: []probes.GapCount{{Category: probes.GapStaleReport, Count: 12345}}})
		if len(got) != 1 || got[0].Title != "12,345 clients have not sent a status report for "+tc.want || strings.Contains(describe(got[0]), "7 days") != (tc.want == "more than 7 days") {
			t.Errorf("stale after %v: %q", tc.after, got[0].Title)
		}
	}
	if got := Diagnose(probes.Facts{State: healthy(), Now: now, Gaps: []probes.GapCount{{Category: probes.GapBadURL, Count: 0}}}); len(got) != 0 {
		t.Errorf("a category with no clients fires: %+v", got)
	}
}

// A pool-stopped server's stale clients are attributed to the pool.
func TestStaleClientsAttributedToServerWideCause(t *testing.T) {
	st := healthy()
	all(st, func(c *probes.VDirCheck) { c.Status = 503 })
	got := Diagnose(probes.Facts{State: st, Now: now, Gaps: []probes.GapCount{
		{Category: probes.GapStaleReport, Count: 5000}, {Category: probes.GapBadURL, Count: 12}}})
	byRule := map[string]probes.Finding{}
	for _, f := range got {
		byRule[f.Rule] = f
	}
	stale := byRule[probes.GapStaleReport]
	if stale.Cause != "wsuspool_stopped" || stale.Severity != probes.SeverityInfo || !strings.Contains(stale.Title, "5,000") {
		t.Errorf("stale clients not attributed to the pool: %+v", stale)
	}
	if bad := byRule[probes.GapBadURL]; bad.Cause != "" || bad.Severity != probes.SeverityWarning {
		t.Errorf("a policy problem is not explained by the pool: %+v", bad)
	}
}

// Event texts as Event Viewer shows them, exception lines included.
const (
	event12072With503 = "The WSUS content directory is not accessible.\r\n" +
		"System.Net.WebException: The remote server returned an error: (503) Server Unavailable.\r\n" +
		"   at System.Net.HttpWebRequest.GetResponse()\r\n" +
		"   at Microsoft.UpdateServices.Internal.HealthMonitoring.HmtWebServices.CheckContentDirWebAccess(EventLoggingType type, HealthEventLogger logger)"
	console7053HTML = "The WSUS administration console has encountered an unexpected error. This may be a transient error; try restarting the administration console. " +
		"If this error persists, try removing the persisted preferences for the console by deleting the wsus file under %appdata%\\Microsoft\\MMC\\.\r\n\r\n" +
		"System.InvalidOperationException -- Client found response content type of 'text/html', but expected 'text/xml'.\r\n" +
		"The request failed with the error message:\r\n--\r\n<html><head><title>Internal Server Error</title></head><body>HTTP Error 500.24 - Internal Server Error</body></html>\r\n--."
)
