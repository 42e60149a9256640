package wulog

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/localtime"
)

// What the agent logs, in both log generations (messages are English in
// every language of Windows).
var (
	reWSUSServer   = regexp.MustCompile(`(?i)^[*#]?\s*WSUS server:\s*(.+?)\s*$`)
	reStatusServer = regexp.MustCompile(`(?i)^[*#]?\s*WSUS status server:\s*(.+?)\s*$`)
	reTargetGroup  = regexp.MustCompile(`(?i)^[*#]?\s*Target group:\s*(.+?)\s*$`)
	reClientURL    = regexp.MustCompile(`(?i)(?:Got WSUS Client/Server URL:|Server URL =)\s*"?(https?://[^"\s,]+)`)
	reReportURL    = regexp.MustCompile(`(?i)reporting URL = (https?://[^\s,]+)`)
	reService      = regexp.MustCompile(`(?i)ServiceID = \{([0-9A-F-]{36})\}\s*(.*)$`)
	reAccessType   = regexp.MustCompile(`(?i)^Access type:\s*(.+)$`)
	reProxyList    = regexp.MustCompile(`(?i)Proxy List used:\s*<([^>]*)>`)
	reAutoProxy    = regexp.MustCompile(`(?i)Auto proxy settings for this web service call`)
	reVersion      = regexp.MustCompile(`(?i)(?:WU client version|Client version: Core:)\s*([\d.]+)`)
	reOffset       = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}([+-])(\d{2})(\d{2})\b`)

	reScanStart = regexp.MustCompile(`(?i)\*\*?\s*START\s*\*\*?\s*(?:Agent:\s*)?Finding updates`)
	reScanEnd   = regexp.MustCompile(`(?i)\*\*?\s*END\s*\*\*?\s*(?:Agent:\s*)?Finding updates`)
	reExitCode  = regexp.MustCompile(`(?i)Exit code = 0x([0-9A-F]{8})`)
	reFound     = regexp.MustCompile(`(?i)Found (\d+) updates and (\d+) categories in search`)
	reScanWords = regexp.MustCompile(`(?i)FindUpdates|Finding updates|Search|Sync`)
	reScanFail  = regexp.MustCompile(`(?i)(Failed to synchronize, error =|WU client failed Searching for update with error|Failed to find updates with error code|Search callback failed, result =)`)

	reReportOK   = regexp.MustCompile(`(?i)successfully uploaded (\d+) events`)
	reReportFail = regexp.MustCompile(`(?i)(Reporter failed to upload events|Reporting failed|failed to upload events|ReportEventBatch failed)`)
	reReportTry  = regexp.MustCompile(`(?i)Uploading (\d+) events`)

	reSelfStart = regexp.MustCompile(`(?i)Checking for agent SelfUpdate`)
	reSelfOK    = regexp.MustCompile(`(?i)SelfUpdate check completed|SelfUpdate is NOT required`)
	reSelfFail  = regexp.MustCompile(`(?i)SelfUpdate check failed|Wuident for SelfUpdate failed|SelfUpdate.*fail`)

	reDownloadFail = regexp.MustCompile(`(?i)(occurred while downloading update|Download failed|DownloadFileInternal failed)`)
	reInstallFail  = regexp.MustCompile(`(?i)(Installation Failure|Install call failed|Failed to install|Installation failed)`)

	// An HRESULT: 0x80244022, or bare after "hr =", "error =", "*FAILED* [".
	reHRESULT   = regexp.MustCompile(`(?i)\b0x([0-9A-F]{8})\b`)
	reBareHR    = regexp.MustCompile(`(?i)(?:hr\s*=|error\s*=|error code|err\s*=|failed:?|\[|result\s*=|PTError:|status\s*=)\s*([0-9A-F]{8})\b`)
	reHTTPCode  = regexp.MustCompile(`(?i)HTTP status code\s*(?:=\s*|')(\d{3})`)
	reSuccessHR = regexp.MustCompile(`(?i)^0x0+$`)
)

// read reads one entry's message.
func (p *parser) read(e *entry) {
	msg := e.msg
	// Most lines match nothing: cheap word tests keep the regular
	// expressions for the lines that may.
	lower := strings.ToLower(msg)
	has := func(w string) bool { return strings.Contains(lower, w) }
	if p.offset == nil && strings.HasPrefix(msg, "REPORT EVENT:") {
		if m := reOffset.FindStringSubmatch(msg); m != nil {
			p.offset = localtime.FixedZone(m[1], m[2], m[3])
		}
	}
	if f := p.pending[e.tid]; len(f) > 0 && (!f[0].e.st.SameSecond(e.st) || len(f) >= maxPending) {
		p.flush(e.tid, "")
	}
	if strings.HasPrefix(msg, "REPORT EVENT:") {
		return // an event queued for the server: it repeats a failure logged where it happened
	}
	if has(":") {
		switch {
		case has("status server:") && reStatusServer.MatchString(msg):
			p.set(&p.status, serverValue(reStatusServer.FindStringSubmatch(msg)[1]), e)
			return
		case has("wsus server:") && reWSUSServer.MatchString(msg):
			p.set(&p.server, serverValue(reWSUSServer.FindStringSubmatch(msg)[1]), e)
			return
		case has("target group:") && reTargetGroup.MatchString(msg):
			p.set(&p.group, reTargetGroup.FindStringSubmatch(msg)[1], e)
			return
		case has("access type:") && reAccessType.MatchString(msg):
			p.set(&p.proxy, "WinHTTP access type: "+reAccessType.FindStringSubmatch(msg)[1], e)
			return
		}
	}
	if has("version") {
		if m := reVersion.FindStringSubmatch(msg); m != nil {
			p.clientVersion = m[1]
		}
	}
	if has("url") {
		if m := reClientURL.FindStringSubmatch(msg); m != nil && p.server == nil {
			// The URL of a web service call names the server in use when
			// the log holds no settings block (an excerpt).
			p.set(&p.server, baseURL(m[1]), e)
		}
		if m := reReportURL.FindStringSubmatch(msg); m != nil && p.status == nil {
			p.set(&p.status, baseURL(m[1]), e)
		}
	}
	if has("serviceid =") {
		if m := reService.FindStringSubmatch(msg); m != nil {
			p.set(&p.service, serviceName(m[1], m[2]), e)
		}
	}
	if has("proxy") {
		if m := reProxyList.FindStringSubmatch(msg); m != nil {
			if v := strings.TrimSpace(m[1]); v != "" && v != "(null)" {
				p.set(&p.proxy, "proxy "+v, e)
			} else if p.proxy == nil {
				p.set(&p.proxy, "no proxy", e)
			}
		}
		if reAutoProxy.MatchString(msg) {
			p.set(&p.proxy, "automatic proxy detection (WPAD)", e)
		}
	}
	if has("http status code") {
		if m := reHTTPCode.FindStringSubmatch(msg); m != nil {
			p.httpBy[e.tid], _ = strconv.Atoi(m[1])
		}
	}
	switch {
	case has("finding updates") && reScanStart.MatchString(msg):
		p.start(probes.UpdateOpScan, e)
		return
	case has("finding updates") && reScanEnd.MatchString(msg):
		p.end(probes.UpdateOpScan, e)
		return
	case has("selfupdate") && reSelfStart.MatchString(msg):
		p.start(probes.UpdateOpSelfUpdate, e)
		return
	case has("selfupdate") && reSelfOK.MatchString(msg):
		p.succeed(probes.UpdateOpSelfUpdate, e)
		return
	case has("upload") && reReportOK.MatchString(msg):
		p.succeed(probes.UpdateOpReport, e)
		return
	case has("upload") && reReportTry.MatchString(msg):
		p.start(probes.UpdateOpReport, e)
		return
	case has("found ") && reFound.MatchString(msg):
		if a := p.opened(e.tid, probes.UpdateOpScan); a != nil {
			a.detail = strings.TrimSpace(msg)
		}
		return
	}
	if has("exit code") && strings.EqualFold(e.comp, "Agent") {
		if m := reExitCode.FindStringSubmatch(msg); m != nil {
			if a := p.opened(e.tid, probes.UpdateOpScan); a != nil {
				if reSuccessHR.MatchString("0x" + m[1]) {
					a.ok = true
				} else {
					p.fail(a, "0x"+strings.ToUpper(m[1]), e)
				}
			}
			return
		}
	}
	if !has("warning") && !has("fatal") && !has("fail") && !has("error") {
		return
	}
	code := hresult(msg)
	if code == "" {
		return
	}
	op, sure := p.operation(e)
	if !sure {
		// The protocol talker fails the same way for a scan and for a
		// status report: the next lines of its thread say which.
		p.pending[e.tid] = append(p.pending[e.tid], pendingFail{e: *e, code: code, op: op})
		return
	}
	p.flush(e.tid, op)
	p.failAs(op, code, e)
}

// maxPending bounds the failing lines a thread may hold back.
const maxPending = 64

// pendingFail is a failing line whose operation the thread has not said yet.
type pendingFail struct {
	e        entry
	code, op string
}

// flush settles a thread's pending failures as op ("" for their own guess).
func (p *parser) flush(tid, op string) {
	for _, f := range p.pending[tid] {
		if op != "" {
			f.op = op
		}
		p.failAs(f.op, f.code, &f.e)
	}
	delete(p.pending, tid)
}

// failAs records a failure of op, in the attempt open on its thread or in
// one of its own (a failure outside any START/END block: an excerpt, or the
// AU and Report components).
func (p *parser) failAs(op, code string, e *entry) {
	a := p.opened(e.tid, op)
	if a == nil {
		a = p.attemptAt(op, e)
	}
	p.fail(a, code, e)
}

// operation decides what a failing line is about: its words, the attempt
// open on its thread, its component. sure is false for a guess the thread's
// next lines may correct.
func (p *parser) operation(e *entry) (op string, sure bool) {
	msg, comp := e.msg, strings.ToLower(e.comp)
	lower := strings.ToLower(msg)
	switch {
	case reSelfFail.MatchString(msg), strings.Contains(lower, "wuident"):
		return probes.UpdateOpSelfUpdate, true
	case reReportFail.MatchString(msg), comp == "report" || comp == "reporter":
		return probes.UpdateOpReport, true
	case reScanFail.MatchString(msg), reScanWords.MatchString(msg) && !strings.Contains(lower, "report"):
		return probes.UpdateOpScan, true
	case reDownloadFail.MatchString(msg), comp == "dnldmgr" || comp == "downloadmanager":
		if p.opened(e.tid, probes.UpdateOpSelfUpdate) != nil {
			return probes.UpdateOpSelfUpdate, true
		}
		return probes.UpdateOpDownload, true
	case reInstallFail.MatchString(msg), comp == "handler" || comp == "cbs":
		return probes.UpdateOpInstall, true
	}
	if st := p.open[e.tid]; len(st) > 0 {
		return st[len(st)-1].op, true
	}
	switch comp {
	case "setup":
		return probes.UpdateOpSelfUpdate, true
	case "pt", "protocoltalker", "webservices", "misc":
		return probes.UpdateOpScan, false
	case "agent", "au", "auclnt":
		return probes.UpdateOpScan, true
	}
	return probes.UpdateOpOther, true
}

// hresult finds the error code of a failing line, as 0x + 8 upper-case hex
// digits; "" when there is none (or it is S_OK).
func hresult(msg string) string {
	for _, m := range reHRESULT.FindAllStringSubmatch(msg, -1) {
		if isError(m[1]) {
			return "0x" + strings.ToUpper(m[1])
		}
	}
	for _, m := range reBareHR.FindAllStringSubmatch(msg, -1) {
		if isError(m[1]) {
			return "0x" + strings.ToUpper(m[1])
		}
	}
	return ""
}

// isError: an HRESULT with the severity bit set (0x8…, 0xC…).
func isError(h string) bool {
	return len(h) == 8 && strings.ContainsRune("89ABCDEFabcdef", rune(h[0]))
}

// start opens an attempt on the entry's thread; attempts nest (a scan
// checks SelfUpdate first).
func (p *parser) start(op string, e *entry) {
	if len(p.pending[e.tid]) > 0 {
		p.flush(e.tid, op)
	}
	if op == probes.UpdateOpReport && p.opened(e.tid, op) != nil {
		return // "Uploading" again: the same attempt
	}
	a := p.attemptAt(op, e)
	if p.opened(e.tid, op) != a {
		p.open[e.tid] = append(p.open[e.tid], a)
	}
}

// opened is the innermost open attempt of op on a thread.
func (p *parser) opened(tid, op string) *attempt {
	st := p.open[tid]
	for i := len(st) - 1; i >= 0; i-- {
		if st[i].op == op {
			return st[i]
		}
	}
	return nil
}

// attemptAt finds the attempt of op logged in the same second (a failure
// cascades over many lines and threads), or adds one.
func (p *parser) attemptAt(op string, e *entry) *attempt {
	for i := len(p.attempts) - 1; i >= 0 && i >= len(p.attempts)-8; i-- {
		a := p.attempts[i]
		if a.op == op && a.st.SameSecond(e.st) {
			return a
		}
	}
	a := &attempt{op: op, st: e.st, line: e.line}
	p.attempts = append(p.attempts, a)
	if len(p.attempts) > 20*keepAttempts {
		p.compact()
	}
	return a
}

// compact keeps the last keepAttempts of each operation and any still open.
func (p *parser) compact() {
	kept := map[string]int{}
	open := map[*attempt]bool{}
	for _, st := range p.open {
		for _, a := range st {
			open[a] = true
		}
	}
	var keep []*attempt
	for i := len(p.attempts) - 1; i >= 0; i-- {
		a := p.attempts[i]
		if kept[a.op] < keepAttempts || open[a] {
			kept[a.op]++
			keep = append(keep, a)
		}
	}
	slices.Reverse(keep)
	p.attempts = keep
}

// end closes op's attempt on the thread, and what it opened inside.
func (p *parser) end(op string, e *entry) {
	st := p.open[e.tid]
	for i := len(st) - 1; i >= 0; i-- {
		if st[i].op != op {
			continue
		}
		a := st[i]
		if a.code == "" {
			a.ok = true // an END without an error code: it completed
		}
		for _, inner := range st[i:] {
			inner.done = true
		}
		p.open[e.tid] = st[:i]
		return
	}
}

func (p *parser) succeed(op string, e *entry) {
	p.flush(e.tid, "")
	a := p.opened(e.tid, op)
	if a == nil {
		a = p.attemptAt(op, e)
	}
	if a.code == "" {
		a.ok = true
	}
	a.detail = strings.TrimSpace(e.msg)
	p.end(op, e)
	a.done = true
}

// fail records that an attempt failed with code, and counts the error once
// per attempt (a failure cascades over many lines).
func (p *parser) fail(a *attempt, code string, e *entry) {
	if a.code == "" {
		a.code = code
		a.ok = false
		a.detail = strings.TrimSpace(e.msg)
	}
	key := a.op + " " + code
	g := p.errors[key]
	if g == nil {
		if len(p.errors) >= maxErrors {
			return
		}
		g = &errGroup{op: a.op, code: code, first: e.st}
		p.errors[key] = g
		p.order = append(p.order, key)
	} else {
		// Most recent last in order: move it to the end.
		if i := slices.Index(p.order, key); i >= 0 {
			p.order = append(append(p.order[:i:i], p.order[i+1:]...), key)
		}
	}
	incident := strconv.FormatInt(a.line, 10)
	if g.incident != incident {
		g.count++
		g.incident = incident
	}
	g.last, g.line = e.st, e.line
	g.example = truncate(strings.TrimSpace(e.msg), 2000)
	if h := p.httpBy[e.tid]; h != 0 {
		g.http = h
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xc0) == 0x80 {
		n--
	}
	return s[:n]
}

// serverValue keeps a logged server setting: a URL, or <NULL>.
func serverValue(v string) string {
	if strings.EqualFold(strings.Trim(v, "<>()"), "null") || v == "" {
		return probes.WULogNull
	}
	return v
}

// baseURL is scheme://host:port of a web service URL.
func baseURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// Well-known update service IDs.
var services = map[string]string{
	"3da21691-e39d-4da6-8a4b-b43877bcb1b7": "WSUS (Managed)",
	"9482f4b4-e343-43b6-b170-9a65bc822c77": "Windows Update",
	"7971f918-a847-4430-9279-4a52d1efe18d": "Microsoft Update",
	"855e8a7c-ecb4-4ca3-b045-1dfa50104289": "Microsoft Store",
	"8b24b027-1dee-babb-9a95-3517dfb9c552": "DCat Flighting (Windows Insider)",
}

func serviceName(id, rest string) string {
	if n, ok := services[strings.ToLower(id)]; ok {
		return n
	}
	rest = strings.TrimSpace(rest)
	if strings.EqualFold(rest, "Managed") || strings.EqualFold(rest, "Third party") {
		return "WSUS (" + rest + ")"
	}
	return strings.TrimSpace("{" + id + "} " + rest)
}

func sortErrors(es []probes.WULogError) {
	slices.SortStableFunc(es, func(a, b probes.WULogError) int { return b.Last.Compare(a.Last) })
}
