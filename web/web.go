// Package web is wsusfleet's HTTP face: the JSON API under /api/v1, the
// dashboard pages, health endpoints and static files, on one chi router
// (every route is listed in routes.go).
package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/static"
)

// Store is what the web layer needs from persistence; *store.Store has it.
type Store interface {
	// LoadsWhileDecoding: a large client list is saved while its items are
	// still being decoded (probes.DecodeReportStreamed) rather than after.
	LoadsWhileDecoding() bool
	SaveReport(ctx context.Context, r *probes.Report, digest string) (probes.Receipt, bool, error)
	SaveClientReport(ctx context.Context, r *probes.ClientReport, digest string) (probes.ClientReceipt, bool, error)
	SaveInventory(ctx context.Context, inv *probes.Inventory, digest string) (probes.InventoryReceipt, bool, error)
	Fleet(ctx context.Context) ([]probes.FleetRow, error)
	Gaps(ctx context.Context) (probes.FleetGaps, error)
	Version(ctx context.Context) (string, error) // changes with every commit (read models are kept under it)
	GapClients(ctx context.Context, q probes.GapQuery) (probes.GapPage, error)
	EachGapClient(ctx context.Context, q probes.GapQuery, fn func(probes.GapClient) error) error
	Findings(ctx context.Context, q probes.FindingQuery) ([]probes.ServerFinding, error)
	ListServers(ctx context.Context) ([]probes.ServerSummary, error)
	ServerState(ctx context.Context, name string) (*probes.ServerState, error)
	Clients(ctx context.Context, q probes.ClientQuery) (probes.ClientPage, error)
	EachClient(ctx context.Context, q probes.ClientQuery, fn func(probes.ClientRecord) error) error
	VDirHistory(ctx context.Context, server string, since time.Time) ([]probes.ObservedCheck, error)
	VDirVerdicts(ctx context.Context, server string, since time.Time) ([]probes.ObservedCheck, error)
	IISLogHistory(ctx context.Context, server string, since time.Time) ([]probes.IISLogHour, error)
	SaveClientEvidence(ctx context.Context, ev *probes.ClientEvidence, digest string) (probes.ClientEvidence, bool, error)
	ClientDetail(ctx context.Context, name string) (*probes.ClientDetail, error)
	RegisterServer(ctx context.Context, name, url string) (created bool, err error)
	ResolveServer(ctx context.Context, url string) (probes.ServerMatch, error)
	StaleAfter() time.Duration // the threshold the stale counts and categories use
	DeleteServer(ctx context.Context, name string) error
	Authenticate(ctx context.Context, secret string) (probes.Token, error)
	Ready(ctx context.Context) error
	// Check is Ready plus a harmless write: a read-only database is not ready.
	Check(ctx context.Context) error

	// The dashboard pages.
	Tokens(ctx context.Context) ([]probes.Token, error)
	CreateToken(ctx context.Context, name, scope string) (secret string, tok probes.Token, err error)
	RevokeToken(ctx context.Context, id int64) error

	// Dashboard sessions and single sign-on (server-side: the cookie holds a
	// random id, the store its hash).
	CreateSession(ctx context.Context, s probes.Session) (id string, err error)
	Session(ctx context.Context, id string) (probes.Session, error)
	DeleteSession(ctx context.Context, id string) error
	SaveSignInAttempt(ctx context.Context, state string, a probes.SignInAttempt) error
	TakeSignInAttempt(ctx context.Context, state string) (probes.SignInAttempt, error)

	// Unavailable reports whether err means the database cannot serve right
	// now (down, unreachable, read-only, busy): answered 503, not 500.
	Unavailable(err error) bool

	// Alerts and metrics (api_notifiers.go, metrics.go).
	AlertStore
	MetricsStore
}

// Read-auth modes: who may read the dashboard and the GET API.
const (
	ReadAuthNone  = "none"  // anyone who can reach it (the loopback default)
	ReadAuthToken = "token" // a token with scope read or admin
)

// Config configures the web layer. Zero values mean the documented defaults.
type Config struct {
	Logger           *slog.Logger
	Now              func() time.Time
	ReadAuth         string // ReadAuthNone or ReadAuthToken
	MaxReportBytes   int64  // JSON documents, decompressed (64 MiB)
	MaxEvidenceBytes int64  // evidence files, decompressed and streamed (1 GiB)
	Version          string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For,
	// X-Forwarded-Proto and X-Request-ID are believed; from anyone else
	// those headers are ignored.
	TrustedProxies []netip.Prefix
	SessionMaxAge  time.Duration // a dashboard session ends this long after sign-in (12 h)
	SessionIdle    time.Duration // ... or this long after its last use (1 h)
	Limits         Limits        // resource and rate limits (see limits.go)
	OIDC           *OIDCConfig   // single sign-on; nil: token sign-in only
	AllowLinkLocal bool          // register servers at link-local and cloud metadata addresses
	Metrics        *Metrics      // the Prometheus registry (nil: a new one)
	Notify         Notify        // sends channel tests (nil: not offered)
	// GapWarningShare: the share of a server's clients (0–1) in reporting
	// gaps beyond which the gaps raise its status (0: 25 %).
	GapWarningShare float64
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReadAuth == "" {
		c.ReadAuth = ReadAuthNone
	}
	if c.MaxReportBytes <= 0 {
		c.MaxReportBytes = 64 << 20
	}
	if c.MaxEvidenceBytes <= 0 {
		c.MaxEvidenceBytes = 1 << 30
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.SessionMaxAge <= 0 {
		c.SessionMaxAge = 12 * time.Hour
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = time.Hour
	}
	c.Limits.defaults()
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
}

// app holds the dependencies the handlers share.
type app struct {
	store   Store
	cfg     Config
	log     *slog.Logger
	openapi []byte // rendered once at start
	assets  *static.Assets
	guard   *guard      // resource budgets and failed-auth limits (limits.go)
	outage  outage      // the database outage in progress, if any (errors.go)
	oidc    *oidcClient // nil without single sign-on
	metrics *Metrics
	reads   readModels // the busiest reads, kept per store version (readmodel.go)
}

// New returns the HTTP handler of the dashboard and its API.
func New(store Store, cfg Config) http.Handler {
	cfg.defaults()
	a := &app{store: store, cfg: cfg, log: cfg.Logger, assets: static.Load(), guard: newGuard(cfg.Limits)}
	if cfg.OIDC != nil {
		a.oidc = newOIDCClient(*cfg.OIDC)
	}
	a.metrics = cfg.Metrics
	a.metrics.watchStore(store)
	a.openapi = renderOpenAPI(cfg.Version)
	return a.routes()
}

func (a *app) now() time.Time { return a.cfg.Now().UTC() }
