package iislog

// request is one parsed data line of a WSUS vDir.
type request struct {
	vdir      int
	status    int64
	sub       int64 // -1: not logged
	win32     int64 // -1: not logged
	hour      int64 // Unix hours
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
	ip        map[string]int32 // client IP → index in counts
	counts    []int64
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
	if r.ip != nil {
		b.clients.add(hashIP(r.ip))
	}
	if r.timeTaken >= 0 {
		b.latency.add(r.timeTaken)
	}
	if r.status >= 400 {
		a.addFault(faultKey{sub: k.sub, status: k.status, vdir: k.vdir}, r.ip)
	}
	return true
}

func (a *aggregate) addFault(k faultKey, ip []byte) {
	i, ok := a.faultOf[k]
	if !ok {
		i = len(a.faults)
		a.faults = append(a.faults, fault{key: k, ip: make(map[string]int32)})
		a.faultOf[k] = i
	}
	f := &a.faults[i]
	f.requests++
	if ip == nil {
		return
	}
	if j, ok := f.ip[string(ip)]; ok {
		f.counts[j]++
		return
	}
	if a.tracked >= a.maxTracked {
		f.untracked++
		return
	}
	a.tracked++
	f.ip[string(ip)] = int32(len(f.counts))
	f.counts = append(f.counts, 1)
}
