//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for schemas and the raw inserts
)

// pprofHook is added to the wsusfleet binary (package main) with go build
// -overlay when profiles are asked for: the product's code is not changed, the
// profiling binary only gains net/http/pprof on its own loopback address.
const pprofHook = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("WSUSFLEET_BENCH_PPROF"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
}
`

// build compiles ./cmd/wsusfleet from the repository at root into dir; with
// profile, the binary also serves pprof (see pprofHook).
func build(root, dir string, profile bool) (string, error) {
	bin := filepath.Join(dir, "wsusfleet")
	args := []string{"build", "-o", bin}
	if profile {
		bin += "-pprof"
		hook := filepath.Join(dir, "zz_bench_pprof.go")
		if err := os.WriteFile(hook, []byte(pprofHook), 0o644); err != nil {
			return "", err
		}
		overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{
			filepath.Join(root, "cmd", "wsusfleet", "zz_bench_pprof.go"): hook}})
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o644); err != nil {
			return "", err
		}
		args = []string{"build", "-overlay", ov, "-o", bin}
	}
	cmd := exec.Command("go", append(args, "./cmd/wsusfleet")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// database is one fresh database for one run: a SQLite file or a PostgreSQL
// schema of its own (dropped by drop), on the shared test database.
type database struct {
	kind string // "sqlite" or "postgres"
	dsn  string // what --db gets
	path string // SQLite: the file
	app  string // PostgreSQL: the application_name its connections carry
	drop func()
}

func newDatabase(kind, dir, pgBase string) (*database, error) {
	tag := nonce()
	if kind == "sqlite" {
		path := filepath.Join(dir, "wsusfleet-"+tag+".db")
		return &database{kind: kind, dsn: "sqlite:" + path, path: path, drop: func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}}, nil
	}
	schema := "wsb_" + tag
	admin, err := sql.Open("pgx", pgBase)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		return nil, fmt.Errorf("create schema: %w", err)
	}
	u, err := url.Parse(pgBase)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return &database{kind: kind, dsn: u.String(), app: schema, drop: func() {
		if db, err := sql.Open("pgx", pgBase); err == nil {
			db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			db.Close()
		}
	}}, nil
}

func nonce() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// createToken runs wsusfleet token create and returns the secret (its last line).
func createToken(bin, db, scope string) (string, error) {
	out, err := exec.Command(bin, "token", "create", "--name", "bench-"+nonce(), "--scope", scope, "--db", db).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("token create: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// server is a running wsusfleet serve process.
type server struct {
	url   string
	pprof string // host:port of pprof, when built with the hook
	cmd   *exec.Cmd
	log   *os.File
	exit  chan error
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServe starts bin serve on a free loopback port and waits until
// /healthz answers; its log (one access-log line per request, as in
// production) goes to logPath.
func startServe(bin, db, logPath string, profile bool) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	s := &server{url: "http://" + addr, log: lf, exit: make(chan error, 1)}
	s.cmd = exec.Command(bin, "serve", "--db", db, "--addr", addr)
	s.cmd.Stdout, s.cmd.Stderr = lf, lf
	s.cmd.Env = os.Environ()
	if profile {
		if s.pprof, err = freeAddr(); err != nil {
			return nil, err
		}
		s.cmd.Env = append(s.cmd.Env, "WSUSFLEET_BENCH_PPROF="+s.pprof)
	}
	if err := s.cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	go func() { s.exit <- s.cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := http.Get(s.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.exit:
			return nil, fmt.Errorf("serve exited: %v (log: %s)", err, logPath)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("serve did not answer /healthz within 2 minutes (log: %s)", logPath)
		}
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop ends the server gracefully (SIGTERM: queued writes commit).
func (s *server) stop() error {
	defer s.log.Close()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exit:
		return err
	case <-time.After(90 * time.Second):
		s.cmd.Process.Kill()
		return fmt.Errorf("serve did not stop within 90 s of SIGTERM; killed")
	}
}

// cpuTicks is a process's user+system CPU time from /proc/PID/stat.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// peakRSS is a process's peak resident set (VmHWM) in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// machineCPU reads /proc/stat: busy and total jiffies over all CPUs.
func machineCPU() (busy, total int64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	fields := strings.Fields(sc.Text())[1:]
	for i, v := range fields {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// loadAvg is the first field of /proc/loadavg.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// backendPIDs lists the PostgreSQL backends of a run's connections (they
// carry the schema's name as application_name); their CPU is part of what a
// request costs on PostgreSQL.
func backendPIDs(pgBase, app string) []int {
	if app == "" {
		return nil
	}
	db, err := sql.Open("pgx", pgBase)
	if err != nil {
		return nil
	}
	defer db.Close()
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var p int
		if rows.Scan(&p) == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// cpuMeter measures the CPU a set of processes (and the PostgreSQL backends
// of a run) spend between start and stop, and how busy the machine was.
type cpuMeter struct {
	pids           []int
	pgBase, pgApp  string
	start          map[int]time.Duration
	backends       map[int]time.Duration
	busy0, total0  int64
	load0          string
	wall0          time.Time
	Server, DB     time.Duration
	MachineBusyPct float64
	Load           string
}

func meter(pgBase, pgApp string, pids ...int) *cpuMeter {
	m := &cpuMeter{pids: pids, pgBase: pgBase, pgApp: pgApp, start: map[int]time.Duration{}, backends: map[int]time.Duration{}}
	for _, p := range pids {
		m.start[p] = cpuTime(p)
	}
	for _, p := range backendPIDs(pgBase, pgApp) {
		m.backends[p] = cpuTime(p)
	}
	m.busy0, m.total0 = machineCPU()
	m.load0 = loadAvg()
	m.wall0 = time.Now()
	return m
}

func (m *cpuMeter) stop() {
	for _, p := range m.pids {
		m.Server += cpuTime(p) - m.start[p]
	}
	for _, p := range backendPIDs(m.pgBase, m.pgApp) {
		m.DB += cpuTime(p) - m.backends[p] // a backend born during the run started at 0
	}
	busy, total := machineCPU()
	if total > m.total0 {
		m.MachineBusyPct = 100 * float64(busy-m.busy0) / float64(total-m.total0)
	}
	m.Load = m.load0 + "→" + loadAvg()
}

// profileCPU fetches a CPU profile of d from a pprof-enabled server into path.
func profileCPU(ctx context.Context, pprofAddr string, d time.Duration, path string) error {
	if pprofAddr == "" {
		return nil
	}
	secs := max(1, int(d.Seconds()))
	return fetchTo(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, secs), path)
}

func fetchTo(ctx context.Context, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}

// waitIdle waits until a server and its PostgreSQL backends are quiet: the
// work a seeding leaves behind (gap classification, diagnosis) runs in the
// background for a while after the last 201, and must not be measured as the
// cost of what follows. Quiet: under 3 % of a core for two 500 ms samples.
func waitIdle(ctx context.Context, pgBase, pgApp string, pid int) (time.Duration, error) {
	start := time.Now()
	busy := func() time.Duration {
		d := cpuTime(pid)
		for _, p := range backendPIDs(pgBase, pgApp) {
			d += cpuTime(p)
		}
		return d
	}
	last, quiet := busy(), 0
	for quiet < 2 {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		now := busy()
		if now-last < 15*time.Millisecond {
			quiet++
		} else {
			quiet = 0
		}
		last = now
		if time.Since(start) > 10*time.Minute {
			return 0, fmt.Errorf("serve still busy 10 minutes after seeding")
		}
	}
	return time.Since(start), nil
}
