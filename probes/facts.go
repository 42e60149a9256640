package probes

import "time"

// Facts is what the rules see of one server: its current state and what the
// rest of the fleet can answer about it.
type Facts struct {
	State *ServerState
	Now   time.Time
	// KnownServer reports whether host:port is a fleet server (for a
	// downstream's upstream); nil means nothing is known.
	KnownServer func(host string, port int) bool
}
