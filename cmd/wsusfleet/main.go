// Command wsusfleet is the WSUS fleet dashboard: one binary with the server
// (serve, demo), the tools around it (migrate, token) and the agents (probe,
// upload). Every flag can also be set as WSUSFLEET_<FLAG> in the environment.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}
