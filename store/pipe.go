package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pipe runs a write's statements that do not read each other's results
// together: on PostgreSQL, in a transaction begun lazily (writeBatched), as
// one pipelined batch, one round trip (with the transaction's BEGIN when it
// is the write's first); otherwise (SQLite, whose writer is in the process,
// or a transaction begun by database/sql) each statement at once, in order.
// Either way a statement sees what the statements queued before it wrote.
type pipe struct {
	t  *wtx
	b  *pgx.Batch    // nil: run each statement at once
	sh []sharedEntry // in a group of client reports: the shared queries queued (pg_shared.go)
}

// reader runs a query and hands its rows to scan: at once (direct), or
// queued with others and run together (pipe), so a loader written against
// it serves a page's read as well as a diagnosis's pipelined one.
type reader interface {
	query(ctx context.Context, query string, args []any, scan func(rowsScanner) error) error
}

// direct is a reader that runs each query at once.
type direct struct{ q querier }

func (d direct) query(ctx context.Context, query string, args []any, scan func(rowsScanner) error) error {
	rows, err := d.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := scan(rows); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// rowsScanner is what a queued query's rows are read through (*sql.Rows,
// pgx.Rows).
type rowsScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

func (t *wtx) pipe() *pipe {
	if t.step != nil {
		return &pipe{t: t, b: &pgx.Batch{}} // the group's first batch holds its BEGIN
	}
	if t.Tx != nil || t.conn == nil || t.beginErr != nil {
		return &pipe{t: t}
	}
	b := &pgx.Batch{}
	if !t.begun {
		b.Queue("begin") // the transaction begins with the batch
		t.begun = true
	}
	return &pipe{t: t, b: b}
}

// query queues a query whose rows scan reads; scan runs when run does (at
// once without a batch).
func (p *pipe) query(ctx context.Context, query string, args []any, scan func(rowsScanner) error) error {
	if p.b != nil {
		p.b.Queue(query, args...).Query(func(rows pgx.Rows) error { return scan(rows) })
		return nil
	}
	return direct{p.t}.query(ctx, query, args, scan)
}

// exec queues a statement without rows.
func (p *pipe) exec(ctx context.Context, st stmt) error {
	if p.b != nil {
		p.b.Queue(st.sql, st.args...)
		return nil
	}
	_, err := p.t.ExecContext(ctx, st.sql, st.args...)
	return err
}

// run sends what was queued and reads the answers (nothing to do without a
// batch: the statements ran as they were queued); p then queues afresh.
func (p *pipe) run(ctx context.Context, what string) error {
	if p.b == nil || (p.b.Len() == 0 && len(p.sh) == 0) {
		return nil
	}
	b, sh := p.b, p.sh
	p.b, p.sh = &pgx.Batch{}, nil
	if p.t.step != nil {
		return p.t.step.run(b, sh)
	}
	err := p.t.conn.Raw(func(dc any) error {
		return dc.(*stdlib.Conn).Conn().SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// read runs one query at once through a pipe of its own and hands its rows
// to scan: in a group of client reports (pgSteps) it goes with the others'
// batches, where a statement run directly would fail the group.
func (t *wtx) read(ctx context.Context, what, query string, args []any, scan func(rowsScanner) error) error {
	p := t.pipe()
	if err := p.query(ctx, query, args, scan); err != nil {
		return err
	}
	return p.run(ctx, what)
}
