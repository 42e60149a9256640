package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// One failing job of a group commit undoes only itself, whether the batch
// ran each job under a savepoint (a job that may not run twice) or ran
// without them and, on the failure, again with them (jobs that may).
func TestWriterBatchFailureUndoesOnlyTheFailingJob(t *testing.T) {
	insert := func(name string) []string {
		return []string{fmt.Sprintf(`INSERT INTO servers (name, created_at) VALUES ('%s', 1)`, name)}
	}
	for _, tc := range []struct {
		name      string
		rerun     [3]bool
		fail      int // index of the failing job, -1 for none
		wantRuns  [3]int
		wantNames []string
	}{
		{"rerunnable, none fails", [3]bool{true, true, true}, -1, [3]int{1, 1, 1}, []string{"a", "b", "c"}},
		{"rerunnable, one fails", [3]bool{true, true, true}, 1, [3]int{2, 2, 1}, []string{"a", "c"}},
		{"rerunnable, the last fails", [3]bool{true, true, true}, 2, [3]int{2, 2, 2}, []string{"a", "b"}},
		{"one not rerunnable, one fails", [3]bool{true, false, true}, 0, [3]int{1, 1, 1}, []string{"b", "c"}},
		{"one not rerunnable, none fails", [3]bool{true, false, true}, -1, [3]int{1, 1, 1}, []string{"a", "b", "c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := "sqlite:" + filepath.Join(t.TempDir(), "w.db")
			s := storetest.OpenDSN(t, path, store.Options{})
			jobs := make([]*store.WriterJob, 3)
			for i, name := range []string{"a", "b", "c"} {
				jobs[i] = &store.WriterJob{Stmts: insert(name), Rerun: tc.rerun[i], Fail: i == tc.fail}
			}
			errs := store.RunWriterBatch(ctx, s, jobs)
			for i, err := range errs {
				if (err != nil) != (i == tc.fail) {
					t.Errorf("job %d: error %v, want one only for job %d", i, err, tc.fail)
				}
				if jobs[i].Runs != tc.wantRuns[i] {
					t.Errorf("job %d ran %d times, want %d", i, jobs[i].Runs, tc.wantRuns[i])
				}
			}
			var got []string
			for _, name := range []string{"a", "b", "c"} {
				if _, err := s.ServerState(ctx, name); err == nil {
					got = append(got, name)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.wantNames) {
				t.Errorf("servers stored: %v, want %v", got, tc.wantNames)
			}
		})
	}
}

// A batch whose time is up fails the jobs it has not begun, rerunnable or
// not, and stores nothing of them.
func TestWriterBatchPastItsTimeFailsItsJobs(t *testing.T) {
	for _, rerun := range []bool{true, false} {
		t.Run(fmt.Sprint("rerun=", rerun), func(t *testing.T) {
			ctx := context.Background()
			s := storetest.OpenDSN(t, "sqlite:"+filepath.Join(t.TempDir(), "w.db"), store.Options{})
			jobs := []*store.WriterJob{
				{Stmts: []string{`INSERT INTO servers (name, created_at) VALUES ('a', 1)`}, Rerun: rerun},
				{Stmts: []string{`INSERT INTO servers (name, created_at) VALUES ('b', 1)`}, Rerun: true},
			}
			for i, err := range store.RunWriterBatchWithin(ctx, s, jobs, -time.Second) {
				if !errors.Is(err, context.DeadlineExceeded) || jobs[i].Runs != 0 {
					t.Errorf("job %d: %v after %d runs, want the deadline's error and no run", i, err, jobs[i].Runs)
				}
			}
			for _, name := range []string{"a", "b"} {
				if _, err := s.ServerState(ctx, name); err == nil {
					t.Errorf("server %s was stored", name)
				}
			}
		})
	}
}
