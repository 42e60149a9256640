package wsuscsv

import (
	"fmt"
	"slices"
	"strings"
)

// Well-known computer target groups: their IDs are the same on every WSUS
// server.
var wellKnownGroups = map[string]string{
	"a0a08746-4dbe-4a37-9adf-9e7652c0b421": "All Computers",
	"b73ca6ed-5727-47f3-84de-015e03f6a88a": "Unassigned Computers",
}

// syncResults are the enum values of LastSyncResult, by lower-case name.
var syncResults = map[string]string{
	"succeeded": "Succeeded", "failed": "Failed", "canceled": "Canceled", "cancelled": "Canceled",
	"neverrun": "NeverRun", "running": "Running", "unknown": "Unknown",
}

// readRow turns one record into a client with its dates still unresolved;
// problems go to p with the line.
func readRow(rec []string, cols columns, line int, p *problemList, res *Result) (row, bool) {
	get := func(name string) string {
		if i := cols.at(name); i >= 0 && i < len(rec) {
			// Clone: the record's fields share one string per line, most
			// of it columns we do not keep.
			return strings.Clone(strings.TrimSpace(rec[i]))
		}
		return ""
	}
	rw := row{line: line, rawSync: get(colLastSync), rawReport: get(colLastReport)}
	c := &rw.client
	c.Name = get(colName)
	c.ID = strings.Trim(get(colID), "{}")
	c.IP = get(colIP)
	c.OS = get(colOS)
	c.ClientVersion = get(colClientVersion)
	c.RequestedGroup = get(colRequestedGroup)
	ok := true
	if c.Name == "" {
		p.add(line, "%s is empty", colName)
		ok = false
	}
	if v := get(colLastSyncResult); v != "" {
		if c.LastSyncResult = syncResults[strings.ToLower(v)]; c.LastSyncResult == "" {
			p.add(line, "%s %.40q is not one of Succeeded, Failed, Canceled, NeverRun, Running, Unknown", colLastSyncResult, v)
			ok = false
		}
	}
	c.Groups = groups(get(colGroupIDs), res)
	var err error
	if rw.lastSync, err = parseStamp(rw.rawSync); err != nil {
		p.add(line, "%s %.40q is not a date (%v)", colLastSync, rw.rawSync, err)
		ok = false
	}
	if rw.lastReport, err = parseStamp(rw.rawReport); err != nil {
		p.add(line, "%s %.40q is not a date (%v)", colLastReport, rw.rawReport, err)
		ok = false
	}
	return rw, ok
}

// groups reads ComputerTargetGroupIds. Export-Csv cannot write a list and
// writes its .NET type name instead: that says nothing, once.
func groups(v string, res *Result) []string {
	if v == "" {
		return nil
	}
	if strings.HasPrefix(v, "System.") {
		const note = "ComputerTargetGroupIds holds a .NET type name (Export-Csv cannot write lists), so group membership is unknown"
		if !slices.Contains(res.Notes, note) {
			res.Notes = append(res.Notes, note)
		}
		return nil
	}
	var out []string
	for _, id := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '|' }) {
		id = strings.Trim(id, "{}")
		if name, ok := wellKnownGroups[strings.ToLower(id)]; ok {
			id = name
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// sameRow reports whether two rows describe the computer identically, as
// per-update exports repeat it once per update.
func sameRow(a, b row) bool {
	ca, cb := a.client, b.client
	return ca.ID == cb.ID && ca.Name == cb.Name && ca.IP == cb.IP && ca.OS == cb.OS && ca.ClientVersion == cb.ClientVersion &&
		ca.RequestedGroup == cb.RequestedGroup && ca.LastSyncResult == cb.LastSyncResult && slices.Equal(ca.Groups, cb.Groups) &&
		a.rawSync == b.rawSync && a.rawReport == b.rawReport
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
