<#
.SYNOPSIS
    Collects the state of this WSUS server and sends it to the wsusfleet dashboard.

.DESCRIPTION
    Runs on a WSUS server and collects, through the WSUS administration API, the IIS
    configuration and Windows itself, everything the WSUS client troubleshooting guide
    has an administrator look at by hand:

      server       version, ports and SSL mode (Update Services\Server\Setup registry key),
                   content folder, WID or SQL Server, number of updates not declined, and the
                   other names (NetBIOS name, -Alias, site bindings, certificate names) and
                   addresses clients may use for this server
      vdir_checks  an anonymous GET of every WSUS virtual directory on this server's own URLs
                   (in SSL mode also SelfUpdate and Content over HTTP, where clients download)
      vdir_config  authentication, SSL and impersonation settings of every WSUS vDir (IIS)
      app_pool     the WsusPool settings (queue length, memory limit, recycling, ping)
      services     WsusService, W3SVC, WAS and the WID or local SQL Server service
      acls         NTFS permissions of the folders WSUS needs (ASP.NET temp, Temp, content)
      events       Application log errors and warnings of WSUS from the last 24 hours, and the
                   System log's WAS events about the WSUS pool from the last 7 days (5002
                   rapid-fail protection, 5009-5013 worker process failures, 5117 memory
                   recycle, 5186 idle shutdown)
      sync         Microsoft Update or upstream server, replica mode, last synchronization
      clients      every computer target (a complete snapshot, streamed, never one big string)

    The document is written as gzip-compressed JSON and POSTed to /api/v1/reports. If the
    dashboard cannot be reached it is kept in the spool folder and sent first next time.
    With -OutFile it is written to a file instead, nothing is sent. A section that cannot be
    read is left out (the dashboard keeps what it had); a value that cannot be read is left
    out of its section. Without the WSUS API the report only says why the collector could
    not run (collector.error).

    Needs Windows PowerShell 5.1 (on an older one it says so, names Windows Management
    Framework 5.1, sends a report saying the collector could not run, and exits with 3),
    membership of "WSUS Administrators" (or local Administrators), read access to the IIS
    configuration and "Event Log Readers". Under PowerShell 7 the script runs itself again
    in Windows PowerShell 5.1, because the WSUS API is a .NET Framework assembly.
    See docs/collectors.md for scheduling and signing.

.PARAMETER Dashboard
    Base URL of the dashboard, e.g. https://wsusfleet.corp.example. Not needed with -OutFile.
    An http:// address is refused unless -AllowInsecure is given.

.PARAMETER Token
    An ingest token. Prefer -TokenFile or the WSUSFLEET_TOKEN environment variable: a
    command line can be read by other users of the computer.

.PARAMETER TokenFile
    A file whose first line is the ingest token (readable only by SYSTEM, Administrators
    and the account that runs the task; the script warns otherwise).

.PARAMETER OutFile
    Write the report JSON to this file instead of sending it (gzip-compressed when the name
    ends in .gz). Use it to look at what would be sent before scheduling the script.

.PARAMETER SpoolDir
    Where documents wait when the dashboard is unreachable. Default:
    %ProgramData%\wsusfleet\spool. Only SYSTEM, Administrators and the account running the
    script may write to it; the script locks it down.

.PARAMETER StateDir
    Where the script remembers how much of each IIS log it has shipped. Default:
    %ProgramData%\wsusfleet\state (locked down like the spool).

.PARAMETER ServerName
    The name clients use for this server (e.g. a DNS alias in their WUServer policy).
    Default: this computer's fully qualified name.

.PARAMETER Alias
    Other names clients may use for this server, e.g. a CNAME in their WUServer policy that
    the server cannot see from here. Sent as server.aliases with the names the script finds.

.PARAMETER IisLogDays
    Also ship the IIS logs of the WSUS site as evidence of 401.x/500.x/503 answers: the lines
    added since the last run to the logs changed in the last N days. Default 0: no logs.

.PARAMETER TimeoutSec
    Timeout of each upload attempt in seconds. Default 120.

.PARAMETER MaxAttempts
    Upload attempts per document before it stays in the spool. Default 5 (backoff 2, 4, 8,
    16 s).

.PARAMETER CheckTimeoutSec
    Timeout of each vDir check in seconds. Default 10.

.PARAMETER Skip
    Sections not to collect, e.g. -Skip clients,acls. A skipped section is absent from the
    report, so the dashboard keeps what it had.

.PARAMETER AllowInsecure
    Accept an http:// dashboard: the token then crosses the network in clear text.

.PARAMETER LogFile
    Append log lines to this file (useful for scheduled tasks). A relative path resolves
    against the directory the script is started in.

.PARAMETER NoRelaunch
    Internal: set when the script restarts itself in Windows PowerShell 5.1.

.EXAMPLE
    .\Send-WsusFleetReport.ps1 -OutFile C:\Temp\wsus01-report.json

    Collects everything and writes the JSON to a file to look at; sends nothing.

.EXAMPLE
    .\Send-WsusFleetReport.ps1 -Dashboard https://wsusfleet.corp.example -TokenFile C:\ProgramData\wsusfleet\token.txt -LogFile C:\ProgramData\wsusfleet\report.log

    Collects and sends the report; the way a scheduled task runs it.

.EXAMPLE
    .\Send-WsusFleetReport.ps1 -Dashboard https://wsusfleet.corp.example -TokenFile .\token.txt -IisLogDays 2 -Skip clients

    A quick report without the client list, plus what the IIS logs of the last two days
    gained since the last run.

.NOTES
    Exit codes: 0 sent (or written with -OutFile), 1 failed, 2 bad parameters, 3 missing
    Windows PowerShell 5.1, WSUS API or permission, 4 dashboard unreachable (report spooled),
    5 report rejected.
#>
[CmdletBinding()]
param(
    [string] $Dashboard,
    [string] $Token,
    [string] $TokenFile,
    [string] $OutFile,
    [string] $SpoolDir = (Join-Path ([Environment]::GetFolderPath('CommonApplicationData')) 'wsusfleet\spool'),
    [string] $StateDir = (Join-Path ([Environment]::GetFolderPath('CommonApplicationData')) 'wsusfleet\state'),
    [string] $ServerName,
    [string[]] $Alias = @(),
    [ValidateRange(0, 90)] [int] $IisLogDays = 0,
    [ValidateRange(5, 3600)] [int] $TimeoutSec = 120,
    [ValidateRange(1, 10)] [int] $MaxAttempts = 5,
    [ValidateRange(1, 120)] [int] $CheckTimeoutSec = 10,
    [string[]] $Skip = @(),
    [switch] $AllowInsecure,
    [string] $LogFile,
    [switch] $NoRelaunch
)

$script:WfVersion = '1.1.0'
$script:WfCollectorName = 'Send-WsusFleetReport.ps1'
# The minimal report the preamble sends from PowerShell before 5.1
# (scripts/preamble_test.go fills it in and decodes it like the dashboard).
$script:WfLegacyDocument = '{{"schema":"wsusfleet.report.v1","id":"{0}","collected_at":"{1}","collector":{{"name":"{2}","version":"{3}","host":"{4}","vantage":"server","error":"{5}"}},"server":{{"name":"{6}"}}}}'

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
    $legacyName = $ServerName
    if (-not $legacyName) { $legacyName = Get-WfFqdn }
    Send-WfLegacyReport -Template $script:WfLegacyDocument -Endpoint '/api/v1/reports' -Name $legacyName -Dashboard $Dashboard -Token $Token -TokenFile $TokenFile -OutFile $OutFile -LogFile $LogFile -AllowInsecure:$AllowInsecure -TimeoutSec 60
    exit 3
}

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$script:WfScriptPath = $PSCommandPath
$script:WfSkip = @()

