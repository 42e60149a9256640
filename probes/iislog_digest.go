package probes

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of an IISLogDigest (the `v` tags repeat them); the iislog parser
// refuses a log that needs more buckets.
const (
	MaxIISLogBuckets = 100000 // about a month of one busy server
	MaxIISLogFaults  = 100000
)

// IISLogDigest is what wsusfleet keeps of one IIS W3C log (DESIGN §7.8): the
// hourly request counts per WSUS vDir and status.substatus.win32 that the WSUS
// guide has admins read by hand, and which clients get each fault, without
// the lines themselves. probes/iislog builds it from a raw log.
//
// It lives here, not in the parser package, so a Report section, the store and
// the rules can use it without depending on the parser. It differs from
// iislog.Summary (the upload's answer) in two ways: per-vDir totals are not
// stored twice (they are the sum of Buckets), and lists replace maps so every
// vDir name is checked against DESIGN §7.1 by the `v` tags.
type IISLogDigest struct {
	// File names the log (u_ex261121.log), or a chunk of it from a byte on
	// (u_ex261121.log@1048576). An upload supersedes the stored parts of the
	// same log from its byte on: a log that grew, sent whole again or from
	// its start again, counts once (see the store's IIS log window).
	File       string               `json:"file,omitempty" v:"max=255"`
	Lines      int64                `json:"lines" v:"min=0"`   // request lines aggregated
	Skipped    int64                `json:"skipped" v:"min=0"` // malformed lines left out
	First      Time                 `json:"first" v:"required"`
	Last       Time                 `json:"last" v:"required"`
	Other      int64                `json:"other" v:"min=0"` // requests outside the WSUS vDirs
	Buckets    []IISLogBucket       `json:"buckets" v:"max=100000"`
	TopClients []IISLogFaultClients `json:"top_clients" v:"max=100000"`
}

// IISLogBucket is one vDir × status.substatus.win32 × UTC hour of a log.
// Substatus and Win32Status are nil when the log did not record them.
type IISLogBucket struct {
	VDir        string `json:"vdir" v:"required,enum=vdir"`
	Hour        Time   `json:"hour" v:"required"` // start of the UTC hour
	Status      int    `json:"status" v:"min=0,max=999"`
	Substatus   *int   `json:"substatus,omitempty" v:"min=0,max=65535"`
	Win32Status *int64 `json:"win32_status,omitempty" v:"min=0,max=4294967295"`
	Requests    int64  `json:"requests" v:"min=1"`
	// Clients is the number of distinct client IPs: exact up to 64, a
	// HyperLogLog estimate (standard error about 2.3%) above.
	Clients int64 `json:"clients" v:"min=0"`
	WUA     int64 `json:"wua" v:"min=0"`      // user agent starts with Windows-Update-Agent
	OtherUA int64 `json:"other_ua" v:"min=0"` // any other user agent, or none logged
	// TimeTaken is nil when no request of the bucket logged a time-taken.
	TimeTaken *IISLogLatency `json:"time_taken_ms,omitempty"`
}

// IISLogLatency summarises time-taken in milliseconds. P50 and P95 are
// nearest-rank percentiles read from a log-bucket histogram: within 3.2% of the
// true value (exact below 32 ms). Max is exact.
type IISLogLatency struct {
	P50 int64 `json:"p50" v:"min=0,max=4294967295"`
	P95 int64 `json:"p95" v:"min=0,max=4294967295"`
	Max int64 `json:"max" v:"min=0,max=4294967295"`
	N   int64 `json:"n" v:"min=1"` // requests that logged a time-taken
}

