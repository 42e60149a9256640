// Package notify delivers wsusfleet's notifications: it renders a
// probes.Notification for each kind of channel (a signed generic webhook,
// a Microsoft Teams Adaptive Card, Slack Block Kit, email over SMTP) and
// runs the dispatcher that drains the outbox with retries and back-off.
package notify

import (
	"net/url"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Link returns the page a message points to: the server's page, or for a
// fleet-wide threshold the gap's page; absolute when base (--public-url) is set.
func Link(base string, n probes.Notification) string {
	p := "/servers/" + url.PathEscape(n.Server)
	if n.Server == "" {
		p = "/gaps/" + url.PathEscape(n.Rule)
	}
	return strings.TrimSuffix(base, "/") + p
}

// textLines renders a notification as plain text, one fact per line: the
// email body, and the structure the cards follow.
func textLines(n probes.Notification) []string {
	var out []string
	where := n.Server
	if where == "" {
		where = "the fleet"
	}
	switch {
	case n.Test:
		out = append(out, "This is a test from wsusfleet: the channel works.")
	case n.Event == probes.EventResolved:
		out = append(out, "Resolved on "+where+": "+n.Title)
	case n.Reminder:
		out = append(out, "Still "+n.Severity+" on "+where+": "+n.Title)
	default:
		out = append(out, strings.ToUpper(n.Severity[:1])+n.Severity[1:]+" on "+where+": "+n.Title)
	}
	if n.Summary != "" {
		out = append(out, n.Summary)
	}
	if line := n.ExplainsLine(); line != "" {
		out = append(out, line)
	}
	if len(n.Evidence) > 0 && n.Event != probes.EventResolved {
		out = append(out, "", "Evidence:")
		for _, e := range n.Evidence {
			out = append(out, "  - "+evidenceLine(e))
		}
	}
	if n.Fix.Text != "" && n.Event != probes.EventResolved {
		out = append(out, "", "First step: "+n.Fix.Text)
		if n.Fix.Command != "" {
			out = append(out, "  "+n.Fix.Command)
		}
	}
	if n.URL != "" {
		out = append(out, "", "Details: "+n.URL)
	}
	out = append(out, "", "rule "+n.Rule+" · alert "+itoa(n.Alert)+" · event "+n.ID)
	return out
}

func evidenceLine(e probes.Evidence) string {
	s := e.Fact
	if e.Source != "" {
		s += " (" + e.Source + ")"
	}
	return s
}

func itoa(n int64) string {
	if n == 0 {
		return "-"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// severityColor is the accent of a message in the chat cards.
func severityColor(n probes.Notification) (teams, hex string) {
	switch {
	case n.Test:
		return "Accent", "#1757b8"
	case n.Event == probes.EventResolved:
		return "Good", "#2e7d32"
	case n.Severity == probes.SeverityCritical:
		return "Attention", "#c62828"
	}
	return "Warning", "#f5b400"
}
