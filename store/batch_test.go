package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// A report's write that fails after its batch leaves nothing behind: not the
// server, not the document's id (it can be sent again), and the connection
// it ran on serves the next report.
func TestFailedReportWriteLeavesNothing(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t, store.Options{})
			ctx := context.Background()
			for i, bad := range []bool{false, true} {
				if err := store.SaveReportThenFail(ctx, s, storetest.Report("r1", "wsus09", storetest.T0), bad); err == nil {
					t.Fatalf("failure %d: the write must fail", i)
				}
				if _, err := s.ServerState(ctx, "wsus09"); !errors.Is(err, probes.ErrNotFound) {
					t.Fatalf("failure %d: the failed write left its server behind: %v", i, err)
				}
			}
			if _, replay, err := s.SaveReport(ctx, storetest.Report("r1", "wsus09", storetest.T0), ""); err != nil || replay {
				t.Fatalf("the same report sent again is stored, not a replay: replay %v, %v", replay, err)
			}
			st, err := s.ServerState(ctx, "wsus09")
			if err != nil || len(st.VDirChecks) != 9 {
				t.Fatalf("the report sent again must be stored whole: %v, %d checks", err, len(st.VDirChecks))
			}
			if _, replay, err := s.SaveReport(ctx, storetest.Report("r1", "wsus09", storetest.T0), ""); err != nil || !replay {
				t.Errorf("a second copy is a replay: replay %v, %v", replay, err)
			}
		})
	}
}
