package web

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyToken
	keyHTML    // the request is for an HTML page: errors are pages too
	keySession // the signed-in dashboard session (*session)
	keyClient  // where the request came from (client)
	keyCharge  // what the request holds of the in-flight budget (*charge)
	keyBody    // the request's body with its pace (*pacedBody)
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID tags every request with an id for the logs and error bodies
// (a trusted proxy's own id is kept, so the two logs line up).
func (a *app) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !clientOf(r).viaProxy || !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

// newRequestID is 16 hex digits from the runtime's per-thread ChaCha8
// generator: unique enough to find a request in the logs, without the
// system call crypto/rand costs on every request (it names, it guards
// nothing).
func newRequestID() string {
	var b [16]byte
	const digits = "0123456789abcdef"
	n := rand.Uint64()
	for i := range b {
		b[i] = digits[n>>60]
		n <<= 4
	}
	return string(b[:])
}

// statusWriter records what a handler answered, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests writes one access-log line per request and turns a panic into
// a logged 500, so one bad request never takes the server down.
func (a *app) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				a.log.Error("panic", "err", fmt.Sprint(p), "stack", string(debug.Stack()), "request_id", requestID(r.Context()))
				if sw.status == 0 {
					a.fail(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
				slog.Int64("ms", time.Since(start).Milliseconds()), slog.String("request_id", requestID(r.Context())))
		}()
		next.ServeHTTP(sw, r)
	})
}

// contentSecurityPolicy forbids inline script and framing: report values are
// untrusted and must never run.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hstsMaxAge: once a browser has reached the dashboard over HTTPS, it never
// tries plain HTTP again for a year.
const hstsMaxAge = "max-age=31536000"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if clientOf(r).https {
			h.Set("Strict-Transport-Security", hstsMaxAge)
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// client is where a request came from, as far as we can trust it.
type client struct {
	addr     netip.Addr // the client's address: the peer's, or the one a trusted proxy names
	https    bool       // the browser's connection is TLS (ours, or a trusted proxy's)
	viaProxy bool       // the peer is a trusted proxy
}

func clientOf(r *http.Request) client {
	c, _ := r.Context().Value(keyClient).(client)
	return c
}

func clientAddr(r *http.Request) netip.Addr { return clientOf(r).addr }

// withClient works out the client's address and whether it came over TLS.
// X-Forwarded-For and X-Forwarded-Proto are believed only from the
// configured proxies (--trust-proxy): anyone else could write them. The
// client is the right-most X-Forwarded-For address that is not itself a
// trusted proxy (the left-most entries are whatever the client sent).
func (a *app) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c client
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			c.addr = ap.Addr().Unmap()
		}
		c.https = r.TLS != nil
		if a.trusted(c.addr) {
			c.viaProxy = true
			hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
				if err != nil {
					break
				}
				c.addr = ip.Unmap()
				if !a.trusted(c.addr) {
					break
				}
			}
			if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
				first, _, _ := strings.Cut(proto, ",")
				c.https = strings.EqualFold(strings.TrimSpace(first), "https")
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyClient, c)))
	})
}

func (a *app) trusted(ip netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if ip.IsValid() && p.Contains(ip) {
			return true
		}
	}
	return false
}
