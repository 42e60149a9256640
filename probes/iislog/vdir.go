package iislog

import (
	"slices"

	"github.com/wsusfleet/wsusfleet/probes"
)

// vdirIndex maps cs-uri-stem to a vDir through probes.VDirOfPath, caching the
// answer per first path segment as logged ("ClientWebService",
// "clientwebservice", "Content", ...) so the hot path neither allocates nor
// lower-cases. VDirOfPath decides by the first segment only; TestVDirCache
// checks that the cache agrees with it.
type vdirIndex struct {
	names []string       // canonical names in dashboard order; index = vDir id
	seg   map[string]int // first segment → vDir id, -1 outside the WSUS vDirs
}

// maxSegments bounds the cache for logs of other sites with many distinct
// first segments; past it, lookups still work, just slower.
const maxSegments = 4096

func newVDirIndex() *vdirIndex {
	return &vdirIndex{names: probes.VDirNames(), seg: make(map[string]int)}
}

func (x *vdirIndex) lookup(stem []byte) int {
	seg := stem
	if len(seg) > 0 && seg[0] == '/' {
		seg = seg[1:]
	}
	for i, c := range seg {
		if c == '/' {
			seg = seg[:i]
			break
		}
	}
	if id, ok := x.seg[string(seg)]; ok {
		return id
	}
	id := -1
	if v, ok := probes.VDirOfPath(string(stem)); ok {
		id = slices.Index(x.names, v.Name)
	}
	if len(x.seg) < maxSegments {
		x.seg[string(seg)] = id
	}
	return id
}
