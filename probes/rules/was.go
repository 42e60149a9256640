package rules

import (
	"regexp"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// What a Windows Process Activation Service event (System log, source
// Microsoft-Windows-WAS) says about an application pool. Matched by message
// first, then by ID (the IDs of IIS 7 and later).
const (
	wasRapidFail = "rapid_fail" // 5002: the pool was disabled after a series of worker process failures
	wasMemory    = "memory"     // 5117 (private bytes), 5077 (virtual memory): recycled at its memory limit
	wasPing      = "ping"       // 5010: the worker process did not answer WAS's ping
	wasCrash     = "crash"      // 5009, 5011: the worker process ended unexpectedly
	wasStartup   = "startup"    // 5012: the worker process took too long to start
	wasShutdown  = "shutdown"   // 5013: the worker process took too long to shut down
	wasScheduled = "scheduled"  // 5074 (time), 5075 (schedule), 5076 (requests): a routine recycle
	wasIdle      = "idle"       // 5186: shut down after its idle time-out
	wasUnrelated = ""
)

var wasKinds = []struct {
	id   int
	text string
	kind string
}{
	{5002, "is being automatically disabled due to a series of failures", wasRapidFail},
	{5117, "reached its private bytes memory limit", wasMemory},
	{5077, "reached its allowed virtual memory limit", wasMemory},
	{5010, "failed to respond to a ping", wasPing},
	{5011, "suffered a fatal communication error", wasCrash},
	{5009, "terminated unexpectedly", wasCrash},
	{5012, "exceeded time limits during start up", wasStartup},
	{5013, "exceeded time limits during shut down", wasShutdown},
	{5074, "reached its allowed processing time limit", wasScheduled},
	{5075, "reached its scheduled recycle time", wasScheduled},
	{5076, "reached its allowed number of requests", wasScheduled},
	{5186, "was shutdown due to inactivity", wasIdle},
}

func isWASEvent(ev probes.Event) bool {
	s := strings.ToLower(ev.Source)
	return s == "was" || strings.Contains(s, "windows-was") || strings.Contains(s, "process activation")
}

// poolInMessage finds "application pool 'X'" in a WAS message; an
// unexpanded insertion string ('%1') names no pool.
var poolInMessage = regexp.MustCompile(`(?i)application pool '([^']*)'`)

// wasKind classifies a WAS event about the WSUS pool; it returns "" for
// other events and for events about another pool or none that can be read.
func (e *eval) wasKind(ev probes.Event) string {
	if !isWASEvent(ev) {
		return wasUnrelated
	}
	m := poolInMessage.FindStringSubmatch(ev.Message)
	if m == nil || strings.HasPrefix(m[1], "%") || !strings.EqualFold(strings.TrimSpace(m[1]), e.poolName()) {
		return wasUnrelated
	}
	msg := strings.ToLower(ev.Message)
	for _, k := range wasKinds {
		if strings.Contains(msg, k.text) {
			return k.kind
		}
	}
	for _, k := range wasKinds {
		if k.id == ev.ID {
			return k.kind
		}
	}
	return wasUnrelated
}

// wasEvents returns the indexes of the WAS events about the WSUS pool of the
// given kinds, oldest first as logged.
func (e *eval) wasEvents(kinds ...string) []int {
	var out []int
	for i, ev := range e.st.Events {
		if k := e.wasKind(ev); k != wasUnrelated && slicesContains(kinds, k) {
			out = append(out, i)
		}
	}
	return out
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// latestEvent is the time of the newest of the events.
func (e *eval) latestEvent(idx []int) time.Time {
	var t time.Time
	for _, i := range idx {
		if at := e.st.Events[i].Time.Time; at.After(t) {
			t = at
		}
	}
	return t
}

func (e *eval) earliestEvent(idx []int) time.Time {
	var t time.Time
	for _, i := range idx {
		if at := e.st.Events[i].Time.Time; t.IsZero() || at.Before(t) {
			t = at
		}
	}
	return t
}
