package wulog

import (
	"strconv"
	"strings"
	"time"
)

// stamp is a log line's local date and time as written. Dates like 03/04/2026
// are read only once the whole log has said which order it uses.
type stamp struct {
	year, p1, p2 int // p1/p2: the two date parts in the order written
	order        byte
	clock        time.Duration // since midnight
}

// Date orders.
const (
	ymd       byte = 'y' // 2017/09/25, 2015-03-10
	dmy       byte = 'd' // 25.09.2017, 25-09-2017
	slashYear byte = 's' // 25/09/2017 or 09/25/2017: decided by the log
)

// parseStamp reads a date and a time field; ampm is "AM", "PM" or "".
// Accepted: 2015-03-10 and 2017/09/25 (year first), 25.09.2017 and
// 25-09-2017 (day first), 25/09/2017 or 09/25/2017 (decided by the log);
// 10:20:29:524 (classic), 09:27:25.6512369, 09:27:25,651, 9:27:25 with AM/PM.
func parseStamp(date, clock, ampm string) (stamp, bool) {
	var s stamp
	a, sep1, rest, ok := number(date)
	if !ok {
		return s, false
	}
	b, sep2, rest, ok := number(rest)
	if !ok {
		return s, false
	}
	c, _, rest, ok := number(rest)
	if !ok || sep1 != sep2 || (rest != "" && rest != ".") {
		return s, false
	}
	switch {
	case len(date) >= 4 && isDigits(date[:4]) && (sep1 == '-' || sep1 == '/' || sep1 == '.'):
		s.year, s.p1, s.p2, s.order = a, b, c, ymd
	case c >= 1000 && (sep1 == '.' || sep1 == '-'):
		s.year, s.p1, s.p2, s.order = c, a, b, dmy
	case c >= 1000 && sep1 == '/':
		s.year, s.p1, s.p2, s.order = c, a, b, slashYear
	default:
		return s, false
	}
	h, csep1, crest, ok := number(clock)
	if !ok || csep1 != ':' {
		return s, false
	}
	mi, csep2, crest, ok := number(crest)
	if !ok || csep2 != ':' {
		return s, false
	}
	sec, fsep, crest, ok := number(crest)
	if !ok || (fsep != 0 && fsep != ':' && fsep != '.' && fsep != ',') {
		return s, false
	}
	var frac time.Duration
	if fsep != 0 {
		if crest == "" || len(crest) > 9 || !isDigits(crest) {
			return s, false
		}
		if fsep == ':' {
			frac = time.Duration(atoi(crest)) * time.Millisecond // classic hh:mm:ss:fff
		} else {
			frac = time.Duration(atoi((crest + "000000000")[:9]))
		}
	}
	switch strings.ToUpper(strings.ReplaceAll(ampm, ".", "")) {
	case "PM":
		if h < 12 {
			h += 12
		}
	case "AM":
		if h == 12 {
			h = 0
		}
	}
	if h > 23 || mi > 59 || sec > 60 || s.year < 1990 || s.year > 2200 {
		return s, false
	}
	s.clock = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second + frac
	if s.order == slashYear && s.p1 > 12 && s.p2 > 12 {
		return s, false
	}
	if s.order != slashYear {
		if _, ok := s.resolve(0, time.UTC); !ok {
			return s, false
		}
	}
	return s, true
}

// number reads leading digits (at most 9) and the separator after them.
func number(s string) (n int, sep byte, rest string, ok bool) {
	i := 0
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == 0 {
		return 0, 0, s, false
	}
	if i < len(s) {
		return n, s[i], s[i+1:], true
	}
	return n, 0, "", true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// hint says which order a slash date can only be read in: dmy, 'm' for
// month first, or 0 when both fit.
func (s stamp) hint() byte {
	switch {
	case s.order != slashYear:
		return 0
	case s.p1 > 12:
		return dmy
	case s.p2 > 12:
		return 'm'
	}
	return 0
}

// resolve turns the stamp into a time in loc; slashOrder is dmy or 'm' for
// dates written with slashes and the year last.
func (s stamp) resolve(slashOrder byte, loc *time.Location) (time.Time, bool) {
	var month, day int
	switch s.order {
	case ymd:
		month, day = s.p1, s.p2
	case dmy:
		day, month = s.p1, s.p2
	default:
		if slashOrder == dmy {
			day, month = s.p1, s.p2
		} else {
			month, day = s.p1, s.p2
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	d := time.Date(s.year, time.Month(month), day, 0, 0, 0, 0, loc)
	if d.Day() != day {
		return time.Time{}, false // 31 April
	}
	return d.Add(s.clock), true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// fixedZone is the offset a classic log states (+0100).
func fixedZone(sign, hh, mm string) *time.Location {
	off := (atoi(hh)*60 + atoi(mm)) * 60
	if sign == "-" {
		off = -off
	}
	return time.FixedZone("", off)
}

func (s stamp) sameSecond(o stamp) bool {
	return s.year == o.year && s.p1 == o.p1 && s.p2 == o.p2 && s.clock/time.Second == o.clock/time.Second
}
