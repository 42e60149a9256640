package ui

import (
	"context"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"
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

// stripLabel names every cell that is not OK, vDirs with the same answer
// together ("ClientWebService: 401.2 anonymous authentication is disabled,
// fault; 8 OK"), and counts the rest.
func stripLabel(cells []Cell) string {
	type group struct {
		names []string
		what  string
	}
	var groups []group
	ok, none := 0, 0
	for _, c := range cells {
		switch c.Verdict {
		case "ok":
			ok++
			continue
		case "warning", "fault":
		default:
			none++
			continue
		}
		what := c.Title + ", " + c.Verdict
		i := 0
		for i < len(groups) && groups[i].what != what {
			i++
		}
		if i == len(groups) {
			groups = append(groups, group{what: what})
		}
		groups[i].names = append(groups[i].names, c.VDir)
	}
	var parts []string
	for _, g := range groups {
		parts = append(parts, strings.Join(g.names, ", ")+": "+g.what)
	}
	if ok > 0 {
		parts = append(parts, itoa(ok)+" OK")
	}
	if none > 0 {
		parts = append(parts, itoa(none)+" not checked")
	}
	return "vDirs: " + strings.Join(parts, "; ")
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

// histHeight is a history slot's bar height by verdict: the worse, the
// taller, so the shape tells what the colour does.
func histHeight(verdict string) int {
	switch verdict {
	case "fault":
		return 14
	case "warning":
		return 10
	case "ok":
		return 6
	}
	return 2
}

// barGlyph marks a histogram bar's count with its state's glyph.
func barGlyph(class string) string {
	switch class {
	case "warn":
		return "!"
	case "crit":
		return "\u2715"
	case "never":
		return "?"
	}
	return ""
}

// evidenceShown: a finding lists its strongest evidence (the rules put it
// first) and folds the rest under "Show all".
const evidenceShown = 5

func firstN[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Host is a host name that breaks at its dots, never mid-label (not at its
// hyphens either): each label a nowrap span, a <wbr> after each dot.
func Host(name string) templ.Component { return host(name, true) }

// HostBreaks is Host without the spans, for the fleet table's 500 rows: it
// breaks at the dots first, and at a hyphen only when a label is too long.
func HostBreaks(name string) templ.Component { return host(name, false) }

func host(name string, spans bool) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		var b strings.Builder
		for i, part := range strings.SplitAfter(name, ".") {
			if i > 0 {
				b.WriteString("<wbr>")
			}
			if spans && len(part) <= 24 { // a longer label may break anywhere rather than overflow a phone
				b.WriteString(`<span class="hl">` + html.EscapeString(part) + "</span>")
			} else {
				b.WriteString(html.EscapeString(part))
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// histLabel says what a history strip shows: "last 24 h, half-hour slots: 2
// fault, 40 OK, 6 not checked".
func histLabel(cells []HistCell) string {
	n := map[string]int{}
	for _, c := range cells {
		n[c.Verdict]++
	}
	var parts []string
	for _, v := range []struct{ key, label string }{{"fault", "fault"}, {"warning", "warning"}, {"ok", "OK"}, {"", "not checked"}} {
		if n[v.key] > 0 {
			parts = append(parts, itoa(n[v.key])+" "+v.label)
		}
	}
	return "history, oldest first: " + strings.Join(parts, ", ")
}
