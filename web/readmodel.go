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
// check (an atomic load; a database round trip at most every 250 ms) and a
// copy. A write through this process changes the version at once; one
// through another instance on the same database within 250 ms.
type readModels struct {
	mu    sync.Mutex
	m     map[string]*readModel
	pages int // entries of rendered pages in m
}

type readModel struct {
	mu  sync.Mutex // one build at a time: 64 waiting requests share it
	cur *built     // replaced whole, never modified: requests keep what they got
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
}

// page is get for a rendered page: their number is bounded (keys include
// the session's cookie), so when full the pages kept are dropped.
func (rm *readModels) page(key string) *readModel {
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

// fresh reports whether m was built at version and recently enough.
func (m *built) fresh(version string, now time.Time) bool {
	if m == nil {
		return false
	}
	age := now.Sub(m.builtAt)
	return m.version == version && m.version != "" && age >= 0 && age < readModelMaxAge && time.Since(m.wall) < readModelMaxAge
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
	m.mu.Lock()
	defer m.mu.Unlock()
	now := a.now()
	if m.cur.fresh(version, now) {
		return m.cur, nil
	}
	v, err := build(ctx)
	if err != nil {
		return nil, err
	}
	var body []byte
	var etag string
	if encode {
		if body, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encode response: %w", err)
		}
		body = append(body, '\n')
		etag = etagOf(body)
	}
	m.cur = &built{version: version, builtAt: now, wall: time.Now(), val: v, body: body, etag: etag}
	return m.cur, nil
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

// cachedJSON answers a GET with the read model key as JSON, or 304 when the
// client already holds it (If-None-Match).
func (a *app) cachedJSON(w http.ResponseWriter, r *http.Request, key string, build func(context.Context) (any, error)) error {
	m, err := a.cached(r.Context(), key, true, build)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", m.etag)
	h.Set("Cache-Control", "no-cache") // may be kept, but asked about again
	if etagMatches(r.Header.Get("If-None-Match"), m.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(m.body))) // one write, not chunks
	w.WriteHeader(http.StatusOK)
	w.Write(m.body)
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
		if cur.status == http.StatusOK {
			h.Set("ETag", cur.etag)
			if h.Get("Cache-Control") == "" {
				h.Set("Cache-Control", "no-cache")
			}
			if etagMatches(r.Header.Get("If-None-Match"), cur.etag) {
				h.Del("Content-Length")
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		h.Set("Content-Length", strconv.Itoa(len(cur.body)))
		w.WriteHeader(cur.status)
		w.Write(cur.body)
	})
}

// render returns the page kept at version, or renders it (one render at a
// time; the lock is released even if the page panics).
func (m *readModel) render(version string, now time.Time, page func(*bufferedWriter)) *built {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur.fresh(version, now) {
		return m.cur
	}
	bw := &bufferedWriter{header: http.Header{}}
	page(bw)
	status := cmp.Or(bw.status, http.StatusOK)
	cur := &built{version: version, builtAt: now, wall: time.Now(), status: status, header: bw.header, body: bw.body, etag: etagOf(bw.body)}
	if status == http.StatusOK && len(bw.header.Values("Set-Cookie")) == 0 {
		m.cur = cur
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
