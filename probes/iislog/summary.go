package iislog

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Summary is what Parse found in one log. Its JSON (lines, skipped, first,
// last, vdirs, other, ...) is the answer of the evidence upload API.
type Summary struct {
	Lines        int64     `json:"lines"`                   // data lines aggregated (directives excluded)
	Skipped      int64     `json:"skipped"`                 // malformed data lines left out
	SkippedLines []int64   `json:"skipped_lines,omitempty"` // the first few of them
	First        time.Time `json:"first"`                   // earliest request (UTC, whole seconds)
	Last         time.Time `json:"last"`                    // latest request
	// VDirs counts requests per canonical vDir (DESIGN §7.1) and
	// "status.substatus" ("401.2"; "401" when the log has no sc-substatus).
	// It is empty, and Other is Lines, for a log of a site other than WSUS.
	VDirs map[string]map[string]int64 `json:"vdirs"`
	Other int64                       `json:"other"` // requests outside the WSUS vDirs
	// Buckets split the vDir requests by status.substatus.win32 and UTC hour,
	// ordered by hour, vDir (dashboard order), status, substatus, win32.
	Buckets []Bucket `json:"buckets"`
	// TopClients lists, per vDir × status.substatus with status >= 400, the
	// clients with the most requests, ordered like Buckets.
	TopClients []FaultClients `json:"top_clients"`
}

// The bucket and top-list shapes are the stored ones (probes.IISLogDigest),
// so the upload's answer and the server page show the same thing.
type (
	Bucket       = probes.IISLogBucket
	Latency      = probes.IISLogLatency
	FaultClients = probes.IISLogFaultClients
	ClientCount  = probes.IISLogClientCount
)

// topClients is the length of each fault's top list.
const topClients = 10

// Digest returns what a server keeps of the log (it shares the slices).
func (s *Summary) Digest() probes.IISLogDigest {
	return probes.IISLogDigest{
		Lines:      s.Lines,
		Skipped:    s.Skipped,
		First:      probes.TimeOf(s.First),
		Last:       probes.TimeOf(s.Last),
		Other:      s.Other,
		Buckets:    s.Buckets,
		TopClients: s.TopClients,
	}
}

func (p *parser) summary() *Summary {
	s := &Summary{
		Lines:        p.lines,
		Skipped:      p.skipped,
		SkippedLines: p.skippedLines,
		First:        time.Unix(p.first, 0).UTC(),
		Last:         time.Unix(p.last, 0).UTC(),
		VDirs:        map[string]map[string]int64{},
		Other:        p.other,
		Buckets:      []Bucket{},
		TopClients:   []FaultClients{},
	}
	names := p.vdirs.names

	buckets := p.agg.buckets
	slices.SortFunc(buckets, func(a, b bucket) int {
		return cmp.Or(cmp.Compare(a.key.hour, b.key.hour), cmp.Compare(a.key.vdir, b.key.vdir),
			cmp.Compare(a.key.status, b.key.status), cmp.Compare(a.key.sub, b.key.sub), cmp.Compare(a.key.win32, b.key.win32))
	})
	for i := range buckets {
		b := &buckets[i]
		out := Bucket{
			VDir:        names[b.key.vdir],
			Hour:        probes.TimeOf(time.Unix(b.key.hour*3600, 0)),
			Status:      int(b.key.status),
			Substatus:   optionalInt(b.key.sub),
			Win32Status: optionalInt64(b.key.win32),
			Requests:    b.requests,
			Clients:     min(b.clients.count(), b.requests), // an estimate can overshoot
			WUA:         b.wua,
			OtherUA:     b.requests - b.wua,
		}
		if l := &b.latency; l.n > 0 {
			out.TimeTaken = &Latency{P50: l.quantile(500), P95: l.quantile(950), Max: l.max, N: l.n}
		}
		s.Buckets = append(s.Buckets, out)
		byStatus := s.VDirs[out.VDir]
		if byStatus == nil {
			byStatus = map[string]int64{}
			s.VDirs[out.VDir] = byStatus
		}
		byStatus[out.StatusText()] += out.Requests
	}

	p.agg.settle(p.last)
	faults := p.agg.faults
	slices.SortFunc(faults, func(a, b fault) int {
		return cmp.Or(cmp.Compare(a.key.vdir, b.key.vdir), cmp.Compare(a.key.status, b.key.status), cmp.Compare(a.key.sub, b.key.sub))
	})
	for i := range faults {
		f := &faults[i]
		top := make([]ClientCount, 0, len(f.ip))
		for ip, j := range f.ip {
			top = append(top, ClientCount{IP: ip, Requests: f.counts[j]})
		}
		slices.SortFunc(top, func(a, b ClientCount) int {
			return cmp.Or(cmp.Compare(b.Requests, a.Requests), strings.Compare(a.IP, b.IP))
		})
		s.TopClients = append(s.TopClients, FaultClients{
			VDir:      names[f.key.vdir],
			Status:    int(f.key.status),
			Substatus: optionalInt(f.key.sub),
			Requests:  f.requests,
			Clients:   int64(len(f.ip)),
			Untracked: f.untracked,
			Followed:  f.followed,
			Unsettled: f.unsettled,
			Top:       slices.Clone(top[:min(len(top), topClients)]),
		})
	}
	return s
}

func optionalInt(v int32) *int {
	if v < 0 {
		return nil
	}
	n := int(v)
	return &n
}

func optionalInt64(v int64) *int64 {
	if v < 0 {
		return nil
	}
	return &v
}
