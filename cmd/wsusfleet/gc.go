package main

import "runtime/debug"

// What serve's garbage collector runs with unless GOGC or GOMEMLIMIT say
// otherwise. Go's default (GOGC=100, no limit) collects whenever the heap
// doubles: with the few MB a dashboard keeps live, a stream of small
// reports meant 265 collections in 10 s, 5 % of serve's CPU (now 50, 1 %;
// pushes +9–11 %, docs/PERFORMANCE.md §Phase 8). The limit keeps a large
// document's peak under 200 MB (a 100,000-client report: +124–145 MB;
// GOGC=400 alone would let it reach several times what is live). Beyond
// the limit the collector works harder instead of taking more memory, at
// most half the CPU; an installation that would rather spend memory sets
// GOMEMLIMIT.
const (
	serveGOGC        = 400
	serveMemoryLimit = 192 << 20
)

// tuneGC applies serve's collector settings where the environment sets none.
func tuneGC(getenv env) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGOGC)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
