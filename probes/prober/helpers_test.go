package prober

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
)

// startSim runs a simulated WSUS server on a loopback port for the test.
func startSim(tb testing.TB, opts sim.Options) *sim.Server {
	tb.Helper()
	s, err := sim.Start("127.0.0.1:0", opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// testOptions keep tests on loopback: no check ever goes to port 80 unless a
// test points it somewhere.
func testOptions() Options {
	return Options{RequestTimeout: 5 * time.Second, ServerTimeout: 20 * time.Second, SelfUpdatePort: -1, HTTPPort: -1}
}

func probe(tb testing.TB, p *Prober, url string) []probes.VDirCheck {
	tb.Helper()
	checks, err := p.Probe(context.Background(), url)
	if err != nil {
		tb.Fatalf("Probe(%s): %v", url, err)
	}
	assertValid(tb, checks)
	return checks
}

// assertValid checks that the checks fit the report schema as they are: the
// prober must never produce something ingest would reject.
func assertValid(tb testing.TB, checks []probes.VDirCheck) {
	tb.Helper()
	now := time.Now()
	r := probes.Report{
		Schema: probes.SchemaReport, ID: "3b1f0c5e-7d0a-4a53-9a43-0b2f7f0f9a11", CollectedAt: probes.TimeOf(now),
		Collector:  probes.Collector{Name: "prober test", Vantage: probes.VantageDashboard},
		Server:     probes.ServerInfo{Name: "wsus01.corp.example"},
		VDirChecks: checks,
	}
	if err := r.Validate(now); err != nil {
		var ve *probes.ValidationError
		if !errors.As(err, &ve) {
			tb.Fatalf("Validate: %v", err)
		}
		for _, fe := range ve.Errors {
			tb.Errorf("checks do not validate: %s: %s", fe.Pointer, fe.Detail)
		}
	}
	for _, c := range checks {
		if c.Method != "GET" || c.Verdict == "" || c.Reason == "" {
			tb.Errorf("%s %s: method %q verdict %q reason %q", c.VDir, c.URL, c.Method, c.Verdict, c.Reason)
		}
		if (c.Status == 0) != (c.ErrorKind != "") {
			tb.Errorf("%s %s: status %d with error kind %q", c.VDir, c.URL, c.Status, c.ErrorKind)
		}
	}
}

// byVDir returns the checks on the server's own URL, by vDir (the first one of
// each; extra checks on other ports come after).
func byVDir(checks []probes.VDirCheck) map[string]probes.VDirCheck {
	m := map[string]probes.VDirCheck{}
	for _, c := range checks {
		if _, ok := m[c.VDir]; !ok {
			m[c.VDir] = c
		}
	}
	return m
}

// rawServer accepts TCP connections on loopback and hands each to serve; it
// stops and drops every connection at cleanup.
func rawServer(tb testing.TB, serve func(net.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { serve(c) })
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// readRequest consumes a request head so the peer sees its bytes were taken.
func readRequest(c net.Conn) {
	buf := make([]byte, 4096)
	var got strings.Builder
	for !strings.Contains(got.String(), "\r\n\r\n") {
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			return
		}
	}
}

// drain reads until the peer goes away, then hangs up: a server that never answers.
func drain(c net.Conn) {
	_, _ = io.Copy(io.Discard, c)
	c.Close()
}

// freePort returns a loopback port with nothing listening.
func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}
