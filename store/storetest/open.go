// Package storetest is the conformance suite every store dialect must pass,
// and the helpers other packages' tests use to open a real, isolated store.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
)

// PostgresEnv names the variable that holds a PostgreSQL URL for the tests.
const PostgresEnv = "WSUSFLEET_TEST_POSTGRES"

// Opener opens a fresh, migrated store that only the calling test uses.
type Opener func(tb testing.TB, opts store.Options) *store.Store

// Dialects returns the openers to run a test against: SQLite, and
// PostgreSQL. Where WSUSFLEET_TEST_POSTGRES is not set, the PostgreSQL opener
// skips the (sub)test that calls it, so `go test -v` shows the PostgreSQL half
// as SKIP with the reason; in CI (CI=true) a missing URL fails it instead.
func Dialects(tb testing.TB) map[string]Opener {
	tb.Helper()
	return map[string]Opener{"sqlite": OpenSQLite, "postgres": OpenPostgres}
}

// PostgresURL returns the test database URL, or "" when PostgreSQL tests
// cannot run here (outside CI). In CI (CI=true) a missing URL fails tb.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" && os.Getenv("CI") == "true" {
		tb.Fatalf("%s is not set in CI: the PostgreSQL tests must run there (.ci/run sets it)", PostgresEnv)
	}
	return u
}

// SkipWithoutPostgres skips tb (a test or subtest named for PostgreSQL) when
// PostgreSQL tests cannot run here, saying how to run them; in CI it fails.
func SkipWithoutPostgres(tb testing.TB) {
	tb.Helper()
	if PostgresURL(tb) == "" {
		tb.Skipf("PostgreSQL tests skipped: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them", PostgresEnv)
	}
}

// OpenSQLite opens a migrated SQLite store in the test's temp directory.
func OpenSQLite(tb testing.TB, opts store.Options) *store.Store {
	tb.Helper()
	return openMigrated(tb, "sqlite:"+filepath.Join(tb.TempDir(), "wsusfleet.db"), opts)
}

// OpenPostgres opens a migrated store in a schema of its own, dropped when
// the test ends, so test packages can run in parallel on one database. It
// skips tb when PostgreSQL tests cannot run here (see Dialects).
func OpenPostgres(tb testing.TB, opts store.Options) *store.Store {
	tb.Helper()
	return openMigrated(tb, PostgresSchemaURL(tb), opts)
}

// PostgresSchemaURL creates an empty schema on the test PostgreSQL, dropped
// when the test ends, and returns a URL whose connections use it (for tests
// that start the binary with --db). It skips the test when PostgreSQL tests
// cannot run here.
func PostgresSchemaURL(tb testing.TB) string {
	tb.Helper()
	SkipWithoutPostgres(tb)
	base := PostgresURL(tb)
	schema := "wft_" + randomHex(6)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenDSN opens (and migrates) a store on dsn, closed when the test ends;
// for tests that need two stores on one database.
func OpenDSN(tb testing.TB, dsn string, opts store.Options) *store.Store {
	tb.Helper()
	return openMigrated(tb, dsn, opts)
}

func openMigrated(tb testing.TB, dsn string, opts store.Options) *store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, dsn, opts)
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Clock is a settable clock for tests, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
