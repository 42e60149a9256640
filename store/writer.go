package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// wtx is a write transaction as a write function sees it.
type wtx struct {
	*sql.Tx
	conn  *sql.Conn  // PostgreSQL: for driver-level fast paths (COPY, batches)
	now   time.Time  // one clock reading for everything the write stores
	stmts *stmtCache // the SQLite writer's prepared statements; nil on PostgreSQL
	// lazy (PostgreSQL, Tx nil): the transaction is begun by the write's
	// first statement, or sent with its first batch (begin), saving the
	// round trip of a BEGIN of its own; begun says it was.
	lazy, begun bool
	beginErr    error // a lazy BEGIN that failed
	// shareJudgement: the write judges several servers (RediagnoseDue), and
	// they share one judgement (judge), whose settings, silences, windows and
	// channels are read once instead of once per server.
	shareJudgement bool
	judge          *judgement
	// group (PostgreSQL, pg_group.go): the write queues its report into
	// its group's batch instead of sending it, and leaves what reads the
	// results to after, run once the group's batch returned; serverID is
	// the server it wrote, which orders later groups' locks.
	group    *groupBatch
	after    func() error
	serverID int64
	// step (PostgreSQL, pg_steps.go): the write is one of a group of
	// client reports; each batch it runs goes with the others' (stepper).
	step *stepper
}

type writeFunc func(ctx context.Context, t *wtx) error

// errClosed is returned for writes submitted after Close.
var errClosed = errors.New("store: closed")

// maxBatch bounds how many writes share one SQLite commit.
const maxBatch = 256

// writeTimeout bounds one batch; a write never inherits a caller's context
// once it runs, so a client hanging up cannot abort a shared transaction.
// On SQLite the batch's statements run under a context that cannot be
// cancelled: with one that can, the driver starts a goroutine per statement
// to interrupt it (modernc.org/sqlite's interruptOnDone), ~4 % of serve's
// CPU on small reports. There a job not begun by the deadline fails
// instead, and a lock wait is bounded by busy_timeout.
const writeTimeout = 5 * time.Minute

// writer serialises SQLite writes through one connection and commits them in
// groups: every job waiting when a commit starts shares its fsync. One failing
// job never undoes the others: each job runs under its own savepoint, except
// in a batch whose jobs may all run again (job.rerun), which runs without
// them and, should a job fail, is rolled back and run again with them.
type writer struct {
	db      *sql.DB // one connection: every write goes through it
	stmts   *stmtCache
	log     *slog.Logger
	obs     WriteObserver // nil: nobody watches
	jobs    chan *job
	timeout time.Duration // writeTimeout; a test shortens it
	done    chan struct{}
	closed  sync.Once
	mu      sync.RWMutex // held for reading while submitting, for writing by close
	shut    bool
}

type job struct {
	ctx context.Context // the submitter's: checked only before the job starts
	fn  writeFunc
	raw func(*sql.Conn) error // instead of fn: runs alone, outside a transaction
	// rerun: fn has no effect outside the transaction, so it may run again
	// after its batch was rolled back. A savepoint per job copies every page
	// the job changes into SQLite's statement journal (a temporary file once
	// it outgrows 64 KiB); batches of such jobs save that while none fails.
	rerun bool
	err   error
	done  chan struct{}
}

func newWriter(db *sql.DB, log *slog.Logger, obs WriteObserver) *writer {
	w := &writer{db: db, stmts: newStmtCache(db), log: log, obs: obs, jobs: make(chan *job, maxBatch), timeout: writeTimeout, done: make(chan struct{})}
	go w.loop()
	return w
}

// submit queues fn and waits until it is committed (or failed). rerun says
// fn may run again after a rollback (job.rerun).
func (w *writer) submit(ctx context.Context, fn writeFunc, rerun bool) error {
	return w.enqueue(ctx, &job{ctx: ctx, fn: fn, rerun: rerun, done: make(chan struct{})})
}

func (w *writer) enqueue(ctx context.Context, j *job) error {
	w.mu.RLock()
	if w.shut {
		w.mu.RUnlock()
		return errClosed
	}
	select {
	case w.jobs <- j:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	<-j.done // once queued, the job's outcome is always reported, even on shutdown
	return j.err
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*job, 0, maxBatch)
	for first := range w.jobs {
		if first.raw != nil {
			w.runRaw(first)
			continue
		}
		batch = append(batch[:0], first)
		var rawNext *job
	drain:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-w.jobs:
				if !ok {
					break drain
				}
				if j.raw != nil {
					rawNext = j
					break drain
				}
				batch = append(batch, j)
			default:
				break drain
			}
		}
		w.commit(batch)
		if rawNext != nil {
			w.runRaw(rawNext)
		}
	}
}

