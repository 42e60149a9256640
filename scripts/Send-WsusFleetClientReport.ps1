<#
.SYNOPSIS
    Reports this Windows client's Windows Update policy, its view of its WSUS server and its
    latest Windows Update errors to the wsusfleet dashboard.

.DESCRIPTION
    Runs on a Windows client, e.g. as a computer startup script or a scheduled task, and
    collects what an administrator checks by hand when a client does not report in:

      policy        WUServer, WUStatusServer, UpdateServiceUrlAlternate, TargetGroup(Enabled),
                    SetProxyBehaviorForUpdateDetection, DoNotConnectToWindowsUpdateInternetLocations,
                    UseWUServer, AUOptions, NoAutoUpdate, DetectionFrequency
                    (HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate[\AU])
      update source SetPolicyDrivenUpdateSourceFor{Feature,Quality,Driver,Other}Updates and
                    AU\UseUpdateClassPolicySource (Windows 11 / Intune: which update classes come
                    from WSUS and which from Windows Update)
      identity      SusClientId (cloned images share it)
      services      wuauserv and BITS state and start type
      proxy         the machine-wide WinHTTP proxy ("netsh winhttp show proxy")
      dual scan     DeferQualityUpdates, DeferFeatureUpdates, DisableDualScan
      vdir_checks   GETs of selfupdate/wuident.cab, ClientWebService/client.asmx and
                    SimpleAuthWebService/SimpleAuth.asmx on WUServer (in SSL mode also Content on
                    the HTTP port, where clients download updates), and of ReportingWebService on
                    WUStatusServer, through the WinHTTP proxy
      update_errors the latest failed scans, downloads and installs with their error codes (event
                    IDs 20, 25 and 31 of Microsoft-Windows-WindowsUpdateClient/Operational)

    and POSTs them to /api/v1/client-reports. It finishes within -MaxSeconds (default 30)
    whatever the network does, so it never holds up a startup or logon: every request's
    timeout is cut to what is left of that budget, requests that would get less than a second
    are not made, and a report that cannot be sent is kept in the spool folder and sent first
    next time.

    Needs Windows PowerShell 5.1 (on an older one it says so, names Windows Management
    Framework 5.1, sends a minimal report that says the collector could not run, and exits
    with 3) and no administrator rights beyond reading HKLM and the Windows Update event log
    (any user can); as a startup script or scheduled task it runs as SYSTEM.

.PARAMETER Dashboard
    Base URL of the dashboard, e.g. https://wsusfleet.corp.example. Not needed with -OutFile.
    An http:// address is refused unless -AllowInsecure is given.

.PARAMETER Token
    A token with the client scope. Prefer -TokenFile or the WSUSFLEET_TOKEN environment
    variable.

.PARAMETER TokenFile
    A file whose first line is the token.

.PARAMETER OutFile
    Write the client report JSON to this file instead of sending it.

.PARAMETER SpoolDir
    Where reports wait when the dashboard is unreachable. Default:
    %ProgramData%\wsusfleet\spool. Only SYSTEM, Administrators and the account running the
    script may write to it; the script locks it down.

.PARAMETER TimeoutSec
    Timeout of each HTTP request (checks and upload) in seconds, cut to what is left of
    -MaxSeconds. Default 5.

.PARAMETER MaxSeconds
    Time budget of the whole run in seconds (after -JitterSec). Default 30.

.PARAMETER JitterSec
    Wait a random 0..N seconds first, so thousands of clients started by the same policy do
    not all report in the same second. Default 0 (use it in scheduled tasks, not in startup
    scripts).

.PARAMETER NoChecks
    Do not check the WSUS URLs; report the policy only.

.PARAMETER AllowInsecure
    Accept an http:// dashboard: the token then crosses the network in clear text.

.PARAMETER LogFile
    Append log lines to this file. A relative path resolves against the directory the
    script is started in.

.EXAMPLE
    .\Send-WsusFleetClientReport.ps1 -OutFile $env:TEMP\client-report.json

    Shows what would be sent, without sending it.

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy AllSigned -File \\corp.example\NETLOGON\wsusfleet\Send-WsusFleetClientReport.ps1 -Dashboard https://wsusfleet.corp.example -TokenFile \\corp.example\NETLOGON\wsusfleet\client-token.txt

    As a computer startup script (GPO) or scheduled task.

.NOTES
    Exit codes: 0 sent (or written with -OutFile), 1 failed, 2 bad parameters, 3 Windows
    PowerShell 5.1 missing, 4 dashboard unreachable (report spooled), 5 report rejected.
#>
[CmdletBinding()]
param(
    [string] $Dashboard,
    [string] $Token,
    [string] $TokenFile,
    [string] $OutFile,
    [string] $SpoolDir = (Join-Path ([Environment]::GetFolderPath('CommonApplicationData')) 'wsusfleet\spool'),
    [ValidateRange(1, 60)] [int] $TimeoutSec = 5,
    [ValidateRange(5, 600)] [int] $MaxSeconds = 30,
    [ValidateRange(0, 3600)] [int] $JitterSec = 0,
    [switch] $NoChecks,
    [switch] $AllowInsecure,
    [string] $LogFile
)

$script:WfVersion = '1.1.0'
$script:WfCollectorName = 'Send-WsusFleetClientReport.ps1'
# The minimal client report the preamble sends from PowerShell before 5.1
# (scripts/preamble_test.go fills it in and decodes it like the dashboard).
$script:WfLegacyDocument = '{{"schema":"wsusfleet.client-report.v1","id":"{0}","collected_at":"{1}","collector":{{"name":"{2}","version":"{3}","host":"{4}","vantage":"client","error":"{5}"}},"client":{{"name":"{6}"{7}}}}}'

# region shared: preamble
# -----------------------------------------------------------------------------
# Identical in every wsusfleet collector (scripts/contract_test.go compares the
# copies). This runs first, in whatever PowerShell started the script, so it
# is written for Windows PowerShell 2.0 and later: no ::new(), [ordered],
# ConvertTo-Json, -in or other later additions (scripts/preamble_test.go
# keeps out the words it must not use). Everything after it needs Windows
# PowerShell 5.1: on an older one the script stops right after this region
# with a message naming Windows Management Framework 5.1, and the client and
# server scripts first send a minimal document saying so (collector.error).
# -----------------------------------------------------------------------------

function Test-WfOldPowerShell {
    # Whether PowerShell $Major.$Minor is older than Windows PowerShell 5.1,
    # which everything after this region needs.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Test-WfOldPowerShell 2 0 => $true
    #   Test-WfOldPowerShell 4 0 => $true
    #   Test-WfOldPowerShell 5 0 => $true
    #   Test-WfOldPowerShell 5 1 => $false
    #   Test-WfOldPowerShell 7 4 => $false
    param([Parameter(Position = 0)] [int] $Major, [Parameter(Position = 1)] [int] $Minor)
    return ($Major -lt 5 -or ($Major -eq 5 -and $Minor -lt 1))
}

function ConvertTo-WfJsonText {
    # $Text as the inside of a JSON string: quotes and backslashes escaped,
    # everything beyond ASCII as \uXXXX, control characters dropped (the
    # dashboard refuses them in names and messages).
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   ConvertTo-WfJsonText 'C:\Program Files "x"' => 'C:\\Program Files \"x\"'
    #   ConvertTo-WfJsonText "line one`r`nline two`ttab" => 'line oneline twotab'
    #   ConvertTo-WfJsonText "Gr`u{fc}`u{df}e" => 'Gr\u00fc\u00dfe'
    #   ConvertTo-WfJsonText '' => ''
    #   ConvertTo-WfJsonText $null => ''
    param([Parameter(Position = 0)] [AllowNull()] [string] $Text)
    if (-not $Text) { return '' }
    $builder = New-Object System.Text.StringBuilder
    foreach ($c in $Text.ToCharArray()) {
        $code = [int]$c
        if ($code -eq 34) { $null = $builder.Append('\"') }
        elseif ($code -eq 92) { $null = $builder.Append('\\') }
        elseif ($code -lt 32 -or $code -eq 127) { continue }
        elseif ($code -gt 126) { $null = $builder.Append(('\u{0:x4}' -f $code)) }
        else { $null = $builder.Append($c) }
    }
    return $builder.ToString()
}

function Get-WfDashboardBase {
    # The dashboard's base URL without a trailing slash, or an error saying
    # what is wrong with -Dashboard. Only https: over http:// the bearer token
    # would cross the network in clear text, so http needs -AllowInsecure -
    # except to this computer itself (localhost, 127.0.0.0/8, ::1).
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Get-WfDashboardBase 'https://wsusfleet.corp.example' => 'https://wsusfleet.corp.example'
    #   Get-WfDashboardBase 'https://wsusfleet.corp.example/' => 'https://wsusfleet.corp.example'
    #   Get-WfDashboardBase ' HTTPS://WsusFleet.corp.example:8443/ ' => 'https://wsusfleet.corp.example:8443'
    #   Get-WfDashboardBase 'https://wsusfleet.corp.example:443' => 'https://wsusfleet.corp.example'
    #   Get-WfDashboardBase 'https://proxy.corp.example/wsusfleet/' => 'https://proxy.corp.example/wsusfleet'
    #   Get-WfDashboardBase 'http://wsusfleet.corp.example' => throw '-AllowInsecure'
    #   Get-WfDashboardBase 'http://wsusfleet.corp.example:8080' -AllowInsecure => 'http://wsusfleet.corp.example:8080'
    #   Get-WfDashboardBase 'http://localhost:8080' => 'http://localhost:8080'
    #   Get-WfDashboardBase 'http://127.0.0.1:8080/' => 'http://127.0.0.1:8080'
    #   Get-WfDashboardBase 'http://[::1]:8080' => 'http://[::1]:8080'
    #   Get-WfDashboardBase 'wsusfleet.corp.example' => throw 'base URL'
    #   Get-WfDashboardBase 'ftp://wsusfleet.corp.example' => throw 'base URL'
    #   Get-WfDashboardBase '' => throw 'base URL'
    #   Get-WfDashboardBase 'https://admin:secret@wsusfleet.corp.example' => throw 'user name'
    #   Get-WfDashboardBase 'https://wsusfleet.corp.example/?token=x' => throw 'query'
    #   Get-WfDashboardBase 'https://wsusfleet.corp.example/#top' => throw 'query'
    param([Parameter(Position = 0)] [AllowNull()] [string] $Url, [switch] $AllowInsecure)
    $uri = $null
    $text = ''
    if ($Url) { $text = $Url.Trim() }
    if (-not $text -or -not [Uri]::TryCreate($text, [UriKind]::Absolute, [ref]$uri) -or ($uri.Scheme -ne 'https' -and $uri.Scheme -ne 'http')) {
        throw ('-Dashboard must be the base URL of the dashboard, like https://wsusfleet.corp.example; got "{0}"' -f $Url)
    }
    if ($uri.UserInfo) { throw '-Dashboard must not carry a user name or password: the token is the credential.' }
    if ($uri.Query -or $uri.Fragment) { throw ('-Dashboard must be a base URL without a query or fragment; got "{0}"' -f $Url) }
    if ($uri.Scheme -eq 'http' -and -not $uri.IsLoopback -and -not $AllowInsecure) {
        throw ('-Dashboard {0} is http://, so the token would cross the network in clear text. Use the https:// address, or add -AllowInsecure to accept the risk.' -f $text)
    }
    return $uri.Scheme + '://' + $uri.Authority + $uri.AbsolutePath.TrimEnd('/')
}

function Resolve-WfToken {
    # The dashboard token from -Token, else the first line of -TokenFile, else
    # the WSUSFLEET_TOKEN environment variable; $null when none is given.
    param([string] $Token, [string] $TokenFile)
    if ($Token) { return $Token.Trim() }
    if ($TokenFile) {
        if (-not (Test-Path -LiteralPath $TokenFile -PathType Leaf)) { throw ('-TokenFile: "{0}" does not exist or is not a file.' -f $TokenFile) }
        $line = Get-Content -LiteralPath $TokenFile -TotalCount 1 -ErrorAction Stop
        if ($line) { return ([string]$line).Trim() }
        throw ('-TokenFile: "{0}" is empty.' -f $TokenFile)
    }
    if ($env:WSUSFLEET_TOKEN) { return $env:WSUSFLEET_TOKEN.Trim() }
    return $null
}

function Get-WfFqdn {
    # This computer's DNS name from its own configuration (no DNS query).
    $properties = [Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties()
    $name = $properties.HostName
    if ($properties.DomainName) { $name = $name + '.' + $properties.DomainName }
    return $name.ToLowerInvariant()
}

function Get-WfLegacyPolicyJson {
    # ',"wu_server":"...","wu_status_server":"..."' from the Windows Update
    # policy, for the minimal client report: with them the dashboard files the
    # note under the right WSUS server. Values that are not http(s) URLs are
    # left out.
    $json = ''
    foreach ($pair in @(@('wu_server', 'WUServer'), @('wu_status_server', 'WUStatusServer'))) {
        $value = $null
        try {
            $key = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate' -Name $pair[1] -ErrorAction Stop
            $value = [string]$key.($pair[1])
        }
        catch { $value = $null }
        if ($value -and $value.Length -le 2048 -and $value -match '^https?://[^\s/]+') {
            $json += ',"' + $pair[0] + '":"' + (ConvertTo-WfJsonText $value.Trim()) + '"'
        }
    }
    return $json
}

function Send-WfLegacyDocument {
    # One POST of a JSON text; the HTTP status, or 0 when no answer came.
    param([string] $Uri, [string] $Token, [string] $Json, [int] $TimeoutSec)
    try {
        # TLS 1.2 by number: the name is missing from .NET before 4.5.
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]3072
    }
    catch { $null = $_ }
    $bytes = [Text.Encoding]::UTF8.GetBytes($Json)
    $request = [Net.WebRequest]::Create($Uri)
    $request.Method = 'POST'
    $request.ContentType = 'application/json'
    $request.Headers.Add('Authorization', 'Bearer ' + $Token)
    $request.AllowAutoRedirect = $false
    $request.Timeout = $TimeoutSec * 1000
    $request.ReadWriteTimeout = $TimeoutSec * 1000
    $request.ContentLength = $bytes.Length
    $response = $null
    try {
        $body = $request.GetRequestStream()
        $body.Write($bytes, 0, $bytes.Length)
        $body.Close()
        $response = $request.GetResponse()
    }
    catch [Net.WebException] {
        $response = $_.Exception.Response
        if ($null -eq $response) { throw }
    }
    $status = [int]$response.StatusCode
    $response.Close()
    return $status
}

