package web

import (
	"time"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/wsusfleet/wsusfleet/probes"
)

// fastDecodeMax is the body size up to which a server report is first
// decoded in one pass (decodeReport); larger ones, with their client lists,
// go to probes.DecodeReport's streaming decoder at once.
const fastDecodeMax = 64 << 10

// presizedChecks is how many vDir checks decodeReport makes room for: one
// per vDir, what a server collector sends.
var presizedChecks = len(probes.VDirs())

// decodeReport is probes.DecodeReport for a small report, decoded first by
// go-json-experiment/json, as strict as encoding/json with
// DisallowUnknownFields and stricter (a member name in another case, a
// duplicate name, a byte-order mark or bad UTF-8 are refused). What it
// refuses goes to probes.DecodeReport, which decodes it as it always has:
// what is accepted, and every problem of what is not (with its JSON
// pointer), stay encoding/json's. encoding/json scans a document twice, to
// find its end and to decode it; on a small report that was most of the
// request's decoding.
func decodeReport(body []byte, now time.Time) (*probes.Report, error) {
	if len(body) <= fastDecodeMax {
		// Room for a check per vDir up front: decoded into a nil slice,
		// the checks were appended through five reallocations (~7 KB).
		var r probes.Report
		checks := make([]probes.VDirCheck, 0, presizedChecks)
		r.VDirChecks = checks
		if jsonv2.Unmarshal(body, &r, jsonv2.RejectUnknownMembers(true)) == nil {
			if cap(r.VDirChecks) > 0 && unsafe.SliceData(r.VDirChecks) == unsafe.SliceData(checks) && len(r.VDirChecks) == 0 {
				r.VDirChecks = nil // the member was absent: nil, as decoded into a new Report ("[]" gets a new empty slice)
			}
			if err := r.Validate(now); err != nil {
				return nil, err
			}
			return &r, nil
		}
	}
	return probes.DecodeReport(body, now)
}
