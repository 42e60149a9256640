package iislog

// request is one parsed data line of a WSUS vDir.
type request struct {
	vdir      int
	status    int64
	sub       int64 // -1: not logged
	win32     int64 // -1: not logged
	hour      int64 // Unix hours
	ts        int64 // Unix seconds
	ip        []byte
	wua       bool
	timeTaken int64 // ms; -1: not logged
}

type bucketKey struct {
	hour   int64
	win32  int64
	sub    int32
	status int16
	vdir   int8
}

type bucket struct {
	key      bucketKey
	requests int64
	wua      int64
	clients  distinct
	latency  latency
}

type faultKey struct {
	sub    int32
	status int16
	vdir   int8
}

// fault counts requests per client IP exactly, for the top list.
type fault struct {
	key       faultKey
	requests  int64
	untracked int64
	followed  int64            // 401.1s after which the same client succeeded on the same vDir
	unsettled int64            // 401.1s still waiting at the end of the log
	ip        map[string]int32 // client IP → index in counts
	counts    []int64
}

// A 401.1 a client answers within handshakeWindow with a request the same
// vDir answers successfully was a challenge, not a refusal: the console's
// Negotiate/NTLM handshake on ApiRemoting30 is logged as 401.2, then 401.1
// (win32 2148074254, SEC_E_NO_CREDENTIALS), then 200, within a second. Only
// 401.1 is followed (the one the rules weigh), so a log full of 401.2 costs
// nothing here.
const (
	handshakeWindow = 120 // seconds
	maxPending      = 1 << 16
	pendingFaults   = 4 // distinct 401s remembered per client and vDir
)

type pendKey struct {
	ip   uint64 // hashIP of c-ip
	vdir int8
}

// pending are one client's 401s on one vDir not yet followed by a success.
type pending struct {
	at     int64 // Unix seconds of the newest of them
	faults [pendingFaults]struct{ index, count int32 }
}

// aggregate holds everything the parser keeps: its size depends on the
// number of buckets and of (fault, client IP) pairs, never on the number of
// lines, and both are capped.
type aggregate struct {
	buckets  []bucket
	bucketOf map[bucketKey]int
	// The buckets of the hour being read, per vDir: a log is in time order,
	// and scanning the few statuses of one vDir and hour beats hashing.
	hour   int64
	inHour [maxVDirs][]hourBucket

	faults  []fault
	faultOf map[faultKey]int
	tracked int // (fault, client IP) pairs

	// 401s waiting for the same client's next success, and how many per
	// vDir (so successes elsewhere skip the lookup).
	pend      map[pendKey]*pending
	pendIn    [maxVDirs]int
	lastSweep int64

	maxBuckets, maxTracked int
}

const (
	maxVDirs       = 16 // the vDir table of DESIGN §7.1 has 9
	maxHourBuckets = 32 // per vDir in inHour
)

type hourBucket struct {
	win32  int64
	sub    int32
	status int16
	index  int32
}

func newAggregate(o Options) *aggregate {
	return &aggregate{
		bucketOf:   make(map[bucketKey]int),
		faultOf:    make(map[faultKey]int),
		pend:       make(map[pendKey]*pending),
		hour:       -1,
		maxBuckets: o.MaxBuckets,
		maxTracked: o.MaxFaultClients,
	}
}