function Send-WfLegacyReport {
    # On PowerShell before 5.1: the message naming Windows Management
    # Framework 5.1 on the console (and in -LogFile), and, when -Template is
    # given and so are -Dashboard and a token, one POST of the minimal
    # document -Template describes, carrying the message as collector.error:
    # the dashboard then shows that the collector could not run instead of
    # whatever a missing section would suggest. The caller exits with 3.
    param(
        [string] $Template,
        [string] $Endpoint,
        [string] $Name,
        [string] $Extra,
        [string] $Dashboard,
        [string] $Token,
        [string] $TokenFile,
        [string] $OutFile,
        [string] $LogFile,
        [switch] $AllowInsecure,
        [int] $TimeoutSec = 30
    )
    $message = ('{0} needs Windows PowerShell 5.1, and this is PowerShell {1}. Install Windows Management Framework 5.1 (https://aka.ms/wmf51download; it needs .NET Framework 4.5.2 or later) and run it again.' -f $script:WfCollectorName, $PSVersionTable.PSVersion)
    $lines = @('ERROR: ' + $message)
    if ($Template -and $Dashboard -and -not $OutFile) {
        try {
            $base = Get-WfDashboardBase $Dashboard -AllowInsecure:$AllowInsecure
            $secret = Resolve-WfToken -Token $Token -TokenFile $TokenFile
            if (-not $secret) { throw 'no token was given' }
            $stamp = [DateTime]::UtcNow.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
            $json = $Template -f ([Guid]::NewGuid().ToString()), $stamp, (ConvertTo-WfJsonText $script:WfCollectorName), (ConvertTo-WfJsonText $script:WfVersion), (ConvertTo-WfJsonText $env:COMPUTERNAME), (ConvertTo-WfJsonText $message), (ConvertTo-WfJsonText $Name), $Extra
            $status = Send-WfLegacyDocument -Uri ($base + $Endpoint) -Token $secret -Json $json -TimeoutSec $TimeoutSec
            if ($status -eq 200 -or $status -eq 201) { $lines += 'The dashboard was told that this collector cannot run here.' }
            else { $lines += ('ERROR: the dashboard answered HTTP {0} to the note that this collector cannot run here.' -f $status) }
        }
        catch { $lines += ('ERROR: the dashboard was not told that this collector cannot run here: ' + $_.Exception.Message) }
    }
    foreach ($line in $lines) { $Host.UI.WriteErrorLine($line) }
    if ($LogFile) {
        $stamp = [DateTime]::UtcNow.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
        try { Add-Content -LiteralPath $LogFile -Value ($lines | ForEach-Object { $stamp + ' ERROR ' + ($_ -replace '^ERROR: ', '') }) -ErrorAction Stop }
        catch { $Host.UI.WriteErrorLine('ERROR: cannot write the log file: ' + $_.Exception.Message) }
    }
}
# endregion shared: preamble

if (Test-WfOldPowerShell $PSVersionTable.PSVersion.Major $PSVersionTable.PSVersion.Minor) {
    Send-WfLegacyReport -Template $script:WfLegacyDocument -Endpoint '/api/v1/client-reports' -Name (Get-WfFqdn) -Extra (Get-WfLegacyPolicyJson) -Dashboard $Dashboard -Token $Token -TokenFile $TokenFile -OutFile $OutFile -LogFile $LogFile -AllowInsecure:$AllowInsecure -TimeoutSec $TimeoutSec
    exit 3
}

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# region wsusfleet-names
# The JSON property names this script emits, per type of the dashboard's
# schema (probes/clientreport.go), in the order they are written.
# New-WfObject refuses any other name, and scripts/contract_test.go checks
# every name here against the json tags of the Go type of the same name.
$script:WfNames = @{
    ClientReport       = @('schema', 'id', 'collected_at', 'collector', 'client', 'vdir_checks', 'update_errors')
    Collector          = @('name', 'version', 'host', 'vantage', 'error')
    ClientView         = @('name', 'ip', 'os', 'wu_server', 'wu_status_server', 'update_service_url_alternate', 'use_wu_server', 'au_options', 'no_auto_update', 'detection_frequency_hours', 'target_group_enabled', 'target_group', 'set_proxy_behavior', 'sus_client_id', 'services', 'winhttp_proxy', 'dual_scan', 'do_not_connect_to_wu_internet', 'update_source')
    ClientServices     = @('wuauserv', 'bits', 'wuauserv_start', 'bits_start')
    DualScan           = @('defer_quality_updates', 'defer_feature_updates', 'disable_dual_scan')
    UpdateSourcePolicy = @('use_update_class_policy_source', 'feature_updates', 'quality_updates', 'driver_updates', 'other_updates')
    VDirCheck          = @('vdir', 'url', 'method', 'status', 'substatus', 'latency_ms', 'error', 'error_kind', 'www_authenticate', 'server_header', 'location', 'dns', 'tls')
    TLSInfo            = @('version', 'subject', 'issuer', 'sans', 'not_after', 'chain_valid', 'name_matches', 'error')
    UpdateError        = @('time', 'operation', 'code', 'event_id', 'message')
}
# endregion wsusfleet-names

# region shared: common
# -----------------------------------------------------------------------------
# Identical in every wsusfleet collector (scripts/contract_test.go compares the
# copies): enum values, time and text helpers, the JSON writer that accepts only
# the property names of $WfNames, the spool and the upload with retries.
# -----------------------------------------------------------------------------

# Exit codes, documented in docs/collectors.md.
$script:WfExit = @{ Ok = 0; Failed = 1; Usage = 2; Prerequisite = 3; Spooled = 4; Rejected = 5 }
$script:WfExitCode = 1
$script:WfLogFile = $null
$script:WfWarnings = 0
# Values left out because the dashboard would refuse them (a time before 1990
# or a day ahead): one bad value costs that value, not the report.
$script:WfDropped = 0
# The run's clock and time budget in seconds (0: none; the client report sets
# -MaxSeconds): every request's timeout is cut to what is left of it.
$script:WfClock = [Diagnostics.Stopwatch]::StartNew()
$script:WfBudgetSec = 0

# The enum values the dashboard accepts (probes/enums.go). Every enum value a
# collector emits goes through Get-WfEnum, which returns only values from here.
$script:WfEnums = @{
    report_schema        = @('wsusfleet.report.v1')
    client_report_schema = @('wsusfleet.client-report.v1')
    inventory_schema     = @('wsusfleet.inventory.v1')
    vantage              = @('server', 'remote', 'dashboard', 'client')
    vdir                 = @('ClientWebService', 'SimpleAuthWebService', 'DssAuthWebService', 'ServerSyncWebService', 'ApiRemoting30', 'ReportingWebService', 'Inventory', 'SelfUpdate', 'Content')
    targeting            = @('client', 'server')
    method               = @('GET', 'HEAD')
    error_kind           = @('dns', 'connect', 'timeout', 'tls', 'http')
    client_certs         = @('ignore', 'accept', 'require')
    pool_state           = @('Started', 'Starting', 'Stopped', 'Stopping', 'Unknown')
    service_state        = @('Running', 'Stopped', 'StartPending', 'StopPending', 'ContinuePending', 'PausePending', 'Paused', 'NotFound', 'Unknown')
    start_type           = @('Automatic', 'AutomaticDelayedStart', 'Manual', 'Disabled', 'Boot', 'System')
    ace_type             = @('Allow', 'Deny')
    event_level          = @('Critical', 'Error', 'Warning', 'Information', 'Verbose')
    sync_from            = @('microsoft_update', 'upstream')
    sync_result          = @('Succeeded', 'Failed', 'Canceled', 'NeverRun', 'Running', 'Unknown')
    update_operation     = @('scan', 'download', 'install', 'report', 'selfupdate', 'other')
}

function Get-WfEnum {
    # The canonical spelling of $Value in enum $Enum (enum values such as
    # ServiceControllerStatus compare by their English .NET name, never by
    # localized text). Otherwise -Default, or $null with -Optional, or an error.
    param(
        [Parameter(Mandatory = $true, Position = 0)] [string] $Enum,
        [Parameter(Position = 1)] [AllowNull()] [object] $Value,
        [string] $Default,
        [switch] $Optional
    )
    $allowed = $script:WfEnums[$Enum]
    if ($null -eq $allowed) { throw "wsusfleet: unknown enum '$Enum'" }
    $text = ''
    if ($null -ne $Value) { $text = [string]$Value }
    foreach ($candidate in $allowed) {
        if ([string]::Equals($candidate, $text, [StringComparison]::OrdinalIgnoreCase)) { return $candidate }
    }
    if ($Default) { return (Get-WfEnum $Enum $Default) }
    if ($Optional) { return $null }
    throw "wsusfleet: '$text' is not a $Enum value ($($allowed -join ', '))"
}

function ConvertTo-WfTime {
    # RFC 3339 UTC text, or $null: for "never" (WSUS writes DateTime.MinValue,
    # 0001-01-01, or SQL's 1753-01-01), and for a time the dashboard would
    # refuse - before 1990, or more than a day after -Now (a wrong clock) -
    # which is dropped and counted in $WfDropped. -Future allows later times
    # (a certificate's expiry). WSUS API times are UTC with Kind Unspecified;
    # event log and certificate times are Local.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   ConvertTo-WfTime ([datetime]'2026-11-21T09:30:00') -Now ([datetime]'2026-11-21T12:00:00') => '2026-11-21T09:30:00Z'
    #   ConvertTo-WfTime ([datetime]'0001-01-01T00:00:00') => $null
    #   ConvertTo-WfTime ([datetime]'1753-01-01T00:00:00') => $null
    #   ConvertTo-WfTime ([datetime]'1989-12-31T23:59:59') => $null
    #   ConvertTo-WfTime ([datetime]'1990-01-01T00:00:00') -Now ([datetime]'2026-11-21T12:00:00') => '1990-01-01T00:00:00Z'
    #   ConvertTo-WfTime ([datetime]'2026-11-22T11:00:00') -Now ([datetime]'2026-11-21T12:00:00') => '2026-11-22T11:00:00Z'
    #   ConvertTo-WfTime ([datetime]'2026-11-23T09:30:00') -Now ([datetime]'2026-11-21T12:00:00') => $null
    #   ConvertTo-WfTime ([datetime]'2027-03-14T11:59:59') -Now ([datetime]'2026-11-21T12:00:00') -Future => '2027-03-14T11:59:59Z'
    #   ConvertTo-WfTime '2026-11-21T09:30:00Z' => $null
    #   ConvertTo-WfTime $null => $null
    param([Parameter(Position = 0)] [AllowNull()] [object] $Value, [switch] $Future, [datetime] $Now = [datetime]::UtcNow)
    if ($null -eq $Value -or $Value -isnot [datetime]) { return $null }
    $t = [datetime]$Value
    if ($t.Year -lt 1900) { return $null }
    if ($t.Kind -eq [DateTimeKind]::Local) { $t = $t.ToUniversalTime() }
    else { $t = [datetime]::SpecifyKind($t, [DateTimeKind]::Utc) }
    if ($t.Year -lt 1990 -or (-not $Future -and $t.Ticks -gt $Now.AddDays(1).Ticks)) {
        $script:WfDropped++
        return $null
    }
    return $t.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
}

function Limit-WfText {
    # Trimmed text of at most $MaxBytes UTF-8 bytes (the dashboard's limits
    # are in bytes), cut with an ellipsis; $null for empty text.
    param([Parameter(Position = 0)] [AllowNull()] [object] $Text, [Parameter(Position = 1)] [int] $MaxBytes)
    if ($null -eq $Text) { return $null }
    $s = ([string]$Text).Trim()
    if ($s.Length -eq 0) { return $null }
    $utf8 = [Text.Encoding]::UTF8
    if ($utf8.GetByteCount($s) -le $MaxBytes) { return $s }
    $limit = $MaxBytes - 3
    $n = [Math]::Min($s.Length, $limit)
    while ($n -gt 0) {
        $excess = $utf8.GetByteCount($s.Substring(0, $n)) - $limit
        if ($excess -le 0) { break }
        $n -= [Math]::Max(1, [int][Math]::Ceiling($excess / 4))
    }
    $n = [Math]::Max(0, $n)
    if ($n -gt 0 -and [char]::IsHighSurrogate($s[$n - 1])) { $n-- }
    return $s.Substring(0, $n) + [string][char]0x2026
}

function Repair-WfText {
    # Drops control characters other than tab, CR and LF: the dashboard
    # rejects them in every string.
    param([Parameter(Position = 0)] [string] $Text)
    return [regex]::Replace($Text, '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]', '')
}

function New-WfObject {
    # One JSON object of probes type $Type with the properties of $Property, in
    # the order of $WfNames. A name missing from $WfNames is a bug and throws.
    # $null, empty strings and empty lists are left out: the dashboard reads a
    # missing property as "not set".
    param(
        [Parameter(Mandatory = $true, Position = 0)] [string] $Type,
        [Parameter(Mandatory = $true, Position = 1)] [hashtable] $Property
    )
    $names = $script:WfNames[$Type]
    if ($null -eq $names) { throw "wsusfleet: unknown type '$Type'" }
    foreach ($key in $Property.Keys) {
        if ($names -cnotcontains $key) { throw "wsusfleet: '$key' is not a property of $Type" }
    }
    $object = [ordered]@{}
    foreach ($name in $names) {
        if (-not $Property.ContainsKey($name)) { continue }
        $value = $Property[$name]
        if ($null -eq $value) { continue }
        if ($value -is [string]) {
            $value = Repair-WfText $value
            if ($value.Length -eq 0) { continue }
        }
        elseif ($value -is [Collections.ICollection] -and $value -isnot [Collections.IDictionary] -and $value.Count -eq 0) {
            continue
        }
        $object[$name] = $value
    }
    return $object
}

function ConvertTo-WfJson {
    # Compact JSON of one value. -InputObject keeps one-item and empty lists
    # as arrays; the depth covers the deepest document (a vDir check's TLS).
    param([Parameter(Position = 0)] [AllowNull()] [object] $Value)
    return (ConvertTo-Json -InputObject $Value -Depth 16 -Compress)
}

function Open-WfJsonWriter {
    # A UTF-8 (no BOM) text writer on a new file, gzip-compressed with -Gzip.
    param([Parameter(Mandatory = $true)] [string] $Path, [switch] $Gzip)
    $file = [IO.File]::Open($Path, [IO.FileMode]::Create, [IO.FileAccess]::Write, [IO.FileShare]::None)
    $stream = $file
    if ($Gzip) { $stream = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionMode]::Compress) }
    return [IO.StreamWriter]::new($stream, [Text.UTF8Encoding]::new($false), 65536)
}

