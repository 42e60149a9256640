package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// A server's first client list is counted as it loads; the counts are
// those a recount of its rows gives, and what the list says: 12 listed,
// of which 4 reported within the day (the oldest 23 hours 59 minutes ago,
// so the count next changes a minute later); never-reported ones are not
// among them.
func TestFirstClientListCountedAsItLoads(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			clock := storetest.NewClock(storetest.T0)
			s := open(t, store.Options{Now: clock.Now})
			ctx := context.Background()
			ages := []time.Duration{time.Hour, 20 * time.Hour, 30 * time.Hour, -1, 3 * time.Hour, 72 * time.Hour,
				-1, 23*time.Hour + 59*time.Minute, 25 * time.Hour, 400 * time.Hour, -1, 24*time.Hour + time.Minute}
			r := storetest.Report("first-list", "wsus01", storetest.T0)
			r.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(len(ages), storetest.T0, func(i int) time.Duration { return ages[i] })}
			if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
				t.Fatal(err)
			}
			total, removed, day, at, err := store.KeptClientCounts(ctx, s, "wsus01")
			if err != nil {
				t.Fatal(err)
			}
			want := storetest.T0.Add(-(23*time.Hour + 59*time.Minute)).Add(24 * time.Hour).UnixMilli()
			if total != 12 || removed != 0 || day != 4 || !at.Valid || at.Int64 != want {
				t.Errorf("first list counted %d listed, %d removed, %d within the day, next at %v; want 12, 0, 4, %d", total, removed, day, at, want)
			}
			if err := store.RecountClients(ctx, s, "wsus01"); err != nil {
				t.Fatal(err)
			}
			t2, r2, d2, at2, err := store.KeptClientCounts(ctx, s, "wsus01")
			if err != nil || t2 != total || r2 != removed || d2 != day || at2 != at {
				t.Errorf("recounted %d, %d, %d, %v (%v); counted as the list loaded %d, %d, %d, %v", t2, r2, d2, at2, err, total, removed, day, at)
			}
		})
	}
}
