package procmon

import (
	"regexp"
	"strings"
)

// columns are the indexes of the fields the digest needs; -1 when absent.
type columns struct {
	process, operation, path, result int
	time                             int // Time of Day, else Date & Time; optional
	user, detail                     int // optional: older captures often hide them
}

// ProcMon exports the columns that were displayed, in display order, under
// these (never translated) names.
const (
	colTimeOfDay = "Time of Day"
	colDateTime  = "Date & Time"
	colProcess   = "Process Name"
	colOperation = "Operation"
	colPath      = "Path"
	colResult    = "Result"
	colUser      = "User"
	colDetail    = "Detail"
)

// knownColumns are the names of every column ProcMon can display; a first
// row naming none of them is not a header.
var knownColumns = []string{
	colTimeOfDay, colDateTime, colProcess, colOperation, colPath, colResult, "PID", "Detail",
	"Sequence", "Relative Time", "Duration", "Completion Time", "TID", "User", "Session", "Authentication ID",
	"Integrity", "Virtualized", "Architecture", "Image Path", "Command Line", "Company", "Description",
	"Version", "Event Class", "Category", "Parent PID",
}

const exportHint = "export from Process Monitor with File > Save… > CSV"

// gridRow matches a row copied from the ProcMon grid as text: sequence
// number, time of day, then the process name.
var gridRow = regexp.MustCompile(`^\s*\d+\s+\d{1,2}:\d{2}:\d{2}(\.\d+)?(\s*[AaPp][Mm])?\s+\S`)

// parseHeader finds the columns by name, case-insensitively; extra columns
// are ignored.
func parseHeader(rec []string, rawFirst string) (columns, error) {
	c := columns{process: -1, operation: -1, path: -1, result: -1, time: -1, user: -1, detail: -1}
	dateTime, known := -1, 0
	for i, name := range rec {
		name = strings.TrimSpace(name)
		for _, k := range knownColumns {
			if strings.EqualFold(name, k) {
				known++
				break
			}
		}
		set := func(p *int) {
			if *p < 0 {
				*p = i
			}
		}
		switch {
		case strings.EqualFold(name, colProcess):
			set(&c.process)
		case strings.EqualFold(name, colOperation):
			set(&c.operation)
		case strings.EqualFold(name, colPath):
			set(&c.path)
		case strings.EqualFold(name, colResult):
			set(&c.result)
		case strings.EqualFold(name, colTimeOfDay):
			set(&c.time)
		case strings.EqualFold(name, colDateTime):
			set(&dateTime)
		case strings.EqualFold(name, colUser):
			set(&c.user)
		case strings.EqualFold(name, colDetail):
			set(&c.detail)
		}
	}
	if c.time < 0 {
		c.time = dateTime
	}
	if known == 0 {
		if gridRow.MatchString(rawFirst) {
			return c, invalid("no CSV header found: this looks like rows copied from the Process Monitor grid, which lose the column boundaries; %s", exportHint)
		}
		return c, invalid("no CSV header found: %s", exportHint)
	}
	var missing []string
	for _, m := range []struct {
		idx  int
		name string
	}{{c.process, colProcess}, {c.operation, colOperation}, {c.path, colPath}, {c.result, colResult}} {
		if m.idx < 0 {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return c, invalid("the CSV header lacks the column(s) %s: show them in Process Monitor (Options > Select Columns…) and %s",
			strings.Join(missing, ", "), exportHint)
	}
	return c, nil
}
