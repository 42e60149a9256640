package probes

import (
	"slices"
	"strconv"
	"strings"
)

// WUError is one HRESULT a Windows client logs when it cannot reach or use
// WSUS, as the error catalogue (docs/client-errors.md) explains it.
type WUError struct {
	Code    string `json:"code"`    // 0x80244022
	Name    string `json:"name"`    // WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL
	Meaning string `json:"meaning"` // what the code says
	// Side is where the cause usually is: "server" (the WSUS server or its
	// IIS), "client" (its policy, services, clock), "network" (DNS,
	// proxy, firewall, TLS inspection), or "either".
	Side  string `json:"side"`
	Cause string `json:"cause"` // the likely cause in WSUS terms
	// HTTPStatus is the HTTP status the code stands for, 0 for none.
	HTTPStatus int `json:"http_status,omitempty"`
	// Gap is the client-reporting gap category the error supports (what a
	// client failing this way ends up as); Explains lists the server
	// findings (rules) that explain it when they are open on its server.
	Gap      string   `json:"gap"`
	Explains []string `json:"explained_by,omitempty"`
	Fix      []Step   `json:"fix"`    // PowerShell, runnable as typed
	Source   string   `json:"source"` // where the meaning comes from
}

// Sources of the catalogue.
const (
	srcWUCodes   = "Microsoft Learn, Windows Update error codes by component (learn.microsoft.com/windows/deployment/update/windows-update-error-reference)"
	srcWUANet    = "Microsoft Learn, WUA Networking Error Codes (learn.microsoft.com/windows/win32/wua_sdk/wua-networking-error-codes-)"
	srcCommon    = "Microsoft Learn, Windows Update common errors and mitigation (learn.microsoft.com/troubleshoot/windows-client/installing-updates-features-roles/common-windows-update-errors)"
	srcScan      = "Microsoft Learn, Troubleshoot software update scan failures (learn.microsoft.com/troubleshoot/mem/configmgr/update-management/troubleshoot-software-update-scan-failures)"
	srcWinHTTP   = "Microsoft Learn, WinHTTP Error Messages (learn.microsoft.com/windows/win32/winhttp/error-messages)"
	srcCertCodes = "Microsoft Learn, COM Error Codes (Security and Setup), CERT_E_* (learn.microsoft.com/windows/win32/com/com-error-codes-4)"
	srcSysCodes  = "Microsoft Learn, System Error Codes (learn.microsoft.com/windows/win32/debug/system-error-codes)"
	srcWSUSGuide = "WSUS product team's client troubleshooting guide (vDir status meanings and NTFS symptoms: IIS 401 3 5 on /Content/, event 12072)"
)

// Sides of a cause.
const (
	SideServer  = "server"
	SideClient  = "client"
	SideNetwork = "network"
	SideEither  = "either"
)

