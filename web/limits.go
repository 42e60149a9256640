package web

import (
	"context"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"
)

// Limits bound what requests may cost the server, so a few large or slow or
// hostile clients cannot starve the rest. Zero values mean the defaults.
type Limits struct {
	// InflightBytes is the budget of request bytes held in memory at once,
	// across all requests; a JSON document is weighed at what decoding it
	// costs (decodeFactor × its size), an evidence parse at evidenceWeight.
	// A request that does not fit is answered 503 with Retry-After (512 MiB).
	InflightBytes int64
	// EvidenceParses bounds evidence files parsed at once (2); more: 503.
	EvidenceParses int64
	// How fast bodies must arrive (see BodyPace): JSON documents, evidence
	// uploads, and everything else (forms, stray bodies on GET).
	JSONPace, EvidencePace, FormPace BodyPace
	// MaxGzipRatio: a gzip body inflating more than this many times its
	// compressed size is refused as a decompression bomb (200).
	MaxGzipRatio int64
	// AuthFailures failed sign-ins or bearer tokens from one client address
	// are allowed in a burst (10); then one more every AuthFailureEvery
	// (30 s); beyond that, 429 with Retry-After.
	AuthFailures     int
	AuthFailureEvery time.Duration
}

// BodyPace is how fast a request body must arrive: its first bytes within
// Grace, then on average at least MinRate bytes a second (the deadline
// moves forward as bytes arrive). A slower client gets 408 and its
// connection closed.
type BodyPace struct {
	Grace   time.Duration
	MinRate int64 // bytes per second
}

const (
	// decodeFactor: a JSON document costs about this many times its size
	// while it is decoded and validated (measured: BenchmarkReportMemory).
	decodeFactor = 4
	// evidenceWeight is what one evidence parse holds: the parsers stream,
	// so it is their working set, not the file's size.
	evidenceWeight = 32 << 20
	// chargeChunk: bodies of unknown size are charged as they arrive.
	chargeChunk = 256 << 10
	// retryBusy is the Retry-After of a 503 for a full budget.
	retryBusy = 5 * time.Second
)

func (l *Limits) defaults() {
	if l.InflightBytes <= 0 {
		l.InflightBytes = 512 << 20
	}
	if l.EvidenceParses <= 0 {
		l.EvidenceParses = 2
	}
	def := func(p *BodyPace, grace time.Duration, rate int64) {
		if p.Grace <= 0 {
			p.Grace = grace
		}
		if p.MinRate <= 0 {
			p.MinRate = rate
		}
	}
	def(&l.JSONPace, 20*time.Second, 32<<10)
	def(&l.EvidencePace, time.Minute, 32<<10)
	def(&l.FormPace, 10*time.Second, 4<<10)
	if l.MaxGzipRatio <= 0 {
		l.MaxGzipRatio = 200
	}
	if l.AuthFailures <= 0 {
		l.AuthFailures = 10
	}
	if l.AuthFailureEvery <= 0 {
		l.AuthFailureEvery = 30 * time.Second
	}
}

// guard holds the shared budgets and the failed-authentication limiter.
type guard struct {
	limits   Limits
	inflight *semaphore.Weighted
	parses   *semaphore.Weighted
	failures *addrLimiter
	// starts counts single sign-ons begun per address: each stores an
	// attempt, so an anonymous loop must not fill the table.
	starts *addrLimiter
}

func newGuard(l Limits) *guard {
	return &guard{limits: l, inflight: semaphore.NewWeighted(l.InflightBytes), parses: semaphore.NewWeighted(l.EvidenceParses),
		failures: newAddrLimiter(l.AuthFailureEvery, l.AuthFailures),
		starts:   newAddrLimiter(2*time.Second, 30)}
}

func newAddrLimiter(every time.Duration, burst int) *addrLimiter {
	return &addrLimiter{every: rate.Every(every), burst: burst, byAddr: map[netip.Prefix]*rate.Limiter{}}
}

// errBusy answers a request the server has no room for right now.
func errBusy(what string) error {
	return &httpError{status: http.StatusServiceUnavailable, detail: what + "; try again in a few seconds",
		header: map[string]string{"Retry-After": retryAfter(retryBusy)}}
}

func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// charge is what one request holds of the in-flight budget; released when
// the request ends.
type charge struct {
	sem    *semaphore.Weighted
	mu     sync.Mutex
	held   int64
	factor int64 // bytes charged per body byte read
	limit  int64 // most a request may charge (its body limit × factor)
}

