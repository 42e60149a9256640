package prober

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
)

// hangOptions make hanging peers cheap: a short request timeout, and a server
// budget that proves "did not hang" when the probe returns well before it.
func hangOptions() Options {
	o := testOptions()
	o.RequestTimeout = 300 * time.Millisecond
	o.ServerTimeout = 3 * time.Second
	return o
}

// probeBounded probes url and fails if it takes longer than the server
// timeout plus a generous margin: nothing may hang.
func probeBounded(tb testing.TB, p *Prober, url string) []probes.VDirCheck {
	tb.Helper()
	done := make(chan []probes.VDirCheck, 1)
	go func() {
		checks, err := p.Probe(context.Background(), url)
		if err != nil {
			tb.Errorf("Probe: %v", err)
		}
		done <- checks
	}()
	select {
	case checks := <-done:
		assertValid(tb, checks)
		return checks
	case <-time.After(p.o.ServerTimeout + 15*time.Second):
		tb.Fatalf("Probe(%s) hung past its server timeout", url)
		return nil
	}
}

func writeThen(s string, then func(net.Conn)) func(net.Conn) {
	return func(c net.Conn) {
		readRequest(c)
		_, _ = c.Write([]byte(s))
		then(c)
	}
}

func closeConn(c net.Conn) { c.Close() }

// forever streams chunk until the peer goes away, in big writes so that even
// a loaded test machine moves the bytes quickly.
func forever(chunk string) func(net.Conn) {
	b := []byte(strings.Repeat(chunk, 1+8192/len(chunk)))
	return func(c net.Conn) {
		for {
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	}
}

// Misbehaving peers on raw TCP: every check is classified, none hangs.
func TestBadPeers(t *testing.T) {
	cases := []struct {
		name   string
		scheme string
		serve  func(net.Conn)
		kind   string // expected ErrorKind; "" means an HTTP status was recorded
		status int
		errHas string
		hangs  bool // the peer stalls: probe with the short request timeout
	}{
		{"accepts and never answers", "http", drain, probes.ErrorTimeout, 0, "read response: no answer within 300ms", true},
		{"TLS port that never handshakes", "https", drain, probes.ErrorTimeout, 0, "TLS handshake: no answer within 300ms", true},
		{"closes at once", "http", closeConn, probes.ErrorHTTP, 0, "", false},
		{"closes after the request", "http", writeThen("", closeConn), probes.ErrorHTTP, 0, "closed the connection without a complete answer", false},
		{"SSH banner", "http", writeThen("SSH-2.0-OpenSSH_9.6\r\n", closeConn), probes.ErrorHTTP, 0, "malformed HTTP", false},
		{"binary garbage", "http", writeThen("\x00\xff\xfe\x1b[31m\x07\r\n\r\n", closeConn), probes.ErrorHTTP, 0, "read response", false},
		{"TLS alert on an http URL", "http", writeThen("\x15\x03\x01\x00\x02\x02\x28", closeConn), probes.ErrorHTTP, 0, "malformed HTTP", false},
		{"bare HTML, no status line", "http", writeThen("<html>hello</html>\r\n\r\n", closeConn), probes.ErrorHTTP, 0, "malformed HTTP", false},
		{"status 000", "http", writeThen("HTTP/1.1 000 Nothing\r\n\r\n", closeConn), probes.ErrorHTTP, 0, "invalid status code 000", false},
		{"endless headers", "http", writeThen("HTTP/1.1 200 OK\r\n", forever("X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")), probes.ErrorHTTP, 0, "larger than 64 KiB", false},
		{"one endless header line", "http", writeThen("HTTP/1.1 200 OK\r\nX-Junk: ", forever("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")), probes.ErrorHTTP, 0, "larger than 64 KiB", false},
		{"endless body", "http", writeThen("HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n\r\n", forever("<p>more</p>")), "", 200, "", false},
		{"endless chunked body", "http", writeThen("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n", forever("5\r\nHTTP \r\n")), "", 404, "", false},
		{"huge Content-Length, then stalls", "http", writeThen("HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\nMSCF", drain), "", 200, "", true},
		{"head, then nothing", "http", writeThen("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\n", drain), "", 503, "", true},
		{"interim answer first", "http", writeThen("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", closeConn), "", 200, "", false},
		{"hostile header values", "http", writeThen("HTTP/1.1 401 Unauthorized\r\nServer: \xff\xfe"+strings.Repeat("S", 600)+"\r\n"+
			strings.Repeat("WWW-Authenticate: Negotiate "+strings.Repeat("x", 700)+"\r\n", 20)+"Content-Length: 0\r\n\r\n", closeConn), "", 401, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := rawServer(t, tc.serve)
			o := hangOptions()
			if !tc.hangs {
				o.RequestTimeout = 5 * time.Second // a loaded machine must not turn these into timeouts
			}
			for _, c := range probeBounded(t, New(o), tc.scheme+"://"+addr) {
				if c.ErrorKind != tc.kind || c.Status != tc.status || !strings.Contains(c.Error, tc.errHas) {
					t.Errorf("%s: kind %q status %d error %q; want kind %q status %d error containing %q",
						c.VDir, c.ErrorKind, c.Status, c.Error, tc.kind, tc.status, tc.errHas)
				}
				if tc.kind != "" && c.Verdict != probes.VerdictFault {
					t.Errorf("%s: verdict %s; an unreachable vDir is a fault", c.VDir, c.Verdict)
				}
				if tc.kind != probes.ErrorTimeout && c.ConnectMS == nil {
					t.Errorf("%s: connect time not recorded", c.VDir)
				}
			}
		})
	}
}