# region wsusfleet-names
# The JSON property names this script emits, per type of the dashboard's
# schema (probes/report.go), in the order they are written. New-WfObject and
# Write-WfJsonName refuse any other name, and scripts/contract_test.go checks
# every name here against the json tags of the Go type of the same name.
$script:WfNames = @{
    Report     = @('schema', 'id', 'collected_at', 'collector', 'server', 'vdir_checks', 'vdir_config', 'app_pool', 'services', 'acls', 'events', 'sync', 'clients')
    Collector  = @('name', 'version', 'host', 'vantage', 'error')
    ServerInfo = @('name', 'url', 'version', 'http_port', 'https_port', 'ssl', 'content_dir', 'database', 'not_declined_updates', 'targeting', 'aliases', 'addresses')
    VDirCheck  = @('vdir', 'url', 'method', 'status', 'substatus', 'latency_ms', 'error', 'error_kind', 'www_authenticate', 'server_header', 'location', 'dns', 'tls')
    TLSInfo    = @('version', 'subject', 'issuer', 'sans', 'not_after', 'chain_valid', 'name_matches', 'error')
    VDirConfig = @('vdir', 'anonymous', 'anonymous_user', 'windows_auth', 'basic_auth', 'digest_auth', 'require_ssl', 'client_certs', 'aspnet_impersonation', 'app_pool', 'physical_path', 'site')
    AppPool    = @('name', 'state', 'identity', 'private_memory_kb', 'queue_length', 'idle_timeout_min', 'ping_enabled', 'periodic_restart_min', 'rapid_fail_protection')
    Service    = @('name', 'state', 'start_type')
    ACL        = @('path', 'principal', 'rights', 'type', 'inherited')
    Event      = @('id', 'source', 'level', 'time', 'message')
    Sync       = @('from', 'upstream', 'last')
    Upstream   = @('host', 'port', 'ssl', 'replica')
    SyncRun    = @('started_at', 'finished_at', 'result', 'error')
    ClientList = @('items', 'complete')
    Client     = @('id', 'name', 'ip', 'os', 'client_version', 'groups', 'requested_group', 'last_sync', 'last_sync_result', 'last_report')
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
# Server report
# -----------------------------------------------------------------------------

# Well-known SIDs by their English names: NTAccount names are localized
# ("NT-AUTORITAET\NETZWERKDIENST"), and the dashboard compares principals.
$script:WfWellKnownSids = @{
    'S-1-1-0'      = 'Everyone'
    'S-1-3-0'      = 'CREATOR OWNER'
    'S-1-3-1'      = 'CREATOR GROUP'
    'S-1-5-4'      = 'NT AUTHORITY\INTERACTIVE'
    'S-1-5-6'      = 'NT AUTHORITY\SERVICE'
    'S-1-5-11'     = 'NT AUTHORITY\Authenticated Users'
    'S-1-5-17'     = 'NT AUTHORITY\IUSR'
    'S-1-5-18'     = 'NT AUTHORITY\SYSTEM'
    'S-1-5-19'     = 'NT AUTHORITY\LOCAL SERVICE'
    'S-1-5-20'     = 'NT AUTHORITY\NETWORK SERVICE'
    'S-1-5-32-544' = 'BUILTIN\Administrators'
    'S-1-5-32-545' = 'BUILTIN\Users'
    'S-1-5-32-547' = 'BUILTIN\Power Users'
    'S-1-5-32-549' = 'BUILTIN\Server Operators'
    'S-1-5-32-551' = 'BUILTIN\Backup Operators'
    'S-1-5-32-568' = 'BUILTIN\IIS_IUSRS'
    'S-1-15-2-1'   = 'APPLICATION PACKAGE AUTHORITY\ALL APPLICATION PACKAGES'
    'S-1-15-2-2'   = 'APPLICATION PACKAGE AUTHORITY\ALL RESTRICTED APPLICATION PACKAGES'
    'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464' = 'NT SERVICE\TrustedInstaller'
}

function Invoke-WfWindowsPowerShell {
    # The WSUS API is a .NET Framework assembly that PowerShell 7 cannot load
    # (its UpdateServices module hands back copies without methods), so under
    # PowerShell 7 the script runs itself again in Windows PowerShell 5.1. The
    # token travels in the environment, not on a command line; lists travel
    # joined with ';', which Split-WfList splits again.
    param([Parameter(Mandatory = $true)] [Collections.IDictionary] $Bound)
    $exe = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    if (-not (Test-Path -LiteralPath $exe)) {
        Stop-WfRun Prerequisite ('the WSUS API needs Windows PowerShell 5.1, and {0} was not found.' -f $exe)
    }
    $arguments = [Collections.Generic.List[string]]::new()
    $arguments.AddRange([string[]]@('-NoProfile', '-NonInteractive', '-File', $script:WfScriptPath))
    foreach ($entry in $Bound.GetEnumerator()) {
        if ($entry.Key -eq 'Token') {
            $env:WSUSFLEET_TOKEN = [string]$entry.Value
            continue
        }
        if ($entry.Value -is [switch]) {
            if ($entry.Value.IsPresent) { $arguments.Add('-' + $entry.Key) }
            continue
        }
        $value = @($entry.Value) -join ';'
        # Paths relative to this session's location mean the same to the child.
        if (@('OutFile', 'TokenFile', 'SpoolDir', 'StateDir', 'LogFile') -contains $entry.Key) { $value = Resolve-WfPath $value }
        $arguments.Add('-' + $entry.Key)
        $arguments.Add($value)
    }
    $arguments.Add('-NoRelaunch')
    $argv = $arguments.ToArray()
    & $exe @argv | Out-Host
    return $LASTEXITCODE
}

function Invoke-WfSection {
    # Runs one collection step. A failure costs that section only: it is left
    # out of the report, and the dashboard keeps its previous state.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $Name, [Parameter(Mandatory = $true, Position = 1)] [scriptblock] $Collect)
    if ($script:WfSkip -contains $Name) {
        Write-WfLog Info ('{0}: skipped (-Skip)' -f $Name)
        return $null
    }
    $watch = [Diagnostics.Stopwatch]::StartNew()
    try {
        $value = & $Collect
        Write-WfLog Info ('{0}: collected in {1:n1} s' -f $Name, $watch.Elapsed.TotalSeconds)
        return , $value
    }
    catch {
        Write-WfLog Warning ('{0}: not collected, the dashboard keeps its previous state: {1}' -f $Name, $_.Exception.Message)
        return $null
    }
}

function Connect-WfWsus {
    # The local WSUS server through its administration API: the UpdateServices
    # module, or the API assembly it wraps when only that is installed.
    $server = $null
    try {
        Import-Module UpdateServices -ErrorAction Stop -Verbose:$false
        $server = Get-WsusServer
    }
    catch {
        $dll = Join-Path $env:ProgramFiles 'Update Services\Api\Microsoft.UpdateServices.Administration.dll'
        if (-not (Test-Path -LiteralPath $dll)) {
            Stop-WfRun Prerequisite ('the WSUS administration API is not installed ({0}). Install it with: Install-WindowsFeature UpdateServices-API' -f $_.Exception.Message)
        }
        try {
            Add-Type -Path $dll
            $server = [Microsoft.UpdateServices.Administration.AdminProxy]::GetUpdateServer()
        }
        catch {
            Stop-WfRun Prerequisite ('cannot connect to the local WSUS server: {0}. Run as a member of WSUS Administrators or local Administrators.' -f $_.Exception.GetBaseException().Message)
        }
    }
    if ($null -eq $server) { Stop-WfRun Prerequisite 'cannot connect to the local WSUS server (Get-WsusServer returned nothing).' }
    return $server
}

function Get-WfWsusSetup {
    # What WSUS setup recorded under HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup.
    $key = 'SOFTWARE\Microsoft\Update Services\Server\Setup'
    if ($null -eq (Get-WfRegistryValue $key 'TargetDir')) {
        Stop-WfRun Prerequisite ('this is not a WSUS server: HKLM\{0} is missing.' -f $key)
    }
    return @{
        PortNumber    = Get-WfRegistryValue $key 'PortNumber'
        UsingSSL      = Get-WfRegistryValue $key 'UsingSSL'
        ContentDir    = Get-WfRegistryValue $key 'ContentDir'
        TargetDir     = Get-WfRegistryValue $key 'TargetDir'
        SiteIndex     = Get-WfRegistryValue $key 'IISTargetWebSiteIndex'
        SqlServerName = Get-WfRegistryValue $key 'SqlServerName'
    }
}

function Open-WfIis {
    # The IIS configuration of the WSUS site (Microsoft.Web.Administration,
    # the assembly behind the IISAdministration module). $null, with a
    # warning, when it cannot be read (IIS management not installed, or not
    # run as an administrator): the two sections that need it, vdir_config
    # and app_pool, are then left out, and the dashboard keeps what it had.
    param([Parameter(Mandatory = $true)] [hashtable] $Setup)
    $dll = Join-Path $env:windir 'System32\inetsrv\Microsoft.Web.Administration.dll'
    if (-not (Test-Path -LiteralPath $dll)) {
        Write-WfLog Warning ('IIS management is not installed ({0} is missing), so vdir_config and app_pool are left out and the IIS log folder is unknown. Install it with: Install-WindowsFeature Web-Mgmt-Console' -f $dll)
        return $null
    }
    try {
        Add-Type -Path $dll
        $manager = [Microsoft.Web.Administration.ServerManager]::new()
        $site = $null
        foreach ($candidate in $manager.Sites) {
            if ($null -ne $Setup.SiteIndex -and $candidate.Id -eq [long]$Setup.SiteIndex) { $site = $candidate }
        }
        if ($null -eq $site) {
            foreach ($candidate in $manager.Sites) {
                if ($candidate.Name -eq 'WSUS Administration') { $site = $candidate }
            }
        }
        if ($null -eq $site) { throw 'no IIS site matches IISTargetWebSiteIndex or is named "WSUS Administration"' }
        return @{ Manager = $manager; Site = $site; Config = $manager.GetApplicationHostConfiguration() }
    }
    catch {
        Write-WfLog Warning ('IIS configuration not readable, vdir_config and app_pool will be missing: {0}' -f $_.Exception.GetBaseException().Message)
        return $null
    }
}

function Find-WfIisPath {
    # The application or virtual directory of the WSUS site that serves
    # /$Segment: its application pool and physical path; $null if none.
    param([Parameter(Mandatory = $true)] [hashtable] $Iis, [Parameter(Mandatory = $true)] [string] $Segment)
    $wanted = '/' + $Segment
    $root = $null
    foreach ($app in $Iis.Site.Applications) {
        if ($app.Path -eq $wanted) {
            $physical = $null
            foreach ($vd in $app.VirtualDirectories) {
                if ($vd.Path -eq '/') { $physical = [Environment]::ExpandEnvironmentVariables([string]$vd.PhysicalPath) }
            }
            return @{ Pool = [string]$app.ApplicationPoolName; Physical = $physical }
        }
        if ($app.Path -eq '/') { $root = $app }
    }
    if ($null -ne $root) {
        foreach ($vd in $root.VirtualDirectories) {
            if ($vd.Path -eq $wanted) {
                return @{ Pool = [string]$root.ApplicationPoolName; Physical = [Environment]::ExpandEnvironmentVariables([string]$vd.PhysicalPath) }
            }
        }
    }
    return $null
}

function Get-WfIisAttribute {
    # One attribute of an IIS configuration section at a location, or
    # $Default when the section is not there (e.g. Digest not installed).
    param([hashtable] $Iis, [string] $Section, [string] $Location, [string] $Attribute, [object] $Default)
    try { return $Iis.Config.GetSection($Section, $Location).GetAttributeValue($Attribute) }
    catch { return $Default }
}

function Get-WfDatabase {
    # 'WID' or 'SQL <instance>' for server.database, and the local database
    # service to watch ($null when SQL Server runs on another computer).
    param([Parameter(Mandatory = $true)] [object] $Wsus, [Parameter(Mandatory = $true)] [hashtable] $Setup)
    $instance = [string]$Setup.SqlServerName
    $database = 'SUSDB'
    $wid = $instance -match '##(WID|SSEE)'
    try {
        $db = $Wsus.GetDatabaseConfiguration()
        $wid = [bool]$db.IsUsingWindowsInternalDatabase
        $instance = [string]$db.ServerName
        $database = [string]$db.DatabaseName
    }
    catch { Write-WfLog Warning ('database configuration from the registry only: {0}' -f $_.Exception.Message) }
    if ($wid) { return @{ Text = 'WID'; Service = 'MSSQL$MICROSOFT##WID' } }

    $bare = $instance -replace '^(tcp|np|lpc):', ''
    $hostPart = ($bare -split '[\\,]')[0]
    $instancePart = $null
    if ($bare -match '\\([^,]+)') { $instancePart = $Matches[1] }
    $me = Get-WfFqdn
    $isLocal = @('.', '(local)', 'localhost', $env:COMPUTERNAME, $me) -contains $hostPart
    $service = $null
    if ($isLocal -and $instancePart) { $service = 'MSSQL$' + $instancePart }
    elseif ($isLocal) { $service = 'MSSQLSERVER' }
    $text = 'SQL ' + $instance
    if ($database -and $database -ne 'SUSDB') { $text += ' (' + $database + ')' }
    return @{ Text = $text; Service = $service }
}

function Get-WfServerSection {
    # The facts of the server section (New-WfServerInfo writes it once the
    # checks have run) plus what the other sections need from it.
    param(
        [Parameter(Mandatory = $true)] [object] $Wsus,
        [Parameter(Mandatory = $true)] [object] $Config,
        [Parameter(Mandatory = $true)] [hashtable] $Setup,
        [AllowNull()] [hashtable] $Iis,
        [Parameter(Mandatory = $true)] [string] $Name
    )
    $httpPort = 8530
    if ($null -ne $Setup.PortNumber) { $httpPort = [int]$Setup.PortNumber }
    $ssl = ($null -ne $Setup.UsingSSL) -and ([int]$Setup.UsingSSL -ne 0)
    $httpsPort = $null
    if ($null -ne $Iis) {
        foreach ($binding in $Iis.Site.Bindings) {
            if ($null -eq $httpsPort -and $binding.Protocol -eq 'https' -and $null -ne $binding.EndPoint) { $httpsPort = [int]$binding.EndPoint.Port }
        }
    }
    if ($null -eq $httpsPort) {
        # DESIGN 7.1: in SSL mode the SSL port is the HTTP port + 1, or 443 next to 80.
        if ($httpPort -eq 80) { $httpsPort = 443 } else { $httpsPort = $httpPort + 1 }
    }
    $httpUrl = 'http://' + $Name
    if ($httpPort -ne 80) { $httpUrl += ':' + $httpPort }
    $httpsUrl = 'https://' + $Name
    if ($httpsPort -ne 443) { $httpsUrl += ':' + $httpsPort }
    $baseUrl = $httpUrl
    if ($ssl) { $baseUrl = $httpsUrl }

    $contentDir = $null
    try { $contentDir = [string]$Config.LocalContentCachePath } catch { $contentDir = $null }
    if (-not $contentDir -and $Setup.ContentDir) { $contentDir = Join-Path ([string]$Setup.ContentDir) 'WsusContent' }

    $database = Get-WfDatabase -Wsus $Wsus -Setup $Setup

    $notDeclined = $null
    try {
        $scope = [Microsoft.UpdateServices.Administration.UpdateScope]::new()
        $scope.ApprovedStates = [Microsoft.UpdateServices.Administration.ApprovedStates]'NotApproved, LatestRevisionApproved, HasStaleUpdateApprovals'
        $notDeclined = [int]$Wsus.GetUpdateCount($scope)
    }
    catch { Write-WfLog Warning ('not_declined_updates not collected: {0}' -f $_.Exception.Message) }

    $targeting = $null
    try { $targeting = $Config.TargetingMode.ToString() } catch { $targeting = $null }

    $poolName = 'WsusPool'
    if ($null -ne $Iis) {
        $found = Find-WfIisPath -Iis $Iis -Segment 'ClientWebService'
        if ($null -ne $found -and $found.Pool) { $poolName = $found.Pool }
    }

    $version = $null
    try { $version = [string]$Wsus.Version } catch { Write-WfLog Warning ('server version not collected: {0}' -f $_.Exception.Message) }
    return @{
        Name        = $Name
        BaseUrl     = $baseUrl
        HttpUrl     = $httpUrl
        HttpPort    = $httpPort
        HttpsPort   = $httpsPort
        Ssl         = [bool]$ssl
        Version     = $version
        ContentDir  = $contentDir
        Database    = $database.Text
        NotDeclined = $notDeclined
        Targeting   = $targeting
        InstallDir  = [string]$Setup.TargetDir
        DbService   = $database.Service
        PoolName    = $poolName
    }
}

# A host name as the dashboard compares them: lower-case labels of letters,
# digits, '-' and '_' (NetBIOS-era names have them), dot-separated.
$script:WfHostNamePattern = '^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$'

function Select-WfAliases {
    # The names clients may use for this server besides -Name: lower-case,
    # without a trailing dot, each once, host names only (no wildcard, no
    # spaces, at most 253 characters), at most -Max of them.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Select-WfAliases -Name 'wsus01.corp.example' -Candidates @('WSUS01', 'wsus01.corp.example', 'wsus.corp.example', 'WSUS.corp.example.') => @('wsus01', 'wsus.corp.example')
    #   Select-WfAliases -Name 'wsus01.corp.example' -Candidates @('*.corp.example', 'bad name', '', $null, 'wsus-01_old', '-x.corp.example') => @('wsus-01_old')
    #   Select-WfAliases -Name 'wsus01.corp.example' -Candidates @('a', 'b', 'c') -Max 2 => @('a', 'b')
    #   Select-WfAliases -Name 'wsus01.corp.example' -Candidates @() => @()
    param([Parameter(Mandatory = $true)] [string] $Name, [AllowNull()] [AllowEmptyCollection()] [string[]] $Candidates, [int] $Max = 32)
    $self = $Name.Trim().TrimEnd('.').ToLowerInvariant()
    $out = [Collections.Generic.List[string]]::new()
    foreach ($candidate in @($Candidates)) {
        if ($out.Count -ge $Max) { break }
        if (-not $candidate) { continue }
        $alias = $candidate.Trim().TrimEnd('.').ToLowerInvariant()
        if ($alias -eq $self -or $alias.Length -gt 253 -or $alias -cnotmatch $script:WfHostNamePattern -or $out.Contains($alias)) { continue }
        $out.Add($alias)
    }
    return , $out.ToArray()
}

function Select-WfAddresses {
    # The addresses clients may reach this server on: each once, without
    # loopback, link-local (fe80::/10, 169.254.0.0/16) and unspecified
    # addresses, as .NET writes them, at most -Max.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Select-WfAddresses @('10.1.2.10', '127.0.0.1', '::1', 'fe80::1c2d:3e4f:5a6b:7c8d%12', '169.254.3.4', 'fd00:10:1::10', '10.1.2.10', '0.0.0.0') => @('10.1.2.10', 'fd00:10:1::10')
    #   Select-WfAddresses @('not an address', '') => @()
    #   Select-WfAddresses @('10.0.0.1', '10.0.0.2', '10.0.0.3') -Max 2 => @('10.0.0.1', '10.0.0.2')
    param([Parameter(Position = 0)] [AllowNull()] [AllowEmptyCollection()] [string[]] $Candidates, [int] $Max = 32)
    $out = [Collections.Generic.List[string]]::new()
    foreach ($candidate in @($Candidates)) {
        if ($out.Count -ge $Max) { break }
        $ip = $null
        if (-not $candidate -or -not [Net.IPAddress]::TryParse($candidate.Trim(), [ref]$ip)) { continue }
        if ([Net.IPAddress]::IsLoopback($ip) -or $ip.IsIPv6LinkLocal -or $ip.Equals([Net.IPAddress]::Any) -or $ip.Equals([Net.IPAddress]::IPv6Any)) { continue }
        $bytes = $ip.GetAddressBytes()
        if ($bytes.Length -eq 4 -and $bytes[0] -eq 169 -and $bytes[1] -eq 254) { continue }
        $text = $ip.ToString()
        if (-not $out.Contains($text)) { $out.Add($text) }
    }
    return , $out.ToArray()
}

function Get-WfAliasCandidates {
    # Names this server answers to, as far as it can tell: -Alias, its
    # NetBIOS and DNS names, the host names of the WSUS site's bindings, the
    # SMB alias names (LanmanServer OptionalNames, set for CNAMEs) and the
    # names on the certificate the https checks saw. A CNAME that points here
    # from elsewhere is not visible from here: give it with -Alias.
    param([AllowNull()] [string[]] $Alias, [AllowNull()] [hashtable] $Iis, [AllowNull()] [object] $Checks)
    $names = [Collections.Generic.List[string]]::new()
    foreach ($a in @(Split-WfList $Alias)) { $names.Add($a) }
    $names.Add([string]$env:COMPUTERNAME)
    $names.Add((Get-WfFqdn))
    if ($null -ne $Iis) {
        foreach ($binding in $Iis.Site.Bindings) {
            try { if ($binding.Host) { $names.Add([string]$binding.Host) } } catch { $null = $_ }
        }
    }
    $optional = Get-WfRegistryValue 'SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters' 'OptionalNames'
    foreach ($o in @($optional)) { if ($o) { $names.Add([string]$o) } }
    foreach ($check in @($Checks)) {
        if ($null -eq $check -or -not $check.Contains('tls')) { continue }
        $tls = $check['tls']
        if ($tls.Contains('sans')) { foreach ($san in @($tls['sans'])) { $names.Add([string]$san) } }
    }
    return , $names.ToArray()
}

function Get-WfLocalAddresses {
    # The unicast addresses of this computer's network interfaces that are up.
    $addresses = [Collections.Generic.List[string]]::new()
    foreach ($nic in [Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces()) {
        if ($nic.OperationalStatus -ne [Net.NetworkInformation.OperationalStatus]::Up) { continue }
        if ($nic.NetworkInterfaceType -eq [Net.NetworkInformation.NetworkInterfaceType]::Loopback) { continue }
        foreach ($unicast in $nic.GetIPProperties().UnicastAddresses) { $addresses.Add($unicast.Address.ToString()) }
    }
    return , $addresses.ToArray()
}

function New-WfServerInfo {
    # The server section: the facts of Get-WfServerSection, and the other
    # names and addresses clients may use for this server (a client whose
    # WUServer names one of them belongs here). Names or addresses that
    # cannot be read are left out with a warning.
    param([Parameter(Mandatory = $true)] [hashtable] $Server, [AllowNull()] [string[]] $Alias, [AllowNull()] [hashtable] $Iis, [AllowNull()] [object] $Checks)
    $aliases = @(Get-WfOptional aliases { Select-WfAliases -Name $Server.Name -Candidates (Get-WfAliasCandidates -Alias $Alias -Iis $Iis -Checks $Checks) })
    $addresses = @(Get-WfOptional addresses { Select-WfAddresses (Get-WfLocalAddresses) })
    return (New-WfObject ServerInfo @{
            name                 = $Server.Name
            url                  = $Server.BaseUrl
            version              = $Server.Version
            http_port            = $Server.HttpPort
            https_port           = $Server.HttpsPort
            ssl                  = $Server.Ssl
            content_dir          = Limit-WfText $Server.ContentDir 1024
            database             = Limit-WfText $Server.Database 256
            not_declined_updates = $Server.NotDeclined
            targeting            = Get-WfEnum targeting $Server.Targeting -Optional
            aliases              = $aliases
            addresses            = $addresses
        })
}

function Get-WfServerCheckList {
    # Every vDir on the URL clients use; in SSL mode also SelfUpdate and
    # Content over plain HTTP (clients download updates there), and
    # SelfUpdate on port 80 (DESIGN 7.1).
    # Cases (scripts/cases_test.go runs them against a Go model; each check as 'VDir URL'):
    #   Get-WfServerCheckList -Server @{ Name = 'wsus01.corp.example'; BaseUrl = 'http://wsus01.corp.example:8530'; HttpUrl = 'http://wsus01.corp.example:8530'; HttpPort = 8530; Ssl = $false } => @('ClientWebService http://wsus01.corp.example:8530/ClientWebService/client.asmx', 'SimpleAuthWebService http://wsus01.corp.example:8530/SimpleAuthWebService/SimpleAuth.asmx', 'DssAuthWebService http://wsus01.corp.example:8530/DssAuthWebService/DssAuthWebService.asmx', 'ServerSyncWebService http://wsus01.corp.example:8530/ServerSyncWebService/ServerSyncWebService.asmx', 'ApiRemoting30 http://wsus01.corp.example:8530/ApiRemoting30/WebService.asmx', 'ReportingWebService http://wsus01.corp.example:8530/ReportingWebService/ReportingWebService.asmx', 'Inventory http://wsus01.corp.example:8530/Inventory/', 'SelfUpdate http://wsus01.corp.example:8530/selfupdate/wuident.cab', 'Content http://wsus01.corp.example:8530/Content/', 'SelfUpdate http://wsus01.corp.example/selfupdate/wuident.cab')
    #   Get-WfServerCheckList -Server @{ Name = 'wsus02.corp.example'; BaseUrl = 'https://wsus02.corp.example:8531'; HttpUrl = 'http://wsus02.corp.example:8530'; HttpPort = 8530; Ssl = $true } => @('ClientWebService https://wsus02.corp.example:8531/ClientWebService/client.asmx', 'SimpleAuthWebService https://wsus02.corp.example:8531/SimpleAuthWebService/SimpleAuth.asmx', 'DssAuthWebService https://wsus02.corp.example:8531/DssAuthWebService/DssAuthWebService.asmx', 'ServerSyncWebService https://wsus02.corp.example:8531/ServerSyncWebService/ServerSyncWebService.asmx', 'ApiRemoting30 https://wsus02.corp.example:8531/ApiRemoting30/WebService.asmx', 'ReportingWebService https://wsus02.corp.example:8531/ReportingWebService/ReportingWebService.asmx', 'Inventory https://wsus02.corp.example:8531/Inventory/', 'SelfUpdate https://wsus02.corp.example:8531/selfupdate/wuident.cab', 'Content https://wsus02.corp.example:8531/Content/', 'SelfUpdate http://wsus02.corp.example:8530/selfupdate/wuident.cab', 'Content http://wsus02.corp.example:8530/Content/', 'SelfUpdate http://wsus02.corp.example/selfupdate/wuident.cab')
    #   Get-WfServerCheckList -Server @{ Name = 'wsus03.corp.example'; BaseUrl = 'http://wsus03.corp.example'; HttpUrl = 'http://wsus03.corp.example'; HttpPort = 80; Ssl = $false } => @('ClientWebService http://wsus03.corp.example/ClientWebService/client.asmx', 'SimpleAuthWebService http://wsus03.corp.example/SimpleAuthWebService/SimpleAuth.asmx', 'DssAuthWebService http://wsus03.corp.example/DssAuthWebService/DssAuthWebService.asmx', 'ServerSyncWebService http://wsus03.corp.example/ServerSyncWebService/ServerSyncWebService.asmx', 'ApiRemoting30 http://wsus03.corp.example/ApiRemoting30/WebService.asmx', 'ReportingWebService http://wsus03.corp.example/ReportingWebService/ReportingWebService.asmx', 'Inventory http://wsus03.corp.example/Inventory/', 'SelfUpdate http://wsus03.corp.example/selfupdate/wuident.cab', 'Content http://wsus03.corp.example/Content/')
    param([Parameter(Mandatory = $true)] [hashtable] $Server)
    $checks = [Collections.Generic.List[object]]::new()
    foreach ($entry in $script:WfVDirPaths.GetEnumerator()) {
        $checks.Add(@{ VDir = $entry.Key; Url = $Server.BaseUrl + $entry.Value })
    }
    if ($Server.Ssl) {
        $checks.Add(@{ VDir = 'SelfUpdate'; Url = $Server.HttpUrl + $script:WfVDirPaths['SelfUpdate'] })
        $checks.Add(@{ VDir = 'Content'; Url = $Server.HttpUrl + $script:WfVDirPaths['Content'] })
    }
    if ($Server.HttpPort -ne 80) {
        $checks.Add(@{ VDir = 'SelfUpdate'; Url = 'http://' + $Server.Name + $script:WfVDirPaths['SelfUpdate'] })
    }
    return , $checks
}

function Get-WfVDirConfigSection {
    # Authentication, SSL and impersonation of each WSUS vDir (DESIGN 7.1),
    # and the IIS site it is in (the dashboard's fixes name it in appcmd and
    # WebAdministration locations: "WSUS Administration", or "Default Web
    # Site" when WSUS was installed on port 80).
    param([AllowNull()] [hashtable] $Iis)
    if ($null -eq $Iis) { throw 'the IIS configuration is not readable' }
    $list = [Collections.Generic.List[object]]::new()
    $siteName = $Iis.Site.Name
    $unreadable = [Collections.Generic.List[string]]::new()
    foreach ($entry in $script:WfVDirPaths.GetEnumerator()) {
        $segment = ($entry.Value.Trim('/') -split '/')[0]
        $found = Find-WfIisPath -Iis $Iis -Segment $segment
        if ($null -eq $found) {
            Write-WfLog Warning ('vdir_config: the WSUS site has no /{0}' -f $segment)
            continue
        }
        $location = $siteName + '/' + $segment
        $auth = 'system.webServer/security/authentication/'
        $anonymousUser = [string](Get-WfIisAttribute $Iis ($auth + 'anonymousAuthentication') $location 'userName' '')
        if (-not $anonymousUser) { $anonymousUser = 'ApplicationPoolIdentity' }
        $sslFlags = [int](Get-WfIisAttribute $Iis 'system.webServer/security/access' $location 'sslFlags' 0)
        # sslFlags: Ssl = 8, SslNegotiateCert = 32, SslRequireCert = 64.
        $certs = 'ignore'
        if ($sslFlags -band 64) { $certs = 'require' }
        elseif ($sslFlags -band 32) { $certs = 'accept' }
        $impersonation = $false
        try {
            $identity = $Iis.Manager.GetWebConfiguration($siteName, '/' + $segment).GetSection('system.web/identity')
            $impersonation = [bool]$identity.GetAttributeValue('impersonate')
        }
        catch { $unreadable.Add($entry.Key) }
        $list.Add((New-WfObject VDirConfig @{
                    vdir                 = Get-WfEnum vdir $entry.Key
                    anonymous            = [bool](Get-WfIisAttribute $Iis ($auth + 'anonymousAuthentication') $location 'enabled' $false)
                    anonymous_user       = Limit-WfText $anonymousUser 256
                    windows_auth         = [bool](Get-WfIisAttribute $Iis ($auth + 'windowsAuthentication') $location 'enabled' $false)
                    basic_auth           = [bool](Get-WfIisAttribute $Iis ($auth + 'basicAuthentication') $location 'enabled' $false)
                    digest_auth          = [bool](Get-WfIisAttribute $Iis ($auth + 'digestAuthentication') $location 'enabled' $false)
                    require_ssl          = [bool]($sslFlags -band 8)
                    client_certs         = Get-WfEnum client_certs $certs
                    aspnet_impersonation = [bool]$impersonation
                    app_pool             = Limit-WfText $found.Pool 256
                    physical_path        = Limit-WfText $found.Physical 1024
                    site                 = Limit-WfText $siteName 256
                }))
    }
    if ($unreadable.Count -gt 0) {
        Write-WfLog Warning ('vdir_config: ASP.NET impersonation not readable for {0}; reported as off' -f ($unreadable -join ', '))
    }
    return , $list
}

function Get-WfAppPoolSection {
    # The WsusPool settings of DESIGN 7.4.
    param([AllowNull()] [hashtable] $Iis, [Parameter(Mandatory = $true)] [string] $PoolName)
    if ($null -eq $Iis) { throw 'the IIS configuration is not readable' }
    $pool = $null
    foreach ($candidate in $Iis.Manager.ApplicationPools) {
        if ($candidate.Name -eq $PoolName) { $pool = $candidate }
    }
    if ($null -eq $pool) { throw ('application pool {0} not found' -f $PoolName) }
    $state = 'Unknown'
    try { $state = $pool.State.ToString() } catch { $state = 'Unknown' }
    $identity = $pool.ProcessModel.IdentityType.ToString()
    if ($identity -eq 'SpecificUser') { $identity = [string]$pool.ProcessModel.UserName }
    return (New-WfObject AppPool @{
            name                  = [string]$pool.Name
            state                 = Get-WfEnum pool_state $state -Default 'Unknown'
            identity              = Limit-WfText $identity 256
            private_memory_kb     = [int64]$pool.Recycling.PeriodicRestart.PrivateMemory
            queue_length          = [int64]$pool.QueueLength
            idle_timeout_min      = [int64][Math]::Round($pool.ProcessModel.IdleTimeout.TotalMinutes)
            ping_enabled          = [bool]$pool.ProcessModel.PingingEnabled
            periodic_restart_min  = [int64][Math]::Round($pool.Recycling.PeriodicRestart.Time.TotalMinutes)
            rapid_fail_protection = [bool]$pool.Failure.RapidFailProtection
        })
}

function Get-WfServicesSection {
    # WsusService, IIS (W3SVC, WAS) and the database service.
    param([Parameter(Mandatory = $true)] [string[]] $Names)
    $list = [Collections.Generic.List[object]]::new()
    foreach ($name in $Names) {
        $info = Get-WfServiceInfo $name
        $list.Add((New-WfObject Service @{
                    name       = $info.Name
                    state      = Get-WfEnum service_state $info.State -Default 'Unknown'
                    start_type = Get-WfEnum start_type $info.StartType -Optional
                }))
    }
    return , $list
}

function Get-WfPrincipalName {
    # A principal by its English name when well known, else DOMAIN\name, else the SID.
    param([Parameter(Mandatory = $true, Position = 0)] [Security.Principal.SecurityIdentifier] $Sid)
    if ($script:WfWellKnownSids.ContainsKey($Sid.Value)) { return $script:WfWellKnownSids[$Sid.Value] }
    try { return $Sid.Translate([Security.Principal.NTAccount]).Value }
    catch { return $Sid.Value }
}

function Get-WfRightNames {
    # FileSystemRights as enum names (FullControl, Modify, ReadAndExecute,
    # Synchronize, ...); the generic bits of inherit-only entries as GenericAll etc.
    param([Parameter(Mandatory = $true, Position = 0)] [int64] $Mask)
    $names = [Collections.Generic.List[string]]::new()
    if ($Mask -band 2147483648) { $names.Add('GenericRead') }
    if ($Mask -band 1073741824) { $names.Add('GenericWrite') }
    if ($Mask -band 536870912) { $names.Add('GenericExecute') }
    if ($Mask -band 268435456) { $names.Add('GenericAll') }
    $specific = $Mask -band 268435455
    if ($specific -ne 0) {
        foreach ($part in ([Security.AccessControl.FileSystemRights][int]$specific).ToString().Split(',')) {
            if ($names.Count -lt 32) { $names.Add($part.Trim()) }
        }
    }
    return , $names.ToArray()
}

function Get-WfAclSection {
    # The access rules of the folders of DESIGN 1 step 2 and 7.5. A folder
    # or rule that cannot be read is left out with a warning.
    param([Parameter(Mandatory = $true)] [hashtable] $Server)
    $framework = Join-Path $env:windir 'Microsoft.NET'
    $paths = [Collections.Generic.List[string]]::new()
    $paths.Add((Join-Path $framework 'Framework64\v4.0.30319\Temporary ASP.NET Files'))
    $paths.Add((Join-Path $framework 'Framework\v4.0.30319\Temporary ASP.NET Files'))
    $paths.Add((Join-Path $framework 'Framework64\v4.0.30319\CONFIG'))
    $paths.Add((Join-Path $env:windir 'Temp'))
    $paths.Add((Join-Path $env:SystemDrive 'temp'))
    if ($Server.ContentDir) { $paths.Add($Server.ContentDir) }
    if ($Server.InstallDir) { $paths.Add((Join-Path $Server.InstallDir 'WebServices')) }
    $list = [Collections.Generic.List[object]]::new()
    foreach ($path in $paths) {
        if (-not (Test-Path -LiteralPath $path)) { continue }
        $rules = @()
        try { $rules = @((Get-Acl -LiteralPath $path).GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier])) }
        catch {
            Write-WfLog Warning ('acls: {0} not readable: {1}' -f $path, $_.Exception.Message)
            continue
        }
        foreach ($rule in $rules) {
            if ($list.Count -ge 1000) { break }
            try {
                $mask = [int64][int]$rule.FileSystemRights
                if ($mask -lt 0) { $mask += 4294967296 }
                $list.Add((New-WfObject ACL @{
                            path      = Limit-WfText $path 1024
                            principal = Limit-WfText (Get-WfPrincipalName $rule.IdentityReference) 256
                            rights    = Get-WfRightNames $mask
                            type      = Get-WfEnum ace_type $rule.AccessControlType
                            inherited = [bool]$rule.IsInherited
                        }))
            }
            catch { Write-WfLog Warning ('acls: a rule on {0} left out: {1}' -f $path, $_.Exception.Message) }
        }
    }
    return , $list
}

