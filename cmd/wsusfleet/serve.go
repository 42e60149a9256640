package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/wsusfleet/wsusfleet/notify"
	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/prober"
	"github.com/wsusfleet/wsusfleet/probes/rules"
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

// maxCertWarningDays bounds --cert-warning-days: ten years is longer than
// any certificate a WSUS server is given.
const maxCertWarningDays = 3650

// serverConfig is what serve (and demo) run with.
type serverConfig struct {
	addr, db, readAuth, logFormat, logLevel string
	publicURL                               string // base of links in notifications
	retention, staleAfter, probeInterval    time.Duration
	certWarningDays                         int // a valid certificate expiring within this many days notifies
	prober                                  prober.Options
	allowLinkLocal                          bool    // probe link-local and cloud metadata addresses too
	gapWarningShare                         float64 // percent of a server's clients in gaps beyond which they raise its status
	security                                securityConfig
}

func cmdServe(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "Run the dashboard and its API (migrating the database first).", stderr)
	c := serverConfig{retention: 30 * 24 * time.Hour, staleAfter: 7 * 24 * time.Hour, probeInterval: 5 * time.Minute, certWarningDays: probes.CertWarnDays,
		gapWarningShare: 100 * probes.DefaultGapWarningShare}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address; a non-loopback address turns read auth on by default")
	fs.StringVar(&c.db, "db", "sqlite:wsusfleet.db", "database: sqlite:PATH or postgres://user@host/db")
	fs.StringVar(&c.readAuth, "read-auth", "", "who may read the dashboard and GET API: none or token (default: none on loopback, token otherwise)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.Var(ageFlag{&c.retention}, "retention", "how long to keep history (vDir checks, status changes, resolved findings)")
	fs.Var(ageFlag{&c.staleAfter}, "stale-after", "a client whose last status report is older is stale")
	fs.IntVar(&c.certWarningDays, "cert-warning-days", probes.CertWarnDays, "a server's valid TLS certificate expiring within this many days is a finding (critical within 7)")
	fs.Var(ageFlag{&c.probeInterval}, "probe-interval", "how often the dashboard probes registered servers; silent for 3 intervals = unknown")
	fs.IntVar(&c.prober.SelfUpdatePort, "selfupdate-port", 80, "where SelfUpdate must also answer when the WSUS port is not 80 (-1: don't check)")
	fs.BoolVar(&c.allowLinkLocal, "allow-link-local", false, "let registered servers be link-local or cloud metadata addresses (169.254.0.0/16, fe80::/10), refused by default")
	fs.StringVar(&c.publicURL, "public-url", "", "the dashboard's address as people reach it (e.g. https://wsusfleet.corp.example), for the links in notifications")
	fs.Float64Var(&c.gapWarningShare, "gap-warning-share", c.gapWarningShare, "percent of a server's clients in reporting gaps beyond which the gaps raise its status (below it, its own findings decide)")
	c.security.flags(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if !(c.gapWarningShare >= 0 && c.gapWarningShare <= 100) {
		return usageError(fmt.Sprintf("--gap-warning-share: %v is not a percentage from 0 to 100", c.gapWarningShare))
	}
	if err := checkPublicURL(c.publicURL); err != nil {
		return err
	}
	if err := c.security.check(); err != nil {
		return err
	}
	if c.certWarningDays < 1 || c.certWarningDays > maxCertWarningDays {
		return usageError(fmt.Sprintf("--cert-warning-days: must be a whole number of days from 1 to %d, not %d", maxCertWarningDays, c.certWarningDays))
	}
	if c.probeInterval < time.Second {
		return usageError("--probe-interval: must be at least 1s")
	}
	log, closeLog, err := newLogger(stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	defer closeLog()
	tuneGC(getenv)
	return serve(ctx, c, log, stdout)
}

// serve runs the dashboard until ctx ends.
func serve(ctx context.Context, c serverConfig, log *slog.Logger, stdout io.Writer) error {
	srv, err := startServer(ctx, c, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wsusfleet %s listening on %s (database: %s, read auth: %s)\n", buildVersion(), srv.url, srv.st.Dialect(), srv.readAuth)
	return srv.wait(ctx)
}

// server is a running dashboard: HTTP, the prober's scheduler and upkeep.
type server struct {
	url      string
	readAuth string
	st       *store.Store
	http     *http.Server
	served   chan error
	stopBG   context.CancelFunc
	bgDone   chan struct{}
	log      *slog.Logger
}

// startServer opens and migrates the database, starts listening, probing
// and upkeep, and returns once requests are being served.
func startServer(ctx context.Context, c serverConfig, log *slog.Logger) (*server, error) {
	readAuth, err := resolveReadAuth(c.readAuth, c.addr)
	if err != nil {
		return nil, err
	}
	metrics := web.NewMetrics()
	st, err := openStore(ctx, c.db, store.Options{Logger: log, StaleAfter: c.staleAfter, CertWarningDays: c.certWarningDays, UnknownAfter: 3 * c.probeInterval, Diagnose: rules.Diagnose, Observer: metrics,
		GapWarningShare: gapShare(c.gapWarningShare)})
	if err != nil {
		return nil, err
	}
	tlsConfig, err := c.security.tlsConfig()
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		st.Close()
		return nil, usageError(fmt.Sprintf("--addr: %v", err))
	}
	scheme := "http://"
	if tlsConfig != nil {
		scheme = "https://"
	}
	s := &server{url: scheme + ln.Addr().String(), readAuth: readAuth, st: st, served: make(chan error, 1), bgDone: make(chan struct{}), log: log}
	dispatcher := notify.New(st, notify.Options{PublicURL: c.publicURL, Logger: log, Registerer: metrics.Registry(), Retention: c.retention, Version: buildVersion()})
	cfg := web.Config{Logger: log, ReadAuth: readAuth, Version: buildVersion(), AllowLinkLocal: c.allowLinkLocal, Metrics: metrics, Notify: dispatcher,
		GapWarningShare: gapShare(c.gapWarningShare)}
	c.security.apply(&cfg)
	s.http = &http.Server{
		Handler:           web.New(st, cfg),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if tlsConfig != nil {
			s.served <- s.http.ServeTLS(ln, "", "")
			return
		}
		s.served <- s.http.Serve(ln)
	}()
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	s.stopBG = stopBG
	if !c.allowLinkLocal {
		c.prober.Deny = probes.ProbeAddrAllowed // checked on the address dialled, after DNS
	}
	sched := newScheduler(st, c.probeInterval, c.prober, log)
	go func() {
		defer close(s.bgDone)
		go maintain(bg, st, c.retention, log)
		var notifying sync.WaitGroup
		notifying.Go(func() { dispatcher.Run(bg) }) // the outbox, reminders, unknown servers; waited for like the probes
		sched.run(bg)                               // returns after its probes in flight have ended
		notifying.Wait()
	}()
	log.Info("wsusfleet listening", "url", s.url, "db", st.Dialect(), "read_auth", readAuth, "version", buildVersion())
	return s, nil
}

// wait serves until ctx ends, then shuts down gracefully: in-flight requests
// finish, probes end, queued writes commit, the database closes.
func (s *server) wait(ctx context.Context) error {
	defer s.st.Close()
	select {
	case err := <-s.served:
		s.stopBG()
		<-s.bgDone
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.http.Shutdown(shutCtx)
	s.stopBG()
	<-s.bgDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// checkPublicURL accepts an empty value or an absolute http(s) URL.
func checkPublicURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return usageError(fmt.Sprintf("--public-url: %q is not an http(s) URL like https://wsusfleet.corp.example", v))
	}
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
		if isLoopback(host) {
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

// maintain keeps derived state current: client gap categories, the counts
// kept with them and the findings that follow them (every couple of
// seconds), and history past retention (hourly).
func maintain(ctx context.Context, st *store.Store, retention time.Duration, log *slog.Logger) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var lastPrune time.Time
	for {
		if _, _, err := st.Settle(ctx); err != nil && ctx.Err() == nil {
			log.Warn("classify client gaps and re-diagnose", "err", err)
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

// gapShare turns the flag's percentage into the web layer's share; 0 %
// (any gap counts) is a share just above nothing, as 0 means the default.
func gapShare(percent float64) float64 {
	if percent <= 0 {
		return 1e-9
	}
	return percent / 100
}
