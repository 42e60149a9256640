package prober

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Defaults for the zero Options.
const (
	DefaultRequestTimeout = 10 * time.Second
	DefaultServerTimeout  = 30 * time.Second
	DefaultMaxBody        = 8 << 10
	DefaultMaxConns       = 128
	DefaultUserAgent      = "wsusfleet-prober/1"
)

// maxHeaderBytes bounds a response head; a server sending endless headers is
// cut off there.
const maxHeaderBytes = 64 << 10

// Options configure a Prober. The zero value is usable.
type Options struct {
	// RequestTimeout bounds one request from connect to the end of the body
	// read (and the DNS lookup of the server); default 10 s.
	RequestTimeout time.Duration
	// ServerTimeout bounds all checks of one server, counted from when the
	// server gets its connection slots; default 30 s.
	ServerTimeout time.Duration
	// MaxBody is how much of a body is read, to find the IIS substatus in an
	// error page; default 8 KiB.
	MaxBody int64
	// MaxConns bounds the connections open at once across all servers probed
	// by this Prober; default 128. Keep it at least the number of checks of
	// one server (10–13) so a server's checks run at once.
	MaxConns int
	// RootCAs are the trust anchors for the certificate chain check; nil
	// means the system roots.
	RootCAs *x509.CertPool
	// SelfUpdatePort is the port of the extra http SelfUpdate check; 0 means
	// 80, negative skips the check.
	SelfUpdatePort int
	// HTTPPort is the port of the extra http Content check in SSL mode; 0
	// means the SSL port − 1 (80 when SSL is on 443), negative skips it.
	HTTPPort int
	// AltPaths also GETs each vDir's other well-known files (§7.1 "also").
	AltPaths bool
	// Resolver looks up server names; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Deny, when set, refuses to connect to an address (the dashboard's
	// prober keeps off link-local and cloud metadata addresses). It sees the
	// address actually dialled, after DNS, so a name that resolves there, or
	// is re-bound there between checks, is refused too.
	Deny func(netip.Addr) error
	// Now is the clock for certificate validity and judging; nil means
	// time.Now. Latencies always use the real monotonic clock.
	Now func() time.Time
	// UserAgent is sent with every request; default DefaultUserAgent.
	UserAgent string
}

// Prober checks WSUS servers. It is safe for concurrent use; probing many
// servers at once is the intended use.
type Prober struct {
	o     Options
	limit *connLimit
}

// New returns a Prober with opts, zero fields set to their defaults.
func New(opts Options) *Prober {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.ServerTimeout <= 0 {
		opts.ServerTimeout = DefaultServerTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.SelfUpdatePort == 0 {
		opts.SelfUpdatePort = 80
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	return &Prober{o: opts, limit: newConnLimit(opts.MaxConns)}
}

// Probe checks every vDir of the server at serverURL (like
// http://wsus01:8530 or https://wsus01:8531) and returns one judged check
// per request, in dashboard order followed by the extra checks. The error is
// only for an invalid URL; every network problem is a check with an
// ErrorKind. If ctx ends before the server's turn comes, every check reports
// a timeout ("not probed").
func (p *Prober) Probe(ctx context.Context, serverURL string) ([]probes.VDirCheck, error) {
	if err := probes.CheckServerURL(serverURL); err != nil {
		return nil, fmt.Errorf("prober: server URL %w", err)
	}
	base, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("prober: %w", err)
	}
	targets := plan(base, &p.o)
	checks := make([]probes.VDirCheck, len(targets))
	slots := min(len(targets), p.o.MaxConns)
	if err := p.limit.acquire(ctx, slots); err != nil {
		for i, t := range targets {
			checks[i] = p.judged(newCheck(t), &failure{phase: "not probed", err: err, kind: probes.ErrorTimeout})
		}
		return checks, nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.o.ServerTimeout)
	defer cancel()

	addrs, dns, dnsErr := p.resolve(ctx, base.Hostname())
	work := make(chan int, len(targets))
	for i := range targets {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	for range slots {
		wg.Go(func() {
			defer p.limit.release(1) // give the slot back as soon as this worker is done
			for i := range work {
				c := newCheck(targets[i])
				c.DNS = dns
				if dnsErr != nil {
					checks[i] = p.judged(c, p.classify(ctx, "resolve", dnsErr))
					continue
				}
				checks[i] = p.check(ctx, c, targets[i], addrs)
			}
		})
	}
	wg.Wait()
	probes.SettleSelfUpdate(checks)
	return checks, nil
}

func newCheck(t target) probes.VDirCheck {
	return probes.VDirCheck{VDir: t.vdir, URL: t.url.String(), Method: "GET"}
}

// resolve looks the server name up once for all its checks. addrs are the
// addresses to dial; dns is what the report records (nil for an IP literal,
// which involves no lookup).
func (p *Prober) resolve(ctx context.Context, host string) (addrs, dns []string, err error) {
	if ip := net.ParseIP(host); ip != nil {
		return []string{host}, nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.o.RequestTimeout)
	defer cancel()
	ips, err := p.o.Resolver.LookupIPAddr(ctx, host)
	if err == nil && len(ips) == 0 {
		err = fmt.Errorf("lookup %s: no addresses", host)
	}
	if err != nil {
		return nil, nil, err
	}
	for _, ip := range ips {
		addrs = append(addrs, ip.String())
	}
	return addrs, clip(addrs, 32, 64), nil
}
