package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/wsusfleet/wsusfleet/probes/sim"
)

func cmdSim(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("sim", "Run a simulated WSUS server (IIS answers, with a chosen fault) to try scripts and probes against.", stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	profile := fs.String("profile", sim.Healthy, "fault profile (see --list)")
	tls := fs.Bool("tls", false, "serve HTTPS with a generated certificate")
	latency := fs.Duration("latency", sim.DefaultLatency, "answer delay of the slow profiles")
	list := fs.Bool("list", false, "list the fault profiles and exit")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if *list {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, p := range sim.Profiles() {
			fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Description)
		}
		return tw.Flush()
	}
	srv, err := sim.Start(*addr, sim.Options{Profile: *profile, TLS: *tls, Latency: *latency})
	if err != nil {
		return usageError(fmt.Sprintf("--profile/--addr: %v", err))
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "simulated WSUS server (%s) at %s\n", srv.Profile(), srv.URL())
	fmt.Fprintf(stdout, "try: wsusfleet probe --server %s\n", srv.URL())
	<-ctx.Done()
	return nil
}