func (w *writer) runRaw(j *job) {
	defer close(j.done)
	if j.err = j.ctx.Err(); j.err != nil {
		return
	}
	conn, err := w.db.Conn(j.ctx)
	if err != nil {
		j.err = err
		return
	}
	defer conn.Close()
	j.err = j.raw(conn)
}

func (w *writer) commit(batch []*job) {
	ctx := context.Background() // see writeTimeout
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err // given up before it started: nothing written
			close(j.done)
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	start := time.Now()
	err := w.runBatch(ctx, live, start.Add(w.timeout))
	if w.obs != nil {
		w.obs.Committed(len(live), time.Since(start), err)
	}
	w.stmts.prepareWanted(ctx)
	for _, j := range live {
		if err != nil && j.err == nil {
			j.err = err
		}
		close(j.done)
	}
}

func (w *writer) runBatch(ctx context.Context, batch []*job, deadline time.Time) error {
	if !slices.ContainsFunc(batch, func(j *job) bool { return !j.rerun }) {
		failed, err := w.runWhole(ctx, batch, deadline)
		if !failed {
			return err
		}
		// A job failed and the batch was rolled back: every job runs again,
		// each under its savepoint, so only the failing one is undone.
		for _, j := range batch {
			j.err = nil
		}
	}
	return w.runSavepoints(ctx, batch, deadline)
}

