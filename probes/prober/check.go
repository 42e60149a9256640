package prober

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// check performs one request on a fresh connection (never reused) and fills
// in everything it learned, even when it failed half-way.
func (p *Prober) check(serverCtx context.Context, c probes.VDirCheck, t target, addrs []string) probes.VDirCheck {
	ctx, cancel := context.WithTimeout(serverCtx, p.o.RequestTimeout)
	defer cancel()
	start := time.Now()
	fail := func(phase string, err error) probes.VDirCheck {
		c.LatencyMS = ms(time.Since(start))
		return p.judged(c, p.classify(serverCtx, phase, err))
	}

	conn, connect, err := dial(ctx, addrs, t.port, p.o.Deny)
	if err != nil {
		return fail("connect", err)
	}
	defer conn.Close()
	c.ConnectMS = &connect
	// Deadlines bound every read and write; AfterFunc also aborts them when
	// the server's budget or the caller's context ends first.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	rw := conn
	if t.tls {
		tc, info, err := p.handshake(ctx, conn, t.host)
		c.TLS = info
		if err != nil {
			return fail("TLS handshake", err)
		}
		rw = tc // closing conn is enough: no close_notify to wait on
	}

	resp, body, phase, err := p.exchange(ctx, rw, t)
	if err != nil {
		return fail(phase, err)
	}
	c.LatencyMS = ms(resp.headAt.Sub(start)) // what a client waits: connect, TLS, server time
	c.Status = resp.StatusCode
	c.Substatus = substatus(resp.StatusCode, body)
	c.WWWAuthenticate = clip(resp.Header.Values("Www-Authenticate"), 10, 512)
	c.Server = clean(resp.Header.Get("Server"), 256)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		noteRedirect(&c, t, resp.Header.Get("Location"))
	}
	return p.judged(c, nil)
}

// judged sets the verdict of §7.1–7.2, after recording f when the check failed.
func (p *Prober) judged(c probes.VDirCheck, f *failure) probes.VDirCheck {
	if f != nil {
		c.ErrorKind, c.Error = f.kind, clean(f.message(), 2048)
	}
	c.Verdict, c.Reason = probes.Judge(c, p.o.Now())
	c.Reason = clean(c.Reason, 512)
	return c
}

// dial connects to the first address that accepts (and deny allows).
func dial(ctx context.Context, addrs []string, port string, deny func(netip.Addr) error) (net.Conn, float64, error) {
	d := net.Dialer{KeepAlive: -1}
	if deny != nil {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			return deny(ap.Addr())
		}
	}
	var first error
	for _, a := range addrs {
		start := time.Now()
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a, port))
		if err == nil {
			return conn, ms(time.Since(start)), nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, 0, first
}

// response is an HTTP answer and when its head arrived.
type response struct {
	*http.Response
	headAt time.Time
}

// exchange sends the GET and reads the answer's head and at most MaxBody of
// its body, never more than maxHeaderBytes of head. Redirects are not followed.
func (p *Prober) exchange(ctx context.Context, conn net.Conn, t target) (resp response, body []byte, phase string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url.String(), nil)
	if err != nil {
		return resp, nil, "send request", err
	}
	req.Close = true
	req.Header.Set("User-Agent", p.o.UserAgent)
	req.Header.Set("Accept", "*/*")
	bw := bufio.NewWriter(conn)
	if err = req.Write(bw); err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return resp, nil, "send request", err
	}

	capped := &capReader{r: conn, n: maxHeaderBytes}
	br := bufio.NewReader(capped)
	r, err := http.ReadResponse(br, req)
	// Skip interim answers (100 Continue, 103 Early Hints), a few at most.
	for i := 0; err == nil && r.StatusCode >= 100 && r.StatusCode < 200 && r.StatusCode != 101 && i < 5; i++ {
		r, err = http.ReadResponse(br, req)
	}
	if err != nil {
		if capped.n <= 0 {
			err = errHeadTooLarge
		}
		return resp, nil, "read response", err
	}
	defer r.Body.Close()
	resp = response{Response: r, headAt: time.Now()}
	if r.StatusCode < 100 {
		return resp, nil, "read response", fmt.Errorf("invalid status code %03d", r.StatusCode)
	}
	// Room for the body and any chunk framing around it; a truncated or
	// stalled body is fine, the status is what matters.
	capped.n = p.o.MaxBody*2 + 4096
	body, _ = io.ReadAll(io.LimitReader(r.Body, p.o.MaxBody))
	return resp, body, "", nil
}

// capReader fails reads once n bytes have been read, so a server streaming
// endless headers cannot make the prober buffer without bound.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(b []byte) (int, error) {
	if c.n <= 0 {
		return 0, errHeadTooLarge
	}
	if int64(len(b)) > c.n {
		b = b[:c.n]
	}
	n, err := c.r.Read(b)
	c.n -= int64(n)
	return n, err
}

// noteRedirect records where a 3xx points, resolved against the request URL;
// a redirect is never followed, and probes.Judge calls out one that leaves
// the server.
func noteRedirect(c *probes.VDirCheck, t target, location string) {
	if location == "" {
		return
	}
	if loc, err := t.url.Parse(location); err == nil {
		location = loc.String()
	}
	c.Location = clean(location, 2048)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
