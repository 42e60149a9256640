package iislog

import "math/bits"

// latency is a log-bucket histogram of time-taken (ms) in constant memory:
// values below 32 have a bucket each; above, every power of two is split into
// 16 buckets, so a bucket [lo, hi] has hi-lo+1 <= lo/16. Reporting a bucket's
// midpoint is within 1/32 (3.2%) of any value in it. Time-taken is at most a
// DWORD, so there are at most 464 buckets; the slice grows only to the largest
// one used (259 for a 10-minute request).
type latency struct {
	counts []uint32
	n      int64
	max    int64
}

const maxTimeTaken = 1<<32 - 1 // IIS logs time-taken as a DWORD

func latencyIndex(v uint64) int {
	if v < 32 {
		return int(v)
	}
	shift := bits.Len64(v) - 5 // v>>shift is in [16, 32)
	return shift*16 + int(v>>shift)
}

// latencyBounds returns the smallest and largest value of bucket i.
func latencyBounds(i int) (lo, hi int64) {
	if i < 32 {
		return int64(i), int64(i)
	}
	shift := i/16 - 1
	q := int64(i - shift*16)
	return q << shift, (q+1)<<shift - 1
}

func (l *latency) add(ms int64) {
	i := latencyIndex(uint64(ms))
	if i >= len(l.counts) {
		l.counts = append(l.counts, make([]uint32, i+1-len(l.counts))...)
	}
	if l.counts[i] != ^uint32(0) { // saturate rather than wrap
		l.counts[i]++
	}
	l.n++
	if ms > l.max {
		l.max = ms
	}
}

// quantile returns the nearest-rank quantile of permille (1..1000) as the
// midpoint of its bucket, never above the exact maximum.
func (l *latency) quantile(permille uint64) int64 {
	var total uint64
	for _, c := range l.counts {
		total += uint64(c)
	}
	rank := max((permille*total+999)/1000, 1)
	var cum uint64
	for i, c := range l.counts {
		cum += uint64(c)
		if cum >= rank {
			lo, hi := latencyBounds(i)
			return min((lo+hi)/2, l.max)
		}
	}
	return l.max
}
