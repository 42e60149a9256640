package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/procmon"
)

// The texts of /work/shared/testdata/events-12072-excerpt.txt, as the
// events section carries them.
var (
	excerpt12072 = probes.Event{ID: 12072, Source: "Windows Server Update Services", Level: "Error", Time: at(2 * time.Hour), Message: event12072With503}
	excerptSMS   = probes.Event{ID: 7000, Source: "SMS Server", Level: "Error", Time: at(3 * time.Hour),
		Message: "On 8/13/2015 3:22:40 AM, component SMS_WSUS_CONTROL_MANAGER on computer WSUS.fqdn reported:  WSUS Control Manager failed to configure proxy settings on WSUS Server \"WSUS.fqdn\"."}
	excerptWAS5074 = probes.Event{ID: 5074, Source: "Microsoft-Windows-WAS", Level: "Information", Time: at(4 * time.Hour),
		Message: "A worker process with process id of '%1' serving application pool '%2' has requested a recycle because the worker process reached its allowed processing time limit."}
)

func eventScenarios() []scenario {
	return []scenario{
		{name: "the 12072 excerpt: its 503 is the pool; ConfigMgr and WAS noise fire nothing",
			change: func(st *probes.ServerState) { st.Events = []probes.Event{excerpt12072, excerptSMS, excerptWAS5074} },
			want:   []string{"wsuspool_recycling"}, severity: warning, says: "(503) Server Unavailable",
			not: []string{"icacls", "NTFS", "5074"}},
		{name: "a pasted 12072 without its Level line is still the pool's 503",
			change: func(st *probes.ServerState) {
				ev := excerpt12072
				ev.Level = "Information" // what a parser may default to
				st.VDirChecks, st.Events = nil, []probes.Event{ev}
			},
			want: []string{"wsuspool_recycling"}, severity: warning, says: "the first step tells", not: []string{"icacls"}},
		{name: "a web service that works is not a finding",
			change: func(st *probes.ServerState) {
				st.Events = []probes.Event{{ID: 12001, Source: "Windows Server Update Services", Level: "Information", Time: at(time.Hour), Message: "The Reporting Web Service is working."}}
			}},
		{name: "WAS 5074 noise alone fires nothing",
			change: func(st *probes.ServerState) { st.Events = []probes.Event{excerptWAS5074} }},
		{name: "12042 refused with 401 and nothing else in evidence",
			change: func(st *probes.ServerState) {
				st.Events = []probes.Event{wsusEvent(12042, "The SimpleAuth Web Service is not working.\r\nSystem.Net.WebException: The remote server returned an error: (401) Unauthorized.")}
			},
			want: []string{"health_events"}, severity: critical, says: "refused (401/403) by SimpleAuthWebService"},
		{name: "12042 refused with 401 while anonymous authentication is off there",
			change: func(st *probes.ServerState) {
				cfg(st, "SimpleAuthWebService", func(c *probes.VDirConfig) { c.Anonymous = false })
				st.Events = []probes.Event{wsusEvent(12042, "The SimpleAuth Web Service is not working.\r\nSystem.Net.WebException: The remote server returned an error: (401) Unauthorized.")}
			},
			want: []string{"anonymous_auth_disabled"}, severity: critical, says: "event 12042"},
		{name: "12022 timed out",
			change: func(st *probes.ServerState) {
				st.Events = []probes.Event{wsusEvent(12022, "The Client Web Service is not working.\r\nSystem.Net.WebException: The operation has timed out\r\n   at System.Net.HttpWebRequest.GetResponse()")}
			},
			want: []string{"health_events"}, severity: critical, says: "timed out: WsusPool or SUSDB"},
		{name: "7053 carrying a SQL timeout is the database",
			change: func(st *probes.ServerState) {
				st.Events = []probes.Event{wsusEvent(7053, "The WSUS administration console has encountered an unexpected error. This may be a transient error; try restarting the administration console.\r\n"+
					"System.Data.SqlClient.SqlException -- Timeout expired.  The timeout period elapsed prior to completion of the operation or the server is not responding.")}
			},
			want: []string{"database_performance"}, severity: warning, says: "Timeout expired", not: []string{"impersonat"}},
		{name: "12072 without an exception: the content folder's permissions",
			change: func(st *probes.ServerState) {
				st.Events = []probes.Event{wsusEvent(12072, "The WSUS content directory is not accessible.")}
			},
			want: []string{"ntfs_acl"}, severity: warning, says: `icacls "D:\WSUS\WsusContent" /grant '*S-1-5-20:(OI)(CI)F'`, not: []string{"401.3"}},
		{name: "507 logged, but WsusService runs since",
			change: func(st *probes.ServerState) {
				st.Collected[probes.SectionServices] = now
				st.Events = []probes.Event{wsusEvent(507, "Update Services failed its initialization and stopped.")}
			}},
	}
}

