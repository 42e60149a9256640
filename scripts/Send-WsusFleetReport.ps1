#Requires -Version 5.1
<#
.SYNOPSIS
    Collects the state of this WSUS server and sends it to the wsusfleet dashboard.

.DESCRIPTION
    Runs on a WSUS server and collects, through the WSUS administration API, the IIS
    configuration and Windows itself, everything the WSUS client troubleshooting guide
    has an administrator look at by hand:

      server       version, ports and SSL mode (Update Services\Server\Setup registry key),
                   content folder, WID or SQL Server, number of updates not declined
      vdir_checks  an anonymous GET of every WSUS virtual directory on this server's own URLs
      vdir_config  authentication, SSL and impersonation settings of every WSUS vDir (IIS)
      app_pool     the WsusPool settings (queue length, memory limit, recycling, ping)
      services     WsusService, W3SVC, WAS and the WID or local SQL Server service
      acls         NTFS permissions of the folders WSUS needs (ASP.NET temp, Temp, content)
      events       Application log errors and warnings of WSUS from the last 24 hours
      sync         Microsoft Update or upstream server, replica mode, last synchronization
      clients      every computer target (a complete snapshot, streamed, never one big string)

    The document is written as gzip-compressed JSON and POSTed to /api/v1/reports. If the
    dashboard cannot be reached it is kept in the spool folder and sent first next time.
    With -OutFile it is written to a file instead, nothing is sent.

    Needs: membership of "WSUS Administrators" (or local Administrators), read access to the
    IIS configuration, "Event Log Readers". Under PowerShell 7 the script runs itself again in
    Windows PowerShell 5.1, because the WSUS API is a .NET Framework assembly.
    See docs/collectors.md for scheduling and signing.

.PARAMETER Dashboard
    Base URL of the dashboard, e.g. https://wsusfleet.corp.example. Not needed with -OutFile.

.PARAMETER Token
    An ingest token. Prefer -TokenFile or the WSUSFLEET_TOKEN environment variable: a
    command line can be read by other users of the computer.

.PARAMETER TokenFile
    A file whose first line is the ingest token (restrict its ACL to the account that runs
    the task).

.PARAMETER OutFile
    Write the report JSON to this file instead of sending it (gzip-compressed when the name
    ends in .gz). Use it to look at what would be sent before scheduling the script.

.PARAMETER SpoolDir
    Where documents wait when the dashboard is unreachable. Default:
    %ProgramData%\wsusfleet\spool.

.PARAMETER ServerName
    The name clients use for this server (e.g. a DNS alias in their WUServer policy).
    Default: this computer's fully qualified name.

.PARAMETER IisLogDays
    Also upload the IIS logs of the WSUS site changed in the last N days (gzip), as evidence
    of 401.x/500.x/503 answers. Default 0: no logs.

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

.PARAMETER LogFile
    Append log lines to this file (useful for scheduled tasks).

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

    A quick report without the client list, plus the IIS logs of the last two days.

.NOTES
    Exit codes: 0 sent (or written with -OutFile), 1 failed, 2 bad parameters, 3 missing
    module or permission, 4 dashboard unreachable (report spooled), 5 report rejected.