function Write-WfJsonName {
    # Writes '"name":' for a property of $Type, after a comma unless -First.
    param(
        [Parameter(Mandatory = $true, Position = 0)] [IO.TextWriter] $Writer,
        [Parameter(Mandatory = $true, Position = 1)] [string] $Type,
        [Parameter(Mandatory = $true, Position = 2)] [string] $Name,
        [switch] $First
    )
    $names = $script:WfNames[$Type]
    if ($null -eq $names -or $names -cnotcontains $Name) { throw "wsusfleet: '$Name' is not a property of $Type" }
    if (-not $First) { $Writer.Write(',') }
    $Writer.Write('"' + $Name + '":')
}

function Write-WfJsonProperty {
    # Writes '"name":value' for a property of $Type (see Write-WfJsonName).
    param(
        [Parameter(Mandatory = $true, Position = 0)] [IO.TextWriter] $Writer,
        [Parameter(Mandatory = $true, Position = 1)] [string] $Type,
        [Parameter(Mandatory = $true, Position = 2)] [string] $Name,
        [Parameter(Position = 3)] [AllowNull()] [object] $Value,
        [switch] $First
    )
    Write-WfJsonName $Writer $Type $Name -First:$First
    $Writer.Write((ConvertTo-WfJson $Value))
}

function Copy-WfJsonPart {
    # Appends the raw JSON text of a part file (a section streamed to disk).
    param([Parameter(Mandatory = $true)] [IO.StreamWriter] $Writer, [Parameter(Mandatory = $true)] [string] $Path)
    $Writer.Flush()
    $source = [IO.File]::OpenRead($Path)
    try { $source.CopyTo($Writer.BaseStream) } finally { $source.Dispose() }
}

function Write-WfLog {
    # One log line on the console and, with -LogFile, appended to that file.
    param(
        [Parameter(Mandatory = $true, Position = 0)] [ValidateSet('Info', 'Warning', 'Error')] [string] $Level,
        [Parameter(Mandatory = $true, Position = 1)] [AllowEmptyString()] [string] $Message
    )
    $stamp = [datetime]::UtcNow.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
    switch ($Level) {
        'Info' { Write-Host $Message }
        'Warning' { $script:WfWarnings++; Write-Warning $Message }
        'Error' { $Host.UI.WriteErrorLine('ERROR: ' + $Message) }
    }
    if ($script:WfLogFile) {
        try {
            $line = '{0} {1} {2}{3}' -f $stamp, $Level.ToUpperInvariant(), $Message, [Environment]::NewLine
            [IO.File]::AppendAllText($script:WfLogFile, $line, [Text.UTF8Encoding]::new($false))
        }
        catch { Write-Warning ('cannot write the log file {0}: {1}' -f $script:WfLogFile, $_.Exception.Message) }
    }
}

function Stop-WfRun {
    # Ends the run with one of the documented exit codes and a clear message.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $Code, [Parameter(Mandatory = $true, Position = 1)] [string] $Message)
    $script:WfExitCode = $script:WfExit[$Code]
    throw $Message
}

function Get-WfOptional {
    # The value of $Read, or $null with a warning when reading it fails: one
    # unreadable value is left out, the report still goes. A list comes back
    # unrolled: wrap the call in @() where a list is wanted.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $Name, [Parameter(Mandatory = $true, Position = 1)] [scriptblock] $Read)
    try { return (& $Read) }
    catch {
        Write-WfLog Warning ('{0} not collected: {1}' -f $Name, $_.Exception.Message)
        return $null
    }
}

function Resolve-WfPath {
    # A path parameter as a full path. A relative path resolves against the
    # current PowerShell location - the working directory the script was
    # started in - not the process directory that .NET would use for it
    # (%windir%\System32 under a scheduled task without "Start in").
    param([Parameter(Position = 0)] [AllowNull()] [string] $Path)
    if (-not $Path) { return $null }
    return $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

function Initialize-WfRuntime {
    # Forces TLS 1.2 (Windows PowerShell 5.1 on .NET 4.x may offer only
    # SSL 3/TLS 1.0) and undoes the 5.1 type data that makes ConvertTo-Json
    # write arrays as {"value":[...],"Count":n}.
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    if ($PSVersionTable.PSVersion.Major -lt 6) {
        Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue
    }
    $script:WfUserAgent = 'wsusfleet-collector/{0} ({1}; PowerShell {2})' -f $script:WfVersion, $script:WfCollectorName, $PSVersionTable.PSVersion
}

function Split-WfList {
    # Accepts "a,b" and "a;b" as well as @('a','b'): powershell.exe -File
    # passes a list parameter as one comma-separated string. For names that
    # cannot hold a comma or semicolon (sections, host names); distinguished
    # names go through Split-WfDnList.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Split-WfList @('clients,acls') => @('clients', 'acls')
    #   Split-WfList @('clients; acls ;') => @('clients', 'acls')
    #   Split-WfList @('clients', 'acls') => @('clients', 'acls')
    #   Split-WfList @(' , ') => @()
    #   Split-WfList $null => @()
    param([Parameter(Position = 0)] [AllowNull()] [string[]] $Value)
    $out = [Collections.Generic.List[string]]::new()
    foreach ($v in @($Value)) {
        if ($null -eq $v) { continue }
        foreach ($part in ($v -split '[,;]')) {
            if ($part.Trim()) { $out.Add($part.Trim()) }
        }
    }
    return , $out.ToArray()
}

function Get-WfRequestTimeoutMs {
    # The timeout of the next request in milliseconds: -TimeoutSec, cut to
    # what is left of a budget of -BudgetSec seconds of which -ElapsedSec are
    # spent; 0 when less than a second is left (do not start it). Without a
    # budget (0) simply -TimeoutSec.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Get-WfRequestTimeoutMs -TimeoutSec 5 -ElapsedSec 0 -BudgetSec 0 => 5000
    #   Get-WfRequestTimeoutMs -TimeoutSec 120 -ElapsedSec 4000 -BudgetSec 0 => 120000
    #   Get-WfRequestTimeoutMs -TimeoutSec 5 -ElapsedSec 3 -BudgetSec 30 => 5000
    #   Get-WfRequestTimeoutMs -TimeoutSec 5 -ElapsedSec 27.5 -BudgetSec 30 => 2500
    #   Get-WfRequestTimeoutMs -TimeoutSec 5 -ElapsedSec 29 -BudgetSec 30 => 1000
    #   Get-WfRequestTimeoutMs -TimeoutSec 5 -ElapsedSec 29.2 -BudgetSec 30 => 0
    #   Get-WfRequestTimeoutMs -TimeoutSec 5 -ElapsedSec 31 -BudgetSec 30 => 0
    param([int] $TimeoutSec, [double] $ElapsedSec, [double] $BudgetSec)
    $ms = [int64]$TimeoutSec * 1000
    if ($BudgetSec -le 0) { return [int]$ms }
    $left = [int64][Math]::Floor(($BudgetSec - $ElapsedSec) * 1000)
    if ($left -lt 1000) { return 0 }
    return [int][Math]::Min($ms, $left)
}

function Get-WfTimeoutMs {
    # Get-WfRequestTimeoutMs on the run's clock; -BudgetSec defaults to the
    # run's budget.
    param([int] $TimeoutSec, [double] $BudgetSec = $script:WfBudgetSec)
    return (Get-WfRequestTimeoutMs -TimeoutSec $TimeoutSec -ElapsedSec $script:WfClock.Elapsed.TotalSeconds -BudgetSec $BudgetSec)
}

function Resolve-WfHostAddresses {
    # The addresses a host name resolves to from here, waiting at most
    # $TimeoutMs (HttpWebRequest's own lookup ignores its timeout); empty on
    # failure.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $HostName, [Parameter(Position = 1)] [int] $TimeoutMs = 5000)
    $addresses = [Collections.Generic.List[string]]::new()
    try {
        $task = [Net.Dns]::GetHostAddressesAsync($HostName)
        if ($task.Wait($TimeoutMs)) {
            foreach ($address in $task.Result) {
                if ($addresses.Count -lt 32) { $addresses.Add($address.IPAddressToString) }
            }
        }
    }
    catch { $addresses.Clear() }
    return , $addresses.ToArray()
}

function Find-WfWebException {
    # The WebException inside whatever PowerShell wrapped it in.
    param([AllowNull()] [Exception] $Exception)
    $e = $Exception
    while ($null -ne $e) {
        if ($e -is [Net.WebException]) { return $e }
        $e = $e.InnerException
    }
    return $null
}

function Read-WfResponseText {
    # Up to $MaxChars of a response body, for error messages.
    param([Parameter(Mandatory = $true, Position = 0)] [Net.WebResponse] $Response, [Parameter(Position = 1)] [int] $MaxChars = 65536)
    try {
        $stream = $Response.GetResponseStream()
        if ($null -eq $stream) { return '' }
        $reader = [IO.StreamReader]::new($stream, [Text.Encoding]::UTF8)
        try {
            $buffer = New-Object char[] $MaxChars
            $n = $reader.ReadBlock($buffer, 0, $MaxChars)
            return [string]::new($buffer, 0, $n)
        }
        finally { $reader.Dispose() }
    }
    catch { return '' }
}

function Format-WfProblem {
    # An RFC 9457 problem (title, detail, errors[].pointer/detail) as readable
    # lines; any other body verbatim, shortened.
    param([int] $Status, [string] $ContentType, [string] $Body)
    $lines = [Collections.Generic.List[string]]::new()
    $problem = $null
    if ($Body -and $ContentType -match 'json') {
        try { $problem = ConvertFrom-Json -InputObject $Body -ErrorAction Stop } catch { $problem = $null }
    }
    if ($null -ne $problem -and $problem -is [psobject] -and $null -ne $problem.PSObject.Properties['title']) {
        $head = 'HTTP {0}: {1}' -f $Status, $problem.title
        if ($null -ne $problem.PSObject.Properties['detail'] -and $problem.detail) { $head += ' - ' + $problem.detail }
        $lines.Add($head)
        if ($null -ne $problem.PSObject.Properties['errors']) {
            foreach ($fe in @($problem.errors)) {
                $pointer = '(document)'
                $detail = ''
                if ($null -ne $fe.PSObject.Properties['pointer'] -and $fe.pointer) { $pointer = $fe.pointer }
                if ($null -ne $fe.PSObject.Properties['detail']) { $detail = $fe.detail }
                $lines.Add(('  {0}: {1}' -f $pointer, $detail))
            }
        }
    }
    else {
        $text = ''
        if ($Body) { $text = ' ' + (Limit-WfText ($Body -replace '\s+', ' ') 500) }
        $lines.Add(('HTTP {0}:{1}' -f $Status, $text))
    }
    switch ($Status) {
        401 { $lines.Add('  hint: the dashboard did not accept the token (wrong, revoked or missing); check -Token/-TokenFile.') }
        403 { $lines.Add('  hint: the token''s scope does not allow this: server reports, inventories and evidence need scope ingest, client reports scope client (or ingest on a dashboard older than the client scope); e.g. wsusfleet token create --name NAME --scope client') }
        404 { $lines.Add('  hint: check -Dashboard; it is the base URL, e.g. https://wsusfleet.corp.example') }
        413 { $lines.Add('  hint: the document is larger than the dashboard accepts.') }
    }
    return ($lines -join [Environment]::NewLine)
}

function Send-WfFile {
    # One POST of a file, given at most $TimeoutMs. Returns Ok (201 or 200,
    # i.e. stored or already stored), Retry (network error, 408, 429 or 5xx),
    # Status and Message. Under a time budget the dashboard's name is looked
    # up first within the timeout, because HttpWebRequest's own lookup does
    # not honour it.
    param(
        [Parameter(Mandatory = $true)] [string] $Uri,
        [Parameter(Mandatory = $true)] [string] $Token,
        [Parameter(Mandatory = $true)] [string] $Path,
        [string] $ContentType = 'application/json',
        [switch] $Gzip,
        [int] $TimeoutMs = 60000
    )
    $result = @{ Ok = $false; Retry = $true; Status = 0; Message = ''; RetryAfterSec = 0 }
    $response = $null
    try {
        $target = [Uri]$Uri
        $proxy = [Net.WebRequest]::DefaultWebProxy
        if ($script:WfBudgetSec -gt 0 -and -not $target.IsLoopback -and ($null -eq $proxy -or $proxy.IsBypassed($target))) {
            if ((Resolve-WfHostAddresses $target.DnsSafeHost $TimeoutMs).Count -eq 0) {
                $result.Message = '{0} did not resolve within {1:n1} s' -f $target.DnsSafeHost, ($TimeoutMs / 1000)
                return $result
            }
        }
        $request = [Net.HttpWebRequest][Net.WebRequest]::Create($target)
        $request.Method = 'POST'
        $request.ContentType = $ContentType
        $request.Accept = 'application/json, application/problem+json'
        $request.UserAgent = $script:WfUserAgent
        $request.Headers.Add('Authorization', 'Bearer ' + $Token)
        if ($Gzip) { $request.Headers.Add('Content-Encoding', 'gzip') }
        $request.AllowAutoRedirect = $false
        $request.Timeout = $TimeoutMs
        $request.ReadWriteTimeout = $TimeoutMs
        $request.AllowWriteStreamBuffering = $false
        $file = [IO.File]::OpenRead($Path)
        try {
            $request.ContentLength = $file.Length
            $body = $request.GetRequestStream()
            try { $file.CopyTo($body) } finally { $body.Dispose() }
        }
        finally { $file.Dispose() }
        $response = $request.GetResponse()
    }
    catch {
        $web = Find-WfWebException $_.Exception
        if ($null -eq $web) {
            # Not a network error: a bad -Dashboard address or a missing file
            # will not get better by retrying.
            $cause = $_.Exception.GetBaseException()
            $result.Message = $cause.Message
            if (($cause -is [UriFormatException]) -or ($cause -is [NotSupportedException]) -or (-not (Test-Path -LiteralPath $Path))) {
                $result.Retry = $false
            }
            return $result
        }
        if ($null -eq $web.Response) {
            $result.Message = '{0} ({1})' -f $web.Message, $web.Status
            return $result
        }
        $response = $web.Response
    }
    try {
        $status = [int]([Net.HttpWebResponse]$response).StatusCode
        $result.Status = $status
        if ($status -eq 200 -or $status -eq 201) {
            $result.Ok = $true
            $result.Retry = $false
            return $result
        }
        $body = Read-WfResponseText $response
        $result.Message = Format-WfProblem -Status $status -ContentType ([string]$response.ContentType) -Body $body
        if ($status -ge 300 -and $status -lt 400) {
            $result.Retry = $false
            $result.Message += [Environment]::NewLine + ('  hint: the dashboard redirects to {0}; use that address as -Dashboard.' -f $response.Headers['Location'])
        }
        elseif ($status -eq 408 -or $status -eq 429 -or $status -ge 500) {
            $result.Retry = $true
            $after = 0
            if ([int]::TryParse([string]$response.Headers['Retry-After'], [ref]$after)) { $result.RetryAfterSec = $after }
        }
        else {
            $result.Retry = $false
        }
        return $result
    }
    finally { $response.Close() }
}

function Send-WfFileWithRetry {
    # Send-WfFile with exponential backoff (2, 4, 8 ... s, at most
    # $MaxBackoffSec, honouring Retry-After) for retryable failures only.
    # Each attempt and each wait fits in what is left of the run's budget;
    # when nothing is left the last failure is returned (still retryable).
    param(
        [Parameter(Mandatory = $true)] [hashtable] $Send,
        [int] $TimeoutSec = 60,
        [int] $MaxAttempts = 5,
        [int] $MaxBackoffSec = 60
    )
    $random = [Random]::new()
    $attempt = 0
    $result = @{ Ok = $false; Retry = $true; Status = 0; Message = 'the time budget of the run was used up before the upload'; RetryAfterSec = 0 }
    while ($true) {
        $timeoutMs = Get-WfTimeoutMs -TimeoutSec $TimeoutSec
        if ($timeoutMs -eq 0) { return $result }
        $attempt++
        $result = Send-WfFile @Send -TimeoutMs $timeoutMs
        if ($result.Ok -or -not $result.Retry -or $attempt -ge $MaxAttempts) { return $result }
        $delay = [Math]::Min($MaxBackoffSec, [Math]::Pow(2, $attempt))
        if ($result.RetryAfterSec -gt 0) { $delay = [Math]::Min($MaxBackoffSec, $result.RetryAfterSec) }
        $delayMs = [int]($delay * 1000) + $random.Next(0, 1000)
        if ($script:WfBudgetSec -gt 0) {
            # Leave a second for the next attempt, or give up waiting.
            $left = (Get-WfTimeoutMs -TimeoutSec 3600) - 1000
            if ($left -lt 1000) { return $result }
            $delayMs = [Math]::Min($delayMs, $left)
        }
        Write-WfLog Warning ('attempt {0} of {1} failed: {2}; retrying in {3:n1} s' -f $attempt, $MaxAttempts, $result.Message, ($delayMs / 1000))
        Start-Sleep -Milliseconds $delayMs
    }
}

# SYSTEM and Administrators: with the account running the script, the only
# principals that may own or write to the spool and state folders and own
# the files in them (a local user who could drop a document there would have
# it sent with this script's token).
$script:WfTrustedSids = @('S-1-5-18', 'S-1-5-32-544')

# Access mask bits that let a principal put, replace or delete files in a
# folder or change who may: write/append data (create files/folders), delete
# children, delete, change permissions, take ownership, generic write/all.
$script:WfWriteMask = [int64](0x2 -bor 0x4 -bor 0x40 -bor 0x10000 -bor 0x40000 -bor 0x80000 -bor 0x10000000 -bor 0x40000000)
# ... and that let it read a file: read data, generic read, generic all.
$script:WfReadMask = [int64]0x1 -bor [int64]2147483648 -bor [int64]0x10000000

# What each spooled document must start with once unzipped.
$script:WfSpoolSchemas = @{ 'report' = 'wsusfleet.report.v1'; 'client-report' = 'wsusfleet.client-report.v1'; 'inventory' = 'wsusfleet.inventory.v1' }

# The name Publish-WfDocument gives a spooled document: kind, UTC time, id.
$script:WfSpoolNamePattern = '^(report|client-report|inventory)-[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json\.gz$'

function Find-WfUntrustedSid {
    # The first of $Sids (an owner, or the principals an ACL lets write) that
    # is neither SYSTEM, Administrators nor -Me, the account running the
    # script; $null when all of them are trusted.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Find-WfUntrustedSid @('S-1-5-18', 'S-1-5-32-544') -Me 'S-1-5-21-1004336348-1177238915-682003330-1001' => $null
    #   Find-WfUntrustedSid @('S-1-5-21-1004336348-1177238915-682003330-1001') -Me 'S-1-5-21-1004336348-1177238915-682003330-1001' => $null
    #   Find-WfUntrustedSid @('S-1-5-18', 'S-1-5-32-545', 'S-1-5-11') -Me 'S-1-5-18' => 'S-1-5-32-545'
    #   Find-WfUntrustedSid @('S-1-5-21-1004336348-1177238915-682003330-1001') -Me 'S-1-5-18' => 'S-1-5-21-1004336348-1177238915-682003330-1001'
    #   Find-WfUntrustedSid @('S-1-3-0') -Me 'S-1-5-18' => 'S-1-3-0'
    #   Find-WfUntrustedSid @() -Me 'S-1-5-18' => $null
    param([Parameter(Position = 0)] [AllowEmptyCollection()] [string[]] $Sids, [string] $Me)
    foreach ($sid in $Sids) {
        if ($script:WfTrustedSids -contains $sid -or $sid -eq $Me) { continue }
        return $sid
    }
    return $null
}

function Get-WfAclSids {
    # The owner of $Path and the principals its ACL allows any of the access
    # bits in -Mask, as SIDs. Inherit-only entries (CREATOR OWNER) apply to
    # what is inside, which is checked on its own.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $Path, [Parameter(Mandatory = $true)] [int64] $Mask)
    $acl = Get-Acl -LiteralPath $Path
    $sids = [Collections.Generic.List[string]]::new()
    $owner = $acl.GetOwner([Security.Principal.SecurityIdentifier])
    if ($null -ne $owner) { $sids.Add($owner.Value) }
    foreach ($rule in $acl.GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier])) {
        if ($rule.AccessControlType -ne [Security.AccessControl.AccessControlType]::Allow) { continue }
        if ($rule.PropagationFlags -band [Security.AccessControl.PropagationFlags]::InheritOnly) { continue }
        $rights = [int64][int]$rule.FileSystemRights
        if ($rights -lt 0) { $rights += 4294967296 }
        if (($rights -band $Mask) -eq 0) { continue }
        $sids.Add($rule.IdentityReference.Value)
    }
    return , $sids.ToArray()
}

