package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// dialect is everything that must differ between SQLite and PostgreSQL; the
// queries themselves use the shared subset ($N, RETURNING, ON CONFLICT).
type dialect interface {
	name() string
	// bulkLoad inserts many rows into table with the database's fast path,
	// ending each insert with onConflict ("" or an ON CONFLICT clause). The
	// rows are produced one at a time (a row may be reused for the next).
	bulkLoad(ctx context.Context, t *wtx, table string, cols []string, rows iter.Seq[[]any], onConflict string) error
	// retryable reports transient errors worth retrying a transaction for.
	retryable(err error) bool
	// lockMigrations serialises migrators across processes.
	lockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// lockRows ends a SELECT that claims rows inside a write: FOR UPDATE
	// (SKIP LOCKED when skip) on PostgreSQL; nothing on SQLite, whose single
	// writer already serialises.
	lockRows(skip bool) string
}

// sqliteDSN puts the pragmas in the DSN so every pooled connection gets them.
// synchronous=FULL: an acknowledged report survives power loss, not only a crash.
// The writer does not checkpoint (the checkpointer does); readers are query_only.
// The writer's journal_size_limit (walSizeLimit) gives back the disk a burst
// of writes took: SQLite reuses its WAL file from the start once a
// checkpoint copied it, and without a limit the file kept its largest size
// (hundreds of MB after a minute of saturation) until the dashboard stopped.
func sqliteDSN(path, role string) string {
	q := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	switch role {
	case "writer":
		q += "&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(" + strconv.FormatInt(walSizeLimit, 10) + ")"
	case "reader":
		q += "&_pragma=query_only(1)"
	}
	return "file:" + path + "?" + q
}

// walSizeLimit is what the WAL file is cut back to when the writer starts it
// over: large enough that a steady stream of reports reuses it without
// growing it again, small against the database.
var walSizeLimit int64 = 64 << 20

func (s *Store) openSQLite(ctx context.Context, path string) error {
	wdb, err := sql.Open("sqlite", sqliteDSN(path, "writer"))
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", sqliteDSN(path, "reader"))
	if err != nil {
		wdb.Close()
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	cdb, err := sql.Open("sqlite", sqliteDSN(path, "checkpointer"))
	if err != nil {
		wdb.Close()
		rdb.Close()
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	cdb.SetMaxOpenConns(1)
	vdb, err := sql.Open("sqlite", sqliteDSN(path, "reader"))
	if err != nil {
		wdb.Close()
		rdb.Close()
		cdb.Close()
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	vdb.SetMaxOpenConns(1) // data_version is per connection: always the same one
	vdb.SetMaxIdleConns(1)
	vdb.SetConnMaxLifetime(0)
	vdb.SetConnMaxIdleTime(0)
	s.ver.vdb = vdb
	s.ckpt = startCheckpointer(cdb, s.opts.Logger)
	rdb.SetMaxOpenConns(s.opts.ReadConns)
	rdb.SetMaxIdleConns(s.opts.ReadConns)
	s.d, s.db = sqliteDialect{}, rdb
	s.w = newWriter(wdb, s.opts.Logger, s.opts.Observer)
	return nil
}

func (s *Store) openPostgres(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(s.opts.ReadConns * 2)
	db.SetMaxIdleConns(s.opts.ReadConns * 2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("connect to postgres: %w", err)
	}
	s.d, s.db = postgresDialect{}, db
	s.turns = newWriteTurns(s.opts.ReadConns*2 - 2)
	return nil
}

// writeTurns lets PostgreSQL writes take the pool's connections in the
// order they arrive. database/sql hands a freed connection to a random
// waiter: with more writes in flight than connections (64 collectors, 16
// connections) a write could wait for many turns while later ones went
// first, and the slowest 1 % waited five times as long as the median.
// Writes wait here instead, first come first served (a channel's waiting
// senders are served in order), for fewer turns than the pool has
// connections, leaving some to the reads and the maintenance loop's first
// statements. The zero value (SQLite: one writer already) lets every
// write through.
type writeTurns chan struct{}

func newWriteTurns(n int) writeTurns {
	return make(writeTurns, max(n, 1))
}

// take waits for a turn and returns its release.
func (w writeTurns) take() (release func()) {
	if w == nil {
		return func() {}
	}
	w <- struct{}{}
	return func() { <-w }
}

type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite" }

// bulkLoad: one prepared statement executed per row, in the writer's transaction.
func (sqliteDialect) bulkLoad(ctx context.Context, t *wtx, table string, cols []string, rows iter.Seq[[]any], onConflict string) error {
	stmt, err := t.PrepareContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (`+placeholders(len(cols))+`)`+onConflict)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return err
		}
	}
	return nil
}

func (sqliteDialect) retryable(error) bool { return false } // one writer: no conflicts to retry

func (sqliteDialect) lockMigrations(context.Context, *sql.Conn) (func(), error) {
	return func() {}, nil // the single writer connection serialises; BEGIN IMMEDIATE locks other processes out
}

func (sqliteDialect) lockRows(bool) string { return "" }

type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

// bulkLoad: COPY straight into table, or for an upsert into a temporary
// table shaped like it, then one insert from it.
func (postgresDialect) bulkLoad(ctx context.Context, t *wtx, table string, cols []string, rows iter.Seq[[]any], onConflict string) error {
	copyInto := func(target string) error {
		next, stop := iter.Pull(rows)
		defer stop()
		src := pgx.CopyFromFunc(func() ([]any, error) {
			row, ok := next()
			if !ok {
				return nil, nil
			}
			return row, nil
		})
		err := t.conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			_, err := pc.CopyFrom(ctx, pgx.Identifier{target}, cols, src)
			return err
		})
		if err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
		return nil
	}
	if onConflict == "" {
		return copyInto(table) // plain inserts: straight in
	}
	load := table + "_load"
	if _, err := t.ExecContext(ctx, `CREATE TEMP TABLE `+load+` (LIKE `+table+` INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return err
	}
	if err := copyInto(load); err != nil {
		return err
	}
	list := strings.Join(cols, ", ")
	if _, err := t.ExecContext(ctx, `INSERT INTO `+table+` (`+list+`) SELECT `+list+` FROM `+load+onConflict); err != nil {
		return err
	}
	_, err := t.ExecContext(ctx, `DROP TABLE `+load) // a second load in this transaction makes its own
	return err
}

// retryable: serialization failures and deadlocks are safe to retry whole.
func (postgresDialect) retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

func (postgresDialect) lockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	const key = 0x77737573666c74 // "wsusflt": one migrator at a time across instances
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	return func() { conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key) }, nil
}

func (postgresDialect) lockRows(skip bool) string {
	if skip {
		return " FOR UPDATE SKIP LOCKED"
	}
	return " FOR UPDATE"
}

func placeholders(n int) string { return placeholdersFrom(1, n) }

// placeholdersFrom numbers n parameters from first: "$first, ...".
func placeholdersFrom(first, n int) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		if i > first {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", i)
	}
	return b.String()
}
