package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// TestLargeReportWholeOrNothing: a report whose client list is loaded as it
// is decoded answers as one decoded whole did: a bad item, even the last,
// is a 422 naming it with nothing stored (before a conflict is looked for);
// the good report is stored under the same id, and sent again is a replay.
// On PostgreSQL the list is streamed; SQLite decodes it first
// (Store.LoadsWhileDecoding): both must answer alike.
func TestLargeReportWholeOrNothing(t *testing.T) {
	for dialect, open := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { largeReportWholeOrNothing(t, newEnvOn(t, web.Config{}, store.Options{}, open)) })
	}
}

func largeReportWholeOrNothing(t *testing.T, e *env) {
	const n = 10_000
	report := func(mutate func([]probes.Client)) *probes.Report {
		r := storetest.Report("big-1", "wsus01.corp.example", storetest.T0)
		items := storetest.Clients(n, storetest.T0, func(int) time.Duration { return time.Hour })
		if mutate != nil {
			mutate(items)
		}
		r.Clients = &probes.ClientList{Complete: true, Items: items}
		return r
	}
	bad := map[string]struct {
		mutate  func([]probes.Client)
		pointer string
	}{
		"an empty last name": {func(cs []probes.Client) { cs[n-1].Name = "" }, "/clients/items/9999/name"},
		"a duplicate id":     {func(cs []probes.Client) { cs[n-1].ID = cs[3].ID }, "/clients/items/9999/id"},
		"a bad time":         {func(cs []probes.Client) { cs[5000].LastReport = probes.TimeOf(storetest.T0.Add(72 * time.Hour)) }, "/clients/items/5000/last_report"},
	}
	check := func(name string, before int) {
		t.Helper()
		c := bad[name]
		res := e.post("/api/v1/reports", e.ingest, report(c.mutate))
		if res.status != 422 {
			t.Fatalf("%s: %d %.200s", name, res.status, res.body)
		}
		if p := res.problem(t); len(p.Errors) != 1 || p.Errors[0].Pointer != c.pointer {
			t.Errorf("%s: problems %+v, want one at %s", name, p.Errors, c.pointer)
		}
		if got := e.serverCount(); got != before {
			t.Errorf("%s: %d servers stored, want %d", name, got, before)
		}
	}
	for name := range bad {
		check(name, 0)
	}
	if res := e.post("/api/v1/reports", e.ingest, report(nil)); res.status != 201 {
		t.Fatalf("the good report: %d %.200s", res.status, res.body)
	}
	page, err := e.st.Clients(t.Context(), probes.ClientQuery{Server: "wsus01.corp.example"})
	if err != nil || page.Total != n {
		t.Fatalf("%d clients stored, want %d (%v)", page.Total, n, err)
	}
	if res := e.post("/api/v1/reports", e.ingest, report(nil)); res.status != 200 {
		t.Errorf("sent again: %d, want 200", res.status)
	}
	for name := range bad { // the same id with other content: still a 422 first
		check(name, 1)
	}
	if res := e.post("/api/v1/reports", e.ingest, report(func(cs []probes.Client) { cs[0].IP = "192.168.1.1" })); res.status != 409 ||
		!strings.Contains(string(res.body), "big-1") {
		t.Errorf("the same id with other valid content: %d %.200s", res.status, res.body)
	}
}
