package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
	"github.com/wsusfleet/wsusfleet/probes/sim/demofleet"
)

func cmdDemo(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "Run the dashboard with a live simulated fleet: WSUS servers with real faults on loopback, thousands of clients, probed continuously.", stderr)
	c := serverConfig{retention: 30 * 24 * time.Hour, staleAfter: 7 * 24 * time.Hour, probeInterval: 15 * time.Second, readAuth: "none",
		gapWarningShare: 100 * probes.DefaultGapWarningShare}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.db, "db", "", "database (default: a temporary SQLite file, deleted on exit)")
	fs.StringVar(&c.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	fs.Var(ageFlag{&c.probeInterval}, "probe-interval", "how often the simulated servers are probed")
	scale := fs.Float64("scale", 1, "multiply the number of simulated clients (1 = about 13,000)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	temporary := c.db == ""
	if temporary {
		dir, err := os.MkdirTemp("", "wsusfleet-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.db = "sqlite:" + filepath.Join(dir, "demo.db")
	}
	// The simulated servers share one host, so nothing answers on their
	// "port 80" or SSL port - 1: those extra checks are off in the demo.
	c.prober.SelfUpdatePort, c.prober.HTTPPort = -1, -1
	log, closeLog, err := newLogger(stderr, "text", c.logLevel)
	if err != nil {
		return err
	}
	defer closeLog()
	tuneGC(getenv)

	fleet := demofleet.Fleet()
	sims := make([]*sim.Server, len(fleet))
	for i, d := range fleet {
		if sims[i], err = sim.Start("127.0.0.1:0", sim.Options{Profile: d.Profile, TLS: d.TLS}); err != nil {
			return fmt.Errorf("start simulated %s: %w", d.Name, err)
		}
		defer sims[i].Close()
	}
	srv, err := startServer(ctx, c, log)
	if err != nil {
		return err
	}
	token, clients, err := seedDemo(ctx, srv, fleet, sims, *scale)
	if err != nil {
		srv.wait(canceled())
		return err
	}
	// An admin token too, so the Tokens and alert pages can be tried.
	admin, _, err := srv.st.CreateToken(ctx, "demo-admin", probes.ScopeAdmin)
	if err != nil {
		srv.wait(canceled())
		return err
	}
	fmt.Fprintf(stdout, "wsusfleet demo: %d simulated WSUS servers with %d clients, probed every %s\n\n", len(fleet), clients, probes.FormatAge(c.probeInterval))
	db := c.db
	if temporary {
		db += " (temporary, deleted on exit)"
	}
	fmt.Fprintf(stdout, "  dashboard     %s\n  ingest token  %s\n  admin token   %s (sign in at %s/signin for the Tokens and Alerts pages)\n  database      %s\n\n",
		srv.url, token, admin, srv.url, db)
	for i, d := range fleet {
		fmt.Fprintf(stdout, "  %-32s %-20s %s\n", d.Name, d.Profile, sims[i].URL())
	}
	fmt.Fprintf(stdout, "\nTry:\n  curl %s/api/v1/servers\n  wsusfleet probe --server %s --name %s --post %s --token %s\n\nCtrl+C stops the demo.\n",
		srv.url, sims[1].URL(), fleet[1].Name, srv.url, token)
	return srv.wait(ctx)
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// seedDemo creates an ingest token and seeds the fleet (demofleet.Seed).
func seedDemo(ctx context.Context, srv *server, fleet []demofleet.Server, sims []*sim.Server, scale float64) (token string, clients int, err error) {
	token, _, err = srv.st.CreateToken(ctx, "demo", probes.ScopeIngest)
	if err != nil {
		return "", 0, err
	}
	urls := make([]string, len(sims))
	for i, s := range sims {
		urls[i] = s.URL()
	}
	clients, err = demofleet.Seed(ctx, srv.st, fleet, urls, scale, time.Now().UTC())
	return token, clients, err
}