// IISLogFaultClients says which clients get one fault (a vDir ×
// status.substatus with status >= 400), e.g. who gets 401.2 on
// ClientWebService.
type IISLogFaultClients struct {
	VDir      string `json:"vdir" v:"required,enum=vdir"`
	Status    int    `json:"status" v:"min=400,max=999"`
	Substatus *int   `json:"substatus,omitempty" v:"min=0,max=65535"`
	Requests  int64  `json:"requests" v:"min=1"`
	Clients   int64  `json:"clients" v:"min=0"` // distinct client IPs counted
	// Untracked requests came from clients past the parser's tracking limit;
	// they are in Requests but not in Clients or Top.
	Untracked int64               `json:"untracked,omitempty" v:"min=0"`
	Top       []IISLogClientCount `json:"top" v:"max=10"` // most requests first
	// Followed counts the requests of a 401.1 fault that the same client
	// followed, within two minutes, with a request the same vDir answered
	// successfully: a challenge answered (the Negotiate/NTLM handshake logs
	// 401.2, then 401.1 with win32 2148074254, then 200), not a refusal.
	Followed int64 `json:"followed_by_success,omitempty" v:"min=0"`
	// Unsettled counts the 401.1s of the log's last two minutes that the
	// client had not yet followed with a success: the lines after the end of
	// the log (a collector's next chunk) would tell, so they are neither
	// handshakes nor refusals.
	Unsettled int64 `json:"unsettled,omitempty" v:"min=0"`
}

// Refused counts the 401.1s the client never got past: neither followed by
// a success nor too close to the end of the log to tell.
func (f IISLogFaultClients) Refused() int64 { return f.Requests - f.Followed - f.Unsettled }

// IISLogClientCount is one client IP (c-ip, IPv6 zone id kept) and its requests.
type IISLogClientCount struct {
	IP       string `json:"ip" v:"required,max=64,host"`
	Requests int64  `json:"requests" v:"min=1"`
}

// StatusText renders status.substatus as IIS logs do ("401.2"), or the bare
// status when the substatus was not logged.
func (b IISLogBucket) StatusText() string { return statusText(b.Status, b.Substatus) }

// StatusText renders status.substatus as IIS logs do ("401.2"), or the bare
// status when the substatus was not logged.
func (f IISLogFaultClients) StatusText() string { return statusText(f.Status, f.Substatus) }

func statusText(status int, sub *int) string {
	if sub == nil {
		return strconv.Itoa(status)
	}
	return strconv.Itoa(status) + "." + strconv.Itoa(*sub)
}

// Validate reports every problem in the digest, with JSON pointers relative to
// the digest.
func (d *IISLogDigest) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(d), "", now, &p)
	if !d.First.IsZero() && !d.Last.IsZero() && d.Last.Before(d.First.Time) {
		p.add("/last", "is before /first")
	}
	var sum int64
	for i, b := range d.Buckets {
		ptr := "/buckets/" + strconv.Itoa(i)
		sum += b.Requests
		if b.WUA+b.OtherUA != b.Requests {
			p.add(ptr, "wua and other_ua add up to %d, not requests (%d)", b.WUA+b.OtherUA, b.Requests)
		}
		if b.TimeTaken != nil && b.TimeTaken.N > b.Requests {
			p.add(ptr+"/time_taken_ms/n", "is more than requests (%d)", b.Requests)
		}
		switch {
		case b.Hour.IsZero():
		case !b.Hour.Truncate(time.Hour).Equal(b.Hour.Time):
			p.add(ptr+"/hour", "must be the start of an hour")
		case b.Hour.Before(d.First.Truncate(time.Hour)) || b.Hour.After(d.Last.Time):
			p.add(ptr+"/hour", "is outside /first../last")
		}
	}
	for i, f := range d.TopClients {
		if f.Followed+f.Unsettled > f.Requests {
			p.add("/top_clients/"+strconv.Itoa(i), "followed_by_success and unsettled add up to %d, more than requests (%d)", f.Followed+f.Unsettled, f.Requests)
		}
	}
	if sum+d.Other != d.Lines {
		p.add("/lines", "is %d but buckets and other add up to %d", d.Lines, sum+d.Other)
	}
	return p.err()
}

