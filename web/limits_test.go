package web_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// liveEnv is a dashboard on a real loopback listener, for clients that
// misbehave at the connection level.
type liveEnv struct {
	*env
	srv *httptest.Server
}

func newLiveEnv(t *testing.T, cfg web.Config) *liveEnv {
	t.Helper()
	st := storetest.OpenSQLite(t, store.Options{})
	e := &env{t: t, st: st, h: web.New(st, cfg)}
	e.ingest, e.read, e.admin = e.token(probes.ScopeIngest), e.token(probes.ScopeRead), e.token(probes.ScopeAdmin)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	return &liveEnv{env: e, srv: srv}
}

// dial opens a raw connection; the whole exchange must end within a
// generous deadline, so a server that hangs fails the test instead of it.
func (l *liveEnv) dial() net.Conn {
	l.t.Helper()
	c, err := net.Dial("tcp", l.srv.Listener.Addr().String())
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

func head(path, token string, length int64, extra ...string) string {
	ct := "application/json"
	if path == "/signin" {
		ct = "application/x-www-form-urlencoded"
	}
	h := "POST " + path + " HTTP/1.1\r\nHost: wsusfleet.test\r\nContent-Type: " + ct + "\r\n"
	if token != "" {
		h += "Authorization: Bearer " + token + "\r\n"
	}
	for _, x := range extra {
		h += x + "\r\n"
	}
	return h + fmt.Sprintf("Content-Length: %d\r\n\r\n", length)
}

// closed reports whether the server closed the connection (after the
// response, nothing more arrives).
func closed(t *testing.T, br *bufio.Reader) bool {
	t.Helper()
	_, err := br.ReadByte()
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

// TestEarlyRefusalClosesWithoutReadingTheBody: a request without a token
// that announces a body and sends a byte of it is answered 401 at once and
// its connection closed; the server does not wait for (drain) the body.
func TestEarlyRefusalClosesWithoutReadingTheBody(t *testing.T) {
	l := newLiveEnv(t, web.Config{})
	for name, h := range map[string]string{
		"no token":    head("/api/v1/reports", "", 1000),
		"wrong token": head("/api/v1/reports", "wsf_wrong", 1000),
		"wrong scope": head("/api/v1/reports", l.read, 1000),
		"over limit":  head("/api/v1/reports", l.ingest, 65<<20),
		"evidence":    head("/api/v1/servers/wsus01.corp.example/evidence/iislog", l.read, 1000),
	} {
		c := l.dial()
		if _, err := io.WriteString(c, h+"{"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Errorf("%s: no answer while the body is outstanding: %v", name, err)
			continue
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode < 400 || !res.Close || !closed(t, br) {
			t.Errorf("%s: %s, Connection: close %v; want a refusal and the connection closed", name, res.Status, res.Close)
		}
	}
}

// TestSlowBodyIsCutOff: a client that trickles its body a byte at a time
// gets 408 and its connection closed once it falls behind the minimum
// rate; a client that sends its body keeps its connection for the next
// request.
func TestSlowBodyIsCutOff(t *testing.T) {
	pace := web.BodyPace{Grace: 300 * time.Millisecond, MinRate: 1024}
	l := newLiveEnv(t, web.Config{Limits: web.Limits{JSONPace: pace, EvidencePace: pace, FormPace: pace}})
	for _, path := range []string{"/api/v1/reports", "/api/v1/servers/wsus01.corp.example/evidence/iislog", "/signin"} {
		c := l.dial()
		if _, err := io.WriteString(c, head(path, l.ingest, 100_000)); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		var res *http.Response
		for sent := 0; res == nil; sent++ {
			if sent == 100_000 {
				t.Fatalf("%s: the whole body went out a byte at a time without a 408", path)
			}
			if _, err := c.Write([]byte{'#'}); err != nil {
				break // the server hung up: read its answer
			}
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond)) // the pace of this client
			if _, err := br.Peek(1); err == nil {
				break
			} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				break
			}
		}
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusRequestTimeout || !res.Close || !closed(t, br) {
			t.Errorf("%s: %s, Connection: close %v; want 408 and the connection closed (%s)", path, res.Status, res.Close, b)
		}
	}

	// A client at a decent pace is served, and its connection kept.
	c := l.dial()
	br := bufio.NewReader(c)
	for i := range 2 {
		body, _ := json.Marshal(storetest.Report(fmt.Sprintf("keep-%d", i), "wsus01.corp.example", time.Now()))
		io.WriteString(c, head("/api/v1/reports", l.ingest, int64(len(body)))+string(body))
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on one connection: %v", i, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Errorf("request %d: %s", i, res.Status)
		}
	}
}

