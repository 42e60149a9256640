package eventtext

import (
	"regexp"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes/localtime"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

var ruleRe = regexp.MustCompile(`^\s*-{2,}(\s+-{2,})+\s*$`)

func tableRule(s string) bool { return ruleRe.MatchString(s) }

// table is one of the default tables Get-WinEvent and Get-EventLog print.
// Their numbers are right-aligned into the column before, so rows are read
// by their words, not by the columns' positions.
type table struct {
	format string
}

func (p *parser) startTable(header textin.Line) {
	h := strings.Fields(header.Text)
	switch {
	case len(h) >= 3 && h[0] == "TimeCreated" && h[1] == "Id":
		p.table = &table{format: FormatWinEvent}
	case len(h) >= 5 && h[0] == "Index" && h[1] == "Time" && h[2] == "EntryType":
		p.table = &table{format: FormatEventLog}
	default:
		return
	}
	p.end()
}

// row reads one row; false when the line is not one.
func (t *table) row(p *parser, l textin.Line) bool {
	w := strings.Fields(l.Text)
	switch t.format {
	case FormatWinEvent:
		// 11/20/2026 9:10:00 AM   12072 Error   The WSUS content directory…
		for i := 2; i+1 < len(w) && i <= 4; i++ {
			lv := level(w[i+1])
			if !isNumber(w[i]) || lv == "" {
				continue
			}
			st, ok := localtime.ParseText(strings.Join(w[:i], " "))
			if !ok {
				return false
			}
			p.start(FormatWinEvent, l.N)
			c := p.cur
			c.stamp = &st
			c.fields["id"], c.fields["level"], c.fields["source"] = w[i], lv, p.source
			c.message = []string{trimEllipsis(rest(l.Text, i+2))}
			p.end()
			return true
		}
	case FormatEventLog:
		//  48213 Nov 20 09:10  Error  Windows Server Upd...  12072 The WSUS content…
		if len(w) < 7 || !isNumber(w[0]) {
			return false
		}
		mon, ok := months[strings.ToLower(w[1])]
		lv := level(w[4])
		if !ok || lv == "" || !isNumber(w[2]) {
			return false
		}
		clock, err := time.Parse("15:04", w[3])
		if err != nil {
			return false
		}
		for i := 6; i < len(w); i++ {
			if !isNumber(w[i]) {
				continue
			}
			date := time.Date(p.opt.Now.Year(), mon, atoi(w[2]), 0, 0, 0, 0, time.UTC)
			st, ok := localtime.Parse(date.Format("2006-01-02"), clock.Format("15:04"), "")
			if !ok {
				return false
			}
			p.start(FormatEventLog, l.N)
			c := p.cur
			c.stamp, c.yearless = &st, true
			c.fields["instanceid"], c.fields["level"], c.fields["source"] = w[i], lv, strings.Join(w[5:i], " ")
			c.message = []string{trimEllipsis(rest(l.Text, i+1))}
			p.end()
			return true
		}
	}
	return false
}

// rest is the text after the first n words of s.
func rest(s string, n int) string {
	for range n {
		s = strings.TrimLeft(s, " \t")
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return ""
		}
		s = s[i:]
	}
	return strings.TrimSpace(s)
}

func trimEllipsis(s string) string {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "..."), "…")
	return strings.TrimSpace(s)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
