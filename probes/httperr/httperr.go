// Package httperr reads HTTP.sys error logs (%windir%\System32\LogFiles\
// HTTPERR\httperr*.log), with or without their #Fields header, into a
// probes.HTTPErrDigest: the requests HTTP.sys answered itself, before IIS
// or WSUS saw them, grouped by reason, queue, status and port. "503
// AppOffline WsusPool" is direct evidence of a stopped or crashed pool.
package httperr

import (
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// Want is what this package reads, for refusals.
const Want = `an HTTP.sys error log (%windir%\System32\LogFiles\HTTPERR\httperr*.log)`

// Bounds: one log's groups, and the lines kept as examples of skipping.
const (
	maxGroups    = 1000
	exactClients = 64
	sketchBits   = 1 << 13
	keepSkipped  = 10
)

// The default layouts, for logs pasted without their #Fields line.
var (
	fieldsV1 = strings.Fields("date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename")
	fieldsV2 = strings.Fields("date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status s-siteid s-reason s-queuename")
	fieldsV3 = strings.Fields("date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status s-siteid s-reason s-queuename transport")
)

// Result is the digest and what was learnt reading it.
type Result struct {
	Digest       probes.HTTPErrDigest `json:"digest"`
	SkippedLines []int64              `json:"skipped_lines,omitempty"`
	Joined       []int64              `json:"joined_lines,omitempty"`
	Notes        []string             `json:"notes,omitempty"`
}

// layout maps the roles this package reads to field positions.
type layout struct {
	n                                       int
	date, time, cip, sport, uri, st, reason int
	queue                                   int
	source                                  string
}

func newLayout(fields []string, source string) (*layout, string) {
	l := &layout{n: len(fields), date: -1, time: -1, cip: -1, sport: -1, uri: -1, st: -1, reason: -1, queue: -1, source: source}
	for i, f := range fields {
		switch strings.ToLower(f) {
		case "date":
			l.date = i
		case "time":
			l.time = i
		case "c-ip":
			l.cip = i
		case "s-port":
			l.sport = i
		case "cs-uri":
			l.uri = i
		case "sc-status":
			l.st = i
		case "s-reason":
			l.reason = i
		case "s-queuename":
			l.queue = i
		}
	}
	var lacks []string
	for name, pos := range map[string]int{"date": l.date, "time": l.time, "s-reason": l.reason} {
		if pos < 0 {
			lacks = append(lacks, name)
		}
	}
	slices.Sort(lacks)
	return l, strings.Join(lacks, ", ")
}

// Parse reads an HTTPERR log. Input that holds no HTTPERR line is refused
// with a *probes.ValidationError naming the line and what it looks like.
func Parse(r io.Reader) (*Result, error) {
	t, err := textin.New(r, textin.Options{Want: Want})
	if err != nil {
		return nil, err
	}
	defer t.Close()
	p := &parser{t: t, groups: map[groupKey]*group{}}
	// A line cut by a wrap continues on lines that start neither with a
	// date nor with "#": they are held until the line is whole.
	var held []string
	var heldN int64
	flush := func() error {
		if held == nil {
			return nil
		}
		pieces, n := held, heldN
		held = nil
		if len(pieces) > 1 {
			p.res.Joined = append(p.res.Joined, n)
		}
		if strings.HasPrefix(pieces[0], "#") {
			err := p.directive(strings.Join(pieces, " "), n)
			if err != nil && len(pieces) > 1 {
				if p.directive(strings.Join(pieces, ""), n) == nil {
					return nil
				}
			}
			return err
		}
		text := strings.Join(pieces, " ")
		if !p.whole(text) && len(pieces) > 1 && p.whole(strings.Join(pieces, "")) {
			text = strings.Join(pieces, "") // cut inside a field, at the terminal's margin
		}
		p.data(textin.Line{N: n, Text: text})
		return nil
	}
	for t.Next() {
		l := t.Line()
		text := strings.TrimSpace(l.Text)
		switch {
		case text == "":
			if err := flush(); err != nil {
				return nil, err
			}
		case held != nil && !strings.HasPrefix(text, "#") && !looksDate(strings.Fields(text)[0]) && len(held) < 8:
			held = append(held, text)
		default:
			if err := flush(); err != nil {
				return nil, err
			}
			held, heldN = []string{text}, l.N
		}
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return p.finish()
}

type groupKey struct {
	reason, queue string
	status, port  int
}

type group struct {
	count       int64
	first, last time.Time
	example     string
	clients     map[uint64]struct{}
	sketch      []uint64 // linear-counting bitmap once clients pass exactClients
}

type parser struct {
	t         *textin.Reader
	res       Result
	lay       *layout
	groups    map[groupKey]*group
	order     []groupKey
	lines     int64
	skipped   int64
	first     time.Time
	last      time.Time
	firstText string // the first line that was not HTTPERR, for a refusal
	firstN    int64
	iis       bool
	truncated bool
}

func (p *parser) directive(text string, n int64) error {
	lower := strings.ToLower(text)
	switch {
	case strings.HasPrefix(lower, "#fields:"):
		fields := strings.Fields(text[len("#fields:"):])
		if slices.Contains(fields, "cs-uri-stem") || slices.Contains(fields, "sc-substatus") {
			p.iis = true
			return p.t.Refuse(n, "this #Fields line is an IIS log's (cs-uri-stem, sc-substatus), not HTTPERR's: send the IIS log as iislog")
		}
		l, lacks := newLayout(fields, fmt.Sprintf("the #Fields line %d", n))
		if lacks != "" {
			return p.t.Refuse(n, "the #Fields line lacks %s; HTTPERR logs have date time … s-reason s-queuename", lacks)
		}
		p.lay = l
	case strings.HasPrefix(lower, "#software:") && strings.Contains(lower, "internet information services"):
		p.iis = true
	}
	return nil
}

// whole reports whether text has the fields of a data line.
func (p *parser) whole(text string) bool {
	f := strings.Fields(text)
	if p.lay != nil {
		return len(f) == p.lay.n
	}
	return guessLayout(f) != nil
}

// data reads one data line.
func (p *parser) data(l textin.Line) {
	fields := strings.Fields(l.Text)
	lay := p.lay
	if lay == nil {
		lay = guessLayout(fields)
		if lay == nil {
			if p.lines == 0 && p.firstText == "" {
				p.firstText, p.firstN = strings.TrimSpace(l.Text), l.N
			}
			p.skip(l.N)
			return
		}
	}
	if len(fields) != lay.n {
		p.skip(l.N)
		return
	}
	at, err := time.Parse("2006-01-02 15:04:05", fields[lay.date]+" "+fields[lay.time])
	if err != nil || at.Year() < 1990 || at.Year() > 2200 {
		p.skip(l.N)
		return
	}
	k := groupKey{reason: fields[lay.reason]}
	if k.reason == "-" || len(k.reason) > 64 {
		p.skip(l.N)
		return
	}
	if lay.queue >= 0 && fields[lay.queue] != "-" {
		k.queue = fields[lay.queue]
	}
	if lay.st >= 0 {
		k.status, _ = strconv.Atoi(fields[lay.st])
		if k.status < 0 || k.status > 999 {
			k.status = 0
		}
	}
	if lay.sport >= 0 {
		k.port, _ = strconv.Atoi(fields[lay.sport])
		if k.port < 0 || k.port > 65535 {
			k.port = 0
		}
	}
	p.lines++
	if p.first.IsZero() || at.Before(p.first) {
		p.first = at
	}
	if at.After(p.last) {
		p.last = at
	}
	g := p.groups[k]
	if g == nil {
		if len(p.groups) >= maxGroups {
			p.truncated = true
			return
		}
		g = &group{first: at, clients: map[uint64]struct{}{}}
		if lay.uri >= 0 && fields[lay.uri] != "-" {
			g.example = truncate(fields[lay.uri], 2048)
		}
		p.groups[k] = g
		p.order = append(p.order, k)
	}
	g.count++
	if at.Before(g.first) {
		g.first = at
	}
	if at.After(g.last) {
		g.last = at
	}
	if g.example == "" && lay.uri >= 0 && fields[lay.uri] != "-" {
		g.example = truncate(fields[lay.uri], 2048)
	}
	if lay.cip >= 0 {
		g.addClient(fields[lay.cip])
	}
}

func (p *parser) skip(n int64) {
	p.skipped++
	if len(p.res.SkippedLines) < keepSkipped {
		p.res.SkippedLines = append(p.res.SkippedLines, n)
	}
}

// guessLayout picks a default layout by the field count and the reason
// field, for lines pasted without their #Fields line.
func guessLayout(fields []string) *layout {
	for _, def := range [][]string{fieldsV1, fieldsV2, fieldsV3} {
		if len(fields) != len(def) || !looksDate(fields[0]) {
			continue
		}
		l, _ := newLayout(def, "the default HTTPERR fields")
		if knownReason(fields[l.reason]) {
			return l
		}
	}
	return nil
}

func looksDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' && strings.Trim(s, "0123456789-") == ""
}

func (g *group) addClient(ip string) {
	h := fnv.New64a()
	h.Write([]byte(ip))
	sum := h.Sum64()
	if g.sketch == nil {
		g.clients[sum] = struct{}{}
		if len(g.clients) <= exactClients {
			return
		}
		g.sketch = make([]uint64, sketchBits/64)
		for c := range g.clients {
			g.mark(c)
		}
		g.clients = nil
		return
	}
	g.mark(sum)
}

func (g *group) mark(h uint64) {
	b := h % sketchBits
	g.sketch[b/64] |= 1 << (b % 64)
}

// distinct is the number of client addresses: exact up to exactClients,
// then estimated by linear counting.
func (g *group) distinct() int64 {
	if g.sketch == nil {
		return int64(len(g.clients))
	}
	zero := 0
	for _, w := range g.sketch {
		zero += 64 - popcount(w)
	}
	if zero == 0 {
		zero = 1
	}
	return int64(math.Round(-float64(sketchBits) * math.Log(float64(zero)/sketchBits)))
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func (p *parser) finish() (*Result, error) {
	if p.lines == 0 {
		switch {
		case p.iis:
			return nil, p.t.Refuse(1, "this is an IIS log (W3C), not an HTTPERR log: send it as iislog")
		case p.firstText != "":
			return nil, p.t.Refuse(p.firstN, "not an HTTPERR line (it reads %.60q): HTTPERR lines are date time c-ip c-port s-ip s-port cs-version cs-method cs-uri … sc-status s-siteid s-reason s-queuename", p.firstText)
		}
		return nil, p.t.Refuse(0, "no HTTPERR line: the log holds only its header (HTTP.sys logged nothing)")
	}
	d := &p.res.Digest
	d.Lines, d.Skipped, d.First, d.Last = p.lines, p.skipped, probes.TimeOf(p.first), probes.TimeOf(p.last)
	d.Groups = make([]probes.HTTPErrGroup, 0, len(p.order))
	for _, k := range p.order {
		g := p.groups[k]
		d.Groups = append(d.Groups, probes.HTTPErrGroup{Reason: k.reason, Queue: k.queue, Status: k.status, Port: k.port, Count: g.count,
			Clients: g.distinct(), Example: g.example, First: probes.TimeOf(g.first), Last: probes.TimeOf(g.last)})
	}
	slices.SortStableFunc(d.Groups, func(a, b probes.HTTPErrGroup) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	if p.truncated {
		p.res.Notes = append(p.res.Notes, fmt.Sprintf("more than %d kinds of error: the rarest were left out", maxGroups))
	}
	return &p.res, nil
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

// knownReason reports an s-reason HTTP.sys writes (the list Microsoft
// documents for the HTTP API error log).
func knownReason(s string) bool {
	if strings.HasPrefix(s, "Timer_") || strings.HasPrefix(s, "Connection_") || strings.HasPrefix(s, "SSL") || strings.HasPrefix(s, "Client") {
		return true
	}
	switch s {
	case "AppOffline", "AppPoolTimer", "AppShutdown", "BadRequest", "Client_Reset", "ConnLimit", "Connections_Refused", "Disabled",
		"EntityTooLarge", "FieldLength", "Forbidden", "Header", "Hostname", "Internal", "Invalid_CR/LF", "LengthRequired", "N/A", "N/I",
		"Number", "Precondition", "QueueFull", "RequestLength", "Unavailable", "URL", "URL_Length", "Verb", "Version", "Request_Cancelled":
		return true
	}
	return false
}

// IsLine reports whether text is an HTTPERR data line of a default layout:
// what content sniffing looks for.
func IsLine(text string) bool { return guessLayout(strings.Fields(text)) != nil }