// Steps shared by several entries. Commands are PowerShell as typed; the
// first client step sets $wsus so the others need no editing.
var (
	stepSetWSUS = Step{Text: "On the client, put its WSUS URL in a variable (the WUServer value of its policy)",
		Command: `$wsus = (Get-ItemProperty 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate').WUServer; $wsus`}
	stepProbeClientWS = Step{Text: "From the client, call the client web service: 200 means it answers",
		Command: `Invoke-WebRequest -UseBasicParsing -Uri "$wsus/ClientWebService/client.asmx" | Select-Object StatusCode`}
	stepRescan    = ScanNow("When it is fixed, make the client scan and report again")
	stepPoolStart = Step{Text: "On the WSUS server, start WsusPool and keep it from stopping again (Private Memory Limit 0, Queue Length 2000)",
		Command: `Import-Module WebAdministration; Set-ItemProperty IIS:\AppPools\WsusPool -Name recycling.periodicRestart.privateMemory -Value 0; Set-ItemProperty IIS:\AppPools\WsusPool -Name queueLength -Value 2000; Start-WebAppPool -Name WsusPool`}
	stepAnonymous = Step{Text: "On the WSUS server, turn anonymous authentication back on for the client web services, then restart IIS",
		Command: `foreach ($v in 'ClientWebService','SimpleAuthWebService','ReportingWebService','DssAuthWebService','ServerSyncWebService','Inventory','selfupdate','Content') { & "$env:windir\system32\inetsrv\appcmd.exe" set config "WSUS Administration/$v" -section:system.webServer/security/authentication/anonymousAuthentication /enabled:true /commit:apphost }; iisreset`}
	stepProxy = Step{Text: "On the client, see which proxy WinHTTP (the agent's network stack) uses; bypass it for the WSUS server or import the browser's setting",
		Command: `netsh winhttp show proxy`}
	stepDNS = Step{Text: "On the client, resolve the WSUS host and test its port",
		Command: `$u = [uri]$wsus; Resolve-DnsName $u.Host; Test-NetConnection -ComputerName $u.Host -Port $u.Port`}
	stepCert = Step{Text: "From the client, look at the certificate the WSUS server presents (issuer, expiry, name)",
		Command: `$u = [uri]$wsus; $tcp = [Net.Sockets.TcpClient]::new($u.Host, $u.Port); $ssl = [Net.Security.SslStream]::new($tcp.GetStream(), $false, { $true }); $ssl.AuthenticateAsClient($u.Host); $cert = [Security.Cryptography.X509Certificates.X509Certificate2]$ssl.RemoteCertificate; $cert | Format-List 'Subject', 'Issuer', 'NotAfter'; $tcp.Close()`}
	stepClock = Step{Text: "On the client, check its clock against the domain (a wrong clock makes certificates and cookies look invalid)",
		Command: `w32tm.exe /stripchart /computer:$env:USERDNSDOMAIN /samples:3 /dataonly`}
	stepCleanup = Step{Text: "On the WSUS server, shrink the catalog: decline superseded updates and run the cleanup (then reindex SUSDB)",
		Command: `Get-WsusUpdate -Approval AnyExceptDeclined -Status Any | Where-Object { $_.Update.IsSuperseded } | Deny-WsusUpdate; Invoke-WsusServerCleanup -CleanupObsoleteComputers -CleanupObsoleteUpdates -CleanupUnneededContentFiles -CompressUpdates -DeclineExpiredUpdates -DeclineSupersededUpdates`}
	stepSDLog = Step{Text: "On the WSUS server, read the last errors of SoftwareDistribution.log (or upload it to this dashboard)",
		Command: `Get-Content "$env:ProgramFiles\Update Services\LogFiles\SoftwareDistribution.log" -Tail 200 | Select-String -Pattern 'Error|ErrorCode='`}
	stepServices = Step{Text: "On the client, let the Windows Update and BITS services start",
		Command: `Set-Service -Name wuauserv -StartupType Manual; Set-Service -Name BITS -StartupType Manual; Start-Service -Name 'BITS', 'wuauserv'`}
	stepGPResult = Step{Text: "On the client, see which GPO sets its Windows Update policy",
		Command: `gpresult.exe /scope computer /r | Select-String -Pattern 'WSUS|Windows Update|Applied Group Policy' -Context 0,8`}
	stepContentACL = Step{Text: "On the WSUS server, give NETWORK SERVICE its rights on the content folder again (ProcMon shows the exact path if this is not it)",
		Command: `$content = (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Update Services\Server\Setup').ContentDir; icacls.exe "$content\WsusContent" /grant 'NT AUTHORITY\NETWORK SERVICE:(OI)(CI)F'`}
)

