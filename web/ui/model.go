package ui

import (
	"strconv"
	"time"

	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Layout is what the frame of every page needs.
type Layout struct {
	Title   string
	Active  string // the nav entry of this page: see the Nav* constants
	Assets  Assets
	User    *User // nil: not signed in
	SignIn  bool  // offer a sign-in link (read auth on, or for admin pages)
	CSRF    string
	Refresh int // seconds between in-place refreshes of the live regions; 0 is off
	Version string
}

// Nav entries.
const (
	NavFleet     = "fleet"
	NavGaps      = "gaps"
	NavHierarchy = "hierarchy"
	NavTokens    = "tokens"
)

// Assets are the content-hashed URLs of the static files.
type Assets struct {
	CSS, JS, Icon string
}

// User is who is signed in: the token's name and scope.
type User struct {
	Name, Scope string
}

// Stamp is a point in time as pages show it: the UTC time (the local time
// once the script ran) and how long ago, worked out on the server.
type Stamp struct {
	At  time.Time
	Ago string
}

// NewStamp makes a Stamp of t as seen at now; the zero time stays zero.
func NewStamp(t time.Time, now time.Time) Stamp {
	if t.IsZero() {
		return Stamp{}
	}
	return Stamp{At: t.UTC(), Ago: Ago(now.Sub(t))}
}

// StampOf is NewStamp of a possibly absent time.
func StampOf(t *time.Time, now time.Time) Stamp {
	if t == nil {
		return Stamp{}
	}
	return NewStamp(*t, now)
}

// IsZero reports whether there is no time.
func (s Stamp) IsZero() bool { return s.At.IsZero() }

// Machine is the datetime attribute.
func (s Stamp) Machine() string { return s.At.Format(time.RFC3339) }

// UTC is the human text in UTC.
func (s Stamp) UTC() string { return s.At.Format("2006-01-02 15:04 UTC") }

// Ago renders an age the way admins say it: "just now", "12 min ago",
// "5 h ago", "3 d ago"; a time ahead is "in 2 h".
func Ago(d time.Duration) string {
	if d < 0 {
		return "in " + span(-d)
	}
	if d < time.Minute {
		return "just now"
	}
	return span(d) + " ago"
}

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " d"
}

// Link is a labelled internal link.
type Link struct {
	Label string
	Href  templ.SafeURL
}

// Chip is one choice of a filter, with the count it would show.
type Chip struct {
	Key     string
	Label   string
	Href    templ.SafeURL
	Count   string
	Current bool
}

// Column is a table header; Href is set when it sorts.
type Column struct {
	Label string
	Title string
	Href  templ.SafeURL
	Sort  string // "ascending", "descending" or "" (aria-sort)
	Num   bool
	Class string
}

// Command is a copyable command line; ID ties the copy button to it.
type Command struct {
	ID   string
	Text string
}

// Onboarding is the empty state that says how to send the first report.
type Onboarding struct {
	Token      Command
	Register   Command
	Curl       Command
	PowerShell Command
}

// Count formats a count with thousands separators, as findings do.
func Count(n int64) string { return probes.FormatCount(n) }

// Percent formats a share (0–1) as a whole percentage, "8 %"; a share
// above 0 never shows as "0 %".
func Percent(share float64) string {
	p := int64(share*100 + 0.5)
	if p == 0 && share > 0 {
		return "<1 %"
	}
	return probes.FormatCount(p) + " %"
}

// FindingID is the anchor of a finding on its server's page.
func FindingID(rule, subject string) string {
	id := "f-" + rule
	if subject != "" {
		id += "-" + slug(subject)
	}
	return id
}

// slug keeps letters and digits of s, the rest as "-".
func slug(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	return string(b)
}

// StatusLabel names a server status for people.
func StatusLabel(s string) string {
	switch s {
	case "ok":
		return "OK"
	case "warning":
		return "Warning"
	case "critical":
		return "Critical"
	case "info":
		return "Info"
	}
	return "Unknown"
}
