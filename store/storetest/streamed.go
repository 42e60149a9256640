package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
)

// streamed is r as the API decodes a large body: its client items still
// being decoded while the store loads them (probes.DecodeReportStreamed).
func streamed(tb testing.TB, r *probes.Report, now time.Time) *probes.Report {
	tb.Helper()
	body, err := json.Marshal(r)
	if err != nil {
		tb.Fatal(err)
	}
	got, err := probes.DecodeReportStreamed(body, now)
	if err != nil {
		tb.Fatal(err)
	}
	if !got.Clients.Streamed() {
		tb.Fatalf("a list of %d clients (%d bytes) was not streamed", len(r.Clients.Items), len(body))
	}
	return got
}

// testStreamedClientList: a list whose items are loaded as they are decoded
// merges as a whole one does (new, changed, renamed, removed), and one with
// a bad item anywhere, even the last, stores nothing of its report: not its
// clients, not its document (its id stays free), whether it is merged or
// ignored as older than the stored list.
func testStreamedClientList(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	const n = 10_000
	cs := Clients(n, T0, func(i int) time.Duration { return time.Hour })
	for i := range cs {
		cs[i].Name = fmt.Sprintf("PC%05d.Corp.Example", i) // stored lower-cased
	}
	save := func(r *probes.Report) error {
		_, _, err := s.SaveReport(ctx(), streamed(t, r, clock.Now()), "digest-"+r.ID)
		return err
	}
	if err := save(snapshot("big1", "wsus01", T0, true, cs...)); err != nil {
		t.Fatal(err)
	}
	got := allClients(t, s, "wsus01", "")
	if len(got) != n || got["pc09999.corp.example"].ID != cs[n-1].ID {
		t.Fatalf("first list: %d clients stored, want %d (last: %+v)", len(got), n, got["pc09999.corp.example"])
	}
	clock.Advance(time.Hour)
	next := append([]probes.Client(nil), cs[1:]...)                                        // pc00000 dropped
	next[0].IP = "192.168.0.1"                                                             // changed
	next[1].Name = "renamed.corp.example"                                                  // renamed
	next = append(next, Clients(n+1, T0, func(int) time.Duration { return time.Hour })[n]) // new
	bad := append([]probes.Client(nil), next...)
	bad[len(bad)-1].Name = bad[0].Name // duplicates the first item's name (no id)
	bad[len(bad)-1].ID = ""
	bad[0].ID = ""
	for _, r := range []*probes.Report{
		snapshot("big2", "wsus01", T0.Add(time.Hour), true, bad...),
		snapshot("big2", "wsus01", T0.Add(-time.Hour), true, bad...), // older: ignored, and still refused
	} {
		if err := save(r); !errors.Is(err, probes.ErrItemsRefused) {
			t.Fatalf("a list with a duplicate last item (collected %v): %v", r.CollectedAt, err)
		}
		got = allClients(t, s, "wsus01", "")
		if len(got) != n || got["pc00000.corp.example"].RemovedAt != nil || got["pc00001.corp.example"].IP != cs[1].IP {
			t.Fatalf("a refused list changed the clients: %d stored", len(got))
		}
	}
	if err := save(snapshot("big2", "wsus01", T0.Add(time.Hour), true, next...)); err != nil {
		t.Fatalf("the refused report's id is not free: %v", err)
	}
	got = allClients(t, s, "wsus01", "")
	if len(got) != n+1 || got["pc00000.corp.example"].RemovedAt == nil || got["pc00001.corp.example"].IP != "192.168.0.1" ||
		got["renamed.corp.example"].ID != cs[2].ID || got[fmt.Sprintf("pc%05d.corp.example", n)].RemovedAt != nil {
		t.Fatalf("second list: %d clients; removed %v, changed %q, renamed %+v", len(got), got["pc00000.corp.example"].RemovedAt,
			got["pc00001.corp.example"].IP, got["renamed.corp.example"])
	}
}
