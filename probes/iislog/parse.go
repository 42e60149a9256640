package iislog

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Options bound the memory of one Parse; the zero value is right for any real
// WSUS log.
type Options struct {
	// MaxBuckets caps the vDir × status.substatus.win32 × hour combinations.
	// A log that needs more is refused: it is not one WSUS server's log of a
	// few weeks. 0 means probes.MaxIISLogBuckets, what a digest may hold.
	MaxBuckets int
	// MaxFaultClients caps the (fault, client IP) pairs counted for the top
	// client lists; requests from clients past it are counted as untracked.
	// 0 means 1,048,576 (every client of a 100,000-client server failing on
	// all nine vDirs fits).
	MaxFaultClients int
}

const (
	defaultMaxBuckets      = probes.MaxIISLogBuckets
	defaultMaxFaultClients = 1 << 20
	maxLineBytes           = 64 << 10 // longer lines are skipped, not buffered
	keepSkippedLines       = 10
)

// Parse reads an IIS W3C extended log (plain text, UTF-8 or ANSI, with or
// without BOM, LF or CRLF) and aggregates it. It fails with a *FormatError
// when the input is not such a log at all; malformed lines within a log are
// skipped and counted instead.
func Parse(r io.Reader) (*Summary, error) { return ParseWith(r, Options{}) }

// ParseWith is Parse with explicit limits.
func ParseWith(r io.Reader, o Options) (*Summary, error) {
	if o.MaxBuckets <= 0 {
		o.MaxBuckets = defaultMaxBuckets
	}
	if o.MaxFaultClients <= 0 {
		o.MaxFaultClients = defaultMaxFaultClients
	}
	p := &parser{agg: newAggregate(o), vdirs: newVDirIndex(), first: 1<<63 - 1, last: -1 << 63}
	br := bufio.NewReaderSize(r, maxLineBytes)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("iislog: reading: %w", err)
	}
	if ferr := sniff(head); ferr != nil {
		return nil, ferr
	}
	for {
		raw, err := br.ReadSlice('\n')
		if err != nil && errors.Is(err, bufio.ErrBufferFull) {
			p.line++
			if p.skip() {
				p.skipReason = fmt.Sprintf("line %d: longer than %d KiB", p.line, maxLineBytes>>10)
			}
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			raw = nil
		}
		if len(raw) > 0 {
			p.line++
			if ferr := p.handle(raw); ferr != nil {
				return nil, ferr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("iislog: reading line %d: %w", p.line+1, err)
		}
	}
	return p.finish()
}

// parser is the state of one Parse.
type parser struct {
	agg    *aggregate
	vdirs  *vdirIndex
	layout *layout // the active #Fields block; nil before the first one
	pos    spans
	posOf  *layout // the layout pos was filled for
	req    request

	line int64 // number of the line being read, 1-based

	// The date and time of the previous line, so each is parsed once.
	dayText    string
	day        int64
	clock      uint64 // the hh:mm:ss of hour and secs, 0 for none
	hour, secs int64

	lines, other, skipped int64
	skippedLines          []int64
	skipReason            string // the first one, for the error when nothing parses
	first, last           int64  // Unix seconds
}

var (
	bom        = []byte("\xef\xbb\xbf")
	fieldsName = []byte("#fields:")
)

func (p *parser) handle(raw []byte) *FormatError {
	line := raw
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	if len(line) == 0 {
		return nil
	}
	if c := line[0]; c > ' ' && c != '#' && c != '>' && c != bom[0] { // the common case
		return p.data(line)
	}
	line = bytes.TrimPrefix(line, bom) // also mid-stream, where logs were concatenated
	// A "> " markdown quote marker from a pasted excerpt: no IIS field starts
	// with '>', so nothing real is lost.
	if len(line) > 0 && line[0] == '>' {
		line = line[1:]
	}
	line = bytes.TrimLeft(line, " \t")
	if len(line) == 0 {
		return nil
	}
	if line[0] == '#' {
		if len(line) >= len(fieldsName) && bytes.EqualFold(line[:len(fieldsName)], fieldsName) {
			p.layout = fieldsDirectiveLayout(string(line[len(fieldsName):]), p.line)
		}
		// #Software, #Version, #Date, #Remark, #Start-Date, #End-Date: nothing
		// to aggregate.
		return nil
	}
	return p.data(line)
}

