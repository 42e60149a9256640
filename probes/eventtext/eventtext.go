// Package eventtext reads Windows events as administrators copy them: Event
// Viewer's "Copy details as text" (in English, German, French or Spanish,
// with or without its Event Xml), Get-WinEvent and Get-EventLog output as a
// list (Format-List) or as their default tables, and wevtutil qe /f:text —
// several events per paste, other sources mixed in — into probes.Event for a
// server's events section, each keeping its source.
package eventtext

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/localtime"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// Want is what this package reads, for refusals.
const Want = `event text: in Event Viewer select the events and use Copy > Copy details as text, or run Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='Windows Server Update Services'} -MaxEvents 50 | Format-List, or wevtutil qe Application /c:50 /rd:true /f:text`

// Formats.
const (
	FormatViewer   = "Event Viewer details"
	FormatWevtutil = "wevtutil /f:text"
	FormatPSList   = "PowerShell list"
	FormatWinEvent = "Get-WinEvent table"
	FormatEventLog = "Get-EventLog table"
	FormatXML      = "event XML"
)

// Options tune Parse.
type Options struct {
	// Location is the time zone the events' local times were written in;
	// nil reads them as UTC and says so. Times the text states in UTC
	// (Event Xml's SystemTime, a trailing Z) need none.
	Location *time.Location
	// Now dates events the text gives no date (a compact paste), and picks
	// the year of Get-EventLog's "Nov 20 09:10".
	Now time.Time
}

// Result is what the paste held.
type Result struct {
	Events   []probes.Event `json:"events"`
	Formats  []string       `json:"formats"`
	TimeZone string         `json:"time_zone"`
	Notes    []string       `json:"notes,omitempty"`
}

// Bounds of one paste: the events section holds at most maxEvents, each
// message at most maxMessage bytes.
const (
	maxEvents  = 5000
	maxMessage = 32768
	MaxBytes   = 64 << 20
)

// Parse reads event text. Text in which no event is found is refused with
// a *probes.ValidationError naming the line and what to send.
func Parse(r io.Reader, opt Options) (*Result, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	// Event text is read into records (an export's quoted message may span
	// lines): bounded well below what a log upload may be.
	t, err := textin.New(r, textin.Options{Want: Want, MaxBytes: MaxBytes})
	if err != nil {
		return nil, err
	}
	defer t.Close()
	p := &parser{t: t, opt: opt}
	head, err := t.Head(20)
	if err != nil {
		return nil, err
	}
	for _, l := range head {
		if strings.TrimSpace(l.Text) == "" {
			continue
		}
		if d, ok := exportHeader(l.Text); ok {
			for range l.N - 1 {
				t.Next() // blank lines before the header
			}
			if err := p.parseExport(t, d, l.N-1); err != nil {
				return nil, err
			}
			return p.finish()
		}
		break
	}
	var prev *textin.Line
	for t.Next() {
		l := t.Line()
		if prev != nil && tableRule(l.Text) && p.table == nil {
			p.startTable(*prev)
			prev = nil
			continue
		}
		if prev != nil {
			p.line(*prev)
		}
		prev = &l
		if len(p.records) > maxEvents {
			return nil, t.Refuse(l.N, "more than %d events: send fewer at a time", maxEvents)
		}
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	if prev != nil {
		p.line(*prev)
	}
	p.end()
	return p.finish()
}

// record is one event as read, before its time is resolved.
type record struct {
	format      string
	line        int64
	fields      map[string]string // canonical key → value
	message     []string
	stamp       *localtime.Stamp
	utc         *time.Time // from Event Xml's SystemTime
	inMsg       bool       // reading the description
	inXML       bool       // reading Event Xml (skipped but for its facts)
	size        int        // bytes of message so far
	msgCol      int        // PowerShell list: the column continuation lines start at
	xmlText     string     // event XML: the element whose text is being read
	xmlRendered bool       // event XML: RenderingInfo's Message was read
	yearless    bool       // Get-EventLog's "Nov 20 09:10"
}

type parser struct {
	t        *textin.Reader
	opt      Options
	cur      *record
	records  []*record
	formats  []string
	notes    []string
	table    *table
	source   string // "ProviderName: X" above a Get-WinEvent table
	orders   localtime.Orders
	first    int64
	firstT   string
	dayFirst bool // the labels are in a language that writes the day first
}

func (p *parser) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if !slices.Contains(p.notes, n) && len(p.notes) < 20 {
		p.notes = append(p.notes, n)
	}
}

