<#
.SYNOPSIS
    Sends the computers of the given Active Directory OUs to the wsusfleet dashboard as the
    list of computers expected to use WSUS.

.DESCRIPTION
    Reads every computer object under each -SearchBase (subtree) with Get-ADComputer: DNS
    name, enabled, lastLogonTimestamp and distinguished name, and POSTs them as one
    inventory snapshot to /api/v1/inventory. The dashboard compares it with the WSUS
    servers' client lists: an enabled computer that logged on recently but is on no WSUS
    server is "expected_missing" - the client that never reported in at all.

    Cluster name objects (failover cluster and cluster role names, recognised by their
    MSClusterVirtualServer / MSServerCluster service principal names) and computers whose
    operatingSystem attribute names no Windows (Linux, macOS, NAS appliances joined to the
    domain) are left out: they never talk to WSUS.

    The items are streamed to disk one computer at a time, so 100,000 computers do not
    become one big string. If the dashboard cannot be reached the snapshot waits in the
    spool folder and is sent first next time.

    Needs Windows PowerShell 5.1 (on an older one it says so, naming Windows Management
    Framework 5.1, and exits with 3), the ActiveDirectory module (RSAT) and an account that
    can read computer objects (any domain user can). Runs in Windows PowerShell 5.1 and
    PowerShell 7.

.PARAMETER SearchBase
    Distinguished names of the OUs to read, e.g. OU=Workstations,DC=corp,DC=example. Several
    may be given as a list, or as one text separated by semicolons
    ("OU=Workstations,DC=corp,DC=example;OU=Servers,DC=corp,DC=example"), which is how to pass
    them through powershell.exe -File. Each is read with its sub-OUs.

.PARAMETER Server
    A domain controller (or domain) to ask; default: the one Get-ADComputer picks.

.PARAMETER Dashboard
    Base URL of the dashboard, e.g. https://wsusfleet.corp.example. Not needed with -OutFile.
    An http:// address is refused unless -AllowInsecure is given.

.PARAMETER Token
    A token with the ingest scope. Prefer -TokenFile or the WSUSFLEET_TOKEN environment
    variable.

.PARAMETER TokenFile
    A file whose first line is the token (readable only by SYSTEM, Administrators and the
    account running the script).

.PARAMETER OutFile
    Write the inventory JSON to this file instead of sending it (gzip when it ends in .gz).

.PARAMETER SpoolDir
    Where snapshots wait when the dashboard is unreachable. Default:
    %ProgramData%\wsusfleet\spool. Only SYSTEM, Administrators and the account running the
    script may write to it; the script locks it down.

.PARAMETER TimeoutSec
    Timeout of each upload attempt in seconds. Default 120.

.PARAMETER MaxAttempts
    Upload attempts before the snapshot stays in the spool. Default 5.

.PARAMETER AllowInsecure
    Accept an http:// dashboard: the token then crosses the network in clear text.

.PARAMETER LogFile
    Append log lines to this file. A relative path resolves against the directory the
    script is started in.

.EXAMPLE
    .\Export-WsusFleetInventory.ps1 -SearchBase 'OU=Workstations,DC=corp,DC=example' -OutFile C:\Temp\inventory.json

    Writes the snapshot to a file to look at; sends nothing.

.EXAMPLE
    .\Export-WsusFleetInventory.ps1 -SearchBase 'OU=Workstations,DC=corp,DC=example','OU=Servers,DC=corp,DC=example' -Dashboard https://wsusfleet.corp.example -TokenFile C:\ProgramData\wsusfleet\token.txt

    Sends the computers of two OUs as one snapshot.

.EXAMPLE
    powershell.exe -NoProfile -File C:\ProgramData\wsusfleet\Export-WsusFleetInventory.ps1 -SearchBase "OU=Workstations,DC=corp,DC=example;OU=Servers,DC=corp,DC=example" -Dashboard https://wsusfleet.corp.example -TokenFile C:\ProgramData\wsusfleet\token.txt

    The same from a scheduled task: through -File a list is one text, so separate the OUs
    with semicolons.