function Get-WfSidName {
    # DOMAIN\name of a SID where it translates, else the SID.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $Sid)
    try { return ([Security.Principal.SecurityIdentifier]::new($Sid)).Translate([Security.Principal.NTAccount]).Value }
    catch { return $Sid }
}

function Test-WfTokenFile {
    # Warns when anyone but SYSTEM, Administrators and this account owns or
    # may read the token file: the token would let them post as this
    # collector. (The client token is not checked: every client holds it.)
    param([Parameter(Mandatory = $true, Position = 0)] [string] $Path)
    try {
        $me = [Security.Principal.WindowsIdentity]::GetCurrent().User.Value
        $other = Find-WfUntrustedSid (Get-WfAclSids $Path -Mask $script:WfReadMask) -Me $me
        if ($null -ne $other) {
            Write-WfLog Warning ('the token file {0} is readable by {1}; restrict it with: icacls "{0}" /inheritance:r /grant:r "*S-1-5-18:R" "*S-1-5-32-544:F"' -f $Path, (Get-WfSidName $other))
        }
    }
    catch { Write-WfLog Warning ('the permissions of the token file {0} could not be read: {1}' -f $Path, $_.Exception.Message) }
}

function Protect-WfFolder {
    # Creates $Path if needed and makes sure only SYSTEM, Administrators and
    # this account own it or may write to it: when anyone else can, it gets a
    # protected ACL (those three, Full Control, inherited by what is inside;
    # this account as owner if the owner was someone else). $null when the
    # folder is safe to use, else why it is not (the caller then trusts
    # nothing in it).
    param([Parameter(Mandatory = $true, Position = 0)] [string] $Path)
    $me = [Security.Principal.WindowsIdentity]::GetCurrent().User.Value
    try {
        if (-not (Test-Path -LiteralPath $Path -PathType Container)) { $null = New-Item -ItemType Directory -Path $Path -Force }
        $item = Get-Item -LiteralPath $Path -Force
        if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) { return ('{0} is a junction or symbolic link' -f $Path) }
        $owner = (Get-Acl -LiteralPath $Path).GetOwner([Security.Principal.SecurityIdentifier])
        if ($null -eq (Find-WfUntrustedSid (Get-WfAclSids $Path -Mask $script:WfWriteMask) -Me $me)) { return $null }

        $security = [Security.AccessControl.DirectorySecurity]::new()
        if ($null -eq $owner -or $null -ne (Find-WfUntrustedSid @($owner.Value) -Me $me)) {
            $security.SetOwner([Security.Principal.SecurityIdentifier]::new($me))
        }
        $security.SetAccessRuleProtection($true, $false)
        $inherit = [Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
        foreach ($sid in @($script:WfTrustedSids + $me | Select-Object -Unique)) {
            $security.AddAccessRule([Security.AccessControl.FileSystemAccessRule]::new(
                    [Security.Principal.SecurityIdentifier]::new($sid), [Security.AccessControl.FileSystemRights]::FullControl,
                    $inherit, [Security.AccessControl.PropagationFlags]::None, [Security.AccessControl.AccessControlType]::Allow))
        }
        Set-Acl -LiteralPath $Path -AclObject $security
        $left = Find-WfUntrustedSid (Get-WfAclSids $Path -Mask $script:WfWriteMask) -Me $me
        if ($null -ne $left) { return ('{0} still lets {1} write to it' -f $Path, $left) }
        Write-WfLog Info ('{0}: now writable by SYSTEM, Administrators and this account only' -f $Path)
        return $null
    }
    catch { return ('{0} cannot be locked down: {1}' -f $Path, $_.Exception.Message) }
}

function Test-WfSpoolName {
    # Whether $Name is a spooled document of kind $Kind as Publish-WfDocument
    # names them ($WfSpoolNamePattern).
    # Cases (scripts/cases_test.go runs them against the pattern):
    #   Test-WfSpoolName -Kind 'report' -Name 'report-20261121T093000123Z-6f1d2c3b-4a5e-4f60-8a71-92b3c4d5e6f7.json.gz' => $true
    #   Test-WfSpoolName -Kind 'client-report' -Name 'client-report-20261121T080211004Z-0d7c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f.json.gz' => $true
    #   Test-WfSpoolName -Kind 'report' -Name 'client-report-20261121T080211004Z-0d7c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f.json.gz' => $false
    #   Test-WfSpoolName -Kind 'report' -Name 'report-20261121T093000123Z-6F1D2C3B-4A5E-4F60-8A71-92B3C4D5E6F7.json.gz' => $false
    #   Test-WfSpoolName -Kind 'report' -Name 'report-20261121T093000123Z-6f1d2c3b-4a5e-4f60-8a71-92b3c4d5e6f7.json.gz.lnk' => $false
    #   Test-WfSpoolName -Kind 'inventory' -Name 'inventory-evil.json.gz' => $false
    param([Parameter(Mandatory = $true)] [string] $Kind, [Parameter(Mandatory = $true)] [string] $Name)
    $match = [regex]::Match($Name, $script:WfSpoolNamePattern)
    return ($match.Success -and $match.Groups[1].Value -ceq $Kind)
}

function Read-WfGzipPrefix {
    # The first $Count bytes of a gzip file, unzipped, as text; '' when it
    # is not gzip.
    param([Parameter(Mandatory = $true)] [string] $Path, [int] $Count = 64)
    $file = [IO.File]::OpenRead($Path)
    try {
        $gzip = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionMode]::Decompress)
        $buffer = New-Object byte[] $Count
        $read = 0
        while ($read -lt $Count) {
            $n = $gzip.Read($buffer, $read, $Count - $read)
            if ($n -le 0) { break }
            $read += $n
        }
        return [Text.Encoding]::UTF8.GetString($buffer, 0, $read)
    }
    catch { return '' }
    finally { $file.Dispose() }
}

function Test-WfSpoolFile {
    # Why a file in the spool must not be sent, or $null: its name must be
    # one this script writes, it must be a plain file owned by SYSTEM,
    # Administrators or this account, and unzipped it must begin like a
    # wsusfleet document of its kind.
    param(
        [Parameter(Mandatory = $true)] [IO.FileInfo] $File,
        [Parameter(Mandatory = $true)] [string] $Kind,
        [Parameter(Mandatory = $true)] [string] $Me,
        [int64] $MaxBytes = 1073741824
    )
    if (-not (Test-WfSpoolName -Kind $Kind -Name $File.Name)) { return 'its name is not one this script gives' }
    if ($File.Attributes -band [IO.FileAttributes]::ReparsePoint) { return 'it is a link' }
    if ($File.Length -lt 20 -or $File.Length -gt $MaxBytes) { return ('its size ({0} bytes) is not that of a document' -f $File.Length) }
    $owner = (Get-Acl -LiteralPath $File.FullName).GetOwner([Security.Principal.SecurityIdentifier])
    if ($null -eq $owner) { return 'its owner is unknown' }
    if ($null -ne (Find-WfUntrustedSid @($owner.Value) -Me $Me)) { return ('it is owned by {0}' -f $owner.Value) }
    $expected = '{"schema":"' + $script:WfSpoolSchemas[$Kind] + '"'
    if (-not (Read-WfGzipPrefix -Path $File.FullName).StartsWith($expected, [StringComparison]::Ordinal)) { return ('it is not a gzip-compressed {0} document' -f $Kind) }
    return $null
}

