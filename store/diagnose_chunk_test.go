package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// diagnosisSpans counts the servers diagnosed between two commits: the
// servers one diagnosis transaction covered, and so held the row locks of.
type diagnosisSpans struct {
	mu      sync.Mutex
	open    int   // diagnosed since the last commit
	spans   []int // each commit's count, for commits that diagnosed any
	servers int
}

func (d *diagnosisSpans) Committed(int, time.Duration, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.open > 0 {
		d.spans = append(d.spans, d.open)
		d.open = 0
	}
}

func (d *diagnosisSpans) diagnose(probes.Facts) []probes.Finding {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.open++
	d.servers++
	return nil
}

// On PostgreSQL a diagnosis transaction holds its servers' rows until it
// commits, and reports for those servers wait for it: a fleet's first
// diagnosis goes in small transactions, every server diagnosed once.
func TestPostgresDiagnosisHoldsFewServersAtOnce(t *testing.T) {
	d := &diagnosisSpans{}
	s := storetest.OpenPostgres(t, store.Options{Observer: d, Diagnose: d.diagnose})
	ctx := context.Background()
	const servers = 20
	for i := range servers {
		if _, _, err := s.SaveReport(ctx, storetest.Report(fmt.Sprintf("r%02d", i), fmt.Sprintf("wsus%02d", i), storetest.T0), ""); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.RediagnoseDue(ctx)
	if err != nil || n != servers {
		t.Fatalf("RediagnoseDue: %d servers (%v), want %d", n, err, servers)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.servers != servers || d.open != 0 {
		t.Fatalf("%d servers diagnosed, %d of them not committed; want %d, all committed", d.servers, d.open, servers)
	}
	for _, span := range d.spans {
		if span > 8 {
			t.Errorf("one transaction diagnosed %d servers (transactions: %v); want at most 8", span, d.spans)
		}
	}
	if len(d.spans) != 3 {
		t.Errorf("the diagnosis took %d transactions (%v), want 3 of at most 8 servers", len(d.spans), d.spans)
	}
}
