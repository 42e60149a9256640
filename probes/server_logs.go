package probes

// HTTPErrDigest is what an HTTP.sys error log (%windir%\System32\LogFiles\
// HTTPERR\httperr*.log) says: the requests HTTP.sys answered itself, before
// IIS or WSUS saw them, grouped by reason, queue and status. "503 AppOffline
// WsusPool" is direct evidence that the pool is stopped or crashed,
// "QueueFull" of a full request queue, "Timer_*" of slow or idle clients.
// probes/httperr builds it from a raw log; it replaces the previous digest.
type HTTPErrDigest struct {
	File    string         `json:"file,omitempty" v:"max=255"`
	Lines   int64          `json:"lines" v:"min=0"`   // data lines read
	Skipped int64          `json:"skipped" v:"min=0"` // malformed lines left out
	First   Time           `json:"first" v:"required"`
	Last    Time           `json:"last" v:"required"`
	Groups  []HTTPErrGroup `json:"groups" v:"max=1000"` // most frequent first
}

// HTTPErrGroup is one s-reason × s-queuename × sc-status × s-port of an
// HTTPERR log.
type HTTPErrGroup struct {
	Reason  string `json:"reason" v:"required,max=64"`  // s-reason: AppOffline, QueueFull, Timer_ConnectionIdle, …
	Queue   string `json:"queue,omitempty" v:"max=256"` // s-queuename, the application pool; "" when logged as "-"
	Status  int    `json:"status" v:"min=0,max=999"`    // sc-status; 0 when logged as "-"
	Port    int    `json:"port,omitempty" v:"min=0,max=65535"`
	Count   int64  `json:"count" v:"min=1"`
	Clients int64  `json:"clients" v:"min=0"`              // distinct c-ip (exact up to 64, then estimated)
	Example string `json:"example,omitempty" v:"max=2048"` // one cs-uri as logged
	First   Time   `json:"first" v:"required"`
	Last    Time   `json:"last" v:"required"`
}

// SDLogDigest is what the WSUS server's SoftwareDistribution.log (in
// %ProgramFiles%\Update Services\LogFiles) says: the problems WSUS itself
// logged, grouped by kind and component. probes/sdlog builds it from a raw
// log; it replaces the previous digest.
type SDLogDigest struct {
	File    string       `json:"file,omitempty" v:"max=255"`
	Lines   int64        `json:"lines" v:"min=0"`
	Skipped int64        `json:"skipped" v:"min=0"`
	First   Time         `json:"first" v:"required"`
	Last    Time         `json:"last" v:"required"`
	Issues  []SDLogIssue `json:"issues" v:"max=1000"` // most frequent first
}

// SDLogIssue is one kind of problem in a SoftwareDistribution.log, Count times
// between First and Last, with one message as logged.
type SDLogIssue struct {
	Kind      string `json:"kind" v:"required,enum=sdlog_issue"`
	Component string `json:"component,omitempty" v:"max=256"` // the logging class or thread name, as logged
	Count     int64  `json:"count" v:"min=1"`
	First     Time   `json:"first" v:"required"`
	Last      Time   `json:"last" v:"required"`
	Example   string `json:"example,omitempty" v:"max=8192,text"` // the first message of the kind, verbatim
	Detail    string `json:"detail,omitempty" v:"max=2048,text"`  // e.g. the upstream's answer to a failed sync
}

// Kinds of SoftwareDistribution.log issues.
const (
	SDLogSQLTimeout        = "sql_timeout"        // "Timeout expired" / SqlException -2 from SUSDB
	SDLogSQLDeadlock       = "sql_deadlock"       // SqlException 1205
	SDLogSQLUnavailable    = "sql_unavailable"    // cannot connect to SUSDB
	SDLogSOAPException     = "soap_exception"     // SoapException answered to a client or downstream
	SDLogSyncError         = "sync_error"         // a synchronization failed, with the upstream's answer
	SDLogInvalidParameters = "invalid_parameters" // InvalidParameters on client web service calls
	SDLogContentDownload   = "content_download"   // content file download failed
	SDLogOtherError        = "other_error"        // any other logged error or exception
)

// SDLogIssueKinds lists the kinds, for validation and documentation.
func SDLogIssueKinds() []string {
	return []string{SDLogSQLTimeout, SDLogSQLDeadlock, SDLogSQLUnavailable, SDLogSOAPException, SDLogSyncError,
		SDLogInvalidParameters, SDLogContentDownload, SDLogOtherError}
}
