package store

import (
	"context"
	"database/sql"
)

// maxCachedStmts bounds the SQLite writer's statement cache; the write
// statements come in a few dozen shapes, so the bound is only a safeguard.
const maxCachedStmts = 512

// stmtCache keeps the SQLite writer's statements prepared: parsing SQL was
// the writer's largest cost. Statements must be prepared on the writer's
// one-connection *sql.DB (Tx.StmtContext re-prepares statements that were
// prepared on a Conn), which is only possible between transactions: a query
// met for the first time inside one runs unprepared and is prepared after
// the batch commits. Only the writer goroutine uses the cache.
// (pgx caches prepared statements per connection by itself.)
type stmtCache struct {
	db     *sql.DB
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
	// The statements bound to the current transaction: a batch runs the
	// same few statements for each of its jobs, and binding one anew
	// (Tx.StmtContext) allocates every time. Tx closes them when it ends.
	tx    *sql.Tx
	bound map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}, bound: map[string]*sql.Stmt{}}
}

// in returns the cached statement bound to tx, or nil when query has not
// been prepared yet (it will be after this batch).
func (c *stmtCache) in(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if tx != c.tx {
		c.tx = tx
		clear(c.bound)
	}
	if st, ok := c.bound[query]; ok {
		return st
	}
	if st, ok := c.stmts[query]; ok {
		b := tx.StmtContext(ctx, st)
		c.bound[query] = b
		return b
	}
	if len(c.stmts)+len(c.wanted) < maxCachedStmts {
		c.wanted[query] = true
	}
	return nil
}

// prepareWanted prepares the queries met since the last call; the writer
// calls it between transactions. A query that fails to prepare is simply
// not cached.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	for q := range c.wanted {
		if st, err := c.db.PrepareContext(ctx, q); err == nil {
			c.stmts[q] = st
		}
		delete(c.wanted, q)
	}
}

func (c *stmtCache) close() {
	for _, st := range c.stmts {
		st.Close()
	}
}

// ExecContext runs a statement in the write transaction, prepared once when
// the writer has a statement cache.
func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.stmts != nil {
		if st := t.stmts.in(ctx, t.Tx, query); st != nil {
			return st.ExecContext(ctx, args...)
		}
	}
	q, err := t.session(ctx)
	if err != nil {
		return nil, err
	}
	return q.ExecContext(ctx, query, args...)
}

// QueryContext: as ExecContext, for queries.
func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.stmts != nil {
		if st := t.stmts.in(ctx, t.Tx, query); st != nil {
			return st.QueryContext(ctx, args...)
		}
	}
	q, err := t.session(ctx)
	if err != nil {
		return nil, err
	}
	return q.QueryContext(ctx, query, args...)
}

// QueryRowContext: as ExecContext, for single-row queries.
func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.stmts != nil {
		if st := t.stmts.in(ctx, t.Tx, query); st != nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	q, err := t.session(ctx)
	if err != nil {
		// A Row cannot be made to carry err: a cancelled query fails in its
		// place, and the write reports err (writePostgresLazy).
		dead, cancel := context.WithCancel(ctx)
		cancel()
		return t.conn.QueryRowContext(dead, query, args...)
	}
	return q.QueryRowContext(ctx, query, args...)
}