# The System log's WAS events that explain WsusPool trouble: 5002 pool
# disabled by rapid-fail protection, 5009 worker process terminated
# unexpectedly, 5010 no answer to a ping, 5011 fatal communication error with
# WAS, 5012 start-up and 5013 shut-down time limits exceeded, 5117 recycled
# at its private memory limit, 5186 shut down when idle.
$script:WfWasEventIds = @(5002, 5009, 5010, 5011, 5012, 5013, 5117, 5186)

function ConvertTo-WfEvent {
    # One event log record as an Event: level named from its number (the
    # LevelDisplayName is localized), message or, without a message DLL, the
    # inserted strings. $null when it has no usable time.
    param([Parameter(Mandatory = $true, Position = 0)] [object] $Record)
    $level = 'Information'
    switch ([int]$Record.Level) {
        1 { $level = 'Critical' }
        2 { $level = 'Error' }
        3 { $level = 'Warning' }
        5 { $level = 'Verbose' }
    }
    $message = $null
    try { $message = $Record.Message } catch { $message = $null }
    if (-not $message) { $message = (@($Record.Properties) | ForEach-Object { [string]$_.Value }) -join ' | ' }
    $time = ConvertTo-WfTime $Record.TimeCreated
    if ($null -eq $time) { return $null }
    return (New-WfObject Event @{
            id      = [int]$Record.Id
            source  = [string]$Record.ProviderName
            level   = Get-WfEnum event_level $level
            time    = $time
            message = Limit-WfText $message 32768
        })
}

