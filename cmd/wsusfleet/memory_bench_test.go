package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// BenchmarkIngest100kPeakMemory: how much the real server's peak resident
// memory (VmHWM) grows while it ingests a report with a complete snapshot of
// 100,000 clients over HTTP, on SQLite. Reports the growth, the body size and
// the time to the acknowledgement.
// Reproduce: go test -run '^$' -bench Ingest100kPeakMemory -benchtime 1x ./cmd/wsusfleet/
func BenchmarkIngest100kPeakMemory(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc (Linux) to read the server's peak memory")
	}
	db := "sqlite:" + filepath.Join(b.TempDir(), "memory.db")
	token := lastLine(runCmd(b, "token", "create", "--name", "bench", "--scope", "ingest", "--db", db))
	srv := startChild(b, "serve", "--db", db, "--addr", "127.0.0.1:0")
	now := time.Now().UTC()
	bodies := make([][]byte, b.N)
	for i := range bodies {
		r := storetest.Report(fmt.Sprintf("mem-%d-%d", now.UnixNano(), i), fmt.Sprintf("wsus-mem%d.corp.example", i), now)
		r.Clients = &probes.ClientList{Complete: true, Items: storetest.ClientRange(i*100000, 100000, now, func(j int) time.Duration {
			return time.Duration(j%(20*24)) * time.Hour
		})}
		bodies[i], _ = json.Marshal(r)
	}
	before := peakKB(b, srv.cmd.Process.Pid)
	b.ResetTimer()
	start := time.Now()
	for _, body := range bodies {
		if status, err := postJSON(context.Background(), srv.url+"/api/v1/reports", token, body); err != nil || status != 201 {
			b.Fatalf("post: %d %v\n%s", status, err, srv.out.String())
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(peakKB(b, srv.cmd.Process.Pid)-before)/1024, "peak-growth-MB")
	b.ReportMetric(float64(len(bodies[0]))/(1<<20), "body-MB")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "ack-s")
}

// peakKB reads a process's peak resident set size (VmHWM) in kB.
func peakKB(tb testing.TB, pid int) int64 {
	tb.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb
		}
	}
	tb.Fatal("no VmHWM in /proc status")
	return 0
}
