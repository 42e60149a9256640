package iislog

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// distinct counts the distinct client IPs of one bucket in bounded memory:
// exactly (by 64-bit hash) up to exactClients, then with a HyperLogLog of
// 2^hllP one-byte registers (2 KiB, standard error 1.04/sqrt(2048) = 2.3%;
// linear counting keeps small counts much closer). Buckets with a few clients
// (who gets 401.2) are exact; only busy ones are estimated.
type distinct struct {
	exact []uint64
	hll   *[1 << hllP]uint8
}

const (
	exactClients = 64
	hllP         = 11
)

func (d *distinct) add(h uint64) {
	if d.hll != nil {
		d.hllAdd(h)
		return
	}
	for _, x := range d.exact {
		if x == h {
			return
		}
	}
	if len(d.exact) < exactClients {
		d.exact = append(d.exact, h)
		return
	}
	d.hll = new([1 << hllP]uint8)
	for _, x := range d.exact {
		d.hllAdd(x)
	}
	d.hllAdd(h)
	d.exact = nil
}

func (d *distinct) hllAdd(h uint64) {
	reg := h >> (64 - hllP)
	rho := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1))) + 1
	if rho > d.hll[reg] {
		d.hll[reg] = rho
	}
}

func (d *distinct) count() int64 {
	if d.hll == nil {
		return int64(len(d.exact))
	}
	const m = float64(1 << hllP)
	var sum float64
	zeros := 0
	for _, r := range d.hll {
		sum += invPow2[r]
		if r == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros)) // linear counting
	}
	return max(int64(math.Round(est)), exactClients+1)
}

// invPow2[r] is 2^-r for every register value (at most 64-hllP+1).
var invPow2 = func() (t [65]float64) {
	for r := range t {
		t[r] = math.Ldexp(1, -r)
	}
	return t
}()

// hashIP is a fast, deterministic 64-bit hash (so summaries are reproducible
// run to run, unlike hash/maphash) with a full-avalanche finish, which
// HyperLogLog needs.
func hashIP(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	return fmix64(h ^ tail)
}

// fmix64 is MurmurHash3's finaliser.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