function Get-WfWinEvents {
    # Get-WinEvent with -FilterHashtable; empty when nothing matches.
    param([Parameter(Mandatory = $true)] [hashtable] $Filter, [int] $Max)
    try { return , @(Get-WinEvent -FilterHashtable $Filter -MaxEvents $Max -ErrorAction Stop) }
    catch {
        if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*' -or $_.FullyQualifiedErrorId -like 'NoMatchingProvidersFound*') { return , @() }
        throw
    }
}

function Test-WfWasEvent {
    # Whether a WAS event is one of $WfWasEventIds about the WSUS application
    # pool: its inserted strings name the pool (5002 and 5009-5013 first,
    # 5117 and 5186 after the process id). Events about other pools are left
    # out.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Test-WfWasEvent 5002 @('WsusPool') -Pool 'WsusPool' => $true
    #   Test-WfWasEvent 5117 @('4711', 'WsusPool') -Pool 'WsusPool' => $true
    #   Test-WfWasEvent 5010 @('wsuspool', '4711') -Pool 'WsusPool' => $true
    #   Test-WfWasEvent 5186 @('4711', 'WsusPool', '20') -Pool 'WsusPool' => $true
    #   Test-WfWasEvent 5002 @('DefaultAppPool') -Pool 'WsusPool' => $false
    #   Test-WfWasEvent 5009 @('WsusPool2', '4711') -Pool 'WsusPool' => $false
    #   Test-WfWasEvent 5074 @('4711', 'WsusPool') -Pool 'WsusPool' => $false
    #   Test-WfWasEvent 5117 @() -Pool 'WsusPool' => $false
    param([Parameter(Position = 0)] [int] $Id, [Parameter(Position = 1)] [AllowNull()] [AllowEmptyCollection()] [string[]] $Values, [string] $Pool)
    if ($script:WfWasEventIds -notcontains $Id) { return $false }
    foreach ($value in @($Values)) {
        if ($null -ne $value -and [string]::Equals($value.Trim(), $Pool, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    }
    return $false
}

function Get-WfEventsSection {
    # WSUS errors and warnings of the last $Hours from the Application log,
    # then the WAS events about the WSUS pool of the last $WasHours from the
    # System log (any level: 5117 and 5186 are informational), each with its
    # source. A record that cannot be read is left out; when the System log
    # cannot be read the WSUS events still go.
    param([Parameter(Mandatory = $true)] [string] $PoolName, [int] $Hours = 24, [int] $WasHours = 168, [int] $Max = 4500, [int] $WasMax = 500)
    $list = [Collections.Generic.List[object]]::new()
    $dropped = 0
    $wsus = Get-WfWinEvents -Max $Max -Filter @{
        LogName      = 'Application'
        ProviderName = 'Windows Server Update Services'
        Level        = @(1, 2, 3)
        StartTime    = (Get-Date).AddHours(-$Hours)
    }
    foreach ($record in $wsus) {
        $item = $null
        try { $item = ConvertTo-WfEvent $record } catch { $item = $null }
        if ($null -eq $item) { $dropped++ } else { $list.Add($item) }
    }
    $was = @()
    try {
        $was = Get-WfWinEvents -Max $WasMax -Filter @{
            LogName      = 'System'
            ProviderName = 'Microsoft-Windows-WAS'
            Id           = $script:WfWasEventIds
            StartTime    = (Get-Date).AddHours(-$WasHours)
        }
    }
    catch { Write-WfLog Warning ('events: the System log''s WAS events not collected: {0}' -f $_.Exception.Message) }
    foreach ($record in $was) {
        $item = $null
        try {
            $values = @($record.Properties | ForEach-Object { [string]$_.Value })
            if (Test-WfWasEvent ([int]$record.Id) $values -Pool $PoolName) { $item = ConvertTo-WfEvent $record }
            else { continue }
        }
        catch { $item = $null }
        if ($null -eq $item) { $dropped++ } else { $list.Add($item) }
    }
    if ($dropped -gt 0) { Write-WfLog Warning ('events: {0} records that could not be read were left out' -f $dropped) }
    return , $list
}

function Get-WfSyncSection {
    # Where updates come from (Microsoft Update or an upstream WSUS server,
    # autonomous or replica) and how the last synchronization ended. An
    # upstream the dashboard would refuse (no name, a name with spaces, no
    # port) is left out with a warning, not the section.
    param([Parameter(Mandatory = $true)] [object] $Wsus, [Parameter(Mandatory = $true)] [object] $Config)
    $fromText = 'upstream'
    $upstream = $null
    if ([bool]$Config.SyncFromMicrosoftUpdate) { $fromText = 'microsoft_update' }
    else {
        $upstreamHost = ([string]$Config.UpstreamWsusServerName).Trim()
        $upstreamPort = [int]$Config.UpstreamWsusServerPortNumber
        if (-not $upstreamHost -or $upstreamHost -match '\s' -or $upstreamHost.Length -gt 253 -or $upstreamPort -lt 1 -or $upstreamPort -gt 65535) {
            Write-WfLog Warning ('sync: upstream server "{0}" port {1} is not a host and port; left out' -f $upstreamHost, $upstreamPort)
        }
        else {
            $upstream = New-WfObject Upstream @{
                host    = $upstreamHost
                port    = $upstreamPort
                ssl     = [bool]$Config.UpstreamWsusServerUseSsl
                replica = [bool]$Config.IsReplicaServer
            }
        }
    }
    $info = $Wsus.GetSubscription().GetLastSynchronizationInfo()
    if ($null -eq $info) {
        $last = New-WfObject SyncRun @{ result = Get-WfEnum sync_result 'NeverRun' }
    }
    else {
        $result = Get-WfEnum sync_result $info.Result -Default 'Unknown'
        $errorText = $null
        if ($result -ne 'Succeeded') {
            # ErrorText is the exception text WSUS recorded; the SynchronizationError
            # code only when there is no text.
            $errorText = [string]$info.ErrorText
            $code = [string]$info.Error
            if (-not $errorText.Trim() -and $code -and $code -ne 'NotApplicable') { $errorText = $code }
        }
        $last = New-WfObject SyncRun @{
            started_at  = ConvertTo-WfTime $info.StartTime
            finished_at = ConvertTo-WfTime $info.EndTime
            result      = Get-WfEnum sync_result $result
            error       = Limit-WfText $errorText 8192
        }
    }
    return (New-WfObject Sync @{
            from     = Get-WfEnum sync_from $fromText
            upstream = $upstream
            last     = $last
        })
}

function New-WfTargetScope {
    # Computers of this server only (not those of downstream servers, which
    # report themselves), without subgroups.
    $scope = [Microsoft.UpdateServices.Administration.ComputerTargetScope]::new()
    $scope.IncludeDownstreamComputerTargets = $false
    $scope.IncludeSubgroups = $false
    return $scope
}

function Write-WfClientItem {
    # Appends one computer target to the clients stream, once per target id.
    # A target that cannot be read is left out and counted ($State.Dropped):
    # one bad target costs that target, not the report.
    param(
        [Parameter(Mandatory = $true)] [IO.TextWriter] $Writer,
        [Parameter(Mandatory = $true)] [object] $Target,
        [Parameter(Mandatory = $true)] [hashtable] $State
    )
    $item = $null
    try {
        $id = [string]$Target.Id
        if (-not $State.Seen.Add($id)) { return }
        $name = ([string]$Target.FullDomainName).Trim()
        if (-not $name -or $name -match '\s' -or $name.Length -gt 253) {
            $State.Unnamed++
            return
        }
        $groups = [Collections.Generic.List[string]]::new()
        foreach ($groupId in $Target.ComputerTargetGroupIds) {
            $key = $groupId.ToString()
            if ($key -ne $State.AllComputers -and $State.GroupNames.ContainsKey($key) -and $groups.Count -lt 64) { $groups.Add($State.GroupNames[$key]) }
        }
        $ip = $null
        if ($null -ne $Target.IPAddress) { $ip = $Target.IPAddress.ToString() }
        $item = New-WfObject Client @{
            id               = $id
            name             = $name
            ip               = Limit-WfText $ip 64
            os               = Limit-WfText $Target.OSDescription 256
            client_version   = Limit-WfText $Target.ClientVersion 64
            groups           = $groups
            requested_group  = Limit-WfText $Target.RequestedTargetGroupName 256
            last_sync        = ConvertTo-WfTime $Target.LastSyncTime
            last_sync_result = Get-WfEnum sync_result $Target.LastSyncResult -Default 'Unknown'
            last_report      = ConvertTo-WfTime $Target.LastReportedStatusTime
        }
    }
    catch {
        $State.Dropped++
        return
    }
    if (-not $State.First) { $Writer.Write(',') }
    $State.First = $false
    $Writer.Write((ConvertTo-WfJson $item))
}

function Write-WfClientsPart {
    # Streams every computer target into $Path as the JSON of the clients
    # section, one target at a time: 100,000 clients never become one string.
    # The API has no paging cursor, so the targets are read one target group
    # at a time (memory bounded by the largest group) and de-duplicated by id;
    # if that misses any (GetComputerTargetCount disagrees), one full
    # GetComputerTargets call fills the gap. Only then is "complete" written.
    param([Parameter(Mandatory = $true)] [object] $Wsus, [Parameter(Mandatory = $true)] [string] $Path)
    $allComputers = [Microsoft.UpdateServices.Administration.ComputerTargetGroupId]::AllComputers.ToString()
    $groups = @($Wsus.GetComputerTargetGroups())
    $groupNames = @{}
    foreach ($group in $groups) { $groupNames[$group.Id.ToString()] = [string]$group.Name }
    $state = @{
        Seen         = [Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
        GroupNames   = $groupNames
        AllComputers = $allComputers
        First        = $true
        Unnamed      = 0
        Dropped      = 0
    }
    $writer = Open-WfJsonWriter -Path $Path
    $done = $false
    try {
        $writer.Write('{')
        Write-WfJsonName $writer ClientList items -First
        $writer.Write('[')
        foreach ($group in $groups) {
            if ($group.Id.ToString() -eq $allComputers) { continue }
            $scope = New-WfTargetScope
            $null = $scope.ComputerTargetGroups.Add($group)
            $targets = $Wsus.GetComputerTargets($scope)
            foreach ($target in $targets) { Write-WfClientItem -Writer $writer -Target $target -State $state }
            $targets = $null
        }
        $expected = $Wsus.GetComputerTargetCount((New-WfTargetScope))
        if ($state.Seen.Count -lt $expected) {
            Write-WfLog Info ('clients: {0} of {1} targets found by group; reading the full list' -f $state.Seen.Count, $expected)
            $targets = $Wsus.GetComputerTargets((New-WfTargetScope))
            foreach ($target in $targets) { Write-WfClientItem -Writer $writer -Target $target -State $state }
            $targets = $null
        }
        $writer.Write(']')
        Write-WfJsonProperty $writer ClientList complete $true
        $writer.Write('}')
        $done = $true
    }
    finally {
        $writer.Dispose()
        if (-not $done) { Remove-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue }
    }
    if ($state.Unnamed -gt 0) { Write-WfLog Warning ('clients: {0} targets without a usable name were left out' -f $state.Unnamed) }
    if ($state.Dropped -gt 0) { Write-WfLog Warning ('clients: {0} targets that could not be read were left out' -f $state.Dropped) }
    Write-WfLog Info ('clients: {0} computer targets' -f ($state.Seen.Count - $state.Unnamed - $state.Dropped))
    return $Path
}

function Resolve-WfIisLogFolder {
    # Where IIS writes the WSUS site's W3C logs. The site's own logFile
    # attributes win where they are set (-Site holds only those); the others
    # come from the server's siteDefaults (-Defaults) - where admins move the
    # logs to, and which Microsoft.Web.Administration does not merge into a
    # site. With central W3C logging every site writes to one file under
    # <centralW3CLogFile directory>\W3SVC; central binary logging writes no
    # text at all. Enum values may come as numbers or names. Returns
    # @{ Folder; Source = site|siteDefaults|central; Skip = why nothing can
    # be shipped (disabled, not-w3c, etw-only, central-binary) or $null };
    # Source says where the folder comes from. Without any directory setting
    # IIS's own default applies.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{} -Defaults @{ directory = 'D:\IISLogs'; logFormat = 'W3C'; enabled = $true; logTargetW3C = 'File' } -Central @{ mode = 'Site' } => @{ Folder = 'D:\IISLogs\W3SVC1'; Source = 'siteDefaults'; Skip = $null }
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{ directory = 'E:\Logs\' } -Defaults @{ directory = 'D:\IISLogs'; logFormat = 2; enabled = $true; logTargetW3C = 1 } -Central @{ mode = 0 } => @{ Folder = 'E:\Logs\W3SVC1'; Source = 'site'; Skip = $null }
    #   Resolve-WfIisLogFolder -SiteId 2 -Site @{} -Defaults @{ directory = '%SystemDrive%\inetpub\logs\LogFiles' } -Central @{} => @{ Folder = '%SystemDrive%\inetpub\logs\LogFiles\W3SVC2'; Source = 'siteDefaults'; Skip = $null }
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{ logTargetW3C = 'File,ETW' } -Defaults @{ directory = 'D:\IISLogs' } -Central @{ mode = 'Site' } => @{ Folder = 'D:\IISLogs\W3SVC1'; Source = 'siteDefaults'; Skip = $null }
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{ enabled = $false } -Defaults @{ directory = 'D:\IISLogs'; enabled = $true } -Central @{ mode = 'Site' } => @{ Folder = $null; Source = 'siteDefaults'; Skip = 'disabled' }
    #   Resolve-WfIisLogFolder -SiteId 3 -Site @{} -Defaults @{} -Central @{} => @{ Folder = '%SystemDrive%\inetpub\logs\LogFiles\W3SVC3'; Source = 'siteDefaults'; Skip = $null }
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{} -Defaults @{ directory = 'D:\IISLogs'; logFormat = 'IIS' } -Central @{ mode = 'Site' } => @{ Folder = $null; Source = 'siteDefaults'; Skip = 'not-w3c' }
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{ logTargetW3C = 2 } -Defaults @{ directory = 'D:\IISLogs' } -Central @{ mode = 'Site' } => @{ Folder = $null; Source = 'siteDefaults'; Skip = 'etw-only' }
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{ directory = 'E:\Logs' } -Defaults @{ directory = 'D:\IISLogs' } -Central @{ mode = 'CentralW3C'; directory = 'L:\Central'; enabled = $true } => @{ Folder = 'L:\Central\W3SVC'; Source = 'central'; Skip = $null }
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{} -Defaults @{} -Central @{ mode = 2; directory = 'L:\Central'; enabled = $false } => @{ Folder = $null; Source = 'central'; Skip = 'disabled' }
    #   Resolve-WfIisLogFolder -SiteId 1 -Site @{} -Defaults @{ directory = 'D:\IISLogs' } -Central @{ mode = 1 } => @{ Folder = $null; Source = 'central'; Skip = 'central-binary' }
    param([long] $SiteId, [hashtable] $Site, [hashtable] $Defaults, [hashtable] $Central)
    $mode = [string]$Central['mode']
    if ($mode -eq '1' -or $mode -eq 'CentralBinary') { return @{ Folder = $null; Source = 'central'; Skip = 'central-binary' } }
    if ($mode -eq '2' -or $mode -eq 'CentralW3C') {
        if ($null -ne $Central['enabled'] -and -not [bool]$Central['enabled']) { return @{ Folder = $null; Source = 'central'; Skip = 'disabled' } }
        $central = ([string]$Central['directory']).TrimEnd('\')
        if (-not $central) { $central = '%SystemDrive%\inetpub\logs\LogFiles' }
        return @{ Folder = $central + '\W3SVC'; Source = 'central'; Skip = $null }
    }
    $source = 'siteDefaults'
    if ($Site.ContainsKey('directory')) { $source = 'site' }
    $value = @{}
    foreach ($name in @('directory', 'logFormat', 'enabled', 'logTargetW3C')) {
        if ($Site.ContainsKey($name)) { $value[$name] = $Site[$name] } else { $value[$name] = $Defaults[$name] }
    }
    $skip = $null
    $format = [string]$value['logFormat']
    $target = [string]$value['logTargetW3C']
    if ($null -ne $value['enabled'] -and -not [bool]$value['enabled']) { $skip = 'disabled' }
    elseif ($format -and $format -ne '2' -and $format -ne 'W3C') { $skip = 'not-w3c' }
    elseif ($target -and -not ($target -match 'File' -or ($target -match '^\d+$' -and ([int]$target -band 1)))) { $skip = 'etw-only' }
    if ($skip) { return @{ Folder = $null; Source = $source; Skip = $skip } }
    $directory = ([string]$value['directory']).TrimEnd('\')
    if (-not $directory) { $directory = '%SystemDrive%\inetpub\logs\LogFiles' }
    return @{ Folder = $directory + '\W3SVC' + $SiteId; Source = $source; Skip = $null }
}

function Get-WfIisLogSettings {
    # The inputs of Resolve-WfIisLogFolder from the IIS configuration: the
    # logFile attributes set on the WSUS site itself, the server's
    # siteDefaults, and the central logging mode.
    param([Parameter(Mandatory = $true)] [hashtable] $Iis)
    $site = @{}
    $defaults = @{}
    foreach ($name in @('directory', 'logFormat', 'enabled', 'logTargetW3C')) {
        # logTargetW3C exists from IIS 8.5 on; before it, logs go to files.
        try {
            $attribute = $Iis.Site.LogFile.GetAttribute($name)
            if (-not $attribute.IsInheritedFromDefaultValue) { $site[$name] = $attribute.Value }
        }
        catch { $null = $_ }
        try { $defaults[$name] = $Iis.Manager.SiteDefaults.LogFile.GetAttributeValue($name) } catch { $null = $_ }
    }
    $central = @{ mode = 'Site' }
    try {
        $log = $Iis.Config.GetSection('system.applicationHost/log')
        $central['mode'] = $log.GetAttributeValue('centralLogFileMode')
        $w3c = $log.GetChildElement('centralW3CLogFile')
        $central['directory'] = $w3c.GetAttributeValue('directory')
        $central['enabled'] = $w3c.GetAttributeValue('enabled')
    }
    catch { Write-WfLog Warning ('IIS logs: the central logging settings are not readable ({0}); assuming per-site logs' -f $_.Exception.Message) }
    return @{ SiteId = [long]$Iis.Site.Id; Site = $site; Defaults = $defaults; Central = $central }
}

function Get-WfLogResume {
    # Where to go on in a log file: -Sent bytes of it were shipped before
    # (-1: none), it now has -Size bytes, and -TailMatches says whether the
    # last line shipped still ends at -Sent (if not, the file was replaced by
    # another of the same name). Returns @{ Offset; Reason }.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Get-WfLogResume -Sent -1 -Size 1000 => @{ Offset = 0; Reason = 'new' }
    #   Get-WfLogResume -Sent 600 -Size 1000 -TailMatches $true => @{ Offset = 600; Reason = 'grown' }
    #   Get-WfLogResume -Sent 1000 -Size 1000 -TailMatches $true => @{ Offset = 1000; Reason = 'unchanged' }
    #   Get-WfLogResume -Sent 1000 -Size 400 -TailMatches $false => @{ Offset = 0; Reason = 'truncated' }
    #   Get-WfLogResume -Sent 1000 -Size 400 -TailMatches $true => @{ Offset = 0; Reason = 'truncated' }
    #   Get-WfLogResume -Sent 600 -Size 1000 -TailMatches $false => @{ Offset = 0; Reason = 'replaced' }
    #   Get-WfLogResume -Sent 0 -Size 0 -TailMatches $true => @{ Offset = 0; Reason = 'unchanged' }
    param([int64] $Sent, [int64] $Size, [bool] $TailMatches = $false)
    if ($Sent -lt 0) { return @{ Offset = [int64]0; Reason = 'new' } }
    if ($Size -lt $Sent) { return @{ Offset = [int64]0; Reason = 'truncated' } }
    if (-not $TailMatches) { return @{ Offset = [int64]0; Reason = 'replaced' } }
    if ($Size -eq $Sent) { return @{ Offset = $Sent; Reason = 'unchanged' } }
    return @{ Offset = $Sent; Reason = 'grown' }
}

function Update-WfLogHeader {
    # The W3C directives (#Software, #Version, #Date, #Fields) in effect
    # after a chunk: the last block of consecutive directive lines in -Lines,
    # else -Header, those in effect before it. In -Lines, '' stands for the
    # data lines between directives.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Update-WfLogHeader -Header @() -Lines @('#Software: Microsoft Internet Information Services 10.0', '#Version: 1.0', '#Date: 2026-11-21 00:00:04', '#Fields: date time s-ip cs-method cs-uri-stem sc-status', '') => @('#Software: Microsoft Internet Information Services 10.0', '#Version: 1.0', '#Date: 2026-11-21 00:00:04', '#Fields: date time s-ip cs-method cs-uri-stem sc-status')
    #   Update-WfLogHeader -Header @('#Fields: date time cs-uri-stem sc-status') -Lines @('') => @('#Fields: date time cs-uri-stem sc-status')
    #   Update-WfLogHeader -Header @('#Fields: date time cs-uri-stem sc-status') -Lines @('', '#Software: Microsoft Internet Information Services 10.0', '#Fields: date time cs-uri-stem sc-status sc-substatus', '') => @('#Software: Microsoft Internet Information Services 10.0', '#Fields: date time cs-uri-stem sc-status sc-substatus')
    #   Update-WfLogHeader -Header @('#Fields: a') -Lines @('#Fields: b', '', '#Fields: c') => @('#Fields: c')
    #   Update-WfLogHeader -Header @('#Fields: a') -Lines @() => @('#Fields: a')
    param([AllowEmptyCollection()] [string[]] $Header, [AllowEmptyCollection()] [string[]] $Lines)
    $current = @($Header)
    $block = $null
    foreach ($line in @($Lines)) {
        if ($line.StartsWith('#')) {
            if ($null -eq $block) { $block = [Collections.Generic.List[string]]::new() }
            $block.Add($line)
        }
        elseif ($null -ne $block) {
            $current = $block.ToArray()
            $block = $null
        }
    }
    if ($null -ne $block) { $current = $block.ToArray() }
    return , [string[]]$current
}

function New-WfLogChunk {
    # Gzips the complete lines of log file $Path from $Offset, at most
    # $MaxBytes, into $Destination - after the directives in effect there
    # ($Header) unless the chunk begins with its own, so that each chunk
    # parses on its own. Returns @{ Length; Header (in effect after it);
    # TailLength; TailSha256 (its last line) }, or $null when no line is
    # complete yet (IIS is writing one).
    param(
        [Parameter(Mandatory = $true)] [string] $Path,
        [Parameter(Mandatory = $true)] [int64] $Offset,
        [Parameter(Mandatory = $true)] [int] $MaxBytes,
        [AllowEmptyCollection()] [string[]] $Header,
        [Parameter(Mandatory = $true)] [string] $Destination
    )
    $stream = [IO.File]::Open($Path, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]'ReadWrite, Delete')
    try {
        $want = [int][Math]::Min([int64]$MaxBytes, $stream.Length - $Offset)
        if ($want -le 0) { return $null }
        $null = $stream.Seek($Offset, [IO.SeekOrigin]::Begin)
        $buffer = New-Object byte[] $want
        $read = 0
        while ($read -lt $want) {
            $n = $stream.Read($buffer, $read, $want - $read)
            if ($n -le 0) { break }
            $read += $n
        }
    }
    finally { $stream.Dispose() }
    if ($read -le 0) { return $null }
    $last = [Array]::LastIndexOf($buffer, [byte]10, $read - 1)
    if ($last -lt 0) { return $null }
    $length = $last + 1

    # The directive lines, with '' for the data between them (Update-WfLogHeader).
    $lines = [Collections.Generic.List[string]]::new()
    $blockEnd = 0
    $pos = [Array]::IndexOf($buffer, [byte]35, 0, $length)
    while ($pos -ge 0) {
        $next = $pos + 1
        if ($pos -eq 0 -or $buffer[$pos - 1] -eq 10) {
            $eol = [Array]::IndexOf($buffer, [byte]10, $pos, $length - $pos)
            if ($pos -ne $blockEnd) { $lines.Add('') }
            $lines.Add([Text.Encoding]::UTF8.GetString($buffer, $pos, $eol - $pos).TrimEnd([char]13))
            $blockEnd = $eol + 1
            $next = $eol + 1
        }
        if ($next -ge $length) { break }
        $pos = [Array]::IndexOf($buffer, [byte]35, $next, $length - $next)
    }
    if ($blockEnd -ne $length) { $lines.Add('') }

    $tailStart = 0
    if ($last -gt 0) { $tailStart = [Array]::LastIndexOf($buffer, [byte]10, $last - 1) + 1 }
    $sha = [Security.Cryptography.SHA256]::Create()
    try { $tailHash = [BitConverter]::ToString($sha.ComputeHash($buffer, $tailStart, $length - $tailStart)).Replace('-', '').ToLowerInvariant() }
    finally { $sha.Dispose() }

    $file = [IO.File]::Create($Destination)
    try {
        $gzip = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionMode]::Compress)
        try {
            if ($buffer[0] -ne 35 -and @($Header).Count -gt 0) {
                $bytes = [Text.UTF8Encoding]::new($false).GetBytes((@($Header) -join "`r`n") + "`r`n")
                $gzip.Write($bytes, 0, $bytes.Length)
            }
            $gzip.Write($buffer, 0, $length)
        }
        finally { $gzip.Dispose() }
    }
    finally { $file.Dispose() }
    return @{
        Length     = [int64]$length
        Header     = (Update-WfLogHeader -Header $Header -Lines $lines.ToArray())
        TailLength = $length - $tailStart
        TailSha256 = $tailHash
    }
}

function Get-WfTailHash {
    # The SHA-256 of the $Length bytes of $Path that end at $End: whether the
    # line shipped last is still where it was. '' for no bytes, $null when
    # they are not there.
    param([Parameter(Mandatory = $true)] [string] $Path, [int64] $End, [int] $Length)
    if ($Length -le 0) { return '' }
    if ($End - $Length -lt 0) { return $null }
    $stream = [IO.File]::Open($Path, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]'ReadWrite, Delete')
    try {
        if ($stream.Length -lt $End) { return $null }
        $null = $stream.Seek($End - $Length, [IO.SeekOrigin]::Begin)
        $buffer = New-Object byte[] $Length
        $read = 0
        while ($read -lt $Length) {
            $n = $stream.Read($buffer, $read, $Length - $read)
            if ($n -le 0) { return $null }
            $read += $n
        }
    }
    finally { $stream.Dispose() }
    $sha = [Security.Cryptography.SHA256]::Create()
    try { return [BitConverter]::ToString($sha.ComputeHash($buffer)).Replace('-', '').ToLowerInvariant() }
    finally { $sha.Dispose() }
}

function Read-WfLogState {
    # What was shipped of each log file of $Folder, by file name: @{ name;
    # sent (bytes); tail_length; tail_sha256 (the last line shipped);
    # header (the directives in effect at sent) }. Empty when there is no
    # state yet, it is for another folder, or it cannot be read (then every
    # log is shipped again from its start).
    param([Parameter(Mandatory = $true)] [string] $Path, [Parameter(Mandatory = $true)] [string] $Folder)
    $files = @{}
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $files }
    try {
        $doc = Get-Content -LiteralPath $Path -Raw -Encoding UTF8 | ConvertFrom-Json
        if ([string]$doc.folder -ne $Folder) {
            Write-WfLog Info ('IIS logs: the log folder changed from {0} to {1}; shipping its logs from their start' -f $doc.folder, $Folder)
            return $files
        }
        foreach ($f in @($doc.files)) {
            $files[[string]$f.name] = @{
                name        = [string]$f.name
                sent        = [int64]$f.sent
                tail_length = [int]$f.tail_length
                tail_sha256 = [string]$f.tail_sha256
                header      = [string[]]@(@($f.header) | Where-Object { $_ })
            }
        }
    }
    catch {
        Write-WfLog Warning ('IIS logs: {0} is not readable ({1}); shipping every log again from its start' -f $Path, $_.Exception.Message)
        return @{}
    }
    return $files
}

function Save-WfLogState {
    # Writes the shipping state (Read-WfLogState) next to $Path, then moves
    # it over $Path: a crash leaves the old state or the new, never half.
    param([Parameter(Mandatory = $true)] [string] $Path, [Parameter(Mandatory = $true)] [string] $Folder, [Parameter(Mandatory = $true)] [hashtable] $Files)
    $entries = [Collections.Generic.List[object]]::new()
    foreach ($key in @($Files.Keys | Sort-Object)) {
        $f = $Files[$key]
        $entries.Add([ordered]@{ name = $f.name; sent = $f.sent; tail_length = $f.tail_length; tail_sha256 = $f.tail_sha256; header = @($f.header) })
    }
    $temp = $Path + '.tmp'
    [IO.File]::WriteAllText($temp, (ConvertTo-Json -InputObject ([ordered]@{ folder = $Folder; files = $entries.ToArray() }) -Depth 5), [Text.UTF8Encoding]::new($false))
    Move-Item -LiteralPath $temp -Destination $Path -Force
}

function Send-WfIisLogs {
    # Ships the lines the WSUS site's W3C logs gained since the last run, for
    # the logs changed in the last $Days days, as iislog evidence: in chunks
    # of at most $ChunkBytes, each sent as "<file>@<offset>" (the dashboard
    # adds a log's chunks up; one sent from a lower offset supersedes what
    # it held from there on) with the directives in effect.
    # What was sent - file, bytes, last line - is kept in $StateDir and
    # written after each accepted chunk; a file that shrank or whose last
    # shipped line moved was replaced (rotation, truncation) and is shipped
    # again from its start. A partial last line waits for the next run. On
    # an upload failure the rest waits for the next run too.
    param(
        [Parameter(Mandatory = $true)] [hashtable] $Iis,
        [Parameter(Mandatory = $true)] [string] $Name,
        [Parameter(Mandatory = $true)] [int] $Days,
        [Parameter(Mandatory = $true)] [string] $Dashboard,
        [Parameter(Mandatory = $true)] [string] $Token,
        [Parameter(Mandatory = $true)] [string] $StateDir,
        [int] $ChunkBytes = 67108864
    )
    $settings = Get-WfIisLogSettings -Iis $Iis
    $where = Resolve-WfIisLogFolder -SiteId $settings.SiteId -Site $settings.Site -Defaults $settings.Defaults -Central $settings.Central
    switch ($where.Skip) {
        'disabled' { Write-WfLog Warning 'IIS logs: logging is off for the WSUS site; nothing to ship'; return }
        'not-w3c' { Write-WfLog Warning 'IIS logs: the WSUS site does not log in W3C format; nothing to ship'; return }
        'etw-only' { Write-WfLog Warning 'IIS logs: the WSUS site logs to ETW only (logTargetW3C), not to files; nothing to ship'; return }
        'central-binary' { Write-WfLog Warning 'IIS logs: central binary logging is on (centralLogFileMode CentralBinary): there are no text logs to ship'; return }
    }
    $folder = [Environment]::ExpandEnvironmentVariables($where.Folder)
    if ($where.Source -eq 'central') { Write-WfLog Info ('IIS logs: central W3C logging is on; {0} holds the requests of every site, not only the WSUS site''s' -f $folder) }
    else { Write-WfLog Info ('IIS logs: {0} (from the {1} settings)' -f $folder, $where.Source) }
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
        Write-WfLog Warning ('IIS logs: {0} does not exist (has the WSUS site logged anything yet?)' -f $folder)
        return
    }
    $unsafe = Protect-WfFolder $StateDir
    if ($unsafe) {
        Write-WfLog Error ('IIS logs not shipped: the state folder is not safe to use ({0})' -f $unsafe)
        return
    }
    $statePath = Join-Path $StateDir 'iislog-state.json'
    $state = Read-WfLogState -Path $statePath -Folder $folder
    $since = [datetime]::UtcNow.AddDays(-$Days)
    $files = @(Get-ChildItem -LiteralPath $folder -Filter '*.log' -File | Where-Object { $_.LastWriteTimeUtc -ge $since } | Sort-Object Name)
    $current = @{}
    foreach ($file in $files) {
        if ($state.ContainsKey($file.Name)) { $current[$file.Name] = $state[$file.Name] }
    }
    $failed = $false
    foreach ($file in $files) {
        $entry = $current[$file.Name]
        $sent = [int64]-1
        $tailMatches = $false
        if ($null -ne $entry) {
            $sent = $entry.sent
            $tailMatches = (Get-WfTailHash -Path $file.FullName -End $entry.sent -Length $entry.tail_length) -eq $entry.tail_sha256
        }
        $resume = Get-WfLogResume -Sent $sent -Size $file.Length -TailMatches $tailMatches
        if ($resume.Reason -eq 'truncated' -or $resume.Reason -eq 'replaced') {
            Write-WfLog Warning ('IIS log {0} was {1} since the last run; shipping it again from its start' -f $file.Name, $resume.Reason)
        }
        if ($resume.Reason -ne 'grown' -and $resume.Reason -ne 'unchanged') {
            $entry = @{ name = $file.Name; sent = [int64]0; tail_length = 0; tail_sha256 = ''; header = [string[]]@() }
        }
        $offset = $resume.Offset
        while ($offset -lt $file.Length) {
            $gz = New-WfTempFile '.log.gz'
            try {
                $chunk = New-WfLogChunk -Path $file.FullName -Offset $offset -MaxBytes $ChunkBytes -Header $entry.header -Destination $gz
                if ($null -eq $chunk) { break }
                $uri = '{0}/api/v1/servers/{1}/evidence/iislog?file={2}' -f $Dashboard, [Uri]::EscapeDataString($Name), [Uri]::EscapeDataString(('{0}@{1}' -f $file.Name, $offset))
                $send = @{ Uri = $uri; Token = $Token; Path = $gz; ContentType = 'text/plain; charset=utf-8'; Gzip = $true }
                $result = Send-WfFileWithRetry -Send $send -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts
            }
            finally { Remove-Item -LiteralPath $gz -Force -ErrorAction SilentlyContinue }
            if (-not $result.Ok) {
                Write-WfLog Error ('IIS log {0} from byte {1} not shipped; it is tried again next run: {2}' -f $file.Name, $offset, $result.Message)
                $failed = $true
                break
            }
            Write-WfLog Info ('IIS log {0}: {1:n0} KB from byte {2:n0} shipped' -f $file.Name, ($chunk.Length / 1024), $offset)
            $offset += $chunk.Length
            $entry = @{ name = $file.Name; sent = $offset; tail_length = $chunk.TailLength; tail_sha256 = $chunk.TailSha256; header = $chunk.Header }
            $current[$file.Name] = $entry
            Save-WfLogState -Path $statePath -Folder $folder -Files $current
        }
        if ($failed) { break }
    }
    # Files gone or out of the window are forgotten.
    Save-WfLogState -Path $statePath -Folder $folder -Files $current
}