// TestInflightBudget: a JSON body that does not fit the in-flight budget is
// answered 503 with Retry-After before it is read; while one large upload
// holds the budget, the next waits its turn.
func TestInflightBudget(t *testing.T) {
	half, _ := json.Marshal(bigReport("budget-1", 1000))
	weight := int64(len(half)) * 4 // what decoding it costs (decodeFactor)
	l := newLiveEnv(t, web.Config{Limits: web.Limits{InflightBytes: weight * 3 / 2}})
	big, _ := json.Marshal(bigReport("budget-big", 1600))
	res := l.post("/api/v1/reports", l.ingest, json.RawMessage(big))
	if res.status != 503 || res.header.Get("Retry-After") == "" {
		t.Fatalf("a report weighing more than the budget: %d Retry-After %q", res.status, res.header.Get("Retry-After"))
	}

	// One upload in progress holds its share; a second does not fit.
	// Each probe is a document of its own: one that got in before the first
	// upload held its share is stored, and must not make the last post a replay.
	second := []byte(strings.Replace(string(half), "budget-1", "budget-2", 1))
	probes := 0
	c, br := l.hold(head("/api/v1/reports", l.ingest, int64(len(half))), half, func() bool {
		probes++
		probe := []byte(strings.Replace(string(half), "budget-1", fmt.Sprintf("budget-probe-%d", probes), 1))
		return l.post("/api/v1/reports", l.ingest, json.RawMessage(probe)).status == 503
	})
	c.Write(half[10:])
	if first, err := http.ReadResponse(br, nil); err != nil || first.StatusCode != 201 {
		t.Fatalf("the first upload: %v %v", first, err)
	}
	if res := l.post("/api/v1/reports", l.ingest, json.RawMessage(second)); res.status != 201 {
		t.Errorf("after the first upload ended: %d %s", res.status, res.body)
	}
}

// TestEvidenceParseSlots: only so many evidence files are parsed at once.
func TestEvidenceParseSlots(t *testing.T) {
	l := newLiveEnv(t, web.Config{Limits: web.Limits{EvidenceParses: 1}})
	path := "/api/v1/servers/wsus01.corp.example/evidence/iislog"
	c, br := l.hold(head(path, l.ingest, int64(len(wsusLog))), []byte(wsusLog), func() bool {
		return l.do("POST", path, l.ingest, strings.NewReader(wsusLog)).status == 503
	})
	c.Write([]byte(wsusLog[10:]))
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 201 && res.StatusCode != 200 {
		t.Fatalf("the first upload: %v %v", res, err)
	}
	if res := l.do("POST", path+"?file=other.log", l.ingest, strings.NewReader(wsusLog)); res.status != 201 && res.status != 200 {
		t.Errorf("after the first parse ended: %d %s", res.status, res.body)
	}
}

// TestGzipBombStopsEarly: evidence that inflates a thousand times is
// refused after a few MiB, long before the size limit.
func TestGzipBombStopsEarly(t *testing.T) {
	e := newEnv(t, web.Config{})
	bomb, inflated := gzipBomb(t, 32<<20) // 8 times the size at which the ratio is judged
	res := e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/iislog", e.ingest, bytes.NewReader(bomb), "Content-Encoding", "gzip")
	if res.status != 413 || !strings.Contains(res.problem(t).Detail, "decompression bomb") {
		t.Errorf("a %d MiB bomb in %d KiB: %d %s", inflated>>20, len(bomb)>>10, res.status, res.body)
	}
	// A real log, gzipped, goes through.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(wsusLog))
	zw.Close()
	if res := e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/iislog", e.ingest, &buf, "Content-Encoding", "gzip"); res.status != 201 {
		t.Errorf("a gzipped log: %d %s", res.status, res.body)
	}
}

