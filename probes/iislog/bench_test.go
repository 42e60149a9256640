package iislog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The benchmarks read a generated 1M-line log (about 170 MB) from a temp dir
// that TestMain removes; it is written once per test binary run. Compare
// Parse with the bufio.Scanner floor on one core:
//
//	GOMAXPROCS=1 go test -run '^$' -bench . -benchtime 5x -count 5 ./probes/iislog/
//
// cpu-MB/s divides by the process's CPU time rather than wall time, which is
// the steadier number on a shared machine.
var benchDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

var (
	benchMu    sync.Mutex
	benchFiles = map[int]string{}
)

// benchLog returns a generated log of the given number of request lines.
func benchLog(b *testing.B, lines int) (path string, size int64) {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if path, ok := benchFiles[lines]; ok {
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		return path, st.Size()
	}
	if benchDir == "" {
		dir, err := os.MkdirTemp("", "iislog-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
	}
	path = filepath.Join(benchDir, fmt.Sprintf("u_ex%d.log", lines))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeWSUSLog(f, lines); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	benchFiles[lines] = path
	st, _ := os.Stat(path)
	return path, st.Size()
}

// BenchmarkScanLines is the floor: counting the lines of the same file with
// bufio.Scanner.
func BenchmarkScanLines(b *testing.B) {
	path, size := benchLog(b, 1_000_000)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
		}
		if err := sc.Err(); err != nil || n != 1_000_004 {
			b.Fatalf("%d lines, %v", n, err)
		}
		f.Close()
	}
	reportCPU(b, size, cpu)
}

// BenchmarkParse parses and aggregates the 1M-line log, then the same log
// twice in a row (2M lines, the same clients and buckets): bytes and
// allocations per op and the heap stay flat while the lines double.
func BenchmarkParse(b *testing.B) {
	for _, copies := range []int{1, 2} {
		b.Run(fmt.Sprintf("lines=%dM", copies), func(b *testing.B) {
			path, size := benchLog(b, 1_000_000)
			b.SetBytes(size * int64(copies))
			b.ReportAllocs()
			runtime.GC()
			var peak uint64
			var ms runtime.MemStats
			cpu := cpuTime()
			for b.Loop() {
				var files []io.Reader
				for range copies {
					f, err := os.Open(path)
					if err != nil {
						b.Fatal(err)
					}
					defer f.Close()
					files = append(files, f)
				}
				s, err := Parse(io.MultiReader(files...))
				if err != nil {
					b.Fatal(err)
				}
				if s.Lines != int64(copies)*1_000_000 || s.Skipped != 0 {
					b.Fatalf("lines %d, skipped %d", s.Lines, s.Skipped)
				}
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			reportCPU(b, size*int64(copies), cpu)
			b.ReportMetric(float64(peak)/(1<<20), "heap-MB")
		})
	}
}

// reportCPU adds cpu-MB/s: bytes per CPU-second of this process since start,
// which stays meaningful when other processes compete for the cores.
func reportCPU(b *testing.B, bytesPerOp int64, start time.Duration) {
	if start == 0 {
		return
	}
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/used.Seconds()/1e6, "cpu-MB/s")
	}
}

// TestGeneratedLog checks that the benchmark's log looks like a WSUS log to
// the parser, on a small sample.
func TestGeneratedLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "u_ex.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeWSUSLog(f, 20000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, _ = os.Open(path)
	defer f.Close()
	s, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	if s.Lines != 20000 || s.Skipped != 0 || len(s.VDirs) != 9 || s.Other == 0 {
		t.Errorf("lines %d, skipped %d, vdirs %d, other %d", s.Lines, s.Skipped, len(s.VDirs), s.Other)
	}
	for _, want := range []string{"401.2", "503.0", "500.0"} {
		if s.VDirs["ClientWebService"][want] == 0 {
			t.Errorf("no %s on ClientWebService: %v", want, s.VDirs["ClientWebService"])
		}
	}
}
