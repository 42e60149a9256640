//go:build linux

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

// snapshot: one server report listing -snapshot-clients clients, from the
// first byte of the POST to the 201, with the server's peak memory growth;
// then the same rows, read back, inserted raw into an empty table of the same
// shape on the same database (raw.go), in the same round.
func snapshot(ctx context.Context, c *config, r *round) error {
	for _, kind := range c.dbs {
		in, err := c.startInstance(kind, "snapshot-"+kind)
		if err != nil {
			return err
		}
		err = snapshotOn(ctx, c, r, in, kind)
		in.close()
		if err != nil {
			return err
		}
		r.ratio("snapshot "+kind+" end-to-end/raw", "snapshot "+kind+" end-to-end", "snapshot "+kind+" raw insert")
	}
	return nil
}

func snapshotOn(ctx context.Context, c *config, r *round, in *instance, kind string) error {
	server := "wsus-big-" + nonce() + ".corp.example"
	body := snapshotReport("snap-"+nonce(), server, c.snapshotClients, time.Now().UTC())
	client := &http.Client{Transport: &http.Transport{}}
	if res, err := client.Get(in.srv.url + "/healthz"); err == nil { // the connection is open before the clock starts
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	pid := in.srv.pid()
	rss0 := peakRSS(pid)
	m := meter(c.pgBase, in.db.app, pid)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	profiled := make(chan struct{})
	go func() {
		defer close(profiled)
		if len(in.target("").pprofs) > 0 {
			// Long enough for the request; the classification that follows the
			// acknowledgement shows up too (store.(*Store).Settle): focus on
			// the handler (pprof -focus postReport) for the request alone.
			profileCPU(pctx, in.srv.pprof, c.duration, filepath.Join(c.out, fmt.Sprintf("snapshot-%s-r%d.cpu.pprof", kind, r.n)))
		}
	}()
	traced := make(chan struct{})
	go func() {
		defer close(traced)
		if c.trace && len(in.target("").pprofs) > 0 {
			// The request from its first byte: where it waits (go tool trace).
			fetchTo(pctx, "http://"+in.srv.pprof+"/debug/pprof/trace?seconds=4", filepath.Join(c.out, fmt.Sprintf("snapshot-%s-r%d.trace", kind, r.n)))
		}
	}()
	if c.trace {
		time.Sleep(200 * time.Millisecond) // the trace starts before the request
	}
	t0 := time.Now()
	status, answer, err := post(ctx, client, in.srv.url+"/api/v1/reports", in.token, bytes.NewReader(body), int64(len(body)), "")
	took := time.Since(t0)
	if err != nil || status != http.StatusCreated {
		return fmt.Errorf("post %d clients: %d %v %s", c.snapshotClients, status, err, answer)
	}
	m.stop()
	rss1 := peakRSS(pid)
	rows, classified, err := readClients(ctx, in.db, server)
	if err != nil {
		return err
	}
	<-profiled
	<-traced
	if err := in.srv.stop(); err != nil {
		fmt.Println("   (serve stopped with:", err, ")")
	}
	in.srv = nil
	raw, err := rawInsert(ctx, in.db, rows)
	if err != nil {
		return err
	}
	key := "snapshot " + kind + " "
	r.rec(key+"end-to-end", took.Seconds(), "s")
	r.rec(key+"raw insert", raw.Seconds(), "s")
	r.rec(key+"peak RSS growth", float64(rss1-rss0)/(1<<20), "MB")
	r.rec(key+"server CPU", m.Server.Seconds(), "s")
	if kind == "postgres" {
		r.rec(key+"PostgreSQL CPU", m.DB.Seconds(), "s")
	}
	fmt.Printf("   snapshot  %-9s %d clients, body %.1f MB: 201 after %.2f s (CPU: server %.2f s, PostgreSQL %.2f s; peak RSS +%.0f MB); raw insert of the %d rows read back %.2f s (%d already classified when read)\n",
		kind, c.snapshotClients, float64(len(body))/1e6, took.Seconds(), m.Server.Seconds(), m.DB.Seconds(), float64(rss1-rss0)/(1<<20), len(rows.rows), raw.Seconds(), classified)
	if len(rows.rows) != c.snapshotClients {
		return fmt.Errorf("read back %d clients, sent %d", len(rows.rows), c.snapshotClients)
	}
	return nil
}

// upload: `wsusfleet upload` of an IIS log (zstd on the wire, as shipped)
// against the same file posted uncompressed by this process to the same
// endpoint (what the server side can take), then the compressors alone on
// one core: klauspost/compress zstd at its fastest level (what upload uses)
// and its decompression (what the server does per byte), Go's compress/gzip
// at its default level (what upload used before), and the gzip and zstd
// command-line tools at level 1 for reference.
func upload(ctx context.Context, c *config, r *round) error {
	path := c.logPath
	if path == "" {
		path = filepath.Join(c.out, fmt.Sprintf("u_ex261121-%dMB.log", c.logMB))
	}
	if _, err := os.Stat(path); err != nil {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		t0 := time.Now()
		n, err := writeIISLog(f, int64(c.logMB)*1e6)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Printf("   generated %s: %.1f MB in %.1f s\n", path, float64(n)/1e6, time.Since(t0).Seconds())
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	mb := float64(st.Size()) / 1e6
	for _, kind := range c.dbs {
		in, err := c.startInstance(kind, "upload-"+kind)
		if err != nil {
			return err
		}
		err = func() error {
			key := "upload " + kind + " "
			pid := in.srv.pid()
			// The default (to this loopback dashboard: the file as it is), and
			// zstd, what a dashboard across a network gets.
			for i, variant := range []string{"", "zstd"} {
				if err := stampLog(path, 3*r.n+i); err != nil {
					return err
				}
				label, args := "wsusfleet upload", []string{"upload", "--server", "wsus-iis.corp.example", "--kind", "iislog",
					"--dashboard", in.srv.url, "--token", in.token}
				if variant != "" {
					label += " --compress " + variant
					args = append(args, "--compress", variant)
				}
				profiled := profileFor(ctx, c, in, 8*time.Second, fmt.Sprintf("upload-%s%s-r%d.cpu.pprof", variant, kind, r.n))
				cpu0, t0 := cpuTime(pid), time.Now()
				cmd := exec.CommandContext(ctx, c.bin, append(args, path)...)
				out, err := cmd.CombinedOutput()
				took := time.Since(t0)
				if err != nil {
					return fmt.Errorf("%s: %v\n%s", label, err, out)
				}
				srvCPU := cpuTime(pid) - cpu0
				<-profiled
				cliCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				r.rec(key+label, mb/took.Seconds(), "MB/s")
				r.rec(key+label+" client CPU", cliCPU.Seconds(), "s")
				r.rec(key+label+" server CPU", srvCPU.Seconds(), "s")
				fmt.Printf("   upload    %-9s %s of %.0f MB: %.2f s = %.0f MB/s (client CPU %.2f s, server CPU %.2f s)\n",
					kind, label, mb, took.Seconds(), mb/took.Seconds(), cliCPU.Seconds(), srvCPU.Seconds())
			}

			if err := stampLog(path, 3*r.n+2); err != nil {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			profiled := profileFor(ctx, c, in, 3*time.Second, fmt.Sprintf("upload-plain-%s-r%d.cpu.pprof", kind, r.n))
			cpu0, t0 := cpuTime(pid), time.Now()
			status, answer, err := post(ctx, http.DefaultClient, in.srv.url+"/api/v1/servers/wsus-iis.corp.example/evidence/iislog?file=u_ex261121.log", in.token, f, st.Size(), "")
			took := time.Since(t0)
			if err != nil || status != http.StatusCreated {
				return fmt.Errorf("plain post: %d %v %s", status, err, answer)
			}
			srvCPU := cpuTime(pid) - cpu0
			<-profiled
			r.rec(key+"plain POST", mb/took.Seconds(), "MB/s")
			r.rec(key+"plain server CPU", srvCPU.Seconds(), "s")
			r.rec(key+"plain per server CPU-s", mb/srvCPU.Seconds(), "MB/s")
			fmt.Printf("   upload    %-9s the same file posted plain: %.2f s = %.0f MB/s (server CPU %.2f s)\n", kind, took.Seconds(), mb/took.Seconds(), srvCPU.Seconds())
			r.ratio("upload "+kind+" upload/plain", key+"wsusfleet upload", key+"plain POST")
			r.ratio("upload "+kind+" upload --compress zstd/plain", key+"wsusfleet upload --compress zstd", key+"plain POST")
			return nil
		}()
		in.close()
		if err != nil {
			return err
		}
	}
	if !c.codecs {
		return nil
	}
	return compressors(r, path, mb)
}

// compressors times the codecs alone on the log, one core each.
func compressors(r *round, path string, mb float64) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Rates per second of CPU as well as of wall time: on a shared machine
	// the first is what the codec costs, the second what it got.
	var gz bytes.Buffer
	t0, c0 := time.Now(), selfCPU()
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	enc, encCPU := time.Since(t0), selfCPU()-c0
	t0, c0 = time.Now(), selfCPU()
	zr, err := gzip.NewReader(bytes.NewReader(gz.Bytes()))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, zr)
	dec, decCPU := time.Since(t0), selfCPU()-c0
	r.rec("codec go gzip default compress", mb/enc.Seconds(), "MB/s")
	r.rec("codec go gzip default compress per CPU-s", mb/encCPU.Seconds(), "MB/s")
	r.rec("codec go gzip decompress", mb/dec.Seconds(), "MB/s")
	r.rec("codec go gzip decompress per CPU-s", mb/decCPU.Seconds(), "MB/s")
	fmt.Printf("   codec     Go compress/gzip (default level): compress %.0f MB/s (%.0f per CPU-s; ratio %.1f), decompress %.0f MB/s (%.0f per CPU-s)\n",
		mb/enc.Seconds(), mb/encCPU.Seconds(), float64(len(raw))/float64(gz.Len()), mb/dec.Seconds(), mb/decCPU.Seconds())
	var zs bytes.Buffer
	t0, c0 = time.Now(), selfCPU()
	zsw, _ := zstd.NewWriter(&zs, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	zsw.Write(raw)
	zsw.Close()
	enc, encCPU = time.Since(t0), selfCPU()-c0
	t0, c0 = time.Now(), selfCPU()
	zsr, err := zstd.NewReader(bytes.NewReader(zs.Bytes()), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, zsr)
	zsr.Close()
	dec, decCPU = time.Since(t0), selfCPU()-c0
	r.rec("codec zstd fastest compress per CPU-s", mb/encCPU.Seconds(), "MB/s")
	r.rec("codec zstd decompress per CPU-s", mb/decCPU.Seconds(), "MB/s")
	fmt.Printf("   codec     klauspost zstd (fastest, one thread; what upload sends): compress %.0f MB/s (%.0f per CPU-s; ratio %.1f), decompress %.0f MB/s (%.0f per CPU-s)\n",
		mb/enc.Seconds(), mb/encCPU.Seconds(), float64(len(raw))/float64(zs.Len()), mb/dec.Seconds(), mb/decCPU.Seconds())
	for _, tool := range [][]string{{"gzip", "-1", "-c"}, {"zstd", "-1", "-T1", "-c", "-q"}} {
		if _, err := exec.LookPath(tool[0]); err != nil {
			continue
		}
		t0 := time.Now()
		cmd := exec.Command(tool[0], append(tool[1:], path)...)
		var n countingWriter
		n.w = io.Discard
		cmd.Stdout = &n
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", tool[0], err)
		}
		took := time.Since(t0)
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		r.rec("codec "+tool[0]+" -1 compress", mb/took.Seconds(), "MB/s")
		r.rec("codec "+tool[0]+" -1 compress per CPU-s", mb/cpu.Seconds(), "MB/s")
		fmt.Printf("   codec     %s -1 (one thread): compress %.0f MB/s (%.0f per CPU-s; ratio %.1f)\n", tool[0], mb/took.Seconds(), mb/cpu.Seconds(), float64(len(raw))/float64(n.n))
	}
	return nil
}

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clientPage: the first page of a 100,000-client server's client list
// (GET /api/v1/servers/{name}/clients, and ?gap=stale), at -c connections,
// once the list's gap categories are settled.
func clientPage(ctx context.Context, c *config, r *round) error {
	for _, kind := range c.dbs {
		in, err := c.startInstance(kind, "clientpage-"+kind)
		if err != nil {
			return err
		}
		err = func() error {
			server := "wsus-big.corp.example"
			body := snapshotReport("page-"+nonce(), server, c.snapshotClients, time.Now().UTC())
			if status, answer, err := post(ctx, http.DefaultClient, in.srv.url+"/api/v1/reports", in.token, bytes.NewReader(body), int64(len(body)), ""); err != nil || status != http.StatusCreated {
				return fmt.Errorf("post %d clients: %d %v %s", c.snapshotClients, status, err, answer)
			}
			if err := waitGaps(ctx, in.srv.url+"/api/v1/servers/"+server); err != nil {
				return err
			}
			if _, err := waitIdle(ctx, c.pgBase, in.db.app, in.srv.pid()); err != nil {
				return err
			}
			for _, p := range []struct{ label, query string }{{"clients-page", ""}, {"stale-page", "?gap=stale_report"}} {
				w := wrkRun{URL: in.srv.url + "/api/v1/servers/" + server + "/clients" + p.query, Conns: c.conns, Threads: c.threads, Duration: c.duration}
				if err := c.measure(ctx, r, p.label, in.target(kind), w); err != nil {
					return err
				}
			}
			return nil
		}()
		in.close()
		if err != nil {
			return err
		}
	}
	return nil
}

// waitGaps polls a server's state until its gap counts are there (the
// maintenance loop classifies a new list within a few seconds).
func waitGaps(ctx context.Context, u string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		res, err := http.Get(u)
		if err != nil {
			return err
		}
		var st struct {
			Gaps map[string]int64 `json:"gaps"`
		}
		err = json.NewDecoder(res.Body).Decode(&st)
		res.Body.Close()
		if err == nil && len(st.Gaps) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: no gap counts after 5 minutes", u)
}

// profileFor starts a CPU profile of d of the server (with -profile), saved
// as name; the returned channel closes when it is saved. An idle server adds
// (almost) no samples, so d only has to be long enough.
func profileFor(ctx context.Context, c *config, in *instance, d time.Duration, name string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if in.srv.pprof != "" {
			if err := profileCPU(ctx, in.srv.pprof, d, filepath.Join(c.out, name)); err != nil {
				fmt.Println("   profile:", err)
			}
		}
	}()
	if in.srv.pprof != "" {
		time.Sleep(100 * time.Millisecond) // the profile starts before the upload
	}
	return done
}
