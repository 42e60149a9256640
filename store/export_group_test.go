package store

import (
	"context"
	"database/sql"
	"fmt"
)

// HoldGroups keeps writes queued until release: on PostgreSQL the group
// committers take nothing, on SQLite the writer's loop waits in a job of
// its own. Writes submitted meanwhile are committed as one group (up to
// pgMaxGroup) once released, as if they had all been waiting.
func HoldGroups(s *Store) (release func()) {
	if g := s.groups; g != nil {
		st := s.steps
		g.mu.Lock()
		g.paused = true
		g.mu.Unlock()
		st.mu.Lock()
		st.paused = true
		st.mu.Unlock()
		return func() {
			g.mu.Lock()
			g.paused = false
			g.mu.Unlock()
			g.wake.Broadcast()
			st.mu.Lock()
			st.paused = false
			st.mu.Unlock()
			st.wake.Broadcast()
		}
	}
	held, hold := make(chan struct{}), make(chan struct{})
	go s.w.submitConn(context.Background(), func(*sql.Conn) error {
		close(held)
		<-hold
		return nil
	})
	<-held
	return func() { close(hold) }
}

// QueuedWrites is how many writes wait (HoldGroups).
func QueuedWrites(s *Store) int {
	if g := s.groups; g != nil {
		g.mu.Lock()
		n := len(g.queue)
		g.mu.Unlock()
		s.steps.mu.Lock()
		defer s.steps.mu.Unlock()
		return n + len(s.steps.queue)
	}
	return len(s.w.jobs)
}

// GroupsFellBack is how many PostgreSQL groups were rolled back and had
// their writes run alone (0 on SQLite).
func GroupsFellBack(s *Store) int64 {
	if s.groups == nil {
		return 0
	}
	return s.groups.fellBack.Load()
}

// ClientGroupsFellBack is how many PostgreSQL groups of client reports were
// rolled back and had their writes run alone (0 on SQLite).
func ClientGroupsFellBack(s *Store) int64 {
	if s.steps == nil {
		return 0
	}
	return s.steps.fellBack.Load()
}

// InputsRepeats reads a server's inputs_repeats (see upsertStmt).
func InputsRepeats(ctx context.Context, s *Store, server string) (n int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT inputs_repeats FROM servers WHERE name = $1`, server).Scan(&n)
	return n, err
}

// GroupEveryWrite puts every grouped write in a group on PostgreSQL, even
// one expected to be no repeat (pgGroups.submit), so tests can hold them.
func GroupEveryWrite(s *Store) {
	if g := s.groups; g != nil {
		g.mu.Lock()
		g.predict = false
		g.mu.Unlock()
	}
}

// LockServer holds server's row locked in a transaction of its own, as
// RediagnoseDue's chunk does, until unlock (PostgreSQL).
func LockServer(ctx context.Context, s *Store, server string) (unlock func(), err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT id FROM servers WHERE name = $1 FOR UPDATE`, server); err != nil {
		tx.Rollback()
		return nil, err
	}
	return func() { tx.Rollback() }, nil
}

// GroupedScan sends write i through the client reports' groups (pgSteps;
// PostgreSQL only): it reads a row through a pipe, and its scan panics
// when panics is set. It returns the write's error.
func GroupedScan(s *Store, i int, panics bool) error {
	return groupedRead(s, fmt.Sprint("scan", i), `SELECT 1`, nil, func(rows rowsScanner) error {
		if panics {
			panic("a scan that panics")
		}
		return nil
	})
}

// groupedRead sends a write of key through the client reports' groups that
// reads query through a pipe, handing scan each row.
func groupedRead(s *Store, key, query string, args []any, scan func(rowsScanner) error) error {
	return s.steps.submit([]string{key}, func(ctx context.Context, t *wtx) error {
		return t.read(ctx, key, query, args, func(rows rowsScanner) error {
			for rows.Next() {
				if err := scan(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	})
}

// GroupedSetting sends write i through the client reports' groups (pgSteps;
// PostgreSQL only): it reads the setting name as the write's transaction
// has it.
func GroupedSetting(s *Store, i int, name string) (value string, err error) {
	err = groupedRead(s, fmt.Sprint("setting", i), `SELECT current_setting($1)`, []any{name}, func(rows rowsScanner) error {
		return rows.Scan(&value)
	})
	return value, err
}
