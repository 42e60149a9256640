package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// serve sets the collector where the environment does not, and leaves
// alone what GOGC or GOMEMLIMIT set (the runtime read them at start).
func TestTuneGCKeepsWhatTheEnvironmentSets(t *testing.T) {
	// Not parallel: the settings are the process's.
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	defer func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) }()
	current := func() (int, int64) {
		p := debug.SetGCPercent(100) // reads it back (and puts 100 there again)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1) // a negative limit only reads it
	}

	tuneGC(func(string) string { return "" })
	if p, l := current(); p != serveGOGC || l != serveMemoryLimit {
		t.Errorf("without GOGC and GOMEMLIMIT: GOGC %d, limit %d; want %d, %d", p, l, serveGOGC, serveMemoryLimit)
	}

	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)
	set := map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}
	tuneGC(func(k string) string { return set[k] })
	if p, l := current(); p != 150 || l != 1<<30 {
		t.Errorf("with GOGC=150 and GOMEMLIMIT=1GiB set: GOGC %d, limit %d; want them kept", p, l)
	}
}
