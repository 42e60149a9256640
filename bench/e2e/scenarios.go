//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsusfleet/wsusfleet/internal/pgcount"
)

// instance is a wsusfleet serve on a fresh database, with an ingest token.
type instance struct {
	db      *database
	srv     *server
	token   string
	count   *pgcount.Counter // with -pgcount on PostgreSQL
	extra   []*server        // more serve instances on the same database
	closing atomic.Bool
}

// live are the instances running now: an interrupted run stops them and
// drops their databases (cleanup).
var live struct {
	sync.Mutex
	m map[*instance]bool
}

func cleanup() {
	live.Lock()
	defer live.Unlock()
	for in := range live.m {
		in.close()
	}
}

// startInstance opens a fresh database of kind and starts serve on it.
func (c *config) startInstance(kind, label string) (*instance, error) {
	db, err := newDatabase(kind, c.out, c.pgBase)
	if err != nil {
		return nil, err
	}
	in := &instance{db: db}
	live.Lock()
	if live.m == nil {
		live.m = map[*instance]bool{}
	}
	live.m[in] = true
	live.Unlock()
	dsn := db.dsn
	if kind == "postgres" && c.pgCount {
		var proxied string
		if in.count, proxied, err = pgcount.Start(db.dsn); err != nil {
			db.drop()
			return nil, err
		}
		dsn = proxied
	}
	if in.token, err = createToken(c.bin, dsn, "ingest"); err != nil {
		in.close()
		return nil, err
	}
	if in.srv, err = startServe(c.bin, dsn, filepath.Join(c.out, label+"-"+nonce()+".log"), c.profile); err != nil {
		in.close()
		return nil, err
	}
	return in, nil
}

// second starts another serve on the same database (scale-out).
func (c *config) second(in *instance, label string) (*server, error) {
	srv, err := startServe(c.bin, in.db.dsn, filepath.Join(c.out, label+"-"+nonce()+".log"), c.profile)
	if err == nil {
		in.extra = append(in.extra, srv)
	}
	return srv, err
}

func (in *instance) close() {
	if !in.closing.CompareAndSwap(false, true) {
		return
	}
	defer func() {
		live.Lock()
		delete(live.m, in)
		live.Unlock()
	}()
	for _, srv := range append(in.extra, in.srv) {
		if srv != nil {
			if err := srv.stop(); err != nil {
				fmt.Println("   (serve stopped with:", err, ")")
			}
		}
	}
	if in.count != nil {
		in.count.Close()
	}
	in.db.drop()
}

// target is what one measured run loads: where, and whose CPU counts.
type target struct {
	name   string
	pids   []int
	pgApp  string // PostgreSQL backends' application_name
	pprofs []string
	count  *pgcount.Counter
}

