package probes

import (
	"slices"
	"time"
)

// WULogDigest is what a client's WindowsUpdate.log says about its use of
// WSUS: the server the agent used (or <NULL>), its scans, status reports and
// SelfUpdate checks with their results and HRESULTs, and proxy use.
// probes/wulog builds it from the classic %windir%\WindowsUpdate.log or the
// output of Get-WindowsUpdateLog. A log is not the policy: it never sets or
// clears a policy value, it says what the agent did.
type WULogDigest struct {
	Format        string         `json:"format"`
	File          string         `json:"file,omitempty"`
	Lines         int64          `json:"lines"`
	Undecoded     int64          `json:"undecoded,omitempty"` // "No Format Information found" lines of Get-WindowsUpdateLog
	First         time.Time      `json:"first"`
	Last          time.Time      `json:"last"`
	TimeZone      string         `json:"time_zone"` // how the log's local times were read
	ClientVersion string         `json:"client_version,omitempty"`
	Server        *WULogSetting  `json:"wsus_server,omitempty"` // the last "WSUS server:" line: a URL, or <NULL>
	StatusServer  *WULogSetting  `json:"wsus_status_server,omitempty"`
	TargetGroup   *WULogSetting  `json:"target_group,omitempty"`
	Service       *WULogSetting  `json:"service,omitempty"` // the service the last scan used (WSUS is "Managed")
	Proxy         *WULogSetting  `json:"proxy,omitempty"`
	Attempts      []WULogAttempt `json:"attempts"` // oldest first, the last few of each operation
	Errors        []WULogError   `json:"errors"`   // by operation and code, most recent first
}

// WULogNull is what the agent logs as "WSUS server" when no WSUS policy applies.
const WULogNull = "<NULL>"

// WULogSetting is a value the agent logged, and where.
type WULogSetting struct {
	Value string    `json:"value"`
	At    time.Time `json:"at"`
	Line  int64     `json:"line"`
}

// WULogAttempt is one scan, status report or SelfUpdate check.
type WULogAttempt struct {
	Operation string    `json:"operation" v:"enum=update_operation"`
	At        time.Time `json:"at"`
	OK        bool      `json:"ok"`
	Code      string    `json:"code,omitempty"` // the HRESULT it failed with
	Line      int64     `json:"line"`
	Detail    string    `json:"detail,omitempty"`
}

// WULogError is one HRESULT an operation failed with, Count times.
type WULogError struct {
	Operation  string    `json:"operation" v:"enum=update_operation"`
	Code       string    `json:"code"`
	Count      int64     `json:"count"`
	First      time.Time `json:"first"`
	Last       time.Time `json:"last"`
	HTTPStatus int       `json:"http_status,omitempty"` // the HTTP status the server answered, when logged
	Line       int64     `json:"line"`                  // of the last occurrence
	Example    string    `json:"example"`               // that line's message
}

// LastAttempt is the latest attempt of an operation, and the latest that
// succeeded; ok is false when the log shows none.
func (d *WULogDigest) LastAttempt(op string) (last, success *WULogAttempt) {
	for i := len(d.Attempts) - 1; i >= 0; i-- {
		a := &d.Attempts[i]
		if a.Operation != op {
			continue
		}
		if last == nil {
			last = a
		}
		if a.OK && success == nil {
			success = a
		}
	}
	return last, success
}

// UpdateErrors are the log's errors as a client report carries them: the
// latest occurrence of each operation and code.
func (d *WULogDigest) UpdateErrors() []UpdateError {
	out := make([]UpdateError, 0, len(d.Errors))
	for _, e := range d.Errors {
		out = append(out, UpdateError{Time: TimeOf(e.Last), Operation: e.Operation, Code: e.Code, Message: e.Example})
	}
	slices.SortStableFunc(out, func(a, b UpdateError) int { return b.Time.Compare(a.Time.Time) })
	return out
}
