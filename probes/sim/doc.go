// Package sim is a WSUS simulator: an HTTP(S) server that answers the WSUS
// virtual directories the way IIS 10 does, healthy or with a named fault.
//
// It exists for tests, `wsusfleet sim` and the `wsusfleet demo` fleet, and is
// never compiled into anything that probes real servers. Start runs a server on
// a listener; NewHandler gives the bare http.Handler for embedding. Faults can
// be switched at run time (SetProfile), safely from any goroutine.
package sim
