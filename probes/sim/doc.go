// Package sim simulates a WSUS server: it answers the WSUS vDirs as IIS 10 does, healthy or with a named fault
// (Profiles), for tests, `wsusfleet sim` and the demo fleet — never for probing real servers.
package sim