func (in *instance) target(name string) target {
	return target{name: name, pids: []int{in.srv.pid()}, pgApp: in.db.app, pprofs: nonEmpty(in.srv.pprof), count: in.count}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// measure runs the wrk runs together (after a warm-up with the same
// arguments) and records their sum as scen/target's figures: requests/s,
// p50/p99 (the worst of the runs), and CPU per request of the server
// processes, of their PostgreSQL backends and of wrk.
func (c *config) measure(ctx context.Context, r *round, scen string, t target, runs ...wrkRun) error {
	settle(ctx, c.pgBase)
	if c.warmup > 0 {
		for _, w := range runs {
			w.Duration = c.warmup
			w.ScriptArg = warmArgs(w.ScriptArg)
			if _, err := w.run(); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	if t.count != nil {
		t.count.Take()
	}
	m := meter(c.pgBase, t.pgApp, t.pids...)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	profiled := make(chan struct{})
	go func() {
		defer close(profiled)
		for i, addr := range t.pprofs {
			base := filepath.Join(c.out, fmt.Sprintf("%s-%s-%d-r%d", scen, t.name, i, r.n))
			go func() {
				select {
				case <-time.After(c.duration / 2):
					fetchTo(pctx, "http://"+addr+"/debug/pprof/goroutine?debug=1", base+".goroutines.txt")
					if c.trace {
						fetchTo(pctx, "http://"+addr+"/debug/pprof/trace?seconds=2", base+".trace")
					}
				case <-pctx.Done():
				}
			}()
			if err := profileCPU(pctx, addr, c.duration-time.Second, base+".cpu.pprof"); err != nil {
				fmt.Println("   profile:", err)
			}
		}
	}()
	var results []wrkResult
	cmds := make([]*exec.Cmd, len(runs))
	outs := make([]*bytes.Buffer, len(runs))
	for i, w := range runs {
		cmd, out, err := w.start()
		if err != nil {
			return err
		}
		cmds[i], outs[i] = cmd, out
	}
	for i := range runs {
		res, err := finish(cmds[i], outs[i])
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	m.stop()
	if len(t.pprofs) > 0 {
		<-profiled
	}
	var sum wrkResult
	for _, res := range results {
		if why := res.invalid(); why != "" {
			return fmt.Errorf("%s %s: %s\n%s", scen, t.name, why, res.Output)
		}
		sum.Requests += res.Requests
		sum.RPS += res.RPS
		sum.CPU += res.CPU
		sum.P50, sum.P99 = max(sum.P50, res.P50), max(sum.P99, res.P99)
	}
	n := float64(sum.Requests)
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
	key := scen + " " + t.name + " "
	r.rec(key+"req/s", sum.RPS, "req/s")
	r.rec(key+"p50", sum.P50, "ms")
	r.rec(key+"p99", sum.P99, "ms")
	if len(t.pids) > 0 {
		r.rec(key+"server CPU/req", us(m.Server), "µs")
	}
	if t.pgApp != "" {
		r.rec(key+"PostgreSQL CPU/req", us(m.DB), "µs")
	}
	r.rec(key+"wrk CPU/req", us(sum.CPU), "µs")
	fmt.Printf("   %-9s %-14s %7.0f req/s  p50 %6.1f ms  p99 %6.1f ms  CPU/req: server %5.0f µs, PostgreSQL %4.0f µs, wrk %3.0f µs  (machine %3.0f%% busy, load %s)\n",
		scen, t.name, sum.RPS, sum.P50, sum.P99, us(m.Server), us(m.DB), us(sum.CPU), m.MachineBusyPct, m.Load)
	if t.count != nil {
		fmt.Printf("   %-9s %-14s PostgreSQL protocol messages per request: %s\n", scen, t.name, pgcount.PerRequest(t.count.Take(), sum.Requests))
	}
	return nil
}

// warmArgs gives a warm-up its own document ids (post.lua's NONCE).
func warmArgs(args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := append([]string(nil), args...)
	out[1] = "warm-" + nonce()
	return out
}

// postRun is a wrk run of post.lua against u.
func (c *config) postRun(u, token, template string, machines, servers, expect, conns int) wrkRun {
	return wrkRun{URL: u, Conns: conns, Threads: c.threads, Duration: c.duration, Script: c.script,
		Headers:   []string{"Authorization: Bearer " + token},
		ScriptArg: []string{template, "r" + nonce(), fmt.Sprint(machines), fmt.Sprint(servers), fmt.Sprint(expect)}}
}

func writeTemp(dir, name string, b []byte) (string, error) {
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, b, 0o644)
}

// push: small server reports (the in-process BenchmarkIngestSmallReports's
// documents) at -c connections on each database, beside Gatus's push of one
// result to an external endpoint when -gatus is given.
func push(ctx context.Context, c *config, r *round) error {
	return pushTemplate(ctx, c, r, "push", serverReportTemplate(time.Now().UTC()))
}

// pushCollector: the collector-shaped report of collectorReportTemplate,
// pushed as push pushes its small report.
func pushCollector(ctx context.Context, c *config, r *round) error {
	return pushTemplate(ctx, c, r, "pushcollector", collectorReportTemplate(time.Now().UTC()))
}

func pushTemplate(ctx context.Context, c *config, r *round, name string, doc []byte) error {
	tmpl, err := writeTemp(c.out, name+".tmpl", doc)
	if err != nil {
		return err
	}
	if c.gatusURL != "" {
		w := c.postRun(c.gatusURL, c.gatusToken, "-", 1, 1, http.StatusOK, c.conns)
		t := target{name: "gatus"}
		if c.gatusPID > 0 {
			t.pids = []int{c.gatusPID}
		}
		if err := c.measure(ctx, r, name, t, w); err != nil {
			return err
		}
	}
	for _, kind := range c.dbs {
		in, err := c.startInstance(kind, name+"-"+kind)
		if err != nil {
			return err
		}
		err = c.measure(ctx, r, name, in.target(kind), c.postRun(in.srv.url+"/api/v1/reports", in.token, tmpl, fleetServers, fleetServers, http.StatusCreated, c.conns))
		in.close()
		if err != nil {
			return err
		}
	}
	for _, kind := range c.dbs {
		r.ratio(name+" "+kind+"/gatus req/s", name+" "+kind+" req/s", name+" gatus req/s")
		r.ratio(name+" "+kind+"/gatus server CPU/req", name+" "+kind+" server CPU/req", name+" gatus server CPU/req")
	}
	r.ratio(name+" postgres/sqlite req/s", name+" postgres req/s", name+" sqlite req/s")
	return nil
}

// clientPush: client reports of 20,000 machines of a 500-server fleet (each
// server's report listing its 40), one in 50 without the port in WUServer
// and one in 50 with another statistics server (BenchmarkIngestClientReports).
func clientPush(ctx context.Context, c *config, r *round) error {
	tmpl, err := writeTemp(c.out, "client-report.tmpl", clientReportTemplate(time.Now().UTC()))
	if err != nil {
		return err
	}
	for _, kind := range c.dbs {
		in, err := c.startInstance(kind, "clients-"+kind)
		if err != nil {
			return err
		}
		t0 := time.Now()
		err = seedFleet(ctx, in.srv.url, in.token, fleetServers, clientsMachines/fleetServers, time.Now().UTC())
		if err == nil {
			fmt.Printf("   seeded %d servers × %d clients in %.1f s\n", fleetServers, clientsMachines/fleetServers, time.Since(t0).Seconds())
			_, err = waitIdle(ctx, c.pgBase, in.db.app, in.srv.pid())
		}
		if err == nil {
			err = c.measure(ctx, r, "clients", in.target(kind), c.postRun(in.srv.url+"/api/v1/client-reports", in.token, tmpl, clientsMachines, fleetServers, http.StatusCreated, c.conns))
		}
		in.close()
		if err != nil {
			return err
		}
	}
	r.ratio("clients postgres/sqlite req/s", "clients postgres req/s", "clients sqlite req/s")
	return nil
}

// reads: GET /api/v1/servers (as is, and with Accept-Encoding: gzip) and
// the fleet page of a seeded fleet; then the bare limit: a minimal server
// of this program's own sending the very answers serve sent (bare.go).
func reads(ctx context.Context, c *config, r *round) error {
	gzipped := []string{"Accept-Encoding: gzip"}
	var identity, gz answer // what serve answered, for the bare server
	for _, kind := range c.dbs {
		in, err := c.startInstance(kind, "reads-"+kind)
		if err != nil {
			return err
		}
		err = func() error {
			t0 := time.Now()
			if err := seedFleet(ctx, in.srv.url, in.token, c.readServers, c.perServer, time.Now().UTC()); err != nil {
				return err
			}
			seeded := time.Since(t0)
			profiled := make(chan struct{})
			go func() { // what the server does after seeding: classification, diagnosis
				defer close(profiled)
				if in.srv.pprof != "" {
					profileCPU(ctx, in.srv.pprof, 30*time.Second, filepath.Join(c.out, fmt.Sprintf("settle-%s-r%d.cpu.pprof", kind, r.n)))
				}
			}()
			settled, err := waitIdle(ctx, c.pgBase, in.db.app, in.srv.pid())
			<-profiled
			if err != nil {
				return err
			}
			t0 = time.Now()
			res, err := http.Get(in.srv.url + "/api/v1/servers")
			if err != nil {
				return err
			}
			res.Body.Close()
			fmt.Printf("   seeded %d servers × %d clients in %.1f s, settled %.1f s later; first GET /api/v1/servers %.0f ms\n",
				c.readServers, c.perServer, seeded.Seconds(), settled.Seconds(), float64(time.Since(t0).Milliseconds()))
			if identity.Body == nil {
				if identity, err = fetchAnswer(in.srv.url + "/api/v1/servers"); err != nil {
					return err
				}
				if gz, err = fetchAnswer(in.srv.url+"/api/v1/servers", "Accept-Encoding", "gzip"); err != nil {
					return err
				}
				fmt.Printf("   GET /api/v1/servers: %d bytes; with Accept-Encoding: gzip, %d bytes (Content-Encoding %q)\n",
					len(identity.Body), len(gz.Body), gz.Header.Get("Content-Encoding"))
			}
			for _, p := range []struct {
				label, path string
				header      []string
			}{{"api-servers", "/api/v1/servers", nil}, {"api-servers-gzip", "/api/v1/servers", gzipped}, {"fleet-page", "/", nil}} {
				w := wrkRun{URL: in.srv.url + p.path, Conns: c.conns, Threads: c.threads, Duration: c.duration, Headers: p.header}
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
	for _, b := range []struct {
		label  string
		a      answer
		header []string
	}{{"api-servers", identity, nil}, {"api-servers-gzip", gz, gzipped}} {
		s, err := startBare(c.out, "bare-"+b.label, b.a)
		if err != nil {
			return err
		}
		w := wrkRun{URL: s.url + "/api/v1/servers", Conns: c.conns, Threads: c.threads, Duration: c.duration, Headers: b.header}
		err = c.measure(ctx, r, b.label, s.target("bare"), w)
		s.stop()
		if err != nil {
			return err
		}
	}
	for _, kind := range c.dbs {
		r.ratio("api-servers "+kind+"/bare req/s", "api-servers "+kind+" req/s", "api-servers bare req/s")
		r.ratio("api-servers-gzip "+kind+"/bare req/s", "api-servers-gzip "+kind+" req/s", "api-servers-gzip bare req/s")
		r.ratio("api-servers "+kind+" gzip/identity req/s", "api-servers-gzip "+kind+" req/s", "api-servers "+kind+" req/s")
	}
	r.ratio("api-servers postgres/sqlite req/s", "api-servers postgres req/s", "api-servers sqlite req/s")
	r.ratio("fleet-page postgres/sqlite req/s", "fleet-page postgres req/s", "fleet-page sqlite req/s")
	return nil
}

// scaleout: small server reports into one PostgreSQL database, first through
// one serve instance, then through two; the load is the same in both (two
// wrk processes of -c/2 connections each).
func scaleout(ctx context.Context, c *config, r *round) error {
	tmpl, err := writeTemp(c.out, "server-report.tmpl", serverReportTemplate(time.Now().UTC()))
	if err != nil {
		return err
	}
	in, err := c.startInstance("postgres", "scaleout")
	if err != nil {
		return err
	}
	defer in.close()
	half := max(1, c.conns/2)
	u1 := in.srv.url + "/api/v1/reports"
	one := in.target("one")
	if err := c.measure(ctx, r, "scaleout", one,
		c.postRun(u1, in.token, tmpl, fleetServers, fleetServers, http.StatusCreated, half),
		c.postRun(u1, in.token, tmpl, fleetServers, fleetServers, http.StatusCreated, half)); err != nil {
		return err
	}
	srv2, err := c.second(in, "scaleout-2")
	if err != nil {
		return err
	}
	two := in.target("two")
	two.pids = append(two.pids, srv2.pid())
	two.pprofs = append(two.pprofs, nonEmpty(srv2.pprof)...)
	if err := c.measure(ctx, r, "scaleout", two,
		c.postRun(u1, in.token, tmpl, fleetServers, fleetServers, http.StatusCreated, half),
		c.postRun(srv2.url+"/api/v1/reports", in.token, tmpl, fleetServers, fleetServers, http.StatusCreated, half)); err != nil {
		return err
	}
	r.ratio("scaleout two/one req/s", "scaleout two req/s", "scaleout one req/s")
	return nil
}
