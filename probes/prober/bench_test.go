package prober

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
)

// fleetSize is the largest fleet of DESIGN §1.
const fleetSize = 500

// startFleet starts fleetSize simulated servers on loopback: every 10th is
// slow (sim.DefaultLatency, 4 s: a warning), 5 never answer (request
// timeout), 5 refuse connections, every 10th of the rest speaks TLS, the
// others cycle through the fault profiles.
func startFleet(tb testing.TB) []string {
	tb.Helper()
	faults := []string{sim.Healthy, sim.Healthy, sim.Healthy, sim.PoolStopped, sim.AnonDisabled, sim.IUSRCredentials,
		sim.ContentACL, sim.Impersonation, sim.SelfUpdateMissing, sim.ClientCertRequired}
	urls := make([]string, fleetSize)
	for i := range urls {
		switch {
		case i%10 == 0:
			urls[i] = startSim(tb, sim.Options{Profile: sim.Slow}).URL()
		case i%100 == 1:
			urls[i] = "http://" + rawServer(tb, drain)
		case i%100 == 2:
			urls[i] = "http://127.0.0.1:" + freePort(tb)
		default:
			urls[i] = startSim(tb, sim.Options{Profile: faults[i%len(faults)], TLS: i%10 == 5}).URL()
		}
	}
	return urls
}

// openFDs counts this process's open file descriptors (Linux); -1 elsewhere.
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries) - 1 // the directory being read
}

// watchFDs samples the descriptor count until stop is closed and returns the
// highest count seen.
func watchFDs(stop <-chan struct{}) <-chan int {
	peak := make(chan int, 1)
	go func() {
		highest := openFDs()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				peak <- max(highest, openFDs())
				return
			case <-t.C:
				highest = max(highest, openFDs())
			}
		}
	}()
	return peak
}

// BenchmarkProbeFleet probes 500 simulated servers (9 vDirs each) at once
// through one Prober, as one probe interval of a full fleet would, and reports
// the wall time of the whole fleet and the peak number of open descriptors
// (prober and simulators share the process: both sides of every connection
// count).
//
//	go test ./probes/prober -run '^$' -bench ProbeFleet -benchtime 1x
func BenchmarkProbeFleet(b *testing.B) {
	urls := startFleet(b)
	for _, maxConns := range []int{64, DefaultMaxConns, 256} {
		b.Run(fmt.Sprintf("maxconns=%d", maxConns), func(b *testing.B) {
			p := New(Options{MaxConns: maxConns, SelfUpdatePort: -1, HTTPPort: -1})
			baseline := openFDs()
			var wall time.Duration
			var peak int
			var kinds map[string]int
			for b.Loop() {
				stop := make(chan struct{})
				peakc := watchFDs(stop)
				start := time.Now()
				kinds = probeAll(b, p, urls)
				wall = time.Since(start)
				close(stop)
				peak = <-peakc
			}
			if wall > 5*time.Minute {
				b.Errorf("the fleet took %s; it must fit in one 5-minute probe interval", wall)
			}
			if kinds[probes.ErrorTimeout] != 5*len(probes.VDirNames()) {
				b.Errorf("timeouts: %d; want only the 5 silent servers' (%d): healthy-but-queued servers must not time out",
					kinds[probes.ErrorTimeout], 5*len(probes.VDirNames()))
			}
			b.ReportMetric(wall.Seconds(), "s/fleet")
			b.ReportMetric(float64(fleetSize*len(probes.VDirNames()))/wall.Seconds(), "checks/s")
			b.ReportMetric(float64(baseline), "fds-idle")
			b.ReportMetric(float64(peak), "fds-peak")
			b.Logf("%d servers, %d checks in %s; open fds idle %d, peak %d (limit %d connections); error kinds %v",
				fleetSize, fleetSize*len(probes.VDirNames()), wall.Round(time.Millisecond), baseline, peak, maxConns, kinds)
		})
	}
}

// probeAll probes every URL concurrently and counts the checks by error kind
// ("" for an HTTP answer).
func probeAll(tb testing.TB, p *Prober, urls []string) map[string]int {
	var mu sync.Mutex
	kinds := map[string]int{}
	var wg sync.WaitGroup
	var total atomic.Int64
	for _, u := range urls {
		wg.Go(func() {
			checks, err := p.Probe(context.Background(), u)
			if err != nil {
				tb.Error(err)
				return
			}
			total.Add(int64(len(checks)))
			mu.Lock()
			for _, c := range checks {
				kinds[c.ErrorKind]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if want := int64(len(urls) * len(probes.VDirNames())); total.Load() != want {
		tb.Errorf("%d checks; want %d", total.Load(), want)
	}
	return kinds
}
