package main

import (
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/prober"
	"github.com/wsusfleet/wsusfleet/probes/sim"
)

// fakeDNS answers every A query from names (and every AAAA query with no
// address) on a loopback UDP port, and returns a resolver that asks it.
func fakeDNS(t *testing.T, names map[string]netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.EnableCompression()
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if ip, ok := names[strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")]; ok && q.Type == dnsmessage.TypeA {
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}, dnsmessage.AResource{A: ip.As4()})
			}
			msg, err := b.Finish()
			if err == nil {
				pc.WriteTo(msg, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// TestProbeRefusesNamesResolvingToLinkLocal: a registered name that
// resolves to the metadata address (or is re-bound there after it was
// registered) is refused where the prober dials, after DNS; a name that
// resolves to an allowed address is probed as usual.
func TestProbeRefusesNamesResolvingToLinkLocal(t *testing.T) {
	s, err := sim.Start("127.0.0.1:0", sim.Options{Profile: sim.Healthy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	port := s.URL()[strings.LastIndex(s.URL(), ":")+1:]
	resolver := fakeDNS(t, map[string]netip.Addr{
		"rebound.corp.example": netip.MustParseAddr("169.254.169.254"),
		"wsus01.corp.example":  netip.MustParseAddr("127.0.0.1"),
	})
	p := prober.New(prober.Options{Resolver: resolver, Deny: probes.ProbeAddrAllowed, SelfUpdatePort: -1})
	checks, err := p.Probe(t.Context(), "http://rebound.corp.example:"+port)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Status != 0 || !strings.Contains(c.Error, "link-local or cloud metadata address") {
			t.Errorf("%s: status %d error %q; want the dial refused", c.VDir, c.Status, c.Error)
		}
	}
	checks, err = p.Probe(t.Context(), "http://wsus01.corp.example:"+port)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Status == 0 {
			t.Errorf("%s: a name resolving to an allowed address was not probed: %q", c.VDir, c.Error)
		}
	}
}

// TestServeAllowLinkLocal: serve refuses to register a link-local server
// unless started with --allow-link-local.
func TestServeAllowLinkLocal(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "linklocal.db")
	admin := lastLine(runCmd(t, "token", "create", "--name", "ll", "--scope", "admin", "--db", db))
	body := []byte(`{"name":"lab-wsus","url":"http://169.254.10.20:8530"}`)
	for _, tc := range []struct {
		flags []string
		want  int
	}{{nil, 422}, {[]string{"--allow-link-local"}, 201}} {
		srv := startRun(t, "listening on ", append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn", "--probe-interval", "1h"}, tc.flags...)...)
		if status, err := postJSON(t.Context(), srv.url+"/api/v1/servers", admin, body); err != nil || status != tc.want {
			t.Errorf("serve %v: register a link-local server: %d %v, want %d", tc.flags, status, err, tc.want)
		}
	}
}
