package wsuscsv

import (
	"strconv"
	"strings"
)

// The IComputerTarget properties (DESIGN §7.7) this package reads, as
// Get-WsusComputer names them.
const (
	colID             = "Id"
	colName           = "FullDomainName"
	colIP             = "IPAddress"
	colOS             = "OSDescription"
	colClientVersion  = "ClientVersion"
	colLastSync       = "LastSyncTime"
	colLastSyncResult = "LastSyncResult"
	colLastReport     = "LastReportedStatusTime"
	colRequestedGroup = "RequestedTargetGroupName"
	colGroupIDs       = "ComputerTargetGroupIds"
)

var knownColumns = []string{colID, colName, colIP, colOS, colClientVersion, colLastSync, colLastSyncResult,
	colLastReport, colRequestedGroup, colGroupIDs}

// required columns, and why each cannot be done without.
var required = []struct{ name, why string }{
	{colName, "it names each computer"},
	{colLastReport, "without it every computer would look never reported"},
}

// perUpdateColumns suggest a per-update report (computer × update) rather
// than a list of every computer.
var perUpdateColumns = []string{"UpdateTitle", "KB", "KnowledgebaseArticles", "UpdateId", "ArrivalDate", "ErrorCode", "UpdateInstallationState"}

// columns maps each known column to its index in a row; -1 when absent.
type columns struct {
	index   map[string]int
	ignored []string // headers not used, as written
	notes   []string
}

func (c columns) at(name string) int {
	if i, ok := c.index[name]; ok {
		return i
	}
	return -1
}

// normColumn compares header names as PowerShell users write them: case,
// spaces, underscores and hyphens do not matter ("Full Domain Name").
func normColumn(s string) string {
	return strings.ToLower(columnNoise.Replace(strings.TrimSpace(s)))
}

var columnNoise = strings.NewReplacer(" ", "", "_", "", "-", "")

// parseHeader finds the columns by name. A missing required column is an
// error that names it and, when a header is a near miss, says so.
func parseHeader(header []string, line int) (columns, error) {
	c := columns{index: map[string]int{}}
	var unknown []string
	for i, h := range header {
		h = strings.TrimSpace(h)
		matched := false
		for _, k := range knownColumns {
			if normColumn(h) == normColumn(k) {
				if _, dup := c.index[k]; !dup {
					c.index[k] = i
				}
				matched = true
				break
			}
		}
		if !matched {
			unknown = append(unknown, h)
		}
	}
	var problems []string
	hinted := false
	for _, r := range required {
		if _, ok := c.index[r.name]; ok {
			continue
		}
		p := "no " + r.name + " column (" + r.why + ")"
		if near := nearMiss(unknown, r.name); near != "" {
			p += "; the header has " + strconv.Quote(near) + ": did you mean " + r.name + "?"
			hinted = true
		}
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		msg := strings.Join(problems, "; ")
		if !hinted {
			msg += " (export with " + exportHint + ")"
		}
		return c, invalid(false, "line %d: %s", line, msg)
	}
	var perUpdate []string
	for _, u := range unknown {
		if k := nearestKnown(u); k != "" {
			if _, present := c.index[k]; !present {
				c.notes = append(c.notes, "column "+strconv.Quote(u)+" ignored: did you mean "+k+"?")
			}
		}
		for _, p := range perUpdateColumns {
			if normColumn(u) == normColumn(p) {
				perUpdate = append(perUpdate, u)
			}
		}
	}
	if len(perUpdate) > 0 {
		c.notes = append(c.notes, "the columns "+strings.Join(perUpdate, ", ")+" suggest a per-update report rather than a list of every computer: "+
			"if the file does not list every computer, upload it as partial so the others are not marked removed")
	}
	c.ignored = unknown
	return c, nil
}

// nearMiss returns the header among candidates closest to want, or "":
// within one edit per five letters of want, at most two ("KB" is no near
// miss of "Id").
func nearMiss(candidates []string, want string) string {
	limit := min(len(normColumn(want))/5, 2) + 1
	best, bestDist := "", limit
	for _, c := range candidates {
		if d := distance(normColumn(c), normColumn(want), limit); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func nearestKnown(h string) string {
	for _, k := range knownColumns {
		if nearMiss([]string{h}, k) != "" {
			return k
		}
	}
	return ""
}

// distance is the Levenshtein distance of a and b, or limit when it is at
// least limit (headers are short; the cap keeps junk cheap).
func distance(a, b string, limit int) int {
	if len(a) > 64 || len(b) > 64 {
		return limit
	}
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
