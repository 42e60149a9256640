package storetest

import (
	"testing"
	"time"
)

// WaitFor checks cond until it holds, failing the test if it still does not
// after within. Tests wait on the outcome, never a fixed time: on a loaded
// machine the outcome may take long, and on a quiet one it comes at once.
func WaitFor(tb testing.TB, what string, within time.Duration, cond func() bool) {
	tb.Helper()
	if cond() {
		return
	}
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			if cond() {
				return
			}
			tb.Fatalf("not within %s: %s", within, what)
		case <-tick.C:
			if cond() {
				return
			}
		}
	}
}