function Write-WfReportHead {
    # Writes '{' and the properties every server report starts with.
    param(
        [Parameter(Mandatory = $true)] [IO.TextWriter] $Writer,
        [Parameter(Mandatory = $true)] [string] $Id,
        [Parameter(Mandatory = $true)] [string] $CollectedAt,
        [Parameter(Mandatory = $true)] [Collections.IDictionary] $Collector,
        [Parameter(Mandatory = $true)] [Collections.IDictionary] $Server
    )
    $Writer.Write('{')
    Write-WfJsonProperty $Writer Report schema (Get-WfEnum report_schema 'wsusfleet.report.v1') -First
    Write-WfJsonProperty $Writer Report id $Id
    Write-WfJsonProperty $Writer Report collected_at $CollectedAt
    Write-WfJsonProperty $Writer Report collector $Collector
    Write-WfJsonProperty $Writer Report server $Server
}

function Get-WfDocumentPath {
    # Where the document goes: -OutFile (gzip when it ends in .gz) or a new
    # gzip temp file to send.
    if ($OutFile) {
        $path = Resolve-WfPath $OutFile
        return @{ Path = $path; Gzip = ($path -like '*.gz') }
    }
    return @{ Path = (New-WfTempFile '.json.gz'); Gzip = $true }
}

