package store

import (
	"context"
	"errors"

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
	})
}
