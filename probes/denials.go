package probes

import (
	"reflect"
	"time"
)

// Limits of a DenialDigest; the procmon parser folds anything beyond them
// into the Unlisted and "other processes" counts.
const (
	MaxDenialGroups    = 1000
	MaxOtherProcesses  = 100
	MaxDenialPathBytes = 2048
)

// DenialDigest is what a Process Monitor capture says about the WSUS
// processes being denied access (DESIGN §1 step 2): the rows that pass the
// guide's filter (Result contains DENIED, Path does not contain CERTIFICATE),
// grouped, with the grant that fixes each. It replaces the server's previous
// digest when stored.
type DenialDigest struct {
	Rows   int64 `json:"rows" v:"min=0"`   // data rows read
	Denied int64 `json:"denied" v:"min=0"` // rows that pass the guide's filter
	Kept   int64 `json:"kept" v:"min=0"`   // of those, rows of w3wp.exe, WsusService.exe, sqlservr.exe
	// OtherProcesses counts denials of processes the guide does not look at,
	// most first. A slice rather than a map so its length is bounded and its
	// order stable.
	OtherProcesses []ProcessCount `json:"other_processes" v:"max=100"`
	Groups         []Denial       `json:"groups" v:"max=1000"`          // most frequent first
	Unlisted       int64          `json:"unlisted,omitempty" v:"min=0"` // kept rows in groups beyond the list
}

// ProcessCount is how many filtered rows one process had.
type ProcessCount struct {
	Process string `json:"process" v:"required,max=256"`
	Count   int64  `json:"count" v:"min=1"`
}

// Denial is one process, running as one account, denied one operation on one
// path, Count times between First and Last (time of day as exported: ProcMon
// writes no date), with the right the grant gives that account and how to
// grant it (DESIGN §7.5 for its folders, else what the rows asked for).
type Denial struct {
	Process   string `json:"process" v:"required,max=256"`
	Path      string `json:"path" v:"required,max=2048"`
	Operation string `json:"operation" v:"required,max=64"`
	Count     int64  `json:"count" v:"min=1"`
	First     string `json:"first,omitempty" v:"max=40"`
	Last      string `json:"last,omitempty" v:"max=40"`
	// User is the account that was denied (ProcMon's User column); when the
	// capture has none, UserAssumed is set and User is the process's usual
	// identity (NETWORK SERVICE for w3wp.exe and WsusService.exe).
	User        string `json:"user,omitempty" v:"max=256"`
	UserAssumed bool   `json:"user_assumed,omitempty"`
	Access      string `json:"access,omitempty" v:"max=256"` // the Desired Access the row logged, e.g. "Generic Write, Read Attributes"
	Right       string `json:"right,omitempty" v:"max=32"`   // RightFullControl, …; "" when no grant is proposed
	Why         string `json:"why,omitempty" v:"max=512"`
	Remediation []Step `json:"remediation" v:"max=10"`
}

// Validate reports every problem in the digest, with JSON pointers.
func (d *DenialDigest) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(d), "", now, &p)
	return p.err()
}