// add counts one request; it fails only when the request needs a new bucket
// past the limit.
func (a *aggregate) add(r *request) bool {
	k := bucketKey{hour: r.hour, win32: r.win32, sub: int32(r.sub), status: int16(r.status), vdir: int8(r.vdir)}
	if r.hour != a.hour {
		a.hour = r.hour
		for v := range a.inHour {
			a.inHour[v] = a.inHour[v][:0]
		}
	}
	i := -1
	for _, h := range a.inHour[r.vdir] {
		if h.status == k.status && h.sub == k.sub && h.win32 == k.win32 {
			i = int(h.index)
			break
		}
	}
	if i < 0 {
		var ok bool
		if i, ok = a.bucketOf[k]; !ok {
			if len(a.buckets) >= a.maxBuckets {
				return false
			}
			i = len(a.buckets)
			a.buckets = append(a.buckets, bucket{key: k})
			a.bucketOf[k] = i
		}
		if len(a.inHour[r.vdir]) < maxHourBuckets { // junk with many statuses falls back to the map
			a.inHour[r.vdir] = append(a.inHour[r.vdir], hourBucket{win32: k.win32, sub: k.sub, status: k.status, index: int32(i)})
		}
	}
	b := &a.buckets[i]
	b.requests++
	if r.wua {
		b.wua++
	}
	var h uint64
	if r.ip != nil {
		h = hashIP(r.ip)
		b.clients.add(h)
	}
	if r.timeTaken >= 0 {
		b.latency.add(r.timeTaken)
	}
	switch {
	case r.status >= 400:
		f := a.addFault(faultKey{sub: k.sub, status: k.status, vdir: k.vdir}, r.ip)
		if r.status == 401 && r.sub == 1 && r.ip != nil {
			a.wait(pendKey{h, k.vdir}, f, r.ts)
		}
	case r.status >= 200 && a.pendIn[r.vdir] > 0 && r.ip != nil:
		a.succeed(pendKey{h, k.vdir}, r.ts)
	}
	return true
}

// wait remembers a 401 until the same client's next success on the vDir.
func (a *aggregate) wait(k pendKey, fault int, ts int64) {
	p := a.pend[k]
	if p == nil {
		if len(a.pend) >= maxPending {
			a.sweep(ts)
			if len(a.pend) >= maxPending {
				return // a storm of distinct clients: these count as not followed
			}
		}
		p = &pending{}
		a.pend[k] = p
		a.pendIn[k.vdir]++
	} else if ts-p.at > handshakeWindow {
		*p = pending{}
	}
	p.at = ts
	for j := range p.faults {
		slot := &p.faults[j]
		if slot.count == 0 {
			slot.index, slot.count = int32(fault), 1
			return
		}
		if int(slot.index) == fault {
			slot.count++
			return
		}
	}
}

// succeed credits a client's waiting 401s on the vDir as followed by success.
func (a *aggregate) succeed(k pendKey, ts int64) {
	p := a.pend[k]
	if p == nil {
		return
	}
	if ts-p.at <= handshakeWindow {
		for _, slot := range p.faults {
			if slot.count > 0 {
				a.faults[slot.index].followed += int64(slot.count)
			}
		}
	}
	delete(a.pend, k)
	a.pendIn[k.vdir]--
}

// settle counts, at the end of the log, the 401s still waiting within the
// window of its last line: the lines after the end would tell whether they
// were followed (a chunked log goes on in the next chunk).
func (a *aggregate) settle(last int64) {
	for _, p := range a.pend {
		if last-p.at > handshakeWindow {
			continue
		}
		for _, slot := range p.faults {
			if slot.count > 0 {
				a.faults[slot.index].unsettled += int64(slot.count)
			}
		}
	}
}

// sweep forgets 401s older than the window, at most once per window.
func (a *aggregate) sweep(ts int64) {
	if ts-a.lastSweep < handshakeWindow {
		return
	}
	a.lastSweep = ts
	for k, p := range a.pend {
		if ts-p.at > handshakeWindow {
			delete(a.pend, k)
			a.pendIn[k.vdir]--
		}
	}
}

func (a *aggregate) addFault(k faultKey, ip []byte) int {
	i, ok := a.faultOf[k]
	if !ok {
		i = len(a.faults)
		a.faults = append(a.faults, fault{key: k, ip: make(map[string]int32)})
		a.faultOf[k] = i
	}
	f := &a.faults[i]
	f.requests++
	if ip == nil {
		return i
	}
	if j, ok := f.ip[string(ip)]; ok {
		f.counts[j]++
		return i
	}
	if a.tracked >= a.maxTracked {
		f.untracked++
		return i
	}
	a.tracked++
	f.ip[string(ip)] = int32(len(f.counts))
	f.counts = append(f.counts, 1)
	return i
}
