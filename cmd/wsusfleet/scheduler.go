package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/prober"
	"github.com/wsusfleet/wsusfleet/store"
)

// maxServerProbes bounds how many servers one instance probes at once; the
// prober separately bounds open connections.
const maxServerProbes = 64

// scheduler probes the registered servers as they fall due. Each is leased
// through the database (store.ClaimProbes), so several serve instances on
// one PostgreSQL never probe the same server at once, even when a probe runs
// past its interval, and a slow server only holds its own slot.
type scheduler struct {
	st       *store.Store
	prober   *prober.Prober
	holder   string // this instance, as recorded on the lease
	interval time.Duration
	budget   time.Duration // the longest one probe and its save may take
	log      *slog.Logger
}

// leaseMargin is how much longer a lease lasts than the probe it covers, for
// clocks that differ between instances.
const leaseMargin = 30 * time.Second

func newScheduler(st *store.Store, interval time.Duration, opts prober.Options, log *slog.Logger) *scheduler {
	host, _ := os.Hostname()
	b := make([]byte, 3)
	rand.Read(b)
	// A probe waits for connection slots, then runs for at most the server
	// timeout; its save gets a request timeout more.
	budget := cmp.Or(opts.ServerTimeout, prober.DefaultServerTimeout) + 2*cmp.Or(opts.RequestTimeout, prober.DefaultRequestTimeout)
	return &scheduler{st: st, prober: prober.New(opts), holder: host + "-" + hex.EncodeToString(b), interval: interval, budget: budget, log: log}
}

func (s *scheduler) run(ctx context.Context) {
	tick := time.NewTicker(min(max(s.interval/10, 200*time.Millisecond), 5*time.Second))
	defer tick.Stop()
	slots := make(chan struct{}, maxServerProbes)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		if free := cap(slots) - len(slots); free > 0 {
			targets, err := s.st.ClaimProbes(ctx, s.holder, free, s.interval, s.budget+leaseMargin)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("claim probes", "err", err)
			}
			for _, t := range targets {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					s.probe(ctx, t)
				}()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// probe checks one server and stores the result as a dashboard-vantage
// report through the same ingest path as every other report, within the
// lease it holds on the server, and then releases the lease.
func (s *scheduler) probe(ctx context.Context, t probes.ProbeTarget) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.st.ReleaseProbe(rctx, s.holder, t.Name); err != nil {
			s.log.Warn("release probe lease", "server", t.Name, "err", err) // it lapses on its own
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, s.budget)
	defer cancel()
	started := time.Now()
	checks, err := s.prober.Probe(ctx, t.URL)
	if err != nil {
		s.log.Warn("probe", "server", t.Name, "url", t.URL, "err", err)
		return
	}
	if ctx.Err() != nil {
		return // shutting down or out of time: a cut-short probe is not a fact about the server
	}
	r := probeReport(t.Name, t.URL, probes.VantageDashboard, "", started, checks)
	if _, _, err := s.st.SaveReport(ctx, r, ""); err != nil && ctx.Err() == nil {
		s.log.Warn("store probe result", "server", t.Name, "err", err)
	}
}

// probeReport wraps vDir checks in a server report. The dashboard's own
// probes share one origin ("") whichever instance ran them.
func probeReport(name, url, vantage, host string, at time.Time, checks []probes.VDirCheck) *probes.Report {
	return &probes.Report{
		Schema: probes.SchemaReport, ID: probes.NewID(), CollectedAt: probes.TimeOf(at),
		Collector:  probes.Collector{Name: "wsusfleet probe", Version: buildVersion(), Host: host, Vantage: vantage},
		Server:     probes.ServerInfo{Name: name, URL: url},
		VDirChecks: checks,
	}
}
