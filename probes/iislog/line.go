package iislog

import (
	"encoding/binary"
	"math/bits"
)

// Hand-written scanning of one data line: strings.Fields, strconv and
// time.Parse per line would cost more than the rest of the parser together.

// span locates one token of a line; a zero end means the field is absent
// (tokens are never empty).
type span struct{ start, end int32 }

// spans locates the tokens of one data line that the parser uses, by role.
// Offsets rather than slices keep split's stores small.
type spans [numRoles]span

// field returns the token of role r, or nil when the layout has no such field.
func (s *spans) field(line []byte, r role) []byte {
	sp := s[r]
	if sp.end == 0 {
		return nil
	}
	return line[sp.start:sp.end]
}

// split cuts line at runs of blanks (space, tab, or any other control
// character: pasted excerpts carry trailing and doubled spaces, while IIS
// itself writes "-" for an empty field), records the tokens whose role is not
// roleNone, and returns how many tokens there were.
//
// It works on eight bytes at a time: blanks marks the blank bytes of a word,
// and the loop visits only those, so the cost is per token, not per byte.
func split(line []byte, roles []role, pos *spans) int {
	n, start, base := 0, 0, 0
	for ; base+8 <= len(line); base += 8 {
		for m := blanks(binary.LittleEndian.Uint64(line[base:])); m != 0; m &= m - 1 {
			end := base + bits.TrailingZeros64(m)>>3
			if end > start {
				if n < len(roles) {
					pos[roles[n]] = span{int32(start), int32(end)}
				}
				n++
			}
			start = end + 1
		}
	}
	// The tail, padded with NULs, which are blanks and end the last token:
	// the line's last eight bytes shifted past those already seen.
	var tail uint64
	if len(line) >= 8 {
		tail = binary.LittleEndian.Uint64(line[len(line)-8:]) >> (8 * (8 - (len(line) - base)))
	} else {
		for i := len(line) - 1; i >= 0; i-- {
			tail = tail<<8 | uint64(line[i])
		}
	}
	for m := blanks(tail); m != 0; m &= m - 1 {
		end := base + bits.TrailingZeros64(m)>>3
		if end > start {
			if n < len(roles) {
				pos[roles[n]] = span{int32(start), int32(end)}
			}
			n++
		}
		if end >= len(line) {
			break
		}
		start = end + 1
	}
	return n
}

// blanks sets the high bit of each byte of x that is below 0x21. Adding 0x5f
// to the low seven bits of a byte sets its high bit when they are >= 0x21,
// without carrying into the next byte; a byte is blank when neither that nor
// its own high bit is set, so bytes >= 0x80 (UTF-8) never are.
func blanks(x uint64) uint64 {
	const low7, high = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	return ^((x&low7 + 0x5f5f5f5f5f5f5f5f) | x) & high
}

// parseDate reads yyyy-mm-dd and returns days since 1970-01-01. Dates before
// 1990 are refused, as DESIGN §5 refuses them in reports.
func parseDate(b []byte) (int64, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1990 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

// parseClock reads hh:mm:ss, optionally with a fraction that is ignored, and
// returns the hour and the seconds into the hour.
func parseClock(b []byte) (hour, secs int64, ok bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' || (len(b) > 8 && b[8] != '.') {
		return 0, 0, false
	}
	h, ok1 := digits(b[0:2])
	m, ok2 := digits(b[3:5])
	s, ok3 := digits(b[6:8])
	if len(b) > 8 {
		if _, ok := digits(b[9:]); !ok {
			return 0, 0, false
		}
	}
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || s > 59 {
		return 0, 0, false
	}
	return h, m*60 + s, true
}

// digits reads a short run of ASCII digits (at most 18, so it cannot overflow).
func digits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		c -= '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c)
	}
	return n, true
}

// number reads a decimal in [0, max]; "-" (not logged) gives -1.
func number(b []byte, max int64) (int64, bool) {
	if len(b) == 1 { // most substatus and win32 values: "0"
		if c := b[0] - '0'; c <= 9 && int64(c) <= max {
			return int64(c), true
		}
		return -1, b[0] == '-'
	}
	n, ok := digits(b)
	if !ok || n > max {
		return 0, false
	}
	return n, true
}

// validIP accepts the characters of an IPv4 or IPv6 address with a zone id
// ("fe80::1%11", "fe80::1%eth0"); c-ip is echoed into the summary, so junk is
// refused rather than passed on.
func validIP(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		if !ipChar[c] {
			return false
		}
	}
	return true
}

var ipChar = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:%-_[]") {
		t[c] = true
	}
	return t
}()

// isWUA reports whether a user agent is the Windows Update Agent's
// ("Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.50"), ignoring
// case. OR-ing 0x20 lower-cases letters; the only other byte it could map
// onto '-' is a control character, which split never leaves in a token.
func isWUA(ua []byte) bool {
	const lower = 0x2020202020202020
	if len(ua) < 20 {
		return false
	}
	return binary.LittleEndian.Uint64(ua)|lower == wua0 &&
		binary.LittleEndian.Uint64(ua[8:])|lower == wua1 &&
		binary.LittleEndian.Uint32(ua[16:])|lower>>32 == wua2
}

var (
	wua0 = binary.LittleEndian.Uint64([]byte("windows-"))
	wua1 = binary.LittleEndian.Uint64([]byte("update-a"))
	wua2 = binary.LittleEndian.Uint32([]byte("gent"))
)

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is Howard Hinnant's days_from_civil (any year >= 1).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
