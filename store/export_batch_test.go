package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// SaveReportThenFail runs SaveReport's write (on PostgreSQL its pipelined
// batch, the transaction begun with it) and then fails it: with a statement
// the database refuses, or (badStatement false) with an error of its own
// while the transaction is still sound. Nothing of the report may stay, and
// the connection must be fit for reuse.
func SaveReportThenFail(ctx context.Context, s *Store, r *probes.Report, badStatement bool) error {
	r.Normalize()
	p, err := prepareReport(r)
	if err != nil {
		return err
	}
	var replayed string
	return s.writeBatched(ctx, func(ctx context.Context, t *wtx) error {
		if err := s.saveReport(ctx, t, p, "digest-of-"+r.ID, `{}`, &replayed); err != nil {
			return err
		}
		if !badStatement {
			return errors.New("the write gives up")
		}
		_, err := t.ExecContext(ctx, `INSERT INTO no_such_table (x) VALUES (1)`)
		return err
	}, p.rerunnable())
}

// WriterJob is one job of RunWriterBatch: it runs Stmts, then fails when
// Fail; Rerun says it may run again after a rollback (job.rerun). Runs
// counts how often it ran.
type WriterJob struct {
	Stmts []string
	Fail  bool
	Rerun bool
	Runs  int
}

// RunWriterBatch commits jobs as one batch of the SQLite writer, as if
// they had all been waiting when the commit started, and returns each
// job's outcome.
func RunWriterBatch(ctx context.Context, s *Store, jobs []*WriterJob) []error {
	return RunWriterBatchWithin(ctx, s, jobs, writeTimeout)
}

// RunWriterBatchWithin is RunWriterBatch with the batch's time limit
// (writeTimeout) set to timeout.
func RunWriterBatchWithin(ctx context.Context, s *Store, jobs []*WriterJob, timeout time.Duration) []error {
	s.w.timeout = timeout // before the jobs are sent: the writer reads it after
	batch := make([]*job, len(jobs))
	for i, wj := range jobs {
		batch[i] = &job{ctx: ctx, rerun: wj.Rerun, done: make(chan struct{}), fn: func(ctx context.Context, t *wtx) error {
			wj.Runs++
			for _, q := range wj.Stmts {
				if _, err := t.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			if wj.Fail {
				return errors.New("the job gives up")
			}
			return nil
		}}
	}
	// The writer's loop waits in a job of its own while the batch is
	// queued, so it takes the whole batch at once.
	held, hold := make(chan struct{}), make(chan struct{})
	go s.w.submitConn(ctx, func(*sql.Conn) error {
		close(held)
		<-hold
		return nil
	})
	<-held
	for _, j := range batch {
		s.w.jobs <- j
	}
	close(hold)
	errs := make([]error, len(batch))
	for i, j := range batch {
		<-j.done
		errs[i] = j.err
	}
	return errs
}
