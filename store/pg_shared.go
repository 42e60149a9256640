package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// sharedQuery is a read (or a lock) that the writes of a group of client
// reports (pgSteps) send as one statement for all of them: each write's
// arguments become one element of the statement's arrays, and each row it
// answers starts with the write's place in them (1, 2, …).
//
// PostgreSQL starts and ends every statement, whatever its rows: a group's
// first step was three statements a write (the client's lock, its prior,
// the server its WUServer names), index lookups that cost little more
// than that. Shared, a client report is 5.6 statements instead of 8.7, and
// PostgreSQL's CPU a report ~6 % less (docs/PERFORMANCE.md, phase 14); with
// its classification's two reads (queueNameReads) 3.8, and ~10 % less again
// (phase 25). Alone, and on SQLite, a write runs the one-row query.
type sharedQuery struct {
	one  string // for one write: its arguments are $1, $2, …
	many string // for many: $1, $2, … are text arrays; each row starts with the write's ordinal, in its order
}

// sharedEntry is one write's part of a shared statement: queued after the
// first at statements of its pipe's batch.
type sharedEntry struct {
	at   int
	q    *sharedQuery
	args []string
	scan func(rowsScanner) error // nil: the rows are not read (a lock)
}

// shared queues q with args: in a group, for the committer to send with
// the other writes' (mergeSteps); otherwise as a query of its own.
func (p *pipe) shared(ctx context.Context, q *sharedQuery, args []string, scan func(rowsScanner) error) error {
	if p.t.step != nil {
		p.sh = append(p.sh, sharedEntry{at: p.b.Len(), q: q, args: args, scan: scan})
		return nil
	}
	if scan == nil {
		scan = drainRows
	}
	return p.query(ctx, q.one, anys(args), scan)
}

// drainRows reads rows to their end: the scan of a query whose rows say
// nothing (a lock).
func drainRows(rows rowsScanner) error {
	for rows.Next() {
	}
	return rows.Err()
}

func anys(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// stepItem is a statement of a write's step: its own, or its part of a
// shared one.
type stepItem struct {
	own *pgx.QueuedQuery
	sh  *sharedEntry
}

// items are a step's statements in the order its write queued them.
func (w *stepWrite) items() []stepItem {
	var out []stepItem
	sh, own := w.sh, w.b.QueuedQueries
	for i := 0; i <= len(own); i++ {
		for len(sh) > 0 && sh[0].at == i {
			out = append(out, stepItem{sh: &sh[0]})
			sh = sh[1:]
		}
		if i < len(own) {
			out = append(out, stepItem{own: own[i]})
		}
	}
	return out
}

// mergeSteps queues the writes' steps into b, each write's statements in
// its order: the statements of their own first, then the shared query the
// first write waits on with every write that waits on the same, as one
// statement, and so on. Writes of one step read nothing the others write in
// it (pgSteps), so only each write's own order matters.
func mergeSteps(b *pgx.Batch, writes []*stepWrite) {
	seqs := make([][]stepItem, len(writes))
	left := 0
	for i, w := range writes {
		seqs[i] = w.items()
		left += len(seqs[i])
	}
	for left > 0 {
		for i := range seqs {
			for len(seqs[i]) > 0 && seqs[i][0].own != nil {
				b.QueuedQueries = append(b.QueuedQueries, seqs[i][0].own)
				seqs[i] = seqs[i][1:]
				left--
			}
		}
		var q *sharedQuery
		var entries []*sharedEntry
		for i := range seqs {
			if len(seqs[i]) == 0 || (q != nil && seqs[i][0].sh.q != q) {
				continue
			}
			q = seqs[i][0].sh.q
			entries = append(entries, seqs[i][0].sh)
			seqs[i] = seqs[i][1:]
			left--
		}
		if q != nil {
			queueShared(b, q, entries)
		}
	}
}

// queueShared queues q once for entries: their arguments as arrays, and
// each answered row handed to its entry's scan by the ordinal it starts
// with.
func queueShared(b *pgx.Batch, q *sharedQuery, entries []*sharedEntry) {
	cols := make([]any, len(entries[0].args))
	for c := range cols {
		col := make([]string, len(entries))
		for i, e := range entries {
			col[i] = e.args[c]
		}
		cols[c] = col
	}
	b.Queue(q.many, cols...).Query(func(rows pgx.Rows) error {
		sr := &sharedRows{rows: rows}
		for i, e := range entries {
			sr.n = int64(i + 1)
			scan := e.scan
			if scan == nil {
				scan = drainRows
			}
			if err := scan(sr); err != nil {
				return err
			}
			if err := sr.Err(); err != nil {
				return err
			}
		}
		if sr.held || rows.Next() {
			return fmt.Errorf("store: a shared statement answered a row for no write (ordinal %d)", sr.at)
		}
		return rows.Err()
	})
}

// sharedRows are the rows of a shared statement as one entry sees them:
// those that start with its ordinal (n), without that first column.
type sharedRows struct {
	rows pgx.Rows
	n    int64 // the entry reading
	at   int64 // the ordinal of the row held
	held bool  // rows is on a row not yet handed out
	cur  bool  // that row was handed out (Next returned true)
	err  error
}

func (s *sharedRows) Next() bool {
	if s.cur {
		s.cur, s.held = false, false
	}
	for s.err == nil {
		if !s.held {
			if !s.rows.Next() {
				return false
			}
			fd := s.rows.FieldDescriptions()[0]
			if s.err = s.rows.Conn().TypeMap().Scan(fd.DataTypeOID, fd.Format, s.rows.RawValues()[0], &s.at); s.err != nil {
				return false
			}
			s.held = true
		}
		switch {
		case s.at == s.n:
			s.cur = true
			return true
		case s.at > s.n:
			return false // the next entry's
		}
		s.held = false // a row the entry before left unread
	}
	return false
}

func (s *sharedRows) Scan(dest ...any) error {
	return s.rows.Scan(append([]any{nil}, dest...)...)
}

func (s *sharedRows) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}
