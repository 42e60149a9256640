package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// readStmts keeps the hottest lookups (a token on every request) prepared on
// the read pool: parsing the SQL cost more than running it, and the CPU it
// took was CPU the single writer did not get. database/sql prepares a
// statement on each pooled connection the first time it runs there.
type readStmts struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// queryRow runs query prepared; a query that cannot be prepared yet (the
// schema is not migrated) runs unprepared and is tried again next time.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s.reads.mu.Lock()
	st, ok := s.reads.stmts[query]
	if !ok {
		var err error
		if st, err = s.db.PrepareContext(context.WithoutCancel(ctx), query); err == nil {
			if s.reads.stmts == nil {
				s.reads.stmts = map[string]*sql.Stmt{}
			}
			s.reads.stmts[query] = st
		}
	}
	s.reads.mu.Unlock()
	if st == nil {
		return s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (r *readStmts) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, st := range r.stmts {
		errs = append(errs, st.Close())
	}
	r.stmts = nil
	return errors.Join(errs...)
}
