package wulog

import (
	"regexp"
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

var (
	dateYMD   = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	dateDMY   = regexp.MustCompile(`^(\d{1,2})[.-](\d{1,2})[.-](\d{4})\.?$`)
	dateSlash = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)
	// clockRe: 10:20:29:524 (classic), 09:27:25.6512369 (Get-WindowsUpdateLog),
	// 9:27:25 AM (en-US culture), 09:27:25,651 (some cultures).
	clockRe = regexp.MustCompile(`^(\d{1,2}):(\d{2}):(\d{2})(?:[:.,](\d{1,9}))?$`)
)

// parseStamp reads a date and a time field; ampm is "AM", "PM" or "".
func parseStamp(date, clock, ampm string) (stamp, bool) {
	var s stamp
	switch {
	case dateYMD.MatchString(date):
		m := dateYMD.FindStringSubmatch(date)
		s.year, s.p1, s.p2, s.order = atoi(m[1]), atoi(m[2]), atoi(m[3]), ymd
	case dateDMY.MatchString(date):
		m := dateDMY.FindStringSubmatch(date)
		s.year, s.p1, s.p2, s.order = atoi(m[3]), atoi(m[1]), atoi(m[2]), dmy
	case dateSlash.MatchString(date):
		m := dateSlash.FindStringSubmatch(date)
		s.year, s.p1, s.p2, s.order = atoi(m[3]), atoi(m[1]), atoi(m[2]), slashYear
	default:
		return s, false
	}
	m := clockRe.FindStringSubmatch(clock)
	if m == nil {
		return s, false
	}
	h, mi, sec := atoi(m[1]), atoi(m[2]), atoi(m[3])
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
	var frac time.Duration
	if f := m[4]; f != "" {
		if len(m[4]) == 3 && strings.Count(clock, ":") == 3 {
			frac = time.Duration(atoi(f)) * time.Millisecond // classic hh:mm:ss:fff
		} else {
			n, _ := strconv.Atoi((f + "000000000")[:9])
			frac = time.Duration(n)
		}
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
