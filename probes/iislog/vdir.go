package iislog

import (
	"bytes"
	"slices"

	"github.com/wsusfleet/wsusfleet/probes"
)

// vdirIndex maps cs-uri-stem to a vDir through probes.VDirOfPath, caching the
// answer per first path segment as logged ("ClientWebService",
// "clientwebservice", "Content", ...) so the hot path neither allocates nor
// lower-cases. VDirOfPath decides by the first segment only; TestVDirCache
// checks that the cache agrees with it.
type vdirIndex struct {
	names []string           // canonical names in dashboard order; index = vDir id
	seg   map[string]segment // first segment → its vDir
	// recent is a small direct-mapped cache in front of seg: comparing one
	// string is several times cheaper than hashing it.
	recent [64]segment
}

type segment struct {
	seg  string // the segment again, so recent can hold it without a copy
	id   int    // vDir id, -1 outside the WSUS vDirs
	used bool
}

// maxSegments bounds the cache for logs of other sites with many distinct
// first segments; past it, lookups still work, just slower.
const maxSegments = 4096

func newVDirIndex() *vdirIndex {
	names := probes.VDirNames()
	if len(names) > maxVDirs {
		panic("iislog: probes has more vDirs than maxVDirs")
	}
	return &vdirIndex{names: names, seg: make(map[string]segment)}
}

// lookup returns the vDir id of a cs-uri-stem, or -1.
func (x *vdirIndex) lookup(stem []byte) int {
	seg := stem
	if len(seg) > 0 && seg[0] == '/' {
		seg = seg[1:]
	}
	if i := bytes.IndexByte(seg, '/'); i >= 0 {
		seg = seg[:i]
	}
	var slot uint
	if len(seg) > 0 {
		slot = (uint(len(seg)) + 7*uint(seg[0]) + 31*uint(seg[len(seg)/2])) % uint(len(x.recent))
	}
	if e := &x.recent[slot]; e.used && e.seg == string(seg) {
		return e.id
	}
	s, ok := x.seg[string(seg)]
	if !ok {
		s = segment{seg: string(seg), id: -1, used: true}
		if v, ok := probes.VDirOfPath(string(stem)); ok {
			s.id = slices.Index(x.names, v.Name)
		}
		if len(x.seg) >= maxSegments {
			return s.id
		}
		x.seg[s.seg] = s
	}
	x.recent[slot] = s
	return s.id
}