function Send-WfCollectorError {
    # A report that carries only this server's name and why the collector
    # could not collect (collector.error): the dashboard shows that the
    # collector could not run here instead of judging missing facts, and
    # keeps what it had for every section. Written to -OutFile instead when
    # that is given. Returns the upload outcome ('written' with -OutFile).
    param(
        [Parameter(Mandatory = $true)] [string] $Name,
        [Parameter(Mandatory = $true)] [string] $Message,
        [Parameter(Mandatory = $true)] [string] $Id,
        [Parameter(Mandatory = $true)] [string] $CollectedAt,
        [AllowNull()] [string] $Dashboard,
        [AllowNull()] [string] $Token
    )
    $collector = New-WfObject Collector @{
        name    = $script:WfCollectorName
        version = $script:WfVersion
        host    = $env:COMPUTERNAME
        vantage = Get-WfEnum vantage 'server'
        error   = Limit-WfText $Message 1024
    }
    $document = Get-WfDocumentPath
    $writer = Open-WfJsonWriter -Path $document.Path -Gzip:$document.Gzip
    try {
        Write-WfReportHead -Writer $writer -Id $Id -CollectedAt $CollectedAt -Collector $collector -Server (New-WfObject ServerInfo @{ name = $Name })
        $writer.Write('}')
    }
    finally { $writer.Dispose() }
    if ($OutFile) {
        Write-WfLog Info ('a report saying the collector could not run was written to {0}; nothing was sent' -f $document.Path)
        return 'written'
    }
    return (Publish-WfDocument -Dashboard $Dashboard -Endpoint '/api/v1/reports' -Kind 'report' -Id $Id -Token $Token -Path $document.Path -SpoolDir (Resolve-WfPath $SpoolDir) -SpoolKeep 20 -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts)
}