function Publish-WfDocument {
    # Sends the gzip JSON document $Path, after anything an earlier run left
    # in the spool, oldest first. The document is moved into the spool before
    # the first attempt, so an unreachable dashboard (or a crash) leaves it for
    # the next run; its id is stable, and the dashboard answers a replay of a
    # stored id with 200, so resending is harmless. A document the dashboard
    # rejects (4xx) is moved to <spool>\rejected and never resent. The spool
    # is locked down first (Protect-WfFolder); if that fails nothing in it is
    # sent and this document goes out directly, once.
    # Returns 'sent', 'spooled', 'rejected' or 'lost' for $Path.
    param(
        [Parameter(Mandatory = $true)] [string] $Dashboard,
        [Parameter(Mandatory = $true)] [string] $Endpoint,
        [Parameter(Mandatory = $true)] [string] $Kind,
        [Parameter(Mandatory = $true)] [string] $Id,
        [Parameter(Mandatory = $true)] [string] $Token,
        [Parameter(Mandatory = $true)] [string] $Path,
        [Parameter(Mandatory = $true)] [string] $SpoolDir,
        [int] $SpoolKeep = 20,
        [int] $TimeoutSec = 60,
        [int] $MaxAttempts = 5,
        [int] $MaxBackoffSec = 60
    )
    $uri = $Dashboard + $Endpoint
    $unsafe = Protect-WfFolder $SpoolDir
    if ($unsafe) {
        Write-WfLog Error ('the spool folder is not safe to use ({0}); nothing in it is sent. Remove it, or give -SpoolDir a folder only SYSTEM and Administrators can write to. This run''s document is sent without spooling.' -f $unsafe)
        try {
            $send = @{ Uri = $uri; Token = $Token; Path = $Path; Gzip = $true }
            $result = Send-WfFileWithRetry -Send $send -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts -MaxBackoffSec $MaxBackoffSec
        }
        finally { Remove-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue }
        if ($result.Ok) {
            Write-WfLog Info ('this run''s document accepted by {0} (HTTP {1})' -f $uri, $result.Status)
            return 'sent'
        }
        Write-WfLog Error ('{0} did not take this run''s document, which is dropped: {1}' -f $uri, $result.Message)
        if ($result.Retry) { return 'lost' }
        return 'rejected'
    }
    $stamp = [datetime]::UtcNow.ToString("yyyyMMdd'T'HHmmssfff'Z'", [Globalization.CultureInfo]::InvariantCulture)
    $mine = Join-Path $SpoolDir ('{0}-{1}-{2}.json.gz' -f $Kind, $stamp, $Id)
    Move-Item -LiteralPath $Path -Destination $mine -Force

    # One sender per spool and kind at a time; a second run leaves its
    # document for the next one.
    $lock = $null
    try { $lock = [IO.File]::Open((Join-Path $SpoolDir ('.{0}.lock' -f $Kind)), [IO.FileMode]::OpenOrCreate, [IO.FileAccess]::ReadWrite, [IO.FileShare]::None) }
    catch {
        Write-WfLog Warning ('another run is sending the {0} spool; this document waits in {1} for the next run' -f $Kind, $SpoolDir)
        return 'spooled'
    }
    try { return (Send-WfSpool -Dashboard $Dashboard -Endpoint $Endpoint -Kind $Kind -Mine (Split-Path -Leaf $mine) -Token $Token -SpoolDir $SpoolDir -SpoolKeep $SpoolKeep -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts -MaxBackoffSec $MaxBackoffSec) }
    finally { $lock.Dispose() }
}

function Send-WfSpool {
    # Sends the spooled documents of one kind, oldest first (see
    # Publish-WfDocument); returns the outcome for the document named $Mine.
    # A file that fails Test-WfSpoolFile is moved to <spool>\rejected as
    # suspect-<name> and never sent. Under a time budget the documents that
    # do not fit wait for the next run.
    param(
        [Parameter(Mandatory = $true)] [string] $Dashboard,
        [Parameter(Mandatory = $true)] [string] $Endpoint,
        [Parameter(Mandatory = $true)] [string] $Kind,
        [Parameter(Mandatory = $true)] [string] $Mine,
        [Parameter(Mandatory = $true)] [string] $Token,
        [Parameter(Mandatory = $true)] [string] $SpoolDir,
        [int] $SpoolKeep = 20,
        [int] $TimeoutSec = 60,
        [int] $MaxAttempts = 5,
        [int] $MaxBackoffSec = 60
    )
    $me = [Security.Principal.WindowsIdentity]::GetCurrent().User.Value
    $rejected = Join-Path $SpoolDir 'rejected'
    $queue = [Collections.Generic.List[IO.FileInfo]]::new()
    foreach ($item in @(Get-ChildItem -LiteralPath $SpoolDir -Filter ($Kind + '-*') -File -Force | Sort-Object Name)) {
        $why = Test-WfSpoolFile -File $item -Kind $Kind -Me $me
        if ($null -eq $why) {
            $queue.Add($item)
            continue
        }
        $null = New-Item -ItemType Directory -Path $rejected -Force
        Move-Item -LiteralPath $item.FullName -Destination (Join-Path $rejected ('suspect-' + $item.Name)) -Force
        Write-WfLog Warning ('{0} in the spool is not sent, {1}; moved to {2}' -f $item.Name, $why, $rejected)
    }
    if ($queue.Count -gt $SpoolKeep) {
        foreach ($old in $queue.GetRange(0, $queue.Count - $SpoolKeep)) {
            Write-WfLog Warning ('spool holds more than {0} {1} documents; dropping the oldest, {2}' -f $SpoolKeep, $Kind, $old.Name)
            Remove-Item -LiteralPath $old.FullName -Force
        }
        $queue.RemoveRange(0, $queue.Count - $SpoolKeep)
    }

    $uri = $Dashboard + $Endpoint
    $outcome = 'spooled'
    foreach ($item in $queue) {
        if ((Get-WfTimeoutMs -TimeoutSec $TimeoutSec) -eq 0) {
            Write-WfLog Warning ('the time budget of {0} s is used up; {1} and later documents wait in {2} for the next run' -f $script:WfBudgetSec, $item.Name, $SpoolDir)
            break
        }
        $send = @{ Uri = $uri; Token = $Token; Path = $item.FullName; Gzip = $true }
        $result = Send-WfFileWithRetry -Send $send -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts -MaxBackoffSec $MaxBackoffSec
        $isMine = $item.Name -eq $Mine
        if ($result.Ok) {
            Remove-Item -LiteralPath $item.FullName -Force
            $what = 'spooled document {0}' -f $item.Name
            if ($isMine) { $what = 'this run''s document'; $outcome = 'sent' }
            Write-WfLog Info ('{0} accepted by {1} (HTTP {2})' -f $what, $uri, $result.Status)
            continue
        }
        if (-not $result.Retry) {
            $null = New-Item -ItemType Directory -Path $rejected -Force
            Move-Item -LiteralPath $item.FullName -Destination (Join-Path $rejected $item.Name) -Force
            Write-WfLog Error ('{0} rejected {1} (kept in {2}):{3}{4}' -f $uri, $item.Name, $rejected, [Environment]::NewLine, $result.Message)
            if ($isMine) { $outcome = 'rejected' }
            continue
        }
        Write-WfLog Error ('{0} is unreachable after {1} attempts: {2}{3}{4} document(s) wait in {5} for the next run.' -f $uri, $MaxAttempts, $result.Message, [Environment]::NewLine, @(Get-ChildItem -LiteralPath $SpoolDir -Filter ($Kind + '-*.json.gz') -File).Count, $SpoolDir)
        break
    }
    return $outcome
}

function Complete-WfUpload {
    # Maps the outcome of Publish-WfDocument to the exit code.
    param([Parameter(Mandatory = $true)] [string] $Outcome)
    switch ($Outcome) {
        'sent' { $script:WfExitCode = $script:WfExit.Ok }
        'rejected' { $script:WfExitCode = $script:WfExit.Rejected }
        'lost' { $script:WfExitCode = $script:WfExit.Failed }
        default { $script:WfExitCode = $script:WfExit.Spooled }
    }
}

function New-WfTempFile {
    # A new empty file in the temp folder with the given extension.
    param([string] $Extension)
    $path = Join-Path ([IO.Path]::GetTempPath()) ('wsusfleet-{0}{1}' -f [guid]::NewGuid().ToString('N'), $Extension)
    [IO.File]::WriteAllBytes($path, [byte[]]@())
    return $path
}
# endregion shared: common
# region shared: windows-checks
# -----------------------------------------------------------------------------
# Identical in Send-WsusFleetReport.ps1 and Send-WsusFleetClientReport.ps1
# (scripts/contract_test.go compares the copies): registry and service reads
# and the vDir reachability checks of DESIGN 7.1.
# -----------------------------------------------------------------------------

# The probe path of each WSUS virtual directory, in dashboard order
# (probes/vdirs.go; the contract test keeps the two equal).
$script:WfVDirPaths = [ordered]@{
    ClientWebService     = '/ClientWebService/client.asmx'
    SimpleAuthWebService = '/SimpleAuthWebService/SimpleAuth.asmx'
    DssAuthWebService    = '/DssAuthWebService/DssAuthWebService.asmx'
    ServerSyncWebService = '/ServerSyncWebService/ServerSyncWebService.asmx'
    ApiRemoting30        = '/ApiRemoting30/WebService.asmx'
    ReportingWebService  = '/ReportingWebService/ReportingWebService.asmx'
    Inventory            = '/Inventory/'
    SelfUpdate           = '/selfupdate/wuident.cab'
    Content              = '/Content/'
}

function Get-WfRegistryValue {
    # One value under HKLM in the 64-bit view (a 32-bit host would otherwise
    # read WOW6432Node); $null when the key or value is absent. REG_DWORD
    # comes back as an int, REG_SZ as a string, REG_BINARY as a byte array.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $SubKey, [Parameter(Mandatory = $true, Position = 1)] [string] $Name)
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, [Microsoft.Win32.RegistryView]::Registry64)
    try {
        $key = $base.OpenSubKey($SubKey)
        if ($null -eq $key) { return $null }
        try {
            $value = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            return , $value
        }
        finally { $key.Dispose() }
    }
    finally { $base.Dispose() }
}

