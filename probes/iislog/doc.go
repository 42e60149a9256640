// Package iislog reads an IIS W3C extended log of a WSUS server (DESIGN §7.8)
// in one streaming pass and aggregates what the WSUS guide has admins look for
// by hand: requests per vDir × status.substatus.win32 × UTC hour (401.1, 401.2,
// 401.3, 500.24, 503, ...), which clients get each fault, user agents and
// time-taken percentiles.
//
// Memory does not grow with the number of lines: it grows with the number of
// distinct aggregation keys and, for the fault top lists, distinct client IPs,
// both bounded by Options. The caller undoes any gzip; Parse reads plain text.
package iislog
