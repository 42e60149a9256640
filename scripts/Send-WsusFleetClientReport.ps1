#Requires -Version 5.1
<#
.SYNOPSIS
    Reports this Windows client's Windows Update policy and its view of its WSUS server to
    the wsusfleet dashboard.

.DESCRIPTION
    Runs on a Windows client, e.g. as a computer startup script or a scheduled task, and
    collects what an administrator checks by hand when a client does not report in:

      policy       WUServer, WUStatusServer, UpdateServiceUrlAlternate, TargetGroup(Enabled),
                   SetProxyBehaviorForUpdateDetection, UseWUServer, AUOptions, NoAutoUpdate,
                   DetectionFrequency (HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate[\AU])
      identity     SusClientId (cloned images share it)
      services     wuauserv and BITS state and start type
      proxy        the machine-wide WinHTTP proxy ("netsh winhttp show proxy")
      dual scan    DeferQualityUpdates, DeferFeatureUpdates, DisableDualScan
      vdir_checks  GETs of selfupdate/wuident.cab, ClientWebService/client.asmx and
                   SimpleAuthWebService/SimpleAuth.asmx on WUServer, and of
                   ReportingWebService on WUStatusServer, through the WinHTTP proxy

    and POSTs them to /api/v1/client-reports. It finishes within -MaxSeconds (default 30)
    whatever the network does, so it never holds up a startup or logon: checks that could
    run past the budget are skipped, and a report that cannot be sent is kept in the spool
    folder and sent first next time.

    Needs no administrator rights beyond reading HKLM (any user can); as a startup script it
    runs as SYSTEM.

.PARAMETER Dashboard
    Base URL of the dashboard, e.g. https://wsusfleet.corp.example. Not needed with -OutFile.

.PARAMETER Token
    An ingest token. Prefer -TokenFile or the WSUSFLEET_TOKEN environment variable.

.PARAMETER TokenFile
    A file whose first line is the ingest token.

.PARAMETER OutFile
    Write the client report JSON to this file instead of sending it.

.PARAMETER SpoolDir
    Where reports wait when the dashboard is unreachable. Default:
    %ProgramData%\wsusfleet\spool.

.PARAMETER TimeoutSec
    Timeout of each HTTP request (checks and upload) in seconds. Default 5.

.PARAMETER MaxSeconds
    Time budget of the whole run in seconds. Default 30.

.PARAMETER JitterSec
    Wait a random 0..N seconds first, so thousands of clients started by the same policy do
    not all report in the same second. Default 0 (use it in scheduled tasks, not in startup
    scripts).

.PARAMETER NoChecks
    Do not check the WSUS URLs; report the policy only.

.PARAMETER LogFile
    Append log lines to this file.

.EXAMPLE
    .\Send-WsusFleetClientReport.ps1 -OutFile $env:TEMP\client-report.json

    Shows what would be sent, without sending it.

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy AllSigned -File \\corp.example\NETLOGON\wsusfleet\Send-WsusFleetClientReport.ps1 -Dashboard https://wsusfleet.corp.example -TokenFile \\corp.example\NETLOGON\wsusfleet\client-token.txt

    As a computer startup script (GPO) or scheduled task.

.NOTES
    Exit codes: 0 sent (or written with -OutFile), 1 failed, 2 bad parameters, 4 dashboard
    unreachable (report spooled), 5 report rejected.
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
    [string] $LogFile
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$script:WfVersion = '1.0.0'
$script:WfCollectorName = 'Send-WsusFleetClientReport.ps1'

