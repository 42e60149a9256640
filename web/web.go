// Package web is wsusfleet's HTTP face: the JSON API under /api/v1, the
// dashboard pages, health endpoints and static files, on one chi router
// (every route is listed in routes.go).
package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/static"
)

// Store is what the web layer needs from persistence; *store.Store has it.
type Store interface {
	SaveReport(ctx context.Context, r *probes.Report, digest string) (probes.Receipt, bool, error)
	SaveClientReport(ctx context.Context, r *probes.ClientReport, digest string) (probes.ClientReceipt, bool, error)
	SaveInventory(ctx context.Context, inv *probes.Inventory, digest string) (probes.InventoryReceipt, bool, error)
	Fleet(ctx context.Context) ([]probes.FleetRow, error)
	Gaps(ctx context.Context) (probes.FleetGaps, error)
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
	DeleteServer(ctx context.Context, name string) error
	Authenticate(ctx context.Context, secret string) (probes.Token, error)
	Ready(ctx context.Context) error

	// The dashboard pages.
	Tokens(ctx context.Context) ([]probes.Token, error)
	CreateToken(ctx context.Context, name, scope string) (secret string, tok probes.Token, err error)
	RevokeToken(ctx context.Context, id int64) error
	TokenSessionKey(ctx context.Context, id int64) (probes.Token, []byte, error)
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
	TrustProxyHeads  bool // honour X-Request-ID from a reverse proxy
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
}

// app holds the dependencies the handlers share.
type app struct {
	store   Store
	cfg     Config
	log     *slog.Logger
	openapi []byte // rendered once at start
	assets  *static.Assets
}

// New returns the HTTP handler of the dashboard and its API.
func New(store Store, cfg Config) http.Handler {
	cfg.defaults()
	a := &app{store: store, cfg: cfg, log: cfg.Logger, assets: static.Load()}
	a.openapi = renderOpenAPI(cfg.Version)
	return a.routes()
}

func (a *app) now() time.Time { return a.cfg.Now().UTC() }