// IISLogSummary is what a server's state keeps of its IIS logs: the recent
// window (at least the last 24 hours before the newest line the history
// holds, whole uploads or chunks of them alike): totals per vDir and
// status.substatus, and which clients get each fault. The hourly buckets are
// the history (see the store).
type IISLogSummary struct {
	File       string               `json:"file"`  // the logs it covers, for people ("u_ex261201.log and u_ex261202.log")
	Files      []string             `json:"files"` // their names, oldest first
	Lines      int64                `json:"lines"`
	Skipped    int64                `json:"skipped"`
	Other      int64                `json:"other"`
	First      Time                 `json:"first"`
	Last       Time                 `json:"last"`
	Totals     []IISLogTotal        `json:"totals"` // most requests first
	TopClients []IISLogFaultClients `json:"top_clients"`
}

// IISLogFilesLabel names a list of logs for people: each one up to three,
// else the first and the last and how many.
func IISLogFilesLabel(files []string) string {
	switch n := len(files); {
	case n == 0:
		return ""
	case n == 1:
		return files[0]
	case n <= 3:
		return strings.Join(files[:n-1], ", ") + " and " + files[n-1]
	default:
		return files[0] + " to " + files[n-1] + " (" + strconv.Itoa(n) + " files)"
	}
}

// IISLogTotal is one vDir × status.substatus over the logs.
type IISLogTotal struct {
	VDir      string `json:"vdir"`
	Status    int    `json:"status"`
	Substatus *int   `json:"substatus,omitempty"`
	Requests  int64  `json:"requests"`
	WUA       int64  `json:"wua"`    // of them from Windows Update Agent
	MaxMS     int64  `json:"max_ms"` // longest time-taken
	// P50MS is the typical time-taken: the median of the hourly medians,
	// weighted by their requests (0 when none was logged).
	P50MS    int64 `json:"p50_ms,omitempty"`
	Hours    int64 `json:"hours"` // UTC hours in which it occurred
	LastHour Time  `json:"last_hour"`
}

// StatusText renders status.substatus as IIS logs do.
func (t IISLogTotal) StatusText() string { return statusText(t.Status, t.Substatus) }

// Summary folds the hourly buckets into totals.
func (d *IISLogDigest) Summary() IISLogSummary {
	type key struct {
		vdir        string
		status, sub int
	}
	idx := map[key]int{}
	type hourly struct{ p50, n int64 }
	medians := map[int][]hourly{} // per total
	s := IISLogSummary{File: d.File, Lines: d.Lines, Skipped: d.Skipped, Other: d.Other, First: d.First, Last: d.Last,
		Totals: []IISLogTotal{}, TopClients: d.TopClients}
	if s.TopClients == nil {
		s.TopClients = []IISLogFaultClients{}
	}
	for _, b := range d.Buckets {
		k := key{b.VDir, b.Status, -1}
		if b.Substatus != nil {
			k.sub = *b.Substatus
		}
		i, ok := idx[k]
		if !ok {
			i = len(s.Totals)
			idx[k] = i
			s.Totals = append(s.Totals, IISLogTotal{VDir: b.VDir, Status: b.Status, Substatus: b.Substatus})
		}
		t := &s.Totals[i]
		t.Requests += b.Requests
		t.WUA += b.WUA
		if b.TimeTaken != nil {
			t.MaxMS = max(t.MaxMS, b.TimeTaken.Max)
			medians[i] = append(medians[i], hourly{b.TimeTaken.P50, b.TimeTaken.N})
		}
		if !b.Hour.Equal(t.LastHour.Time) {
			t.Hours++ // buckets come ordered by hour, so each new hour counts once per total
		}
		if b.Hour.After(t.LastHour.Time) {
			t.LastHour = b.Hour
		}
	}
	for i, hs := range medians {
		slices.SortFunc(hs, func(a, b hourly) int { return cmp.Compare(a.p50, b.p50) })
		var n, seen int64
		for _, h := range hs {
			n += h.n
		}
		for _, h := range hs {
			if seen += h.n; 2*seen >= n {
				s.Totals[i].P50MS = h.p50
				break
			}
		}
	}
	slices.SortStableFunc(s.Totals, func(a, b IISLogTotal) int { return cmp.Compare(b.Requests, a.Requests) })
	return s
}

// IISLogHour is one hourly aggregate of the IIS log history, with the file it
// came from.
type IISLogHour struct {
	File string `json:"file"`
	IISLogBucket
}
