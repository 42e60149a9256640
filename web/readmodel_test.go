package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// envOnDSN is a dashboard on its own store over dsn: two of them on one
// database are two serve instances.
func envOnDSN(t *testing.T, dsn string, clock *storetest.Clock) *env {
	t.Helper()
	st := storetest.OpenDSN(t, dsn, store.Options{Now: clock.Now})
	e := &env{t: t, st: st, h: web.New(st, web.Config{Now: clock.Now}), clock: clock}
	e.ingest, e.read, e.admin = e.token("ingest"), e.token("read"), e.token("admin")
	return e
}

func sharedDSNs() map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "shared.db") },
		"postgres": func(t *testing.T) string { return storetest.PostgresSchemaURL(t) },
	}
}

// TestReadModelsETag: the server list, the gaps and the fleet page carry an
// ETag; sent back unchanged they are 304 with no body; a write (or time
// passing, which turns a silent server unknown) changes them.
func TestReadModelsETag(t *testing.T) {
	for name, dsn := range sharedDSNs() {
		t.Run(name, func(t *testing.T) {
			e := envOnDSN(t, dsn(t), storetest.NewClock(storetest.T0))
			e.mustPost("/api/v1/reports", storetest.Report("etag-1", "wsus01.corp.example", storetest.T0))
			for _, path := range []string{"/api/v1/servers", "/api/v1/gaps", "/"} {
				first := e.do("GET", path, "", nil)
				etag := first.header.Get("ETag")
				if first.status != 200 || !strings.HasPrefix(etag, `"`) {
					t.Fatalf("GET %s: %d, ETag %q", path, first.status, etag)
				}
				again := e.do("GET", path, "", nil, "If-None-Match", etag)
				if again.status != 304 || len(again.body) != 0 || again.header.Get("ETag") != etag {
					t.Errorf("GET %s with its ETag: %d, %d bytes, ETag %q; want 304, none, the same", path, again.status, len(again.body), again.header.Get("ETag"))
				}
				if other := e.do("GET", path, "", nil, "If-None-Match", `"something-else", W/`+etag); other.status != 304 {
					t.Errorf("GET %s with a list holding its weak ETag: %d, want 304", path, other.status)
				}
				if other := e.do("GET", path, "", nil, "If-None-Match", `"something-else"`); other.status != 200 || len(other.body) == 0 {
					t.Errorf("GET %s with another ETag: %d, want 200 with the body", path, other.status)
				}
			}
			before := e.do("GET", "/api/v1/servers", "", nil)
			e.mustPost("/api/v1/reports", storetest.Report("etag-2", "wsus02.corp.example", storetest.T0))
			after := e.do("GET", "/api/v1/servers", "", nil, "If-None-Match", before.header.Get("ETag"))
			if after.status != 200 || after.header.Get("ETag") == before.header.Get("ETag") || !strings.Contains(string(after.body), "wsus02.corp.example") {
				t.Errorf("after a write: %d, ETag %q (was %q), %s", after.status, after.header.Get("ETag"), before.header.Get("ETag"), after.body)
			}
			if page := e.do("GET", "/", "", nil); page.status != 200 || !strings.Contains(string(page.body), "wsus02.corp.example") {
				t.Errorf("the fleet page after a write: %d, without the new server", page.status)
			}
			// No write, but time passes: the silent servers turn unknown.
			e.clock.Advance(time.Hour)
			later := e.do("GET", "/api/v1/servers", "", nil, "If-None-Match", after.header.Get("ETag"))
			if later.status != 200 || !strings.Contains(string(later.body), `"status":"unknown"`) {
				t.Errorf("an hour later: %d %s; want the servers unknown", later.status, later.body)
			}
		})
	}
}

// TestReadModelsAcrossInstances: two dashboards on one database; what is
// written through one is listed by the other (within its version poll),
// though the other answered from its read model before.
func TestReadModelsAcrossInstances(t *testing.T) {
	for name, dsn := range sharedDSNs() {
		t.Run(name, func(t *testing.T) {
			dsn := dsn(t)
			clock := storetest.NewClock(storetest.T0)
			a, b := envOnDSN(t, dsn, clock), envOnDSN(t, dsn, clock)
			for i := range 3 {
				server := fmt.Sprintf("wsus%02d.corp.example", i)
				seen := b.do("GET", "/api/v1/servers", "", nil)
				a.mustPost("/api/v1/reports", storetest.Report(fmt.Sprintf("x-%d", i), server, storetest.T0))
				storetest.WaitFor(t, "the other instance listing "+server, 10*time.Second, func() bool {
					res := b.do("GET", "/api/v1/servers", "", nil, "If-None-Match", seen.header.Get("ETag"))
					if res.status != 304 && res.status != 200 {
						t.Fatalf("GET /api/v1/servers on the other instance: %d %s", res.status, res.body)
					}
					return res.status == 200 && strings.Contains(string(res.body), server)
				})
			}
		})
	}
}

// TestCachedPageIsPerSession: the fleet page is kept per cookie set, behind
// the sign-in check: a request without a session is still sent to sign in,
// and a session that signed out does not get the page it was shown.
func TestCachedPageIsPerSession(t *testing.T) {
	e := newPageEnv(t, web.Config{ReadAuth: web.ReadAuthToken})
	seedScenario(t, e.env)
	c, _ := e.signIn(t, e.read, "/")
	if c == nil {
		t.Fatal("no session")
	}
	for range 2 {
		if p := e.page("GET", "/", nil, c); p.status != 200 {
			t.Fatalf("signed in: %d", p.status)
		}
		if p := e.page("GET", "/", nil); p.status != 303 {
			t.Errorf("without a session, after a signed-in view: %d, want 303 to sign in", p.status)
		}
	}
	if err := e.st.RevokeToken(t.Context(), tokenID(t, e.env, "test-read")); err != nil {
		t.Fatal(err)
	}
	if p := e.page("GET", "/", nil, c); p.status == 200 {
		t.Errorf("a session whose token was revoked still gets the page it was shown")
	}
}

func tokenID(t *testing.T, e *env, name string) int64 {
	t.Helper()
	toks, err := e.st.Tokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.Name == name {
			return tok.ID
		}
	}
	t.Fatalf("no token %q", name)
	return 0
}

// TestHeadAnsweredAsGet: HEAD on a page or a read endpoint gets GET's status
// and headers (the ETag of the read model among them) and no body; HEAD on a
// write-only endpoint is still refused.
func TestHeadAnsweredAsGet(t *testing.T) {
	e := newEnv(t, web.Config{})
	e.mustPost("/api/v1/reports", storetest.Report("head-1", "wsus01.corp.example", storetest.T0))
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	send := func(method, path string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.read)
		req.Header.Set("Accept-Encoding", "identity") // Go's client asks for gzip on GET only
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	for _, path := range []string{"/api/v1/servers", "/api/v1/servers/wsus01.corp.example", "/healthz"} {
		get, body := send(http.MethodGet, path)
		head, none := send(http.MethodHead, path)
		if get.StatusCode != 200 || head.StatusCode != 200 || len(body) == 0 || len(none) != 0 {
			t.Errorf("%s: GET %d (%d bytes), HEAD %d (%d bytes)", path, get.StatusCode, len(body), head.StatusCode, len(none))
		}
		if g, h := get.Header.Get("ETag"), head.Header.Get("ETag"); g != h || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("%s: HEAD headers differ from GET's: ETag %q vs %q", path, h, g)
		}
	}
	if res, _ := send(http.MethodHead, "/api/v1/reports"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD /api/v1/reports: %d, want 405", res.StatusCode)
	}
}
