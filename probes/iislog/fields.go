package iislog

import (
	"fmt"
	"strings"
)

// role is what the parser uses a field for; fields it does not need are
// roleNone and only counted.
type role uint8

const (
	roleNone role = iota
	roleDate
	roleTime
	roleStem
	roleStatus
	roleSubstatus
	roleWin32
	roleClientIP
	roleUserAgent
	roleTimeTaken
	numRoles
)

// roleOfField maps W3C field identifiers, lower-cased: IIS writes them in
// lower case except cs(User-Agent), but hand-edited headers vary.
var roleOfField = map[string]role{
	"date":            roleDate,
	"time":            roleTime,
	"cs-uri-stem":     roleStem,
	"sc-status":       roleStatus,
	"sc-substatus":    roleSubstatus,
	"sc-win32-status": roleWin32,
	"c-ip":            roleClientIP,
	"cs(user-agent)":  roleUserAgent,
	"time-taken":      roleTimeTaken,
}

// requiredFields are what a line needs to be placed in a bucket at all.
var requiredFields = []string{"date", "time", "cs-uri-stem", "sc-status"}

// layout is the meaning of each token of a data line under one #Fields block
// (or under an IIS default field set when the log has no #Fields).
type layout struct {
	roles  []role // one per token
	source string // for messages: "the #Fields directive at line 4"
	// lacks names the required fields this block does not have; data lines
	// under such a block refuse the log.
	lacks string
}

// IIS default field sets, for lines that come before any #Fields directive
// (a pasted excerpt). IIS 8.5 added cs(Referer) after the user agent.
var (
	iis7Fields  = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken"
	iis85Fields = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"

	iis7Layout  = newLayout(iis7Fields, "the IIS 7.x default fields (no #Fields directive)")
	iis85Layout = newLayout(iis85Fields, "the IIS 8.5+ default fields (no #Fields directive)")
)

// defaultLayout returns the IIS default field set with n fields, if any.
func defaultLayout(n int) (*layout, bool) {
	switch n {
	case len(iis7Layout.roles):
		return iis7Layout, true
	case len(iis85Layout.roles):
		return iis85Layout, true
	}
	return nil, false
}

// newLayout reads the field list of a #Fields directive. A field named twice
// is used at its first position.
func newLayout(fields, source string) *layout {
	l := &layout{source: source}
	var seen [numRoles]bool
	for _, name := range strings.Fields(fields) {
		r := roleOfField[strings.ToLower(name)]
		if seen[r] {
			r = roleNone
		}
		seen[r] = true
		l.roles = append(l.roles, r)
	}
	var lacks []string
	for _, name := range requiredFields {
		if !seen[roleOfField[name]] {
			lacks = append(lacks, name)
		}
	}
	if len(lacks) > 0 {
		l.lacks = strings.Join(lacks, ", ")
	}
	return l
}

func fieldsDirectiveLayout(fields string, line int64) *layout {
	return newLayout(fields, fmt.Sprintf("the #Fields directive at line %d", line))
}