// wuErrors is the catalogue, by code; its commands are PowerShell.
var wuErrors = powerShellFixes([]WUError{
	{Code: "0x80244017", Name: "WU_E_PT_HTTP_STATUS_DENIED", HTTPStatus: 401, Side: SideServer, Gap: GapStaleReport,
		Meaning:  "HTTP 401: the server asked the client to authenticate.",
		Cause:    "A WSUS vDir that must allow anonymous access does not: anonymous authentication is off (401.2), the anonymous identity's password is wrong (401.1), or NTFS denies it (401.3).",
		Explains: []string{"anonymous_auth_disabled", "iusr_credentials", "ntfs_acl"}, Fix: []Step{stepAnonymous, stepSetWSUS, stepProbeClientWS, stepRescan},
		Source: srcWUANet},
	{Code: "0x80244018", Name: "WU_E_PT_HTTP_STATUS_FORBIDDEN", HTTPStatus: 403, Side: SideServer, Gap: GapStaleReport,
		Meaning:  "HTTP 403: the server understood the request and refuses it.",
		Cause:    "Require SSL is set on a vDir the client reaches over HTTP (403.4), or client certificates are required (403.7).",
		Explains: []string{"ssl_required_wrong", "client_cert_required"},
		Fix: []Step{{Text: "On the WSUS server, see the SSL settings of each vDir (client certificates must be Ignore; only the SSL vDirs require SSL, and only in SSL mode)",
			Command: `Import-Module WebAdministration; Get-WebConfiguration -Filter 'system.webServer/security/access' -PSPath 'IIS:\Sites\WSUS Administration' -Recurse | Select-Object 'PSPath', 'sslFlags'`}, stepRescan},
		Source: srcWUANet},
	{Code: "0x80244019", Name: "WU_E_PT_HTTP_STATUS_NOT_FOUND", HTTPStatus: 404, Side: SideEither, Gap: GapBadURL,
		Meaning:  "HTTP 404: the server has nothing at the URL the client asked for.",
		Cause:    "The client reached a web site that is not WSUS: its WUServer has no port (WSUS listens on 8530/8531, the client knocks on 80) or names another host; or a WSUS vDir (often SelfUpdate) is missing.",
		Explains: []string{"vdir_fault", "selfupdate_broken"}, Fix: []Step{stepSetWSUS, stepProbeClientWS,
			{Text: "If the URL has no port, set the full URL with port in \"Specify intranet Microsoft update service location\" and refresh the policy", Command: `gpupdate.exe /target:computer /force`}, stepRescan},
		Source: srcWUANet},
	{Code: "0x8024401B", Name: "WU_E_PT_HTTP_STATUS_PROXY_AUTH_REQ", HTTPStatus: 407, Side: SideNetwork, Gap: GapStaleReport,
		Meaning: "HTTP 407: a proxy demands authentication.",
		Cause:   "The agent runs as SYSTEM and goes through a proxy that wants a user: the WSUS server is not on the proxy's bypass list, or WinHTTP has a proxy it should not.",
		Fix: []Step{stepProxy, {Text: "Bypass the proxy for the WSUS server: put your proxy and domain in place of the examples (or run netsh.exe winhttp reset proxy when no proxy is needed)",
			Command: `netsh.exe winhttp set proxy 'proxy.corp.example:8080' '*.corp.example;<local>'`}, stepRescan},
		Source: srcWUANet + "; " + srcCommon},
	{Code: "0x8024401C", Name: "WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT", HTTPStatus: 408, Side: SideServer, Gap: GapStaleReport,
		Meaning:  "HTTP 408: the server timed out waiting for the request.",
		Cause:    "The WSUS server is too slow to answer: a scan storm on a bloated catalog, SUSDB without maintenance, or a pool recycling under its memory limit.",
		Explains: []string{"catalog_bloat", "wsuspool_memory_limit", "database_unavailable"}, Fix: []Step{stepCleanup, stepRescan},
		Source: srcWUANet + "; " + srcScan},
	{Code: "0x8024401F", Name: "WU_E_PT_HTTP_STATUS_SERVER_ERROR", HTTPStatus: 500, Side: SideServer, Gap: GapStaleReport,
		Meaning:  "HTTP 500: an error inside the server stopped it from answering.",
		Cause:    "The WSUS web service failed: ASP.NET impersonation is on (500.24), SUSDB is unreachable or overloaded, or the catalog is so large that client.asmx fails.",
		Explains: []string{"aspnet_impersonation", "database_unavailable", "catalog_bloat"}, Fix: []Step{stepSDLog, stepCleanup, stepRescan},
		Source: srcWUANet + "; " + srcScan},
	{Code: "0x80244021", Name: "WU_E_PT_HTTP_STATUS_BAD_GATEWAY", HTTPStatus: 502, Side: SideNetwork, Gap: GapStaleReport,
		Meaning: "HTTP 502: a gateway or proxy got an invalid answer from the server behind it.",
		Cause:   "A proxy or load balancer between client and WSUS could not reach the WSUS server, or the client sends intranet traffic to an internet proxy.",
		Fix:     []Step{stepProxy, stepSetWSUS, stepDNS, stepRescan}, Source: srcWUANet + "; " + srcScan},
	{Code: "0x80244022", Name: "WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL", HTTPStatus: 503, Side: SideServer, Gap: GapStaleReport,
		Meaning:  "HTTP 503: the service is unavailable (temporarily overloaded).",
		Cause:    "WsusPool is stopped, most often after rapid-fail protection stopped it when it hit its private memory limit; HTTP.sys answers 503 for every vDir.",
		Explains: []string{"wsuspool_stopped"}, Fix: []Step{stepPoolStart, stepRescan},
		Source: srcWUANet + "; " + srcScan},
	{Code: "0x80244023", Name: "WU_E_PT_HTTP_STATUS_GATEWAY_TIMEOUT", HTTPStatus: 504, Side: SideNetwork, Gap: GapStaleReport,
		Meaning:  "HTTP 504: a gateway or proxy timed out waiting for the server behind it.",
		Cause:    "A proxy or load balancer waited too long for the WSUS server: the server is overloaded, or the proxy should not be in the path.",
		Explains: []string{"catalog_bloat"}, Fix: []Step{stepProxy, stepCleanup, stepRescan}, Source: srcWUANet},
	{Code: "0x80244007", Name: "WU_E_PT_SOAPCLIENT_SOAPFAULT", Side: SideServer, Gap: GapStaleReport,
		Meaning:  "The web service answered the call with a SOAP fault.",
		Cause:    "The WSUS server raised an exception for the call — a database error (DataAccessError), InvalidParameters, or a cookie it would not renew. Its SoftwareDistribution.log names the ErrorCode.",
		Explains: []string{"database_unavailable"}, Fix: []Step{stepSDLog, stepClock, stepRescan},
		Source: srcWUCodes + "; " + srcCommon},
	{Code: "0x80244010", Name: "WU_E_PT_EXCEEDED_MAX_SERVER_TRIPS", Side: SideServer, Gap: GapStaleReport,
		Meaning:  "The scan needed more round trips to the server than the agent allows.",
		Cause:    "The catalog the client has to walk is too large (superseded updates never declined) or the client has not scanned for a long time; scans end before they finish.",
		Explains: []string{"catalog_bloat"}, Fix: []Step{stepCleanup, stepRescan},
		Source: srcWUCodes + "; " + srcScan},
	{Code: "0x8024402C", Name: "WU_E_PT_WINHTTP_NAME_NOT_RESOLVED", Side: SideNetwork, Gap: GapBadURL,
		Meaning: "The proxy or the server name could not be resolved.",
		Cause:   "DNS does not know the host in WUServer (a typo, a retired server, a trailing space in the GPO), or WinHTTP names a proxy that does not resolve.",
		Fix:     []Step{stepSetWSUS, stepDNS, stepProxy, stepGPResult}, Source: srcWUANet + "; " + srcCommon},
	{Code: "0x8024402F", Name: "WU_E_PT_ECP_SUCCEEDED_WITH_ERRORS", Side: SideNetwork, Gap: GapStaleReport,
		Meaning:  "External cab file processing completed with errors.",
		Cause:    "A .cab the agent downloaded (wsusscn2.cab, SelfUpdate's wuident.cab) came back altered or cut: a proxy, web filter or TLS inspection changes the downloads.",
		Explains: []string{"selfupdate_broken"}, Fix: []Step{stepProxy, stepSetWSUS,
			{Text: "Fetch the SelfUpdate cab from the client and compare it with the server's copy", Command: `Invoke-WebRequest -UseBasicParsing -Uri "$wsus/selfupdate/wuident.cab" -OutFile "$env:TEMP\wuident.cab"; Get-AuthenticodeSignature "$env:TEMP\wuident.cab"`}, stepRescan},
		Source: srcWUCodes + "; " + srcCommon},
	{Code: "0x80072EE2", Name: "ERROR_INTERNET_TIMEOUT (WinHTTP 12002)", Side: SideEither, Gap: GapStaleReport,
		Meaning:  "The request timed out.",
		Cause:    "The client's requests do not get an answer in time: a firewall drops them, a proxy is in the way, or the WSUS server is overloaded (scan storm, pool recycling).",
		Explains: []string{"server_unreachable", "catalog_bloat"}, Fix: []Step{stepSetWSUS, stepDNS, stepProxy, stepProbeClientWS, stepRescan},
		Source: srcWinHTTP + "; " + srcScan},
	{Code: "0x80072EFD", Name: "ERROR_INTERNET_CANNOT_CONNECT (WinHTTP 12029)", Side: SideEither, Gap: GapBadURL,
		Meaning:  "The connection to the server could not be made.",
		Cause:    "Nothing accepts connections on the host and port in WUServer: the port is missing (the client tries 80 while WSUS listens on 8530), a firewall blocks it, or IIS is stopped.",
		Explains: []string{"server_unreachable", "iis_stopped"}, Fix: []Step{stepSetWSUS, stepDNS,
			{Text: "If the URL has no port, set the full URL with port (e.g. http://wsus01.corp.example:8530) in \"Specify intranet Microsoft update service location\" and refresh the policy", Command: `gpupdate.exe /target:computer /force`}, stepRescan},
		Source: srcWinHTTP + "; " + srcScan},
	{Code: "0x80072EFE", Name: "ERROR_INTERNET_CONNECTION_ABORTED (WinHTTP 12030)", Side: SideEither, Gap: GapStaleReport,
		Meaning:  "The connection was ended abnormally.",
		Cause:    "The connection was cut mid-request: a firewall or proxy resets it, or the WSUS pool recycled or crashed while answering.",
		Explains: []string{"wsuspool_memory_limit", "wsuspool_stopped"}, Fix: []Step{stepProxy, stepSetWSUS, stepProbeClientWS, stepRescan}, Source: srcWinHTTP},
	{Code: "0x80072EE7", Name: "ERROR_INTERNET_NAME_NOT_RESOLVED (WinHTTP 12007)", Side: SideNetwork, Gap: GapBadURL,
		Meaning: "The server name could not be resolved.",
		Cause:   "DNS does not resolve the host in WUServer: a typo, a short name without the DNS suffix, or a retired server still in the GPO.",
		Fix:     []Step{stepSetWSUS, stepDNS, stepGPResult}, Source: srcWinHTTP + "; " + srcCommon},
	{Code: "0x80072F0C", Name: "ERROR_INTERNET_CLIENT_AUTH_CERT_NEEDED (WinHTTP 12044)", Side: SideServer, Gap: GapStaleReport,
		Meaning:  "The server requires a client certificate.",
		Cause:    "Client certificates are set to Require on a WSUS vDir; they must be Ignore (403.7 in the IIS log).",
		Explains: []string{"client_cert_required"},
		Fix: []Step{{Text: "On the WSUS server, set client certificates to Ignore on the site's vDirs (sslFlags without SslRequireCert)",
			Command: `Import-Module WebAdministration; Get-WebConfiguration -Filter 'system.webServer/security/access' -PSPath 'IIS:\Sites\WSUS Administration' -Recurse | Where-Object { $_.sslFlags -like '*SslRequireCert*' } | Select-Object 'PSPath', 'sslFlags'`}, stepRescan},
		Source: srcWinHTTP + "; " + srcWSUSGuide},
	{Code: "0x80072F8F", Name: "ERROR_INTERNET_SECURE_FAILURE (WinHTTP 12175)", Side: SideEither, Gap: GapStaleReport,
		Meaning:  "A security (TLS) error occurred on the secure channel.",
		Cause:    "The client cannot set up TLS with the WSUS server: its clock is wrong, the server's certificate is expired, untrusted or for another name, or client and server share no TLS version or cipher.",
		Explains: []string{"ssl_cert_invalid"}, Fix: []Step{stepClock, stepSetWSUS, stepCert, stepRescan},
		Source: srcWinHTTP + "; " + srcCommon},
	{Code: "0x800B0109", Name: "CERT_E_UNTRUSTEDROOT", Side: SideEither, Gap: GapStaleReport,
		Meaning:  "The certificate chain ends in a root certificate the client does not trust.",
		Cause:    "The WSUS server's TLS certificate (often from an internal CA) chains to a root that is not in the client's Trusted Root store.",
		Explains: []string{"ssl_cert_invalid"}, Fix: []Step{stepSetWSUS, stepCert,
			{Text: "On the client, see whether the issuing root is trusted (import it by GPO into Trusted Root Certification Authorities if not)", Command: `Get-ChildItem -Path 'Cert:\LocalMachine\Root' | Select-Object 'Subject', 'NotAfter'`}, stepRescan},
		Source: srcCertCodes},
	{Code: "0x800B0101", Name: "CERT_E_EXPIRED", Side: SideEither, Gap: GapStaleReport,
		Meaning:  "A required certificate is not within its validity period.",
		Cause:    "The WSUS server's TLS certificate has expired — or the client's clock is so wrong that it looks expired.",
		Explains: []string{"ssl_cert_invalid", "ssl_cert_expiring"}, Fix: []Step{stepClock, stepSetWSUS, stepCert, stepRescan},
		Source: srcCertCodes},
	{Code: "0x800710DD", Name: "ERROR_INVALID_OPERATION (Win32 4317)", Side: SideServer, Gap: GapStaleReport,
		Meaning:  "The operation identifier is not valid (a BITS or download operation failed).",
		Cause:    "Downloads from the WSUS Content vDir fail: NETWORK SERVICE (or the share's computer account) has lost its rights on the content folder (IIS logs 401 3 5 on /Content/, event 12072).",
		Explains: []string{"ntfs_acl"}, Fix: []Step{stepContentACL, stepRescan},
		Source: srcSysCodes + "; " + srcWSUSGuide},
	{Code: "0x80070422", Name: "ERROR_SERVICE_DISABLED (Win32 1058)", Side: SideClient, Gap: GapPolicyOff,
		Meaning: "The service cannot be started because it is disabled.",
		Cause:   "The Windows Update (wuauserv) or BITS service is disabled on the client, by hand, by a hardening baseline or by a GPO.",
		Fix:     []Step{stepServices, stepGPResult, stepRescan}, Source: srcSysCodes + "; " + srcCommon},
	{Code: "0x8024002E", Name: "WU_E_WU_DISABLED", Side: SideClient, Gap: GapPolicyOff,
		Meaning: "Access to an unmanaged server is not allowed.",
		Cause:   "Policy forbids Windows Update (\"Remove access to use all Windows Update features\", DisableWindowsUpdateAccess) while the client scans without a WSUS server: its WSUS policy is missing or not applied.",
		Fix: []Step{stepGPResult, {Text: "On the client, see the Windows Update policy values", Command: `reg.exe query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /s`},
			{Text: "Link the GPO with \"Specify intranet Microsoft update service location\" to the client's OU, then refresh", Command: `gpupdate.exe /target:computer /force`}, stepRescan},
		Source: srcWUCodes + "; " + srcCommon},
	{Code: "0x80240438", Name: "WU_E_PT_ENDPOINT_UNREACHABLE", Side: SideEither, Gap: GapPolicyOff,
		Meaning: "There is no route or network connectivity to the endpoint.",
		Cause:   "The agent tries to reach Microsoft Update (not WSUS) and cannot: the WSUS policy is not applied, dual scan sends some updates to Windows Update, or DoNotConnectToWindowsUpdateInternetLocations blocks the way.",
		Fix:     []Step{stepGPResult, {Text: "On the client, see the Windows Update policy values", Command: `reg.exe query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /s`}, stepRescan},
		Source:  srcWUCodes},
})

