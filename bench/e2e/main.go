//go:build linux

// Command e2e measures wsusfleet end to end: the real `wsusfleet serve`
// binary over real HTTP on loopback, the load generator (wrk, or this
// process for single large documents) in a process of its own, on SQLite and
// PostgreSQL, each figure beside its reference measured in the same round
// (Gatus, the other database, the raw insert of the same rows), because the
// machine is shared and absolute numbers move by ±20 %. Linux only: CPU and
// memory are read from /proc. See bench/README.md.
//
//	go run ./bench/e2e [flags] push|clients|snapshot|upload|reads|clientpage|scaleout...
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

type config struct {
	root, out, bin, script  string
	dbs                     []string
	rounds                  int
	duration, warmup        time.Duration
	conns, threads          int
	pgBase                  string
	gatusURL, gatusToken    string
	gatusPID                int
	profile, trace, pgCount bool
	readServers, perServer  int
	snapshotClients         int
	logMB                   int
	logPath                 string
	codecs                  bool
}

// scenario is one measurement, run once per round.
type scenario struct {
	name, what string
	run        func(ctx context.Context, c *config, r *round) error
}

var scenarios = []scenario{
	{"push", "small server reports at -c connections (and Gatus's external-endpoint push, with -gatus)", push},
	{"pushcollector", "server reports shaped as the PowerShell collector's (vDir configuration, app pool, ACLs, sync; no client list) at -c connections", pushCollector},
	{"clients", "client reports at -c connections to a fleet of 500 servers × 40 listed clients", clientPush},
	{"snapshot", "one report of -snapshot-clients clients, first byte to 201, vs the raw insert of the same rows", snapshot},
	{"upload", "wsusfleet upload of a -log-mb IIS log vs the same file posted plain, and the compressors alone", upload},
	{"reads", "GET /api/v1/servers (identity and gzip) and the fleet page at -c connections, -servers servers, vs a bare server sending the same bytes", reads},
	{"clientpage", "the first page of a -snapshot-clients server's client list (all, and ?gap=stale_report) at -c connections", clientPage},
	{"scaleout", "small server reports into one PostgreSQL through two serve instances vs one", scaleout},
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == bareCommand { // the reads scenario's bare server (bare.go)
		if err := bareServe(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "e2e bare-serve:", err)
			os.Exit(1)
		}
		return
	}
	c := &config{}
	var dbs string
	flag.StringVar(&dbs, "db", "sqlite,postgres", "databases to run on: sqlite, postgres or both")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds; each round measures every target once, side by side")
	flag.DurationVar(&c.duration, "d", 10*time.Second, "wrk duration of each measured run")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "wrk warm-up before each measured run (0: none)")
	flag.IntVar(&c.conns, "c", 64, "wrk connections")
	flag.IntVar(&c.threads, "t", 2, "wrk threads")
	flag.StringVar(&c.pgBase, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL; each run gets a schema of its own, dropped afterwards")
	flag.StringVar(&c.gatusURL, "gatus", "", "push: a Gatus external endpoint's URL, e.g. http://127.0.0.1:18080/api/v1/endpoints/bench_push/external?success=true")
	flag.StringVar(&c.gatusToken, "gatus-token", "", "push: the external endpoint's token")
	flag.IntVar(&c.gatusPID, "gatus-pid", 0, "push: Gatus's process id, to measure its CPU per request")
	flag.BoolVar(&c.profile, "profile", false, "build serve with pprof and save a CPU profile (and a goroutine dump) of every measured run in -out")
	flag.BoolVar(&c.trace, "trace", false, "with -profile: also save a 2 s execution trace of every measured wrk run at half-time, and a 4 s one of the snapshot's request, in -out (go tool trace)")
	flag.BoolVar(&c.pgCount, "pgcount", false, "route PostgreSQL through a counting proxy and print the protocol messages per request (slower: for counting only)")
	flag.IntVar(&c.readServers, "servers", 500, "reads: servers in the fleet")
	flag.IntVar(&c.perServer, "clients-per-server", 200, "reads: clients listed by each server")
	flag.IntVar(&c.snapshotClients, "snapshot-clients", 100000, "snapshot: clients in the report")
	flag.IntVar(&c.logMB, "log-mb", 160, "upload: size of the generated IIS log in MB")
	flag.StringVar(&c.logPath, "log", "", "upload: the IIS log (generated into -out when empty or missing)")
	flag.BoolVar(&c.codecs, "codecs", true, "upload: also time the compressors alone (-codecs=false: only the uploads, for alternating binaries)")
	flag.StringVar(&c.out, "out", "", "where logs, profiles and generated files go (default: a new temp dir, kept)")
	flag.StringVar(&c.bin, "bin", "", "a wsusfleet binary to measure instead of building ./cmd/wsusfleet")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./bench/e2e [flags] SCENARIO...\n\nScenarios:\n")
		for _, s := range scenarios {
			fmt.Fprintf(flag.CommandLine.Output(), "  %-9s %s\n", s.name, s.what)
		}
		fmt.Fprintf(flag.CommandLine.Output(), "\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	c.dbs = strings.Split(dbs, ",")
	if err := runAll(c, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
}

func runAll(c *config, names []string) error {
	if len(names) == 0 {
		flag.Usage()
		return fmt.Errorf("name at least one scenario")
	}
	var todo []scenario
	for _, n := range names {
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == n })
		if i < 0 {
			return fmt.Errorf("unknown scenario %q", n)
		}
		todo = append(todo, scenarios[i])
	}
	for _, d := range c.dbs {
		if d != "sqlite" && d != "postgres" {
			return fmt.Errorf("-db: %q is not sqlite or postgres", d)
		}
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed: %w", err)
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	c.root = root
	c.script = filepath.Join(root, "bench", "wrk", "post.lua")
	if c.out == "" {
		if c.out, err = os.MkdirTemp("", "wsusfleet-e2e-"); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	if c.bin == "" {
		fmt.Printf("building ./cmd/wsusfleet (profile hook: %v) into %s\n", c.profile, c.out)
		if c.bin, err = build(root, c.out, c.profile); err != nil {
			return err
		}
	}
	ctx := context.Background()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Println("interrupted: stopping the servers and dropping their databases")
		cleanup()
		os.Exit(130)
	}()
	head, _ := exec.Command("git", "-C", root, "log", "-1", "--format=%h %<(60,trunc)%s").Output()
	fmt.Printf("wsusfleet %s", head)
	fmt.Printf("machine: %d CPUs, %s; %s; load %s\n", runtime.NumCPU(), cpuModel(), runtime.Version(), loadAvg())
	fmt.Printf("output: %s\n", c.out)
	for _, s := range todo {
		var rounds []*round
		for i := range c.rounds {
			r := &round{n: i + 1}
			fmt.Printf("\n== %s, round %d/%d (load %s)\n", s.name, r.n, c.rounds, loadAvg())
			if err := s.run(ctx, c, r); err != nil {
				return fmt.Errorf("%s round %d: %w", s.name, r.n, err)
			}
			rounds = append(rounds, r)
		}
		summarise(s.name, rounds)
	}
	return nil
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root (run from the repository): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

// round holds one round's figures, in the order they were measured.
type round struct {
	n     int
	keys  []string
	vals  map[string]float64
	units map[string]string
}

// rec records a figure of this round (and prints nothing: the scenario does).
func (r *round) rec(key string, v float64, unit string) {
	if r.vals == nil {
		r.vals, r.units = map[string]float64{}, map[string]string{}
	}
	if _, ok := r.vals[key]; !ok {
		r.keys = append(r.keys, key)
	}
	r.vals[key], r.units[key] = v, unit
}

// ratio records a/b of two figures of this round, when both are there.
func (r *round) ratio(key, a, b string) {
	va, oka := r.vals[a]
	vb, okb := r.vals[b]
	if oka && okb && vb != 0 {
		r.rec(key, va/vb, "×")
		fmt.Printf("   %-44s %6.2f×\n", key, va/vb)
	}
}

// summarise prints each figure's range over the rounds and every value.
func summarise(name string, rounds []*round) {
	fmt.Printf("\n== %s: %d rounds (min–max; each round)\n", name, len(rounds))
	var keys []string
	for _, r := range rounds {
		for _, k := range r.keys {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	for _, k := range keys {
		lo, hi := math.Inf(1), math.Inf(-1)
		var each []string
		unit := ""
		for _, r := range rounds {
			v, ok := r.vals[k]
			if !ok {
				each = append(each, "–")
				continue
			}
			unit = r.units[k]
			lo, hi = min(lo, v), max(hi, v)
			each = append(each, num(v))
		}
		fmt.Printf("   %-44s %10s – %-10s %-6s (%s)\n", k, num(lo), num(hi), unit, strings.Join(each, " · "))
	}
}

func num(v float64) string {
	switch {
	case math.IsInf(v, 0):
		return "–"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
