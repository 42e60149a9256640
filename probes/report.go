package probes

// Schema identifiers: the "schema" field of each document kind.
const (
	SchemaReport       = "wsusfleet.report.v1"
	SchemaClientReport = "wsusfleet.client-report.v1"
	SchemaInventory    = "wsusfleet.inventory.v1"
)

// Report is one WSUS server as seen from one vantage (DESIGN §5). Every section
// is optional: a section that is present (even as an empty list) replaces that
// section's current state for the server; an absent (nil) one leaves it alone.
type Report struct {
	Schema      string         `json:"schema" v:"required,enum=report_schema"`
	ID          string         `json:"id" v:"required,id"`
	CollectedAt Time           `json:"collected_at" v:"required"`
	Collector   Collector      `json:"collector"`
	Server      ServerInfo     `json:"server"`
	VDirChecks  []VDirCheck    `json:"vdir_checks,omitempty" v:"max=1000"`
	VDirConfig  []VDirConfig   `json:"vdir_config,omitempty" v:"max=100"`
	AppPool     *AppPool       `json:"app_pool,omitempty"`
	Services    []Service      `json:"services,omitempty" v:"max=100"`
	ACLs        []ACL          `json:"acls,omitempty" v:"max=1000"`
	Events      []Event        `json:"events,omitempty" v:"max=5000"`
	Sync        *Sync          `json:"sync,omitempty"`
	Clients     *ClientList    `json:"clients,omitempty"`
	Denials     *DenialDigest  `json:"denials,omitempty"`                  // from a Process Monitor capture
	IISLog      *IISLogDigest  `json:"iislog,omitempty"`                   // from an IIS W3C log
	HTTPErr     *HTTPErrDigest `json:"httperr,omitempty"`                  // from an HTTP.sys HTTPERR log
	SDLog       *SDLogDigest   `json:"softwaredistribution_log,omitempty"` // from WSUS's SoftwareDistribution.log
}

// Collector says what produced a document and from where.
type Collector struct {
	Name    string `json:"name" v:"required,max=100"`
	Version string `json:"version,omitempty" v:"max=50"`
	Host    string `json:"host,omitempty" v:"max=253,host"`
	Vantage string `json:"vantage" v:"required,enum=vantage"`
	// Error says the collector could not collect (e.g. it needs Windows
	// PowerShell 5.1): the document then carries little beyond the names, and
	// what is missing is not a fact about the machine.
	Error string `json:"error,omitempty" v:"max=1024,text"`
}

// Vantages: where a document was collected. Reachability differs by vantage.
const (
	VantageServer    = "server"    // on the WSUS server itself
	VantageRemote    = "remote"    // an agent elsewhere (e.g. a client subnet)
	VantageDashboard = "dashboard" // the dashboard's own prober
	VantageClient    = "client"    // a Windows client (client reports only)
)

// ServerInfo identifies the WSUS server and its configuration.
type ServerInfo struct {
	Name               string `json:"name" v:"required,max=253,host"`
	URL                string `json:"url,omitempty" v:"max=2048,url"`
	Version            string `json:"version,omitempty" v:"max=50"`
	HTTPPort           int    `json:"http_port,omitempty" v:"min=0,max=65535"`
	HTTPSPort          int    `json:"https_port,omitempty" v:"min=0,max=65535"`
	SSL                bool   `json:"ssl,omitempty"`
	ContentDir         string `json:"content_dir,omitempty" v:"max=1024"`
	Database           string `json:"database,omitempty" v:"max=256"`
	NotDeclinedUpdates *int   `json:"not_declined_updates,omitempty" v:"min=0,max=10000000"`
	Targeting          string `json:"targeting,omitempty" v:"enum=targeting"`
	// Aliases are other names clients may use for this server (its NetBIOS
	// name, CNAMEs); Addresses its IP addresses. A client whose WUServer
	// names one of them points at this server.
	Aliases   []string `json:"aliases,omitempty" v:"max=32,each=max=253,host"`
	Addresses []string `json:"addresses,omitempty" v:"max=32,each=max=64,host"`
}

