// Package localtime reads the dates and times Windows writes in the
// machine's culture — 2017/09/25, 25.09.2017, 25/09/2017 or 09/25/2017 with
// or without AM/PM, 2026-11-20T09:10:00.1234567Z — and decides, from a whole
// log or paste, which way an ambiguous d/m date reads.
package localtime

import (
	"fmt"
	"strings"
	"time"
)

// Stamp is a date and time as written, before its order is decided.
type Stamp struct {
	year, p1, p2 int // p1/p2: the two date parts in the order written
	order        byte
	clock        time.Duration // since midnight
	ampm         bool          // written with AM/PM (en-US and kin)
	utc          bool          // written with Z: not local time
}

// Orders of the date parts.
const (
	YMD byte = 'y' // 2017/09/25, 2015-03-10
	DMY byte = 'd' // 25.09.2017, 25-09-2017, or 25/09/2017 once decided
	MDY byte = 'm' // 09/25/2017 once decided
	// ambiguous is a date with slashes and the year last: DMY or MDY.
	ambiguous byte = 's'
)

// Parse reads a date field and a time field; ampm is "AM", "PM" (also "a.m.")
// or "". Times: 10:20:29:524 (WindowsUpdate.log), 09:27:25.6512369,
// 09:27:25,651, 9:27:25, 09:10.
func Parse(date, clock, ampm string) (Stamp, bool) {
	var s Stamp
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
		s.year, s.p1, s.p2, s.order = a, b, c, YMD
	case c >= 1000 && (sep1 == '.' || sep1 == '-'):
		s.year, s.p1, s.p2, s.order = c, a, b, DMY
	case c >= 1000 && sep1 == '/':
		s.year, s.p1, s.p2, s.order = c, a, b, ambiguous
	default:
		return s, false
	}
	if strings.HasSuffix(clock, "Z") {
		clock, s.utc = strings.TrimSuffix(clock, "Z"), true
	}
	h, csep1, crest, ok := number(clock)
	if !ok || csep1 != ':' {
		return s, false
	}
	mi, csep2, crest, ok := number(crest)
	if !ok || (csep2 != ':' && csep2 != 0) {
		return s, false
	}
	sec, fsep := 0, byte(0)
	if csep2 == ':' {
		if sec, fsep, crest, ok = number(crest); !ok || (fsep != 0 && fsep != ':' && fsep != '.' && fsep != ',') {
			return s, false
		}
	}
	var frac time.Duration
	if fsep != 0 {
		if crest == "" || len(crest) > 9 || !isDigits(crest) {
			return s, false
		}
		if fsep == ':' {
			frac = time.Duration(atoi(crest)) * time.Millisecond // WindowsUpdate.log's hh:mm:ss:fff
		} else {
			frac = time.Duration(atoi((crest + "000000000")[:9]))
		}
	}
	switch strings.ToUpper(strings.ReplaceAll(ampm, ".", "")) {
	case "PM":
		s.ampm = true
		if h < 12 {
			h += 12
		}
	case "AM":
		s.ampm = true
		if h == 12 {
			h = 0
		}
	case "":
	default:
		return s, false
	}
	if h > 23 || mi > 59 || sec > 60 || s.year < 1990 || s.year > 2200 {
		return s, false
	}
	s.clock = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second + frac
	if s.order == ambiguous && s.p1 > 12 && s.p2 > 12 {
		return s, false
	}
	if s.order != ambiguous {
		if _, ok := s.Time(0, time.UTC); !ok {
			return s, false
		}
	}
	return s, true
}

// ParseText reads "date time [AM|PM]" or an ISO 8601 "dateTtime[Z]" in
// one string, as event text shows it.
func ParseText(text string) (Stamp, bool) {
	text = strings.TrimSpace(text)
	if d, c, ok := strings.Cut(text, "T"); ok && len(d) == 10 && !strings.Contains(c, " ") {
		if i := strings.IndexAny(c, "+-"); i > 0 {
			return Stamp{}, false // an offset other than Z: not what Windows writes here
		}
		return Parse(d, c, "")
	}
	f := strings.Fields(text)
	switch len(f) {
	case 2:
		return Parse(f[0], f[1], "")
	case 3:
		return Parse(f[0], f[1], f[2])
	}
	return Stamp{}, false
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

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// SameSecond reports whether both stamps fall in the same second.
func (s Stamp) SameSecond(o Stamp) bool {
	return s.year == o.year && s.p1 == o.p1 && s.p2 == o.p2 && s.clock/time.Second == o.clock/time.Second
}

// Time is the stamp in loc (UTC for a stamp written with Z); order says
// how a d/m date with slashes reads (DMY or MDY).
func (s Stamp) Time(order byte, loc *time.Location) (time.Time, bool) {
	var month, day int
	switch s.order {
	case YMD:
		month, day = s.p1, s.p2
	case DMY:
		day, month = s.p1, s.p2
	default:
		if order == DMY {
			day, month = s.p1, s.p2
		} else {
			month, day = s.p1, s.p2
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	if s.utc {
		loc = time.UTC
	}
	d := time.Date(s.year, time.Month(month), day, 0, 0, 0, 0, loc)
	if d.Day() != day {
		return time.Time{}, false // 31 April
	}
	return d.Add(s.clock), true
}

// Orders collects what a log says about its d/m dates: a part above 12, AM/PM
// (en-US writes month first), and which reading keeps the lines in order.
type Orders struct {
	dmy, mdy, ampm   int
	dmyBack, mdyBack int
	prevD, prevM     time.Time
}

// Note counts one stamp's evidence.
func (o *Orders) Note(s Stamp) {
	if s.order != ambiguous {
		return
	}
	switch {
	case s.p1 > 12:
		o.dmy++
	case s.p2 > 12:
		o.mdy++
	}
	if s.ampm {
		o.ampm++
	}
	if t, ok := s.Time(DMY, time.UTC); ok {
		if t.Before(o.prevD) {
			o.dmyBack++
		}
		o.prevD = t
	}
	if t, ok := s.Time(MDY, time.UTC); ok {
		if t.Before(o.prevM) {
			o.mdyBack++
		}
		o.prevM = t
	}
}

// Decide is the order ambiguous dates read in: DMY or MDY.
func (o *Orders) Decide() byte { return o.DecideOr(MDY) }

// DecideOr is Decide with the order to take when nothing in the dates
// decides it (the labels' language may: French and German write day first).
func (o *Orders) DecideOr(fallback byte) byte {
	switch {
	case o.dmy > 0 && o.mdy == 0:
		return DMY
	case o.mdy > 0 && o.dmy == 0:
		return MDY
	case o.dmyBack < o.mdyBack:
		return DMY
	case o.mdyBack < o.dmyBack:
		return MDY
	case o.ampm > 0:
		return MDY
	}
	return fallback
}

// Mixed reports dates that fit neither order alone (a merged paste).
func (o *Orders) Mixed() bool { return o.dmy > 0 && o.mdy > 0 }

// FixedZone is an offset as logs state it: "+", "01", "00".
func FixedZone(sign, hh, mm string) *time.Location {
	off := (atoi(hh)*60 + atoi(mm)) * 60
	if sign == "-" {
		off = -off
	}
	return time.FixedZone("", off)
}

// Offset is loc's offset at t as "+01:00".
func Offset(loc *time.Location, t time.Time) string {
	_, off := t.In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s%02d:%02d", sign, off/3600, off%3600/60)
}
