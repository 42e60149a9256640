package web

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// readModelMaxAge bounds how long a read model is served without a write:
// what it shows also moves with time (a server silent for 15 minutes turns
// unknown, ages grow). Rebuilt after this long, it keeps its ETag when
// nothing it shows changed.
const readModelMaxAge = time.Second

// readModels keeps what the busiest reads answer (GET /api/v1/servers,
// /api/v1/gaps, the fleet page's data), built once per store version
// instead of from the database on every request: a request costs a version
// check (an atomic load; a database round trip at most every second) and a
// copy. A write through this process changes the version at once; one
// through another instance on the same database within a second.
type readModels struct {
	mu    sync.RWMutex
	m     map[string]*readModel
	pages int // entries of rendered pages in m
	codec compressors
}

type readModel struct {
	mu  sync.Mutex            // one build at a time: 64 waiting requests share it
	cur atomic.Pointer[built] // replaced whole, never modified: requests keep what they got
}

type built struct {
	version string
	builtAt time.Time // the app's clock (tests move it)
	wall    time.Time
	val     any
	body    []byte // the encoded answer, for JSON read models; the page, for pages
	etag    string
	status  int         // pages: the answer's status and headers
	header  http.Header // (never modified once built)
	enc     *encodings  // body compressed, built on demand; shared by rebuilds to the same etag
}

// encodingsFor returns the compressed variants for a rebuild whose bytes
// have ETag etag: the previous build's when its bytes were the same.
func encodingsFor(prev *built, etag string) *encodings {
	if prev != nil && prev.etag == etag && prev.enc != nil {
		return prev.enc
	}
	return &encodings{}
}

// page is get for a rendered page: their number is bounded (keys include
// the session's cookie), so when full the pages kept are dropped.
func (rm *readModels) page(key string) *readModel {
	if m := rm.lookup(key); m != nil {
		return m
	}
	rm.mu.Lock()
	if rm.pages >= pageCacheMax {
		for k := range rm.m {
			if strings.HasPrefix(k, "page:") {
				delete(rm.m, k)
			}
		}
		rm.pages = 0
	}
	if _, ok := rm.m[key]; !ok {
		rm.pages++
	}
	rm.mu.Unlock()
	return rm.get(key)
}

func (rm *readModels) get(key string) *readModel {
	if m := rm.lookup(key); m != nil {
		return m
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.m == nil {
		rm.m = map[string]*readModel{}
	}
	m, ok := rm.m[key]
	if !ok {
		m = &readModel{}
		rm.m[key] = m
	}
	return m
}

// lookup finds the read model key under the read lock: the usual case,
// which concurrent requests should not serialise on.
func (rm *readModels) lookup(key string) *readModel {
	rm.mu.RLock()
	defer rm.mu.RUnlock()
	return rm.m[key]
}

// within reports whether m was built at version and less than maxAge ago.
func (m *built) within(version string, now time.Time, maxAge time.Duration) bool {
	if m == nil {
		return false
	}
	age := now.Sub(m.builtAt)
	return m.version == version && m.version != "" && age >= 0 && age < maxAge && time.Since(m.wall) < maxAge
}

// acquire returns what to answer without building: the build when it is
// fresh, or when only its age moved on (same version, under twice the
// maximum age) while another request rebuilds it, so the requests of that
// moment do not all wait for the rebuild. Otherwise it returns nil with
// m.mu held: the caller builds, stores and unlocks.
func (m *readModel) acquire(version string, now time.Time) *built {
	cur := m.cur.Load()
	if cur.within(version, now, readModelMaxAge) {
		return cur // the common case: no lock
	}
	if cur.within(version, now, 2*readModelMaxAge) {
		if !m.mu.TryLock() {
			return cur
		}
	} else {
		m.mu.Lock()
	}
	if cur = m.cur.Load(); cur.within(version, now, readModelMaxAge) {
		m.mu.Unlock() // built while this request waited
		return cur
	}
	return nil
}

// cached returns the read model key at the store's current version, building
// it with build (and, with encode, its JSON and ETag) when it is missing or
// stale.
func (a *app) cached(ctx context.Context, key string, encode bool, build func(context.Context) (any, error)) (*built, error) {
	version, err := a.store.Version(ctx)
	if err != nil {
		return nil, err
	}
	m := a.reads.get(key)
	now := a.now()
	if cur := m.acquire(version, now); cur != nil {
		return cur, nil
	}
	defer m.mu.Unlock()
	prev := m.cur.Load()
	v, err := build(ctx)
	if err != nil {
		return nil, err
	}
	cur := &built{version: version, builtAt: now, wall: time.Now(), val: v}
	if encode {
		if cur.body, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encode response: %w", err)
		}
		cur.body = append(cur.body, '\n')
		cur.etag = etagOf(cur.body)
		cur.enc = encodingsFor(prev, cur.etag)
	}
	m.cur.Store(cur)
	return cur, nil
}