func (p *parser) data(line []byte) *FormatError {
	l := p.layout
	if l == nil {
		n := split(line, nil, nil)
		var ok bool
		if l, ok = defaultLayout(n); !ok {
			return refuse(p.line, "%d fields and no #Fields directive before it; a log without #Fields must have the "+
				"IIS 7.x default 14 fields or the IIS 8.5+ default 15 fields%s", n, notADate(line))
		}
	}
	if l.lacks != "" {
		return refuse(p.line, "%s lacks %s; wsusfleet needs date, time, cs-uri-stem and sc-status", l.source, l.lacks)
	}
	if p.posOf != l {
		p.pos, p.posOf = spans{}, l
	}
	if n := split(line, l.roles, &p.pos); n != len(l.roles) {
		if p.skip() {
			p.skipReason = fmt.Sprintf("line %d: %d fields where %s has %d", p.line, n, l.source, len(l.roles))
		}
		return nil
	}
	field := func(r role) []byte { return p.pos.field(line, r) }
	date := field(roleDate)
	if string(date) != p.dayText {
		day, ok := parseDate(date)
		if !ok {
			p.malformed("date", date)
			return nil
		}
		p.dayText, p.day = string(date), day
	}
	// A busy server logs many requests per second: reuse the last hh:mm:ss.
	if clock := field(roleTime); len(clock) != 8 || binary.LittleEndian.Uint64(clock) != p.clock {
		hour, secs, ok := parseClock(clock)
		if !ok {
			p.malformed("time", clock)
			return nil
		}
		p.hour, p.secs, p.clock = hour, secs, 0
		if len(clock) == 8 {
			p.clock = binary.LittleEndian.Uint64(clock)
		}
	}
	r := &p.req
	r.hour = p.day*24 + p.hour
	status, ok := number(field(roleStatus), 999)
	if !ok || status < 0 {
		p.malformed("sc-status", field(roleStatus))
		return nil
	}
	r.status = status
	if r.sub, ok = optional(field(roleSubstatus), 65535); !ok {
		p.malformed("sc-substatus", field(roleSubstatus))
		return nil
	}
	if r.win32, ok = optional(field(roleWin32), 1<<32-1); !ok {
		p.malformed("sc-win32-status", field(roleWin32))
		return nil
	}
	if r.timeTaken, ok = optional(field(roleTimeTaken), maxTimeTaken); !ok {
		p.malformed("time-taken", field(roleTimeTaken))
		return nil
	}
	r.ip = field(roleClientIP)
	if len(r.ip) == 1 && r.ip[0] == '-' {
		r.ip = nil
	} else if r.ip != nil && !validIP(r.ip) {
		p.malformed("c-ip", r.ip)
		return nil
	}
	r.wua = isWUA(field(roleUserAgent))

	ts := r.hour*3600 + p.secs
	r.ts = ts
	p.first, p.last = min(p.first, ts), max(p.last, ts)
	p.lines++
	if r.vdir = p.vdirs.lookup(field(roleStem)); r.vdir < 0 {
		p.other++
		return nil
	}
	if !p.agg.add(r) {
		return refuse(p.line, "more than %d distinct vDir × status × hour combinations; is this one WSUS server's log?", p.agg.maxBuckets)
	}
	return nil
}

// optional reads a numeric field that may be absent from #Fields or "-".
func optional(b []byte, max int64) (int64, bool) {
	if b == nil {
		return -1, true
	}
	return number(b, max)
}

// skip counts a malformed line and reports whether its reason is wanted (only
// the first one is kept, so junk costs no formatting).
func (p *parser) skip() bool {
	p.skipped++
	if len(p.skippedLines) < keepSkippedLines {
		p.skippedLines = append(p.skippedLines, p.line)
	}
	return p.skipReason == ""
}

func (p *parser) malformed(field string, value []byte) {
	if p.skip() {
		p.skipReason = fmt.Sprintf("line %d: %s %.40q is not valid", p.line, field, value)
	}
}

// notADate explains the usual reason a pasted line has the wrong number of
// fields: its date and time were replaced (KB articles write "*\<DateTime>*").
func notADate(line []byte) string {
	first, _, _ := bytes.Cut(line, []byte(" "))
	if _, ok := parseDate(first); ok {
		return ""
	}
	return fmt.Sprintf(" (its first field %.40q is not a yyyy-mm-dd date)", first)
}

func (p *parser) finish() (*Summary, error) {
	if p.lines == 0 {
		switch {
		case p.line == 0:
			return nil, refuse(0, "the input is empty")
		case p.skipped > 0:
			return nil, refuse(0, "no request line could be parsed: %d malformed lines skipped (first, %s)", p.skipped, p.skipReason)
		default:
			return nil, refuse(0, "no request lines, only directives")
		}
	}
	return p.summary(), nil
}
