package web

import (
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/wsusfleet/wsusfleet/probes"
)

// fastDecodeMax is the body size up to which a server report is first
// decoded in one pass (decodeReport); larger ones, with their client lists,
// go to probes.DecodeReport's streaming decoder at once.
const fastDecodeMax = 64 << 10

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
		var r probes.Report
		if jsonv2.Unmarshal(body, &r, jsonv2.RejectUnknownMembers(true)) == nil {
			if err := r.Validate(now); err != nil {
				return nil, err
			}
			return &r, nil
		}
	}
	return probes.DecodeReport(body, now)
}
