package probes

import "time"

// Facts is what the rules see of one server: its current state and what the
// rest of the fleet can answer about it.
type Facts struct {
	State *ServerState
	Now   time.Time
	// Upstream finds the fleet server at host:port (a downstream's upstream),
	// by name or by its URL; nil means nothing is known of the fleet.
	Upstream func(host string, port int) (FleetServer, bool)
	// Gaps are the server's clients per gap category, with examples.
	Gaps []GapCount
}

// FleetServer is another server of the fleet as a rule may see it.
type FleetServer struct {
	Name   string
	Status string // ok, warning, critical or unknown
}
