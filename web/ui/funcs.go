package ui

import (
	"strconv"
	"strings"
)

func itoa(n int) string { return strconv.Itoa(n) }

// badgeClass maps a status or severity to its class; anything unexpected
// is shown as unknown rather than trusted into the markup.
func badgeClass(s string) string {
	switch s {
	case "ok", "warning", "critical", "info":
		return "b-" + s
	}
	return "b-unknown"
}

// verdictClass maps a vDir verdict to its class.
func verdictClass(v string) string {
	switch v {
	case "ok", "warning", "fault":
		return "v-" + v
	}
	return "v-none"
}

// stripLabel summarises a strip for screen readers.
func stripLabel(cells []Cell) string {
	var ok, warn, fault, none int
	for _, c := range cells {
		switch c.Verdict {
		case "ok":
			ok++
		case "warning":
			warn++
		case "fault":
			fault++
		default:
			none++
		}
	}
	label := ""
	for _, p := range []struct {
		n    int
		what string
	}{{fault, " fault"}, {warn, " warning"}, {ok, " ok"}, {none, " not checked"}} {
		if p.n > 0 {
			if label != "" {
				label += ", "
			}
			label += itoa(p.n) + p.what
		}
	}
	return "vDirs: " + label
}

func i64toa(n int64) string { return strconv.FormatInt(n, 10) }

func joinComma(s []string) string { return strings.Join(s, ", ") }

func verdictLabel(v string) string {
	switch v {
	case "ok":
		return "OK"
	case "warning":
		return "Warning"
	case "fault":
		return "Fault"
	}
	return "not checked"
}

// plural: "1 event", "3 events".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return itoa(n) + " " + many
}