// powerShellFixes marks the catalogue's commands as PowerShell.
func powerShellFixes(es []WUError) []WUError {
	for i := range es {
		es[i].Fix = inPowerShell(es[i].Fix)
	}
	return es
}

// WUErrors lists the catalogue in documentation order.
func WUErrors() []WUError { return slices.Clone(wuErrors) }

// LookupWUError finds what a code means; ok is false for codes the
// catalogue does not know (they are shown as logged).
func LookupWUError(code string) (WUError, bool) {
	c, ok := NormalizeHRESULT(code)
	if !ok {
		return WUError{}, false
	}
	for _, e := range wuErrors {
		if e.Code == c {
			return e, true
		}
	}
	return WUError{}, false
}

// NormalizeHRESULT writes an HRESULT as logs and event viewers show it —
// 0x80244022, 80244022, 0X80244022, or signed decimal -2145107934 — as
// 0x + eight upper-case hex digits.
func NormalizeHRESULT(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < -1<<31 {
			return "", false
		}
		return "0x" + strings.ToUpper(strconv.FormatUint(uint64(uint32(int32(n))), 16)), true
	}
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(h) != 8 {
		return "", false
	}
	if _, err := strconv.ParseUint(h, 16, 32); err != nil {
		return "", false
	}
	return "0x" + strings.ToUpper(h), true
}