func TestRefused(t *testing.T) {
	for _, c := range probeBounded(t, New(hangOptions()), "http://127.0.0.1:"+freePort(t)) {
		if c.ErrorKind != probes.ErrorConnect || !strings.Contains(c.Error, "refused") || c.Verdict != probes.VerdictFault ||
			!strings.Contains(c.Reason, "cannot connect") || c.ConnectMS != nil {
			t.Errorf("%s: kind %q error %q %s %q", c.VDir, c.ErrorKind, c.Error, c.Verdict, c.Reason)
		}
	}
}

// A name under .invalid never resolves; the resolver may say so or time out.
func TestDNSFailure(t *testing.T) {
	o := hangOptions()
	o.RequestTimeout = 2 * time.Second
	for _, c := range probeBounded(t, New(o), "http://wsus01.invalid:8530") {
		if c.ErrorKind != probes.ErrorDNS || !strings.Contains(c.Error, "wsus01.invalid") ||
			!strings.Contains(c.Reason, "host name does not resolve") || c.DNS != nil {
			t.Errorf("%s: kind %q error %q reason %q dns %v", c.VDir, c.ErrorKind, c.Error, c.Reason, c.DNS)
		}
	}
}

// https:// to a plain HTTP port and http:// to a TLS port.
func TestWrongScheme(t *testing.T) {
	plain := startSim(t, sim.Options{})
	for _, c := range probeBounded(t, New(hangOptions()), strings.Replace(plain.URL(), "http://", "https://", 1)) {
		if c.ErrorKind != probes.ErrorTLS || !strings.Contains(c.Error, "plain HTTP, not TLS") || c.TLS != nil {
			t.Errorf("https to http: %s kind %q error %q", c.VDir, c.ErrorKind, c.Error)
		}
	}
	tlsSim := startSim(t, sim.Options{TLS: true})
	for _, c := range probeBounded(t, New(hangOptions()), strings.Replace(tlsSim.URL(), "https://", "http://", 1)) {
		// Go's TLS server answers a plain request with 400 (IIS would drop
		// it: see TestBadPeers "closes after the request").
		if c.Status != http.StatusBadRequest || c.Verdict != probes.VerdictFault {
			t.Errorf("http to https: %s status %d %s %q", c.VDir, c.Status, c.Verdict, c.Reason)
		}
	}
}