#>
[CmdletBinding()]
param(
    [string] $Dashboard,
    [string] $Token,
    [string] $TokenFile,
    [string] $OutFile,
    [string] $SpoolDir = (Join-Path ([Environment]::GetFolderPath('CommonApplicationData')) 'wsusfleet\spool'),
    [string] $ServerName,
    [ValidateRange(0, 90)] [int] $IisLogDays = 0,
    [ValidateRange(5, 3600)] [int] $TimeoutSec = 120,
    [ValidateRange(1, 10)] [int] $MaxAttempts = 5,
    [ValidateRange(1, 120)] [int] $CheckTimeoutSec = 10,
    [string[]] $Skip = @(),
    [string] $LogFile,
    [switch] $NoRelaunch
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$script:WfVersion = '1.0.0'
$script:WfCollectorName = 'Send-WsusFleetReport.ps1'
$script:WfScriptPath = $PSCommandPath
$script:WfSkip = @()

# region wsusfleet-names
# The JSON property names this script emits, per type of the dashboard's
# schema (probes/report.go), in the order they are written. New-WfObject and
# Write-WfJsonName refuse any other name, and scripts/contract_test.go checks
# every name here against the json tags of the Go type of the same name.
$script:WfNames = @{
    Report     = @('schema', 'id', 'collected_at', 'collector', 'server', 'vdir_checks', 'vdir_config', 'app_pool', 'services', 'acls', 'events', 'sync', 'clients')
    Collector  = @('name', 'version', 'host', 'vantage')
    ServerInfo = @('name', 'url', 'version', 'http_port', 'https_port', 'ssl', 'content_dir', 'database', 'not_declined_updates', 'targeting')
    VDirCheck  = @('vdir', 'url', 'method', 'status', 'substatus', 'latency_ms', 'error', 'error_kind', 'www_authenticate', 'server_header', 'location', 'dns', 'tls')
    TLSInfo    = @('version', 'subject', 'issuer', 'sans', 'not_after', 'chain_valid', 'name_matches', 'error')
    VDirConfig = @('vdir', 'anonymous', 'anonymous_user', 'windows_auth', 'basic_auth', 'digest_auth', 'require_ssl', 'client_certs', 'aspnet_impersonation', 'app_pool', 'physical_path')
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
# the property names of $WfNames, and the upload with retries and spool.
# -----------------------------------------------------------------------------

# Exit codes, documented in docs/collectors.md.
$script:WfExit = @{ Ok = 0; Failed = 1; Usage = 2; Prerequisite = 3; Spooled = 4; Rejected = 5 }
$script:WfExitCode = 1
$script:WfLogFile = $null
$script:WfWarnings = 0

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
    # RFC 3339 UTC text, or $null for "never": WSUS writes DateTime.MinValue
    # (0001-01-01) or SQL's 1753-01-01. WSUS API times are UTC with Kind
    # Unspecified; event log and certificate times are Local.
    param([Parameter(Position = 0)] [AllowNull()] [object] $Value)
    if ($null -eq $Value -or $Value -isnot [datetime]) { return $null }
    $t = [datetime]$Value
    if ($t.Year -lt 1900) { return $null }
    if ($t.Kind -eq [DateTimeKind]::Local) { $t = $t.ToUniversalTime() }
    else { $t = [datetime]::SpecifyKind($t, [DateTimeKind]::Utc) }
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

function Resolve-WfToken {
    # The ingest token from -Token, else the first line of -TokenFile, else
    # the WSUSFLEET_TOKEN environment variable; $null when none is given.
    param([string] $Token, [string] $TokenFile)
    if ($Token) { return $Token.Trim() }
    if ($TokenFile) {
        if (-not (Test-Path -LiteralPath $TokenFile -PathType Leaf)) { Stop-WfRun Usage "-TokenFile: '$TokenFile' does not exist or is not a file." }
        $line = Get-Content -LiteralPath $TokenFile -TotalCount 1 -ErrorAction Stop
        if ($line) { return ([string]$line).Trim() }
        Stop-WfRun Usage "-TokenFile: '$TokenFile' is empty."
    }
    if ($env:WSUSFLEET_TOKEN) { return $env:WSUSFLEET_TOKEN.Trim() }
    return $null
}

function Split-WfList {
    # Accepts "a,b" as well as @('a','b'): powershell.exe -File passes a list
    # parameter as one comma-separated string.
    param([AllowNull()] [string[]] $Value)
    $out = [Collections.Generic.List[string]]::new()
    foreach ($v in @($Value)) {
        if ($null -eq $v) { continue }
        foreach ($part in ($v -split ',')) {
            if ($part.Trim()) { $out.Add($part.Trim()) }
        }
    }
    return , $out.ToArray()
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
        403 { $lines.Add('  hint: the token lacks the ingest scope; create one with: wsusfleet token create --name NAME --scope ingest') }
        404 { $lines.Add('  hint: check -Dashboard; it is the base URL, e.g. https://wsusfleet.corp.example') }
        413 { $lines.Add('  hint: the document is larger than the dashboard accepts.') }
    }
    return ($lines -join [Environment]::NewLine)
}

function Send-WfFile {
    # One POST of a file. Returns Ok (201 or 200, i.e. stored or already
    # stored), Retry (network error, 408, 429 or 5xx), Status and Message.
    param(
        [Parameter(Mandatory = $true)] [string] $Uri,
        [Parameter(Mandatory = $true)] [string] $Token,
        [Parameter(Mandatory = $true)] [string] $Path,
        [string] $ContentType = 'application/json',
        [switch] $Gzip,
        [int] $TimeoutSec = 60
    )
    $result = @{ Ok = $false; Retry = $true; Status = 0; Message = ''; RetryAfterSec = 0 }
    $response = $null
    try {
        $request = [Net.HttpWebRequest][Net.WebRequest]::Create($Uri)
        $request.Method = 'POST'
        $request.ContentType = $ContentType
        $request.Accept = 'application/json, application/problem+json'
        $request.UserAgent = $script:WfUserAgent
        $request.Headers.Add('Authorization', 'Bearer ' + $Token)
        if ($Gzip) { $request.Headers.Add('Content-Encoding', 'gzip') }
        $request.AllowAutoRedirect = $false
        $request.Timeout = $TimeoutSec * 1000
        $request.ReadWriteTimeout = $TimeoutSec * 1000
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
    param(
        [Parameter(Mandatory = $true)] [hashtable] $Send,
        [int] $MaxAttempts = 5,
        [int] $MaxBackoffSec = 60
    )
    $random = [Random]::new()
    $attempt = 0
    while ($true) {
        $attempt++
        $result = Send-WfFile @Send
        if ($result.Ok -or -not $result.Retry -or $attempt -ge $MaxAttempts) { return $result }
        $delay = [Math]::Min($MaxBackoffSec, [Math]::Pow(2, $attempt))
        if ($result.RetryAfterSec -gt 0) { $delay = [Math]::Min($MaxBackoffSec, $result.RetryAfterSec) }
        $delayMs = [int]($delay * 1000) + $random.Next(0, 1000)
        Write-WfLog Warning ('attempt {0} of {1} failed: {2}; retrying in {3:n1} s' -f $attempt, $MaxAttempts, $result.Message, ($delayMs / 1000))
        Start-Sleep -Milliseconds $delayMs
    }
}

function Publish-WfDocument {
    # Sends the gzip JSON document $Path, after anything an earlier run left
    # in the spool, oldest first. The document is moved into the spool before
    # the first attempt, so an unreachable dashboard (or a crash) leaves it for
    # the next run; its id is stable, and the dashboard answers a replay of a
    # stored id with 200, so resending is harmless. A document the dashboard
    # rejects (4xx) is moved to <spool>\rejected and never resent.
    # Returns 'sent', 'spooled' or 'rejected' for $Path.
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
    $null = New-Item -ItemType Directory -Path $SpoolDir -Force
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
    $queue = @(Get-ChildItem -LiteralPath $SpoolDir -Filter ($Kind + '-*.json.gz') -File | Sort-Object Name)
    if ($queue.Count -gt $SpoolKeep) {
        foreach ($old in $queue[0..($queue.Count - $SpoolKeep - 1)]) {
            Write-WfLog Warning ('spool holds more than {0} {1} documents; dropping the oldest, {2}' -f $SpoolKeep, $Kind, $old.Name)
            Remove-Item -LiteralPath $old.FullName -Force
        }
        $queue = @($queue | Select-Object -Last $SpoolKeep)
    }

    $uri = $Dashboard.TrimEnd('/') + $Endpoint
    $outcome = 'spooled'
    foreach ($item in $queue) {
        $send = @{ Uri = $uri; Token = $Token; Path = $item.FullName; Gzip = $true; TimeoutSec = $TimeoutSec }
        $result = Send-WfFileWithRetry -Send $send -MaxAttempts $MaxAttempts -MaxBackoffSec $MaxBackoffSec
        $isMine = $item.Name -eq $Mine
        if ($result.Ok) {
            Remove-Item -LiteralPath $item.FullName -Force
            $what = 'spooled document {0}' -f $item.Name
            if ($isMine) { $what = 'this run''s document'; $outcome = 'sent' }
            Write-WfLog Info ('{0} accepted by {1} (HTTP {2})' -f $what, $uri, $result.Status)
            continue
        }
        if (-not $result.Retry) {
            $rejected = Join-Path $SpoolDir 'rejected'
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

function Get-WfFqdn {
    # This computer's DNS name from its own configuration (no DNS query).
    $properties = [Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties()
    $name = $properties.HostName
    if ($properties.DomainName) { $name = $name + '.' + $properties.DomainName }
    return $name.ToLowerInvariant()
}

function Resolve-WfHostAddresses {
    # The addresses a host name resolves to from here (a client resolving the
    # WSUS name to the wrong address is a classic); empty on failure.
    param([Parameter(Mandatory = $true, Position = 0)] [string] $HostName, [Parameter(Position = 1)] [int] $TimeoutSec = 5)
    $addresses = [Collections.Generic.List[string]]::new()
    try {
        $task = [Net.Dns]::GetHostAddressesAsync($HostName)
        if ($task.Wait($TimeoutSec * 1000)) {
            foreach ($address in $task.Result) {
                if ($addresses.Count -lt 32) { $addresses.Add($address.IPAddressToString) }
            }
        }
    }
    catch { $addresses.Clear() }
    return , $addresses.ToArray()
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
        [int] $TimeoutSec = 10
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
        if (-not $tcp.ConnectAsync($HostName, $Port).Wait($TimeoutSec * 1000)) {
            throw ('no TCP connection within {0} s' -f $TimeoutSec)
        }
        $ssl = [Net.Security.SslStream]::new($tcp.GetStream(), $false, [Net.Security.RemoteCertificateValidationCallback]$accept)
        try {
            $ssl.ReadTimeout = $TimeoutSec * 1000
            $ssl.WriteTimeout = $TimeoutSec * 1000
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
            not_after    = ConvertTo-WfTime $certificate.NotAfter
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
    param(
        [Parameter(Mandatory = $true)] [string] $VDir,
        [Parameter(Mandatory = $true)] [string] $Url,
        [int] $TimeoutSec = 10,
        [AllowNull()] [Net.IWebProxy] $Proxy = $null,
        [AllowNull()] [object] $Dns = $null,
        [AllowNull()] [object] $Tls = $null
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
    try {
        $request = [Net.HttpWebRequest][Net.WebRequest]::Create($Url)
        $request.Method = 'GET'
        $request.AllowAutoRedirect = $false
        $request.UseDefaultCredentials = $false
        $request.Proxy = $Proxy
        $request.KeepAlive = $false
        $request.Timeout = $TimeoutSec * 1000
        $request.ReadWriteTimeout = $TimeoutSec * 1000
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

function Invoke-WfVDirChecks {
    # Checks each @{ VDir; Url } in order with one DNS lookup and one TLS
    # handshake per host. After a DNS, connect or timeout failure the other
    # URLs of that host are skipped (they would fail the same way, slowly),
    # and no check starts that could end after -DeadlineSec.
    param(
        [Parameter(Mandatory = $true)] [AllowEmptyCollection()] [object[]] $Checks,
        [int] $TimeoutSec = 10,
        [AllowNull()] [Net.IWebProxy] $Proxy = $null,
        [AllowNull()] [Diagnostics.Stopwatch] $Clock = $null,
        [int] $DeadlineSec = 0
    )
    $list = [Collections.Generic.List[object]]::new()
    $dnsCache = @{}
    $tlsCache = @{}
    $deadHosts = @{}
    foreach ($check in $Checks) {
        if ($null -ne $Clock -and $DeadlineSec -gt 0 -and ($Clock.Elapsed.TotalSeconds + $TimeoutSec) -gt $DeadlineSec) {
            Write-WfLog Warning ('time budget of {0} s reached; {1} not checked' -f $DeadlineSec, $check.Url)
            continue
        }
        $uri = $null
        if (-not [Uri]::TryCreate([string]$check.Url, [UriKind]::Absolute, [ref]$uri) -or ($uri.Scheme -ne 'http' -and $uri.Scheme -ne 'https')) {
            Write-WfLog Warning ('not an http(s) URL, not checked: {0}' -f $check.Url)
            continue
        }
        $hostKey = $uri.Host + ':' + $uri.Port
        if ($deadHosts.ContainsKey($hostKey)) { continue }
        if (-not $dnsCache.ContainsKey($uri.Host)) { $dnsCache[$uri.Host] = Resolve-WfHostAddresses $uri.Host $TimeoutSec }
        $tls = $null
        if ($uri.Scheme -eq 'https') {
            if (-not $tlsCache.ContainsKey($hostKey)) { $tlsCache[$hostKey] = Get-WfTlsInfo -HostName $uri.Host -Port $uri.Port -TimeoutSec $TimeoutSec }
            $tls = $tlsCache[$hostKey]
        }
        $result = Invoke-WfVDirCheck -VDir $check.VDir -Url $check.Url -TimeoutSec $TimeoutSec -Proxy $Proxy -Dns $dnsCache[$uri.Host] -Tls $tls
        $list.Add($result)
        if ($result.Contains('error_kind') -and @('dns', 'connect', 'timeout') -contains $result['error_kind']) { $deadHosts[$hostKey] = $true }
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
    # token travels in the environment, not on a command line.
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
        $arguments.Add('-' + $entry.Key)
        $arguments.Add((@($entry.Value) -join ','))
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
    # warning, when it cannot be read (e.g. not run as an administrator).
    param([Parameter(Mandatory = $true)] [hashtable] $Setup)
    $dll = Join-Path $env:windir 'System32\inetsrv\Microsoft.Web.Administration.dll'
    if (-not (Test-Path -LiteralPath $dll)) {
        Stop-WfRun Prerequisite ('IIS management is not installed ({0} is missing): Install-WindowsFeature Web-Mgmt-Console, or leave the IIS sections out with -Skip vdir_config,app_pool' -f $dll)
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
    # The server section plus what the other sections need from it.
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

    $info = New-WfObject ServerInfo @{
        name                 = $Name
        url                  = $baseUrl
        version              = [string]$Wsus.Version
        http_port            = $httpPort
        https_port           = $httpsPort
        ssl                  = [bool]$ssl
        content_dir          = Limit-WfText $contentDir 1024
        database             = Limit-WfText $database.Text 256
        not_declined_updates = $notDeclined
        targeting            = Get-WfEnum targeting $targeting -Optional
    }
    return @{
        Info       = $info
        Name       = $Name
        BaseUrl    = $baseUrl
        HttpUrl    = $httpUrl
        HttpPort   = $httpPort
        Ssl        = [bool]$ssl
        ContentDir = $contentDir
        InstallDir = [string]$Setup.TargetDir
        DbService  = $database.Service
        PoolName   = $poolName
    }
}

function Get-WfServerCheckList {
    # Every vDir on the URL clients use; in SSL mode also SelfUpdate over
    # plain HTTP, and SelfUpdate on port 80 (DESIGN 7.1).
    param([Parameter(Mandatory = $true)] [hashtable] $Server)
    $checks = [Collections.Generic.List[object]]::new()
    foreach ($entry in $script:WfVDirPaths.GetEnumerator()) {
        $checks.Add(@{ VDir = $entry.Key; Url = $Server.BaseUrl + $entry.Value })
    }
    if ($Server.Ssl) {
        $checks.Add(@{ VDir = 'SelfUpdate'; Url = $Server.HttpUrl + $script:WfVDirPaths['SelfUpdate'] })
    }
    if ($Server.HttpPort -ne 80) {
        $checks.Add(@{ VDir = 'SelfUpdate'; Url = 'http://' + $Server.Name + $script:WfVDirPaths['SelfUpdate'] })
    }
    return , $checks
}

function Get-WfVDirConfigSection {
    # Authentication, SSL and impersonation of each WSUS vDir (DESIGN 7.1).
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
    # The access rules of the folders of DESIGN 1 step 2 and 7.5.
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
        $acl = Get-Acl -LiteralPath $path
        foreach ($rule in $acl.GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier])) {
            if ($list.Count -ge 1000) { break }
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
    }
    return , $list
}

function Get-WfEventsSection {
    # WSUS errors and warnings of the last $Hours from the Application log,
    # filtered by level number; levels are named from the number, not from
    # the localized LevelDisplayName.
    param([int] $Hours = 24, [int] $Max = 5000)
    $list = [Collections.Generic.List[object]]::new()
    $filter = @{
        LogName      = 'Application'
        ProviderName = 'Windows Server Update Services'
        Level        = @(1, 2, 3)
        StartTime    = (Get-Date).AddHours(-$Hours)
    }
    $records = @()
    try { $records = @(Get-WinEvent -FilterHashtable $filter -MaxEvents $Max -ErrorAction Stop) }
    catch {
        if ($_.FullyQualifiedErrorId -like 'NoMatchingEventsFound*' -or $_.FullyQualifiedErrorId -like 'NoMatchingProvidersFound*') { return , $list }
        throw
    }
    foreach ($record in $records) {
        $level = 'Information'
        switch ([int]$record.Level) {
            1 { $level = 'Critical' }
            2 { $level = 'Error' }
            3 { $level = 'Warning' }
            5 { $level = 'Verbose' }
        }
        $message = $null
        try { $message = $record.Message } catch { $message = $null }
        if (-not $message) {
            # No message DLL for this event: keep its inserted strings.
            $message = (@($record.Properties) | ForEach-Object { [string]$_.Value }) -join ' | '
        }
        $list.Add((New-WfObject Event @{
                    id      = [int]$record.Id
                    source  = [string]$record.ProviderName
                    level   = Get-WfEnum event_level $level
                    time    = ConvertTo-WfTime $record.TimeCreated
                    message = Limit-WfText $message 32768
                }))
    }
    return , $list
}

function Get-WfSyncSection {
    # Where updates come from (Microsoft Update or an upstream WSUS server,
    # autonomous or replica) and how the last synchronization ended.
    param([Parameter(Mandatory = $true)] [object] $Wsus, [Parameter(Mandatory = $true)] [object] $Config)
    $fromText = 'upstream'
    $upstream = $null
    if ([bool]$Config.SyncFromMicrosoftUpdate) { $fromText = 'microsoft_update' }
    else {
        $upstream = New-WfObject Upstream @{
            host    = [string]$Config.UpstreamWsusServerName
            port    = [int]$Config.UpstreamWsusServerPortNumber
            ssl     = [bool]$Config.UpstreamWsusServerUseSsl
            replica = [bool]$Config.IsReplicaServer
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
    param(
        [Parameter(Mandatory = $true)] [IO.TextWriter] $Writer,
        [Parameter(Mandatory = $true)] [object] $Target,
        [Parameter(Mandatory = $true)] [hashtable] $State
    )
    $id = [string]$Target.Id
    if (-not $State.Seen.Add($id)) { return }
    $name = ([string]$Target.FullDomainName).Trim()
    if (-not $name -or $name -match '\s') {
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
        name             = Limit-WfText $name 253
        ip               = Limit-WfText $ip 64
        os               = Limit-WfText $Target.OSDescription 256
        client_version   = Limit-WfText $Target.ClientVersion 64
        groups           = $groups
        requested_group  = Limit-WfText $Target.RequestedTargetGroupName 256
        last_sync        = ConvertTo-WfTime $Target.LastSyncTime
        last_sync_result = Get-WfEnum sync_result $Target.LastSyncResult -Default 'Unknown'
        last_report      = ConvertTo-WfTime $Target.LastReportedStatusTime
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
    Write-WfLog Info ('clients: {0} computer targets' -f ($state.Seen.Count - $state.Unnamed))
    return $Path
}

function Compress-WfFile {
    # Gzips a file that IIS may still be writing to.
    param([Parameter(Mandatory = $true)] [string] $Source, [Parameter(Mandatory = $true)] [string] $Destination)
    $reader = [IO.File]::Open($Source, [IO.FileMode]::Open, [IO.FileAccess]::Read, [IO.FileShare]::ReadWrite)
    try {
        $file = [IO.File]::Create($Destination)
        try {
            $gzip = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionMode]::Compress)
            try { $reader.CopyTo($gzip) } finally { $gzip.Dispose() }
        }
        finally { $file.Dispose() }
    }
    finally { $reader.Dispose() }
}

function Send-WfIisLogs {
    # Uploads the WSUS site's W3C logs changed in the last $Days days as
    # evidence (401.x/500.x/503 with substatus). Failures are logged; the
    # files are picked up again next run while they are within $Days.
    param(
        [Parameter(Mandatory = $true)] [hashtable] $Iis,
        [Parameter(Mandatory = $true)] [string] $Name,
        [Parameter(Mandatory = $true)] [int] $Days,
        [Parameter(Mandatory = $true)] [string] $Token
    )
    $directory = [Environment]::ExpandEnvironmentVariables([string]$Iis.Site.LogFile.Directory)
    $directory = Join-Path $directory ('W3SVC{0}' -f $Iis.Site.Id)
    if (-not (Test-Path -LiteralPath $directory)) {
        Write-WfLog Warning ('IIS logs: {0} does not exist (is logging enabled for the WSUS site?)' -f $directory)
        return
    }
    $since = [datetime]::UtcNow.AddDays(-$Days)
    $files = @(Get-ChildItem -LiteralPath $directory -Filter '*.log' -File | Where-Object { $_.LastWriteTimeUtc -ge $since } | Sort-Object Name)
    foreach ($file in $files) {
        $gz = New-WfTempFile '.log.gz'
        try {
            Compress-WfFile -Source $file.FullName -Destination $gz
            $uri = '{0}/api/v1/servers/{1}/evidence/iislog?file={2}' -f $Dashboard.TrimEnd('/'), [Uri]::EscapeDataString($Name), [Uri]::EscapeDataString($file.Name)
            $send = @{ Uri = $uri; Token = $Token; Path = $gz; ContentType = 'text/plain; charset=utf-8'; Gzip = $true; TimeoutSec = $TimeoutSec }
            $result = Send-WfFileWithRetry -Send $send -MaxAttempts $MaxAttempts
            if ($result.Ok) { Write-WfLog Info ('IIS log {0} uploaded ({1:n0} KB)' -f $file.Name, ($file.Length / 1024)) }
            else { Write-WfLog Error ('IIS log {0} not uploaded: {1}' -f $file.Name, $result.Message) }
        }
        finally { Remove-Item -LiteralPath $gz -Force -ErrorAction SilentlyContinue }
    }
}

function Invoke-WfServerReport {
    $script:WfSkip = Split-WfList $Skip
    $known = @('vdir_checks', 'vdir_config', 'app_pool', 'services', 'acls', 'events', 'sync', 'clients')
    foreach ($name in $script:WfSkip) {
        if ($known -notcontains $name) { Stop-WfRun Usage ('-Skip: unknown section {0}; the sections are {1}' -f $name, ($known -join ', ')) }
    }
    if (-not $OutFile -and -not $Dashboard) { Stop-WfRun Usage 'give -Dashboard (to send the report) or -OutFile (to write it to a file).' }
    if ($Dashboard -and $Dashboard -notmatch '^https?://[^/\s]+') { Stop-WfRun Usage ('-Dashboard must be the http(s) base URL of the dashboard; got {0}' -f $Dashboard) }
    # (PowerShell names are case-insensitive: a local $token would hide -Token.)
    $ingestToken = $null
    if (-not $OutFile) {
        $ingestToken = Resolve-WfToken -Token $Token -TokenFile $TokenFile
        if (-not $ingestToken) { Stop-WfRun Usage 'no token: give -TokenFile, -Token or set WSUSFLEET_TOKEN (a dashboard token with the ingest scope).' }
    }

    $id = [guid]::NewGuid().ToString()
    $collectedAt = ConvertTo-WfTime ([datetime]::UtcNow)
    $name = $ServerName
    if (-not $name) { $name = Get-WfFqdn }
    Write-WfLog Info ('wsusfleet {0} {1}: collecting report {2} for {3}' -f $script:WfCollectorName, $script:WfVersion, $id, $name)

    $wsus = Connect-WfWsus
    $config = $wsus.GetConfiguration()
    $setup = Get-WfWsusSetup
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
    $vdirConfig = Invoke-WfSection vdir_config { Get-WfVDirConfigSection -Iis $iis }
    $appPool = Invoke-WfSection app_pool { Get-WfAppPoolSection -Iis $iis -PoolName $server.PoolName }
    $services = Invoke-WfSection services { Get-WfServicesSection -Names $serviceNames.ToArray() }
    $acls = Invoke-WfSection acls { Get-WfAclSection -Server $server }
    $events = Invoke-WfSection events { Get-WfEventsSection }
    $sync = Invoke-WfSection sync { Get-WfSyncSection -Wsus $wsus -Config $config }
    $clientsPart = Invoke-WfSection clients { Write-WfClientsPart -Wsus $wsus -Path (New-WfTempFile '.json') }

    $gzip = $true
    if ($OutFile) {
        $documentPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
        $gzip = $documentPath -like '*.gz'
    }
    else { $documentPath = New-WfTempFile '.json.gz' }
    $writer = Open-WfJsonWriter -Path $documentPath -Gzip:$gzip
    try {
        $writer.Write('{')
        Write-WfJsonProperty $writer Report schema (Get-WfEnum report_schema 'wsusfleet.report.v1') -First
        Write-WfJsonProperty $writer Report id $id
        Write-WfJsonProperty $writer Report collected_at $collectedAt
        Write-WfJsonProperty $writer Report collector $collector
        Write-WfJsonProperty $writer Report server $server.Info
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
        Write-WfLog Info ('report written to {0} ({1:n0} KB); nothing was sent' -f $documentPath, ((Get-Item -LiteralPath $documentPath).Length / 1024))
        $script:WfExitCode = $script:WfExit.Ok
        return
    }
    $outcome = Publish-WfDocument -Dashboard $Dashboard -Endpoint '/api/v1/reports' -Kind 'report' -Id $id -Token $ingestToken -Path $documentPath -SpoolDir $SpoolDir -SpoolKeep 20 -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts
    Complete-WfUpload -Outcome $outcome
    if ($IisLogDays -gt 0 -and $outcome -eq 'sent') {
        if ($null -eq $iis) { Write-WfLog Warning 'IIS logs: the IIS configuration is not readable, so the log folder is unknown' }
        else { Send-WfIisLogs -Iis $iis -Name $name -Days $IisLogDays -Token $ingestToken }
    }
}

# -----------------------------------------------------------------------------
# Main
# -----------------------------------------------------------------------------
$script:WfLogFile = $LogFile
try {
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
