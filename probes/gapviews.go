package probes

import (
	"strconv"
	"time"
)

// GapCount is how many of a server's clients are in one gap category, with
// a few examples, as the rules see it.
type GapCount struct {
	Category string      `json:"category"`
	Count    int64       `json:"count"`
	Samples  []GapSample `json:"samples"`
}

// GapSample is one client of a category and why it is there.
type GapSample struct {
	Name   string `json:"name"`
	Detail string `json:"detail"`
}

// FleetGaps is the fleet's client-reporting gaps by category (GET /api/v1/gaps).
type FleetGaps struct {
	Categories map[string]int64 `json:"categories"` // every category, 0 included
	Servers    []ServerGaps     `json:"servers"`
	// Unassigned counts computers whose policy names no fleet server.
	Unassigned map[string]int64 `json:"unassigned"`
}

// ServerGaps is one server's gaps; Cause is the server-wide finding its
// stale clients are attributed to ("" when none).
type ServerGaps struct {
	Server     string           `json:"server"`
	Categories map[string]int64 `json:"categories"`
	Cause      string           `json:"cause,omitempty"`
	CauseTitle string           `json:"cause_title,omitempty"` // that finding's title, for people
}

// GapQuery selects clients of one category.
type GapQuery struct {
	Category string
	Server   string // "" for the whole fleet
	Cursor   string
	Limit    int
}

// GapClient is one client in a gap, with the evidence.
type GapClient struct {
	Name       string     `json:"name"`
	Server     string     `json:"server,omitempty"` // the list it is on, or the server its policy names
	Category   string     `json:"category" v:"enum=gap"`
	Detail     string     `json:"detail"`
	Cause      string     `json:"cause,omitempty"`       // the rule of a server-wide finding that explains it
	CauseTitle string     `json:"cause_title,omitempty"` // and its title, for people
	Since      *time.Time `json:"since"`
	Listed     bool       `json:"listed"` // on the server's list (false: expected, not there)
	LastReport *time.Time `json:"last_report"`
	LastSync   *time.Time `json:"last_sync"`
	IP         string     `json:"ip,omitempty"`
	OS         string     `json:"os,omitempty"`
}

// GapPage is one page of gap clients.
type GapPage struct {
	Clients    []GapClient `json:"clients"`
	Total      int64       `json:"total"`
	NextCursor string      `json:"next_cursor"`
}

// FindingQuery selects open findings across the fleet.
type FindingQuery struct {
	Severity string
	Rule     string
	Server   string
}

// ServerFinding is an open finding with the server it is about.
type ServerFinding struct {
	Server string `json:"server"`
	Finding
}

// Saved client-side documents: what the API answers.
type (
	// ClientReceipt answers a client report: where it was filed.
	ClientReceipt struct {
		ID     string `json:"id"`
		Client string `json:"client"`
		Server string `json:"server"`           // the fleet server its WUServer names ("" when none)
		Gap    string `json:"gap,omitempty"`    // its gap category now, if any
		Detail string `json:"detail,omitempty"` // and why
	}
	// InventoryReceipt answers an inventory.
	InventoryReceipt struct {
		ID       string `json:"id"`
		Items    int    `json:"items"`
		Removed  int64  `json:"removed"` // items of the scope no longer in a complete snapshot
		Missing  int64  `json:"expected_missing"`
		Complete bool   `json:"complete"`
	}
)

// Plural writes a count with its noun the way every page and finding
// does: "1 client", "3 clients", "1,204 clients".
func Plural[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return FormatCount(int64(n)) + " " + many
}

// FormatCount writes a count the way every page, finding and fix does:
// with thousands separators ("12,345").
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