// Redirects are recorded, never followed; leaving the server is called out.
func TestRedirects(t *testing.T) {
	var followed atomic.Int32
	elsewhere := rawServer(t, func(c net.Conn) { followed.Add(1); c.Close() })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.URL.Path, "/Inventory/") {
			http.Redirect(w, r, "/Inventory/default.aspx", http.StatusMovedPermanently)
			return
		}
		http.Redirect(w, r, "http://"+elsewhere+"/login?from=wsus", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	got := byVDir(probeBounded(t, New(hangOptions()), srv.URL))
	inv := got["Inventory"]
	if inv.Status != 301 || inv.Verdict != probes.VerdictOK || inv.Location != srv.URL+"/Inventory/default.aspx" || inv.Error != "" {
		t.Errorf("Inventory: %d %s %q error %q", inv.Status, inv.Verdict, inv.Reason, inv.Error)
	}
	cws := got["ClientWebService"]
	if cws.Status != 302 || cws.Verdict != probes.VerdictWarning || !strings.Contains(cws.Reason, "redirects to another server: http://"+elsewhere+"/login") ||
		!strings.HasPrefix(cws.Location, "http://"+elsewhere+"/login") || cws.Error != "" || cws.ErrorKind != "" {
		t.Errorf("ClientWebService: %d %s %q error %q kind %q", cws.Status, cws.Verdict, cws.Reason, cws.Error, cws.ErrorKind)
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect target got %d connections; redirects must not be followed", n)
	}
}

// A server that is not IIS is recorded as it is.
func TestNotIIS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.24.0")
		fmt.Fprint(w, "<html><body>Welcome to nginx!</body></html>")
	}))
	t.Cleanup(srv.Close)
	got := byVDir(probeBounded(t, New(hangOptions()), srv.URL))
	if c := got["ClientWebService"]; c.Server != "nginx/1.24.0" || c.Status != 200 || c.Substatus != nil {
		t.Errorf("ClientWebService: server %q status %d", c.Server, c.Status)
	}
	if c := got["ApiRemoting30"]; c.Verdict != probes.VerdictWarning || !strings.Contains(c.Reason, "answers anonymously") {
		t.Errorf("ApiRemoting30: %s %q", c.Verdict, c.Reason)
	}
}

// The extra checks of §7.1 go to their own ports: SelfUpdate on port 80 and,
// in SSL mode, Content on the http port.
func TestExtraChecks(t *testing.T) {
	secure := startSim(t, sim.Options{TLS: true})
	plain := startSim(t, sim.Options{})
	_, plainPort, _ := net.SplitHostPort(plain.Addr().String())
	o := hangOptions()
	o.RootCAs = secure.CertPool()
	o.HTTPPort = atoi([]byte(plainPort))
	o.SelfUpdatePort = atoi([]byte(freePort(t)))
	checks := probeBounded(t, New(o), secure.URL())
	if len(checks) != 11 {
		t.Fatalf("%d checks; want 9 vDirs + SelfUpdate on port 80 + Content on the http port", len(checks))
	}
	su, content := checks[9], checks[10]
	if su.VDir != "SelfUpdate" || !strings.HasPrefix(su.URL, "http://127.0.0.1:") || su.ErrorKind != probes.ErrorConnect {
		t.Errorf("SelfUpdate extra: %s %s kind %q", su.VDir, su.URL, su.ErrorKind)
	}
	if content.VDir != "Content" || content.URL != plain.URL()+"/Content/" || content.Verdict != probes.VerdictOK || content.TLS != nil {
		t.Errorf("Content extra: %s %s %s %q", content.VDir, content.URL, content.Verdict, content.Reason)
	}
}

// A server that hangs holds only its own slots: another server's probe
// finishes while the hanging one is still waiting.
func TestSlowServerDoesNotDelayOthers(t *testing.T) {
	release := make(chan struct{})
	hanging := rawServer(t, func(c net.Conn) {
		readRequest(c)
		<-release
		c.Close()
	})
	healthy := startSim(t, sim.Options{})
	o := testOptions()
	o.RequestTimeout, o.ServerTimeout = time.Minute, time.Minute
	o.MaxConns = 2 * len(probes.VDirNames())
	p := New(o)

	hangDone := make(chan struct{})
	go func() {
		defer close(hangDone)
		_, _ = p.Probe(context.Background(), "http://"+hanging)
	}()
	// Whatever order the two are admitted in, both fit in MaxConns.
	checks := probeBounded(t, p, healthy.URL())
	select {
	case <-hangDone:
		t.Error("the hanging server finished first; it should still be waiting")
	default:
	}
	for _, c := range checks {
		if c.Verdict != probes.VerdictOK {
			t.Errorf("%s: %s %q", c.VDir, c.Verdict, c.Reason)
		}
	}
	close(release)
	<-hangDone
}

