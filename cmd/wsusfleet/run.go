package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise
// the module version or "dev".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// env is how a command reads its environment (os.Getenv, or a map in tests).
type env = func(string) string

type subcommand struct {
	summary string
	run     func(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error
}

func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"serve":   {"run the dashboard and its API", cmdServe},
		"demo":    {"run the dashboard with a live simulated fleet (try it first)", cmdDemo},
		"migrate": {"apply database migrations and exit", cmdMigrate},
		"token":   {"create, list or revoke API tokens", cmdToken},
		"health":  {"check a running dashboard's /healthz (for container health checks)", cmdHealth},
		"probe":   {"check every vDir of a WSUS server from here (and send the result to a dashboard)", cmdProbe},
		"sim":     {"run a simulated WSUS server to try things against", cmdSim},
		"upload":  {"send evidence files (IIS logs, ProcMon CSV, applicationHost.config, Get-WsusComputer CSV)", cmdUpload},
		"version": {"print the version", func(_ context.Context, _ []string, _ env, stdout, _ io.Writer) error {
			fmt.Fprintln(stdout, "wsusfleet", buildVersion())
			return nil
		}},
	}
}

// run is the whole program; main and the tests call it.
func run(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	cmds := subcommands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return usageError("no command given")
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return usageError(fmt.Sprintf("unknown command %q", args[0]))
	}
	return c.run(ctx, args[1:], getenv, stdout, stderr)
}

func usage(w io.Writer, cmds map[string]subcommand) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "wsusfleet: a dashboard for fleets of WSUS servers\n\nUsage: wsusfleet <command> [flags]\n\nCommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun wsusfleet <command> -h for its flags. Every flag can be set as WSUSFLEET_<FLAG> (e.g. WSUSFLEET_DB).")
}

// exitError carries an exit code: 2 for usage errors, others as chosen.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageError(msg string) error { return &exitError{code: 2, msg: msg} }

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "wsusfleet:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "wsusfleet:", err)
	return 1
}

// newFlags makes a subcommand's flag set; errors name the flag.
func newFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("wsusfleet "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: wsusfleet %s [flags]\n\n%s\n\nFlags (each also WSUSFLEET_<FLAG>):\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, then fills every flag not given on the command line
// from its WSUSFLEET_* variable.
func parseFlags(fs *flag.FlagSet, args []string, getenv env) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2} // flag already printed the reason, naming the flag
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = usageError(fmt.Sprintf("%s=%q (for --%s): %v", name, v, f.Name, e))
			}
		}
	})
	return err
}

func envName(flagName string) string {
	return "WSUSFLEET_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
