package wsuscsv

import (
	"errors"
	"strings"
	"time"
)

// Day/month orders of d/m/yyyy dates.
const (
	DMY = "dmy"
	MDY = "mdy"
)

// neverBefore: WSUS writes DateTime.MinValue (0001-01-01) or SQL's
// 1753-01-01 for "never", and exports show 1970 epoch artefacts; nothing
// before 1990 is a real WSUS time (DESIGN §5).
const neverBefore = 1990

// stamp is one date as read, before the file's day/month order is known.
type stamp struct {
	t          time.Time // resolved already (ISO, day-first separators, never = zero)
	a, b, year int       // d/m or m/d components of a slash date still to resolve
	clock      time.Duration
	pending    bool
}

var errTwoDigitYear = errors.New("two-digit years are ambiguous")

// parseStamp reads the date forms Export-Csv writes in common locales:
// ISO 8601 (with or without offset), yyyy/MM/dd, d/M/yyyy or M/d/yyyy (order
// decided per file), d.M.yyyy and d-M-yyyy (always day first), each with an
// optional H:mm[:ss[.fffffff]] time and AM/PM marker. Times without an
// offset are UTC, as WSUS stores them.
func parseStamp(s string) (stamp, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return stamp{}, nil
	}
	if len(s) >= 10 && isDigits(s[:4]) && (s[4] == '-' || s[4] == '/') {
		return parseYearFirst(s)
	}
	date, rest, _ := strings.Cut(s, " ")
	date = strings.TrimSuffix(date, ",")
	sep := strings.IndexAny(date, "/.-")
	if sep < 0 {
		return stamp{}, errors.New("not a date")
	}
	var buf [4]string
	parts := split(date, func(c byte) bool { return c == date[sep] }, buf[:0])
	if len(parts) != 3 || !isDigits(parts[0]) || !isDigits(parts[1]) || !isDigits(parts[2]) || len(parts[0]) > 2 || len(parts[1]) > 2 {
		return stamp{}, errors.New("not a date")
	}
	if len(parts[2]) != 4 {
		if len(parts[2]) == 2 {
			return stamp{}, errTwoDigitYear
		}
		return stamp{}, errors.New("not a date")
	}
	a, b, year := atoi(parts[0]), atoi(parts[1]), atoi(parts[2])
	clock, err := parseClock(strings.TrimSpace(rest))
	if err != nil {
		return stamp{}, err
	}
	if year < neverBefore {
		return stamp{}, nil // never, whatever the order
	}
	st := stamp{a: a, b: b, year: year, clock: clock, pending: true}
	if date[sep] != '/' { // dotted and dashed dates are day first in every locale
		return st.resolve(DMY)
	}
	return st, nil
}

// parseYearFirst reads ISO 8601 and yyyy/MM/dd forms.
func parseYearFirst(s string) (stamp, error) {
	iso := strings.Replace(s, "/", "-", 2)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05",
		"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, iso); err == nil {
			if t.Year() < neverBefore {
				return stamp{}, nil
			}
			return stamp{t: t.UTC()}, nil
		}
	}
	// yyyy/MM/dd with a 12-hour clock (e.g. 2026/11/20 10:00:00 PM)
	date, rest, _ := strings.Cut(s, " ")
	var buf [4]string
	parts := split(date, func(c byte) bool { return c == '/' || c == '-' }, buf[:0])
	if len(parts) != 3 || !isDigits(parts[1]) || !isDigits(parts[2]) || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return stamp{}, errors.New("not a date")
	}
	clock, err := parseClock(strings.TrimSpace(rest))
	if err != nil {
		return stamp{}, err
	}
	year := atoi(parts[0])
	if year < neverBefore {
		return stamp{}, nil
	}
	st := stamp{a: atoi(parts[2]), b: atoi(parts[1]), year: year, clock: clock, pending: true}
	return st.resolve(DMY)
}

// parseClock reads "H:mm[:ss[.fffffff]] [AM|PM]" (also with . between
// hours and minutes, as Finnish writes); "" is midnight.
func parseClock(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	hm, marker, _ := strings.Cut(s, " ")
	marker = strings.TrimSpace(marker)
	if marker != "" && marker != "AM" && marker != "PM" { // a.m., p. m., pm
		marker = strings.ToUpper(strings.NewReplacer(".", "", " ", "").Replace(marker))
	}
	var buf [5]string
	parts := split(hm, func(c byte) bool { return c == ':' || c == '.' }, buf[:0])
	if len(parts) < 2 || len(parts) > 4 {
		return 0, errors.New("not a time")
	}
	for i, p := range parts {
		if !isDigits(p) || (i < 3 && len(p) > 2) || len(p) > 9 {
			return 0, errors.New("not a time")
		}
	}
	h, m, sec, frac := atoi(parts[0]), atoi(parts[1]), 0, time.Duration(0)
	if len(parts) > 2 {
		sec = atoi(parts[2])
	}
	if len(parts) > 3 { // fraction
		digits := (parts[3] + "000000000")[:9]
		frac = time.Duration(atoi(digits))
	}
	switch marker {
	case "":
	case "AM", "PM":
		if h < 1 || h > 12 {
			return 0, errors.New("not a 12-hour time")
		}
		h %= 12
		if marker == "PM" {
			h += 12
		}
	default:
		return 0, errors.New("unknown AM/PM marker")
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, errors.New("not a time")
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + frac, nil
}

// resolve fixes a slash date's order; false when the components do not fit it.
func (st stamp) resolve(order string) (stamp, error) {
	if !st.pending {
		return st, nil
	}
	day, month := st.a, st.b
	if order == MDY {
		day, month = st.b, st.a
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, st.year) {
		return stamp{}, errors.New("no such " + order + " date")
	}
	return stamp{t: time.Date(st.year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Add(st.clock)}, nil
}

// order says what a pending slash date tells about the file's order: DMY
// when the first number can only be a day, MDY when the second can only be
// a day, "" when it fits both the same way (3/3) and "?" when it is ambiguous.
func (st stamp) order() string {
	switch {
	case !st.pending || st.a == st.b:
		return ""
	case st.a > 12 && st.b <= 12:
		return DMY
	case st.b > 12 && st.a <= 12:
		return MDY
	case st.a > 12 && st.b > 12:
		return "" // fits neither; resolve reports it
	}
	return "?"
}

func daysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi reads up to nine digits that isDigits has checked.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s) && i < 9; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// split cuts s at every byte sep accepts, appending to dst (a caller's array,
// so the hot path does not allocate).
func split(s string, sep func(byte) bool, dst []string) []string {
	start := 0
	for i := 0; i < len(s); i++ {
		if sep(s[i]) {
			dst = append(dst, s[start:i])
			start = i + 1
		}
	}
	return append(dst, s[start:])
}