// line handles one line of the paste.
func (p *parser) line(l textin.Line) {
	text := l.Text
	trim := strings.TrimSpace(text)
	if p.table != nil {
		if trim == "" {
			p.table = nil
			return
		}
		if p.table.row(p, l) {
			return
		}
		p.table = nil
	}
	if m := providerHeader(trim); m != "" {
		p.end()
		p.source = m
		return
	}
	c := p.cur
	// An event's XML (the Details tab's XML view, wevtutil /f:xml, ToXml()).
	if (strings.HasPrefix(trim, "<Event xmlns") || strings.HasPrefix(trim, "<Event>")) && (c == nil || !c.inXML) {
		p.start(FormatXML, l.N)
		c = p.cur
		c.inXML = true
	}
	// wevtutil: "Event[3]:" starts an event.
	if strings.HasPrefix(trim, "Event[") && strings.HasSuffix(trim, "]:") {
		p.start(FormatWevtutil, l.N)
		return
	}
	if c != nil && c.inXML {
		p.xmlLine(text)
		if strings.Contains(trim, "</Event>") {
			c.inXML = false
			if c.format == FormatXML {
				p.end()
			}
		}
		return
	}
	if key, value, ps, ok := p.label(text); ok {
		switch {
		case key == "xml":
			if c != nil {
				c.inMsg, c.inXML = false, true
			}
			return
		case c != nil && c.inMsg && c.format == FormatPSList && ps && !isIndented(text):
			c.inMsg = false // the properties after Message (Format-List *)
		case c != nil && c.inMsg && key != "logname":
			p.messageLine(text) // "Source: …" inside a description is text
			return
		}
		if c == nil || c.fields[key] != "" || (key == "logname" && len(c.fields) > 0 && c.format != FormatWevtutil) ||
			(c.format == FormatWevtutil && key == "logname" && c.fields["logname"] != "") {
			f := FormatViewer
			if ps {
				f = FormatPSList
			}
			p.start(f, l.N)
			c = p.cur
		}
		if ps && c.format == FormatViewer && len(c.fields) == 0 {
			c.format = FormatPSList
		}
		switch key {
		case "description", "message":
			c.inMsg = true
			if c.format == FormatPSList {
				c.msgCol = strings.Index(text, ":") + 2
			}
			if v := strings.TrimSpace(value); v != "" {
				c.message = append(c.message, v)
			}
			return
		}
		c.fields[key] = strings.TrimSpace(value)
		return
	}
	switch {
	case c != nil && c.inMsg:
		p.messageLine(text)
	case c != nil && c.format == FormatViewer && c.fields["id"] != "" && trim != "":
		// The compact layout: the message follows the Event ID line
		// without a Description label.
		c.inMsg = true
		p.messageLine(text)
	case trim == "":
	default:
		if p.first == 0 {
			p.first, p.firstT = l.N, trim
		}
	}
}

func isIndented(s string) bool { return s != "" && (s[0] == ' ' || s[0] == '\t') }

func (p *parser) messageLine(text string) {
	c := p.cur
	if c.format == FormatPSList && c.msgCol > 0 && len(text) >= c.msgCol && strings.TrimSpace(text[:c.msgCol]) == "" {
		text = text[c.msgCol:] // keep the message's own indentation ("   at …")
	}
	if len(c.message) < 400 && c.size < maxMessage {
		c.message = append(c.message, strings.TrimRight(text, " "))
		c.size += len(text) + 1
	}
}

func (p *parser) start(format string, n int64) {
	p.end()
	p.cur = &record{format: format, line: n, fields: map[string]string{}}
	if !slices.Contains(p.formats, format) {
		p.formats = append(p.formats, format)
	}
}

