package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/web"
)

// ageFlag is a flag.Value for ages like 7d or 36h.
type ageFlag struct{ d *time.Duration }

func (a ageFlag) String() string {
	if a.d == nil {
		return ""
	}
	return probes.FormatAge(*a.d)
}

func (a ageFlag) Set(s string) error {
	d, err := probes.ParseAge(s)
	if err != nil {
		return err
	}
	*a.d = d
	return nil
}

// serverConfig is what serve (and demo) run with.
type serverConfig struct {
	addr, db, readAuth, logFormat, logLevel string
	retention, staleAfter, probeInterval    time.Duration
}

func cmdServe(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "Run the dashboard and its API (migrating the database first).", stderr)
	c := serverConfig{retention: 30 * 24 * time.Hour, staleAfter: 7 * 24 * time.Hour, probeInterval: 5 * time.Minute}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address; a non-loopback address turns read auth on by default")
	fs.StringVar(&c.db, "db", "sqlite:wsusfleet.db", "database: sqlite:PATH or postgres://user@host/db")
	fs.StringVar(&c.readAuth, "read-auth", "", "who may read the dashboard and GET API: none or token (default: none on loopback, token otherwise)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.Var(ageFlag{&c.retention}, "retention", "how long to keep history (vDir checks, status changes, resolved findings)")
	fs.Var(ageFlag{&c.staleAfter}, "stale-after", "a client whose last status report is older is stale")
	fs.Var(ageFlag{&c.probeInterval}, "probe-interval", "how often the dashboard probes registered servers; silent for 3 intervals = unknown")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	log, err := newLogger(stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	return serve(ctx, c, log, stdout)
}

// serve runs the dashboard until ctx ends, then shuts down gracefully:
// in-flight requests finish, queued writes commit, the database closes.
func serve(ctx context.Context, c serverConfig, log *slog.Logger, stdout io.Writer) error {
	readAuth, err := resolveReadAuth(c.readAuth, c.addr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c.db, store.Options{Logger: log, StaleAfter: c.staleAfter, UnknownAfter: 3 * c.probeInterval})
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return usageError(fmt.Sprintf("--addr: %v", err))
	}
	srv := &http.Server{
		Handler:           web.New(st, web.Config{Logger: log, ReadAuth: readAuth, Version: buildVersion()}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go maintain(bg, st, c.retention, log)

	url := "http://" + ln.Addr().String()
	log.Info("wsusfleet listening", "url", url, "db", st.Dialect(), "read_auth", readAuth, "version", buildVersion())
	fmt.Fprintf(stdout, "wsusfleet %s listening on %s (database: %s, read auth: %s)\n", buildVersion(), url, st.Dialect(), readAuth)

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	stopBG()
	return nil
}

// resolveReadAuth: explicit wins; by default the dashboard is open only when
// it listens on loopback (secure by default when exposed).
func resolveReadAuth(flagValue, addr string) (string, error) {
	switch flagValue {
	case web.ReadAuthNone, web.ReadAuthToken:
		return flagValue, nil
	case "":
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return "", usageError(fmt.Sprintf("--addr: %v", err))
		}
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return web.ReadAuthNone, nil
		}
		return web.ReadAuthToken, nil
	}
	return "", usageError(fmt.Sprintf("--read-auth: %q is not none or token", flagValue))
}

// openStore opens and migrates the database named by --db.
func openStore(ctx context.Context, dsn string, opts store.Options) (*store.Store, error) {
	if _, _, err := store.ParseDSN(dsn); err != nil {
		return nil, usageError(err.Error())
	}
	st, err := store.Open(ctx, dsn, opts)
	if err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// maintain keeps time-dependent summaries current and prunes old history.
func maintain(ctx context.Context, st *store.Store, retention time.Duration, log *slog.Logger) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		if _, err := st.RecountDue(ctx); err != nil && ctx.Err() == nil {
			log.Warn("recount clients", "err", err)
		}
		if time.Since(lastPrune) > time.Hour {
			lastPrune = time.Now()
			if n, err := st.Prune(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
				log.Warn("prune history", "err", err)
			} else if n > 0 {
				log.Info("pruned history", "rows", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