function Invoke-WfServerReport {
    $script:WfSkip = Split-WfList $Skip
    $known = @('vdir_checks', 'vdir_config', 'app_pool', 'services', 'acls', 'events', 'sync', 'clients')
    foreach ($section in $script:WfSkip) {
        if ($known -notcontains $section) { Stop-WfRun Usage ('-Skip: unknown section {0}; the sections are {1}' -f $section, ($known -join ', ')) }
    }
    if (-not $OutFile -and -not $Dashboard) { Stop-WfRun Usage 'give -Dashboard (to send the report) or -OutFile (to write it to a file).' }
    $base = $null
    if ($Dashboard) {
        try { $base = Get-WfDashboardBase $Dashboard -AllowInsecure:$AllowInsecure } catch { Stop-WfRun Usage $_.Exception.Message }
    }
    # (PowerShell names are case-insensitive: a local $token would hide -Token.)
    $ingestToken = $null
    if (-not $OutFile) {
        $tokenPath = Resolve-WfPath $TokenFile
        try { $ingestToken = Resolve-WfToken -Token $Token -TokenFile $tokenPath } catch { Stop-WfRun Usage $_.Exception.Message }
        if (-not $ingestToken) { Stop-WfRun Usage 'no token: give -TokenFile, -Token or set WSUSFLEET_TOKEN (a dashboard token with the ingest scope).' }
        if ($tokenPath -and -not $Token) { Test-WfTokenFile $tokenPath }
    }
    $name = $ServerName
    if (-not $name) { $name = Get-WfFqdn }
    $name = $name.Trim().TrimEnd('.').ToLowerInvariant()
    if ($name -match '\s' -or $name.Length -gt 253) { Stop-WfRun Usage ('-ServerName must be a host name; got "{0}"' -f $ServerName) }

    $id = [guid]::NewGuid().ToString()
    $collectedAt = ConvertTo-WfTime ([datetime]::UtcNow)
    Write-WfLog Info ('wsusfleet {0} {1}: collecting report {2} for {3}' -f $script:WfCollectorName, $script:WfVersion, $id, $name)

    # Without the WSUS API or its setup there is nothing to report but that:
    # the dashboard is told the collector could not run here.
    $wsus = $null
    $config = $null
    $setup = $null
    try {
        $wsus = Connect-WfWsus
        $config = $wsus.GetConfiguration()
        $setup = Get-WfWsusSetup
    }
    catch {
        $exitCode = $script:WfExitCode
        if ($exitCode -eq $script:WfExit.Ok) { $exitCode = $script:WfExit.Failed }
        $message = $_.Exception.Message
        Write-WfLog Error $message
        $outcome = Send-WfCollectorError -Name $name -Message $message -Id $id -CollectedAt $collectedAt -Dashboard $base -Token $ingestToken
        Write-WfLog Info ('the report that the collector could not run: {0}' -f $outcome)
        $script:WfExitCode = $exitCode
        return
    }
    $iis = $null
    if (($script:WfSkip -notcontains 'vdir_config') -or ($script:WfSkip -notcontains 'app_pool') -or $IisLogDays -gt 0) { $iis = Open-WfIis -Setup $setup }

    $server = Get-WfServerSection -Wsus $wsus -Config $config -Setup $setup -Iis $iis -Name $name
    $serviceNames = [Collections.Generic.List[string]]::new()
    $serviceNames.AddRange([string[]]@('WsusService', 'W3SVC', 'WAS'))
    if ($server.DbService) { $serviceNames.Add($server.DbService) }

    $collector = New-WfObject Collector @{
        name    = $script:WfCollectorName
        version = $script:WfVersion
        host    = $env:COMPUTERNAME
        vantage = Get-WfEnum vantage 'server'
    }
    $vdirChecks = Invoke-WfSection vdir_checks { Invoke-WfVDirChecks -Checks (Get-WfServerCheckList -Server $server) -TimeoutSec $CheckTimeoutSec }
    $serverInfo = New-WfServerInfo -Server $server -Alias $Alias -Iis $iis -Checks $vdirChecks
    $vdirConfig = Invoke-WfSection vdir_config { Get-WfVDirConfigSection -Iis $iis }
    $appPool = Invoke-WfSection app_pool { Get-WfAppPoolSection -Iis $iis -PoolName $server.PoolName }
    $services = Invoke-WfSection services { Get-WfServicesSection -Names $serviceNames.ToArray() }
    $acls = Invoke-WfSection acls { Get-WfAclSection -Server $server }
    $events = Invoke-WfSection events { Get-WfEventsSection -PoolName $server.PoolName }
    $sync = Invoke-WfSection sync { Get-WfSyncSection -Wsus $wsus -Config $config }
    $clientsPart = Invoke-WfSection clients { Write-WfClientsPart -Wsus $wsus -Path (New-WfTempFile '.json') }
    if ($script:WfDropped -gt 0) { Write-WfLog Warning ('{0} times the dashboard would refuse (before 1990 or a day ahead) were left out' -f $script:WfDropped) }

    $document = Get-WfDocumentPath
    $writer = Open-WfJsonWriter -Path $document.Path -Gzip:$document.Gzip
    try {
        Write-WfReportHead -Writer $writer -Id $id -CollectedAt $collectedAt -Collector $collector -Server $serverInfo
        if ($null -ne $vdirChecks) { Write-WfJsonProperty $writer Report vdir_checks $vdirChecks }
        if ($null -ne $vdirConfig) { Write-WfJsonProperty $writer Report vdir_config $vdirConfig }
        if ($null -ne $appPool) { Write-WfJsonProperty $writer Report app_pool $appPool }
        if ($null -ne $services) { Write-WfJsonProperty $writer Report services $services }
        if ($null -ne $acls) { Write-WfJsonProperty $writer Report acls $acls }
        if ($null -ne $events) { Write-WfJsonProperty $writer Report events $events }
        if ($null -ne $sync) { Write-WfJsonProperty $writer Report sync $sync }
        if ($null -ne $clientsPart) {
            Write-WfJsonName $writer Report clients
            Copy-WfJsonPart -Writer $writer -Path $clientsPart
        }
        $writer.Write('}')
    }
    finally {
        $writer.Dispose()
        if ($null -ne $clientsPart) { Remove-Item -LiteralPath $clientsPart -Force -ErrorAction SilentlyContinue }
    }

    if ($OutFile) {
        Write-WfLog Info ('report written to {0} ({1:n0} KB); nothing was sent' -f $document.Path, ((Get-Item -LiteralPath $document.Path).Length / 1024))
        $script:WfExitCode = $script:WfExit.Ok
        return
    }
    $outcome = Publish-WfDocument -Dashboard $base -Endpoint '/api/v1/reports' -Kind 'report' -Id $id -Token $ingestToken -Path $document.Path -SpoolDir (Resolve-WfPath $SpoolDir) -SpoolKeep 20 -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts
    Complete-WfUpload -Outcome $outcome
    if ($IisLogDays -gt 0 -and $outcome -eq 'sent') {
        if ($null -eq $iis) { Write-WfLog Warning 'IIS logs: the IIS configuration is not readable, so the log folder is unknown' }
        else {
            try { Send-WfIisLogs -Iis $iis -Name $name -Days $IisLogDays -Dashboard $base -Token $ingestToken -StateDir (Resolve-WfPath $StateDir) }
            catch { Write-WfLog Error ('IIS logs not shipped: {0}' -f $_.Exception.Message) }
        }
    }
}

# -----------------------------------------------------------------------------
# Main
# -----------------------------------------------------------------------------
try {
    $script:WfLogFile = Resolve-WfPath $LogFile
    Initialize-WfRuntime
    if ($PSVersionTable.PSEdition -eq 'Core' -and -not $NoRelaunch) {
        Write-WfLog Info 'PowerShell 7: running again in Windows PowerShell 5.1 for the WSUS API'
        $script:WfExitCode = Invoke-WfWindowsPowerShell -Bound $PSBoundParameters
    }
    else {
        Invoke-WfServerReport
    }
}
catch {
    if ($script:WfExitCode -eq $script:WfExit.Ok) { $script:WfExitCode = $script:WfExit.Failed }
    Write-WfLog Error $_.Exception.Message
    Write-Verbose $_.ScriptStackTrace
}
exit $script:WfExitCode
