// Package wulog reads a Windows client's Windows Update log — the classic
// %windir%\WindowsUpdate.log (Windows 7 / 8.1, Server 2008 R2 – 2012 R2,
// tab-separated, or with its tabs turned to spaces by a paste) and the
// output of Get-WindowsUpdateLog (Windows 10 / Server 2016 and later, with
// yyyy/MM/dd or the machine's localised dates) — into what it says about
// WSUS: the server the agent used, each scan, status report and SelfUpdate
// check with its result and HRESULT, the last success of each, and proxy use.
package wulog

import (
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/localtime"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// Want is what this package reads, for refusals.
const Want = `a WindowsUpdate.log: %windir%\WindowsUpdate.log on Windows 7 / 8.1 / Server 2012 R2, or on Windows 10 / Server 2016 and later the file Get-WindowsUpdateLog writes to the desktop (not the .etl files)`

// Formats.
const (
	FormatClassic = "WindowsUpdate.log (Windows 7 / 8.1, Server 2008 R2 – 2012 R2)"
	FormatETW     = "Get-WindowsUpdateLog (Windows 10 / Server 2016 and later)"
)

// Options tune Parse.
type Options struct {
	// Location is the client's time zone, to read the log's local times in.
	// nil: the offset the log itself states (classic REPORT EVENT lines),
	// else UTC, said in the digest's TimeZone.
	Location *time.Location
	File     string
}

// Limits: a log of months holds thousands of scans; the digest keeps the
// last few of each operation and a bounded set of error kinds.
const (
	keepAttempts = 20
	maxErrors    = 200
	maxEntry     = 64 << 10
)

// fields are a log line's: date, time, PID, TID, component, message.
type fields struct {
	date, clock, ampm, tid, comp, msg string
}

// splitLine splits a log line at its white space (tabs in the classic log,
// spaces in Get-WindowsUpdateLog's and in pastes).
func splitLine(s string) (f fields, ok bool) {
	next := func() string {
		s = strings.TrimLeft(s, " \t")
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			w := s
			s = ""
			return w
		}
		w := s[:i]
		s = s[i:]
		return w
	}
	if f.date = next(); f.date == "" || f.date[0] < '0' || f.date[0] > '9' {
		return f, false
	}
	f.clock = next()
	pid := next()
	switch strings.ToUpper(strings.ReplaceAll(pid, ".", "")) {
	case "AM", "PM":
		f.ampm, pid = pid, next()
	}
	if !isDigits(pid) {
		return f, false
	}
	f.tid, f.comp = next(), next()
	if f.tid == "" || f.comp == "" || strings.TrimLeft(f.tid, "0123456789abcdefABCDEF") != "" {
		return f, false
	}
	f.msg = strings.TrimSpace(s)
	return f, true
}

// entry is one log line with the wrapped lines that continue it.
type entry struct {
	st        localtime.Stamp
	tid, comp string
	msg       string
	more      strings.Builder // wrapped lines continuing msg
	line      int64
	classic   bool
}

// Parse reads a Windows Update log. Input in which no line is a log line
// is refused with a *probes.ValidationError that says what it looks like.
func Parse(r io.Reader, opt Options) (*probes.WULogDigest, error) {
	t, err := textin.New(r, textin.Options{Want: Want})
	if err != nil {
		return nil, err
	}
	defer t.Close()
	p := newParser(opt)
	var cur *entry
	var before []textin.Line // lines before the first log line, for a refusal
	for t.Next() {
		l := t.Line()
		if f, ok := splitLine(l.Text); ok {
			if st, ok := localtime.Parse(f.date, f.clock, f.ampm); ok {
				if cur != nil {
					p.handle(cur)
				}
				cur = &entry{st: st, tid: f.tid, comp: f.comp, msg: f.msg, line: l.N,
					classic: strings.Count(f.clock, ":") == 3 && strings.Contains(f.date, "-")}
				continue
			}
		}
		text := strings.TrimSpace(l.Text)
		switch {
		case text == "":
		case cur != nil && cur.more.Len()+len(cur.msg) < maxEntry:
			// Every log line starts with a date: a line that does not is
			// the previous one, wrapped.
			cur.more.WriteString(" ")
			cur.more.WriteString(text)
			p.joined++
		case cur == nil && len(before) < 50:
			before = append(before, l)
		default:
			p.skipped++
		}
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		p.handle(cur)
	}
	if p.lines == 0 {
		return nil, refusal(t, before)
	}
	if p.undecoded == p.lines {
		return nil, t.Refuse(1, "the log could not be decoded (every line reads \"No Format Information found\"): run Get-WindowsUpdateLog on a machine with internet access (Windows 10 1607 and earlier need Microsoft's symbol server) and send what it writes")
	}
	d := p.finish()
	d.Lines = t.Lines()
	return d, nil
}

// refusal says what the text looks like instead.
func refusal(t *textin.Reader, lines []textin.Line) error {
	all := ""
	for _, l := range lines {
		all += l.Text + "\n"
	}
	first := int64(1)
	for _, l := range lines {
		if strings.TrimSpace(l.Text) != "" {
			first = l.N
			break
		}
	}
	switch {
	case strings.Contains(all, "Converting") && strings.Contains(strings.ToLower(all), "windowsupdate.log"):
		return t.Refuse(first, "this is what Get-WindowsUpdateLog prints while it works, not the log: send the WindowsUpdate.log file it wrote (on the desktop)")
	case strings.Contains(all, "GUID=") && strings.Contains(all, "No Format Information"):
		return t.Refuse(first, "the log could not be decoded (No Format Information found): run Get-WindowsUpdateLog on a machine with internet access (Windows 10 1607 and earlier need Microsoft's symbol server)")
	}
	return t.Refuse(first, "no line is a Windows Update log line (each starts with a date and a time, e.g. \"2015-03-10<TAB>10:20:29:524\" or \"2017/09/25 09:27:25.6512369\")")
}

