package iislog

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestLatencyBuckets: buckets tile [0, 2^32) without gaps, and a bucket's
// midpoint is within 1/32 of every value in it.
func TestLatencyBuckets(t *testing.T) {
	next := int64(0)
	for i := 0; i <= latencyIndex(maxTimeTaken); i++ {
		lo, hi := latencyBounds(i)
		if lo != next || hi < lo {
			t.Fatalf("bucket %d = [%d, %d], want it to start at %d", i, lo, hi, next)
		}
		if latencyIndex(uint64(lo)) != i || latencyIndex(uint64(hi)) != i {
			t.Fatalf("bucket %d = [%d, %d] but index(lo), index(hi) = %d, %d", i, lo, hi, latencyIndex(uint64(lo)), latencyIndex(uint64(hi)))
		}
		if mid := (lo + hi) / 2; float64(mid-lo) > float64(lo)/32 || float64(hi-mid) > float64(hi)/32 {
			t.Fatalf("bucket %d = [%d, %d]: midpoint %d is off by more than 1/32", i, lo, hi, mid)
		}
		next = hi + 1
	}
	if next != maxTimeTaken+1 {
		t.Errorf("buckets end at %d, want %d", next, int64(maxTimeTaken)+1)
	}
}

// TestLatencyQuantiles compares the histogram with exact nearest-rank
// percentiles of log-normal time-takens.
func TestLatencyQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 100, 10000} {
		var l latency
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = int64(math.Exp(rng.NormFloat64()*1.5 + 5))
			l.add(vals[i])
		}
		slices.Sort(vals)
		for _, pm := range []uint64{500, 950, 1000} {
			rank := (int(pm)*n + 999) / 1000
			exact := vals[rank-1]
			got := l.quantile(pm)
			if math.Abs(float64(got-exact)) > float64(exact)/32 {
				t.Errorf("n=%d p%d = %d, exact %d", n, pm/10, got, exact)
			}
		}
		if l.max != vals[n-1] {
			t.Errorf("n=%d max = %d, want %d", n, l.max, vals[n-1])
		}
	}
}

func TestDistinct(t *testing.T) {
	for _, n := range []int{0, 1, 64, 65, 100, 1000, 10000, 100000} {
		var d distinct
		for i := range n {
			ip := fmt.Appendf(nil, "10.%d.%d.%d", i>>16, (i>>8)&255, i&255)
			d.add(hashIP(ip))
			d.add(hashIP(ip)) // duplicates do not count
		}
		got := d.count()
		tolerance := 0.0
		if n > exactClients {
			tolerance = 3 * 1.04 / math.Sqrt(1<<hllP) * float64(n) // 3 standard errors
		}
		if math.Abs(float64(got)-float64(n)) > tolerance {
			t.Errorf("count of %d distinct = %d", n, got)
		}
	}
}

// TestSplit compares split with bytes.FieldsFunc on lines of every length
// around the 8-byte word boundaries, with blanks, UTF-8 and high bytes.
func TestSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab- \t\r\x00\x01\x1f\x20\x21\x7f\x80\xa0\xc3\xa9\xff")
	roles := make([]role, numRoles-1) // token i has role i+1
	for i := range roles {
		roles[i] = role(i + 1)
	}
	for range 50000 {
		line := make([]byte, rng.IntN(40))
		for i := range line {
			line[i] = alphabet[rng.IntN(len(alphabet))]
		}
		want := bytes.FieldsFunc(line, func(r rune) bool { return r <= ' ' })
		var pos spans
		if n := split(line, roles, &pos); n != len(want) {
			t.Fatalf("split(%q) = %d tokens, want %d", line, n, len(want))
		}
		for i, w := range want[:min(len(want), len(roles))] {
			if got := pos.field(line, roles[i]); !bytes.Equal(got, w) {
				t.Fatalf("split(%q) token %d = %q, want %q", line, i, got, w)
			}
		}
	}
}

// TestParseDate compares the hand-written date and clock parsers with the
// time package.
func TestParseDate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		y, m, d := 1985+rng.IntN(200), 1+rng.IntN(13), 1+rng.IntN(32)
		s := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
		tm, err := time.Parse(time.DateOnly, s)
		wantOK := err == nil && y >= 1990
		days, ok := parseDate([]byte(s))
		if ok != wantOK || (ok && days*86400 != tm.Unix()) {
			t.Fatalf("parseDate(%s) = %d, %v; time.Parse gives %v, %v", s, days, ok, tm, err)
		}
	}
	for _, s := range []string{"", "2026-1-21", "2026/11/21", "2026-11-2x", "+026-11-21", "2026-11-210"} {
		if _, ok := parseDate([]byte(s)); ok {
			t.Errorf("parseDate(%q) accepted", s)
		}
	}
	clocks := map[string]int64{"00:00:00": 0, "23:59:59": 86399, "09:15:02.125": 9*3600 + 15*60 + 2}
	for s, want := range clocks {
		if h, secs, ok := parseClock([]byte(s)); !ok || h*3600+secs != want {
			t.Errorf("parseClock(%q) = %d, %d, %v; want %d", s, h, secs, ok, want)
		}
	}
	for _, s := range []string{"24:00:00", "09:60:00", "09:00:60", "9:00:00", "09:00:00.", "09:00:00.x", "09:00:00Z", "09-00-00"} {
		if _, _, ok := parseClock([]byte(s)); ok {
			t.Errorf("parseClock(%q) accepted", s)
		}
	}
}
