package probes

import "time"

// ServerSummary is one server in the fleet list, read from summaries kept
// current at ingest (never computed from the client table per request).
type ServerSummary struct {
	Name         string       `json:"name"`
	URL          string       `json:"url"`
	Registered   bool         `json:"registered"` // probed by the dashboard
	Status       string       `json:"status" v:"enum=server_status"`
	LastReportAt *time.Time   `json:"last_report_at"`
	Clients      ClientCounts `json:"clients"`
	// RootCause is its first open finding in causal order (OrderFindings),
	// when that is a warning or worse: what to fix first.
	RootCause *FindingHead `json:"root_cause,omitempty"`
}

// ClientCounts summarises a server's computer targets. Stale and Never are
// the stale_report and never_reported gap categories, counted with them at
// the same moment (AgeBucket): the last status report is older than the
// stale threshold (default 7 days), or there is none, and nothing more
// specific explains it.
type ClientCounts struct {
	Total   int64      `json:"total"`
	Stale   int64      `json:"stale"`
	Never   int64      `json:"never"`
	Removed int64      `json:"removed"`
	Ages    ReportAges `json:"ages"`
}

// ReportAges is the histogram of how long ago the (not removed) clients last
// sent a status report, as of their gap classification (AgeBucket). Month,
// Quarter and Older together are the stale count; Never the never count.
type ReportAges struct {
	Day     int64 `json:"day"`     // under 1 day
	Week    int64 `json:"week"`    // 1 day to the stale threshold (7 days)
	Month   int64 `json:"month"`   // stale, up to 30 days
	Quarter int64 `json:"quarter"` // stale, 30 to 90 days
	Older   int64 `json:"older"`   // stale, over 90 days
	Never   int64 `json:"never"`
	// Explained are the clients a more specific gap category explains
	// (policy, server, URL, clone, statistics server), whatever their age.
	Explained int64 `json:"explained"`
}

// ServerState is the latest value of every section of one server, as the
// API returns it and as the rules evaluate it. A nil section was never
// collected; an empty one was collected and empty.
type ServerState struct {
	Name         string          `json:"name"`
	URL          string          `json:"url"`
	Registered   bool            `json:"registered"`
	Status       string          `json:"status" v:"enum=server_status"`
	LastReportAt *time.Time      `json:"last_report_at"`
	Server       *ServerInfo     `json:"server"`
	VDirChecks   []ObservedCheck `json:"vdir_checks"`
	VDirConfig   []VDirConfig    `json:"vdir_config"`
	AppPool      *AppPool        `json:"app_pool"`
	Services     []Service       `json:"services"`
	ACLs         []ACL           `json:"acls"`
	Events       []Event         `json:"events"`
	Sync         *Sync           `json:"sync"`
	Denials      *DenialDigest   `json:"denials"`                  // the latest Process Monitor capture
	IISLog       *IISLogSummary  `json:"iislog"`                   // the recent window of its IIS logs
	HTTPErr      *HTTPErrDigest  `json:"httperr"`                  // the latest HTTP.sys error log
	SDLog        *SDLogDigest    `json:"softwaredistribution_log"` // the latest SoftwareDistribution.log
	// Collector is the last run of the collector on the server (or of any
	// collector that could not collect): with an error, what the other
	// sections show is from earlier runs or missing, not a fact about the
	// server.
	Collector     *Collector   `json:"collector,omitempty"`
	ClientSummary ClientCounts `json:"client_summary"`
	// Gaps counts the server's clients per reporting-gap category (listed ones and
	// those it should list); GapCause is the server-wide finding its stale
	// clients are attributed to.
	Gaps          map[string]int64 `json:"gaps"`
	GapCause      string           `json:"gap_cause"`
	GapCauseTitle string           `json:"gap_cause_title"` // that finding's title, for people
	// ClientChecks is the clients' vantage: what their own checks of the
	// WSUS URLs saw, counted over the clients this server serves.
	ClientChecks []ClientCheckCount   `json:"client_checks"`
	Findings     []Finding            `json:"findings"`
	Collected    map[string]time.Time `json:"collected"` // section name → when it was collected
}

// ClientCheckCount is how many of a server's clients saw one vDir URL answer
// with one status and verdict in their latest report.
type ClientCheckCount struct {
	VDir    string    `json:"vdir"`
	URL     string    `json:"url"`
	Status  string    `json:"status"` // status.substatus; "-" without an HTTP answer
	Verdict string    `json:"verdict"`
	Clients int64     `json:"clients"`
	Example string    `json:"example"` // the client whose report last changed the count
	LastAt  time.Time `json:"last_at"` // when that report was collected
}

// ObservedCheck is a vDir check with where and when it was made: reachability
// from the server itself and from a client subnet are different facts.
type ObservedCheck struct {
	VDirCheck
	Vantage   string    `json:"vantage" v:"enum=vantage"`
	Origin    string    `json:"origin"` // the collector's host
	CheckedAt time.Time `json:"checked_at"`
}

// ClientRecord is one computer target on one server's list, with its history.
type ClientRecord struct {
	Client
	Server    string     `json:"server"`
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  time.Time  `json:"last_seen"`
	RemovedAt *time.Time `json:"removed_at"`
	Gap       string     `json:"gap"`        // its reporting-gap category, "" when none
	GapDetail string     `json:"gap_detail"` // why
}

// Section names as stored and as listed in ServerState.Collected.
const (
	SectionServer     = "server"
	SectionVDirChecks = "vdir_checks"
	SectionVDirConfig = "vdir_config"
	SectionAppPool    = "app_pool"
	SectionServices   = "services"
	SectionACLs       = "acls"
	SectionEvents     = "events"
	SectionSync       = "sync"
	SectionClients    = "clients"
	SectionDenials    = "denials"
	SectionIISLog     = "iislog"
	SectionHTTPErr    = "httperr"
	SectionSDLog      = "softwaredistribution_log"
	// SectionCollector is the server collector's last run: its name, host
	// and, when it could not collect, why (collector.error).
	SectionCollector = "collector"
)

// Client list filters of the API (?gap=). The diagnosis adds categories.
const (
	GapAll           = "all"
	GapStaleReport   = "stale_report"
	GapNeverReported = "never_reported"
	GapRemoved       = "removed"
)

// ClientQuery selects a page of one server's clients.
type ClientQuery struct {
	Server    string
	Gap       string        // one of the Gap constants; "" means all
	OlderThan time.Duration // with stale_report: only those whose last report is older; 0 means all of them
	Category  string        // a reporting-gap category the client is in; "" means any
	Search    string        // part of the name
	Sort      string        // "name" (default) or "last_report" (oldest first); "-" prefix reverses
	Cursor    string        // from the previous page's NextCursor
	Limit     int           // 1..1000; 0 means 100
}

// ClientPage is one page of clients; NextCursor is "" on the last page.
type ClientPage struct {
	Clients    []ClientRecord `json:"clients"`
	Total      int64          `json:"total"`
	NextCursor string         `json:"next_cursor"`
}