// setting is a value the agent logged, before its time is resolved.
type setting struct {
	value string
	st    localtime.Stamp
	line  int64
}

type attempt struct {
	op     string
	st     localtime.Stamp
	ok     bool
	done   bool
	code   string
	line   int64
	detail string
}

type errGroup struct {
	op, code    string
	count       int64
	first, last localtime.Stamp
	http        int
	line        int64
	example     string
	incident    string // the last incident counted
}

type parser struct {
	opt               Options
	lines, skipped    int64
	joined, undecoded int64
	classic, etw      int64
	first, last       localtime.Stamp
	clientVersion     string
	server, status    *setting
	group, service    *setting
	proxy             *setting
	offset            *time.Location        // from the log
	open              map[string][]*attempt // by thread, innermost last
	pending           map[string][]pendingFail
	attempts          []*attempt
	errors            map[string]*errGroup
	order             []string // error keys, first seen first
	httpBy            map[string]int
	orders            localtime.Orders
}

func newParser(opt Options) *parser {
	return &parser{opt: opt, open: map[string][]*attempt{}, pending: map[string][]pendingFail{}, errors: map[string]*errGroup{}, httpBy: map[string]int{}}
}

// handle reads one log entry.
func (p *parser) handle(e *entry) {
	if e.more.Len() > 0 {
		e.msg += e.more.String()
		e.more.Reset()
	}
	p.lines++
	if p.lines == 1 {
		p.first = e.st
	}
	p.last = e.st
	if e.classic {
		p.classic++
	} else {
		p.etw++
	}
	p.orders.Note(e.st)
	if strings.HasPrefix(e.comp, "Unknown(") || strings.Contains(e.msg, "No Format Information found") {
		p.undecoded++
		return
	}
	p.read(e)
}

func (p *parser) set(dst **setting, value string, e *entry) {
	*dst = &setting{value: value, st: e.st, line: e.line}
}

// finish resolves the times and builds the digest.
func (p *parser) finish() *probes.WULogDigest {
	for _, tid := range slices.Sorted(maps.Keys(p.pending)) {
		p.flush(tid, "")
	}
	d := &probes.WULogDigest{File: p.opt.File, Undecoded: p.undecoded, ClientVersion: p.clientVersion,
		Attempts: []probes.WULogAttempt{}, Errors: []probes.WULogError{}}
	d.Format = FormatETW
	if p.classic > p.etw {
		d.Format = FormatClassic
	}
	loc := p.opt.Location
	switch {
	case loc != nil:
		d.TimeZone = "UTC" + localtime.Offset(loc, p.firstTime(loc))
	case p.offset != nil:
		loc = p.offset
		d.TimeZone = "UTC" + localtime.Offset(loc, p.firstTime(loc)) + " (stated in the log)"
	default:
		loc = time.UTC
		d.TimeZone = "UTC (assumed: the log writes local time without a time zone)"
	}
	order := p.orders.Decide()
	at := func(st localtime.Stamp) time.Time {
		t, _ := st.Time(order, loc)
		return t.UTC()
	}
	d.First, d.Last = at(p.first), at(p.last)
	conv := func(s *setting) *probes.WULogSetting {
		if s == nil {
			return nil
		}
		return &probes.WULogSetting{Value: truncate(s.value, 2048), At: at(s.st), Line: s.line}
	}
	d.Server, d.StatusServer, d.TargetGroup, d.Service, d.Proxy = conv(p.server), conv(p.status), conv(p.group), conv(p.service), conv(p.proxy)
	// The last keepAttempts of each operation, oldest first.
	kept := map[string]int{}
	var keep []*attempt
	for i := len(p.attempts) - 1; i >= 0; i-- {
		a := p.attempts[i]
		if kept[a.op] < keepAttempts {
			kept[a.op]++
			keep = append(keep, a)
		}
	}
	for i := len(keep) - 1; i >= 0; i-- {
		a := keep[i]
		d.Attempts = append(d.Attempts, probes.WULogAttempt{Operation: a.op, At: at(a.st), OK: a.ok, Code: a.code, Line: a.line, Detail: truncate(a.detail, 512)})
	}
	for i := len(p.order) - 1; i >= 0; i-- {
		g := p.errors[p.order[i]]
		d.Errors = append(d.Errors, probes.WULogError{Operation: g.op, Code: g.code, Count: g.count, First: at(g.first), Last: at(g.last),
			HTTPStatus: g.http, Line: g.line, Example: g.example})
	}
	sortErrors(d.Errors)
	return d
}

func (p *parser) firstTime(loc *time.Location) time.Time {
	t, _ := p.first.Time(p.orders.Decide(), loc)
	return t
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// IsLogLine reports whether text is a Windows Update log line (date, time,
// PID, TID, component): what content sniffing looks for.
func IsLogLine(text string) bool {
	f, ok := splitLine(text)
	if !ok {
		return false
	}
	_, ok = localtime.Parse(f.date, f.clock, f.ampm)
	return ok && !strings.HasPrefix(f.msg, "UTC") && f.comp != "UTC"
}