func poolScenarios() []scenario {
	appOffline := probes.HTTPErrGroup{Reason: "AppOffline", Queue: "WsusPool", Status: 503, Port: 8530, Count: 4210, Clients: 812,
		Example: "/ClientWebService/client.asmx", First: at(5 * time.Hour), Last: at(2 * time.Minute)}
	noProbes := func(st *probes.ServerState) { st.VDirChecks = nil }
	return []scenario{
		{name: "sporadic 503s among successes in the IIS log",
			change: func(st *probes.ServerState) {
				var lines []string
				for i := range 200 {
					status := "200 0 0"
					if i%25 == 0 {
						status = "503 0 0"
					}
					lines = append(lines, iisLine(fmt.Sprintf("10:%02d:%02d", i/60, i%60), "POST", "/ClientWebService/client.asmx", "-", fmt.Sprintf("10.2.0.%d", i%250+1), wuaAgent, status, 300))
				}
				st.IISLog = mustIISLog(lines...)
			},
			want: []string{"wsuspool_recycling"}, severity: warning, says: "8 requests to ClientWebService answered 503.0",
			not: []string{"start apppool", "is stopped"}},
		{name: "the IIS log ends with nothing but 503s",
			change: func(st *probes.ServerState) {
				noProbes(st)
				var lines []string
				for i := range 120 {
					lines = append(lines, iisLine(fmt.Sprintf("09:%02d:%02d", i/2, i%2*30), "POST", "/ClientWebService/client.asmx", "-", fmt.Sprintf("10.4.0.%d", i%200+1), wuaAgent, "200 0 0", 400))
				}
				for i := range 60 {
					lines = append(lines, iisLine(fmt.Sprintf("10:%02d:00", i), "POST", "/ClientWebService/client.asmx", "-", fmt.Sprintf("10.4.0.%d", i%200+1), wuaAgent, "503 0 0", 1))
				}
				st.IISLog = mustIISLog(lines...)
			},
			want: []string{"wsuspool_stopped"}, severity: critical, says: "60 requests to ClientWebService answered 503.0"},
		{name: "the IIS log ends with 503s, but the pool answers the probes since",
			change: func(st *probes.ServerState) {
				var lines []string
				for i := range 60 {
					lines = append(lines, iisLine(fmt.Sprintf("10:%02d:00", i), "POST", "/ClientWebService/client.asmx", "-", fmt.Sprintf("10.4.0.%d", i%200+1), wuaAgent, "503 0 0", 1))
				}
				st.IISLog = mustIISLog(lines...)
			},
			want: []string{"wsuspool_recycling"}, severity: critical, not: []string{"start apppool"}},
		{name: "HTTP.sys answered AppOffline for WsusPool until the end of its log",
			change: func(st *probes.ServerState) { noProbes(st); st.HTTPErr = httperr(appOffline) },
			want:   []string{"wsuspool_stopped"}, severity: critical, says: "HTTP.sys answered 4,210 requests itself with 503 AppOffline for the application pool WsusPool"},
		{name: "AppOffline hours ago, served since",
			change: func(st *probes.ServerState) {
				g := appOffline
				g.First, g.Last = at(9*time.Hour), at(8*time.Hour)
				st.HTTPErr = httperr(g, probes.HTTPErrGroup{Reason: "Timer_ConnectionIdle", Count: 900, First: at(8 * time.Hour), Last: at(time.Minute)})
			},
			want: []string{"wsuspool_recycling"}, severity: warning, says: "AppOffline"},
		{name: "the request queue overflowed",
			change: func(st *probes.ServerState) {
				st.AppPool.QueueLength = i64(1000)
				st.HTTPErr = httperr(probes.HTTPErrGroup{Reason: "QueueFull", Queue: "WsusPool", Status: 503, Port: 8530, Count: 1730, Clients: 640,
					Example: "/ClientWebService/client.asmx", First: at(3 * time.Hour), Last: at(2 * time.Hour)})
			},
			want: []string{"wsuspool_recycling", "wsuspool_settings"}, severity: warning, says: "/queueLength:2000"},
		{name: "idle connections closing are not a finding",
			change: func(st *probes.ServerState) {
				st.HTTPErr = httperr(probes.HTTPErrGroup{Reason: "Timer_ConnectionIdle", Count: 52000, Clients: 3900, First: at(20 * time.Hour), Last: at(time.Minute)})
			}},
		{name: "AppOffline of another pool",
			change: func(st *probes.ServerState) {
				g := appOffline
				g.Queue = "SharePoint - 80"
				noProbes(st)
				st.HTTPErr = httperr(g)
			}},
		{name: "WAS disabled WsusPool (rapid-fail) and nothing served since",
			change: func(st *probes.ServerState) {
				noProbes(st)
				st.Events = []probes.Event{
					wasEvent(5117, "Information", "A worker process with process id of '4312' serving application pool 'WsusPool' has requested a recycle because it reached its private bytes memory limit.", 50*time.Minute),
					wasEvent(5009, "Warning", "A process serving application pool 'WsusPool' terminated unexpectedly. The process id was '5120'. The process exit code was '0xc0000005'.", 48*time.Minute),
					wasEvent(5002, "Error", "Application pool 'WsusPool' is being automatically disabled due to a series of failures in the process(es) serving that application pool.", 45*time.Minute),
				}
			},
			want: []string{"wsuspool_stopped"}, severity: critical, says: "rapid-fail protection disabled it"},
		{name: "WAS disabled WsusPool yesterday; it serves now",
			change: func(st *probes.ServerState) {
				st.Events = []probes.Event{wasEvent(5002, "Error", "Application pool 'WsusPool' is being automatically disabled due to a series of failures in the process(es) serving that application pool.", 26*time.Hour)}
			},
			want: []string{"wsuspool_recycling"}, severity: warning, says: "automatically disabled", not: []string{"start apppool"}},
		{name: "memory-limit recycles without the pool's configuration",
			change: func(st *probes.ServerState) {
				st.AppPool = nil
				for i := range 3 {
					st.Events = append(st.Events, wasEvent(5117, "Information",
						"A worker process with process id of '43"+fmt.Sprint(i)+"2' serving application pool 'WsusPool' has requested a recycle because it reached its private bytes memory limit.",
						time.Duration(i+1)*time.Hour))
				}
			},
			want: []string{"wsuspool_memory_limit"}, severity: warning, says: "recycled the pool 3 times at its memory limit"},
		{name: "WsusPool missed WAS's pings",
			change: func(st *probes.ServerState) {
				st.Events = []probes.Event{wasEvent(5010, "Warning", "A process serving application pool 'WsusPool' failed to respond to a ping. The process id was '4312'.", time.Hour)}
			},
			want: []string{"wsuspool_recycling"}, severity: warning, says: "/processModel.pingingEnabled:false"},
		{name: "routine WAS events of WsusPool go with the settings they come from",
			change: func(st *probes.ServerState) {
				st.AppPool.IdleTimeoutMin, st.AppPool.PeriodicRestartMin = i64(20), i64(1740)
				st.Events = []probes.Event{
					wasEvent(5186, "Information", "A worker process with process id of '4312' serving application pool 'WsusPool' was shutdown due to inactivity. Application Pool timeout configuration was set to 20 minutes. A new worker process will be started when needed.", 3*time.Hour),
					wasEvent(5074, "Information", "A worker process with process id of '4312' serving application pool 'WsusPool' has requested a recycle because the worker process reached its allowed processing time limit.", 5*time.Hour),
				}
			},
			want: []string{"wsuspool_settings"}, severity: warning, says: "event 5186"},
		{name: "WAS disabled another pool",
			change: func(st *probes.ServerState) {
				st.Events = []probes.Event{wasEvent(5002, "Error", "Application pool 'DefaultAppPool' is being automatically disabled due to a series of failures in the process(es) serving that application pool.", time.Hour)}
			}},
		{name: "a stopped pool at its memory limit is started, not recycled",
			change: func(st *probes.ServerState) {
				st.AppPool.State, st.AppPool.PrivateMemoryKB = "Stopped", i64(1843200)
				all(st, func(c *probes.VDirCheck) { c.Status, c.Server = 503, "Microsoft-HTTPAPI/2.0" })
			},
			want: []string{"wsuspool_stopped"}, severity: critical, says: "HTTP.sys answered itself",
			not: []string{"recycle apppool"}},
		{name: "two vDirs of nine answered 503",
			change: func(st *probes.ServerState) {
				set(st, "ClientWebService", func(c *probes.VDirCheck) { c.Status = 503 })
				set(st, "SimpleAuthWebService", func(c *probes.VDirCheck) { c.Status = 503 })
			},
			want: []string{"wsuspool_recycling"}, severity: warning, says: "503", not: []string{"start apppool"}},
	}
}