.NOTES
    Exit codes: 0 sent (or written with -OutFile), 1 failed, 2 bad parameters, 3 missing
    ActiveDirectory module or Windows PowerShell 5.1, 4 dashboard unreachable (spooled),
    5 snapshot rejected.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string[]] $SearchBase,
    [string] $Server,
    [string] $Dashboard,
    [string] $Token,
    [string] $TokenFile,
    [string] $OutFile,
    [string] $SpoolDir = (Join-Path ([Environment]::GetFolderPath('CommonApplicationData')) 'wsusfleet\spool'),
    [ValidateRange(5, 3600)] [int] $TimeoutSec = 120,
    [ValidateRange(1, 10)] [int] $MaxAttempts = 5,
    [switch] $AllowInsecure,
    [string] $LogFile
)

$script:WfVersion = '1.1.0'
$script:WfCollectorName = 'Export-WsusFleetInventory.ps1'

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
    # No minimal document here: an inventory replaces the expected computers.
    Send-WfLegacyReport -LogFile $LogFile
    exit 3
}

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# region wsusfleet-names
# The JSON property names this script emits, per type of the dashboard's
# schema (probes/clientreport.go), in the order they are written.
# New-WfObject and Write-WfJsonName refuse any other name, and
# scripts/contract_test.go checks every name here against the json tags of
# the Go type of the same name.
$script:WfNames = @{
    Inventory     = @('schema', 'id', 'collected_at', 'collector', 'source', 'scope', 'items', 'complete')
    Collector     = @('name', 'version', 'host', 'vantage')
    InventoryItem = @('name', 'enabled', 'last_logon', 'ou')
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

# -----------------------------------------------------------------------------
# Directory inventory
# -----------------------------------------------------------------------------

# Service principal names of failover cluster name objects (the cluster's own
# name) and virtual computer objects (its roles' names): computer accounts
# that are names, not computers, and never talk to WSUS.
$script:WfClusterSpnPattern = '^(MSClusterVirtualServer|MSServerClusterMgmtAPI|MSServerCluster)/'

# operatingSystem values of the computers that use Windows Update (the value
# is written by the computer itself, in English): anything else set there -
# Samba, Linux joined with realmd/sssd, macOS, NAS appliances - is left out;
# an empty value (a pre-staged account never joined) is kept.
$script:WfWindowsOsPattern = '^(Windows|Microsoft Windows|Hyper-V Server|Microsoft Hyper-V Server|Azure Stack HCI)'

# A distinguished name whose DC= part is followed by another RDN: two DNs
# joined with a comma, as powershell.exe -File passes a list.
$script:WfJoinedDnPattern = '(^|,)\s*DC=[^,]+,\s*(OU|CN|O|L|ST|C)='

function Split-WfDnList {
    # The distinguished names in -SearchBase: each value split on ';' (but
    # not on an escaped '\;'), never on ',', which separates the parts of one
    # DN. Two DNs joined with a comma are refused with a hint to use ';'.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Split-WfDnList @('OU=Workstations,DC=corp,DC=example') => @('OU=Workstations,DC=corp,DC=example')
    #   Split-WfDnList @('OU=Workstations,DC=corp,DC=example', 'OU=Servers,DC=corp,DC=example') => @('OU=Workstations,DC=corp,DC=example', 'OU=Servers,DC=corp,DC=example')
    #   Split-WfDnList @('OU=Workstations,DC=corp,DC=example; OU=Servers,DC=corp,DC=example;') => @('OU=Workstations,DC=corp,DC=example', 'OU=Servers,DC=corp,DC=example')
    #   Split-WfDnList @('OU=Sales\, EMEA,DC=corp,DC=example') => @('OU=Sales\, EMEA,DC=corp,DC=example')
    #   Split-WfDnList @('OU=R\;D,DC=corp,DC=example;OU=Labs,DC=corp,DC=example') => @('OU=R\;D,DC=corp,DC=example', 'OU=Labs,DC=corp,DC=example')
    #   Split-WfDnList @('DC=corp,DC=example') => @('DC=corp,DC=example')
    #   Split-WfDnList @('OU=Workstations,DC=corp,DC=example,OU=Servers,DC=corp,DC=example') => throw 'semicolon'
    #   Split-WfDnList @(' ; ') => @()
    param([Parameter(Position = 0)] [AllowNull()] [string[]] $Value)
    $out = [Collections.Generic.List[string]]::new()
    foreach ($v in @($Value)) {
        if ($null -eq $v) { continue }
        $part = [Text.StringBuilder]::new()
        for ($i = 0; $i -le $v.Length; $i++) {
            if ($i -lt $v.Length -and $v[$i] -eq '\' -and $i + 1 -lt $v.Length) {
                $null = $part.Append($v[$i]).Append($v[$i + 1])
                $i++
                continue
            }
            if ($i -lt $v.Length -and $v[$i] -ne ';') {
                $null = $part.Append($v[$i])
                continue
            }
            $dn = $part.ToString().Trim()
            $null = $part.Clear()
            if (-not $dn) { continue }
            if ($dn -match $script:WfJoinedDnPattern) {
                throw ('-SearchBase "{0}" looks like several distinguished names joined by commas (powershell.exe -File joins a list that way); separate them with a semicolon: "OU=A,DC=corp,DC=example;OU=B,DC=corp,DC=example"' -f $dn)
            }
            $out.Add($dn)
        }
    }
    return , $out.ToArray()
}

function Test-WfInventoryComputer {
    # Why a computer object is left out of the expected computers: 'cluster'
    # for a cluster name object, 'not-windows' for an operatingSystem that
    # names no Windows; $null to keep it.
    # Cases (scripts/cases_test.go runs them against a Go model):
    #   Test-WfInventoryComputer -OperatingSystem 'Windows 11 Enterprise' -ServicePrincipalNames @('HOST/PC0042', 'HOST/pc0042.corp.example') => $null
    #   Test-WfInventoryComputer -OperatingSystem 'Windows Server 2022 Datacenter' -ServicePrincipalNames @('MSClusterVirtualServer/FS01', 'HOST/FS01') => 'cluster'
    #   Test-WfInventoryComputer -OperatingSystem $null -ServicePrincipalNames @('MSServerClusterMgmtAPI/CLU01', 'MSServerCluster/CLU01') => 'cluster'
    #   Test-WfInventoryComputer -OperatingSystem 'Hyper-V Server' -ServicePrincipalNames @() => $null
    #   Test-WfInventoryComputer -OperatingSystem 'Azure Stack HCI' -ServicePrincipalNames $null => $null
    #   Test-WfInventoryComputer -OperatingSystem 'windows 10 pro' -ServicePrincipalNames $null => $null
    #   Test-WfInventoryComputer -OperatingSystem '' -ServicePrincipalNames $null => $null
    #   Test-WfInventoryComputer -OperatingSystem 'Mac OS X' -ServicePrincipalNames @('HOST/mac01') => 'not-windows'
    #   Test-WfInventoryComputer -OperatingSystem 'redhat-linux-gnu' -ServicePrincipalNames @('host/rhel01.corp.example') => 'not-windows'
    #   Test-WfInventoryComputer -OperatingSystem 'NetApp Release 9.13.1' -ServicePrincipalNames $null => 'not-windows'
    param([AllowNull()] [string] $OperatingSystem, [AllowNull()] [AllowEmptyCollection()] [string[]] $ServicePrincipalNames)
    foreach ($spn in @($ServicePrincipalNames)) {
        if ($null -ne $spn -and $spn -match $script:WfClusterSpnPattern) { return 'cluster' }
    }
    if ($OperatingSystem -and $OperatingSystem.Trim() -notmatch $script:WfWindowsOsPattern) { return 'not-windows' }
    return $null
}

function Get-WfPropertyValue {
    # A property that may be absent (strict mode makes reading a missing one an error).
    param([Parameter(Mandatory = $true, Position = 0)] [object] $Object, [Parameter(Mandatory = $true, Position = 1)] [string] $Name)
    $property = $Object.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

function ConvertTo-WfInventoryItem {
    # One computer object as an inventory item; $null when it has no usable name.
    param([Parameter(Mandatory = $true, Position = 0)] [object] $Computer)
    $dn = [string](Get-WfPropertyValue $Computer 'DistinguishedName')
    $name = [string](Get-WfPropertyValue $Computer 'DNSHostName')
    if (-not $name.Trim()) {
        # Not joined yet (pre-staged) or dNSHostName never written: name.domain from the DN.
        $domain = (@($dn -split ',') | Where-Object { $_ -like 'DC=*' } | ForEach-Object { $_.Substring(3) }) -join '.'
        $name = [string](Get-WfPropertyValue $Computer 'Name')
        if ($name -and $domain) { $name = $name + '.' + $domain }
    }
    $name = $name.Trim().ToLowerInvariant()
    if (-not $name -or $name -match '\s' -or $name.Length -gt 253) { return $null }
    $lastLogon = $null
    $raw = Get-WfPropertyValue $Computer 'lastLogonTimestamp'
    if ($null -ne $raw) {
        # A FILETIME; replicated only every 9-14 days, which is fine for "logged on within 7 d" at day granularity.
        # A value beyond what a date can hold drops this value, not the computer.
        $fileTime = [int64]$raw
        if ($fileTime -gt 0 -and $fileTime -lt [datetime]::MaxValue.ToFileTimeUtc()) { $lastLogon = ConvertTo-WfTime ([datetime]::FromFileTimeUtc($fileTime)) }
    }
    $ou = $null
    $match = [regex]::Match($dn, '^(?:\\.|[^,\\])+,(.+)$')
    if ($match.Success) { $ou = $match.Groups[1].Value }
    return (New-WfObject InventoryItem @{
            name       = $name
            enabled    = [bool](Get-WfPropertyValue $Computer 'Enabled')
            last_logon = $lastLogon
            ou         = Limit-WfText $ou 2048
        })
}

function Write-WfInventoryItems {
    # Streams the computers of every search base into $Path as a JSON array,
    # one computer at a time, each name once (search bases may overlap),
    # without cluster name objects and computers that run no Windows.
    param([Parameter(Mandatory = $true)] [string[]] $Bases, [Parameter(Mandatory = $true)] [string] $Path)
    $state = @{
        First   = $true
        Written = 0
        Skipped = 0
        Cluster = 0
        Other   = 0
        Seen    = [Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
    }
    $writer = Open-WfJsonWriter -Path $Path
    try {
        $writer.Write('[')
        foreach ($base in $Bases) {
            $query = @{
                SearchBase     = $base
                SearchScope    = 'Subtree'
                Filter         = '*'
                Properties     = @('DNSHostName', 'lastLogonTimestamp', 'operatingSystem', 'servicePrincipalName')
                ResultPageSize = 1000
                ErrorAction    = 'Stop'
            }
            if ($Server) { $query['Server'] = $Server }
            $before = $state.Written
            Get-ADComputer @query | ForEach-Object {
                $computer = $_
                $spns = @(Get-WfPropertyValue $computer 'servicePrincipalName')
                $leftOut = Test-WfInventoryComputer -OperatingSystem ([string](Get-WfPropertyValue $computer 'operatingSystem')) -ServicePrincipalNames ([string[]]$spns)
                if ($leftOut -eq 'cluster') {
                    $state.Cluster++
                    return
                }
                if ($leftOut -eq 'not-windows') {
                    $state.Other++
                    return
                }
                $item = $null
                try { $item = ConvertTo-WfInventoryItem $computer } catch { $item = $null }
                if ($null -eq $item) {
                    $state.Skipped++
                    return
                }
                if (-not $state.Seen.Add($item['name'])) { return }
                if (-not $state.First) { $writer.Write(',') }
                $state.First = $false
                $writer.Write((ConvertTo-WfJson $item))
                $state.Written++
            }
            Write-WfLog Info ('{0}: {1} computers' -f $base, ($state.Written - $before))
        }
        $writer.Write(']')
    }
    finally { $writer.Dispose() }
    if ($state.Cluster -gt 0) { Write-WfLog Info ('{0} cluster name objects were left out' -f $state.Cluster) }
    if ($state.Other -gt 0) { Write-WfLog Info ('{0} computers whose operatingSystem is not Windows were left out' -f $state.Other) }
    if ($state.Skipped -gt 0) { Write-WfLog Warning ('{0} computer objects without a usable name were left out' -f $state.Skipped) }
    return $state.Written
}

function Invoke-WfInventory {
    $bases = $null
    try { $bases = Split-WfDnList $SearchBase } catch { Stop-WfRun Usage $_.Exception.Message }
    if ($bases.Count -eq 0) { Stop-WfRun Usage '-SearchBase: give at least one OU distinguished name.' }
    if (-not $OutFile -and -not $Dashboard) { Stop-WfRun Usage 'give -Dashboard (to send the inventory) or -OutFile (to write it to a file).' }
    $base = $null
    if ($Dashboard) {
        try { $base = Get-WfDashboardBase $Dashboard -AllowInsecure:$AllowInsecure } catch { Stop-WfRun Usage $_.Exception.Message }
    }
    # (PowerShell names are case-insensitive: a local $token would hide -Token.)
    $ingestToken = $null
    if (-not $OutFile) {
        try { $ingestToken = Resolve-WfToken -Token $Token -TokenFile (Resolve-WfPath $TokenFile) } catch { Stop-WfRun Usage $_.Exception.Message }
        if (-not $ingestToken) { Stop-WfRun Usage 'no token: give -TokenFile, -Token or set WSUSFLEET_TOKEN (a dashboard token with the ingest scope).' }
    }
    try { Import-Module ActiveDirectory -ErrorAction Stop -Verbose:$false }
    catch {
        Stop-WfRun Prerequisite ('the ActiveDirectory module is not available ({0}). Install RSAT: Install-WindowsFeature RSAT-AD-PowerShell (server) or Add-WindowsCapability -Online -Name Rsat.ActiveDirectory.DS-LDS.Tools~~~~0.0.1.0 (client).' -f $_.Exception.Message)
    }

    $id = [guid]::NewGuid().ToString()
    $collectedAt = ConvertTo-WfTime ([datetime]::UtcNow)
    Write-WfLog Info ('wsusfleet {0} {1}: collecting inventory {2}' -f $script:WfCollectorName, $script:WfVersion, $id)
    $itemsPart = New-WfTempFile '.json'
    try {
        $count = Write-WfInventoryItems -Bases $bases -Path $itemsPart
        $collector = New-WfObject Collector @{
            name    = $script:WfCollectorName
            version = $script:WfVersion
            host    = $env:COMPUTERNAME
            vantage = Get-WfEnum vantage 'remote'
        }
        $gzip = $true
        if ($OutFile) {
            $documentPath = Resolve-WfPath $OutFile
            $gzip = $documentPath -like '*.gz'
        }
        else { $documentPath = New-WfTempFile '.json.gz' }
        $writer = Open-WfJsonWriter -Path $documentPath -Gzip:$gzip
        try {
            $writer.Write('{')
            Write-WfJsonProperty $writer Inventory schema (Get-WfEnum inventory_schema 'wsusfleet.inventory.v1') -First
            Write-WfJsonProperty $writer Inventory id $id
            Write-WfJsonProperty $writer Inventory collected_at $collectedAt
            Write-WfJsonProperty $writer Inventory collector $collector
            Write-WfJsonProperty $writer Inventory source 'ad'
            Write-WfJsonProperty $writer Inventory scope (Limit-WfText ($bases -join '; ') 2048)
            Write-WfJsonName $writer Inventory items
            Copy-WfJsonPart -Writer $writer -Path $itemsPart
            Write-WfJsonProperty $writer Inventory complete $true
            $writer.Write('}')
        }
        finally { $writer.Dispose() }
    }
    finally { Remove-Item -LiteralPath $itemsPart -Force -ErrorAction SilentlyContinue }
    if ($script:WfDropped -gt 0) { Write-WfLog Warning ('{0} last-logon times the dashboard would refuse (before 1990 or a day ahead) were left out' -f $script:WfDropped) }

    if ($OutFile) {
        Write-WfLog Info ('inventory of {0} computers written to {1}; nothing was sent' -f $count, $documentPath)
        $script:WfExitCode = $script:WfExit.Ok
        return
    }
    $outcome = Publish-WfDocument -Dashboard $base -Endpoint '/api/v1/inventory' -Kind 'inventory' -Id $id -Token $ingestToken -Path $documentPath -SpoolDir (Resolve-WfPath $SpoolDir) -SpoolKeep 10 -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts
    Complete-WfUpload -Outcome $outcome
}

# -----------------------------------------------------------------------------
# Main
# -----------------------------------------------------------------------------
try {
    $script:WfLogFile = Resolve-WfPath $LogFile
    Initialize-WfRuntime
    Invoke-WfInventory
}
catch {
    if ($script:WfExitCode -eq $script:WfExit.Ok) { $script:WfExitCode = $script:WfExit.Failed }
    Write-WfLog Error $_.Exception.Message
    Write-Verbose $_.ScriptStackTrace
}
exit $script:WfExitCode
