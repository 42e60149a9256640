package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// A burst of writes grows the SQLite WAL file; once a checkpoint copied it
// and the next write starts it over, the file is cut back to its limit, so
// the disk a burst took is given back while serve runs (not at shutdown).
// Not parallel: it lowers the limit for the stores it opens.
func TestWALFileCutBackAfterBurst(t *testing.T) {
	const limit = 64 << 10
	defer store.SetWALSizeLimit(limit)()
	dir := t.TempDir()
	s := storetest.OpenDSN(t, "sqlite:"+filepath.Join(dir, "w.db"), store.Options{})
	ctx := context.Background()
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, "w.db-wal"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 300)
	for i := range 300 {
		wg.Go(func() {
			_, _, err := s.SaveReport(ctx, storetest.Report(fmt.Sprintf("burst-%03d", i), fmt.Sprintf("wsus%02d.corp.example", i%60), storetest.T0), "")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := size(); n <= 4*limit {
		t.Fatalf("the burst left a WAL file of %d bytes: too small to show it cut back to %d", n, limit)
	}
	// Once a checkpoint copied the WAL while nothing was being written, the
	// next write starts it over and cuts the file back.
	if err := store.CheckpointNow(s); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SaveReport(ctx, storetest.Report("after", "quiet.corp.example", storetest.T0), ""); err != nil {
		t.Fatal(err)
	}
	// Cut back to the limit, or to the end of the frames the restarting
	// commit wrote should they reach past it.
	if n := size(); n > 2*limit {
		t.Errorf("the WAL file is %d bytes after it was started over, want it cut back to about %d", n, limit)
	}
}