func (p *parser) end() {
	if p.cur != nil && (len(p.cur.fields) > 0 || p.cur.utc != nil) {
		p.records = append(p.records, p.cur)
	}
	p.cur = nil
}

// finish turns the records into events.
func (p *parser) finish() (*Result, error) {
	res := &Result{Formats: p.formats, Events: []probes.Event{}}
	loc := p.opt.Location
	if loc == nil {
		loc = time.UTC
		res.TimeZone = "UTC (assumed: the text shows local time without a time zone)"
	} else {
		res.TimeZone = "UTC" + localtime.Offset(loc, p.opt.Now)
	}
	for _, r := range p.records {
		if r.stamp == nil {
			if s, ok := localtime.ParseText(r.fields["date"]); ok {
				r.stamp = &s
			}
		}
		if r.stamp != nil {
			p.orders.Note(*r.stamp)
		}
	}
	order := p.orders.Decide()
	if p.dayFirst {
		order = p.orders.DecideOr(localtime.DMY)
	}
	allUTC := true
	for _, r := range p.records {
		ev, ok := p.event(r, order, loc)
		if !ok {
			continue
		}
		if r.utc == nil {
			allUTC = false
		}
		res.Events = append(res.Events, ev)
	}
	if allUTC {
		res.TimeZone = "UTC (stated in the text)"
	}
	if len(res.Events) == 0 {
		switch {
		case len(p.records) > 0:
			return nil, p.t.Refuse(p.records[0].line, "the text names no event ID or source: %s", Want)
		case p.first > 0:
			return nil, p.t.Refuse(p.first, "no event found (the line reads %.60q)", p.firstT)
		}
		return nil, p.t.Refuse(1, "no event found")
	}
	slices.SortStableFunc(res.Events, func(a, b probes.Event) int { return b.Time.Compare(a.Time.Time) })
	res.Notes = p.notes
	return res, nil
}

// event builds one event; records without an ID or a source are left out.
func (p *parser) event(r *record, order byte, loc *time.Location) (probes.Event, bool) {
	f := r.fields
	ev := probes.Event{Source: firstOf(f["source"], p.source)}
	idText := firstOf(f["id"], f["eventid"])
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil && f["instanceid"] != "" {
		id, err = strconv.ParseInt(f["instanceid"], 10, 64)
		id &= 0xffff // Get-EventLog's InstanceId carries severity bits above the ID
	}
	if err != nil || id < 0 {
		p.note("line %d: an event without an event ID was left out", r.line)
		return ev, false
	}
	ev.ID = int(id & 0xffff)
	ev.Source = expandSource(ev.Source)
	if ev.Source == "" {
		p.note("line %d: event %d names no source and was left out", r.line, ev.ID)
		return ev, false
	}
	switch {
	case r.utc != nil:
		ev.Time = probes.TimeOf(*r.utc)
	case r.stamp != nil:
		if tm, ok := r.stamp.Time(order, loc); ok {
			ev.Time = probes.TimeOf(tm)
		}
	}
	if ev.Time.IsZero() {
		ev.Time = probes.TimeOf(p.opt.Now)
		p.note("line %d: event %d shows no date; it is dated when it was sent", r.line, ev.ID)
	} else if r.yearless {
		y := p.opt.Now.Year()
		t := ev.Time.Time
		if t.AddDate(y-t.Year(), 0, 0).After(p.opt.Now.Add(24 * time.Hour)) {
			y--
		}
		ev.Time = probes.TimeOf(t.AddDate(y-t.Year(), 0, 0))
	}
	ev.Level = level(firstOf(f["level"], f["leveldisplayname"], f["entrytype"]))
	if ev.Level == "" {
		ev.Level = knownLevel(ev.Source, ev.ID)
		if ev.Level == "" {
			ev.Level = "Information"
			p.note("line %d: event %d shows no level; read as Information", r.line, ev.ID)
		}
	}
	ev.Message = strings.TrimSpace(strings.Join(trimBlank(r.message), "\n"))
	if len(ev.Message) > maxMessage {
		ev.Message = strings.ToValidUTF8(ev.Message[:maxMessage], "")
	}
	return ev, true
}

func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	return lines
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
