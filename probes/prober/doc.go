// Package prober is the active vDir prober: it GETs every WSUS virtual
// directory of DESIGN §7.1 on one server and records and judges what came back.
//
// Every failure (DNS, refused, TLS, timeouts, garbage, hangs) becomes a
// classified probes.VDirCheck, never an error or a hang: a Probe is bounded by
// its per-request and per-server timeouts, and a Prober bounds the connections
// open at once across all the servers it probes.
package prober