// VDirCheck is one HTTP request to one WSUS virtual directory and what came back.
type VDirCheck struct {
	VDir            string   `json:"vdir" v:"required,enum=vdir"`
	URL             string   `json:"url" v:"required,max=2048,url"`
	Method          string   `json:"method,omitempty" v:"enum=method"`
	Status          int      `json:"status" v:"min=0,max=999"` // 0: no HTTP response (see ErrorKind)
	Substatus       *int     `json:"substatus,omitempty" v:"min=0,max=999"`
	Win32Status     *int64   `json:"win32_status,omitempty" v:"min=0,max=4294967295"`
	LatencyMS       float64  `json:"latency_ms" v:"min=0,max=3600000"`
	Error           string   `json:"error,omitempty" v:"max=2048,text"`
	ErrorKind       string   `json:"error_kind,omitempty" v:"enum=error_kind"`
	WWWAuthenticate []string `json:"www_authenticate,omitempty" v:"max=10,each=max=512"`
	Server          string   `json:"server_header,omitempty" v:"max=256"`
	Location        string   `json:"location,omitempty" v:"max=2048"` // where a 3xx points (never followed)
	DNS             []string `json:"dns,omitempty" v:"max=32,each=max=64"`
	ConnectMS       *float64 `json:"connect_ms,omitempty" v:"min=0,max=3600000"`
	TLS             *TLSInfo `json:"tls,omitempty"`
	// Verdict is informational on input: the dashboard judges every check
	// against DESIGN §7.1 itself at ingest (see Judge).
	Verdict string `json:"verdict,omitempty" v:"enum=verdict"`
	Reason  string `json:"reason,omitempty" v:"max=512,text"`
}

// TLSInfo describes the TLS session and server certificate of an https check.
type TLSInfo struct {
	Version     string   `json:"version,omitempty" v:"max=20"`
	Subject     string   `json:"subject,omitempty" v:"max=1024"`
	Issuer      string   `json:"issuer,omitempty" v:"max=1024"`
	SANs        []string `json:"sans,omitempty" v:"max=100,each=max=253"`
	NotAfter    Time     `json:"not_after" v:"future"`
	ChainValid  bool     `json:"chain_valid"`
	NameMatches bool     `json:"name_matches"`
	Error       string   `json:"error,omitempty" v:"max=1024,text"`
}

// VDirConfig is one virtual directory's IIS configuration (compare DESIGN §7.1).
type VDirConfig struct {
	VDir                string `json:"vdir" v:"required,enum=vdir"`
	Anonymous           bool   `json:"anonymous"`
	AnonymousUser       string `json:"anonymous_user,omitempty" v:"max=256"`
	WindowsAuth         bool   `json:"windows_auth"`
	BasicAuth           bool   `json:"basic_auth"`
	DigestAuth          bool   `json:"digest_auth"`
	RequireSSL          bool   `json:"require_ssl"`
	ClientCerts         string `json:"client_certs,omitempty" v:"enum=client_certs"`
	ASPNETImpersonation bool   `json:"aspnet_impersonation"`
	AppPool             string `json:"app_pool,omitempty" v:"max=256"`
	PhysicalPath        string `json:"physical_path,omitempty" v:"max=1024"`
	// Site is the IIS site the vDir is in ("WSUS Administration", or
	// "Default Web Site" when WSUS was installed on port 80): the fixes name
	// it in their configuration paths.
	Site string `json:"site,omitempty" v:"max=256"`
}