// runWhole runs the batch in one transaction without savepoints; failed
// says a job failed and nothing was committed.
func (w *writer) runWhole(ctx context.Context, batch []*job, deadline time.Time) (failed bool, err error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	t := &wtx{Tx: tx, now: time.Now().UTC(), stmts: w.stmts}
	for _, j := range batch {
		if time.Now().After(deadline) || runJob(ctx, j.fn, t) != nil {
			tx.Rollback()
			return true, nil
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}

// runSavepoints runs the batch in one transaction, each job under a
// savepoint of its own.
func (w *writer) runSavepoints(ctx context.Context, batch []*job, deadline time.Time) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &wtx{Tx: tx, now: time.Now().UTC(), stmts: w.stmts}
	for _, j := range batch {
		if time.Now().After(deadline) {
			j.err = fmt.Errorf("store: write not begun within %v of its batch: %w", w.timeout, context.DeadlineExceeded)
			continue
		}
		// Through t: the savepoint statements are prepared once, like the jobs'.
		if _, err := t.ExecContext(ctx, "SAVEPOINT job"); err != nil {
			tx.Rollback()
			return fmt.Errorf("savepoint: %w", err)
		}
		j.err = runJob(ctx, j.fn, t)
		if j.err != nil {
			if _, err := t.ExecContext(ctx, "ROLLBACK TO job"); err != nil {
				tx.Rollback()
				return fmt.Errorf("rollback to savepoint: %w", err)
			}
		}
		if _, err := t.ExecContext(ctx, "RELEASE job"); err != nil {
			tx.Rollback()
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// runJob turns a panic in one job into that job's error.
func runJob(ctx context.Context, fn writeFunc, t *wtx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: write panicked: %v", r)
		}
	}()
	return fn(ctx, t)
}

// submitConn runs fn on the writer's connection alone, between batches and
// outside any transaction (migrations manage their own transactions).
func (w *writer) submitConn(ctx context.Context, fn func(*sql.Conn) error) error {
	return w.enqueue(ctx, &job{ctx: ctx, raw: fn, done: make(chan struct{})})
}

// close stops accepting writes, finishes the queued ones and closes the connection.
func (w *writer) close() error {
	var err error
	w.closed.Do(func() {
		w.mu.Lock()
		w.shut = true
		close(w.jobs)
		w.mu.Unlock()
		<-w.done
		w.stmts.close()
		err = w.db.Close()
	})
	return err
}

// write runs fn in a write transaction: through the group-commit writer on
// SQLite, directly (retrying transient conflicts) on PostgreSQL.
func (s *Store) write(ctx context.Context, fn writeFunc) error {
	return s.writeJob(ctx, fn, false)
}

// writeRerun is write for a write function with no effect outside its
// transaction, which the SQLite writer may therefore run again after a
// rollback (job.rerun); on PostgreSQL it is write.
func (s *Store) writeRerun(ctx context.Context, fn writeFunc) error {
	return s.writeJob(ctx, fn, true)
}

func (s *Store) writeJob(ctx context.Context, fn writeFunc, rerun bool) error {
	defer s.ver.wrote() // after the commit: see storeVersion.wrote
	if s.w != nil {
		return s.w.submit(ctx, func(ctx context.Context, t *wtx) error {
			t.now = s.now()
			return fn(ctx, t)
		}, rerun)
	}
	return s.retryPostgres(func() error { return s.writePostgres(ctx, fn) })
}

// retryPostgres runs one PostgreSQL write transaction, again after a short
// pause while it fails with a transient conflict (serialization, deadlock),
// at most five times.
func (s *Store) retryPostgres(write func() error) error {
	for attempt := 0; ; attempt++ {
		err := write()
		if err == nil || !s.d.retryable(err) || attempt == 4 {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
}

// writeConn takes a write turn (writeTurns) and a pooled connection for a
// PostgreSQL write; release gives both back.
func (s *Store) writeConn(ctx context.Context) (conn *sql.Conn, release func(), err error) {
	done := s.turns.take()
	if conn, err = s.db.Conn(ctx); err != nil {
		done()
		return nil, nil, fmt.Errorf("store: connection: %w", err)
	}
	return conn, func() { conn.Close(); done() }, nil
}

func (s *Store) writePostgres(ctx context.Context, fn writeFunc) error {
	// The write runs to completion even if the caller goes away, like on SQLite.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	conn, release, err := s.writeConn(ctx)
	if err != nil {
		return err
	}
	defer release()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	start := time.Now()
	if err := fn(ctx, &wtx{Tx: tx, conn: conn, now: s.now()}); err != nil {
		tx.Rollback()
		return err
	}
	err = tx.Commit()
	if s.opts.Observer != nil {
		s.opts.Observer.Committed(1, time.Since(start), err)
	}
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// writeBatched is write for a write function that sends its first
// statements as one batch (begin): on PostgreSQL the transaction's BEGIN
// travels with that batch instead of costing a round trip of its own, and
// the write runs on the connection outside database/sql's transaction
// bookkeeping. On SQLite it is write, or writeRerun when rerun says fn may
// run again after a rollback.
func (s *Store) writeBatched(ctx context.Context, fn writeFunc, rerun bool) error {
	if s.w != nil {
		return s.writeJob(ctx, fn, rerun)
	}
	defer s.ver.wrote()
	return s.retryPostgres(func() error { return s.writePostgresLazy(ctx, fn) })
}

// writeGrouped is writeBatched for a write that may run again after a
// rollback and, on PostgreSQL, queues its one statement into a group's
// batch (wtx.group): it is committed with the other such writes waiting,
// one transaction, round trip and WAL flush for them all (pgGroups). key
// names the server it writes (a server is in one group at a time), inputs
// what it gives the rules to read (preparedReport.inputs).
func (s *Store) writeGrouped(ctx context.Context, key, inputs string, fn writeFunc) error {
	if s.groups == nil {
		return s.writeBatched(ctx, fn, true)
	}
	defer s.ver.wrote()
	return s.groups.submit(key, inputs, fn)
}

func (s *Store) writePostgresLazy(ctx context.Context, fn writeFunc) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	conn, release, err := s.writeConn(ctx)
	if err != nil {
		return err
	}
	defer release()
	start := time.Now()
	t := &wtx{conn: conn, now: s.now(), lazy: true}
	err = fn(ctx, t)
	if t.beginErr != nil {
		err = t.beginErr
	}
	if !t.begun {
		return err // nothing was sent
	}
	return s.endLazyWrites(ctx, conn, 1, start, err)
}

// endLazyWrites ends a lazily begun transaction of writes (one, or a
// group's) begun at start: rolled back after err, committed and observed
// otherwise.
func (s *Store) endLazyWrites(ctx context.Context, conn *sql.Conn, writes int, start time.Time, err error) error {
	if err != nil {
		endLazy(ctx, conn, "rollback")
		return err
	}
	err = endLazy(ctx, conn, "commit")
	if s.opts.Observer != nil {
		s.opts.Observer.Committed(writes, time.Since(start), err)
	}
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// endLazy ends a lazily begun transaction. A COMMIT of a transaction that
// failed is answered ROLLBACK, without an error: that is an error here. A
// connection whose transaction could not be ended is not reused.
func endLazy(ctx context.Context, conn *sql.Conn, end string) error {
	return conn.Raw(func(dc any) error {
		ct, err := dc.(*stdlib.Conn).Conn().Exec(ctx, end)
		if err == nil && end == "commit" && ct.String() != "COMMIT" {
			err = fmt.Errorf("the transaction failed and was rolled back (%s)", ct.String())
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			var pe *pgconn.PgError
			if !errors.As(err, &pe) {
				return errors.Join(err, driver.ErrBadConn) // the session's state is unknown: discard it
			}
		}
		return err
	})
}

// session is what the write's statements run on: the transaction, or with
// a lazy one the connection, after beginning the transaction if nothing
// (no batch) has yet.
func (t *wtx) session(ctx context.Context) (interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, error) {
	if t.Tx != nil {
		return t.Tx, nil
	}
	if t.step != nil {
		return nil, errStepDirect
	}
	if t.beginErr != nil {
		return nil, t.beginErr
	}
	if !t.begun {
		t.begun = true
		if _, err := t.conn.ExecContext(ctx, "begin"); err != nil {
			t.beginErr = fmt.Errorf("store: begin: %w", err)
			return nil, t.beginErr
		}
	}
	return t.conn, nil
}