// gzipBomb is a valid IIS log whose one line repeats until it inflates to n
// bytes: what a parser would read to the end.
func gzipBomb(tb testing.TB, n int) ([]byte, int) {
	tb.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	header := wsusLog[:strings.Index(wsusLog, "2026-11-21 09:00:01")]
	line := "2026-11-21 09:00:01 10.0.0.5 POST /ClientWebService/client.asmx - 8530 - 10.1.2.42 Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.71 - 200 0 0 31\r\n"
	zw.Write([]byte(header))
	chunk := []byte(strings.Repeat(line, (1<<20)/len(line)))
	total := len(header)
	for total < n {
		zw.Write(chunk)
		total += len(chunk)
	}
	zw.Close()
	return buf.Bytes(), total
}

// bigReport is a valid server report with n clients.
func bigReport(id string, n int) *probes.Report {
	r := storetest.Report(id, "wsus01.corp.example", time.Now())
	r.Clients = &probes.ClientList{Complete: false, Items: storetest.Clients(n, time.Now(), func(int) time.Duration { return time.Hour })}
	return r
}

// hold starts a request on a raw connection and stops ten bytes into its
// body, then probes until probe shows the held request has what it holds
// (a slot, a share of the budget). A probe that wins the race gets it
// instead and the held request is refused: then it starts over.
func (l *liveEnv) hold(header string, body []byte, probe func() bool) (net.Conn, *bufio.Reader) {
	l.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c := l.dial()
		br := bufio.NewReader(c)
		io.WriteString(c, header)
		c.Write(body[:10])
		for {
			if probe() {
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				return c, br
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			if _, err := br.Peek(1); err == nil || !isTimeout(err) {
				break // the held request was answered (refused): start over
			}
		}
		c.Close()
	}
	l.t.Fatalf("no request could be held")
	return nil, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestZstdBodies: wsusfleet upload's zstd is accepted like gzip, with the
// same limits: a bomb is refused after a few MiB, corrupt data is the
// client's fault, a frame asking for a huge window is refused, and a real
// log goes through.
func TestZstdBodies(t *testing.T) {
	e := newEnv(t, web.Config{})
	post := func(body []byte) response {
		return e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/iislog", e.ingest, bytes.NewReader(body), "Content-Encoding", "zstd")
	}
	gz, n := gzipBomb(t, 32<<20)
	zr, _ := gzip.NewReader(bytes.NewReader(gz))
	plain, _ := io.ReadAll(zr)
	if len(plain) != n {
		t.Fatalf("bomb: %d bytes, want %d", len(plain), n)
	}
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	bomb := enc.EncodeAll(plain, nil)
	if res := post(bomb); res.status != 413 || !strings.Contains(res.problem(t).Detail, "zstd body inflates") {
		t.Errorf("a %d MiB zstd bomb in %d KiB: %d %s", n>>20, len(bomb)>>10, res.status, res.body)
	}
	good := enc.EncodeAll([]byte(wsusLog), nil)
	if res := post(good[:len(good)-7]); res.status != 400 || !strings.Contains(res.problem(t).Detail, "zstd") {
		t.Errorf("truncated zstd: %d %s", res.status, res.body)
	}
	if res := post([]byte("this is not zstd at all")); res.status != 400 {
		t.Errorf("not zstd: %d %s", res.status, res.body)
	}
	// A frame written by hand: no size, a 128 MiB window, one raw block.
	framed := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3}
	blk := len(wsusLog)<<3 | 1 // last block, raw
	framed = append(framed, byte(blk), byte(blk>>8), byte(blk>>16))
	framed = append(framed, wsusLog...)
	if res := post(framed); res.status != 413 {
		t.Errorf("a frame asking for a 128 MiB window: %d %s", res.status, res.body)
	}
	if res := post(good); res.status != 201 {
		t.Errorf("a zstd log: %d %s", res.status, res.body)
	}
}
