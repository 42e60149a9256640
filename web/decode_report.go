package web

import (
	"time"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/wsusfleet/wsusfleet/probes"
)

// fastDecodeMax is the body size up to which a report is first decoded in
// one pass (decodeOnePass); larger ones (a server's client list) go to
// probes' streaming decoder at once.
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
	if len(body) > fastDecodeMax {
		return probes.DecodeReport(body, now) // no room to make for checks that go elsewhere
	}
	// Room for a check per vDir up front: decoded into a nil slice, the
	// checks were appended through five reallocations (~7 KB).
	var r probes.Report
	checks := make([]probes.VDirCheck, 0, presizedChecks)
	r.VDirChecks = checks
	if !decodeOnePass(body, &r) {
		return probes.DecodeReport(body, now)
	}
	if cap(r.VDirChecks) > 0 && unsafe.SliceData(r.VDirChecks) == unsafe.SliceData(checks) && len(r.VDirChecks) == 0 {
		r.VDirChecks = nil // the member was absent: nil, as decoded into a new Report ("[]" gets a new empty slice)
	}
	if err := r.Validate(now); err != nil {
		return nil, err
	}
	return &r, nil
}

// decodeClientReport is probes.DecodeClientReport with decodeReport's one
// pass first: every client report is small, and encoding/json's decoding
// was an eighth of serve's CPU on one (docs/PERFORMANCE.md, phase 14).
func decodeClientReport(body []byte, now time.Time) (*probes.ClientReport, error) {
	var cr probes.ClientReport
	if !decodeOnePass(body, &cr) {
		return probes.DecodeClientReport(body, now)
	}
	if err := cr.Validate(now); err != nil {
		return nil, err
	}
	return &cr, nil
}

// decodeOnePass decodes a small body into v with go-json-experiment/json,
// and says whether it did; what it refuses is for probes' decoder.
func decodeOnePass(body []byte, v any) bool {
	return len(body) <= fastDecodeMax && jsonv2.Unmarshal(body, v, jsonv2.RejectUnknownMembers(true)) == nil
}