func (c *charge) take(n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held+n > c.limit {
		n = c.limit - c.held
	}
	if n <= 0 {
		return true
	}
	if !c.sem.TryAcquire(n) {
		return false
	}
	c.held += n
	return true
}

func (c *charge) release() {
	c.mu.Lock()
	c.sem.Release(c.held)
	c.held = 0
	c.mu.Unlock()
}

func chargeOf(ctx context.Context) *charge {
	c, _ := ctx.Value(keyCharge).(*charge)
	return c
}

// Kinds of request body, each with its pace and its weight in the budget.
type bodyKind int

const (
	bodyJSON     bodyKind = iota // a JSON document, decoded whole
	bodyEvidence                 // an evidence file, streamed through its parser
)

// body sets the pace and the memory charge of a route's request bodies. A
// JSON body of known size is charged before a byte is read, so a client is
// told 503 at once instead of after its upload; one of unknown size (gzip,
// chunked) is charged as it arrives (bodyReader). An evidence upload takes
// one of the few parse slots. Routes apply it after authentication: an
// unauthenticated request never holds any of the budget.
func (a *app) body(kind bodyKind, limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g := a.guard
			pace, factor := g.limits.JSONPace, int64(decodeFactor)
			if kind == bodyEvidence {
				pace, factor = g.limits.EvidencePace, 0
			}
			if identityEncoded(r) && r.ContentLength > limit { // refused before a byte of it is read
				a.fail(w, r, &http.MaxBytesError{Limit: limit})
				return
			}
			if pb := pacedBodyOf(r); pb != nil {
				pb.setPace(pace)
			}
			c := &charge{sem: g.inflight, factor: factor, limit: limit * factor}
			defer c.release()
			if kind == bodyEvidence {
				if !g.parses.TryAcquire(1) {
					a.fail(w, r, errBusy("the dashboard is parsing as many evidence files as it may at once"))
					return
				}
				defer g.parses.Release(1)
				c.limit = evidenceWeight
				if !c.take(evidenceWeight) {
					a.fail(w, r, errBusy("the dashboard is holding as much request data as it may"))
					return
				}
			} else if n := r.ContentLength; n > 0 && identityEncoded(r) && !c.take(min(n, limit)*factor) {
				a.fail(w, r, errBusy("the dashboard is holding as much request data as it may"))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyCharge, c)))
		})
	}
}

// addrLimiter counts events per client address (an IPv6 client by its /64,
// which one host usually owns whole): failed authentications, sign-ins
// begun. Each event takes a token from the address's bucket; an empty
// bucket means wait.
type addrLimiter struct {
	mu     sync.Mutex
	every  rate.Limit
	burst  int
	byAddr map[netip.Prefix]*rate.Limiter
}

// maxTracked bounds the addresses remembered; past it, buckets that have
// refilled are forgotten (they hold no information).
const maxTracked = 50_000

func addrKey(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := ip.BitLen()
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// wait returns how long ip must wait before its next attempt; 0 when it may
// try now.
func (f *addrLimiter) wait(ip netip.Addr, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.byAddr[addrKey(ip)]
	if l == nil {
		return 0
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(f.every) * float64(time.Second))
}

// spend records an event from ip.
func (f *addrLimiter) spend(ip netip.Addr, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := addrKey(ip)
	l := f.byAddr[k]
	if l == nil {
		if len(f.byAddr) >= maxTracked {
			for key, old := range f.byAddr {
				if old.TokensAt(now) >= float64(f.burst) {
					delete(f.byAddr, key)
				}
			}
			if len(f.byAddr) >= maxTracked { // a flood from as many addresses: start over rather than grow
				clear(f.byAddr)
			}
		}
		l = rate.NewLimiter(f.every, f.burst)
		f.byAddr[k] = l
	}
	l.AllowN(now, 1)
}

// tooManyFailures is the 429 of a client that failed to authenticate too often.
func tooManyFailures(wait time.Duration) error {
	return &httpError{status: http.StatusTooManyRequests,
		detail: "too many failed sign-ins or tokens from your address; try again in " + retryAfter(wait) + " s",
		header: map[string]string{"Retry-After": retryAfter(wait)}}
}

// authThrottle answers 429 when the request's client address has failed too
// often; nil when it may try.
func (a *app) authThrottle(r *http.Request) error {
	if d := a.guard.failures.wait(clientAddr(r), a.now()); d > 0 {
		return tooManyFailures(d)
	}
	return nil
}

// authFailed records a failed sign-in or bearer token of the request's client.
func (a *app) authFailed(r *http.Request) {
	a.guard.failures.spend(clientAddr(r), a.now())
}
