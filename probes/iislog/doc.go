// Package iislog reads an IIS W3C extended log of a WSUS server (DESIGN §7.8)
// in one streaming pass and aggregates what the WSUS guide has admins look for
// by hand: requests per vDir × status.substatus.win32 × UTC hour (401.1, 401.2,
// 401.3, 500.24, 503, ...), which clients get each fault, user agents and
// time-taken percentiles. The caller undoes any gzip; Parse reads plain text.
//
// Memory does not grow with the number of lines, only with the number of
// buckets (at most about 4 KiB each, capped by Options.MaxBuckets; a day of a
// busy server needs a few MB) and of (fault, client IP) pairs (capped by
// Options.MaxFaultClients). Accuracy: counts and the fault top lists are
// exact; distinct clients per bucket are exact up to 64 and a HyperLogLog
// estimate above (2.3% standard error); time-taken p50/p95 are within 3.2%
// (exact below 32 ms) and max is exact.
package iislog
