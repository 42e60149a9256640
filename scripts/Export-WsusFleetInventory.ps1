#Requires -Version 5.1
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

    The items are streamed to disk one computer at a time, so 100,000 computers do not
    become one big string. If the dashboard cannot be reached the snapshot waits in the
    spool folder and is sent first next time.

    Needs the ActiveDirectory module (RSAT) and an account that can read computer objects
    (any domain user can). Runs in Windows PowerShell 5.1 and PowerShell 7.

.PARAMETER SearchBase
    Distinguished names of the OUs to read, e.g. OU=Workstations,DC=corp,DC=example. Several
    may be given; each is read with its sub-OUs.

.PARAMETER Server
    A domain controller (or domain) to ask; default: the one Get-ADComputer picks.

.PARAMETER Dashboard
    Base URL of the dashboard, e.g. https://wsusfleet.corp.example. Not needed with -OutFile.

.PARAMETER Token
    An ingest token. Prefer -TokenFile or the WSUSFLEET_TOKEN environment variable.

.PARAMETER TokenFile
    A file whose first line is the ingest token.

.PARAMETER OutFile
    Write the inventory JSON to this file instead of sending it (gzip when it ends in .gz).

.PARAMETER SpoolDir
    Where snapshots wait when the dashboard is unreachable. Default:
    %ProgramData%\wsusfleet\spool.

.PARAMETER TimeoutSec
    Timeout of each upload attempt in seconds. Default 120.

.PARAMETER MaxAttempts
    Upload attempts before the snapshot stays in the spool. Default 5.

.PARAMETER LogFile
    Append log lines to this file.

.EXAMPLE
    .\Export-WsusFleetInventory.ps1 -SearchBase 'OU=Workstations,DC=corp,DC=example' -OutFile C:\Temp\inventory.json

    Writes the snapshot to a file to look at; sends nothing.

.EXAMPLE
    .\Export-WsusFleetInventory.ps1 -SearchBase 'OU=Workstations,DC=corp,DC=example','OU=Servers,DC=corp,DC=example' -Dashboard https://wsusfleet.corp.example -TokenFile C:\ProgramData\wsusfleet\token.txt

    Sends the computers of two OUs as one snapshot.

.NOTES
    Exit codes: 0 sent (or written with -OutFile), 1 failed, 2 bad parameters, 3 missing
    ActiveDirectory module, 4 dashboard unreachable (spooled), 5 snapshot rejected.
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
    [string] $LogFile
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$script:WfVersion = '1.0.0'
$script:WfCollectorName = 'Export-WsusFleetInventory.ps1'

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

# -----------------------------------------------------------------------------
# Directory inventory
# -----------------------------------------------------------------------------

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
        $fileTime = [int64]$raw
        if ($fileTime -gt 0) { $lastLogon = ConvertTo-WfTime ([datetime]::FromFileTimeUtc($fileTime)) }
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
    # one computer at a time, each name once (search bases may overlap).
    param([Parameter(Mandatory = $true)] [string[]] $Bases, [Parameter(Mandatory = $true)] [string] $Path)
    $state = @{
        First   = $true
        Written = 0
        Skipped = 0
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
                Properties     = @('DNSHostName', 'lastLogonTimestamp')
                ResultPageSize = 1000
                ErrorAction    = 'Stop'
            }
            if ($Server) { $query['Server'] = $Server }
            $before = $state.Written
            Get-ADComputer @query | ForEach-Object {
                $item = ConvertTo-WfInventoryItem $_
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
    if ($state.Skipped -gt 0) { Write-WfLog Warning ('{0} computer objects without a usable name were left out' -f $state.Skipped) }
    return $state.Written
}

function Invoke-WfInventory {
    $bases = Split-WfList $SearchBase
    if ($bases.Count -eq 0) { Stop-WfRun Usage '-SearchBase: give at least one OU distinguished name.' }
    if (-not $OutFile -and -not $Dashboard) { Stop-WfRun Usage 'give -Dashboard (to send the inventory) or -OutFile (to write it to a file).' }
    if ($Dashboard -and $Dashboard -notmatch '^https?://[^/\s]+') { Stop-WfRun Usage ('-Dashboard must be the http(s) base URL of the dashboard; got {0}' -f $Dashboard) }
    # (PowerShell names are case-insensitive: a local $token would hide -Token.)
    $ingestToken = $null
    if (-not $OutFile) {
        $ingestToken = Resolve-WfToken -Token $Token -TokenFile $TokenFile
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
            $documentPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
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

    if ($OutFile) {
        Write-WfLog Info ('inventory of {0} computers written to {1}; nothing was sent' -f $count, $documentPath)
        $script:WfExitCode = $script:WfExit.Ok
        return
    }
    $outcome = Publish-WfDocument -Dashboard $Dashboard -Endpoint '/api/v1/inventory' -Kind 'inventory' -Id $id -Token $ingestToken -Path $documentPath -SpoolDir $SpoolDir -SpoolKeep 10 -TimeoutSec $TimeoutSec -MaxAttempts $MaxAttempts
    Complete-WfUpload -Outcome $outcome
}

# -----------------------------------------------------------------------------
# Main
# -----------------------------------------------------------------------------
$script:WfLogFile = $LogFile
try {
    Initialize-WfRuntime
    Invoke-WfInventory
}
catch {
    if ($script:WfExitCode -eq $script:WfExit.Ok) { $script:WfExitCode = $script:WfExit.Failed }
    Write-WfLog Error $_.Exception.Message
    Write-Verbose $_.ScriptStackTrace
}
exit $script:WfExitCode
