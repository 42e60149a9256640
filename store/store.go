// Package store persists wsusfleet's documents and serves its read models over
// SQLite (modernc.org/sqlite, the embedded default) or PostgreSQL (pgx). Both
// pass the same conformance suite in store/storetest. Writes store what was
// sent and mark what it changes due; derived state (gap categories, findings)
// follows off the ingest path, in Settle and before the reads that need it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Options configure a Store. Zero values mean the documented defaults.
type Options struct {
	Now          func() time.Time // the clock (tests pass a fixed one)
	Logger       *slog.Logger
	StaleAfter   time.Duration // a client whose last status report is older is stale (7 days)
	UnknownAfter time.Duration // a server silent this long is "unknown" (15 minutes: 3 probe intervals)
	// Diagnose re-derives a server's findings from its current state. A save
	// only marks its server due; due servers are diagnosed in chunks by
	// Settle (serve runs it every few seconds) and by every read of findings
	// or severity before it reads (RediagnoseDue), so findings are stored, and
	// a reader still sees each acknowledged write's diagnosis.
	Diagnose func(probes.Facts) []probes.Finding
	// ReadConns bounds concurrent readers (SQLite) or all connections (PostgreSQL).
	ReadConns int
	// Observer is told about every write transaction (metrics); nil ignores them.
	Observer WriteObserver
	// CertWarningDays: a valid certificate expiring within this many days is ssl_cert_expiring (serve --cert-warning-days; 0: 30).
	CertWarningDays int
	// GapWarningShare: client gaps beyond this share of a server's listed clients raise its status (serve --gap-warning-share; 0: 0.25).
	GapWarningShare float64
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 7 * 24 * time.Hour
	}
	if o.UnknownAfter <= 0 {
		o.UnknownAfter = 15 * time.Minute
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 8
	}
}

// Store is the one persistence API used by the web layer, the prober and the CLI.
type Store struct {
	d      dialect
	db     *sql.DB       // reads; on PostgreSQL writes too
	w      *writer       // SQLite: the single writer with group commit; PostgreSQL: nil
	turns  writeTurns    // PostgreSQL: writes take connections in arrival order
	groups *pgGroups     // PostgreSQL: small reports committed in groups; SQLite: nil
	steps  *pgSteps      // PostgreSQL: client reports committed in groups; SQLite: nil
	ckpt   *checkpointer // SQLite: moves the WAL into the database file
	reads  readStmts
	strips memo[probes.VDirCell]  // fleet strips by their text
	runs   memo[probes.VDirCheck] // vDir runs' verdicts by their text
	tokens tokenCache             // verified tokens, briefly (see tokenCacheTTL)
	ver    storeVersion           // what read models are kept under (Version)
	opts   Options
}

// Open connects to dsn: "sqlite:PATH" (or "file:PATH") for the embedded
// database, "postgres://..." for PostgreSQL. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts.defaults()
	kind, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{opts: opts}
	switch kind {
	case "sqlite":
		err = s.openSQLite(ctx, target)
	case "postgres":
		if err = s.openPostgres(ctx, target); err == nil {
			s.groups = newPGGroups(s)
			s.steps = newPGSteps(s)
		}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ParseDSN splits a --db value into its kind ("sqlite" or "postgres") and the
// driver's data source.
func ParseDSN(dsn string) (kind, target string, err error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return "", "", fmt.Errorf("--db: not a valid postgres:// URL: %w", err)
		}
		return "postgres", dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"), strings.HasPrefix(dsn, "file:"):
		path := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:"), "//")
		if path == "" || strings.Contains(path, ":memory:") || strings.Contains(path, "mode=memory") {
			return "", "", fmt.Errorf("--db: %q: give a file path, e.g. sqlite:wsusfleet.db (an in-memory database would lose every report)", dsn)
		}
		return "sqlite", path, nil
	}
	return "", "", fmt.Errorf("--db: %q: use sqlite:PATH or postgres://user@host/db", dsn)
}

// Dialect names the database in use: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name() }

// LoadsWhileDecoding says whether a large client list pays for being loaded
// as its items are decoded (probes.DecodeReportStreamed). On PostgreSQL the
// load runs in the database's process while serve decodes (measured: the
// 100,000-client report 0.2–0.4 s sooner). SQLite's load runs in this
// process and competes with the decoding for the same cores: no sooner, and
// 35–40 MB more peak memory, so its lists are decoded first.
func (s *Store) LoadsWhileDecoding() bool { return s.w == nil }

// Close stops the writer (finishing queued writes) and closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.w != nil {
		errs = append(errs, s.w.close())
	}
	if s.groups != nil {
		s.groups.close()
	}
	if s.steps != nil {
		s.steps.close()
	}
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.close())
	}
	if s.ver.vdb != nil {
		errs = append(errs, s.ver.vdb.Close())
	}
	return errors.Join(append(errs, s.reads.close(), s.db.Close())...)
}

func (s *Store) now() time.Time { return s.opts.Now().UTC() }

// ms converts a time to the stored form: Unix milliseconds, UTC.
func ms(t time.Time) int64 { return t.UnixMilli() }

// msPtr stores a possibly-absent time as NULL.
func msPtr(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS reads a stored time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// fromNullMS reads a nullable stored time.
func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}