func authScenarios() []scenario {
	return []scenario{
		{name: "the console's Negotiate handshake on ApiRemoting30 is healthy",
			change: func(st *probes.ServerState) {
				var lines []string
				for i := range 40 {
					clock := fmt.Sprintf("11:%02d:%02d", i, i)
					ip := fmt.Sprintf("10.0.0.%d", 20+i%3)
					lines = append(lines,
						iisLine(clock, "POST", "/ApiRemoting30/WebService.asmx", "-", ip, soapClient, "401 2 5", 1),
						iisLine(clock, "POST", "/ApiRemoting30/WebService.asmx", "-", ip, soapClient, "401 1 2148074254", 0),
						iisLine(clock, "POST", "/ApiRemoting30/WebService.asmx", `CORP\wsus-admin`, ip, soapClient, "200 0 0", 46))
				}
				st.IISLog = mustIISLog(lines...)
			}},
		{name: "401.1 on SimpleAuthWebService that clients never get past",
			change: func(st *probes.ServerState) {
				var lines []string
				for i := range 30 {
					clock := fmt.Sprintf("12:%02d:%02d", i, i)
					ip := fmt.Sprintf("10.3.%d.%d", i/10, i%10+1)
					lines = append(lines,
						iisLine(clock, "POST", "/ClientWebService/client.asmx", "-", ip, wuaAgent, "200 0 0", 120),
						iisLine(clock, "POST", "/SimpleAuthWebService/SimpleAuth.asmx", "-", ip, wuaAgent, "401 1 1326", 3))
				}
				st.IISLog = mustIISLog(lines...)
			},
			want: []string{"iusr_credentials"}, severity: critical, says: "28 requests to SimpleAuthWebService answered 401.1 and the client did not get past them (2 more came too close to the end of the log to tell)",
			not: []string{"net user", "ApiRemoting30"}},
		{name: "a 401.1 that ends a chunk of the log, its success still to come, is no refusal",
			change: func(st *probes.ServerState) {
				var lines []string
				for i := range 30 {
					clock := fmt.Sprintf("12:%02d:%02d", i, i)
					lines = append(lines, iisLine(clock, "POST", "/ClientWebService/client.asmx", "-", fmt.Sprintf("10.3.0.%d", i+1), wuaAgent, "200 0 0", 120))
				}
				lines = append(lines, iisLine("12:29:40", "POST", "/SimpleAuthWebService/SimpleAuth.asmx", "-", "10.3.0.7", wuaAgent, "401 1 2148074254", 1))
				st.IISLog = mustIISLog(lines...)
			},
			not: []string{"401.1"}},
		{name: "401.1 with a custom anonymous account",
			change: func(st *probes.ServerState) {
				cfg(st, "ClientWebService", func(c *probes.VDirConfig) { c.AnonymousUser = `CORP\svc-wsus-anon` })
				set(st, "ClientWebService", func(c *probes.VDirCheck) { c.Status, c.Substatus = 401, ip(1) })
			},
			want: []string{"iusr_credentials"}, severity: critical, says: `logs on anonymous requests as CORP\svc-wsus-anon`, not: []string{"net user"}},
		{name: "WSUS installed in the Default Web Site",
			change: func(st *probes.ServerState) {
				for i := range st.VDirConfig {
					st.VDirConfig[i].Site = "Default Web Site"
				}
				cfg(st, "ClientWebService", func(c *probes.VDirConfig) { c.Anonymous = false })
			},
			want: []string{"anonymous_auth_disabled"}, severity: critical, says: `"Default Web Site/ClientWebService" -section:system.webServer/security/authentication/anonymousAuthentication`,
			not: []string{"WSUS Administration"}},
		{name: "401.3 on Content with the content folder unknown",
			change: func(st *probes.ServerState) {
				st.Server.ContentDir, st.ACLs = "", nil
				set(st, "Content", func(c *probes.VDirCheck) { c.Status, c.Substatus = 401, ip(3) })
			},
			want: []string{"ntfs_acl"}, severity: critical, says: "Get-WebVirtualDirectory -Site 'WSUS Administration' -Name 'Content'",
			not: []string{`D:\WSUS`}},
		{name: "401.3 on ClientWebService running as the pool's own identity",
			change: func(st *probes.ServerState) {
				st.AppPool.Identity = "ApplicationPoolIdentity"
				cfg(st, "ClientWebService", func(c *probes.VDirConfig) {
					c.AnonymousUser, c.PhysicalPath = "Application pool identity", `C:\Program Files\Update Services\WebServices\ClientWebService`
				})
				set(st, "ClientWebService", func(c *probes.VDirCheck) { c.Status, c.Substatus = 401, ip(3) })
			},
			want: []string{"ntfs_acl"}, severity: critical,
			says: `icacls "C:\Program Files\Update Services\WebServices\ClientWebService" /grant 'IIS APPPOOL\WsusPool:(OI)(CI)RX'`},
		{name: "Process Monitor capture with a User column",
			change: func(st *probes.ServerState) { st.Denials = capture("denied-with-user.csv") },
			want:   []string{"ntfs_acl"}, severity: critical, says: `icacls "D:\WSUS\WsusContent" /grant '*S-1-5-17:(OI)(CI)RX'`,
			not: []string{"401.3"}},
		{name: "500.24 in the IIS log",
			change: func(st *probes.ServerState) {
				st.IISLog = mustIISLog(
					iisLine("08:10:01", "POST", "/ClientWebService/Client.asmx", "-", "fe80::e3a4:2b81:92b4:c6e7%11", wuaAgent, "500 24 50", 508),
					iisLine("08:10:02", "POST", "/SimpleAuthWebService/SimpleAuth.asmx", "-", "fe80::e3a4:2b81:92b4:c6e7%11", wuaAgent, "500 24 50", 547),
					iisLine("08:10:03", "POST", "/reportingwebservice/reportingwebservice.asmx", "-", "fe80::e3a4:2b81:92b4:c6e7%11", wuaAgent, "500 24 50", 422))
			},
			want: []string{"aspnet_impersonation"}, severity: critical, says: "(500.24) on ClientWebService, SimpleAuthWebService and ReportingWebService"},
		{name: "SelfUpdate broken on the WSUS port and on port 80",
			change: func(st *probes.ServerState) {
				set(st, "SelfUpdate", func(c *probes.VDirCheck) { c.Status = 404 })
				st.VDirChecks = append(st.VDirChecks, observed(probes.VDirCheck{VDir: "SelfUpdate", URL: "http://wsus01.corp.example/selfupdate/wuident.cab", Method: "GET", Status: 404}))
			},
			want: []string{"selfupdate_broken", "selfupdate_port80"}, severity: warning, says: "404"},
	}
}

// capture parses a Process Monitor capture of the procmon package's test data.
func capture(name string) *probes.DenialDigest {
	f, err := os.Open(filepath.Join("..", "procmon", "testdata", name))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	d, err := procmon.Parse(f)
	if err != nil {
		panic(err)
	}
	return d
}
