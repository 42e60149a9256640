package main

import "runtime/debug"

// What serve's garbage collector runs with unless GOGC or GOMEMLIMIT say
// otherwise. Go's default (GOGC=100, no limit) collects whenever the heap
// doubles: with the few MB a dashboard keeps live, that is several
// collections a second under a stream of reports, ~10 % of serve's CPU.
// Letting the heap grow to five times what is live spends a little memory
// for fewer collections (pushes +10–15 %, docs/PERFORMANCE.md §Phase 8);
// the limit keeps a large document's peak where it was (a 100,000-client
// report: +121–145 MB, as under the default). Beyond the limit the
// collector works harder instead of taking more memory, at most half the
// CPU; an installation that would rather spend memory sets GOMEMLIMIT.
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
