// Package prober is the active vDir prober: it GETs every WSUS vDir of DESIGN §7.1 on a server and returns one
// recorded, classified and judged probes.VDirCheck per request, bounded in time and in open connections.
package prober