function Get-WfServiceInfo {
    # A service's state and start type as the English names of the
    # ServiceController enums, whatever the display language; State is
    # NotFound when the service does not exist.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $Name)
    $service = Get-Service -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $service) { return @{ Name = $Name; State = 'NotFound'; StartType = $null } }
    $start = $null
    try { $start = $service.StartType.ToString() }
    catch {
        # .NET before 4.6.1 has no ServiceController.StartType; WMI's StartMode is not localized either.
        $wmi = Get-CimInstance -ClassName Win32_Service -Filter ("Name='{0}'" -f $service.ServiceName) -ErrorAction SilentlyContinue
        if ($null -ne $wmi) {
            $start = [string]$wmi.StartMode
            if ($start -eq 'Auto') { $start = 'Automatic' }
        }
    }
    if ($start -eq 'Automatic' -and (Get-WfRegistryValue ('SYSTEM\CurrentControlSet\Services\' + $service.ServiceName) 'DelayedAutostart') -eq 1) {
        $start = 'AutomaticDelayedStart'
    }
    return @{ Name = $service.ServiceName; State = $service.Status.ToString(); StartType = $start }
}

function Read-WfDerLength {
    # A DER length at $Index (advanced past it); -1 when malformed.
    param([byte[]] $Bytes, [ref] $Index)
    $i = $Index.Value
    if ($i -ge $Bytes.Length) { return -1 }
    $first = [int]$Bytes[$i]
    $i++
    $length = 0
    if ($first -lt 0x80) { $length = $first }
    else {
        $count = $first -band 0x7F
        if ($count -gt 3 -or ($i + $count) -gt $Bytes.Length) { return -1 }
        for ($k = 0; $k -lt $count; $k++) {
            $length = ($length * 256) + [int]$Bytes[$i]
            $i++
        }
    }
    $Index.Value = $i
    return $length
}

function Get-WfCertificateDnsNames {
    # The dNSName entries of the Subject Alternative Name extension, read from
    # its DER bytes (the formatted text of the extension is localized).
    param([Parameter(Mandatory = $true, Position = 0)] [Security.Cryptography.X509Certificates.X509Certificate2] $Certificate)
    $names = [Collections.Generic.List[string]]::new()
    foreach ($extension in $Certificate.Extensions) {
        if ($extension.Oid.Value -ne '2.5.29.17') { continue }
        $bytes = $extension.RawData
        if ($bytes.Length -lt 2 -or $bytes[0] -ne 0x30) { break }
        $i = 1
        $length = Read-WfDerLength $bytes ([ref]$i)
        if ($length -lt 0) { break }
        $end = [Math]::Min($bytes.Length, $i + $length)
        while ($i -lt $end -and $names.Count -lt 100) {
            $tag = $bytes[$i]
            $i++
            $length = Read-WfDerLength $bytes ([ref]$i)
            if ($length -lt 0 -or ($i + $length) -gt $end) { break }
            if ($tag -eq 0x82) { $names.Add([Text.Encoding]::ASCII.GetString($bytes, $i, $length)) }
            $i += $length
        }
    }
    return , $names.ToArray()
}

function Get-WfTlsInfo {
    # The certificate a TLS 1.2 client sees on HostName:Port and whether this
    # computer trusts it for that name. $null when no certificate was seen
    # (the vDir checks then carry the TLS error).
    param(
        [Parameter(Mandatory = $true)] [string] $HostName,
        [Parameter(Mandatory = $true)] [int] $Port,
        [int] $TimeoutMs = 10000
    )
    $state = @{ Errors = [Net.Security.SslPolicyErrors]::None; Certificate = $null }
    $accept = {
        param($source, $certificate, $chain, $policyErrors)
        $state.Errors = $policyErrors
        if ($null -ne $certificate) { $state.Certificate = [Security.Cryptography.X509Certificates.X509Certificate2]::new($certificate) }
        return $true
    }.GetNewClosure()
    $version = $null
    $failure = $null
    $tcp = [Net.Sockets.TcpClient]::new()
    try {
        if (-not $tcp.ConnectAsync($HostName, $Port).Wait($TimeoutMs)) {
            throw ('no TCP connection within {0:n1} s' -f ($TimeoutMs / 1000))
        }
        $ssl = [Net.Security.SslStream]::new($tcp.GetStream(), $false, [Net.Security.RemoteCertificateValidationCallback]$accept)
        try {
            $ssl.ReadTimeout = $TimeoutMs
            $ssl.WriteTimeout = $TimeoutMs
            $ssl.AuthenticateAsClient($HostName, $null, [Security.Authentication.SslProtocols]::Tls12, $false)
            $version = $ssl.SslProtocol.ToString()
        }
        finally { $ssl.Dispose() }
    }
    catch { $failure = $_.Exception.GetBaseException().Message }
    finally { $tcp.Dispose() }

    $certificate = $state.Certificate
    if ($null -eq $certificate) { return $null }
    $errors = $state.Errors
    $chainValid = ($errors -band [Net.Security.SslPolicyErrors]::RemoteCertificateChainErrors) -eq 0
    $nameMatches = ($errors -band [Net.Security.SslPolicyErrors]::RemoteCertificateNameMismatch) -eq 0
    $problems = [Collections.Generic.List[string]]::new()
    if ($errors -ne [Net.Security.SslPolicyErrors]::None) { $problems.Add($errors.ToString()) }
    if ($failure) { $problems.Add($failure) }
    $sans = Get-WfCertificateDnsNames $certificate
    return (New-WfObject TLSInfo @{
            version      = $version
            subject      = Limit-WfText $certificate.Subject 1024
            issuer       = Limit-WfText $certificate.Issuer 1024
            sans         = $sans
            not_after    = ConvertTo-WfTime $certificate.NotAfter -Future
            chain_valid  = [bool]$chainValid
            name_matches = [bool]$nameMatches
            error        = Limit-WfText ($problems -join '; ') 1024
        })
}

function Get-WfErrorKind {
    # Why a request got no HTTP answer, from the WebExceptionStatus enum.
    param([Parameter(Mandatory = $true, Position = 0)] [Net.WebExceptionStatus] $Status)
    switch ($Status.ToString()) {
        'NameResolutionFailure' { return (Get-WfEnum error_kind 'dns') }
        'ProxyNameResolutionFailure' { return (Get-WfEnum error_kind 'dns') }
        'ConnectFailure' { return (Get-WfEnum error_kind 'connect') }
        'Timeout' { return (Get-WfEnum error_kind 'timeout') }
        'TrustFailure' { return (Get-WfEnum error_kind 'tls') }
        'SecureChannelFailure' { return (Get-WfEnum error_kind 'tls') }
    }
    return (Get-WfEnum error_kind 'http')
}

function Invoke-WfVDirCheck {
    # One anonymous GET of a vDir URL the way a Windows Update client makes
    # it: no credentials, redirects recorded but not followed. Status and WWW-Authenticate
    # come off the wire; the IIS substatus only from a detailed error page
    # (IIS shows those to local requests), matched by number, not by text.
    # -Unresolved: the name did not resolve (and no proxy resolves it for
    # us), so no request is made - HttpWebRequest would wait for its own
    # lookup beyond any timeout.
    param(
        [Parameter(Mandatory = $true)] [string] $VDir,
        [Parameter(Mandatory = $true)] [string] $Url,
        [int] $TimeoutMs = 10000,
        [AllowNull()] [Net.IWebProxy] $Proxy = $null,
        [AllowNull()] [object] $Dns = $null,
        [AllowNull()] [object] $Tls = $null,
        [switch] $Unresolved
    )
    $status = 0
    $substatus = $null
    $errorText = $null
    $errorKind = $null
    $authenticate = [Collections.Generic.List[string]]::new()
    $serverHeader = $null
    $location = $null
    $response = $null
    $watch = [Diagnostics.Stopwatch]::StartNew()
    if ($Unresolved) {
        $errorKind = 'dns'
        $errorText = 'the name {0} does not resolve from here' -f ([Uri]$Url).DnsSafeHost
    }
    else {
        try {
            $request = [Net.HttpWebRequest][Net.WebRequest]::Create($Url)
            $request.Method = 'GET'
            $request.AllowAutoRedirect = $false
            $request.UseDefaultCredentials = $false
            $request.Proxy = $Proxy
            $request.KeepAlive = $false
            $request.Timeout = $TimeoutMs
            $request.ReadWriteTimeout = $TimeoutMs
            $request.UserAgent = $script:WfUserAgent
            $response = $request.GetResponse()
        }
        catch {
            $web = Find-WfWebException $_.Exception
            if ($null -ne $web -and $null -ne $web.Response) { $response = $web.Response }
            elseif ($null -ne $web) {
                $errorKind = Get-WfErrorKind $web.Status
                $errorText = $web.Message
            }
            else { $errorText = $_.Exception.GetBaseException().Message }
        }
    }
    $latency = $watch.Elapsed.TotalMilliseconds
    if ($null -ne $response) {
        try {
            $status = [int]([Net.HttpWebResponse]$response).StatusCode
            $values = $response.Headers.GetValues('WWW-Authenticate')
            if ($null -ne $values) {
                foreach ($value in $values) {
                    $scheme = Limit-WfText $value 512
                    if ($null -ne $scheme -and $authenticate.Count -lt 10) { $authenticate.Add($scheme) }
                }
            }
            $serverHeader = Limit-WfText $response.Headers['Server'] 256
            # A redirect is recorded, never followed: the agent does not follow
            # it either, and where it points tells the dashboard why.
            if ($status -ge 300 -and $status -lt 400) { $location = Limit-WfText $response.Headers['Location'] 2048 }
            if ($status -ge 400) {
                $body = Read-WfResponseText $response 16384
                $pattern = '<title>[^<]*?(?<![\d.])' + $status + '\.(\d{1,3})(?![\d.])'
                $match = [regex]::Match($body, $pattern, [Text.RegularExpressions.RegexOptions]::IgnoreCase)
                if ($match.Success) { $substatus = [int]$match.Groups[1].Value }
            }
        }
        finally { $response.Close() }
    }
    return (New-WfObject VDirCheck @{
            vdir             = Get-WfEnum vdir $VDir
            url              = $Url
            method           = Get-WfEnum method 'GET'
            status           = $status
            substatus        = $substatus
            latency_ms       = [Math]::Round($latency, 1)
            error            = Limit-WfText $errorText 2048
            error_kind       = Get-WfEnum error_kind $errorKind -Optional
            www_authenticate = $authenticate
            server_header    = $serverHeader
            location         = $location
            dns              = $Dns
            tls              = $Tls
        })
}

function Get-WfDeadHostKey {
    # Which later checks a failed one speaks for: after a DNS failure every
    # URL of that host ('host'), after a refused connection every URL of that
    # host and port ('host:port'), after a timeout the same, but only when
    # the port does not even take a TCP connection (-PortAnswers $false): a
    # server that is merely slow on one vDir (a scan storm on client.asmx) is
    # not unreachable. $null: ask the next URL.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Get-WfDeadHostKey 'https://wsus02.corp.example:8531/ClientWebService/client.asmx' 'dns' => 'wsus02.corp.example'
    #   Get-WfDeadHostKey 'https://WSUS02.corp.example:8531/ClientWebService/client.asmx' 'connect' => 'wsus02.corp.example:8531'
    #   Get-WfDeadHostKey 'http://wsus01.corp.example/selfupdate/wuident.cab' 'connect' => 'wsus01.corp.example:80'
    #   Get-WfDeadHostKey 'http://wsus01.corp.example:8530/ClientWebService/client.asmx' 'timeout' -PortAnswers $false => 'wsus01.corp.example:8530'
    #   Get-WfDeadHostKey 'http://wsus01.corp.example:8530/ClientWebService/client.asmx' 'timeout' -PortAnswers $true => $null
    #   Get-WfDeadHostKey 'https://wsus02.corp.example:8531/ClientWebService/client.asmx' 'tls' => $null
    #   Get-WfDeadHostKey 'https://wsus02.corp.example:8531/ClientWebService/client.asmx' 'http' => $null
    #   Get-WfDeadHostKey 'https://wsus02.corp.example:8531/ClientWebService/client.asmx' $null => $null
    param(
        [Parameter(Mandatory = $true, Position = 0)] [string] $Url,
        [Parameter(Position = 1)] [AllowNull()] [string] $ErrorKind,
        [bool] $PortAnswers = $false
    )
    $uri = [Uri]$Url
    switch ($ErrorKind) {
        'dns' { return $uri.Host }
        'connect' { return $uri.Host + ':' + $uri.Port }
        'timeout' {
            if ($PortAnswers) { return $null }
            return $uri.Host + ':' + $uri.Port
        }
    }
    return $null
}

function Test-WfTcpPort {
    # Whether HostName:Port takes a TCP connection within $TimeoutMs.
    param([Parameter(Mandatory = $true)] [string] $HostName, [Parameter(Mandatory = $true)] [int] $Port, [int] $TimeoutMs = 5000)
    $tcp = [Net.Sockets.TcpClient]::new()
    try { return ($tcp.ConnectAsync($HostName, $Port).Wait($TimeoutMs) -and $tcp.Connected) }
    catch { return $false }
    finally { $tcp.Dispose() }
}

function New-WfSkippedCheck {
    # A check not made because an earlier one showed its host or port dead
    # (Get-WfDeadHostKey): failed, with that check's error kind, so that a
    # server nobody can reach is reported with every check failed, not as one
    # failed check.
    param(
        [Parameter(Mandatory = $true)] [string] $VDir,
        [Parameter(Mandatory = $true)] [string] $Url,
        [Parameter(Mandatory = $true)] [hashtable] $Failure,
        [AllowNull()] [object] $Dns = $null
    )
    return (New-WfObject VDirCheck @{
            vdir       = Get-WfEnum vdir $VDir
            url        = $Url
            method     = Get-WfEnum method 'GET'
            status     = 0
            latency_ms = 0
            error      = Limit-WfText ('not requested: {0} failed just before ({1})' -f $Failure.Url, $Failure.Error) 2048
            error_kind = Get-WfEnum error_kind $Failure.Kind
            dns        = $Dns
        })
}

function Invoke-WfVDirChecks {
    # Checks each @{ VDir; Url } in order with one DNS lookup and one TLS
    # handshake per host. Each request gets -TimeoutSec, cut to what is left
    # of -BudgetSec (0: no budget beyond the run's); a check that would get
    # less than a second is not made (logged). URLs a failed check speaks for
    # (Get-WfDeadHostKey) are not asked again - they would fail the same way,
    # slowly - but reported as failed with the same error kind.
    param(
        [Parameter(Mandatory = $true)] [AllowEmptyCollection()] [object[]] $Checks,
        [int] $TimeoutSec = 10,
        [AllowNull()] [Net.IWebProxy] $Proxy = $null,
        [double] $BudgetSec = 0
    )
    if ($BudgetSec -le 0) { $BudgetSec = $script:WfBudgetSec }
    $list = [Collections.Generic.List[object]]::new()
    $dnsCache = @{}
    $tlsCache = @{}
    $dead = @{}
    foreach ($check in $Checks) {
        $uri = $null
        if (-not [Uri]::TryCreate([string]$check.Url, [UriKind]::Absolute, [ref]$uri) -or ($uri.Scheme -ne 'http' -and $uri.Scheme -ne 'https')) {
            Write-WfLog Warning ('not an http(s) URL, not checked: {0}' -f $check.Url)
            continue
        }
        $failure = $null
        foreach ($key in @($uri.Host, ($uri.Host + ':' + $uri.Port))) {
            if ($dead.ContainsKey($key)) { $failure = $dead[$key] }
        }
        if ($null -ne $failure) {
            $list.Add((New-WfSkippedCheck -VDir $check.VDir -Url $check.Url -Failure $failure -Dns $dnsCache[$uri.DnsSafeHost]))
            continue
        }
        $timeoutMs = Get-WfTimeoutMs -TimeoutSec $TimeoutSec -BudgetSec $BudgetSec
        if ($timeoutMs -eq 0) {
            Write-WfLog Warning ('time budget of {0} s reached; {1} not checked' -f $BudgetSec, $check.Url)
            continue
        }
        $direct = ($null -eq $Proxy) -or $Proxy.IsBypassed($uri)
        if (-not $dnsCache.ContainsKey($uri.DnsSafeHost)) { $dnsCache[$uri.DnsSafeHost] = Resolve-WfHostAddresses $uri.DnsSafeHost $timeoutMs }
        $addresses = $dnsCache[$uri.DnsSafeHost]
        $unresolved = $direct -and $addresses.Count -eq 0
        $tls = $null
        if ($uri.Scheme -eq 'https' -and -not $unresolved) {
            $hostPort = $uri.Host + ':' + $uri.Port
            if (-not $tlsCache.ContainsKey($hostPort)) {
                $timeoutMs = Get-WfTimeoutMs -TimeoutSec $TimeoutSec -BudgetSec $BudgetSec
                if ($timeoutMs -eq 0) {
                    Write-WfLog Warning ('time budget of {0} s reached; {1} not checked' -f $BudgetSec, $check.Url)
                    continue
                }
                $tlsCache[$hostPort] = Get-WfTlsInfo -HostName $uri.DnsSafeHost -Port $uri.Port -TimeoutMs $timeoutMs
            }
            $tls = $tlsCache[$hostPort]
        }
        $timeoutMs = Get-WfTimeoutMs -TimeoutSec $TimeoutSec -BudgetSec $BudgetSec
        if ($timeoutMs -eq 0) {
            Write-WfLog Warning ('time budget of {0} s reached; {1} not checked' -f $BudgetSec, $check.Url)
            continue
        }
        $result = Invoke-WfVDirCheck -VDir $check.VDir -Url $check.Url -TimeoutMs $timeoutMs -Proxy $Proxy -Dns $addresses -Tls $tls -Unresolved:$unresolved
        $list.Add($result)
        $kind = $result['error_kind']
        if ($null -eq $kind) { continue }
        # A timeout through a proxy says nothing about the server's port.
        $answers = -not $direct
        if ($kind -eq 'timeout' -and $direct) { $answers = Test-WfTcpPort -HostName $uri.DnsSafeHost -Port $uri.Port -TimeoutMs ([Math]::Min(3000, $timeoutMs)) }
        $key = Get-WfDeadHostKey $check.Url $kind -PortAnswers $answers
        if ($null -ne $key) { $dead[$key] = @{ Url = $check.Url; Kind = $kind; Error = $result['error'] } }
    }
    return , $list
}
# endregion shared: windows-checks

# -----------------------------------------------------------------------------
# Client report
# -----------------------------------------------------------------------------

# The Windows Update client's failure events (Microsoft-Windows-
# WindowsUpdateClient/Operational) and the operation each is about.
$script:WfUpdateErrorEvents = @{
    20 = 'install'
    25 = 'scan'
    31 = 'download'
}

# An HRESULT in an event's text, for events whose data has no errorCode.
$script:WfHResultPattern = '0[xX][0-9A-Fa-f]{8}'

function ConvertTo-WfFlag {
    # A policy DWORD as true/false; $null when the value is not set.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   ConvertTo-WfFlag 1 => $true
    #   ConvertTo-WfFlag 0 => $false
    #   ConvertTo-WfFlag 2 => $true
    #   ConvertTo-WfFlag ' 1 ' => $true
    #   ConvertTo-WfFlag 'yes' => $null
    #   ConvertTo-WfFlag $null => $null
    param([Parameter(Position = 0)] [AllowNull()] [object] $Value)
    if ($null -eq $Value) { return $null }
    $number = 0
    if ([int]::TryParse(([string]$Value).Trim(), [ref]$number)) { return ($number -ne 0) }
    return $null
}

function ConvertTo-WfNumber {
    # A policy DWORD as a number within what the dashboard accepts; $null
    # (with a warning) when unset, not a number or out of range: that value
    # is dropped, not the report.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   ConvertTo-WfNumber 4 0 10 'AUOptions' => 4
    #   ConvertTo-WfNumber 7 0 10 'AUOptions' => 7
    #   ConvertTo-WfNumber 11 0 10 'AUOptions' => $null
    #   ConvertTo-WfNumber -1 0 10 'AUOptions' => $null
    #   ConvertTo-WfNumber 'x' 0 1 'SetPolicyDrivenUpdateSourceForQualityUpdates' => $null
    #   ConvertTo-WfNumber $null 0 1 'SetPolicyDrivenUpdateSourceForQualityUpdates' => $null
    param(
        [Parameter(Position = 0)] [AllowNull()] [object] $Value,
        [Parameter(Position = 1)] [int] $Min,
        [Parameter(Position = 2)] [int] $Max,
        [Parameter(Position = 3)] [string] $Name
    )
    if ($null -eq $Value) { return $null }
    $number = 0
    if (-not [int]::TryParse(([string]$Value).Trim(), [ref]$number) -or $number -lt $Min -or $number -gt $Max) {
        Write-WfLog Warning ('policy {0} = {1} is not a number from {2} to {3}; not reported' -f $Name, $Value, $Min, $Max)
        return $null
    }
    return $number
}

function Get-WfClientPolicy {
    # The Windows Update policy values of DESIGN 7.6, the update-source
    # policies of Windows 11 / Intune and the client identity.
    $wu = 'SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate'
    $au = $wu + '\AU'
    return @{
        WUServer                   = Get-WfRegistryValue $wu 'WUServer'
        WUStatusServer             = Get-WfRegistryValue $wu 'WUStatusServer'
        Alternate                  = Get-WfRegistryValue $wu 'UpdateServiceUrlAlternate'
        TargetGroup                = Get-WfRegistryValue $wu 'TargetGroup'
        TargetGroupEnabled         = Get-WfRegistryValue $wu 'TargetGroupEnabled'
        SetProxyBehavior           = Get-WfRegistryValue $wu 'SetProxyBehaviorForUpdateDetection'
        DoNotConnect               = Get-WfRegistryValue $wu 'DoNotConnectToWindowsUpdateInternetLocations'
        DeferQualityUpdates        = Get-WfRegistryValue $wu 'DeferQualityUpdates'
        DeferFeatureUpdates        = Get-WfRegistryValue $wu 'DeferFeatureUpdates'
        DisableDualScan            = Get-WfRegistryValue $wu 'DisableDualScan'
        FeatureSource              = Get-WfRegistryValue $wu 'SetPolicyDrivenUpdateSourceForFeatureUpdates'
        QualitySource              = Get-WfRegistryValue $wu 'SetPolicyDrivenUpdateSourceForQualityUpdates'
        DriverSource               = Get-WfRegistryValue $wu 'SetPolicyDrivenUpdateSourceForDriverUpdates'
        OtherSource                = Get-WfRegistryValue $wu 'SetPolicyDrivenUpdateSourceForOtherUpdates'
        UseWUServer                = Get-WfRegistryValue $au 'UseWUServer'
        AUOptions                  = Get-WfRegistryValue $au 'AUOptions'
        NoAutoUpdate               = Get-WfRegistryValue $au 'NoAutoUpdate'
        DetectionFrequencyEnabled  = Get-WfRegistryValue $au 'DetectionFrequencyEnabled'
        DetectionFrequency         = Get-WfRegistryValue $au 'DetectionFrequency'
        UseUpdateClassPolicySource = Get-WfRegistryValue $au 'UseUpdateClassPolicySource'
        SusClientId                = Get-WfRegistryValue 'SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate' 'SusClientId'
    }
}

function Get-WfBaseUrl {
    # scheme://host[:port] of a policy URL, or $null when it is not an
    # http(s) URL (e.g. "wsus01:8530" without a scheme: reported, not checked).
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Get-WfBaseUrl 'http://wsus01.corp.example:8530' => 'http://wsus01.corp.example:8530'
    #   Get-WfBaseUrl ' HTTP://WSUS01.corp.example:8530/ ' => 'http://wsus01.corp.example:8530'
    #   Get-WfBaseUrl 'https://wsus02.corp.example:8531/ClientWebService' => 'https://wsus02.corp.example:8531'
    #   Get-WfBaseUrl 'https://wsus02.corp.example:443' => 'https://wsus02.corp.example'
    #   Get-WfBaseUrl 'http://wsus01.corp.example' => 'http://wsus01.corp.example'
    #   Get-WfBaseUrl 'wsus01:8530' => $null
    #   Get-WfBaseUrl '' => $null
    #   Get-WfBaseUrl $null => $null
    param([Parameter(Position = 0)] [AllowNull()] [object] $Value)
    $text = ([string]$Value).Trim()
    $uri = $null
    if (-not $text -or -not [Uri]::TryCreate($text, [UriKind]::Absolute, [ref]$uri)) { return $null }
    if ($uri.Scheme -ne 'http' -and $uri.Scheme -ne 'https') { return $null }
    return $uri.GetLeftPart([UriPartial]::Authority)
}

function Get-WfHttpBaseForSsl {
    # In SSL mode clients still download update content over plain HTTP, on
    # the SSL port - 1 (8531 -> 8530), or 80 next to 443: the HTTP base URL
    # that goes with an https WUServer; $null for any other URL.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Get-WfHttpBaseForSsl 'https://wsus02.corp.example:8531' => 'http://wsus02.corp.example:8530'
    #   Get-WfHttpBaseForSsl 'https://wsus02.corp.example' => 'http://wsus02.corp.example'
    #   Get-WfHttpBaseForSsl 'https://wsus02.corp.example:443' => 'http://wsus02.corp.example'
    #   Get-WfHttpBaseForSsl 'https://wsus02.corp.example:9443' => 'http://wsus02.corp.example:9442'
    #   Get-WfHttpBaseForSsl 'http://wsus01.corp.example:8530' => $null
    #   Get-WfHttpBaseForSsl $null => $null
    param([Parameter(Position = 0)] [AllowNull()] [string] $BaseUrl)
    $uri = $null
    if (-not $BaseUrl -or -not [Uri]::TryCreate($BaseUrl, [UriKind]::Absolute, [ref]$uri) -or $uri.Scheme -ne 'https') { return $null }
    if ($uri.Port -eq 443) { return 'http://' + $uri.Host }
    return 'http://' + $uri.Host + ':' + ($uri.Port - 1)
}

function Get-WfClientCheckList {
    # The URLs the Windows Update agent uses: self-update, scan and auth on
    # WUServer, content over HTTP when WUServer is https (SSL mode), status
    # reports on WUStatusServer. A WUServer without a port is checked as
    # written (port 80): that is what the agent does.
    # Cases (scripts/cases_test.go runs them against a Go model; each check as 'VDir URL'):
    #   Get-WfClientCheckList -Policy @{ WUServer = 'http://wsus01.corp.example:8530'; WUStatusServer = 'http://wsus01.corp.example:8530' } => @('SelfUpdate http://wsus01.corp.example:8530/selfupdate/wuident.cab', 'ClientWebService http://wsus01.corp.example:8530/ClientWebService/client.asmx', 'SimpleAuthWebService http://wsus01.corp.example:8530/SimpleAuthWebService/SimpleAuth.asmx', 'ReportingWebService http://wsus01.corp.example:8530/ReportingWebService/ReportingWebService.asmx')
    #   Get-WfClientCheckList -Policy @{ WUServer = 'https://wsus02.corp.example:8531'; WUStatusServer = 'http://wsus-old.corp.example:8530' } => @('SelfUpdate https://wsus02.corp.example:8531/selfupdate/wuident.cab', 'ClientWebService https://wsus02.corp.example:8531/ClientWebService/client.asmx', 'SimpleAuthWebService https://wsus02.corp.example:8531/SimpleAuthWebService/SimpleAuth.asmx', 'Content http://wsus02.corp.example:8530/Content/', 'ReportingWebService http://wsus-old.corp.example:8530/ReportingWebService/ReportingWebService.asmx')
    #   Get-WfClientCheckList -Policy @{ WUServer = 'http://wsus01.corp.example'; WUStatusServer = $null } => @('SelfUpdate http://wsus01.corp.example/selfupdate/wuident.cab', 'ClientWebService http://wsus01.corp.example/ClientWebService/client.asmx', 'SimpleAuthWebService http://wsus01.corp.example/SimpleAuthWebService/SimpleAuth.asmx')
    #   Get-WfClientCheckList -Policy @{ WUServer = 'wsus01:8530'; WUStatusServer = 'wsus01:8530' } => @()
    #   Get-WfClientCheckList -Policy @{ WUServer = $null; WUStatusServer = $null } => @()
    param([Parameter(Mandatory = $true)] [hashtable] $Policy)
    $checks = [Collections.Generic.List[object]]::new()
    $update = Get-WfBaseUrl $Policy.WUServer
    if ($update) {
        foreach ($vdir in @('SelfUpdate', 'ClientWebService', 'SimpleAuthWebService')) {
            $checks.Add(@{ VDir = $vdir; Url = $update + $script:WfVDirPaths[$vdir] })
        }
        $content = Get-WfHttpBaseForSsl $update
        if ($content) { $checks.Add(@{ VDir = 'Content'; Url = $content + $script:WfVDirPaths['Content'] }) }
    }
    elseif ($Policy.WUServer) {
        Write-WfLog Warning ('WUServer {0} is not an http(s) URL; its vDirs are not checked' -f $Policy.WUServer)
    }
    $status = Get-WfBaseUrl $Policy.WUStatusServer
    if ($status) {
        $checks.Add(@{ VDir = 'ReportingWebService'; Url = $status + $script:WfVDirPaths['ReportingWebService'] })
    }
    return , $checks
}

function New-WfWebProxy {
    # A WebProxy for the WinHTTP proxy setting, so the checks take the path
    # the Windows Update agent takes (bypass list: <local> and wildcards).
    param([Parameter(Mandatory = $true)] [string] $Proxy, [AllowNull()] [string] $Bypass)
    $server = $Proxy.Trim()
    if ($server -match '(?:^|;)\s*http=([^;\s]+)') { $server = $Matches[1] }
    elseif ($server -match '=') { $server = (($server -split ';')[0] -replace '^[^=]*=', '') }
    if ($server -notmatch '^[a-z]+://') { $server = 'http://' + $server }
    $local = $false
    $patterns = [Collections.Generic.List[string]]::new()
    foreach ($entry in ([string]$Bypass -split '[;\s]+')) {
        if (-not $entry) { continue }
        if ($entry -eq '<local>') {
            $local = $true
            continue
        }
        $patterns.Add('^(?:[a-z]+://)?' + [regex]::Escape($entry).Replace('\*', '.*') + '(?::\d+)?/?$')
    }
    return [Net.WebProxy]::new($server, $local, $patterns.ToArray())
}

function Get-WfWinHttpProxy {
    # The machine-wide WinHTTP proxy (what "netsh winhttp show proxy" shows),
    # read from its registry value so that no localized netsh text is parsed.
    # Layout: DWORD size, DWORD counter, DWORD flags (2 = proxy set),
    # DWORD n, n bytes proxy, DWORD m, m bytes bypass list.
    $raw = Get-WfRegistryValue 'SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections' 'WinHttpSettings'
    if ($null -eq $raw) { return @{ Text = 'direct'; WebProxy = $null } }
    try {
        $bytes = [byte[]]$raw
        $flags = [BitConverter]::ToInt32($bytes, 8)
        $proxyLength = [BitConverter]::ToInt32($bytes, 12)
        $proxy = [Text.Encoding]::ASCII.GetString($bytes, 16, $proxyLength)
        $bypass = ''
        if ($bytes.Length -ge (20 + $proxyLength)) {
            $bypassLength = [BitConverter]::ToInt32($bytes, 16 + $proxyLength)
            if ($bypassLength -gt 0) { $bypass = [Text.Encoding]::ASCII.GetString($bytes, 20 + $proxyLength, $bypassLength) }
        }
    }
    catch {
        # An unknown layout: keep netsh's own words as evidence, do not interpret them.
        $text = 'unknown'
        try { $text = 'netsh: ' + ((& netsh.exe winhttp show proxy | Out-String) -replace '\s+', ' ').Trim() } catch { $text = 'unknown' }
        return @{ Text = $text; WebProxy = $null }
    }
    if (($flags -band 2) -eq 0 -or -not $proxy.Trim()) { return @{ Text = 'direct'; WebProxy = $null } }
    $text = 'proxy=' + $proxy.Trim()
    if ($bypass.Trim()) { $text += '; bypass=' + $bypass.Trim() }
    $webProxy = $null
    try { $webProxy = New-WfWebProxy -Proxy $proxy -Bypass $bypass }
    catch { Write-WfLog Warning ('WinHTTP proxy {0} not usable for the checks: {1}' -f $proxy, $_.Exception.Message) }
    return @{ Text = $text; WebProxy = $webProxy }
}

function Get-WfOsDescription {
    # "Windows 11 Enterprise 23H2 (build 22631.4460)" from the registry, which
    # holds English product names whatever the display language (the WMI
    # Caption is localized). Windows 11 still says "Windows 10" in
    # ProductName; the build number tells them apart.
    $key = 'SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $product = [string](Get-WfRegistryValue $key 'ProductName')
    $build = [string](Get-WfRegistryValue $key 'CurrentBuildNumber')
    $display = [string](Get-WfRegistryValue $key 'DisplayVersion')
    $ubr = Get-WfRegistryValue $key 'UBR'
    $number = 0
    if ([int]::TryParse($build, [ref]$number) -and $number -ge 22000 -and $product -like 'Windows 10*') {
        $product = 'Windows 11' + $product.Substring(10)
    }
    $text = $product
    if ($display) { $text += ' ' + $display }
    if ($build) {
        $version = $build
        if ($null -ne $ubr) { $version += '.' + [string]$ubr }
        $text += ' (build ' + $version + ')'
    }
    return $text.Trim()
}

function Get-WfPrimaryAddress {
    # The IPv4 address of the first connected interface with a default gateway.
    foreach ($nic in [Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces()) {
        if ($nic.OperationalStatus -ne [Net.NetworkInformation.OperationalStatus]::Up) { continue }
        if ($nic.NetworkInterfaceType -eq [Net.NetworkInformation.NetworkInterfaceType]::Loopback) { continue }
        $properties = $nic.GetIPProperties()
        if (@($properties.GatewayAddresses).Count -eq 0) { continue }
        foreach ($unicast in $properties.UnicastAddresses) {
            if ($unicast.Address.AddressFamily -eq [Net.Sockets.AddressFamily]::InterNetwork) { return $unicast.Address.IPAddressToString }
        }
    }
    return $null
}

function Get-WfUpdateSource {
    # "Specify source service for specific classes of Windows Updates"
    # (Windows 11 / Intune): per class 0 = Windows Update, 1 = WSUS, in effect
    # when AU\UseUpdateClassPolicySource is 1. $null when none is set.
    param([Parameter(Mandatory = $true)] [hashtable] $Policy)
    $source = New-WfObject UpdateSourcePolicy @{
        use_update_class_policy_source = ConvertTo-WfFlag $Policy.UseUpdateClassPolicySource
        feature_updates                = ConvertTo-WfNumber $Policy.FeatureSource 0 1 'SetPolicyDrivenUpdateSourceForFeatureUpdates'
        quality_updates                = ConvertTo-WfNumber $Policy.QualitySource 0 1 'SetPolicyDrivenUpdateSourceForQualityUpdates'
        driver_updates                 = ConvertTo-WfNumber $Policy.DriverSource 0 1 'SetPolicyDrivenUpdateSourceForDriverUpdates'
        other_updates                  = ConvertTo-WfNumber $Policy.OtherSource 0 1 'SetPolicyDrivenUpdateSourceForOtherUpdates'
    }
    if ($source.Count -eq 0) { return $null }
    return $source
}

function ConvertTo-WfHResult {
    # An error code as the dashboard writes HRESULTs, 0x and 8 hex digits
    # upper-case: from hex ('0x8024402c') or from decimal, signed or not (how
    # an int32 prints). $null for anything else, and for 0 (success).
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   ConvertTo-WfHResult '0x80244022' => '0x80244022'
    #   ConvertTo-WfHResult '0X8024402c' => '0x8024402C'
    #   ConvertTo-WfHResult ' 0x2ee2 ' => '0x00002EE2'
    #   ConvertTo-WfHResult '-2145107934' => '0x80244022'
    #   ConvertTo-WfHResult '2149859362' => '0x80244022'
    #   ConvertTo-WfHResult 1603 => '0x00000643'
    #   ConvertTo-WfHResult '0x0' => $null
    #   ConvertTo-WfHResult '0x123456789' => $null
    #   ConvertTo-WfHResult '4294967296' => $null
    #   ConvertTo-WfHResult '-2147483649' => $null
    #   ConvertTo-WfHResult 'Unknown' => $null
    #   ConvertTo-WfHResult $null => $null
    param([Parameter(Position = 0)] [AllowNull()] [object] $Value)
    if ($null -eq $Value) { return $null }
    $text = ([string]$Value).Trim()
    [uint32] $number = 0
    if ($text -match '^0[xX]([0-9A-Fa-f]{1,8})$') { $number = [Convert]::ToUInt32($Matches[1], 16) }
    elseif ($text -match '^-?[0-9]{1,10}$') {
        $decimal = [int64]$text
        if ($decimal -lt [int32]::MinValue -or $decimal -gt [uint32]::MaxValue) { return $null }
        if ($decimal -lt 0) { $decimal += 4294967296 }
        $number = [uint32]$decimal
    }
    else { return $null }
    if ($number -eq 0) { return $null }
    return '0x' + $number.ToString('X8', [Globalization.CultureInfo]::InvariantCulture)
}

function Find-WfHResult {
    # The first HRESULT written in a text ($WfHResultPattern), or $null.
    # Cases (scripts/cases_test.go runs them against the pattern):
    #   Find-WfHResult 'Windows Update failed to check for updates with error 0x8024402C.' => '0x8024402C'
    #   Find-WfHResult 'Installation Failure: Windows failed to install the following update with error 0x80070643: 2026-11 Cumulative Update.' => '0x80070643'
    #   Find-WfHResult 'Fehler 0x80072ee2 beim Suchen nach Updates' => '0x80072EE2'
    #   Find-WfHResult 'error 0x8024 only' => $null
    #   Find-WfHResult $null => $null
    param([Parameter(Position = 0)] [AllowNull()] [string] $Text)
    if (-not $Text) { return $null }
    $match = [regex]::Match($Text, $script:WfHResultPattern)
    if (-not $match.Success) { return $null }
    return (ConvertTo-WfHResult $match.Value)
}

function Get-WfUpdateErrors {
    # The latest failed installs (20), scans (25) and downloads (31) from the
    # Windows Update client's operational log, newest first, at most $Max
    # from the last $Days days: time, operation, the error code (the event's
    # errorCode data, else the first HRESULT in its text), event id and
    # message. An event without a usable code or time is left out; an empty
    # or missing log gives an empty list.
    param([int] $Days = 30, [int] $Max = 20)
    $list = [Collections.Generic.List[object]]::new()
    $filter = @{
        LogName   = 'Microsoft-Windows-WindowsUpdateClient/Operational'
        Id        = [int[]]@($script:WfUpdateErrorEvents.Keys)
        StartTime = (Get-Date).AddDays(-$Days)
    }
    $records = @()
    try { $records = @(Get-WinEvent -FilterHashtable $filter -MaxEvents $Max -ErrorAction Stop) }
    catch {
        if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*' -or $_.FullyQualifiedErrorId -like 'NoMatchingLogsFound*') { return , $list }
        throw
    }
    $unusable = 0
    foreach ($record in $records) {
        try {
            $message = $null
            try { $message = $record.Message } catch { $message = $null }
            $code = $null
            $data = ([xml]$record.ToXml()).SelectNodes("//*[local-name()='Data'][@Name='errorCode']")
            if ($data.Count -gt 0) { $code = ConvertTo-WfHResult $data[0].InnerText }
            if ($null -eq $code) { $code = Find-WfHResult $message }
            $time = ConvertTo-WfTime $record.TimeCreated
            if ($null -eq $code -or $null -eq $time) {
                $unusable++
                continue
            }
            $list.Add((New-WfObject UpdateError @{
                        time      = $time
                        operation = Get-WfEnum update_operation $script:WfUpdateErrorEvents[[int]$record.Id] -Default 'other'
                        code      = $code
                        event_id  = [int]$record.Id
                        message   = Limit-WfText $message 2048
                    }))
        }
        catch { $unusable++ }
    }
    if ($unusable -gt 0) { Write-WfLog Warning ('update_errors: {0} events without a usable error code or time were left out' -f $unusable) }
    return , $list
}

function Get-WfClientView {
    # The client section: policy, identity, services, proxy, dual scan,
    # update source.
    param([Parameter(Mandatory = $true)] [hashtable] $Policy, [Parameter(Mandatory = $true)] [hashtable] $Proxy)
    $detection = $null
    if ((ConvertTo-WfFlag $Policy.DetectionFrequencyEnabled) -eq $true) {
        $detection = ConvertTo-WfNumber $Policy.DetectionFrequency 0 10000 'DetectionFrequency'
    }
    $susClientId = $null
    if ($Policy.SusClientId) {
        $susClientId = ([string]$Policy.SusClientId).Trim()
        if ($susClientId -notmatch '^[A-Za-z0-9_.:{}-]{1,64}$') {
            Write-WfLog Warning ('SusClientId {0} is not an identifier; not reported' -f $susClientId)
            $susClientId = $null
        }
    }
    $wuauserv = Get-WfServiceInfo 'wuauserv'
    $bits = Get-WfServiceInfo 'BITS'
    $services = New-WfObject ClientServices @{
        wuauserv       = Get-WfEnum service_state $wuauserv.State -Default 'Unknown'
        bits           = Get-WfEnum service_state $bits.State -Default 'Unknown'
        wuauserv_start = Get-WfEnum start_type $wuauserv.StartType -Optional
        bits_start     = Get-WfEnum start_type $bits.StartType -Optional
    }
    $dualScan = $null
    if ($null -ne $Policy.DeferQualityUpdates -or $null -ne $Policy.DeferFeatureUpdates -or $null -ne $Policy.DisableDualScan) {
        $dualScan = New-WfObject DualScan @{
            defer_quality_updates = ConvertTo-WfFlag $Policy.DeferQualityUpdates
            defer_feature_updates = ConvertTo-WfFlag $Policy.DeferFeatureUpdates
            disable_dual_scan     = ConvertTo-WfFlag $Policy.DisableDualScan
        }
    }
    return (New-WfObject ClientView @{
            name                          = Get-WfFqdn
            ip                            = Get-WfOptional ip { Get-WfPrimaryAddress }
            os                            = Limit-WfText (Get-WfOptional os { Get-WfOsDescription }) 256
            wu_server                     = Limit-WfText $Policy.WUServer 2048
            wu_status_server              = Limit-WfText $Policy.WUStatusServer 2048
            update_service_url_alternate  = Limit-WfText $Policy.Alternate 2048
            use_wu_server                 = ConvertTo-WfFlag $Policy.UseWUServer
            au_options                    = ConvertTo-WfNumber $Policy.AUOptions 0 10 'AUOptions'
            no_auto_update                = ConvertTo-WfFlag $Policy.NoAutoUpdate
            detection_frequency_hours     = $detection
            target_group_enabled          = ConvertTo-WfFlag $Policy.TargetGroupEnabled
            target_group                  = Limit-WfText $Policy.TargetGroup 256
            set_proxy_behavior            = ConvertTo-WfNumber $Policy.SetProxyBehavior 0 10 'SetProxyBehaviorForUpdateDetection'
            sus_client_id                 = $susClientId
            services                      = $services
            winhttp_proxy                 = Limit-WfText $Proxy.Text 2048
            dual_scan                     = $dualScan
            do_not_connect_to_wu_internet = ConvertTo-WfFlag $Policy.DoNotConnect
            update_source                 = Get-WfUpdateSource -Policy $Policy
        })
}

function Invoke-WfClientReport {
    if (-not $OutFile -and -not $Dashboard) { Stop-WfRun Usage 'give -Dashboard (to send the report) or -OutFile (to write it to a file).' }
    $base = $null
    if ($Dashboard) {
        try { $base = Get-WfDashboardBase $Dashboard -AllowInsecure:$AllowInsecure } catch { Stop-WfRun Usage $_.Exception.Message }
    }
    # (PowerShell names are case-insensitive: a local $token would hide -Token.)
    $clientToken = $null
    if (-not $OutFile) {
        try { $clientToken = Resolve-WfToken -Token $Token -TokenFile (Resolve-WfPath $TokenFile) } catch { Stop-WfRun Usage $_.Exception.Message }
        if (-not $clientToken) { Stop-WfRun Usage 'no token: give -TokenFile, -Token or set WSUSFLEET_TOKEN (a dashboard token with the client scope: wsusfleet token create --name clients --scope client).' }
    }
    $spool = Resolve-WfPath $SpoolDir
    if ($JitterSec -gt 0) { Start-Sleep -Milliseconds ([Random]::new().Next(0, $JitterSec * 1000)) }
    $script:WfClock.Restart()
    $script:WfBudgetSec = $MaxSeconds
    $id = [guid]::NewGuid().ToString()
    $collectedAt = ConvertTo-WfTime ([datetime]::UtcNow)

    # One bad value drops that value; a failure to read the policy at all
    # still sends a report, which says why it carries nothing (collector.error).
    $collectorError = $null
    $policy = $null
    $proxy = $null
    $view = $null
    try {
        $policy = Get-WfClientPolicy
        $proxy = Get-WfWinHttpProxy
        $view = Get-WfClientView -Policy $policy -Proxy $proxy
    }
    catch {
        $collectorError = 'the client could not be collected: ' + $_.Exception.Message
        Write-WfLog Error $collectorError
        $view = New-WfObject ClientView @{ name = Get-WfFqdn }
    }
    $updateErrors = $null
    $checks = $null
    if ($null -eq $collectorError) {
        $updateErrors = Get-WfOptional update_errors { Get-WfUpdateErrors }
        if (-not $NoChecks) {
            # Half the budget for the checks, the rest for the upload.
            $checkBudget = [Math]::Max($TimeoutSec, [int]($MaxSeconds / 2))
            $checks = Get-WfOptional vdir_checks { Invoke-WfVDirChecks -Checks (Get-WfClientCheckList -Policy $policy) -TimeoutSec $TimeoutSec -Proxy $proxy.WebProxy -BudgetSec $checkBudget }
        }
    }
    $collector = New-WfObject Collector @{
        name    = $script:WfCollectorName
        version = $script:WfVersion
        host    = $env:COMPUTERNAME
        vantage = Get-WfEnum vantage 'client'
        error   = Limit-WfText $collectorError 1024
    }
    $document = New-WfObject ClientReport @{
        schema        = Get-WfEnum client_report_schema 'wsusfleet.client-report.v1'
        id            = $id
        collected_at  = $collectedAt
        collector     = $collector
        client        = $view
        vdir_checks   = $checks
        update_errors = $updateErrors
    }
    if ($script:WfDropped -gt 0) { Write-WfLog Warning ('{0} times the dashboard would refuse (before 1990 or a day ahead) were left out' -f $script:WfDropped) }

    $gzip = $true
    if ($OutFile) {
        $documentPath = Resolve-WfPath $OutFile
        $gzip = $documentPath -like '*.gz'
    }
    else { $documentPath = New-WfTempFile '.json.gz' }
    $writer = Open-WfJsonWriter -Path $documentPath -Gzip:$gzip
    try { $writer.Write((ConvertTo-WfJson $document)) } finally { $writer.Dispose() }

    if ($OutFile) {
        Write-WfLog Info ('client report written to {0}; nothing was sent' -f $documentPath)
        $script:WfExitCode = $script:WfExit.Ok
    }
    else {
        $outcome = Publish-WfDocument -Dashboard $base -Endpoint '/api/v1/client-reports' -Kind 'client-report' -Id $id -Token $clientToken -Path $documentPath -SpoolDir $spool -SpoolKeep 5 -TimeoutSec ($TimeoutSec * 2) -MaxAttempts 2 -MaxBackoffSec 2
        Complete-WfUpload -Outcome $outcome
    }
    if ($null -ne $collectorError) { $script:WfExitCode = $script:WfExit.Failed }
}

# -----------------------------------------------------------------------------
# Main
# -----------------------------------------------------------------------------
try {
    $script:WfLogFile = Resolve-WfPath $LogFile
    Initialize-WfRuntime
    Invoke-WfClientReport
}
catch {
    if ($script:WfExitCode -eq $script:WfExit.Ok) { $script:WfExitCode = $script:WfExit.Failed }
    Write-WfLog Error $_.Exception.Message
    Write-Verbose $_.ScriptStackTrace
}
exit $script:WfExitCode