# region wsusfleet-names
# The JSON property names this script emits, per type of the dashboard's
# schema (probes/clientreport.go), in the order they are written.
# New-WfObject refuses any other name, and scripts/contract_test.go checks
# every name here against the json tags of the Go type of the same name.
$script:WfNames = @{
    ClientReport   = @('schema', 'id', 'collected_at', 'collector', 'client', 'vdir_checks')
    Collector      = @('name', 'version', 'host', 'vantage')
    ClientView     = @('name', 'ip', 'os', 'wu_server', 'wu_status_server', 'update_service_url_alternate', 'use_wu_server', 'au_options', 'no_auto_update', 'detection_frequency_hours', 'target_group_enabled', 'target_group', 'set_proxy_behavior', 'sus_client_id', 'services', 'winhttp_proxy', 'dual_scan')
    ClientServices = @('wuauserv', 'bits', 'wuauserv_start', 'bits_start')
    DualScan       = @('defer_quality_updates', 'defer_feature_updates', 'disable_dual_scan')
    VDirCheck      = @('vdir', 'url', 'method', 'status', 'substatus', 'latency_ms', 'error', 'error_kind', 'www_authenticate', 'server_header', 'location', 'dns', 'tls')
    TLSInfo        = @('version', 'subject', 'issuer', 'sans', 'not_after', 'chain_valid', 'name_matches', 'error')
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
# Client report
# -----------------------------------------------------------------------------

function ConvertTo-WfFlag {
    # A policy DWORD as true/false; $null when the value is not set.
    param([Parameter(Position = 0)] [AllowNull()] [object] $Value)
    if ($null -eq $Value) { return $null }
    $number = 0
    if ([int]::TryParse(([string]$Value).Trim(), [ref]$number)) { return ($number -ne 0) }
    return $null
}

function ConvertTo-WfNumber {
    # A policy DWORD as a number within what the dashboard accepts; $null
    # (with a warning) when unset, not a number or out of range.
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
    # The Windows Update policy values of DESIGN 7.6 and the client identity.
    $wu = 'SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate'
    $au = $wu + '\AU'
    return @{
        WUServer                  = Get-WfRegistryValue $wu 'WUServer'
        WUStatusServer            = Get-WfRegistryValue $wu 'WUStatusServer'
        Alternate                 = Get-WfRegistryValue $wu 'UpdateServiceUrlAlternate'
        TargetGroup               = Get-WfRegistryValue $wu 'TargetGroup'
        TargetGroupEnabled        = Get-WfRegistryValue $wu 'TargetGroupEnabled'
        SetProxyBehavior          = Get-WfRegistryValue $wu 'SetProxyBehaviorForUpdateDetection'
        DeferQualityUpdates       = Get-WfRegistryValue $wu 'DeferQualityUpdates'
        DeferFeatureUpdates       = Get-WfRegistryValue $wu 'DeferFeatureUpdates'
        DisableDualScan           = Get-WfRegistryValue $wu 'DisableDualScan'
        UseWUServer               = Get-WfRegistryValue $au 'UseWUServer'
        AUOptions                 = Get-WfRegistryValue $au 'AUOptions'
        NoAutoUpdate              = Get-WfRegistryValue $au 'NoAutoUpdate'
        DetectionFrequencyEnabled = Get-WfRegistryValue $au 'DetectionFrequencyEnabled'
        DetectionFrequency        = Get-WfRegistryValue $au 'DetectionFrequency'
        SusClientId               = Get-WfRegistryValue 'SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate' 'SusClientId'
    }
}

function Get-WfBaseUrl {
    # scheme://host[:port] of a policy URL, or $null when it is not an
    # http(s) URL (e.g. "wsus01:8530" without a scheme: reported, not checked).
    param([Parameter(Position = 0)] [AllowNull()] [object] $Value)
    $text = ([string]$Value).Trim()
    $uri = $null
    if (-not $text -or -not [Uri]::TryCreate($text, [UriKind]::Absolute, [ref]$uri)) { return $null }
    if ($uri.Scheme -ne 'http' -and $uri.Scheme -ne 'https') { return $null }
    return $uri.GetLeftPart([UriPartial]::Authority)
}

function Get-WfClientCheckList {
    # The URLs the Windows Update agent uses: self-update, scan and auth on
    # WUServer, status reports on WUStatusServer. A WUServer without a port
    # is checked as written (port 80): that is what the agent does.
    param([Parameter(Mandatory = $true)] [hashtable] $Policy)
    $checks = [Collections.Generic.List[object]]::new()
    $update = Get-WfBaseUrl $Policy.WUServer
    if ($update) {
        foreach ($vdir in @('SelfUpdate', 'ClientWebService', 'SimpleAuthWebService')) {
            $checks.Add(@{ VDir = $vdir; Url = $update + $script:WfVDirPaths[$vdir] })
        }
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

function Get-WfClientView {
    # The client section: policy, identity, services, proxy, dual scan.
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
            name                         = Get-WfFqdn
            ip                           = Get-WfPrimaryAddress
            os                           = Limit-WfText (Get-WfOsDescription) 256
            wu_server                    = Limit-WfText $Policy.WUServer 2048
            wu_status_server             = Limit-WfText $Policy.WUStatusServer 2048
            update_service_url_alternate = Limit-WfText $Policy.Alternate 2048
            use_wu_server                = ConvertTo-WfFlag $Policy.UseWUServer
            au_options                   = ConvertTo-WfNumber $Policy.AUOptions 0 10 'AUOptions'
            no_auto_update               = ConvertTo-WfFlag $Policy.NoAutoUpdate
            detection_frequency_hours    = $detection
            target_group_enabled         = ConvertTo-WfFlag $Policy.TargetGroupEnabled
            target_group                 = Limit-WfText $Policy.TargetGroup 256
            set_proxy_behavior           = ConvertTo-WfNumber $Policy.SetProxyBehavior 0 10 'SetProxyBehaviorForUpdateDetection'
            sus_client_id                = $susClientId
            services                     = $services
            winhttp_proxy                = Limit-WfText $Proxy.Text 2048
            dual_scan                    = $dualScan
        })
}

function Invoke-WfClientReport {
    if (-not $OutFile -and -not $Dashboard) { Stop-WfRun Usage 'give -Dashboard (to send the report) or -OutFile (to write it to a file).' }
    if ($Dashboard -and $Dashboard -notmatch '^https?://[^/\s]+') { Stop-WfRun Usage ('-Dashboard must be the http(s) base URL of the dashboard; got {0}' -f $Dashboard) }
    # (PowerShell names are case-insensitive: a local $token would hide -Token.)
    $ingestToken = $null
    if (-not $OutFile) {
        $ingestToken = Resolve-WfToken -Token $Token -TokenFile $TokenFile
        if (-not $ingestToken) { Stop-WfRun Usage 'no token: give -TokenFile, -Token or set WSUSFLEET_TOKEN (a dashboard token with the ingest scope).' }
    }
    if ($JitterSec -gt 0) { Start-Sleep -Milliseconds ([Random]::new().Next(0, $JitterSec * 1000)) }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $id = [guid]::NewGuid().ToString()
    $collectedAt = ConvertTo-WfTime ([datetime]::UtcNow)

    $policy = Get-WfClientPolicy
    $proxy = Get-WfWinHttpProxy
    $view = Get-WfClientView -Policy $policy -Proxy $proxy
    $checks = $null
    if (-not $NoChecks) {
        # Half the budget for the checks, the rest for the upload.
        $deadline = [Math]::Max($TimeoutSec, [int]($MaxSeconds / 2))
        $checks = Invoke-WfVDirChecks -Checks (Get-WfClientCheckList -Policy $policy) -TimeoutSec $TimeoutSec -Proxy $proxy.WebProxy -Clock $clock -DeadlineSec $deadline
    }
    $collector = New-WfObject Collector @{
        name    = $script:WfCollectorName
        version = $script:WfVersion
        host    = $env:COMPUTERNAME
        vantage = Get-WfEnum vantage 'client'
    }
    $document = New-WfObject ClientReport @{
        schema       = Get-WfEnum client_report_schema 'wsusfleet.client-report.v1'
        id           = $id
        collected_at = $collectedAt
        collector    = $collector
        client       = $view
        vdir_checks  = $checks
    }

    $gzip = $true
    if ($OutFile) {
        $documentPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
        $gzip = $documentPath -like '*.gz'
    }
    else { $documentPath = New-WfTempFile '.json.gz' }
    $writer = Open-WfJsonWriter -Path $documentPath -Gzip:$gzip
    try { $writer.Write((ConvertTo-WfJson $document)) } finally { $writer.Dispose() }

    if ($OutFile) {
        Write-WfLog Info ('client report written to {0}; nothing was sent' -f $documentPath)
        $script:WfExitCode = $script:WfExit.Ok
        return
    }
    $remaining = [Math]::Max(4, $MaxSeconds - [int]$clock.Elapsed.TotalSeconds)
    $timeout = [Math]::Max(2, [Math]::Min($TimeoutSec * 2, [int]($remaining / 3)))
    $outcome = Publish-WfDocument -Dashboard $Dashboard -Endpoint '/api/v1/client-reports' -Kind 'client-report' -Id $id -Token $ingestToken -Path $documentPath -SpoolDir $SpoolDir -SpoolKeep 5 -TimeoutSec $timeout -MaxAttempts 2 -MaxBackoffSec 2
    Complete-WfUpload -Outcome $outcome
}

# -----------------------------------------------------------------------------
# Main
# -----------------------------------------------------------------------------
$script:WfLogFile = $LogFile
try {
    Initialize-WfRuntime
    Invoke-WfClientReport
}
catch {
    if ($script:WfExitCode -eq $script:WfExit.Ok) { $script:WfExitCode = $script:WfExit.Failed }
    Write-WfLog Error $_.Exception.Message
    Write-Verbose $_.ScriptStackTrace
}
exit $script:WfExitCode