// cachedValue is cached for a value that is not answered as is (the fleet
// page's rows and gaps). Callers must not modify what it returns.
func cachedValue[T any](a *app, ctx context.Context, key string, build func(context.Context) (T, error)) (T, error) {
	m, err := a.cached(ctx, key, false, func(ctx context.Context) (any, error) { return build(ctx) })
	if err != nil {
		var zero T
		return zero, err
	}
	return m.val.(T), nil
}

// cachedJSON answers a GET with the read model key as JSON, compressed
// when the client accepts it (Accept-Encoding), or 304 when the client
// already holds that representation (If-None-Match).
func (a *app) cachedJSON(w http.ResponseWriter, r *http.Request, key string, build func(context.Context) (any, error)) error {
	m, err := a.cached(r.Context(), key, true, build)
	if err != nil {
		return err
	}
	rep := m.enc.pick(&a.reads.codec, m.body, m.etag, negotiate(r.Header.Get("Accept-Encoding")))
	h := w.Header()
	h["Vary"] = append(h["Vary"], "Accept-Encoding")
	h["Etag"] = []string{rep.etag}
	h["Cache-Control"] = []string{"no-cache"} // may be kept, but asked about again
	if etagMatches(r.Header.Get("If-None-Match"), rep.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h["Content-Type"] = []string{"application/json"}
	if rep.coding != "" {
		h["Content-Encoding"] = []string{rep.coding}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(rep.body))} // one write, not chunks
	w.WriteHeader(http.StatusOK)
	w.Write(rep.body)
	return nil
}

// etagOf is a strong validator of body: its SHA-256, shortened.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// pageCacheMax bounds the rendered pages kept (a fleet page is ~450 KB).
const pageCacheMax = 32

// cachedPage serves a GET page from the bytes it rendered last for the same
// URL, host and cookies (so a session only ever gets its own page, with
// its own links and form tokens), while the store version is unchanged and
// for at most readModelMaxAge, with an ETag of those bytes: the page's own
// refresh (static/app.js) sends it back and gets 304 when nothing changed.
// It caches at the level of the answer, not of the page's markup, so the
// page can change freely. An answer that sets a cookie is never kept.
func (a *app) cachedPage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		version, err := a.store.Version(r.Context())
		if err != nil {
			a.fail(w, r, err)
			return
		}
		// What else a page may depend on: the host it was asked for (the
		// onboarding shows URLs on it) and whether the browser came over TLS.
		sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%t\x00%s", r.URL.RequestURI(), r.Host, clientOf(r).https, r.Header.Get("Cookie")))
		key := "page:" + string(sum[:])
		cur := a.reads.page(key).render(version, a.now(), func(bw *bufferedWriter) { next.ServeHTTP(bw, r) })
		h := w.Header()
		for k, v := range cur.header {
			h[k] = v
		}
		rep := representation{body: cur.body, etag: cur.etag}
		if cur.status == http.StatusOK {
			rep = cur.enc.pick(&a.reads.codec, cur.body, cur.etag, negotiate(r.Header.Get("Accept-Encoding")))
			h["Vary"] = append(h["Vary"][:len(h["Vary"]):len(h["Vary"])], "Accept-Encoding") // (a copy: cur.header is shared)
			h.Set("ETag", rep.etag)
			if h.Get("Cache-Control") == "" {
				h.Set("Cache-Control", "no-cache")
			}
			if etagMatches(r.Header.Get("If-None-Match"), rep.etag) {
				h.Del("Content-Length")
				w.WriteHeader(http.StatusNotModified)
				return
			}
			if rep.coding != "" {
				h.Set("Content-Encoding", rep.coding)
			}
		}
		h.Set("Content-Length", strconv.Itoa(len(rep.body)))
		w.WriteHeader(cur.status)
		w.Write(rep.body)
	})
}

// render returns the page kept at version, or renders it (one render at a
// time, see acquire; the lock is released even if the page panics).
func (m *readModel) render(version string, now time.Time, page func(*bufferedWriter)) *built {
	if cur := m.acquire(version, now); cur != nil {
		return cur
	}
	defer m.mu.Unlock()
	prev := m.cur.Load()
	bw := &bufferedWriter{header: http.Header{}}
	page(bw)
	status := cmp.Or(bw.status, http.StatusOK)
	cur := &built{version: version, builtAt: now, wall: time.Now(), status: status, header: bw.header, body: bw.body, etag: etagOf(bw.body)}
	cur.enc = encodingsFor(prev, cur.etag)
	if status == http.StatusOK && len(bw.header.Values("Set-Cookie")) == 0 {
		m.cur.Store(cur)
	}
	return cur
}

// bufferedWriter holds a page's answer until its ETag is known.
type bufferedWriter struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}
