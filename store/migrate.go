package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/wsusfleet/wsusfleet/migrations"
)

// migration is one numbered SQL file of the dialect's folder.
type migration struct {
	version int64
	name    string
	sql     string
}

// Migrations lists the embedded migrations of a dialect ("sqlite" or "postgres").
func Migrations(dialect string) ([]string, error) {
	ms, err := loadMigrations(dialect)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.name
	}
	return names, nil
}

func loadMigrations(dialect string) ([]migration, error) {
	files, err := fs.Glob(migrations.FS, dialect+"/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, f := range files {
		name := path.Base(f)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", f)
		}
		body, err := fs.ReadFile(migrations.FS, f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return int(a.version - b.version) })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// Migrate applies every embedded migration not yet applied, each in its own
// transaction, and records it in schema_migrations. It returns the names
// applied. Safe to run from several instances at once.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := loadMigrations(s.d.name())
	if err != nil {
		return nil, err
	}
	var applied []string
	err = s.withMigrationConn(ctx, func(conn *sql.Conn) error {
		unlock, err := s.d.lockMigrations(ctx, conn)
		if err != nil {
			return err
		}
		defer unlock()
		if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		done, err := appliedVersions(ctx, conn)
		if err != nil {
			return err
		}
		if err := refuseNewer(ctx, conn, done, ms); err != nil {
			return err
		}
		for _, m := range ms {
			if done[m.version] {
				continue
			}
			if err := s.apply(ctx, conn, m); err != nil {
				return err
			}
			applied = append(applied, m.name)
		}
		return nil
	})
	return applied, err
}

// ErrNewerSchema: the database holds migrations this binary does not have.
var ErrNewerSchema = errors.New("the database was migrated by a newer wsusfleet")

// refuseNewer fails when the database has a migration newer than any this
// binary embeds: a newer wsusfleet wrote it, possibly in forms this one
// cannot read (stored checks, packed differently on SQLite in each of
// phases 16 and 17, and as bytea on PostgreSQL since 0015). Running on would
// misread them or fail on every page.
func refuseNewer(ctx context.Context, conn *sql.Conn, done map[int64]bool, known []migration) error {
	if len(known) == 0 {
		return nil
	}
	latest := known[len(known)-1]
	var newer int64
	for v := range done {
		newer = max(newer, v)
	}
	if newer <= latest.version {
		return nil
	}
	var name string
	if err := conn.QueryRowContext(ctx, `SELECT name FROM schema_migrations WHERE version = $1`, newer).Scan(&name); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	return fmt.Errorf("%w (its latest migration is %s; this one knows up to %s): run that version or a later one, or restore a backup taken before it",
		ErrNewerSchema, name, latest.name)
}

func (s *Store) apply(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s failed, nothing of it applied: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, ms(s.now())); err != nil {
		return fmt.Errorf("migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	s.opts.Logger.Info("migration applied", "name", m.name, "dialect", s.d.name())
	return nil
}

// withMigrationConn runs fn on the writer's connection (SQLite, so no other
// write interleaves) or a dedicated pooled connection (PostgreSQL).
func (s *Store) withMigrationConn(ctx context.Context, fn func(*sql.Conn) error) error {
	if s.w != nil {
		return s.w.submitConn(ctx, fn)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return fn(conn)
}

func appliedVersions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (map[int64]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[int64]bool{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

// Ready reports whether the database answers and every embedded migration is
// applied (the /readyz check).
func (s *Store) Ready(ctx context.Context) error {
	ms, err := loadMigrations(s.d.name())
	if err != nil {
		return err
	}
	done, err := appliedVersions(ctx, s.db)
	if err != nil {
		return fmt.Errorf("database not reachable or not migrated: %w", err)
	}
	for _, m := range ms {
		if !done[m.version] {
			return fmt.Errorf("migration %s not applied: run wsusfleet migrate", m.name)
		}
	}
	return nil
}
