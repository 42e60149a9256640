package probes

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseAge reads a duration the way WSUS admins write one: "7d", "36h",
// "90m" (any Go duration, plus whole days).
func ParseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("%q is not an age like 7d, 36h or 90m", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not an age like 7d, 36h or 90m", s)
	}
	return d, nil
}

// FormatAge renders a duration the way ParseAge reads it, in whole days when
// it is whole days.
func FormatAge(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}
