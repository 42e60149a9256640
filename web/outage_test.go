package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// logBuffer collects a dashboard's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// proxy stands between the store and PostgreSQL on loopback, so a test can
// take the database away (every connection dropped, new ones refused) and
// bring it back, without touching the PostgreSQL server others share.
type proxy struct {
	tb       testing.TB
	addr     string
	upstream string
	mu       sync.Mutex
	ln       net.Listener
	conns    []net.Conn
}

func newProxy(tb testing.TB, upstream string) *proxy {
	p := &proxy{tb: tb, upstream: upstream}
	p.listen("127.0.0.1:0")
	tb.Cleanup(p.cut)
	return p
}

func (p *proxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.tb.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// cut drops every connection and refuses new ones.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address.
func (p *proxy) restore() { p.listen(p.addr) }

// TestPostgresOutageAnswers503: while PostgreSQL cannot be reached, writes
// and reads are answered 503 with Retry-After, not 500; the outage is
// logged once when it begins and once when it ends; /readyz says not ready
// without naming the database, its user, host or the error; when the
// database is back, everything works again.
func TestPostgresOutageAnswers503(t *testing.T) {
	if storetest.PostgresURL(t) == "" {
		t.Skipf("PostgreSQL tests skipped: %s is not set", storetest.PostgresEnv)
	}
	direct := storetest.PostgresSchemaURL(t)
	u, _ := url.Parse(direct)
	px := newProxy(t, u.Host)
	u.Host = px.addr
	st := storetest.OpenDSN(t, u.String(), store.Options{})
	logs := &logBuffer{}
	e := &env{t: t, st: st, h: web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})}
	e.ingest = e.token(probes.ScopeIngest)
	report := func(id string) response {
		return e.post("/api/v1/reports", e.ingest, storetest.Report(id, "wsus01.corp.example", time.Now()))
	}
	if res := report("before"); res.status != 201 {
		t.Fatalf("before the outage: %d %s", res.status, res.body)
	}

	for outage := 1; outage <= 2; outage++ {
		px.cut()
		for i, res := range []response{report("during-1"), report("during-2"), e.do("GET", "/api/v1/servers", "", nil), report("during-3")} {
			if res.status != 503 || res.header.Get("Retry-After") == "" {
				t.Fatalf("outage %d, request %d: %d Retry-After %q, want 503 with Retry-After (%s)", outage, i, res.status, res.header.Get("Retry-After"), res.body)
			}
			if p := res.problem(t); strings.Contains(p.Detail, "internal error") {
				t.Errorf("a 503 that reads like a 500: %q", p.Detail)
			}
		}
		ready := e.do("GET", "/readyz", "", nil)
		if ready.status != 503 || ready.header.Get("Retry-After") == "" {
			t.Errorf("/readyz during the outage: %d", ready.status)
		}
		for _, secret := range []string{u.User.Username(), u.Hostname(), u.Port(), "postgres", "dial", "refused", "connect", "wft_"} {
			if strings.Contains(strings.ToLower(string(ready.body)), strings.ToLower(secret)) {
				t.Errorf("/readyz tells anonymous callers %q: %s", secret, ready.body)
			}
		}
		if n := logs.count("database unavailable"); n != outage {
			t.Errorf("after outage %d began: %d log lines about it, want %d (once per outage)", outage, n, outage)
		}

		px.restore()
		storetest.WaitFor(t, "the dashboard to take reports again", 30*time.Second, func() bool { return report(probes.NewID()).status == 201 })
		storetest.WaitFor(t, "the end of the outage in the log", 30*time.Second, func() bool { return logs.count("database available again") == outage })
	}
}

// TestReadOnlySQLiteAnswers503: a database file that cannot be written
// answers writes 503 (reads still work), and /readyz says not ready.
func TestReadOnlySQLiteAnswers503(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	setup, err := store.Open(context.Background(), "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	secret, _, err := setup.CreateToken(context.Background(), "collector", probes.ScopeIngest)
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.Close(); err != nil {
		t.Fatal(err)
	}
	makeReadOnly(t, path)

	st, err := store.Open(context.Background(), "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatalf("open a read-only database: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &logBuffer{}
	e := &env{t: t, st: st, h: web.New(st, web.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})}
	for i := range 3 {
		res := e.post("/api/v1/reports", secret, storetest.Report(probes.NewID(), "wsus01.corp.example", time.Now()))
		if res.status != 503 || res.header.Get("Retry-After") == "" {
			t.Fatalf("report %d to a read-only database: %d %s", i, res.status, res.body)
		}
	}
	if res := e.do("GET", "/api/v1/servers", "", nil); res.status != 200 {
		t.Errorf("reading a read-only database: %d %s", res.status, res.body)
	}
	if res := e.do("GET", "/readyz", "", nil); res.status != 503 || strings.Contains(string(res.body), "readonly") || strings.Contains(string(res.body), path) {
		t.Errorf("/readyz on a read-only database: %d %s", res.status, res.body)
	}
	if n := logs.count("database unavailable"); n != 1 {
		t.Errorf("%d log lines about the outage, want 1", n)
	}
}
