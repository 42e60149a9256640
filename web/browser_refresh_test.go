package web_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// TestBrowserRefreshUsesETag: the fleet page's own refresh sends the ETag of
// what it shows; while nothing changed the dashboard answers 304 and the
// page keeps its rows as they are; after a write the refresh swaps the new
// rows in.
func TestBrowserRefreshUsesETag(t *testing.T) {
	path := chromiumPath(t)
	if testing.Short() {
		t.Skip("browser tests take a while")
	}
	st := storetest.OpenSQLite(t, store.Options{})
	now := time.Now().UTC()
	if _, _, err := st.SaveReport(t.Context(), storetest.Report("r1", "wsus01.corp.example", now.Add(-time.Minute)), ""); err != nil {
		t.Fatal(err)
	}
	// Diagnosed now, not by the page's first read: a diagnosis a read runs
	// is a write, and the page built before it is rebuilt once after it.
	if _, err := st.RediagnoseDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(st, web.Config{}))
	t.Cleanup(srv.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// refresh asks the page to refresh now and waits until it says it did.
	refresh := func() {
		t.Helper()
		eval(`document.querySelector("[data-live-status]").textContent = "waiting"; window.dispatchEvent(new Event("wsusfleet:refresh")); ""`)
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("[data-live-status]").textContent.indexOf("updated") >= 0`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("the refresh did not happen: %v", err)
		}
	}
	// lastStatus is the HTTP status of the page's last fetch of itself.
	lastStatus := func() string {
		return eval(`(function(){ var e = performance.getEntriesByType("resource").filter(function(e){ return e.name === location.href; });
			return e.length ? String(e[e.length-1].responseStatus) : "none"; })()`)
	}
	mark := `(function(){ var row = document.querySelector('#fleet-table [data-testid="server-row"]'); if (row) row.dataset.mark = "kept"; return row ? "ok" : "no row"; })()`
	marked := `String(document.querySelectorAll('[data-mark="kept"]').length)`

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	refresh() // the first refreshes learn the ETag of what the page shows
	refresh() // and a second: the page's own timed refresh may have met a rebuild meanwhile
	if got := eval(mark); got != "ok" {
		t.Fatalf("mark a row: %s", got)
	}
	refresh()
	if s, n := lastStatus(), eval(marked); s != "304" || n != "1" {
		t.Errorf("refresh with nothing changed: status %s, %s marked rows kept; want 304 and the row untouched", s, n)
	}
	if _, _, err := st.SaveReport(t.Context(), storetest.Report("r2", "wsus02.corp.example", now), ""); err != nil {
		t.Fatal(err)
	}
	refresh()
	rows := eval(`Array.from(document.querySelectorAll('[data-testid="server-row"]')).map(function(r){ return r.textContent; }).join("|")`)
	if s, n := lastStatus(), eval(marked); s != "200" || n != "0" || !strings.Contains(rows, "wsus02.corp.example") {
		t.Errorf("refresh after a write: status %s, %s marked rows, rows %q; want 200 and the new server swapped in", s, n, rows)
	}
}
