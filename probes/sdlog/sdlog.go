// Package sdlog reads the WSUS server's own log, SoftwareDistribution.log
// (%ProgramFiles%\Update Services\LogFiles), into a probes.SDLogDigest: SQL
// timeouts, deadlocks and lost connections to SUSDB, SOAP exceptions
// answered to clients and downstream servers, failed synchronizations with
// the upstream's answer, InvalidParameters on client calls, failed content
// downloads, and any other error, each kind counted per component.
package sdlog

import (
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// Want is what this package reads, for refusals.
const Want = `the WSUS server's SoftwareDistribution.log (%ProgramFiles%\Update Services\LogFiles\SoftwareDistribution.log)`

// Bounds: the digest's issues, and one entry's text.
const (
	maxIssues  = 1000
	maxExample = 8192
	maxEntry   = 64 << 10
)

// Result is the digest and what was learnt reading it.
type Result struct {
	Digest probes.SDLogDigest `json:"digest"`
	Levels map[string]int64   `json:"levels"` // entries per level (Info, Warning, Error)
}

// entry is one log entry: "2026-11-20 08:00:34.567 UTC<TAB>Error<TAB>
// WsusService.9<TAB>Class.Method<TAB>message", with the stack trace lines
// that follow it.
type entry struct {
	at        time.Time
	level     string
	thread    string
	component string
	msg       strings.Builder
	line      int64
}

// Parse reads a SoftwareDistribution.log. Input with no entry is refused
// with a *probes.ValidationError naming the line and what it looks like.
func Parse(r io.Reader) (*Result, error) {
	t, err := textin.New(r, textin.Options{Want: Want})
	if err != nil {
		return nil, err
	}
	defer t.Close()
	p := &parser{issues: map[issueKey]*issue{}, levels: map[string]int64{}}
	var cur *entry
	var firstOther textin.Line
	for t.Next() {
		l := t.Line()
		if e, ok := parseEntry(l); ok {
			if cur != nil {
				p.handle(cur)
			}
			cur = e
			continue
		}
		switch {
		case strings.TrimSpace(l.Text) == "":
		case cur != nil:
			if cur.msg.Len() < maxEntry {
				cur.msg.WriteString("\n")
				cur.msg.WriteString(strings.TrimRight(l.Text, " "))
			}
		default:
			p.skipped++
			if firstOther.N == 0 {
				firstOther = l
			}
		}
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		p.handle(cur)
	}
	if p.lines == 0 {
		if firstOther.N == 0 {
			return nil, t.Refuse(0, "no log entry")
		}
		return nil, t.Refuse(firstOther.N, "not a SoftwareDistribution.log entry (the line reads %.60q): entries start with a UTC time and a level, e.g. \"2026-11-20 08:00:34.567 UTC<TAB>Error<TAB>WsusService.9<TAB>…\"",
			strings.TrimSpace(firstOther.Text))
	}
	return p.finish(), nil
}

// entryRe is an entry's head; the fields are tab-separated, or spaces once
// pasted.
var entryRe = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?)\s+UTC\s+(Info|Warning|Error|Verbose|Audit|Fatal)\s+(\S+)\s+(\S+)\s*(.*)$`)

func parseEntry(l textin.Line) (*entry, bool) {
	if len(l.Text) < 24 || l.Text[4] != '-' {
		return nil, false
	}
	m := entryRe.FindStringSubmatch(l.Text)
	if m == nil {
		return nil, false
	}
	at, err := time.Parse("2006-01-02 15:04:05.999999999", m[1]+" "+m[2])
	if err != nil || at.Year() < 1990 || at.Year() > 2200 {
		return nil, false
	}
	e := &entry{at: at, level: m[3], thread: m[4], component: m[5], line: l.N}
	e.msg.WriteString(m[6])
	return e, true
}

type issueKey struct{ kind, component string }

type issue struct {
	count       int64
	first, last time.Time
	example     string
	detail      string
}

type parser struct {
	issues      map[issueKey]*issue
	order       []issueKey
	levels      map[string]int64
	lines       int64
	skipped     int64
	first, last time.Time
	truncated   bool
}

// What SoftwareDistribution.log says when things go wrong.
var (
	reSQLTimeout  = regexp.MustCompile(`(?i)(Execution Timeout Expired|Timeout expired\.\s+The timeout period elapsed|The wait operation timed out)`)
	reDeadlock    = regexp.MustCompile(`(?i)was deadlocked on lock resources|deadlock victim`)
	reSQLDown     = regexp.MustCompile(`(?i)(network-related or instance-specific error occurred while establishing a connection to SQL Server|Cannot open database "?SUSDB|Login failed for user|A transport-level error has occurred|The underlying provider failed on Open|SQL Server does not exist or access denied)`)
	reSOAP        = regexp.MustCompile(`(?i)(SoapException|ThrowException: actor =)`)
	reErrorCode   = regexp.MustCompile(`ErrorCode=([A-Za-z]+)`)
	reSync        = regexp.MustCompile(`(?i)(CatalogSyncAgent|ServerSyncLib|SyncConfigUpdatesFromUSS|UssCommunicationError|Sync failed|ServerSyncProxy|ExecuteSyncProtocol)`)
	reContent     = regexp.MustCompile(`(?i)(ContentSyncAgent|Content file download failed|DownloadFileFailed|BITS job .*(failed|error)|ContentDownload)`)
	reUpstreamSay = regexp.MustCompile(`(?i)(The request failed with HTTP status |The remote server returned an error: |The underlying connection was closed: |Unable to connect to the remote server|The operation has timed out|The remote name could not be resolved: |Could not establish trust relationship|The request was aborted: )[^\n]*?(?:\.(?:\s|$)|$)`)
)