// AppPool holds the WsusPool settings (compare DESIGN §7.4). Numbers are
// pointers because 0 is a meaningful setting ("no limit") and must not be
// confused with "not collected".
type AppPool struct {
	Name                string `json:"name" v:"required,max=256"`
	State               string `json:"state,omitempty" v:"enum=pool_state"`
	Identity            string `json:"identity,omitempty" v:"max=256"`
	PrivateMemoryKB     *int64 `json:"private_memory_kb,omitempty" v:"min=0,max=1099511627776"`
	QueueLength         *int64 `json:"queue_length,omitempty" v:"min=0,max=65535"`
	IdleTimeoutMin      *int64 `json:"idle_timeout_min,omitempty" v:"min=0,max=43200"`
	PingEnabled         *bool  `json:"ping_enabled,omitempty"`
	PeriodicRestartMin  *int64 `json:"periodic_restart_min,omitempty" v:"min=0,max=432000"`
	RapidFailProtection *bool  `json:"rapid_fail_protection,omitempty"`
}

// Service is one Windows service's state.
type Service struct {
	Name      string `json:"name" v:"required,max=256"`
	State     string `json:"state" v:"required,enum=service_state"`
	StartType string `json:"start_type,omitempty" v:"enum=start_type"`
}

// ACL is one access-control entry on a folder or registry key.
type ACL struct {
	Path      string   `json:"path" v:"required,max=1024,text"`
	Principal string   `json:"principal" v:"required,max=256"`
	Rights    []string `json:"rights" v:"max=32,each=max=64"`
	Type      string   `json:"type,omitempty" v:"enum=ace_type"` // Allow (default) or Deny
	Inherited bool     `json:"inherited,omitempty"`
}

// Event is one Windows event log entry: the Application log's WSUS events,
// and the System log's WAS events about WsusPool (Source names the provider).
type Event struct {
	ID      int    `json:"id" v:"min=0,max=65535"`
	Source  string `json:"source" v:"required,max=256"`
	Level   string `json:"level" v:"required,enum=event_level"`
	Time    Time   `json:"time" v:"required"`
	Message string `json:"message,omitempty" v:"max=32768,text"`
}

// Sync is the server's synchronisation source and its last run.
type Sync struct {
	From     string    `json:"from" v:"required,enum=sync_from"`
	Upstream *Upstream `json:"upstream,omitempty"`
	Last     *SyncRun  `json:"last,omitempty"`
}

// Upstream is the parent WSUS server a downstream server syncs from.
type Upstream struct {
	Host    string `json:"host" v:"required,max=253,host"`
	Port    int    `json:"port" v:"min=1,max=65535"`
	SSL     bool   `json:"ssl"`
	Replica bool   `json:"replica"`
}

// SyncRun is one synchronisation.
type SyncRun struct {
	StartedAt  Time   `json:"started_at"`
	FinishedAt Time   `json:"finished_at"`
	Result     string `json:"result" v:"required,enum=sync_result"`
	Error      string `json:"error,omitempty" v:"max=8192,text"`
}

// ClientList is the server's computer targets. Complete means "this is the
// whole list": targets absent from it are marked removed.
type ClientList struct {
	Complete bool     `json:"complete"`
	Items    []Client `json:"items" v:"max=1000000"`
	// pending: the items are still being decoded (DecodeReportStreamed).
	pending *itemStream
}

// Client is one computer target as the WSUS server knows it (DESIGN §7.7).
type Client struct {
	ID             string   `json:"id,omitempty" v:"max=64,id"`
	Name           string   `json:"name" v:"required,max=253,host"`
	IP             string   `json:"ip,omitempty" v:"max=64"`
	OS             string   `json:"os,omitempty" v:"max=256"`
	ClientVersion  string   `json:"client_version,omitempty" v:"max=64"`
	Groups         []string `json:"groups,omitempty" v:"max=64,each=max=256"`
	RequestedGroup string   `json:"requested_group,omitempty" v:"max=256"`
	LastSync       Time     `json:"last_sync" v:"never"`
	LastSyncResult string   `json:"last_sync_result,omitempty" v:"enum=sync_result"`
	LastReport     Time     `json:"last_report" v:"never"`
}