// Fewer connection slots than checks still probes everything, in waves.
func TestOneConnection(t *testing.T) {
	s := startSim(t, sim.Options{})
	o := testOptions()
	o.MaxConns = 1
	for _, c := range probeBounded(t, New(o), s.URL()) {
		if c.Verdict != probes.VerdictOK {
			t.Errorf("%s: %s %q", c.VDir, c.Verdict, c.Reason)
		}
	}
}

// A cancelled context still gives one classified check per request.
func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checks, err := New(testOptions()).Probe(ctx, "http://127.0.0.1:"+freePort(t))
	if err != nil {
		t.Fatal(err)
	}
	assertValid(t, checks)
	if len(checks) != len(probes.VDirNames()) {
		t.Fatalf("%d checks", len(checks))
	}
	for _, c := range checks {
		if c.ErrorKind != probes.ErrorTimeout || !strings.Contains(c.Error, "not probed") {
			t.Errorf("%s: kind %q error %q", c.VDir, c.ErrorKind, c.Error)
		}
	}
}

func TestInvalidURL(t *testing.T) {
	p := New(testOptions())
	for _, u := range []string{"", "wsus01:8530", "ftp://wsus01", "file:///etc/passwd", "http://", "http://wsus01:8530/ClientWebService", "http://wsus01?x=1", "gopher://wsus01:70"} {
		if checks, err := p.Probe(context.Background(), u); err == nil || checks != nil {
			t.Errorf("Probe(%q) = %d checks, %v; want an error", u, len(checks), err)
		}
	}
}

// Many servers at once through one Prober (run with -race).
func TestConcurrentServers(t *testing.T) {
	profiles := []string{sim.Healthy, sim.PoolStopped, sim.AnonDisabled, sim.ContentACL, sim.Impersonation}
	o := testOptions()
	o.MaxConns = 16
	p := New(o)
	type result struct {
		profile string
		checks  []probes.VDirCheck
	}
	results := make(chan result)
	for i := range 20 {
		s := startSim(t, sim.Options{Profile: profiles[i%len(profiles)]})
		go func() {
			checks, err := p.Probe(context.Background(), s.URL())
			if err != nil {
				t.Error(err)
			}
			results <- result{s.Profile(), checks}
		}()
	}
	for range 20 {
		r := <-results
		assertValid(t, r.checks)
		cws := byVDir(r.checks)["ClientWebService"]
		if (r.profile == sim.Healthy || r.profile == sim.ContentACL) != (cws.Verdict == probes.VerdictOK) {
			t.Errorf("%s: ClientWebService %s %q", r.profile, cws.Verdict, cws.Reason)
		}
	}
}

// Cancelling the caller's context ends a probe of a silent server at once,
// long before its own timeouts, and says why.
func TestCancelDuringProbe(t *testing.T) {
	connected := make(chan struct{}, 1)
	silent := rawServer(t, func(c net.Conn) {
		select {
		case connected <- struct{}{}:
		default:
		}
		drain(c)
	})
	o := testOptions()
	o.RequestTimeout, o.ServerTimeout = time.Minute, time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []probes.VDirCheck, 1)
	go func() {
		checks, _ := New(o).Probe(ctx, "http://"+silent)
		done <- checks
	}()
	select { // cancel once the probe is waiting on the server, not before it started
	case <-connected:
	case <-time.After(30 * time.Second):
		t.Fatal("the probe never connected")
	}
	cancel()
	select {
	case checks := <-done:
		assertValid(t, checks)
		for _, c := range checks {
			if c.ErrorKind != probes.ErrorTimeout || !strings.Contains(c.Error, "cancel") {
				t.Errorf("%s: kind %q error %q", c.VDir, c.ErrorKind, c.Error)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Probe ignored the cancelled context")
	}
}