// kind decides what an entry is about; "" for entries that are no problem.
func kind(e *entry, msg string) string {
	switch {
	case reDeadlock.MatchString(msg):
		return probes.SDLogSQLDeadlock
	case reSQLTimeout.MatchString(msg) && strings.Contains(msg, "Sql"):
		return probes.SDLogSQLTimeout
	case reSQLDown.MatchString(msg):
		return probes.SDLogSQLUnavailable
	}
	if m := reErrorCode.FindStringSubmatch(msg); m != nil && strings.EqualFold(m[1], "InvalidParameters") {
		return probes.SDLogInvalidParameters
	}
	if e.level != "Error" && e.level != "Fatal" && e.level != "Warning" {
		return ""
	}
	switch {
	case reSync.MatchString(e.component) || reSync.MatchString(msg) && e.level != "Warning":
		if e.level == "Warning" {
			return ""
		}
		return probes.SDLogSyncError
	case reContent.MatchString(e.component) || reContent.MatchString(msg):
		if e.level == "Warning" {
			return ""
		}
		return probes.SDLogContentDownload
	case reSOAP.MatchString(msg):
		if m := reErrorCode.FindStringSubmatch(msg); m != nil && e.level == "Warning" && slices.Contains([]string{"InvalidCookie", "ConfigChanged", "CookieExpired", "InvalidAuthorizationCookie"}, m[1]) {
			return "" // a client renewing its cookie: normal
		}
		return probes.SDLogSOAPException
	case e.level == "Error" || e.level == "Fatal":
		return probes.SDLogOtherError
	}
	return ""
}

func (p *parser) handle(e *entry) {
	p.lines++
	p.levels[e.level]++
	if p.first.IsZero() || e.at.Before(p.first) {
		p.first = e.at
	}
	if e.at.After(p.last) {
		p.last = e.at
	}
	msg := e.msg.String()
	k := kind(e, msg)
	if k == "" {
		return
	}
	key := issueKey{kind: k, component: truncate(e.component, 256)}
	is := p.issues[key]
	if is == nil {
		if len(p.issues) >= maxIssues {
			p.truncated = true
			return
		}
		is = &issue{first: e.at, example: truncate(strings.TrimSpace(msg), maxExample)}
		p.issues[key] = is
		p.order = append(p.order, key)
	}
	is.count++
	if e.at.Before(is.first) {
		is.first = e.at
	}
	if e.at.After(is.last) {
		is.last = e.at
	}
	if k == probes.SDLogSyncError || k == probes.SDLogContentDownload {
		// The upstream's (or Microsoft Update's) answer, as the latest
		// failure gives it.
		if m := reUpstreamSay.FindString(msg); m != "" {
			is.detail = truncate(strings.TrimSpace(m), 2048)
		}
	}
	if k == probes.SDLogSOAPException || k == probes.SDLogInvalidParameters {
		if m := reErrorCode.FindStringSubmatch(msg); m != nil {
			is.detail = "ErrorCode=" + m[1]
		}
	}
}

func (p *parser) finish() *Result {
	d := probes.SDLogDigest{Lines: p.lines, Skipped: p.skipped, First: probes.TimeOf(p.first), Last: probes.TimeOf(p.last), Issues: []probes.SDLogIssue{}}
	for _, k := range p.order {
		is := p.issues[k]
		d.Issues = append(d.Issues, probes.SDLogIssue{Kind: k.kind, Component: k.component, Count: is.count, First: probes.TimeOf(is.first),
			Last: probes.TimeOf(is.last), Example: is.example, Detail: is.detail})
	}
	slices.SortStableFunc(d.Issues, func(a, b probes.SDLogIssue) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return b.Last.Compare(a.Last.Time)
	})
	return &Result{Digest: d, Levels: p.levels}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// IsEntry reports whether text starts a SoftwareDistribution.log entry:
// what content sniffing looks for.
func IsEntry(text string) bool {
	_, ok := parseEntry(textin.Line{Text: text})
	return ok
}
